//! Service levels (SPEC L1, L2): how long a component spent in each status,
//! its availability per UTC day, calendar month and calendar year, the
//! remaining error budget against an SLO, and the 90-day uptime bars.
//!
//! How time counts (all periods are half-open `[from, to)` in UTC):
//!
//! | status                 | counts as                                      |
//! |------------------------|------------------------------------------------|
//! | `operational`          | up                                             |
//! | `degraded_performance` | down × weight, default 0 % (i.e. up)           |
//! | `partial_outage`       | down × weight, default 30 %                    |
//! | `major_outage`         | down × weight, default 100 %                   |
//! | `under_maintenance`    | excluded: planned, neither up nor down         |
//!
//! `availability = 100 % × (1 − weighted downtime / measured time)`, where the
//! measured time is the period minus the time under maintenance. A period
//! with nothing measured (entirely in the future, or entirely maintenance)
//! is 100 %. The weights are [`DowntimeWeights`]; the defaults are above.
//!
//! Periods partly in the future (the current day, month or year) are counted
//! only up to `now`: availability is what has been observed so far. The
//! error budget, in contrast, is the budget of the whole period, so its
//! remaining part says how much more downtime the period can still take.
//!
//! A component's history is the status it had before its first recorded
//! change and the changes after it; the initial status applies to all time
//! before the first change, so callers start periods at the component's
//! start date if it matters.
//!
//! Arithmetic is exact: durations are integer milliseconds and weights
//! integer per-mille, so 43 min 12 s of major outage in a 30-day month is
//! exactly 99.9 %.

use crate::measure::number_conversions;
use crate::status_page::{calendar_date, ComponentId, ComponentStatus};
use crate::timestamp::{in_calendar, Timestamp};
use chrono::{Days, Month, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Milliseconds in a UTC day (UTC has no leap seconds in Unix time).
pub const MILLIS_PER_DAY: i64 = 86_400_000;
const PER_MILLE: i128 = 1_000;
const PPM: i128 = 1_000_000;

// ---- History ----------------------------------------------------------

/// A component's status changed at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: Timestamp,
    pub status: ComponentStatus,
}

/// Why a status history was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("change {index} at {at} comes before the previous change at {previous}")]
    OutOfOrder {
        index: usize,
        previous: Timestamp,
        at: Timestamp,
    },
}

/// A component's statuses over time: the status before the first change,
/// then changes in chronological order (several at one instant: the last
/// one wins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HistoryParts", into = "HistoryParts")]
pub struct StatusHistory {
    initial: ComponentStatus,
    changes: Vec<StatusChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HistoryParts {
    initial: ComponentStatus,
    changes: Vec<StatusChange>,
}

impl StatusHistory {
    /// Parses a history, refusing changes out of chronological order.
    pub fn new(initial: ComponentStatus, changes: Vec<StatusChange>) -> Result<Self, HistoryError> {
        for (index, pair) in changes.windows(2).enumerate() {
            if pair[1].at < pair[0].at {
                return Err(HistoryError::OutOfOrder {
                    index: index + 1,
                    previous: pair[0].at,
                    at: pair[1].at,
                });
            }
        }
        Ok(Self { initial, changes })
    }

    /// A component that never changed status.
    pub fn constant(status: ComponentStatus) -> Self {
        Self {
            initial: status,
            changes: Vec::new(),
        }
    }

    pub fn initial(&self) -> ComponentStatus {
        self.initial
    }

    pub fn changes(&self) -> &[StatusChange] {
        &self.changes
    }

    /// The status in effect at `at` (a change at exactly `at` applies).
    pub fn status_at(&self, at: Timestamp) -> ComponentStatus {
        let after = self.changes.partition_point(|c| c.at <= at);
        match after {
            0 => self.initial,
            n => self.changes[n - 1].status,
        }
    }

    /// The stretches of constant status within `period`, in order; together
    /// they cover the period exactly. Empty stretches are left out.
    pub fn segments(&self, period: Period) -> Vec<(Period, ComponentStatus)> {
        let mut segments = Vec::new();
        let mut start = period.from;
        let mut status = self.status_at(period.from);
        let first_inside = self.changes.partition_point(|c| c.at <= period.from);
        for change in self.changes[first_inside..]
            .iter()
            .take_while(|c| c.at < period.to)
        {
            if change.at > start {
                segments.push((Period::unchecked(start, change.at), status));
                start = change.at;
            }
            status = change.status;
        }
        if period.to > start {
            segments.push((Period::unchecked(start, period.to), status));
        }
        segments
    }
}

impl TryFrom<HistoryParts> for StatusHistory {
    type Error = HistoryError;
    fn try_from(parts: HistoryParts) -> Result<Self, Self::Error> {
        Self::new(parts.initial, parts.changes)
    }
}

impl From<StatusHistory> for HistoryParts {
    fn from(h: StatusHistory) -> Self {
        HistoryParts {
            initial: h.initial,
            changes: h.changes,
        }
    }
}

// ---- Periods ------------------------------------------------------------

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("a period must not end ({to}) before it starts ({from})")]
    Reversed { from: Timestamp, to: Timestamp },
    #[error("the date is outside the supported calendar")]
    OutOfRange,
}

/// A half-open span of time `[from, to)`; `from <= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PeriodParts", into = "PeriodParts")]
pub struct Period {
    from: Timestamp,
    to: Timestamp,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct PeriodParts {
    from: Timestamp,
    to: Timestamp,
}

/// The first day of a month, if it is in Beacon's calendar.
fn first_of_month(year: i32, month: Month) -> Result<NaiveDate, PeriodError> {
    NaiveDate::from_ymd_opt(year, month.number_from_month(), 1)
        .filter(|day| in_calendar(*day))
        .ok_or(PeriodError::OutOfRange)
}

impl Period {
    /// Parses a period, refusing one that ends before it starts.
    pub fn new(from: Timestamp, to: Timestamp) -> Result<Self, PeriodError> {
        if to < from {
            Err(PeriodError::Reversed { from, to })
        } else {
            Ok(Self { from, to })
        }
    }

    fn unchecked(from: Timestamp, to: Timestamp) -> Self {
        debug_assert!(from <= to);
        Self { from, to }
    }

    /// One UTC calendar day.
    pub fn day(date: NaiveDate) -> Result<Self, PeriodError> {
        let next = date
            .succ_opt()
            .filter(|next| in_calendar(date) && in_calendar(*next))
            .ok_or(PeriodError::OutOfRange)?;
        Ok(Self::unchecked(
            Timestamp::start_of_day(date),
            Timestamp::start_of_day(next),
        ))
    }

    /// One UTC calendar month (28 to 31 days).
    pub fn month(year: i32, month: Month) -> Result<Self, PeriodError> {
        let first = first_of_month(year, month)?;
        let (next_year, next_month) = match month {
            Month::December => (
                year.checked_add(1).ok_or(PeriodError::OutOfRange)?,
                Month::January,
            ),
            other => (year, other.succ()),
        };
        let next = first_of_month(next_year, next_month)?;
        Ok(Self::unchecked(
            Timestamp::start_of_day(first),
            Timestamp::start_of_day(next),
        ))
    }

    /// One UTC calendar year (365 or 366 days).
    pub fn year(year: i32) -> Result<Self, PeriodError> {
        let first = first_of_month(year, Month::January)?;
        let next_year = year.checked_add(1).ok_or(PeriodError::OutOfRange)?;
        let next = first_of_month(next_year, Month::January)?;
        Ok(Self::unchecked(
            Timestamp::start_of_day(first),
            Timestamp::start_of_day(next),
        ))
    }

    pub fn from(self) -> Timestamp {
        self.from
    }

    pub fn to(self) -> Timestamp {
        self.to
    }

    /// The length in milliseconds.
    pub fn duration_millis(self) -> i64 {
        self.to.millis_since(self.from)
    }

    /// The part of the period up to `now`: empty (at `from`) if the period
    /// lies entirely in the future, unchanged if it lies in the past.
    pub fn until(self, now: Timestamp) -> Period {
        Self::unchecked(self.from, self.to.min(now).max(self.from))
    }

    /// The overlap of two periods, empty (at the later start) if none.
    pub fn intersection(self, other: Period) -> Period {
        let from = self.from.max(other.from);
        Self::unchecked(from, self.to.min(other.to).max(from))
    }
}

impl TryFrom<PeriodParts> for Period {
    type Error = PeriodError;
    fn try_from(parts: PeriodParts) -> Result<Self, Self::Error> {
        Self::new(parts.from, parts.to)
    }
}

impl From<Period> for PeriodParts {
    fn from(p: Period) -> Self {
        PeriodParts {
            from: p.from,
            to: p.to,
        }
    }
}

// ---- Time in each status ------------------------------------------------

/// Milliseconds spent in each status within a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeInStatus {
    pub operational: i64,
    pub degraded_performance: i64,
    pub partial_outage: i64,
    pub major_outage: i64,
    pub under_maintenance: i64,
}

impl TimeInStatus {
    /// Adds up the time in each status over `period`.
    pub fn of(history: &StatusHistory, period: Period) -> Self {
        let mut time = Self::default();
        for (segment, status) in history.segments(period) {
            *time.slot(status) += segment.duration_millis();
        }
        time
    }

    fn slot(&mut self, status: ComponentStatus) -> &mut i64 {
        match status {
            ComponentStatus::Operational => &mut self.operational,
            ComponentStatus::DegradedPerformance => &mut self.degraded_performance,
            ComponentStatus::PartialOutage => &mut self.partial_outage,
            ComponentStatus::MajorOutage => &mut self.major_outage,
            ComponentStatus::UnderMaintenance => &mut self.under_maintenance,
        }
    }

    /// Milliseconds in `status`.
    pub fn millis(&self, status: ComponentStatus) -> i64 {
        match status {
            ComponentStatus::Operational => self.operational,
            ComponentStatus::DegradedPerformance => self.degraded_performance,
            ComponentStatus::PartialOutage => self.partial_outage,
            ComponentStatus::MajorOutage => self.major_outage,
            ComponentStatus::UnderMaintenance => self.under_maintenance,
        }
    }

    /// All the time, maintenance included.
    pub fn total_millis(&self) -> i64 {
        ComponentStatus::ALL.iter().map(|&s| self.millis(s)).sum()
    }

    /// The time that counts for availability: all but maintenance.
    pub fn measured_millis(&self) -> i64 {
        self.total_millis() - self.under_maintenance
    }
}

// ---- Weights ------------------------------------------------------------

/// Why a weight or an SLO was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceLevelError {
    #[error("a downtime weight is between 0 and 1000 per mille, got {0}")]
    WeightOutOfRange(u16),
    #[error(
        "downtime weights must satisfy major_outage >= partial_outage >= degraded_performance"
    )]
    WeightsOutOfOrder,
    #[error("an SLO is a percentage above 0 and at most 100, got {0}")]
    SloOutOfRange(f64),
}

/// How much an hour in some status counts as an hour down, in per mille
/// (0 = up, 1000 = fully down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct DowntimeWeight(u16);

impl DowntimeWeight {
    /// Counts as up.
    pub const NONE: DowntimeWeight = DowntimeWeight(0);
    /// Counts as fully down.
    pub const FULL: DowntimeWeight = DowntimeWeight(1000);

    /// Parses a weight of 0 to 1000 per mille.
    pub fn from_per_mille(per_mille: u16) -> Result<Self, ServiceLevelError> {
        if per_mille <= 1000 {
            Ok(Self(per_mille))
        } else {
            Err(ServiceLevelError::WeightOutOfRange(per_mille))
        }
    }

    pub fn per_mille(self) -> u16 {
        self.0
    }
}

number_conversions!(DowntimeWeight, ServiceLevelError, u16 => from_per_mille, per_mille => u16);

/// How much time in each non-operational status counts as down.
/// `operational` is always up; `under_maintenance` is always excluded.
/// The weights never rank a milder status above a worse one:
/// `major_outage ≥ partial_outage ≥ degraded_performance`, so a worse status
/// never raises availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WeightParts", into = "WeightParts")]
pub struct DowntimeWeights {
    major_outage: DowntimeWeight,
    partial_outage: DowntimeWeight,
    degraded_performance: DowntimeWeight,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct WeightParts {
    major_outage: DowntimeWeight,
    partial_outage: DowntimeWeight,
    degraded_performance: DowntimeWeight,
}

/// The defaults: major outage 1000 ‰ (fully down), partial outage 300 ‰
/// (30 % of its time counts as down), degraded performance 0 ‰ (slow is
/// not down).
impl Default for DowntimeWeights {
    fn default() -> Self {
        Self {
            major_outage: DowntimeWeight::FULL,
            partial_outage: DowntimeWeight(300),
            degraded_performance: DowntimeWeight::NONE,
        }
    }
}

impl TryFrom<WeightParts> for DowntimeWeights {
    type Error = ServiceLevelError;
    fn try_from(p: WeightParts) -> Result<Self, Self::Error> {
        Self::new(p.major_outage, p.partial_outage, p.degraded_performance)
    }
}

impl From<DowntimeWeights> for WeightParts {
    fn from(w: DowntimeWeights) -> Self {
        WeightParts {
            major_outage: w.major_outage,
            partial_outage: w.partial_outage,
            degraded_performance: w.degraded_performance,
        }
    }
}

impl DowntimeWeights {
    /// Parses a set of weights, refusing one where a milder status weighs
    /// more than a worse one.
    pub fn new(
        major_outage: DowntimeWeight,
        partial_outage: DowntimeWeight,
        degraded_performance: DowntimeWeight,
    ) -> Result<Self, ServiceLevelError> {
        if major_outage >= partial_outage && partial_outage >= degraded_performance {
            Ok(Self {
                major_outage,
                partial_outage,
                degraded_performance,
            })
        } else {
            Err(ServiceLevelError::WeightsOutOfOrder)
        }
    }

    pub fn major_outage(&self) -> DowntimeWeight {
        self.major_outage
    }

    pub fn partial_outage(&self) -> DowntimeWeight {
        self.partial_outage
    }

    pub fn degraded_performance(&self) -> DowntimeWeight {
        self.degraded_performance
    }

    /// The weight of a status; `None` for `under_maintenance`, which is
    /// not measured at all.
    pub fn weight(&self, status: ComponentStatus) -> Option<DowntimeWeight> {
        match status {
            ComponentStatus::Operational => Some(DowntimeWeight::NONE),
            ComponentStatus::DegradedPerformance => Some(self.degraded_performance),
            ComponentStatus::PartialOutage => Some(self.partial_outage),
            ComponentStatus::MajorOutage => Some(self.major_outage),
            ComponentStatus::UnderMaintenance => None,
        }
    }
}

// ---- Availability and SLOs ------------------------------------------------

/// A service-level objective: the availability to reach, stored in parts
/// per million (99.9 % = 999 000), so comparisons are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Slo(u32);

impl Slo {
    /// Parses a percentage in `(0, 100]`, kept to 4 decimals (99.9999 %).
    pub fn from_percent(percent: f64) -> Result<Self, ServiceLevelError> {
        if percent.is_finite() && percent > 0.0 && percent <= 100.0 {
            let ppm = (percent * 10_000.0).round() as u32;
            if ppm == 0 {
                return Err(ServiceLevelError::SloOutOfRange(percent));
            }
            Ok(Self(ppm))
        } else {
            Err(ServiceLevelError::SloOutOfRange(percent))
        }
    }

    pub fn parts_per_million(self) -> u32 {
        self.0
    }

    pub fn percent(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

number_conversions!(Slo, ServiceLevelError, f64 => from_percent, percent => f64);

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.percent())
    }
}

/// The SLO of each component (SPEC L1): a default and exceptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SloPolicy {
    pub default: Slo,
    pub per_component: BTreeMap<ComponentId, Slo>,
}

impl SloPolicy {
    /// Every component gets `default`.
    pub fn new(default: Slo) -> Self {
        Self {
            default,
            per_component: BTreeMap::new(),
        }
    }

    /// The SLO that applies to `component`.
    pub fn slo_for(&self, component: &ComponentId) -> Slo {
        self.per_component
            .get(component)
            .copied()
            .unwrap_or(self.default)
    }
}

/// Availability as an exact ratio: measured time and weighted downtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    measured_millis: i64,
    /// Downtime in milliseconds × per mille.
    weighted_downtime: i128,
}

impl Availability {
    /// Weighs the time in each status (see the module table).
    pub fn from_time(time: &TimeInStatus, weights: &DowntimeWeights) -> Self {
        let weighted_downtime = ComponentStatus::ALL
            .iter()
            .filter_map(|&s| {
                weights
                    .weight(s)
                    .map(|w| i128::from(time.millis(s)) * i128::from(w.per_mille()))
            })
            .sum();
        Self {
            measured_millis: time.measured_millis(),
            weighted_downtime,
        }
    }

    /// The time that counted: the period minus maintenance.
    pub fn measured_millis(self) -> i64 {
        self.measured_millis
    }

    /// Weighted downtime in milliseconds, rounded up (part of a millisecond
    /// down still counts).
    pub fn downtime_millis(self) -> i64 {
        let millis = (self.weighted_downtime + PER_MILLE - 1).div_euclid(PER_MILLE);
        i64::try_from(millis).unwrap_or(i64::MAX)
    }

    /// Availability in percent, `0.0..=100.0`; 100 when nothing was measured.
    pub fn percent(self) -> f64 {
        if self.measured_millis <= 0 {
            return 100.0;
        }
        let total = i128::from(self.measured_millis) * PER_MILLE;
        let up = total - self.weighted_downtime;
        ((up * 100) as f64 / total as f64).clamp(0.0, 100.0)
    }

    /// Whether the availability reaches `slo` (exact, no rounding).
    pub fn meets(self, slo: Slo) -> bool {
        let total = i128::from(self.measured_millis) * PER_MILLE;
        let up = total - self.weighted_downtime;
        up * PPM >= total * i128::from(slo.parts_per_million())
    }
}

/// A component's availability over a period (SPEC L2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityReport {
    /// The period asked for.
    pub period: Period,
    /// The part of it up to `now`, which is what was counted.
    pub observed: Period,
    pub time_in_status: TimeInStatus,
    pub availability: Availability,
}

impl AvailabilityReport {
    /// Availability in percent over the observed part.
    pub fn percent(&self) -> f64 {
        self.availability.percent()
    }
}

/// Availability over `period`, counted up to `now` (SPEC L2).
pub fn availability(
    history: &StatusHistory,
    period: Period,
    now: Timestamp,
    weights: &DowntimeWeights,
) -> AvailabilityReport {
    let observed = period.until(now);
    let time_in_status = TimeInStatus::of(history, observed);
    AvailabilityReport {
        period,
        observed,
        time_in_status,
        availability: Availability::from_time(&time_in_status, weights),
    }
}

/// Availability over one UTC day.
pub fn daily_availability(
    history: &StatusHistory,
    date: NaiveDate,
    now: Timestamp,
    weights: &DowntimeWeights,
) -> Result<AvailabilityReport, PeriodError> {
    Ok(availability(history, Period::day(date)?, now, weights))
}

/// Availability over one UTC calendar month (SPEC L1).
pub fn monthly_availability(
    history: &StatusHistory,
    year: i32,
    month: Month,
    now: Timestamp,
    weights: &DowntimeWeights,
) -> Result<AvailabilityReport, PeriodError> {
    Ok(availability(
        history,
        Period::month(year, month)?,
        now,
        weights,
    ))
}

/// Availability over one UTC calendar year (SPEC L1).
pub fn yearly_availability(
    history: &StatusHistory,
    year: i32,
    now: Timestamp,
    weights: &DowntimeWeights,
) -> Result<AvailabilityReport, PeriodError> {
    Ok(availability(history, Period::year(year)?, now, weights))
}

// ---- Error budget ---------------------------------------------------------

/// The downtime an SLO allows in a period, and how much of it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBudget {
    pub slo: Slo,
    /// Allowed downtime over the whole period (minus maintenance so far),
    /// rounded down to the millisecond.
    pub allowed_millis: i64,
    /// Weighted downtime so far.
    pub used_millis: i64,
    /// `allowed − used`; negative when the budget is exceeded.
    pub remaining_millis: i64,
}

impl ErrorBudget {
    pub fn is_exceeded(&self) -> bool {
        self.remaining_millis < 0
    }
}

/// The error budget of `report`'s whole period against `slo` (SPEC L2).
///
/// Allowed downtime = (period length − maintenance observed so far) ×
/// (100 % − SLO). For a period still running, the length is the full
/// period's, so `remaining_millis` is what the rest of the period can take.
pub fn error_budget(report: &AvailabilityReport, slo: Slo) -> ErrorBudget {
    let budgeted =
        i128::from(report.period.duration_millis() - report.time_in_status.under_maintenance)
            .max(0);
    let allowed = budgeted * (PPM - i128::from(slo.parts_per_million())) / PPM;
    let allowed_millis = i64::try_from(allowed).unwrap_or(i64::MAX);
    let used_millis = report.availability.downtime_millis();
    ErrorBudget {
        slo,
        allowed_millis,
        used_millis,
        remaining_millis: allowed_millis.saturating_sub(used_millis),
    }
}

// ---- 90-day bars ------------------------------------------------------------

/// How many days of uptime bars the page shows.
pub const BAR_DAYS: usize = 90;

/// One day of a component's uptime bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBar {
    /// The UTC day, `YYYY-MM-DD` when stored.
    #[serde(with = "calendar_date")]
    pub date: NaiveDate,
    /// The day's availability, counted up to `now` for today.
    pub availability: Availability,
    /// The worst status the component had at any moment of the (observed)
    /// day, by [`ComponentStatus`]'s severity order.
    pub worst_status: ComponentStatus,
    pub time_in_status: TimeInStatus,
}

impl DayBar {
    pub fn percent(&self) -> f64 {
        self.availability.percent()
    }
}

/// The 90 daily bars ending today: exactly [`BAR_DAYS`] entries, oldest
/// first; the last is the UTC day containing `now`, counted up to `now`.
/// Days the calendar cannot represent are left out (only near year ±9999).
pub fn ninety_day_bars(
    history: &StatusHistory,
    now: Timestamp,
    weights: &DowntimeWeights,
) -> Vec<DayBar> {
    let today = now.date();
    (0..BAR_DAYS as u64)
        .rev()
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .filter_map(|date| Period::day(date).ok().map(|day| (date, day)))
        .map(|(date, day)| {
            let observed = day.until(now);
            let segments = history.segments(observed);
            let worst_status = segments
                .iter()
                .map(|(_, status)| *status)
                .max()
                .unwrap_or_else(|| history.status_at(observed.from()));
            let mut time_in_status = TimeInStatus::default();
            for (segment, status) in &segments {
                *time_in_status.slot(*status) += segment.duration_millis();
            }
            DayBar {
                date,
                availability: Availability::from_time(&time_in_status, weights),
                worst_status,
                time_in_status,
            }
        })
        .collect()
}
