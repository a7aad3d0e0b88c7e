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

    /// Each case: an RFC 3339 instant and what is shown for it.
    fn check_minutes(cases: &[(&str, &str)]) {
        for (instant, shown) in cases {
            assert_eq!(format_utc_minutes(t(instant)), *shown, "{instant}");
        }
    }

    #[test]
    fn instants_are_shown_to_the_minute_in_utc() {
        check_minutes(&[
            ("2026-11-23T03:12:45Z", "2026-11-23 03:12 UTC"),
            ("2026-11-23T03:12:59.999Z", "2026-11-23 03:12 UTC"),
            ("2026-11-23T05:12:00+02:00", "2026-11-23 03:12 UTC"),
            ("1970-01-01T00:00:00Z", "1970-01-01 00:00 UTC"),
        ]);
    }

    #[test]
    fn minutes_cross_day_month_and_year_boundaries_in_utc() {
        check_minutes(&[
            ("2026-12-31T23:59:59Z", "2026-12-31 23:59 UTC"),
            ("2026-12-31T23:30:00-01:00", "2027-01-01 00:30 UTC"),
            ("2026-05-01T01:00:00+02:00", "2026-04-30 23:00 UTC"),
            ("2028-02-28T23:00:00-01:00", "2028-02-29 00:00 UTC"),
            ("2027-02-28T23:00:00-01:00", "2027-03-01 00:00 UTC"),
            ("2100-02-28T23:00:00-01:00", "2100-03-01 00:00 UTC"),
        ]);
    }

    fn short(millis: i64) -> String {
        format_duration(millis, DurationStyle::Short)
    }

    fn countdown(millis: i64) -> String {
        format_duration(millis, DurationStyle::Countdown)
    }

    /// Each case: milliseconds, then the short and the countdown text.
    fn check_durations(cases: &[(i64, &str, &str)]) {
        for (millis, short_text, countdown_text) in cases {
            assert_eq!(short(*millis), *short_text, "{millis} ms, short");
            assert_eq!(
                countdown(*millis),
                *countdown_text,
                "{millis} ms, countdown"
            );
        }
    }

    #[test]
    fn durations_under_a_minute() {
        check_durations(&[
            (0, "0 s", "0 min 00 s"),
            (999, "0 s", "0 min 00 s"),
            (5 * SECOND, "5 s", "0 min 05 s"),
            (42 * SECOND + 900, "42 s", "0 min 42 s"),
            (MINUTE - 1, "59 s", "0 min 59 s"),
        ]);
    }

    #[test]
    fn durations_in_minutes_and_hours() {
        check_durations(&[
            (MINUTE, "1 min 0 s", "1 min 00 s"),
            (14 * MINUTE + 5 * SECOND, "14 min 5 s", "14 min 05 s"),
            (2_592_000, "43 min 12 s", "43 min 12 s"),
            (HOUR - 1, "59 min 59 s", "59 min 59 s"),
            (HOUR, "1 h 0 min", "1 h 00 min"),
            (61 * MINUTE, "1 h 1 min", "1 h 01 min"),
            (HOUR + 5 * MINUTE + 59 * SECOND, "1 h 5 min", "1 h 05 min"),
            (4_320_000, "1 h 12 min", "1 h 12 min"),
            (DAY - 1, "23 h 59 min", "23 h 59 min"),
        ]);
    }

    #[test]
    fn durations_in_days() {
        check_durations(&[
            (DAY, "1 d 0 h", "1 d 0 h"),
            (3 * DAY + HOUR, "3 d 1 h", "3 d 1 h"),
            (3 * DAY + 4 * HOUR + 59 * MINUTE, "3 d 4 h", "3 d 4 h"),
            (400 * DAY + 23 * HOUR, "400 d 23 h", "400 d 23 h"),
        ]);
    }

    #[test]
    fn negative_durations_have_a_minus_sign() {
        check_durations(&[
            (-1_008_000, "−16 min 48 s", "−16 min 48 s"),
            (-61 * MINUTE, "−1 h 1 min", "−1 h 01 min"),
            (-42 * SECOND, "−42 s", "−0 min 42 s"),
            (-999, "0 s", "0 min 00 s"),
        ]);
        assert_eq!(short(i64::MIN), "−106751991167 d 7 h");
    }
}
