//! Native tests of the report API against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::escalation::acknowledge;
use crate::incidents::{assign_owner, create_incident, transition};
use crate::memory::MemoryStore;
use beacon_shared::report::{DimensionRow, Measure, Overdue, ResponseTimes, SummaryRow};
use pollster::block_on;

pub(super) const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const MINUTE: i64 = 60_000;

pub(super) fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * MINUTE)
}

pub(super) fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

const P0_API: &[u8] = br#"{"title":"API down","category":"API","facts":{"system":"gateway","hostname":"gw-1","measurements":{"complete_loss_of_access":true}}}"#;
const P0_SECURITY: &[u8] = br#"{"title":"Leaked admin key","category":"Security","facts":{"measurements":{"complete_loss_of_access":true}}}"#;
const P3_BLIP: &[u8] = br#"{"title":"Blip"}"#;

fn step(store: &MemoryStore, who: &Actor, id: i64, body: &str, minutes: i64) {
    block_on(transition(store, who, id, body.as_bytes(), later(minutes))).unwrap();
}

/// A closed P0 (API, gateway/gw-1, acknowledged by sam after 3 min,
/// monitoring at 30 min, resolved at 60 min, closed at 120 min), an open
/// Security P0, and a discarded P3, all created at `NOW`; a second closed
/// P0 on gateway/gw-1 the day before.
pub(super) fn seeded() -> (MemoryStore, Actor) {
    let store = MemoryStore::default();
    let sre = actor(&store, "sam", Role::Sre);
    let api = block_on(create_incident(
        &store,
        &sre,
        P0_API,
        NOW,
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    step(
        &store,
        &sre,
        api,
        r#"{"action":"classify_as_problem","priority":"P0"}"#,
        2,
    );
    block_on(acknowledge(&store, &sre, api, later(3))).unwrap();
    block_on(assign_owner(
        &store,
        &sre,
        api,
        br#"{"owner_group":"=HYPERLINK(1)"}"#,
        later(4),
    ))
    .unwrap();
    step(&store, &sre, api, r#"{"action":"identify"}"#, 20);
    step(&store, &sre, api, r#"{"action":"monitor"}"#, 30);
    step(&store, &sre, api, r#"{"action":"resolve"}"#, 60);
    step(
        &store,
        &sre,
        api,
        r#"{"action":"close","confirmation":{"kind":"submitter_confirmed"}}"#,
        120,
    );
    let sol = actor(&store, "sol", Role::Security);
    let security = block_on(create_incident(
        &store,
        &sol,
        P0_SECURITY,
        NOW,
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    step(
        &store,
        &sol,
        security,
        r#"{"action":"classify_as_problem","priority":"P0"}"#,
        5,
    );
    let blip = block_on(create_incident(
        &store,
        &sre,
        P3_BLIP,
        NOW,
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    step(
        &store,
        &sre,
        blip,
        r#"{"action":"discard","reason":"no impact"}"#,
        1,
    );
    let yesterday = later(-24 * 60);
    let before = block_on(create_incident(
        &store,
        &sre,
        P0_API,
        yesterday,
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    block_on(transition(
        &store,
        &sre,
        before,
        br#"{"action":"classify_as_problem","priority":"P0"}"#,
        later(-24 * 60 + 1),
    ))
    .unwrap();
    for (body, minutes) in [
        (r#"{"action":"resolve"}"#, -24 * 60 + 10),
        (
            r#"{"action":"close","confirmation":{"kind":"submitter_confirmed"}}"#,
            -24 * 60 + 20,
        ),
    ] {
        block_on(transition(
            &store,
            &sre,
            before,
            body.as_bytes(),
            later(minutes),
        ))
        .unwrap();
    }
    (store, sre)
}

fn day_query(extra: &str) -> String {
    let day = NOW.date();
    format!(
        "period=day&from={day}&to={}{extra}",
        day.succ_opt().unwrap()
    )
}

fn get(
    store: &MemoryStore,
    who: &Actor,
    table: &str,
    query: &str,
    accept: Option<&str>,
) -> ReportAnswer {
    block_on(report(store, who, table, query, accept, later(180))).unwrap()
}

/// SPEC Q1, K3: the day's totals beside the day before, for management
/// (cleared): two counted (one open, one closed), one discarded; the day
/// before one closed.
#[test]
fn summary_counts_the_day_beside_the_day_before() {
    let (store, _) = seeded();
    let mia = actor(&store, "mia", Role::Management);
    let answer = get(&store, &mia, "summary", &day_query(""), None);
    assert_eq!(answer.content_type, "application/json");
    let rows: Vec<SummaryRow> = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(rows.len(), 1);
    let t = rows[0].totals;
    assert_eq!(
        (t.counted, t.open, t.closed, t.discarded, t.restricted),
        (2, 1, 1, 1, 0)
    );
    assert_eq!(rows[0].previous.counted, 1);
    assert_eq!(rows[0].previous.closed, 1);
}

/// SPEC Q1, Q5: response times come from the timeline: acknowledged 3 min
/// after creation (no page was sent, so no acknowledge time), monitoring at
/// 30 min, resolved at 60, closed at 120.
#[test]
fn response_times_come_from_the_timeline() {
    let (store, sre) = seeded();
    let answer = get(&store, &sre, "response-times", &day_query(""), None);
    let times: ResponseTimes = serde_json::from_str(&answer.body).unwrap();
    let stats = |m| times.stats(m);
    assert_eq!(stats(Measure::Resolve).unwrap().median_millis, 60 * MINUTE);
    assert_eq!(stats(Measure::Close).unwrap().median_millis, 120 * MINUTE);
    assert_eq!(stats(Measure::Mitigate).unwrap().median_millis, 30 * MINUTE);
    assert_eq!(stats(Measure::Acknowledge), None);
    assert_eq!(times.excluded_discarded, 1);
    // sam has no clearance: the open Security ticket is left out.
    assert_eq!(times.excluded_restricted, 1);
}

/// SPEC K3: without clearance, Security is one restricted count and never
/// named; management sees it by category.
#[test]
fn security_is_only_a_restricted_count_without_clearance() {
    let (store, sre) = seeded();
    let answer = get(
        &store,
        &sre,
        "by-dimension",
        &day_query("&dimension=category"),
        None,
    );
    assert!(!answer.body.contains("Security"));
    assert!(!answer.body.contains("Leaked"));
    let rows: Vec<DimensionRow> = serde_json::from_str(&answer.body).unwrap();
    let counts: Vec<(&str, u32)> = rows.iter().map(|r| (r.value.as_str(), r.count)).collect();
    assert_eq!(counts, [("API", 1), ("restricted", 1)]);
    let mia = actor(&store, "mia", Role::Management);
    let answer = get(
        &store,
        &mia,
        "by-dimension",
        &day_query("&dimension=category"),
        None,
    );
    let rows: Vec<DimensionRow> = serde_json::from_str(&answer.body).unwrap();
    let counts: Vec<(&str, u32)> = rows.iter().map(|r| (r.value.as_str(), r.count)).collect();
    assert_eq!(counts, [("API", 1), ("Security", 1)]);
}

/// SPEC Q1: CSV by `format=csv` or `Accept: text/csv`, RFC 4180, with a
/// file name; read back it gives the JSON's numbers. A cell that starts
/// like a formula (the owning group `=HYPERLINK(1)`) is kept as text.
#[test]
fn csv_reads_back_to_the_same_numbers() {
    let (store, sre) = seeded();
    let answer = get(&store, &sre, "summary", &day_query(""), Some("text/csv"));
    assert_eq!(answer.content_type, "text/csv; charset=utf-8");
    let day = NOW.date();
    assert_eq!(
        answer.filename.as_deref(),
        Some(format!("beacon-summary-{day}-{}.csv", day.succ_opt().unwrap()).as_str())
    );
    assert!(answer.body.ends_with("\r\n"));
    let mut reader = csv::Reader::from_reader(answer.body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    let cell = |name: &str| {
        let index = header.iter().position(|h| h == name).unwrap();
        records[0][index].parse::<u32>().unwrap()
    };
    assert_eq!(
        (cell("counted"), cell("open"), cell("discarded")),
        (2, 1, 1)
    );
    assert_eq!(cell("restricted"), 1);
    assert_eq!(cell("previous_counted"), 1);

    let groups = get(
        &store,
        &sre,
        "by-dimension",
        &day_query("&dimension=group&format=csv"),
        None,
    );
    assert!(groups.body.contains("'=HYPERLINK(1)"), "{}", groups.body);
    // format=json wins over the Accept header.
    let json = get(
        &store,
        &sre,
        "summary",
        &day_query("&format=json"),
        Some("text/csv"),
    );
    assert_eq!(json.content_type, "application/json");
}

#[test]
fn formula_cells_are_escaped() {
    for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"] {
        assert!(spreadsheet_safe(cell).starts_with('\''), "{cell}");
    }
    assert_eq!(spreadsheet_safe("API"), "API");
    let text = csv_text(vec![vec!["a,b".into(), "say \"hi\"".into()]]).unwrap();
    assert_eq!(text, "\"a,b\",\"say \"\"hi\"\"\"\r\n");
}

/// SPEC Q4: repeat cases per system and host across the two days.
#[test]
fn repeats_find_the_same_host_twice() {
    let (store, sre) = seeded();
    let day = NOW.date();
    let query = format!(
        "period=day&from={}&to={}",
        day.pred_opt().unwrap(),
        day.succ_opt().unwrap()
    );
    let answer = get(&store, &sre, "repeats", &query, None);
    let repeats: beacon_shared::report::Repeats = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(repeats.cases.len(), 1);
    assert_eq!(repeats.cases[0].key, "gateway/gw-1");
    assert_eq!(repeats.cases[0].incidents, [1, 4]);
}

/// SPEC Q3: the open Security P0 is overdue (24 h target) a day later, for
/// management; owners are who acknowledged.
#[test]
fn overdue_lists_open_tickets_past_target() {
    let (store, _) = seeded();
    let mia = actor(&store, "mia", Role::Management);
    let answer = block_on(report(&store, &mia, "overdue", "", None, later(26 * 60))).unwrap();
    let overdue: beacon_shared::report::Overdue = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(overdue.items.len(), 1);
    assert_eq!(overdue.items[0].item, "incident 2");
    assert_eq!(overdue.items[0].overdue_millis, 2 * 60 * MINUTE);
}

/// Bad input is 422 naming the parameter; viewers and customer support may
/// not read reports (403); an unknown table is 404.
#[test]
fn bad_requests_are_refused() {
    let (store, sre) = seeded();
    let refuse = |who: &Actor, table: &str, query: &str| {
        block_on(report(&store, who, table, query, None, NOW)).unwrap_err()
    };
    for (query, field) in [
        ("period=year", "period"),
        ("from=yesterday", "from"),
        ("from=2026-12-01&to=2026-11-01", "to"),
        ("priority=P9", "priority"),
        ("dimension=colour", "dimension"),
        ("format=xml", "format"),
        ("colour=red", "colour"),
        ("period=day&from=2020-01-01", "from"),
    ] {
        let err = refuse(&sre, "summary", query);
        assert_eq!(err.status(), 422, "{query}");
        assert_eq!(err.body().error.field.as_deref(), Some(field), "{query}");
    }
    assert_eq!(refuse(&sre, "everything", "").status(), 404);
    let viewer = actor(&store, "val", Role::Viewer);
    assert_eq!(refuse(&viewer, "summary", "").status(), 403);
    let support = actor(&store, "cyd", Role::CustomerSupport);
    assert_eq!(refuse(&support, "summary", "").status(), 403);
}

/// SPEC L1, L2: availability per component per month against its SLO, from
/// the status page's history: 43 min 12 s of major outage in November 2026
/// (30 days) is 99.9 %, which meets the default 99.9 % SLO.
#[test]
fn availability_per_component_per_month() {
    use crate::status_editing::{create_component, set_component_status};
    let store = MemoryStore::default();
    let csup = actor(&store, "cyd", Role::CustomerSupport);
    let at = |text: &str| Timestamp::parse(text).unwrap();
    let mut ids = ["api".to_owned()].into_iter();
    block_on(create_component(
        &store,
        &csup,
        br#"{"name":"API"}"#,
        at("2026-11-02T00:00:00Z"),
        &mut ids,
    ))
    .unwrap();
    for (status, when) in [
        ("major_outage", "2026-11-24T00:00:00Z"),
        ("operational", "2026-11-24T00:43:12Z"),
    ] {
        let body = format!(r#"{{"status":"{status}"}}"#);
        block_on(set_component_status(
            &store,
            &csup,
            "api",
            body.as_bytes(),
            at(when),
        ))
        .unwrap();
    }
    let mia = actor(&store, "mia", Role::Management);
    let answer = block_on(report(
        &store,
        &mia,
        "availability",
        "from=2026-11-01&to=2026-12-01",
        None,
        at("2026-12-05T00:00:00Z"),
    ))
    .unwrap();
    let rows: Vec<beacon_shared::report::AvailabilityRow> =
        serde_json::from_str(&answer.body).unwrap();
    assert_eq!(rows.len(), 1, "{}", answer.body);
    assert_eq!(rows[0].component.as_str(), "api");
    assert!((rows[0].percent - 99.9).abs() < 1e-9, "{}", rows[0].percent);
    assert!(rows[0].meets_slo);
    assert_eq!(rows[0].budget_remaining_millis, 0);
    let csv = block_on(report(
        &store,
        &mia,
        "availability",
        "from=2026-11-01&to=2026-12-01&format=csv",
        None,
        at("2026-12-05T00:00:00Z"),
    ))
    .unwrap();
    assert!(csv
        .body
        .starts_with("component,month_from,month_to,availability_percent"));
    assert!(
        csv.body
            .contains("api,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,99.9,99.9,true,0\r\n"),
        "{}",
        csv.body
    );
}

/// SPEC Q1: a report stores the rows it rebuilt, the next report reads them
/// instead of the timeline, and a change to an incident makes its row stale
/// again, so the figures follow at once.
#[test]
fn report_rows_are_rebuilt_once_and_follow_changes() {
    let (store, _) = seeded();
    assert_eq!(store.stale_report_row_count(), 4);
    let mia = actor(&store, "mia", Role::Management);
    let rows = |store: &MemoryStore| -> Vec<SummaryRow> {
        serde_json::from_str(&get(store, &mia, "summary", &day_query(""), None).body).unwrap()
    };
    let first = rows(&store);
    assert_eq!(store.stale_report_row_count(), 0);
    let span = Period::new(later(-2 * 24 * 60), later(24 * 60)).unwrap();
    let read = block_on(store.report_rows(span)).unwrap();
    assert_eq!((read.fresh.len(), read.stale.len()), (4, 0));
    assert_eq!(rows(&store), first);
    // The open Security P0 (id 2) moves on: its row is stale until read.
    let sol = actor(&store, "sol2", Role::Security);
    step(&store, &sol, 2, r#"{"action":"identify"}"#, 30);
    assert_eq!(store.stale_report_row_count(), 1);
    step(&store, &sol, 2, r#"{"action":"monitor"}"#, 31);
    step(&store, &sol, 2, r#"{"action":"resolve"}"#, 32);
    let times: ResponseTimes =
        serde_json::from_str(&get(&store, &mia, "response-times", &day_query(""), None).body)
            .unwrap();
    // Resolved after 60 min (the API P0) and now 32 min (the Security P0).
    let resolve = times.stats(Measure::Resolve).unwrap();
    assert_eq!((resolve.samples, resolve.median_millis), (2, 46 * MINUTE));
    assert_eq!(store.stale_report_row_count(), 0);
}

/// The cron rebuilds stale rows whenever their incidents were created.
#[test]
fn the_cron_rebuilds_stale_rows() {
    let (store, _) = seeded();
    assert_eq!(block_on(refresh_stale_rows(&store, 3)).unwrap(), 3);
    assert_eq!(store.stale_report_row_count(), 1);
    assert_eq!(block_on(refresh_stale_rows(&store, 100)).unwrap(), 1);
    assert_eq!(store.stale_report_row_count(), 0);
}

/// SPEC Q3: management sets the close targets per priority; the overdue
/// table measures against them at once; a bad target is refused naming its
/// field and stores nothing; an SRE may read but not set them.
#[test]
fn close_targets_are_set_by_management_and_used_by_overdue() {
    let (store, sre) = seeded();
    let mia = actor(&store, "mia", Role::Management);
    let overdue = |store: &MemoryStore| -> Overdue {
        serde_json::from_str(&get(store, &mia, "overdue", "", None).body).unwrap()
    };
    // The open Security P0 is 3 hours old at the report's time: not overdue
    // against the default day.
    assert!(overdue(&store).items.is_empty());
    let tight = br#"{"p0_hours":2,"p1_hours":4,"p2_hours":48,"p3_hours":240}"#;
    let refused = block_on(put_close_targets(&store, &sre, tight, NOW)).unwrap_err();
    assert_eq!(refused.status(), 403);
    let audits = store.audit_count();
    let bad = br#"{"p0_hours":2,"p1_hours":1,"p2_hours":48,"p3_hours":240}"#;
    let refused = block_on(put_close_targets(&store, &mia, bad, NOW)).unwrap_err();
    assert_eq!(refused.status(), 422);
    assert_eq!(refused.body().error.field.as_deref(), Some("p1_hours"));
    let zero = br#"{"p0_hours":0,"p1_hours":1,"p2_hours":48,"p3_hours":240}"#;
    let refused = block_on(put_close_targets(&store, &mia, zero, NOW)).unwrap_err();
    assert_eq!(refused.body().error.field.as_deref(), Some("p0_hours"));
    assert_eq!(store.audit_count(), audits);
    assert_eq!(
        block_on(get_close_targets(&store, &sre)).unwrap(),
        CloseTargets::default()
    );
    block_on(put_close_targets(&store, &mia, tight, NOW)).unwrap();
    assert_eq!(store.audit_count(), audits + 1);
    assert_eq!(
        block_on(get_close_targets(&store, &sre)).unwrap().p0_hours,
        2
    );
    let late = overdue(&store);
    assert_eq!(late.items.len(), 1);
    assert_eq!(late.items[0].item, "incident 2");
    // Three hours old against two: one hour over.
    assert_eq!(late.items[0].overdue_millis, 60 * MINUTE);
}

/// SPEC Q1: the incident commander records when the impact started; it is
/// in the timeline with the value it replaced, and time to detect runs from
/// it to the first alert or report; an SRE may not set it, and a start after
/// the report or in the future is refused naming the field, storing nothing.
#[test]
fn impact_start_is_set_by_the_ic_and_measures_detection() {
    use crate::incidents::{get_incident, set_impact_start};
    use beacon_shared::timeline::{ImpactStart, TimelineEvent};
    let (store, sre) = seeded();
    let ivy = actor(&store, "ivy", Role::IncidentCommander);
    let body =
        |minutes: i64| format!(r#"{{"impact_started_at":"{}"}}"#, later(minutes)).into_bytes();
    let refused = block_on(set_impact_start(&store, &sre, 1, &body(-20), later(200))).unwrap_err();
    assert_eq!(refused.status(), 403);
    let audits = store.audit_count();
    for minutes in [5, 400] {
        let refused = block_on(set_impact_start(
            &store,
            &ivy,
            1,
            &body(minutes),
            later(200),
        ))
        .unwrap_err();
        assert_eq!(refused.status(), 422, "{minutes}");
        assert_eq!(
            refused.body().error.field.as_deref(),
            Some("impact_started_at")
        );
    }
    assert_eq!(store.audit_count(), audits);
    block_on(set_impact_start(&store, &ivy, 1, &body(-30), later(200))).unwrap();
    block_on(set_impact_start(&store, &ivy, 1, &body(-20), later(201))).unwrap();
    assert_eq!(store.audit_count(), audits + 2);
    let detail = block_on(get_incident(&store, &ivy, 1)).unwrap();
    let last = detail.timeline.last().unwrap();
    assert_eq!(
        last.event,
        TimelineEvent::ImpactStartSet(ImpactStart {
            impact_started_at: later(-20),
            previous: Some(later(-30)),
        })
    );
    let mia = actor(&store, "mia", Role::Management);
    let times: ResponseTimes =
        serde_json::from_str(&get(&store, &mia, "response-times", &day_query(""), None).body)
            .unwrap();
    // Impact 20 minutes before the report (created at NOW, no alert time).
    let detect = times.stats(Measure::Detect).unwrap();
    assert_eq!((detect.samples, detect.median_millis), (1, 20 * MINUTE));
}
