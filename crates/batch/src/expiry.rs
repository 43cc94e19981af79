//! Production CSID expiry, from the certificate's notAfter kept by
//! onboarding. The reminder thresholds are the app's (30, 7 and 1 days).

use chrono::{DateTime, Duration, Utc};
use fatoora_core::{Environment, Localized, Store};
use fatoora_onboarding::state;
use serde::Serialize;

/// Days before expiry at which the app reminds the user, widest first.
pub const REMINDER_DAYS: [i64; 3] = [30, 7, 1];

/// The tightest reminder threshold `expires_at` has crossed: `Some(30)`,
/// `Some(7)` or `Some(1)` (days), `Some(0)` once expired, `None` while more
/// than 30 days are left.
pub fn reminder(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
    let left = expires_at - now;
    if left <= Duration::zero() {
        return Some(0);
    }
    REMINDER_DAYS.iter().rev().copied().find(|days| left <= Duration::days(*days))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiringUnit {
    pub unit_id: String,
    pub common_name: Option<String>,
    pub vat_number: Option<String>,
    pub environment: Environment,
    pub expires_at: DateTime<Utc>,
    /// Whole days left (negative once expired).
    pub days_left: i64,
    /// See [`reminder`].
    pub reminder: Option<i64>,
    pub message: Localized,
}

/// Units whose production CSID expires within `within` of `now` (expired
/// ones included), soonest first.
pub fn expiring(store: &Store, within: Duration, now: DateTime<Utc>) -> Result<Vec<ExpiringUnit>, fatoora_core::store::rusqlite::Error> {
    let mut units = Vec::new();
    for record in state::all(store.connection())? {
        let Some(expires_at) = record.pcsid_expires_at else { continue };
        if expires_at - now > within {
            continue;
        }
        let profile = fatoora_csr::units::find_unit(store, &record.unit_id).ok().map(|u| u.profile);
        let days_left = (expires_at - now).num_days();
        let name = profile.as_ref().map(|p| p.common_name.clone()).unwrap_or_else(|| record.unit_id.clone());
        let message = if expires_at <= now {
            Localized::new(
                format!("The production CSID of {name} ({}) expired on {}. Invoices signed with it are refused: renew it with a renewal OTP.", record.environment, expires_at.date_naive()),
                format!("انتهت صلاحية معرّف الختم التشفيري للإنتاج للوحدة {name} ({}) في {}. تُرفض الفواتير الموقَّعة به: جدّده برمز تحقق للتجديد.", record.environment.label().ar, expires_at.date_naive()),
            )
        } else {
            Localized::new(
                format!("The production CSID of {name} ({}) expires on {} ({days_left} day(s) left). Renew it with a renewal OTP before then.", record.environment, expires_at.date_naive()),
                format!("تنتهي صلاحية معرّف الختم التشفيري للإنتاج للوحدة {name} ({}) في {} (متبقٍّ {days_left} يوم). جدّده برمز تحقق للتجديد قبل ذلك.", record.environment.label().ar, expires_at.date_naive()),
            )
        };
        units.push(ExpiringUnit {
            unit_id: record.unit_id.clone(),
            common_name: profile.as_ref().map(|p| p.common_name.clone()),
            vat_number: profile.map(|p| p.vat_number),
            environment: record.environment,
            expires_at,
            days_left,
            reminder: reminder(expires_at, now),
            message,
        });
    }
    units.sort_by_key(|u| u.expires_at);
    Ok(units)
}

/// `30d`, `7d`, `36h`, `1w`: the span for `--expiring`.
pub fn parse_span(text: &str) -> Result<Duration, Localized> {
    let text = text.trim();
    let bad = || Localized::new(
        format!("{text:?} is not a span: write a number and a unit, e.g. 30d (days), 36h (hours) or 2w (weeks)."),
        format!("{text:?} ليست مدة: اكتب رقمًا ووحدة، مثل 30d (أيام) أو 36h (ساعات) أو 2w (أسابيع)."),
    );
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: i64 = number.parse().map_err(|_| bad())?;
    match unit {
        "d" | "" => Ok(Duration::days(number)),
        "h" => Ok(Duration::hours(number)),
        "w" => Ok(Duration::weeks(number)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_30_7_1_and_expired() {
        let now = Utc::now();
        let at = |days: i64, hours: i64| now + Duration::days(days) + Duration::hours(hours);
        assert_eq!(reminder(at(45, 0), now), None);
        assert_eq!(reminder(at(30, 1), now), None);
        assert_eq!(reminder(at(30, 0), now), Some(30));
        assert_eq!(reminder(at(8, 0), now), Some(30));
        assert_eq!(reminder(at(7, 0), now), Some(7));
        assert_eq!(reminder(at(1, 1), now), Some(7));
        assert_eq!(reminder(at(0, 23), now), Some(1));
        assert_eq!(reminder(at(0, -1), now), Some(0));
    }

    #[test]
    fn spans() {
        assert_eq!(parse_span("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_span("36h").unwrap(), Duration::hours(36));
        assert_eq!(parse_span("2w").unwrap(), Duration::days(14));
        for bad in ["", "d", "30 days", "-3d", "3y"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }
}
