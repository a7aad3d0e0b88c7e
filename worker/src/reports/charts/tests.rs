//! Native tests of the report charts against the in-memory store.

use super::*;
use crate::memory::MemoryStore;
use crate::reports::tests::{actor, later, seeded, NOW};
use pollster::block_on;

/// The day before `NOW` and `NOW`'s day, per day, with `extra` parameters.
fn two_days(extra: &str) -> String {
    let day = NOW.date();
    format!(
        "period=day&from={}&to={}{extra}",
        day.pred_opt().unwrap(),
        day.succ_opt().unwrap()
    )
}

fn svg(store: &MemoryStore, who: &Actor, file: &str, query: &str, now: Timestamp) -> String {
    block_on(chart(store, who, file, query, now)).unwrap()
}

/// The texts of an SVG's `<text>` elements, in order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|rest| {
            let (_, after) = rest.split_once('>')?;
            after
                .split_once("</text>")
                .map(|(t, _)| t.trim().to_owned())
        })
        .collect()
}

/// SPEC Q2: incidents per day stacked by priority: the day before holds one
/// counted P0, `NOW`'s day two (the API P0 and the Security P0; the discarded
/// P3 is not counted). Every segment is labelled with its priority, so the
/// chart reads without colour; the title is the SVG's accessible name.
#[test]
fn incidents_per_period_are_stacked_by_priority() {
    let (store, sre) = seeded();
    let svg = svg(&store, &sre, "incidents.svg", &two_days(""), later(180));
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains("<title>Incidents per day by priority</title>"));
    let texts = texts(&svg);
    let day = NOW.date();
    for label in [
        "P0 1".to_owned(),
        "P0 2".to_owned(),
        day.to_string(),
        day.pred_opt().unwrap().to_string(),
    ] {
        assert!(texts.contains(&label), "{label} in {texts:?}");
    }
    assert!(!texts.iter().any(|t| t.starts_with("P3 ")), "{texts:?}");
    // Counts step by whole tickets on the axis.
    assert!(!texts.iter().any(|t| t.contains('.')), "{texts:?}");
}

/// SPEC Q2, Q1: the median and 90th percentile of the time to resolve per
/// day, in minutes: 10 the day before, 60 on `NOW`'s day (one ticket each,
/// so both lines meet); the 90th percentile is dashed.
#[test]
fn response_times_draw_the_median_and_the_90th_percentile() {
    let (store, sre) = seeded();
    let svg = svg(
        &store,
        &sre,
        "response-times.svg",
        &two_days("&measure=resolve"),
        later(180),
    );
    assert!(svg
        .contains("<title>Time to resolve per day, median and 90th percentile (minutes)</title>"));
    let texts = texts(&svg);
    for label in ["median", "90th percentile", "10", "60"] {
        assert!(texts.iter().any(|t| t == label), "{label} in {texts:?}");
    }
    assert!(svg.contains(r#"stroke-dasharray="8,4""#), "{svg}");
}

/// SPEC Q2, Q3, K3: two days on, the open Security P0 (target 24 h, no
/// owner) is overdue: management sees it as unassigned; sam, without
/// clearance, sees nothing overdue at all.
#[test]
fn overdue_by_owner_follows_clearance() {
    let (store, sre) = seeded();
    let mia = actor(&store, "mia", Role::Management);
    let two_days_on = later(2 * 24 * 60);
    let cleared = texts(&svg(&store, &mia, "overdue.svg", "", two_days_on));
    assert!(cleared.iter().any(|t| t == "unassigned"), "{cleared:?}");
    assert!(cleared.iter().any(|t| t == "overdue 1"), "{cleared:?}");
    let restricted = texts(&svg(&store, &sre, "overdue.svg", "", two_days_on));
    assert!(
        !restricted.iter().any(|t| t == "unassigned"),
        "{restricted:?}"
    );
    assert!(
        !restricted.iter().any(|t| t == "overdue 1"),
        "{restricted:?}"
    );
    assert!(
        restricted.iter().any(|t| t == "Nothing is overdue"),
        "{restricted:?}"
    );
}

/// SPEC Q2: created beside resolved, and the backlog by age at each day's
/// end: the Security P0 is open at the end of `NOW`'s day (read at `now`,
/// 3 h after creation: under 1 day); the API P0 resolved that day, the
/// earlier P0 the day before.
#[test]
fn created_resolved_and_backlog_per_day() {
    let (store, sre) = seeded();
    let flow = texts(&svg(
        &store,
        &sre,
        "created-resolved.svg",
        &two_days(""),
        later(180),
    ));
    for label in ["created 1", "created 2", "resolved 1"] {
        assert!(flow.iter().any(|t| t == label), "{label} in {flow:?}");
    }
    let backlog = texts(&svg(&store, &sre, "backlog.svg", &two_days(""), later(180)));
    assert!(backlog.iter().any(|t| t == "under 1 day 1"), "{backlog:?}");
}

/// An unknown chart is 404; a bad query is 422 naming the field; a person
/// who may not read reports is refused; nothing is drawn for them.
#[test]
fn charts_refuse_what_they_cannot_draw() {
    let (store, sre) = seeded();
    let status = |who: &Actor, file: &str, query: &str| {
        block_on(chart(&store, who, file, query, later(180)))
            .unwrap_err()
            .status()
    };
    assert_eq!(status(&sre, "pie.svg", ""), 404);
    assert_eq!(status(&sre, "incidents", ""), 404);
    let bad = block_on(chart(&store, &sre, "incidents.svg", "measure=fast", NOW)).unwrap_err();
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.body().error.field.as_deref(), Some("measure"));
    let vic = actor(&store, "vic", Role::Viewer);
    assert_eq!(status(&vic, "incidents.svg", ""), 403);
}

/// SPEC Q2: a ticket resolved in the range counts as resolved there though
/// it was created before it: the store reads the tickets whose status
/// changed in the range too. The Security P0 is resolved the next day.
#[test]
fn a_ticket_resolved_in_the_range_counts_whenever_created() {
    let (store, _) = seeded();
    let sue = actor(&store, "sue", Role::Security);
    let next_day = later(24 * 60);
    block_on(crate::incidents::transition(
        &store,
        &sue,
        2,
        br#"{"action":"resolve"}"#,
        next_day,
    ))
    .unwrap();
    let day = next_day.date();
    let query = format!("period=day&from={day}&to={}", day.succ_opt().unwrap());
    let flow = texts(&svg(
        &store,
        &sue,
        "created-resolved.svg",
        &query,
        later(25 * 60),
    ));
    assert!(flow.iter().any(|t| t == "resolved 1"), "{flow:?}");
    assert!(!flow.iter().any(|t| t.starts_with("created ")), "{flow:?}");
}

/// SPEC Q2: the charts' figures as a table, JSON and CSV: the data behind
/// every time-series chart, for screen readers and spreadsheets.
#[test]
fn the_trends_table_holds_the_charts_figures() {
    let (store, sre) = seeded();
    let answer = |query: &str| {
        block_on(crate::reports::report(
            &store,
            &sre,
            "trends",
            query,
            None,
            later(180),
        ))
        .unwrap()
    };
    let json = answer(&two_days(""));
    let points: Vec<beacon_shared::report::TrendPoint> = serde_json::from_str(&json.body).unwrap();
    let created: Vec<u32> = points.iter().map(|p| p.created()).collect();
    assert_eq!(created, [1, 2]);
    let csv = answer(&two_days("&format=csv")).body;
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("period,period_from,period_to,created_P0,"),
        "{header}"
    );
    let today = lines.nth(1).unwrap();
    assert!(today.starts_with(&format!("{},", NOW.date())), "{today}");
    assert!(today.contains(",2,0,0,0,2,1,"), "{today}");
}
