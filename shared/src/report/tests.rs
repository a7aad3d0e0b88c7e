//! The report engine against a generated history whose figures follow by
//! hand from the generator's rules (each expected value says how).

use super::*;
use crate::clearance::Reader;
use crate::role::Role;
use crate::service_level::{Slo, StatusChange};
use crate::status_page::ComponentStatus;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn jan1() -> Timestamp {
    at("2026-01-01T00:00:00Z")
}

/// The report's time: 2026-07-01, 181 days (4344 h) after 2026-01-01.
fn now() -> Timestamp {
    at("2026-07-01T00:00:00Z")
}

fn plus(t: Timestamp, millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(t.unix_millis() + millis)
}

/// Resolve durations in hours by `i % 8`.
const RESOLVE_HOURS: [i64; 8] = [1, 5, 12, 20, 48, 120, 240, 744];

/// 240 tickets over six months, ticket `i` created at 2026-01-01 + 18 h × i
/// (the last on 2026-06-29 06:00):
/// - `i % 24 == 23` discarded, `i % 24 == 11` a duplicate, the rest counted
///   (both excluded kinds have `i % 4 == 3`, `i % 3 == 2`, `i % 12 == 11`);
/// - priority P(`i % 4`); category by `i % 5`: Security, API, Database,
///   Network, API; group by `i % 3`: sre, dba, network; owner ana (even `i`)
///   or ben (odd); even `i` come from alertmanager, odd from a person;
/// - alert time (T4) `(i % 3 + 1) × 5` min before creation;
/// - counted tickets are paged 1 min after creation and acknowledged
///   `(i % 12)² + 1` min after the page;
/// - counted tickets with `i < 200` are closed: resolved `RESOLVE_HOURS[i % 8]`
///   after creation, monitoring 30 min before that, closed 2 h after it;
///   counted tickets with `i >= 200` are still investigating;
/// - system/host `core/core-{(i / 8) % 3}` for `i % 8 == 0`, else unique;
///   recurrence signature `disk-full` for `i % 8 == 4`.
fn generated() -> Vec<ReportTicket> {
    (0..240i64)
        .map(|i| {
            let created_at = plus(jan1(), i * 18 * HOUR);
            let discarded = i % 24 == 23;
            let duplicate = i % 24 == 11;
            let counted = !discarded && !duplicate;
            let mut times = LifecycleTimes {
                created_at: Some(created_at),
                alerted_at: Some(plus(created_at, -(i % 3 + 1) * 5 * MINUTE)),
                ..LifecycleTimes::default()
            };
            let status = if !counted {
                IncidentStatus::Discarded
            } else if i < 200 {
                let resolved = plus(created_at, RESOLVE_HOURS[(i % 8) as usize] * HOUR);
                times.mitigated_at = Some(plus(resolved, -30 * MINUTE));
                times.resolved_at = Some(resolved);
                times.closed_at = Some(plus(resolved, 2 * HOUR));
                IncidentStatus::Closed
            } else {
                IncidentStatus::Investigating
            };
            if counted {
                let paged = plus(created_at, MINUTE);
                times.first_paged_at = Some(paged);
                times.first_acknowledged_at = Some(plus(paged, ((i % 12).pow(2) + 1) * MINUTE));
            }
            let (system, hostname) = if i % 8 == 0 {
                ("core".to_owned(), format!("core-{}", (i / 8) % 3))
            } else {
                ("solo".to_owned(), format!("solo-{i}"))
            };
            ReportTicket {
                id: i + 1,
                title: Some(format!("ticket {}", i + 1)),
                priority: Priority::ALL[(i % 4) as usize],
                status,
                created_at,
                category: Some(
                    ["Security", "API", "Database", "Network", "API"][(i % 5) as usize].to_owned(),
                ),
                subcategory: Some(
                    if i % 2 == 0 {
                        "complete_loss_of_access"
                    } else {
                        "sporadic_or_local_problem"
                    }
                    .to_owned(),
                ),
                owner_group: Some(["sre", "dba", "network"][(i % 3) as usize].to_owned()),
                owner: Some(if i % 2 == 0 { "ana" } else { "ben" }.to_owned()),
                source_integration: (i % 2 == 0).then(|| "alertmanager".to_owned()),
                system: Some(system),
                hostname: Some(hostname),
                recurrence_signature: (i % 8 == 4).then(|| "disk-full".to_owned()),
                duplicate,
                restricted: false,
                times,
            }
        })
        .collect()
}

fn cleared() -> Vec<ReportTicket> {
    redact_for(Reader::Person(Role::Management), generated())
}

fn uncleared() -> Vec<ReportTicket> {
    redact_for(Reader::Person(Role::IncidentCommander), generated())
}

fn half_year() -> Period {
    Period::new(jan1(), now()).unwrap()
}

fn month(year: i32, month: u32) -> Period {
    PeriodKind::Month.containing(Timestamp::start_of_day(
        NaiveDate::from_ymd_opt(year, month, 1).unwrap(),
    ))
}

fn count(rows: &[DimensionRow], period: Period, value: &str) -> (u32, u32) {
    rows.iter()
        .find(|r| r.period == period && r.value == value)
        .map(|r| (r.count, r.previous))
        .unwrap_or((0, 0))
}

/// SPEC Q1, Q2: totals per UTC month. Month boundaries in hours after
/// 2026-01-01: Feb 744, Mar 1416, Apr 2160, May 2880, Jun 3624, Jul 4344;
/// ticket `i` falls in the month holding 18 i. January holds i = 0..=41
/// (42 tickets; 23 discarded, 11 and 35 duplicates), February 42..=78 (37;
/// 47, 71 discarded, 59 a duplicate), ..., June 202..=239 (38; 215, 239
/// discarded, 203, 227 duplicates; counted 200 and up are open).
/// Ticket 120 is created at 2026-04-01T00:00Z exactly and counts in April.
#[test]
fn monthly_totals_follow_utc_month_boundaries() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let rows = report.summary(PeriodKind::Month, half_year());
    assert_eq!(rows.len(), 6);
    let got: Vec<(u32, u32, u32, u32, u32)> = rows
        .iter()
        .map(|r| {
            let t = r.totals;
            (t.counted, t.open, t.closed, t.discarded, t.duplicates)
        })
        .collect();
    assert_eq!(
        got,
        [
            (39, 0, 39, 1, 2),
            (34, 0, 34, 2, 1),
            (37, 0, 37, 2, 2),
            (37, 0, 37, 1, 2),
            // May holds 160..=201; 200 and 201 are open.
            (39, 2, 37, 2, 1),
            (34, 34, 0, 2, 2),
        ]
    );
    assert_eq!(rows[0].period, month(2026, 1));
    assert_eq!(rows[1].previous, rows[0].totals);
    // December 2025 holds nothing.
    assert_eq!(rows[0].previous, Totals::default());
    assert_eq!(rows[3].period.from(), at("2026-04-01T00:00:00Z"));
}

/// SPEC Q1: ISO weeks start on Monday 00:00 UTC. 2026-01-01 is a Thursday,
/// so its week is 2025-12-29..2026-01-05 (96 h after Jan 1: i = 0..=5, the
/// last on Sunday 18:00) and the next 2026-01-05..01-12 (96 h to 264 h:
/// i = 6..=14, 11 a duplicate).
#[test]
fn iso_weeks_run_monday_to_monday_in_utc() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let second_week = Period::new(at("2026-01-05T00:00:00Z"), at("2026-01-12T00:00:00Z")).unwrap();
    let rows = report.summary(PeriodKind::Week, second_week);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].period, second_week);
    assert_eq!(rows[0].totals.counted, 8);
    assert_eq!(rows[0].totals.duplicates, 1);
    assert_eq!(rows[0].previous.counted, 6);
    assert_eq!(
        PeriodKind::Week.containing(jan1()).from(),
        at("2025-12-29T00:00:00Z")
    );
    assert_eq!(
        PeriodKind::Week
            .containing(at("2026-01-04T23:59:59.999Z"))
            .to(),
        at("2026-01-05T00:00:00Z")
    );
}

/// SPEC Q1, Q2: quarters and days. Q1 holds i = 0..=119 (2160 h), five of
/// each excluded kind; Q2 the other 120 the same. Day 2026-01-02 holds
/// i = 2 (36 h) only, 2026-01-01 holds 0 and 1.
#[test]
fn quarters_and_days_compare_with_the_period_before() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let quarters = report.summary(PeriodKind::Quarter, half_year());
    assert_eq!(quarters.len(), 2);
    assert_eq!(quarters[0].totals.counted, 110);
    assert_eq!(quarters[0].totals.discarded, 5);
    assert_eq!(quarters[0].totals.duplicates, 5);
    assert_eq!(quarters[1].period.from(), at("2026-04-01T00:00:00Z"));
    assert_eq!(quarters[1].totals.counted, 110);
    assert_eq!(quarters[1].previous.counted, 110);
    let day = PeriodKind::Day.containing(at("2026-01-02T12:00:00Z"));
    let days = report.summary(PeriodKind::Day, day);
    assert_eq!(days[0].totals.counted, 1);
    assert_eq!(days[0].previous.counted, 2);
}

/// SPEC Q1: by priority and category, January beside December and February
/// beside January. January (i = 0..=41, 11, 23, 35 excluded, all P3):
/// P0 0,4..40 = 11, P1 1..41 = 11, P2 2..38 = 10, P3 3..39 = 10 − 3 = 7.
/// February (42..=78, 47, 59, 71 excluded, all P3): P0 44..76 = 9,
/// P1 45..77 = 9, P2 42..78 = 10, P3 43..75 = 9 − 3 = 6. Categories in
/// January: Security `i % 5 == 0` 0..40 = 9 − 1 (35) = 8; API `i % 5` 1 or 4:
/// 9 − 1 (11) + 8 = 16; Database 2..37 = 8; Network 3..38 = 8 − 1 (23) = 7.
#[test]
fn counts_by_priority_and_category_per_month() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let range = Period::new(jan1(), at("2026-03-01T00:00:00Z")).unwrap();
    let rows = report.by_dimension(Dimension::Priority, PeriodKind::Month, range);
    let (jan, feb) = (month(2026, 1), month(2026, 2));
    assert_eq!(count(&rows, jan, "P0"), (11, 0));
    assert_eq!(count(&rows, jan, "P3"), (7, 0));
    assert_eq!(count(&rows, feb, "P0"), (9, 11));
    assert_eq!(count(&rows, feb, "P1"), (9, 11));
    assert_eq!(count(&rows, feb, "P2"), (10, 10));
    assert_eq!(count(&rows, feb, "P3"), (6, 7));
    let categories = report.by_dimension(Dimension::Category, PeriodKind::Month, jan);
    assert_eq!(count(&categories, jan, "Security"), (8, 0));
    assert_eq!(count(&categories, jan, "API"), (16, 0));
    assert_eq!(count(&categories, jan, "Database"), (8, 0));
    assert_eq!(count(&categories, jan, "Network"), (7, 0));
    // Subcategory and source split January by even and odd i:
    // even 0..40 = 21, odd 1..41 = 21 − 3 excluded (all odd) = 18.
    let sub = report.by_dimension(Dimension::Subcategory, PeriodKind::Month, jan);
    assert_eq!(count(&sub, jan, "complete_loss_of_access"), (21, 0));
    assert_eq!(count(&sub, jan, "sporadic_or_local_problem"), (18, 0));
    let source = report.by_dimension(Dimension::Source, PeriodKind::Month, jan);
    assert_eq!(count(&source, jan, "alertmanager"), (21, 0));
    assert_eq!(count(&source, jan, "person"), (18, 0));
    // Groups by i % 3 over 0..=41: 14 each; the excluded (i % 3 == 2) are network's.
    let groups = report.by_dimension(Dimension::Group, PeriodKind::Month, jan);
    assert_eq!(count(&groups, jan, "sre"), (14, 0));
    assert_eq!(count(&groups, jan, "dba"), (14, 0));
    assert_eq!(count(&groups, jan, "network"), (11, 0));
}

/// SPEC Q1: age buckets at 2026-07-01 over the 220 counted tickets. Closed
/// tickets (i < 200: 25 per `i % 8`, less the 8 excluded with `i % 8` 3 and
/// the 8 with `i % 8` 7) were open resolve + 2 h: 3, 7, 14, 22 h under a day
/// (25 + 25 + 25 + 17 = 92), 50 and 122 h 1-7 days (50), 242 h 7-30 days
/// (25), 746 h 30 days or more (17). Open tickets (i = 200..=238 less 203,
/// 215, 227: 36) are 4344 − 18 i hours old: i = 200, 201 (744 h, 726 h)
/// 30 days or more; i = 202..=232 (at least 168 h) less 203, 215, 227 (28)
/// 7-30 days; 233..=238 (6) 1-7 days.
#[test]
fn age_buckets_at_the_report_time() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let rows = report.by_dimension(Dimension::Age, PeriodKind::Quarter, half_year());
    let total = |value: &str| -> u32 {
        rows.iter()
            .filter(|r| r.value == value && r.period.from() >= jan1())
            .map(|r| r.count)
            .sum()
    };
    assert_eq!(total("under_1_day"), 92);
    assert_eq!(total("1_to_7_days"), 50 + 6);
    assert_eq!(total("7_to_30_days"), 25 + 28);
    assert_eq!(total("over_30_days"), 17 + 2);
    assert_eq!(AgeBucket::of(DAY - 1), AgeBucket::UnderOneDay);
    assert_eq!(AgeBucket::of(DAY), AgeBucket::OneToSevenDays);
    assert_eq!(AgeBucket::of(7 * DAY), AgeBucket::SevenToThirtyDays);
    assert_eq!(AgeBucket::of(30 * DAY), AgeBucket::OverThirtyDays);
}

/// Milliseconds of `h` hours, `m` minutes and `s` seconds.
fn hms(h: i64, m: i64, s: i64) -> i64 {
    h * HOUR + m * MINUTE + s * 1_000
}

/// SPEC Q1, Q5: response times over the half year, over the 220 counted
/// tickets; discarded (10) and duplicates (10) are left out and counted apart.
/// - detect `(i % 3 + 1) × 5` min; the excluded all have `i % 3 == 2`, so
///   80 × 5, 80 × 10, 60 × 15 min: median (110th, 111th) 10 min, p90 (198th)
///   15 min, mean 2100 / 220 min = 572 727.27 ms;
/// - acknowledge `(i % 12)² + 1` min for `i % 12` in 0..=10, 20 each:
///   1, 2, 5, 10, 17, 26, 37, 50, 65, 82, 101 min: median 26 min, p90
///   (198th, the 10th value) 82 min, mean 396 / 11 = 36 min;
/// - resolve over the 184 closed: hours 1, 5, 12 (25 each), 20 (17), 48,
///   120, 240 (25 each), 744 (17): median (92nd 20 h, 93rd 48 h) 34 h, p90
///   (166th) 240 h, mean (25 × 426 + 17 × 764) / 184 h = 23 638 / 184 h;
/// - close = resolve + 2 h: median 36 h, p90 242 h, mean + 2 h;
/// - mitigate = detect + resolve − 30 min: the 92nd is the largest of the
///   20 h group (`i % 24` 3 or 19, detect at most 10 min) = 19 h 40 min, the
///   93rd the smallest of the 48 h group (detect 5 min) = 47 h 35 min:
///   median 33 h 37 min 30 s.
#[test]
fn response_times_give_median_p90_and_mean() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let times = report.response_times(half_year());
    assert_eq!(times.excluded_discarded, 10);
    assert_eq!(times.excluded_duplicates, 10);
    assert_eq!(times.excluded_restricted, 0);
    let stats = |m| times.stats(m).unwrap();
    assert_eq!(
        stats(Measure::Detect),
        Stats {
            samples: 220,
            median_millis: 10 * MINUTE,
            p90_millis: 15 * MINUTE,
            mean_millis: 2100 * MINUTE / 220,
        }
    );
    assert_eq!(
        stats(Measure::Acknowledge),
        Stats {
            samples: 220,
            median_millis: 26 * MINUTE,
            p90_millis: 82 * MINUTE,
            mean_millis: 36 * MINUTE,
        }
    );
    let resolve_mean = 23_638 * HOUR / 184;
    assert_eq!(
        stats(Measure::Resolve),
        Stats {
            samples: 184,
            median_millis: 34 * HOUR,
            p90_millis: 240 * HOUR,
            mean_millis: resolve_mean,
        }
    );
    assert_eq!(
        stats(Measure::Close),
        Stats {
            samples: 184,
            median_millis: 36 * HOUR,
            p90_millis: 242 * HOUR,
            mean_millis: resolve_mean + 2 * HOUR,
        }
    );
    let mitigate = stats(Measure::Mitigate);
    assert_eq!(mitigate.samples, 184);
    assert_eq!(mitigate.median_millis, hms(33, 37, 30));
}

/// Median of an even count is the mean of the middle two; the 90th
/// percentile is the nearest rank.
#[test]
fn stats_of_small_samples() {
    assert_eq!(Stats::of(vec![]), None);
    let one = Stats::of(vec![7]).unwrap();
    assert_eq!(
        (one.median_millis, one.p90_millis, one.mean_millis),
        (7, 7, 7)
    );
    let ten = Stats::of((1..=10).rev().collect()).unwrap();
    assert_eq!(ten.median_millis, 5); // (5 + 6) / 2 rounded down
    assert_eq!(ten.p90_millis, 9); // ceil(9.0) = 9th
    let eleven = Stats::of((1..=11).collect()).unwrap();
    assert_eq!(eleven.median_millis, 6);
    assert_eq!(eleven.p90_millis, 10); // ceil(9.9) = 10th
    assert_eq!(eleven.mean_millis, 6);
}

/// SPEC Q3: overdue at 2026-07-01 against P0 24 h, P1 72 h, P2 168 h,
/// P3 720 h. The 36 open tickets (i = 200..=238 less 203, 215, 227) are
/// 4344 − 18 i hours old (at least 60 h): all 10 open P0 (200, 204..236),
/// all 10 open P1 (201..237, i ≤ 237 is over 72 h), the open P2 with
/// i < 232 (202..230: 8), no P3 (over 720 h needs i ≤ 201). 28 in all:
/// ana (even i) 18, ben 10; by group (`i % 3`) network 10, sre 9, dba 9.
/// The most overdue is 200 (P0, 744 h old): 720 h over.
#[test]
fn overdue_per_owner_and_group_against_close_targets() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let overdue = report.overdue(&CloseTargets::default(), &[]);
    assert_eq!(overdue.items.len(), 28);
    assert_eq!(overdue.items[0].item, "incident 201"); // ticket i = 200
    assert_eq!(overdue.items[0].overdue_millis, 720 * HOUR);
    let counts = |rows: &[OverdueCount]| -> Vec<(String, u32)> {
        rows.iter().map(|r| (r.name.clone(), r.overdue)).collect()
    };
    assert_eq!(
        counts(&overdue.by_owner),
        [("ana".to_owned(), 18), ("ben".to_owned(), 10)]
    );
    assert_eq!(
        counts(&overdue.by_group),
        [
            ("dba".to_owned(), 9),
            ("network".to_owned(), 9 + 1),
            ("sre".to_owned(), 9)
        ]
    );
    // A 240 h P3 target: 4344 − 18 i > 240 h for i < 228, so of the open P3
    // (207, 211, 219, 223, 231, 235) four more are overdue.
    let tight = CloseTargets {
        p3_hours: 240,
        ..CloseTargets::default()
    };
    assert_eq!(report.overdue(&tight, &[]).items.len(), 28 + 4);
}

/// SPEC Q3: follow-up items (problems, remediation) join the overdue table
/// once past due, unless done.
#[test]
fn follow_up_items_count_when_past_due() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let item = |name: &str, due_at: Timestamp, done: bool| FollowUpItem {
        item: name.to_owned(),
        owner: Some("cleo".to_owned()),
        group: Some("sre".to_owned()),
        due_at,
        done,
    };
    let follow_ups = [
        item("remediation 1", plus(now(), -2 * HOUR), false),
        item("remediation 2", plus(now(), -2 * HOUR), true),
        item("remediation 3", plus(now(), 2 * HOUR), false),
    ];
    let overdue = report.overdue(&CloseTargets::default(), &follow_ups);
    assert_eq!(overdue.items.len(), 29);
    let cleo = overdue.by_owner.iter().find(|r| r.name == "cleo").unwrap();
    assert_eq!(cleo.overdue, 1);
    let sre = overdue.by_group.iter().find(|r| r.name == "sre").unwrap();
    assert_eq!(sre.overdue, 10);
    assert!(overdue.items.iter().any(|i| i.item == "remediation 1"));
}

/// SPEC Q4: repeat cases per system/host and per recurrence signature.
/// `i % 8 == 0` (30 tickets, all counted: even) run on core-0, core-1,
/// core-2 by `(i / 8) % 3`, 10 each; every other counted ticket has its own
/// host. 220 keyed, 3 repeat cases repeating 9 times each: 27 / 220.
/// Signature `disk-full` on `i % 8 == 4`: 30 tickets, one case; in January
/// 4, 12, 20, 28, 36.
#[test]
fn repeat_cases_and_recurrence_rate() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let hosts = report.repeats(half_year(), RepeatKey::SystemHost);
    assert_eq!(hosts.keyed_tickets, 220);
    assert_eq!(hosts.repeating_tickets, 27);
    assert!((hosts.recurrence_percent() - 2700.0 / 220.0).abs() < 1e-9);
    let keys: Vec<(&str, usize)> = hosts
        .cases
        .iter()
        .map(|c| (c.key.as_str(), c.incidents.len()))
        .collect();
    assert_eq!(
        keys,
        [
            ("core/core-0", 10),
            ("core/core-1", 10),
            ("core/core-2", 10)
        ]
    );
    // core-0 holds i = 0, 24, 48, ...: ids i + 1.
    assert_eq!(hosts.cases[0].incidents[..3], [1, 25, 49]);
    let january = report.repeats(month(2026, 1), RepeatKey::Signature);
    assert_eq!(january.keyed_tickets, 5);
    assert_eq!(january.repeating_tickets, 4);
    assert_eq!(january.cases[0].incidents, [5, 13, 21, 29, 37]);
    let all = report.repeats(half_year(), RepeatKey::Signature);
    assert_eq!((all.keyed_tickets, all.repeating_tickets), (30, 29));
}

/// SPEC K3, Q1: a reader without clearance sees Security tickets only as a
/// restricted count: 44 of the counted (`i % 5 == 0`, less 35, 95, 155,
/// 215 excluded; January 8), under "restricted" in every breakdown, and in
/// no response time, overdue or repeat table.
#[test]
fn security_counts_only_as_restricted_without_clearance() {
    let tickets = uncleared();
    let restricted: Vec<&ReportTicket> = tickets.iter().filter(|t| t.restricted).collect();
    assert_eq!(restricted.len(), 48);
    assert!(restricted
        .iter()
        .all(|t| t.category.is_none() && t.owner.is_none() && t.system.is_none()));
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let jan = month(2026, 1);
    let summary = report.summary(PeriodKind::Month, jan);
    assert_eq!(summary[0].totals.restricted, 8);
    assert_eq!(summary[0].totals.counted, 39);
    let categories = report.by_dimension(Dimension::Category, PeriodKind::Month, jan);
    assert_eq!(count(&categories, jan, "Security"), (0, 0));
    assert_eq!(count(&categories, jan, RESTRICTED), (8, 0));
    assert_eq!(count(&categories, jan, "API"), (16, 0));
    // P0 in January less the Security ones (0, 20, 40).
    let priorities = report.by_dimension(Dimension::Priority, PeriodKind::Month, jan);
    assert_eq!(count(&priorities, jan, "P0"), (8, 0));
    assert_eq!(count(&priorities, jan, RESTRICTED), (8, 0));
    let times = report.response_times(half_year());
    assert_eq!(times.excluded_restricted, 44);
    assert_eq!(times.stats(Measure::Acknowledge).unwrap().samples, 176);
    // Overdue Security tickets: 200, 220 (P0), 205, 225 (P1), 210, 230 (P2).
    let overdue = report.overdue(&CloseTargets::default(), &[]);
    assert_eq!(overdue.items.len(), 22);
    assert_eq!(overdue.by_owner[0].overdue, 14);
    // Core tickets with i % 40 == 0 (0, 40, ..., 200) leave two per host.
    let hosts = report.repeats(half_year(), RepeatKey::SystemHost);
    assert_eq!(hosts.keyed_tickets, 176);
    assert_eq!(hosts.repeating_tickets, 21);
    // The security team sees them in full.
    let security = redact_for(Reader::Person(Role::Security), generated());
    assert!(security.iter().all(|t| !t.restricted));
}

/// SPEC Q1: filters by priority, category and group; restricted tickets
/// match a filter on priority alone.
#[test]
fn filters_narrow_every_table() {
    let tickets = uncleared();
    let jan = month(2026, 1);
    let p0 = ReportFilter {
        priority: Some(Priority::P0),
        ..ReportFilter::default()
    };
    let rows = Report::new(&tickets, &p0, now()).summary(PeriodKind::Month, jan);
    assert_eq!(rows[0].totals.counted, 11);
    assert_eq!(rows[0].totals.restricted, 3);
    let api_sre = ReportFilter {
        category: Some("api".to_owned()),
        group: Some("SRE".to_owned()),
        ..ReportFilter::default()
    };
    // API (i % 5 in 1, 4) and sre (i % 3 == 0) in 0..=41: 6, 9, 21, 24, 36, 39.
    let rows = Report::new(&tickets, &api_sre, now()).summary(PeriodKind::Month, jan);
    assert_eq!(rows[0].totals.counted, 6);
    assert_eq!(rows[0].totals.restricted, 0);
    let security = ReportFilter {
        category: Some("Security".to_owned()),
        ..ReportFilter::default()
    };
    let rows = Report::new(&tickets, &security, now()).summary(PeriodKind::Month, jan);
    assert_eq!(rows[0].totals.counted, 0);
}

/// SPEC L1, L2: availability per component per month against its SLO, from
/// the service-level math: 43 min 12 s of major outage in April (30 days) is
/// 99.9 %, which meets 99.9 % and misses 99.95 %; May is whole.
#[test]
fn availability_per_component_per_month() {
    let api = ComponentId::parse("api").unwrap();
    let db = ComponentId::parse("db").unwrap();
    let outage = StatusHistory::new(
        ComponentStatus::Operational,
        vec![
            StatusChange {
                at: at("2026-04-10T00:00:00Z"),
                status: ComponentStatus::MajorOutage,
            },
            StatusChange {
                at: at("2026-04-10T00:43:12Z"),
                status: ComponentStatus::Operational,
            },
        ],
    )
    .unwrap();
    let components = [(api.clone(), outage.clone()), (db.clone(), outage)];
    let mut policy = SloPolicy::new(Slo::from_percent(99.9).unwrap());
    policy
        .per_component
        .insert(db.clone(), Slo::from_percent(99.95).unwrap());
    let range = Period::new(at("2026-04-01T00:00:00Z"), at("2026-06-01T00:00:00Z")).unwrap();
    let rows = monthly_availability_table(
        &components,
        &policy,
        &DowntimeWeights::default(),
        range,
        now(),
    );
    assert_eq!(rows.len(), 4);
    let april_api = &rows[0];
    assert_eq!(april_api.component, api);
    assert_eq!(april_api.month, month(2026, 4));
    assert!((april_api.percent - 99.9).abs() < 1e-9);
    assert!(april_api.meets_slo);
    assert_eq!(april_api.budget_remaining_millis, 0);
    assert_eq!(rows[1].month, month(2026, 5));
    assert_eq!(rows[1].percent, 100.0);
    let april_db = &rows[2];
    assert_eq!(april_db.component, db);
    assert!(!april_db.meets_slo);
    assert!(april_db.budget_remaining_millis < 0);
}

/// SPEC Q1: the lifecycle times come from the timeline: the first page and
/// acknowledgement, the first change to monitoring, the last to resolved
/// and closed (a reopened ticket resolves again).
#[test]
fn lifecycle_times_are_read_from_the_timeline() {
    use crate::lifecycle::Transition;
    use crate::timeline::{AcknowledgedVia, Acknowledgement, StatusChanged, WorkLog};
    let status = |from, to, transition| {
        TimelineEvent::StatusChanged(StatusChanged {
            from,
            to,
            transition,
            priority_decision: None,
        })
    };
    let ack = |by: &str| {
        TimelineEvent::Acknowledged(Acknowledgement {
            by: by.to_owned(),
            via: AcknowledgedVia::Api,
        })
    };
    use IncidentStatus::*;
    let events = [
        ("2026-03-01T10:05:00Z", ack("ana")),
        ("2026-03-01T10:06:00Z", ack("ben")),
        (
            "2026-03-01T11:00:00Z",
            status(Identified, Monitoring, Transition::Monitor),
        ),
        (
            "2026-03-01T12:00:00Z",
            status(Monitoring, Resolved, Transition::Resolve),
        ),
        (
            "2026-03-01T12:30:00Z",
            status(Resolved, Investigating, Transition::Reopen),
        ),
        (
            "2026-03-01T13:00:00Z",
            status(Investigating, Monitoring, Transition::Monitor),
        ),
        (
            "2026-03-01T14:00:00Z",
            status(Monitoring, Resolved, Transition::Resolve),
        ),
        (
            "2026-03-01T15:00:00Z",
            TimelineEvent::WorkLog(WorkLog {
                text: "done".to_owned(),
            }),
        ),
    ];
    let alerted = at("2026-03-01T09:55:00Z");
    let facts = TimelineFacts::read(
        Some(alerted),
        events.iter().map(|(when, event)| (at(when), event)),
    );
    assert_eq!(facts.times.alerted_at, Some(alerted));
    assert_eq!(
        facts.times.first_acknowledged_at,
        Some(at("2026-03-01T10:05:00Z"))
    );
    assert_eq!(facts.times.mitigated_at, Some(at("2026-03-01T11:00:00Z")));
    assert_eq!(facts.times.resolved_at, Some(at("2026-03-01T14:00:00Z")));
    assert_eq!(facts.times.closed_at, None);
    assert_eq!(facts.owner.as_deref(), Some("ben"));
    assert!(!facts.alerts_moved_away);
}

/// SPEC Q2: periods cover a range oldest first; the period before a
/// quarter is the quarter before, across a year boundary.
#[test]
fn periods_cover_a_range_and_step_back() {
    let q1 = PeriodKind::Quarter.containing(at("2026-02-14T08:00:00Z"));
    assert_eq!(q1.from(), at("2026-01-01T00:00:00Z"));
    assert_eq!(q1.to(), at("2026-04-01T00:00:00Z"));
    let q4 = PeriodKind::Quarter.previous(q1);
    assert_eq!(q4.from(), at("2025-10-01T00:00:00Z"));
    let dec = PeriodKind::Month.previous(month(2026, 1));
    assert_eq!(dec.from(), at("2025-12-01T00:00:00Z"));
    assert_eq!(PeriodKind::Month.covering(half_year()).len(), 6);
    assert_eq!(PeriodKind::Week.covering(half_year()).len(), 27);
    assert_eq!(PeriodKind::parse("week"), Some(PeriodKind::Week));
    assert_eq!(Dimension::parse("age"), Some(Dimension::Age));
    assert_eq!(Dimension::parse("owner"), None);
}

/// SPEC Q1, V10: a ticket whose alerts moved to another incident and that
/// was then discarded counts as a duplicate, apart from other discards.
#[test]
fn a_discarded_ticket_whose_alerts_moved_is_a_duplicate() {
    use crate::timeline::AlertMove;
    let moved = TimelineEvent::AlertDetached(AlertMove {
        alert_id: 7,
        integration: "alertmanager".to_owned(),
        dedup_key: "disk-full".to_owned(),
        summary: "Disk full".to_owned(),
        from_incident: None,
        to_incident: Some(3),
    });
    let facts = TimelineFacts::read(None, [(jan1(), &moved)]);
    assert!(facts.alerts_moved_away);
    let mut tickets = generated();
    tickets.truncate(2);
    for ticket in &mut tickets {
        ticket.status = IncidentStatus::Discarded;
    }
    tickets[0].duplicate = facts.alerts_moved_away;
    assert_eq!(tickets[0].kind(), TicketKind::Duplicate);
    assert_eq!(tickets[1].kind(), TicketKind::Discarded);
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let day = PeriodKind::Day.containing(jan1());
    let totals = report.summary(PeriodKind::Day, day)[0].totals;
    assert_eq!(
        (totals.counted, totals.discarded, totals.duplicates),
        (0, 1, 1)
    );
}

/// SPEC Q1, Q2: the charts' trends per month. January (i = 0..=41) creates
/// P0 11, P1 11, P2 10, P3 7 counted tickets (as by dimension). Of its 39
/// counted tickets, these end after January (744 h): `i % 8 == 7` resolve
/// after 744 h (7, 15, 31, 39), `i % 8 == 6` after 240 h (30: 780 h, 38:
/// 924 h) and `i % 8 == 5` after 120 h (37: 786 h); so 32 are resolved in
/// January. Those 7 are open at its end, aged 744 − 18 i hours: 7 (618 h),
/// 15 (474 h), 30 (204 h), 31 (186 h) 7 to 30 days; 37 (78 h), 38 (60 h),
/// 39 (42 h) 1 to 7 days; and so is 41, resolved at 743 h but closed 2 h
/// later (6 h old: under 1 day). June is the current month: its backlog is read at
/// `now` (4344 h), the 36 counted tickets from 200 up, aged 4344 − 18 i
/// hours: 200 and 201 (744 h, 726 h) 30 days or more, 233..=238 (150 h down
/// to 60 h) 1 to 7 days, the 28 others (202..=232 less 203, 215, 227) 7 to
/// 30 days.
#[test]
fn trends_per_month_give_created_resolved_and_backlog() {
    let tickets = cleared();
    let report = Report::new(&tickets, &ReportFilter::default(), now());
    let points = report.trends(PeriodKind::Month, half_year());
    assert_eq!(points.len(), 6);
    let january = &points[0];
    assert_eq!(january.period, month(2026, 1));
    assert_eq!(january.created_by_priority, [11, 11, 10, 7]);
    assert_eq!(january.created(), 39);
    assert_eq!(january.resolved, 32);
    assert_eq!(january.backlog, [1, 3, 4, 0]);
    let june = &points[5];
    assert_eq!(june.period, month(2026, 6));
    assert_eq!(june.backlog, [0, 6, 28, 2]);
    // Every month's created count is the summary's counted total.
    let summary = report.summary(PeriodKind::Month, half_year());
    for (point, row) in points.iter().zip(&summary) {
        assert_eq!(point.created(), row.totals.counted, "{:?}", point.period);
        assert_eq!(
            point.response,
            report.response_times(point.period).measures,
            "{:?}",
            point.period
        );
    }
    // Every counted ticket created up to May has ended by now: the months'
    // resolved counts add up to the counted tickets below 200: 200 less the
    // 8 discarded (23..=191) and 8 duplicates (11..=179).
    let resolved: u32 = points.iter().map(|p| p.resolved).sum();
    assert_eq!(resolved, 184);
}

/// SPEC Q2, K3: without clearance, Security tickets still count in the
/// trends' created, resolved and backlog figures (as restricted), but not in
/// their response times.
#[test]
fn trends_count_restricted_tickets_without_their_times() {
    let (cleared, uncleared) = (cleared(), uncleared());
    let full = Report::new(&cleared, &ReportFilter::default(), now());
    let restricted = Report::new(&uncleared, &ReportFilter::default(), now());
    let (full, restricted) = (
        full.trends(PeriodKind::Month, half_year()),
        restricted.trends(PeriodKind::Month, half_year()),
    );
    for (a, b) in full.iter().zip(&restricted) {
        assert_eq!(a.created_by_priority, b.created_by_priority);
        assert_eq!(a.resolved, b.resolved);
        assert_eq!(a.backlog, b.backlog);
    }
    // January's 8 counted Security tickets are left out of its times.
    let samples = |p: &TrendPoint| p.stats(Measure::Acknowledge).map(|s| s.samples);
    assert_eq!(samples(&full[0]), Some(39));
    assert_eq!(samples(&restricted[0]), Some(31));
}

/// SPEC Q2: the filters narrow the trends too; a week's trend starts on the
/// Monday before the range.
#[test]
fn trends_follow_the_filter_and_the_period_kind() {
    let tickets = cleared();
    let p0 = ReportFilter {
        priority: Some(Priority::P0),
        ..ReportFilter::default()
    };
    let report = Report::new(&tickets, &p0, now());
    let points = report.trends(PeriodKind::Month, half_year());
    assert_eq!(points[0].created_by_priority, [11, 0, 0, 0]);
    let weeks = Report::new(&tickets, &ReportFilter::default(), now()).trends(
        PeriodKind::Week,
        Period::new(jan1(), at("2026-01-12T00:00:00Z")).unwrap(),
    );
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0].period.from(), at("2025-12-29T00:00:00Z"));
    // i = 0..=5 in the first week, 6..=14 (11 a duplicate) in the second.
    assert_eq!(weeks[0].created(), 6);
    assert_eq!(weeks[1].created(), 8);
    assert_eq!(Measure::parse("resolve"), Some(Measure::Resolve));
    assert_eq!(Measure::parse("fast"), None);
}

/// SPEC Q2: the periods' names on the charts' axes, in UTC; 2026-01-01 is in
/// ISO week 1 of 2026, and 2027-01-01 (a Friday) in week 53 of 2026.
#[test]
fn periods_are_named_for_the_axis() {
    let named = |kind: PeriodKind, text: &str| kind.label(kind.containing(at(text)));
    assert_eq!(named(PeriodKind::Day, "2026-01-05T23:59:59Z"), "2026-01-05");
    assert_eq!(named(PeriodKind::Week, "2026-01-01T00:00:00Z"), "2026-W01");
    assert_eq!(named(PeriodKind::Week, "2026-01-05T00:00:00Z"), "2026-W02");
    assert_eq!(named(PeriodKind::Week, "2027-01-01T12:00:00Z"), "2026-W53");
    assert_eq!(named(PeriodKind::Month, "2026-02-28T23:00:00Z"), "2026-02");
    assert_eq!(
        named(PeriodKind::Quarter, "2026-08-15T00:00:00Z"),
        "2026-Q3"
    );
}

/// SPEC Q3: a close target is 1 hour to a year, and a more urgent priority
/// never has longer than a less urgent one; the refusal names the field.
#[test]
fn close_targets_are_checked_field_by_field() {
    assert_eq!(CloseTargets::default().validate(), Ok(()));
    let with = |p0, p1, p2, p3| CloseTargets {
        p0_hours: p0,
        p1_hours: p1,
        p2_hours: p2,
        p3_hours: p3,
    };
    assert_eq!(with(1, 1, 1, 1).validate(), Ok(()));
    let field = |t: CloseTargets| t.validate().unwrap_err().field;
    assert_eq!(field(with(0, 1, 2, 3)), "p0_hours");
    assert_eq!(
        field(with(1, 2, 3, CloseTargets::MAX_HOURS + 1)),
        "p3_hours"
    );
    assert_eq!(field(with(4, 3, 5, 6)), "p1_hours");
    assert_eq!(field(with(1, 2, 5, 4)), "p3_hours");
}

/// SPEC Q1: an impact start comes before the first alert or report, is not
/// in the future and at most a year earlier; the last one set counts, and
/// time to detect runs from it to the alert time (or the creation, if earlier).
#[test]
fn impact_start_measures_detection() {
    let created = jan1();
    let alerted = plus(created, -10 * MINUTE);
    let now = plus(created, DAY);
    assert!(check_impact_start(plus(alerted, -MINUTE), created, Some(alerted), now).is_ok());
    assert!(check_impact_start(plus(alerted, MINUTE), created, Some(alerted), now).is_err());
    assert!(check_impact_start(plus(now, MINUTE), plus(now, 2 * MINUTE), None, now).is_err());
    assert!(check_impact_start(plus(created, -366 * DAY), created, None, now).is_err());
    let set = |at: Timestamp| {
        TimelineEvent::ImpactStartSet(crate::timeline::ImpactStart {
            impact_started_at: at,
            previous: None,
        })
    };
    let (first, second) = (set(plus(alerted, -HOUR)), set(plus(alerted, -5 * MINUTE)));
    let facts = TimelineFacts::read(
        Some(alerted),
        [(created, &first), (plus(created, MINUTE), &second)],
    );
    assert_eq!(
        facts.times.impact_started_at,
        Some(plus(alerted, -5 * MINUTE))
    );
    let mut ticket = generated().remove(1);
    ticket.created_at = created;
    ticket.times = facts.times;
    assert_eq!(Measure::Detect.millis(&ticket), Some(5 * MINUTE));
    ticket.times.impact_started_at = None;
    assert_eq!(Measure::Detect.millis(&ticket), Some(10 * MINUTE));
}
