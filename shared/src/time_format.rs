//! Instants and durations as people read them: `2026-11-23 03:12 UTC` and `1 h 5 min`.

use crate::timestamp::Timestamp;
use chrono::Timelike;

/// `2026-11-23 03:12 UTC`: an instant to the minute (seconds dropped, not
/// rounded), in UTC like all of Beacon's times.
pub fn format_utc_minutes(at: Timestamp) -> String {
    let t = at.to_datetime();
    format!("{} {:02}:{:02} UTC", t.date_naive(), t.hour(), t.minute())
}

/// How [`format_duration`] lays a duration out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationStyle {
    /// The two largest units: `42 s`, `43 min 12 s`, `1 h 5 min`, `3 d 4 h`.
    Short,
    /// For a countdown that ticks, whose shape should not jump: never less
    /// than minutes and seconds, the second unit two digits: `0 min 42 s`,
    /// `14 min 05 s`, `1 h 05 min`, `3 d 4 h`.
    Countdown,
}

/// A duration in its two largest units, rounded down (see [`DurationStyle`]).
/// A negative one of a second or more is prefixed with `−` (U+2212); to say
/// "overdue by", pass the magnitude.
pub fn format_duration(millis: i64, style: DurationStyle) -> String {
    let seconds = millis.unsigned_abs() / 1000;
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let sign = if millis < 0 && seconds > 0 { "−" } else { "" };
    let text = match style {
        _ if days > 0 => format!("{days} d {hours} h"),
        DurationStyle::Short if hours > 0 => format!("{hours} h {minutes} min"),
        DurationStyle::Short if minutes > 0 => format!("{minutes} min {secs} s"),
        DurationStyle::Short => format!("{secs} s"),
        DurationStyle::Countdown if hours > 0 => format!("{hours} h {minutes:02} min"),
        DurationStyle::Countdown => format!("{minutes} min {secs:02} s"),
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000;
    const MINUTE: i64 = 60 * SECOND;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn instants_are_shown_to_the_minute_in_utc() {
        assert_eq!(
            format_utc_minutes(t("2026-11-23T03:12:45Z")),
            "2026-11-23 03:12 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2026-11-23T03:12:59.999Z")),
            "2026-11-23 03:12 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2026-11-23T05:12:00+02:00")),
            "2026-11-23 03:12 UTC"
        );
    }

    #[test]
    fn minutes_cross_day_month_and_year_boundaries_in_utc() {
        assert_eq!(
            format_utc_minutes(t("2026-12-31T23:59:59Z")),
            "2026-12-31 23:59 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2026-12-31T23:30:00-01:00")),
            "2027-01-01 00:30 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2026-05-01T01:00:00+02:00")),
            "2026-04-30 23:00 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2028-02-28T23:00:00-01:00")),
            "2028-02-29 00:00 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2027-02-28T23:00:00-01:00")),
            "2027-03-01 00:00 UTC"
        );
        assert_eq!(
            format_utc_minutes(t("2100-02-28T23:00:00-01:00")),
            "2100-03-01 00:00 UTC"
        );
        assert_eq!(
            format_utc_minutes(Timestamp::from_unix_millis(0)),
            "1970-01-01 00:00 UTC"
        );
    }

    fn short(millis: i64) -> String {
        format_duration(millis, DurationStyle::Short)
    }

    fn countdown(millis: i64) -> String {
        format_duration(millis, DurationStyle::Countdown)
    }

    #[test]
    fn durations_under_a_minute() {
        assert_eq!(short(0), "0 s");
        assert_eq!(short(999), "0 s");
        assert_eq!(short(42 * SECOND + 900), "42 s");
        assert_eq!(short(MINUTE - 1), "59 s");
        assert_eq!(countdown(0), "0 min 00 s");
        assert_eq!(countdown(999), "0 min 00 s");
        assert_eq!(countdown(5 * SECOND), "0 min 05 s");
        assert_eq!(countdown(MINUTE - 1), "0 min 59 s");
    }

    #[test]
    fn durations_in_minutes_and_hours() {
        assert_eq!(short(MINUTE), "1 min 0 s");
        assert_eq!(short(14 * MINUTE + 5 * SECOND), "14 min 5 s");
        assert_eq!(short(2_592_000), "43 min 12 s");
        assert_eq!(short(HOUR - 1), "59 min 59 s");
        assert_eq!(short(HOUR), "1 h 0 min");
        assert_eq!(short(HOUR + 5 * MINUTE + 59 * SECOND), "1 h 5 min");
        assert_eq!(short(4_320_000), "1 h 12 min");
        assert_eq!(short(DAY - 1), "23 h 59 min");
        assert_eq!(countdown(MINUTE), "1 min 00 s");
        assert_eq!(countdown(14 * MINUTE + 5 * SECOND), "14 min 05 s");
        assert_eq!(countdown(HOUR), "1 h 00 min");
        assert_eq!(countdown(61 * MINUTE), "1 h 01 min");
        assert_eq!(countdown(4_320_000), "1 h 12 min");
        assert_eq!(countdown(DAY - 1), "23 h 59 min");
    }

    #[test]
    fn durations_in_days() {
        for format in [short, countdown] {
            assert_eq!(format(DAY), "1 d 0 h");
            assert_eq!(format(3 * DAY + HOUR), "3 d 1 h");
            assert_eq!(format(3 * DAY + 4 * HOUR + 59 * MINUTE), "3 d 4 h");
            assert_eq!(format(400 * DAY + 23 * HOUR), "400 d 23 h");
        }
    }

    #[test]
    fn negative_durations_have_a_minus_sign() {
        assert_eq!(short(-1_008_000), "−16 min 48 s");
        assert_eq!(countdown(-61 * MINUTE), "−1 h 01 min");
        assert_eq!(short(-42 * SECOND), "−42 s");
        assert_eq!(short(-999), "0 s");
        assert_eq!(countdown(-999), "0 min 00 s");
        assert_eq!(short(i64::MIN), "−106751991167 d 7 h");
    }
}
