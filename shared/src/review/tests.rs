//! The review page of November 2026 against October, from a small history
//! whose every figure is counted by hand in the comments.

use super::*;
use crate::report::LifecycleTimes;
use crate::role::Role;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn plus(t: Timestamp, millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(t.unix_millis() + millis)
}

/// 2026-12-01: the review of November is held the day after.
fn now() -> Timestamp {
    at("2026-12-02T09:00:00Z")
}

fn november() -> Period {
    PeriodKind::Month.containing(at("2026-11-15T00:00:00Z"))
}

fn ticket(id: i64, priority: Priority, status: IncidentStatus, created: &str) -> ReportTicket {
    ReportTicket {
        id,
        title: Some(format!("incident {id}")),
        priority,
        status,
        created_at: at(created),
        category: Some("API".to_owned()),
        subcategory: None,
        owner_group: Some("sre".to_owned()),
        owner: Some("ana".to_owned()),
        source_integration: None,
        system: None,
        hostname: None,
        recurrence_signature: None,
        duplicate: false,
        restricted: false,
        times: LifecycleTimes::default(),
    }
}

/// Paged at creation, acknowledged `ack_minutes` later.
fn acknowledged(mut t: ReportTicket, ack_minutes: i64) -> ReportTicket {
    t.times.first_paged_at = Some(t.created_at);
    t.times.first_acknowledged_at = Some(plus(t.created_at, ack_minutes * MINUTE));
    t
}

fn on_host(mut t: ReportTicket, system: &str, host: &str) -> ReportTicket {
    t.system = Some(system.to_owned());
    t.hostname = Some(host.to_owned());
    t
}

fn security(mut t: ReportTicket) -> ReportTicket {
    t.category = Some("Security".to_owned());
    t
}

/// October: 5 P1 (closed; acknowledged after 4, 5, 6, 7, 8 min: median 6),
/// two of them on db/db-1. November: 7 P1 (closed; acknowledged after 2, 3,
/// 3, 3, 4, 5, 9 min: median 3), two on db/db-1 (not new) and two on
/// web/w-1 (new); one P2 still open; and open since September: a P0 on the
/// API and a Security P1.
fn tickets() -> Vec<ReportTicket> {
    use IncidentStatus::{Closed, Investigating};
    let mut tickets = Vec::new();
    for (i, ack) in [4, 5, 6, 7, 8].into_iter().enumerate() {
        let day = format!("2026-10-{:02}T10:00:00Z", 2 + i * 5);
        let mut t = acknowledged(ticket(10 + i as i64, Priority::P1, Closed, &day), ack);
        if i < 2 {
            t = on_host(t, "db", "db-1");
        }
        tickets.push(t);
    }
    for (i, ack) in [2, 3, 3, 3, 4, 5, 9].into_iter().enumerate() {
        let day = format!("2026-11-{:02}T10:00:00Z", 2 + i * 4);
        let mut t = acknowledged(ticket(20 + i as i64, Priority::P1, Closed, &day), ack);
        t = match i {
            0 | 1 => on_host(t, "db", "db-1"),
            2 | 3 => on_host(t, "web", "w-1"),
            _ => t,
        };
        tickets.push(t);
    }
    tickets.push(ticket(
        30,
        Priority::P2,
        Investigating,
        "2026-11-20T10:00:00Z",
    ));
    tickets.push(ticket(
        1,
        Priority::P0,
        Investigating,
        "2026-09-10T10:00:00Z",
    ));
    tickets.push(security(ticket(
        2,
        Priority::P1,
        Investigating,
        "2026-09-12T10:00:00Z",
    )));
    tickets
}

fn problems() -> Vec<ReviewProblem> {
    let problem = |id, days_old: i64, has_root_cause, category: Option<Category>| ReviewProblem {
        id,
        title: format!("problem {id}"),
        priority: Priority::P1,
        open: true,
        opened_at: plus(now(), -days_old * DAY),
        has_root_cause,
        owner: Some("ben".to_owned()),
        category,
    };
    let mut closed = problem(5, 60, false, None);
    closed.open = false;
    vec![
        problem(1, 20, false, None),
        problem(2, 30, true, None),
        problem(3, 10, false, None),
        problem(4, 40, false, Some(Category::security())),
        closed,
    ]
}

fn reports() -> Vec<ReviewReport> {
    vec![
        ReviewReport {
            problem: 1,
            title: "DB failover".to_owned(),
            since: plus(now(), -2 * DAY),
            category: None,
        },
        ReviewReport {
            problem: 2,
            title: "Login outage".to_owned(),
            since: plus(now(), -5 * DAY),
            category: None,
        },
        ReviewReport {
            problem: 4,
            title: "Key leak".to_owned(),
            since: plus(now(), -DAY),
            category: Some(Category::security()),
        },
    ]
}

fn remediation() -> Vec<ReviewRemediation> {
    let item =
        |id, owner: &str, due_days: i64, pending, category: Option<Category>| ReviewRemediation {
            id,
            problem: 1,
            title: format!("item {id}"),
            owner: owner.to_owned(),
            due_at: plus(now(), due_days * DAY),
            pending,
            category,
        };
    vec![
        item(1, "ana", -3, true, None),
        item(2, "ana", -10, true, None),
        item(3, "ben", -1, true, None),
        item(4, "ben", 5, true, None),
        item(5, "cem", -20, false, None),
        item(6, "sol", -2, true, Some(Category::security())),
    ]
}

fn page_for(role: Role) -> ReviewPage {
    let tickets = crate::report::redact_for(Reader::Person(role), tickets());
    let (problems, reports, remediation) = (problems(), reports(), remediation());
    assemble_review(
        Reader::Person(role),
        &ReviewInput {
            kind: PeriodKind::Month,
            period: november(),
            now: now(),
            tickets: &tickets,
            problems: &problems,
            reports: &reports,
            remediation: &remediation,
            root_cause_days: DEFAULT_ROOT_CAUSE_DAYS,
        },
    )
}

/// SPEC Q5: the wording of changes: a percentage beside both counts, rounded
/// to the nearest whole; no percentage from nothing; durations in one unit.
#[test]
fn changes_are_worded_for_the_meeting() {
    assert_eq!(count_change("P1", 5, 7).wording, "P1 +40 % (5 -> 7)");
    assert_eq!(count_change("P1", 4, 2).wording, "P1 -50 % (4 -> 2)");
    assert_eq!(count_change("P1", 3, 5).wording, "P1 +67 % (3 -> 5)");
    assert_eq!(count_change("P1", 8, 9).wording, "P1 +13 % (8 -> 9)");
    assert_eq!(count_change("P0", 0, 3).wording, "P0 0 -> 3");
    assert_eq!(count_change("P2", 5, 5).wording, "P2 unchanged (5)");
    assert_eq!(count_change("P1", 4, 2).trend, Trend::Better);
    assert_eq!(count_change("P1", 2, 4).trend, Trend::Worse);
    let ack = duration_change("median time to acknowledge", 6 * MINUTE, 3 * MINUTE);
    assert_eq!(ack.wording, "median time to acknowledge 6 -> 3 min");
    assert_eq!(ack.trend, Trend::Better);
    // 90 and 150 minutes: the longer is over two hours, so hours, rounded.
    let resolve = duration_change("median time to resolve", 90 * MINUTE, 150 * MINUTE);
    assert_eq!(resolve.wording, "median time to resolve 2 -> 3 h");
    assert_eq!(resolve.trend, Trend::Worse);
    let close = duration_change("median time to close", 4 * DAY, 4 * DAY + MINUTE);
    assert_eq!(close.wording, "median time to close unchanged (4 d)");
    assert_eq!(close.trend, Trend::Same);
}

/// SPEC Q5, K3: management (cleared) sees every section with its rows.
#[test]
fn the_review_goes_through_open_tickets_and_trends() {
    let page = page_for(Role::Management);
    assert_eq!(page.period, november());
    assert_eq!(page.previous.from(), at("2026-10-01T00:00:00Z"));
    // Open P0/P1 whenever created: the P0 first, then the Security P1.
    let urgent: Vec<i64> = page.open_urgent.rows.iter().map(|i| i.id).collect();
    assert_eq!(urgent, [1, 2]);
    assert_eq!(page.open_urgent.restricted, 0);
    assert_eq!(page.open_urgent.rows[1].title, "incident 2");
    // Reports awaiting approval, longest waiting first.
    let waiting: Vec<i64> = page
        .awaiting_approval
        .rows
        .iter()
        .map(|r| r.problem)
        .collect();
    assert_eq!(waiting, [2, 1, 4]);
    assert_eq!(page.awaiting_approval.rows[0].waiting_millis, 5 * DAY);
    // Overdue remediation per owner, most overdue first; item 4 is not due,
    // item 5 is done.
    let owners: Vec<(&str, Vec<i64>)> = page
        .overdue_remediation
        .rows
        .iter()
        .map(|o| (o.owner.as_str(), o.items.iter().map(|i| i.id).collect()))
        .collect();
    assert_eq!(
        owners,
        [("ana", vec![2, 1]), ("ben", vec![3]), ("sol", vec![6])]
    );
    assert_eq!(
        page.overdue_remediation.rows[0].items[0].overdue_millis,
        10 * DAY
    );
    // Problems older than 14 days without a root cause: 4 (40 days) and 1 (20).
    let causeless: Vec<(i64, i64)> = page
        .problems_without_root_cause
        .rows
        .iter()
        .map(|p| (p.id, p.age_days))
        .collect();
    assert_eq!(causeless, [(4, 40), (1, 20)]);
    // db/db-1 repeated in October too; web/w-1 is new.
    assert_eq!(page.new_recurrences.len(), 1);
    assert_eq!(page.new_recurrences[0].value, "web/w-1");
    assert_eq!(page.new_recurrences[0].incidents, [22, 23]);
    // Tickets 5 -> 8 (7 P1 and a P2), P1 5 -> 7, P2 0 -> 1, median
    // acknowledgement 6 -> 3 min.
    let wordings: Vec<&str> = page.changes.iter().map(|c| c.wording.as_str()).collect();
    assert!(wordings.contains(&"tickets +60 % (5 -> 8)"), "{wordings:?}");
    assert!(wordings.contains(&"P1 +40 % (5 -> 7)"), "{wordings:?}");
    assert!(wordings.contains(&"P2 0 -> 1"), "{wordings:?}");
    assert!(
        wordings.contains(&"median time to acknowledge 6 -> 3 min"),
        "{wordings:?}"
    );
    assert!(!wordings.iter().any(|w| w.starts_with("P0")));
    assert_eq!(
        page.successes,
        [
            "median time to acknowledge 6 -> 3 min",
            "no P0 incident in the period"
        ]
    );
    assert_eq!(page.restricted_tickets, 0);
}

/// SPEC K3, Q5: an SRE (no clearance) sees Security only as counts: the
/// open Security P1, its report, its overdue item and its problem.
#[test]
fn security_is_only_counted_without_clearance() {
    let page = page_for(Role::Sre);
    let urgent: Vec<i64> = page.open_urgent.rows.iter().map(|i| i.id).collect();
    assert_eq!(urgent, [1]);
    assert_eq!(page.open_urgent.restricted, 1);
    assert_eq!(page.awaiting_approval.rows.len(), 2);
    assert_eq!(page.awaiting_approval.restricted, 1);
    assert!(page
        .overdue_remediation
        .rows
        .iter()
        .all(|o| o.owner != "sol"));
    assert_eq!(page.overdue_remediation.restricted, 1);
    assert_eq!(page.problems_without_root_cause.rows.len(), 1);
    assert_eq!(page.problems_without_root_cause.restricted, 1);
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains("Key leak"));
    assert!(!text.contains("incident 2\""));
    assert!(!text.contains("Security"));
}

/// SPEC Q5: what a snapshot request may hold, refused naming the field.
#[test]
fn snapshot_requests_are_checked() {
    let request = |minutes: &str, decisions: &[&str]| NewReviewSnapshot {
        period: PeriodKind::Month,
        date: None,
        root_cause_days: None,
        minutes: minutes.to_owned(),
        decisions: decisions.iter().map(|d| d.to_string()).collect(),
    };
    let ok = request("  Went through P1s. ", &[" Open a problem for db-1 "])
        .validate()
        .unwrap();
    assert_eq!(ok.minutes, "Went through P1s.");
    assert_eq!(ok.decisions, ["Open a problem for db-1"]);
    let field = |r: NewReviewSnapshot| r.validate().unwrap_err().field;
    assert_eq!(field(request("", &["a", "  "])), "decisions[1]");
    let long = "x".repeat(MAX_MINUTES_CHARS + 1);
    assert_eq!(field(request(&long, &[])), "minutes");
    let mut zero = request("", &[]);
    zero.root_cause_days = Some(0);
    assert_eq!(field(zero), "root_cause_days");
    let mut bad_date = request("", &[]);
    bad_date.date = Some("November".to_owned());
    assert_eq!(field(bad_date), "date");
}

/// The default review is of the last complete period; a date picks its own.
#[test]
fn the_review_period_defaults_to_the_last_complete_one() {
    assert_eq!(review_period(PeriodKind::Month, None, now()), november());
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
    let week = review_period(PeriodKind::Week, Some(date), now());
    assert_eq!(week.from(), at("2026-11-02T00:00:00Z"));
}

/// The snapshot's hash is the SHA-256 of its stored text.
#[test]
fn a_sealed_snapshot_hashes_its_text() {
    let content = ReviewSnapshotContent {
        page: page_for(Role::Management),
        minutes: "m".to_owned(),
        decisions: vec![],
        saved_by: "mia".to_owned(),
        saved_at: now(),
    };
    let (text, digest) = content.sealed().unwrap();
    assert_eq!(digest, sha256_hex(&text));
    assert_eq!(digest.len(), 64);
    assert_eq!(
        sha256_hex("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let back: ReviewSnapshotContent = serde_json::from_str(&text).unwrap();
    assert_eq!(back, content);
}
