//! Production CSID expiry, from the certificate's notAfter kept by
//! onboarding. The reminder thresholds are the app's (30, 7 and 1 days).

use chrono::{DateTime, Duration, Utc};
use fatoora_base::i18n::{DAYS, count_ar, isolate, ltr};
use fatoora_base::{Environment, Localized, Store};
use fatoora_onboarding::riyadh::last_valid_day;
use fatoora_units::state;
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
pub fn expiring(store: &Store, within: Duration, now: DateTime<Utc>) -> Result<Vec<ExpiringUnit>, fatoora_base::store::rusqlite::Error> {
    let mut units = Vec::new();
    for record in state::all(store.connection())? {
        let Some(expires_at) = record.pcsid_expires_at else { continue };
        if expires_at - now > within {
            continue;
        }
        let profile = fatoora_units::find_unit(store, &record.unit_id).ok().map(|u| u.profile);
        let days_left = (expires_at - now).num_days();
        let name = profile.as_ref().map(|p| p.common_name.clone()).unwrap_or_else(|| record.unit_id.clone());
        let last_day = last_valid_day(expires_at);
        let message = if expires_at <= now {
            Localized::new(
                format!("The production CSID of {name} ({}) expired on {}. Invoices signed with it are refused: renew it with a renewal OTP.", record.environment, last_day),
                format!("انتهت صلاحية معرّف الختم التشفيري للإنتاج للوحدة {} ({}) في {}. تُرفض الفواتير الموقَّعة به: جدّده برمز تحقق للتجديد.", ltr(&name), record.environment.label().ar, ltr(last_day)),
            )
        } else {
            Localized::new(
                format!("The production CSID of {name} ({}) expires on {} ({days_left} day(s) left). Renew it with a renewal OTP before then.", record.environment, last_day),
                format!("تنتهي صلاحية معرّف الختم التشفيري للإنتاج للوحدة {} ({}) في {} (بعد {}). جدّده برمز تحقق للتجديد قبل ذلك.", ltr(&name), record.environment.label().ar, ltr(last_day), count_ar(days_left.unsigned_abs(), &DAYS)),
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

/// Shows one OS notification and says what the desktop answered.
pub trait Notifier {
    /// `Ok` with the desktop's receipt (on Linux, the id its notification
    /// server gave the notification) once shown.
    fn notify(&self, title: &str, body: &str) -> Result<String, NotShown>;
}

/// The desktop did not show a notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the desktop did not show the notification: {answer}")]
pub struct NotShown {
    /// What the desktop answered instead, e.g. D-Bus's ServiceUnknown when
    /// no notification server runs.
    pub answer: String,
}

impl NotShown {
    pub fn explain(&self) -> Localized {
        Localized::new(
            format!(
                "The desktop did not show this reminder as a notification ({}). The reminder stays here, and the app tries the notification again the next time it shows its reminders. To get them as notifications, run the app in a desktop session that has a notification service.",
                self.answer
            ),
            format!(
                "لم يعرض سطح المكتب هذا التذكير في تنبيه ({}). يبقى التذكير هنا، ويحاول التطبيق إرسال التنبيه مجددًا في المرة التالية التي يعرض فيها تذكيراته. لتصلك التذكيرات في تنبيهات، شغّل التطبيق في جلسة سطح مكتب فيها خدمة تنبيهات.",
                isolate(&self.answer)
            ),
        )
    }
}

/// A reminder due as an OS notification, see [`notify_due`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DueReminder {
    pub unit_id: String,
    pub environment: Environment,
    /// 30, 7, 1, or 0 for an expired CSID.
    pub threshold_days: i64,
}

/// What [`notify_due`] sent, and what the desktop did not show.
#[derive(Debug, Default)]
pub struct Notified {
    /// Shown, and remembered in the store.
    pub shown: Vec<DueReminder>,
    /// Not shown, each with the desktop's answer; due again next time.
    pub not_shown: Vec<(DueReminder, NotShown)>,
}

fn reminder_title(threshold_days: i64) -> Localized {
    match threshold_days {
        0 => Localized::new("A CSID has expired", "انتهت صلاحية معرّف ختم تشفيري"),
        1 => Localized::new("A CSID expires within a day", "تنتهي صلاحية معرّف ختم تشفيري خلال يوم"),
        days => Localized::new(format!("A CSID expires within {days} days"), format!("تنتهي صلاحية معرّف ختم تشفيري خلال {}", count_ar(days.unsigned_abs(), &DAYS))),
    }
}

/// Sends one OS notification for each CSID that has crossed a reminder
/// threshold (30, 7, 1 days, expired) not yet notified for that certificate,
/// in the user's language, and remembers it in the store so the next start
/// stays quiet. Only the tightest threshold is sent: a CSID first seen with
/// 5 days left gets the 7-day reminder, not the 30-day one as well. Only
/// what the desktop says it showed is remembered: the others are tried
/// again on the next call.
pub fn notify_due(store: &Store, notifier: &dyn Notifier, now: DateTime<Utc>) -> Result<Notified, fatoora_base::store::rusqlite::Error> {
    use fatoora_base::store::rusqlite::{OptionalExtension, params};
    let language = store.language().unwrap_or_default();
    let conn = store.connection();
    let mut notified = Notified::default();
    for unit in expiring(store, Duration::days(REMINDER_DAYS[0]), now)? {
        let Some(threshold_days) = unit.reminder else { continue };
        let due = DueReminder { unit_id: unit.unit_id, environment: unit.environment, threshold_days };
        let key = params![due.unit_id, due.environment.id(), unit.expires_at.to_rfc3339(), threshold_days];
        let already: Option<i64> = conn
            .query_row("SELECT 1 FROM expiry_reminders WHERE unit_id = ?1 AND environment = ?2 AND expires_at = ?3 AND threshold_days = ?4", key, |row| row.get(0))
            .optional()?;
        if already.is_some() {
            continue;
        }
        let title = reminder_title(threshold_days);
        match notifier.notify(title.get(language), unit.message.get(language)) {
            Ok(receipt) => {
                conn.execute("INSERT INTO expiry_reminders (unit_id, environment, expires_at, threshold_days) VALUES (?1, ?2, ?3, ?4)", key)?;
                tracing::info!(unit = %due.unit_id, threshold_days, %receipt, "expiry notification shown");
                notified.shown.push(due);
            }
            Err(error) => {
                tracing::warn!(unit = %due.unit_id, threshold_days, %error, "expiry notification not shown; tried again next time");
                notified.not_shown.push((due, error));
            }
        }
    }
    Ok(notified)
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

    struct Recorder {
        shown: std::cell::RefCell<Vec<(String, String)>>,
        working: std::cell::Cell<bool>,
    }

    impl Notifier for Recorder {
        fn notify(&self, title: &str, body: &str) -> Result<String, NotShown> {
            if !self.working.get() {
                return Err(NotShown { answer: "no notification server".into() });
            }
            self.shown.borrow_mut().push((title.to_owned(), body.to_owned()));
            Ok(format!("notification {}", self.shown.borrow().len()))
        }
    }

    fn issue(store: &Store, unit: &str, expires_at: DateTime<Utc>) {
        let mut record = state::OnboardingState::new(unit, Environment::Local);
        record.step = state::Step::Issued;
        record.pcsid_expires_at = Some(expires_at);
        state::save(store.connection(), &record).unwrap();
    }

    #[test]
    fn each_threshold_of_a_certificate_is_notified_once_even_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = fatoora_base::DataDir::at(dir.path());
        let store = Store::open(&data_dir).unwrap();
        let start = Utc::now();
        let expires = start + Duration::days(20);
        issue(&store, "u-near", expires);
        issue(&store, "u-far", start + Duration::days(200));
        let notifier = Recorder { shown: Default::default(), working: true.into() };
        let thresholds = |notified: Notified| notified.shown.into_iter().map(|r| (r.unit_id, r.threshold_days)).collect::<Vec<_>>();

        assert_eq!(thresholds(notify_due(&store, &notifier, start).unwrap()), [("u-near".to_owned(), 30)]);
        assert!(notify_due(&store, &notifier, start + Duration::hours(1)).unwrap().shown.is_empty());
        // A restart: a new connection to the same file remembers.
        drop(store);
        let store = Store::open(&data_dir).unwrap();
        assert!(notify_due(&store, &notifier, start + Duration::days(1)).unwrap().shown.is_empty());
        assert_eq!(thresholds(notify_due(&store, &notifier, expires - Duration::days(6)).unwrap()), [("u-near".to_owned(), 7)]);
        assert!(notify_due(&store, &notifier, expires - Duration::days(5)).unwrap().shown.is_empty());
        assert_eq!(thresholds(notify_due(&store, &notifier, expires - Duration::hours(12)).unwrap()), [("u-near".to_owned(), 1)]);
        assert_eq!(thresholds(notify_due(&store, &notifier, expires + Duration::hours(1)).unwrap()), [("u-near".to_owned(), 0)]);
        assert!(notify_due(&store, &notifier, expires + Duration::days(3)).unwrap().shown.is_empty());
        let shown = notifier.shown.borrow();
        assert_eq!(shown.len(), 4);
        assert!(shown[0].0.contains("30 days") && shown[0].1.contains("u-near"), "{:?}", shown[0]);
        assert_eq!(shown[3].0, "A CSID has expired");
    }

    #[test]
    fn a_renewed_certificate_gets_its_own_reminders_and_a_failed_notification_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&fatoora_base::DataDir::at(dir.path())).unwrap();
        store.set_language(fatoora_base::i18n::Language::Ar).unwrap();
        let now = Utc::now();
        issue(&store, "u-1", now + Duration::days(3));
        let notifier = Recorder { shown: Default::default(), working: false.into() };
        let refused = notify_due(&store, &notifier, now).unwrap();
        assert!(refused.shown.is_empty());
        let (due, error) = &refused.not_shown[0];
        assert_eq!((due.unit_id.as_str(), due.threshold_days), ("u-1", 7));
        assert!(error.explain().ar.contains("no notification server"), "the desktop's answer, said in Arabic too");
        notifier.working.set(true);
        assert_eq!(notify_due(&store, &notifier, now).unwrap().shown.len(), 1, "the failed one is tried again");
        assert!(notifier.shown.borrow()[0].0.contains("تنتهي"), "in the user's language");

        // Renewed: a year left, nothing to say; when that one nears its end, it is reminded afresh.
        let renewed = now + Duration::days(365);
        issue(&store, "u-1", renewed);
        assert!(notify_due(&store, &notifier, now).unwrap().shown.is_empty());
        assert_eq!(notify_due(&store, &notifier, renewed - Duration::days(2)).unwrap().shown[0].threshold_days, 7);
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
