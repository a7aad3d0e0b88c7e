//! Native tests of the public page's assembly against the in-memory store.

use super::*;
use crate::auth::{authenticate, Actor};
use crate::memory::MemoryStore;
use crate::status_editing::{create_component, create_public_incident, set_component_status};
use beacon_shared::role::Role;
use beacon_shared::status_page::ComponentStatus;
use pollster::block_on;
use serde_json::json;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.example.com";

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn publisher(store: &MemoryStore) -> Actor {
    let token = store.add_user("casey", Role::CustomerSupport);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

/// A page with the API component, in a major outage since `later(10)`, and
/// one public incident; returns the incident's id.
fn page_with_an_outage(store: &MemoryStore) -> String {
    let csup = publisher(store);
    let mut ids = (1..).map(|n| format!("id{n}"));
    let api = block_on(create_component(
        store,
        &csup,
        br#"{"name": "API"}"#,
        NOW,
        &mut ids,
    ))
    .unwrap();
    let outage = serde_json::to_vec(&json!({ "status": "major_outage" })).unwrap();
    block_on(set_component_status(
        store,
        &csup,
        api.id.as_str(),
        &outage,
        later(10),
    ))
    .unwrap();
    let incident =
        serde_json::to_vec(&json!({ "name": "API <errors>", "body": "Looking." })).unwrap();
    block_on(create_public_incident(
        store,
        &csup,
        &incident,
        later(11),
        &mut ids,
        BASE,
    ))
    .unwrap()
    .incident
    .id
}

/// SPEC M3: the outputs are the HTML pages, the feeds, Statuspage's JSON,
/// and the own page of a well-formed incident id.
#[test]
fn the_public_outputs_are_known_paths() {
    for (path, _) in OUTPUTS {
        assert!(is_public_path(path), "{path}");
    }
    assert!(is_public_path("/status/incidents/abc123"));
    assert!(!is_public_path("/status/incidents/a b"));
    assert!(!is_public_path("/api/status/page"));
    assert!(!is_public_path("/api/v2/pages.json"));
    assert_eq!(incident_pages(&["x1"]), ["/status/incidents/x1"]);
}

/// SPEC M3, M4: one read renders every output, each with its content type
/// and the instant it was rendered; an incident's own page too.
#[test]
fn every_output_is_rendered_from_one_read() {
    let store = MemoryStore::default();
    let id = page_with_an_outage(&store);
    let data = block_on(PageData::load(&store, BASE, later(20))).unwrap();
    let outputs = data.render_all(BASE, &incident_pages(&[&id]));
    assert_eq!(outputs.len(), OUTPUTS.len() + 1);
    for ((path, output), (expected, content_type)) in outputs.iter().zip(OUTPUTS) {
        assert_eq!(
            (path.as_str(), output.content_type.as_str()),
            (*expected, *content_type)
        );
        assert_eq!(output.rendered_at, later(20).unix_millis());
    }
    let (status, _) = &outputs[0];
    assert_eq!(status, "/status");
    let summary = &outputs
        .iter()
        .find(|(p, _)| p == "/api/v2/summary.json")
        .unwrap()
        .1;
    let summary: serde_json::Value = serde_json::from_str(&summary.body).unwrap();
    assert_eq!(summary["components"][0]["status"], "major_outage");
    assert_eq!(summary["page"]["url"], format!("{BASE}/status"));
    let html = &outputs[0].1.body;
    assert!(html.contains("API &lt;errors&gt;"), "markup stays text");

    let (own, kept) = data
        .render_for_request(BASE, &format!("/status/incidents/{id}"))
        .unwrap();
    assert!(own.is_html());
    assert_eq!(kept.len(), OUTPUTS.len() + 1);
    let err = data
        .render_for_request(BASE, "/status/incidents/unknown")
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

/// SPEC L2: the histories start at the last status before the period, else
/// at the first recorded one.
#[test]
fn histories_start_where_the_log_says() {
    let store = MemoryStore::default();
    page_with_an_outage(&store);
    let log = block_on(store.status_log(later(5))).unwrap();
    assert_eq!(log.last_before.len(), 1);
    assert_eq!(
        log.last_before[0].change.status,
        ComponentStatus::Operational
    );
    assert_eq!(log.since.len(), 1);
    let page = block_on(load_page(&store, BASE)).unwrap();
    let from_log = histories(&page, &log.last_before, &log.since).unwrap();
    let api = &page.components()[0].id;
    let expected =
        StatusHistory::new(ComponentStatus::Operational, vec![log.since[0].change]).unwrap();
    assert_eq!(from_log[api], expected);
    let without_before = histories(&page, &[], &log.since).unwrap();
    let expected =
        StatusHistory::new(ComponentStatus::MajorOutage, vec![log.since[0].change]).unwrap();
    assert_eq!(without_before[api], expected);
    assert!(
        history_start(NOW) <= Timestamp::from_unix_millis(NOW.unix_millis() - 89 * MILLIS_PER_DAY)
    );
}

/// SPEC M4: a fresh output is served as is; a store that fails cannot render.
#[test]
fn freshness_and_failure() {
    let output = RenderedOutput {
        rendered_at: NOW.unix_millis(),
        content_type: JSON.into(),
        body: "{}".into(),
    };
    assert!(output.is_fresh(later(0), 60_000));
    assert!(!output.is_fresh(later(1), 60_000));
    assert!(!output.is_html());
    assert!(RenderedOutput::unavailable().is_html());
    let store = MemoryStore::default();
    store.failing.set(true);
    let err = block_on(PageData::load(&store, BASE, NOW)).err().unwrap();
    assert_eq!(err.status(), 503);
}
