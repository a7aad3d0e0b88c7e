//! Availability, error budgets and uptime bars (SPEC L1, L2) computed from a
//! component's status history, across day, month, year and leap-year
//! boundaries.

use beacon_shared::service_level::{
    availability, daily_availability, error_budget, monthly_availability, ninety_day_bars,
    yearly_availability, Availability, DowntimeWeight, DowntimeWeights, HistoryError, Period,
    PeriodError, ServiceLevelError, Slo, SloPolicy, StatusChange, StatusHistory, TimeInStatus,
    BAR_DAYS, MILLIS_PER_DAY,
};
use beacon_shared::status_page::{ComponentId, ComponentStatus};
use beacon_shared::Timestamp;
use chrono::{Month, NaiveDate};
use ComponentStatus::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn plus(at: Timestamp, millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(at.unix_millis() + millis)
}

/// Operational, with each `(from, to, status)` stretch in between.
fn history(stretches: &[(Timestamp, Timestamp, ComponentStatus)]) -> StatusHistory {
    let mut changes = Vec::new();
    for &(from, to, status) in stretches {
        changes.push(StatusChange { at: from, status });
        changes.push(StatusChange {
            at: to,
            status: Operational,
        });
    }
    StatusHistory::new(Operational, changes).unwrap()
}

/// `initial`, then each `(at, status)` change in turn.
fn history_of(initial: ComponentStatus, changes: &[(Timestamp, ComponentStatus)]) -> StatusHistory {
    let changes = changes
        .iter()
        .map(|&(at, status)| StatusChange { at, status })
        .collect();
    StatusHistory::new(initial, changes).unwrap()
}

fn defaults() -> DowntimeWeights {
    DowntimeWeights::default()
}

/// Long after every period in these tests.
fn later() -> Timestamp {
    t("2040-01-01T00:00:00Z")
}

fn slo(percent: f64) -> Slo {
    Slo::from_percent(percent).unwrap()
}

/// SPEC L2: 43 min 12 s of major outage in a 30-day month is exactly 99.9 %,
/// and one millisecond more falls below it.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn major_outage_of_43_minutes_12_seconds_in_a_30_day_month_is_exactly_99_9_percent() {
    let start = t("2026-04-10T10:00:00Z");
    let outage = 43 * MINUTE + 12_000;
    let h = history(&[(start, plus(start, outage), MajorOutage)]);
    let report = monthly_availability(&h, 2026, Month::April, later(), &defaults()).unwrap();

    assert_eq!(report.period.duration_millis(), 30 * MILLIS_PER_DAY);
    assert_eq!(report.time_in_status.major_outage, outage);
    assert_eq!(
        report.time_in_status.operational,
        30 * MILLIS_PER_DAY - outage
    );
    assert_eq!(report.percent(), 99.9);
    assert!(report.availability.meets(slo(99.9)));
    assert!(!report.availability.meets(slo(99.91)));

    let h = history(&[(start, plus(start, outage + 1), MajorOutage)]);
    let report = monthly_availability(&h, 2026, Month::April, later(), &defaults()).unwrap();
    assert!(report.percent() < 99.9, "{}", report.percent());
    assert!(!report.availability.meets(slo(99.9)));
}

/// SPEC L2: with the default weights a partial outage counts 30 % of its
/// time as down, degraded performance counts as up, and the weights can be
/// configured.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn partial_outage_counts_thirty_percent_and_degraded_performance_counts_as_up() {
    let day = date(2026, 3, 5);
    let at = t("2026-03-05T02:00:00Z");

    let partial = history(&[(at, plus(at, 10 * HOUR), PartialOutage)]);
    let report = daily_availability(&partial, day, later(), &defaults()).unwrap();
    assert_eq!(report.time_in_status.partial_outage, 10 * HOUR);
    assert_eq!(report.availability.downtime_millis(), 3 * HOUR);
    assert_eq!(report.percent(), 100.0 * 21.0 / 24.0);

    let degraded = history(&[(at, plus(at, 10 * HOUR), DegradedPerformance)]);
    let report = daily_availability(&degraded, day, later(), &defaults()).unwrap();
    assert_eq!(report.time_in_status.degraded_performance, 10 * HOUR);
    assert_eq!(report.availability.downtime_millis(), 0);
    assert_eq!(report.percent(), 100.0);

    let strict = DowntimeWeights::new(
        DowntimeWeight::FULL,
        DowntimeWeight::FULL,
        DowntimeWeight::from_per_mille(120).unwrap(),
    )
    .unwrap();
    let report = daily_availability(&degraded, day, later(), &strict).unwrap();
    assert_eq!(report.availability.downtime_millis(), 72 * MINUTE);
    let report = daily_availability(&partial, day, later(), &strict).unwrap();
    assert_eq!(report.availability.downtime_millis(), 10 * HOUR);

    assert_eq!(defaults().partial_outage().per_mille(), 300);
    assert_eq!(
        DowntimeWeight::from_per_mille(1001),
        Err(ServiceLevelError::WeightOutOfRange(1001))
    );
    assert_eq!(
        DowntimeWeights::new(
            DowntimeWeight::from_per_mille(500).unwrap(),
            DowntimeWeight::FULL,
            DowntimeWeight::NONE,
        ),
        Err(ServiceLevelError::WeightsOutOfOrder)
    );
}

/// SPEC L2, M5: time under maintenance is planned; it is neither up nor down
/// and is left out of the measured time.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn maintenance_is_left_out_of_the_measured_time() {
    let day = date(2026, 3, 5);
    let at = t("2026-03-05T00:00:00Z");
    let h = history(&[
        (at, plus(at, 12 * HOUR), UnderMaintenance),
        (plus(at, 12 * HOUR), plus(at, 18 * HOUR), MajorOutage),
    ]);
    let report = daily_availability(&h, day, later(), &defaults()).unwrap();
    assert_eq!(report.time_in_status.under_maintenance, 12 * HOUR);
    assert_eq!(report.availability.measured_millis(), 12 * HOUR);
    assert_eq!(report.percent(), 50.0);

    let all_maintenance = StatusHistory::constant(UnderMaintenance);
    let report = daily_availability(&all_maintenance, day, later(), &defaults()).unwrap();
    assert_eq!(report.availability.measured_millis(), 0);
    assert_eq!(report.percent(), 100.0);
}

/// SPEC L1: an outage across midnight of a month's last day is split
/// between the two months.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_outage_across_the_end_of_a_month_is_split_between_the_months() {
    let h = history(&[(
        t("2026-01-31T23:00:00Z"),
        t("2026-02-01T01:30:00Z"),
        MajorOutage,
    )]);
    let january = monthly_availability(&h, 2026, Month::January, later(), &defaults()).unwrap();
    let february = monthly_availability(&h, 2026, Month::February, later(), &defaults()).unwrap();
    assert_eq!(january.period.duration_millis(), 31 * MILLIS_PER_DAY);
    assert_eq!(february.period.duration_millis(), 28 * MILLIS_PER_DAY);
    assert_eq!(january.time_in_status.major_outage, HOUR);
    assert_eq!(february.time_in_status.major_outage, 90 * MINUTE);
    assert_eq!(january.period.to(), february.period.from());

    let last_day = daily_availability(&h, date(2026, 1, 31), later(), &defaults()).unwrap();
    let first_day = daily_availability(&h, date(2026, 2, 1), later(), &defaults()).unwrap();
    assert_eq!(last_day.time_in_status.major_outage, HOUR);
    assert_eq!(first_day.time_in_status.major_outage, 90 * MINUTE);
}

/// SPEC L1: an outage across New Year is split between the two years, and a
/// year is the sum of its months.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_outage_across_new_year_is_split_between_the_years() {
    let h = history(&[(
        t("2026-12-31T23:30:00Z"),
        t("2027-01-01T00:45:00Z"),
        MajorOutage,
    )]);
    let y2026 = yearly_availability(&h, 2026, later(), &defaults()).unwrap();
    let y2027 = yearly_availability(&h, 2027, later(), &defaults()).unwrap();
    assert_eq!(y2026.period.duration_millis(), 365 * MILLIS_PER_DAY);
    assert_eq!(y2026.time_in_status.major_outage, 30 * MINUTE);
    assert_eq!(y2027.time_in_status.major_outage, 45 * MINUTE);
    assert_eq!(y2026.period.to(), y2027.period.from());

    let december = monthly_availability(&h, 2026, Month::December, later(), &defaults()).unwrap();
    let january = monthly_availability(&h, 2027, Month::January, later(), &defaults()).unwrap();
    assert_eq!(december.time_in_status.major_outage, 30 * MINUTE);
    assert_eq!(january.time_in_status.major_outage, 45 * MINUTE);

    let months: i64 = MONTHS
        .iter()
        .map(|&m| Period::month(2026, m).unwrap().duration_millis())
        .sum();
    assert_eq!(months, y2026.period.duration_millis());
}

const MONTHS: [Month; 12] = [
    Month::January,
    Month::February,
    Month::March,
    Month::April,
    Month::May,
    Month::June,
    Month::July,
    Month::August,
    Month::September,
    Month::October,
    Month::November,
    Month::December,
];

/// SPEC L1: leap years: February 2028 has 29 days and 2028 has 366; an
/// outage on Feb 29 counts in February, not March; 2100 is no leap year.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn leap_years_have_a_29th_of_february() {
    assert_eq!(
        Period::month(2028, Month::February)
            .unwrap()
            .duration_millis(),
        29 * MILLIS_PER_DAY
    );
    assert_eq!(
        Period::month(2027, Month::February)
            .unwrap()
            .duration_millis(),
        28 * MILLIS_PER_DAY
    );
    assert_eq!(
        Period::month(2100, Month::February)
            .unwrap()
            .duration_millis(),
        28 * MILLIS_PER_DAY
    );
    assert_eq!(
        Period::month(2000, Month::February)
            .unwrap()
            .duration_millis(),
        29 * MILLIS_PER_DAY
    );
    assert_eq!(
        Period::year(2028).unwrap().duration_millis(),
        366 * MILLIS_PER_DAY
    );
    assert_eq!(
        Period::year(2027).unwrap().duration_millis(),
        365 * MILLIS_PER_DAY
    );

    let h = history(&[(
        t("2028-02-29T22:00:00Z"),
        t("2028-03-01T00:00:00Z"),
        MajorOutage,
    )]);
    let february = monthly_availability(&h, 2028, Month::February, later(), &defaults()).unwrap();
    let march = monthly_availability(&h, 2028, Month::March, later(), &defaults()).unwrap();
    assert_eq!(february.time_in_status.major_outage, 2 * HOUR);
    assert_eq!(march.time_in_status.major_outage, 0);
    let leap_day = daily_availability(&h, date(2028, 2, 29), later(), &defaults()).unwrap();
    assert_eq!(leap_day.time_in_status.major_outage, 2 * HOUR);
    assert_eq!(leap_day.percent(), 100.0 * 22.0 / 24.0);
}

/// SPEC L2: the remaining error budget is the downtime the SLO allows over
/// the period minus the weighted downtime used; it turns negative when the
/// budget is exceeded.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn error_budget_is_allowed_minus_used_and_may_go_negative() {
    let april = |outage: i64, status: ComponentStatus| {
        let start = t("2026-04-02T08:00:00Z");
        let h = history(&[(start, plus(start, outage), status)]);
        monthly_availability(&h, 2026, Month::April, later(), &defaults()).unwrap()
    };
    let allowed = 43 * MINUTE + 12_000;

    let budget = error_budget(&april(20 * MINUTE, MajorOutage), slo(99.9));
    assert_eq!(budget.allowed_millis, allowed);
    assert_eq!(budget.used_millis, 20 * MINUTE);
    assert_eq!(budget.remaining_millis, allowed - 20 * MINUTE);
    assert!(!budget.is_exceeded());

    let budget = error_budget(&april(HOUR, MajorOutage), slo(99.9));
    assert_eq!(budget.remaining_millis, allowed - HOUR);
    assert!(budget.remaining_millis < 0);
    assert!(budget.is_exceeded());

    // A partial outage uses 30 % of its time.
    let budget = error_budget(&april(HOUR, PartialOutage), slo(99.9));
    assert_eq!(budget.used_millis, 18 * MINUTE);

    // A stricter SLO allows less.
    let budget = error_budget(&april(0, MajorOutage), slo(99.99));
    assert_eq!(budget.allowed_millis, 259_200);
    assert_eq!(budget.remaining_millis, 259_200);
}

/// SPEC L1: SLOs are configurable per component, with a default.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn each_component_has_its_own_slo() {
    let api = ComponentId::parse("api").unwrap();
    let web = ComponentId::parse("web").unwrap();
    let mut policy = SloPolicy::new(slo(99.9));
    policy.per_component.insert(api.clone(), slo(99.95));
    assert_eq!(policy.slo_for(&api).parts_per_million(), 999_500);
    assert_eq!(policy.slo_for(&web), slo(99.9));

    assert!(Slo::from_percent(0.0).is_err());
    assert!(Slo::from_percent(100.5).is_err());
    assert!(Slo::from_percent(f64::NAN).is_err());
    assert_eq!(slo(100.0).parts_per_million(), 1_000_000);
    assert_eq!(slo(99.999).percent(), 99.999);
}

/// SPEC L1, L2: the current month counts only up to `now`; later changes
/// are ignored, while the error budget covers the whole month.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_current_month_counts_only_up_to_now() {
    let now = t("2026-04-10T12:00:00Z");
    let h = history_of(
        Operational,
        &[
            (t("2026-04-03T00:00:00Z"), MajorOutage),
            (t("2026-04-03T01:00:00Z"), Operational),
            // Recorded ahead of time (a planned outage); not observed yet.
            (t("2026-04-20T00:00:00Z"), MajorOutage),
        ],
    );
    let report = monthly_availability(&h, 2026, Month::April, now, &defaults()).unwrap();
    let observed = 9 * MILLIS_PER_DAY + 12 * HOUR;
    assert_eq!(report.observed.to(), now);
    assert_eq!(report.observed.duration_millis(), observed);
    assert_eq!(report.time_in_status.total_millis(), observed);
    assert_eq!(report.time_in_status.major_outage, HOUR);
    assert_eq!(
        report.percent(),
        100.0 * (observed - HOUR) as f64 / observed as f64
    );

    let budget = error_budget(&report, slo(99.9));
    assert_eq!(budget.allowed_millis, 43 * MINUTE + 12_000);
    assert_eq!(budget.used_millis, HOUR);

    // A month entirely in the future has observed nothing.
    let may = monthly_availability(&h, 2026, Month::May, now, &defaults()).unwrap();
    assert_eq!(may.observed.duration_millis(), 0);
    assert_eq!(may.percent(), 100.0);
}

/// SPEC L2, M3: the 90-day bars are exactly 90 UTC days, oldest first, the
/// last one today (counted up to now), each with its worst status.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn ninety_day_bars_end_today() {
    let now = t("2026-03-01T06:00:00Z");
    let h = history_of(
        Operational,
        &[
            (t("2026-02-28T23:00:00Z"), DegradedPerformance),
            (t("2026-02-28T23:10:00Z"), MajorOutage),
            (t("2026-03-01T01:00:00Z"), Operational),
        ],
    );
    let bars = ninety_day_bars(&h, now, &defaults());
    assert_eq!(bars.len(), BAR_DAYS);
    assert_eq!(bars.len(), 90);
    assert_eq!(bars[89].date, date(2026, 3, 1));
    assert_eq!(bars[88].date, date(2026, 2, 28));
    assert_eq!(bars[0].date, date(2025, 12, 2));
    assert!(bars
        .windows(2)
        .all(|pair| pair[0].date.succ_opt() == Some(pair[1].date)));

    assert_eq!(bars[88].worst_status, MajorOutage);
    assert_eq!(bars[88].time_in_status.major_outage, 50 * MINUTE);
    assert_eq!(bars[88].time_in_status.degraded_performance, 10 * MINUTE);
    assert_eq!(bars[89].worst_status, MajorOutage);
    assert_eq!(bars[89].time_in_status.total_millis(), 6 * HOUR);
    assert_eq!(bars[89].percent(), 100.0 * 5.0 / 6.0);
    assert!(bars[..88]
        .iter()
        .all(|bar| bar.worst_status == Operational && bar.percent() == 100.0));
}

/// SPEC L2: a history must be in chronological order and a period must not
/// end before it starts.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn histories_and_periods_refuse_disorder() {
    let later_change = StatusChange {
        at: t("2026-01-02T00:00:00Z"),
        status: MajorOutage,
    };
    let earlier_change = StatusChange {
        at: t("2026-01-01T00:00:00Z"),
        status: Operational,
    };
    assert_eq!(
        StatusHistory::new(Operational, vec![later_change, earlier_change]),
        Err(HistoryError::OutOfOrder {
            index: 1,
            previous: later_change.at,
            at: earlier_change.at,
        })
    );
    assert!(serde_json::from_str::<StatusHistory>(
        r#"{"initial":"operational","changes":[{"at":"2026-01-02T00:00:00Z","status":"major_outage"},{"at":"2026-01-01T00:00:00Z","status":"operational"}]}"#
    )
    .is_err());
    assert!(matches!(
        Period::new(later_change.at, earlier_change.at),
        Err(PeriodError::Reversed { .. })
    ));
    assert_eq!(
        Period::month(10_000, Month::January),
        Err(PeriodError::OutOfRange)
    );
}

/// SPEC L2: the status at an instant and the time in each status follow
/// the history exactly, including several changes at one instant.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn time_in_status_covers_the_period_exactly() {
    let at = t("2026-06-01T00:00:00Z");
    let h = history_of(
        PartialOutage,
        &[
            (plus(at, HOUR), DegradedPerformance),
            (plus(at, HOUR), MajorOutage),
            (plus(at, 3 * HOUR), Operational),
        ],
    );
    assert_eq!(h.status_at(plus(at, -1)), PartialOutage);
    assert_eq!(h.status_at(plus(at, HOUR)), MajorOutage);
    assert_eq!(h.status_at(plus(at, 3 * HOUR)), Operational);
    let period = Period::new(at, plus(at, 4 * HOUR)).unwrap();
    let time = TimeInStatus::of(&h, period);
    assert_eq!(time.partial_outage, HOUR);
    assert_eq!(time.degraded_performance, 0);
    assert_eq!(time.major_outage, 2 * HOUR);
    assert_eq!(time.operational, HOUR);
    assert_eq!(time.total_millis(), period.duration_millis());

    let report = availability(&h, period, later(), &defaults());
    assert_eq!(
        report.availability.downtime_millis(),
        2 * HOUR + 18 * MINUTE
    );
    assert_eq!(
        report.availability,
        Availability::from_time(&time, &defaults())
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const SPAN: i64 = 30 * MILLIS_PER_DAY;

    fn start() -> Timestamp {
        t("2026-04-01T00:00:00Z")
    }

    fn status() -> impl Strategy<Value = ComponentStatus> {
        prop::sample::select(ComponentStatus::ALL.to_vec())
    }

    fn any_history() -> impl Strategy<Value = StatusHistory> {
        (
            status(),
            prop::collection::vec((-MILLIS_PER_DAY..SPAN + MILLIS_PER_DAY, status()), 0..12),
        )
            .prop_map(|(initial, mut changes)| {
                changes.sort_by_key(|(offset, _)| *offset);
                let changes = changes
                    .into_iter()
                    .map(|(offset, status)| StatusChange {
                        at: plus(start(), offset),
                        status,
                    })
                    .collect();
                StatusHistory::new(initial, changes).unwrap()
            })
    }

    fn any_weights() -> impl Strategy<Value = DowntimeWeights> {
        prop::collection::vec(0u16..=1000, 3).prop_map(|mut w| {
            w.sort_unstable();
            let weight = |per_mille| DowntimeWeight::from_per_mille(per_mille).unwrap();
            DowntimeWeights::new(weight(w[2]), weight(w[1]), weight(w[0])).unwrap()
        })
    }

    /// `history` with `[from, to)` overwritten by a major outage.
    fn with_outage(history: &StatusHistory, from: Timestamp, to: Timestamp) -> StatusHistory {
        let mut changes: Vec<StatusChange> = history
            .changes()
            .iter()
            .copied()
            .filter(|c| c.at < from)
            .collect();
        changes.push(StatusChange {
            at: from,
            status: MajorOutage,
        });
        changes.push(StatusChange {
            at: to,
            status: history.status_at(to),
        });
        changes.extend(history.changes().iter().copied().filter(|c| c.at > to));
        StatusHistory::new(history.initial(), changes).unwrap()
    }

    proptest! {
        /// SPEC L2: availability is always a percentage within 0..=100 and the
        /// time in each status adds up to the observed period.
        #[test]
        fn availability_is_within_0_and_100(
            history in any_history(),
            weights in any_weights(),
            now_offset in -MILLIS_PER_DAY..SPAN * 2,
        ) {
            let period = Period::new(start(), plus(start(), SPAN)).unwrap();
            let report = availability(&history, period, plus(start(), now_offset), &weights);
            let percent = report.percent();
            prop_assert!((0.0..=100.0).contains(&percent), "{percent}");
            prop_assert_eq!(report.time_in_status.total_millis(), report.observed.duration_millis());
        }

        /// SPEC L2: adding downtime never raises availability.
        #[test]
        fn adding_downtime_never_raises_availability(
            history in any_history(),
            weights in any_weights(),
            a in 0..SPAN,
            b in 0..SPAN,
        ) {
            let (from, to) = (plus(start(), a.min(b)), plus(start(), a.max(b)));
            let period = Period::new(start(), plus(start(), SPAN)).unwrap();
            let before = availability(&history, period, later(), &weights);
            let worse = with_outage(&history, from, to);
            let after = availability(&worse, period, later(), &weights);
            prop_assert!(
                after.percent() <= before.percent(),
                "{} > {}", after.percent(), before.percent()
            );
            prop_assert!(
                after.availability.downtime_millis() >= before.availability.downtime_millis()
            );
        }
    }
}
