//! Instants as Unix milliseconds, formatted as RFC 3339; the caller supplies "now".
//!
//! Calendar arithmetic is `chrono`'s, without its clock: nothing here reads
//! the time. Beacon's calendar runs from year −9999 to 9999 ([`FIRST_DAY`] to
//! [`LAST_DAY`]); RFC 3339 itself only writes the years 0000 to 9999.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The first day of Beacon's calendar, −9999-01-01.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(-9999, 1, 1) {
    Some(day) => day,
    None => panic!("-9999-01-01 is a date"),
};

/// The last day of Beacon's calendar, 9999-12-31.
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => day,
    None => panic!("9999-12-31 is a date"),
};

/// Whether `date` is in Beacon's calendar ([`FIRST_DAY`] to [`LAST_DAY`]).
pub fn in_calendar(date: NaiveDate) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&date)
}

/// An instant in UTC with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an RFC 3339 date-time such as 2026-11-23T03:12:00Z")]
pub struct TimestampError;

impl Timestamp {
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 (`2026-11-23T03:12:00Z`, offsets allowed). A leap
    /// second (`23:59:60` UTC on the last day of a month) reads as the
    /// second's last millisecond before it.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|_| TimestampError)?
            .naive_utc();
        if parsed.nanosecond() < 1_000_000_000 {
            return Ok(Self(parsed.and_utc().timestamp_millis()));
        }
        let end_of_month = parsed.date().succ_opt().is_some_and(|next| next.day() == 1);
        if end_of_month && parsed.hour() == 23 && parsed.minute() == 59 {
            Ok(Self(parsed.and_utc().timestamp() * 1_000 + 999))
        } else {
            Err(TimestampError)
        }
    }

    /// Midnight (UTC) at the start of `date`.
    pub fn start_of_day(date: NaiveDate) -> Self {
        Self(date.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
    }

    /// The same instant as a `chrono` date-time in UTC; an instant outside
    /// Beacon's calendar reads as the Unix epoch.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0)
            .filter(|t| in_calendar(t.date_naive()))
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// The UTC calendar day this instant falls on (see [`Self::to_datetime`]).
    pub fn date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }
}

/// RFC 3339 in UTC with `Z`, the fraction only as long as it needs to be:
/// `2026-11-23T03:12:00Z`, `2026-11-23T03:12:00.25Z`. An instant before the
/// year 0, which RFC 3339 cannot write, is `@{millis}ms`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_datetime();
        if t.year() < 0 {
            return write!(f, "@{}ms", self.0);
        }
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        match t.timestamp_subsec_millis() {
            0 => {}
            ms if ms % 100 == 0 => write!(f, ".{}", ms / 100)?,
            ms if ms % 10 == 0 => write!(f, ".{:02}", ms / 10)?,
            ms => write!(f, ".{ms:03}")?,
        }
        f.write_str("Z")
    }
}

impl TryFrom<String> for Timestamp {
    type Error = TimestampError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn round_trips_rfc3339() {
        let t = Timestamp::parse("2026-11-23T03:12:00.250Z").unwrap();
        assert_eq!(t.unix_millis(), 1_795_403_520_250);
        assert_eq!(t.to_string(), "2026-11-23T03:12:00.25Z");
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn writes_the_shortest_fraction_in_utc() {
        assert_eq!(
            t("2026-11-23T03:12:00Z").to_string(),
            "2026-11-23T03:12:00Z"
        );
        assert_eq!(
            t("2026-11-23T03:12:00.5Z").to_string(),
            "2026-11-23T03:12:00.5Z"
        );
        assert_eq!(
            t("2026-11-23T03:12:00.007Z").to_string(),
            "2026-11-23T03:12:00.007Z"
        );
        assert_eq!(
            t("2026-11-23T03:12:00.123456789Z").to_string(),
            "2026-11-23T03:12:00.123Z"
        );
        assert_eq!(
            t("2026-11-23T04:12:00+01:00").to_string(),
            "2026-11-23T03:12:00Z"
        );
        assert_eq!(
            t("2026-11-22T22:42:00-04:30").to_string(),
            "2026-11-23T03:12:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            t("0000-01-01T00:00:00Z").to_string(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            t("9999-12-31T23:59:59.999Z").to_string(),
            "9999-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn instants_outside_the_calendar() {
        let before_year_0 = t("0000-01-01T00:00:00+01:00");
        assert_eq!(
            before_year_0.to_string(),
            format!("@{}ms", before_year_0.unix_millis())
        );
        assert_eq!(
            before_year_0.date(),
            NaiveDate::from_ymd_opt(-1, 12, 31).unwrap()
        );
        let after_9999 = t("9999-12-31T23:30:00-01:00");
        assert_eq!(after_9999.to_datetime(), DateTime::UNIX_EPOCH);
        assert_eq!(after_9999.to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix_millis(i64::MAX).to_datetime(),
            DateTime::UNIX_EPOCH
        );
        assert!(in_calendar(LAST_DAY) && !in_calendar(LAST_DAY.succ_opt().unwrap()));
        assert!(in_calendar(FIRST_DAY) && !in_calendar(FIRST_DAY.pred_opt().unwrap()));
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for text in [
            "2026-11-23",
            "2026-11-23T03:12Z",
            "2026-11-23T03:12:00",
            "2026-02-29T03:12:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T03:12:00+24:00",
            "2026-11-23T03:12:00Z ",
            "26-11-23T03:12:00Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
        assert_eq!(t("2026-11-23t03:12:00z"), t("2026-11-23T03:12:00Z"));
        assert_eq!(t("2026-11-23 03:12:00Z"), t("2026-11-23T03:12:00Z"));
    }

    #[test]
    fn a_leap_second_is_the_last_millisecond_before_it() {
        assert_eq!(t("2016-12-31T23:59:60Z"), t("2016-12-31T23:59:59.999Z"));
        assert_eq!(
            t("2017-01-01T00:59:60.5+01:00"),
            t("2016-12-31T23:59:59.999Z")
        );
        assert!(Timestamp::parse("2016-12-30T23:59:60Z").is_err());
        assert!(Timestamp::parse("2016-12-31T12:30:60Z").is_err());
    }

    #[test]
    fn days_start_at_midnight_utc() {
        let leap_day = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(Timestamp::start_of_day(leap_day), t("2028-02-29T00:00:00Z"));
        assert_eq!(t("2028-02-29T23:59:59.999Z").date(), leap_day);
        assert_eq!(t("2028-03-01T00:30:00+01:00").date(), leap_day);
        assert_eq!(
            Timestamp::start_of_day(NaiveDate::from_ymd_opt(1969, 12, 31).unwrap()).unix_millis(),
            -86_400_000
        );
    }
}
