//! Saudi time, in which the app writes every date and time a user reads.
//! What goes to other people as evidence (the support message, diagnosis
//! reports) keeps UTC and says so.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+3 all year: Saudi Arabia keeps no daylight saving time.
pub fn offset() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("UTC+3 is a valid offset")
}

/// The last day a certificate valid until `not_after` can be used, on a
/// Saudi calendar. ZATCA's CSIDs end at 21:00 UTC, the midnight that ends a
/// Riyadh day: that day, not the next, so no reminder names a day on which
/// the certificate no longer works. The UI's `formatExpiry` does the same.
pub fn last_valid_day(not_after: DateTime<Utc>) -> NaiveDate {
    (not_after - chrono::Duration::seconds(1)).with_timezone(&offset()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_csid_ending_at_midnight_in_riyadh_is_valid_through_the_day_before() {
        assert_eq!(last_valid_day(at("2031-11-21T21:00:00Z")), day("2031-11-21"));
        assert_eq!(last_valid_day(at("2031-11-21T18:56:33Z")), day("2031-11-21"));
        // 21:00:01 UTC is already the 22nd in Riyadh.
        assert_eq!(last_valid_day(at("2031-11-21T21:00:01Z")), day("2031-11-22"));
        assert_eq!(last_valid_day(at("2031-11-22T00:30:00Z")), day("2031-11-22"));
    }
}
