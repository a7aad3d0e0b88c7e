//! Native tests of `/metrics` against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::incidents::{create_incident, transition};
use crate::memory::MemoryStore;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::report::LifecycleTimes;
use beacon_shared::Priority;
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

/// An open Security P0, an open P3 without category, a closed P3.
fn seeded() -> MemoryStore {
    let store = MemoryStore::default();
    let sol = actor(&store, "sol", Role::Security);
    let body = br#"{"title":"Leaked key","category":"Security","facts":{"measurements":{"complete_loss_of_access":true}}}"#;
    block_on(create_incident(
        &store,
        &sol,
        body,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let sam = actor(&store, "sam", Role::Sre);
    block_on(create_incident(
        &store,
        &sam,
        br#"{"title":"Slow"}"#,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let done = block_on(create_incident(
        &store,
        &sam,
        br#"{"title":"Done"}"#,
        NOW,
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    for (action, minute) in [
        (r#"{"action":"classify_as_problem","priority":"P3"}"#, 1),
        (r#"{"action":"resolve"}"#, 10),
        (
            r#"{"action":"close","confirmation":{"kind":"submitter_confirmed"}}"#,
            20,
        ),
    ] {
        let at = Timestamp::from_unix_millis(NOW.unix_millis() + minute * 60_000);
        block_on(transition(&store, &sam, done, action.as_bytes(), at)).unwrap();
    }
    store
}

fn later() -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + 3_600_000)
}

/// SPEC Q2, K3: open incidents by priority and category; Security is
/// `restricted` for a reader without clearance, by name for management.
#[test]
fn open_incidents_by_priority_and_category() {
    let store = seeded();
    let sre = actor(&store, "sid", Role::Sre);
    let text = block_on(metrics(&store, &sre, later())).unwrap();
    assert!(text.contains("# TYPE beacon_open_incidents gauge\n"));
    assert!(text.contains("beacon_open_incidents{priority=\"P0\",category=\"restricted\"} 1\n"));
    assert!(text.contains("beacon_open_incidents{priority=\"P3\",category=\"none\"} 1\n"));
    assert!(!text.contains("Security"));
    let mia = actor(&store, "mia", Role::Management);
    let text = block_on(metrics(&store, &mia, later())).unwrap();
    assert!(text.contains("beacon_open_incidents{priority=\"P0\",category=\"Security\"} 1\n"));
}

/// SPEC Q5: response times as quantile gauges: the closed ticket resolved
/// 10 min and closed 20 min after creation.
#[test]
fn response_times_as_quantiles() {
    let store = seeded();
    let sre = actor(&store, "sid", Role::Sre);
    let text = block_on(metrics(&store, &sre, later())).unwrap();
    assert!(
        text.contains("beacon_response_time_seconds{measure=\"resolve\",quantile=\"0.5\"} 600\n"),
        "{text}"
    );
    assert!(
        text.contains("beacon_response_time_seconds{measure=\"close\",quantile=\"0.9\"} 1200\n")
    );
    assert!(text.contains("beacon_response_time_samples{measure=\"resolve\"} 1\n"));
}

#[test]
fn only_report_readers_may_scrape() {
    let store = seeded();
    let viewer = actor(&store, "val", Role::Viewer);
    assert_eq!(
        block_on(metrics(&store, &viewer, later()))
            .unwrap_err()
            .status(),
        403
    );
}

/// Label values escape backslash, double quote and line feed.
#[test]
fn label_values_are_escaped() {
    assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    let ticket = ReportTicket {
        id: 1,
        title: None,
        priority: Priority::P2,
        status: IncidentStatus::Investigating,
        created_at: NOW,
        category: Some("Bad \"name\"\nhere".to_owned()),
        subcategory: None,
        owner_group: None,
        owner: None,
        source_integration: None,
        system: None,
        hostname: None,
        recurrence_signature: None,
        duplicate: false,
        restricted: false,
        times: LifecycleTimes::default(),
    };
    let text = render(&[ticket], later());
    assert!(text.contains(
        "beacon_open_incidents{priority=\"P2\",category=\"Bad \\\"name\\\"\\nhere\"} 1\n"
    ));
    assert!(text.lines().all(|line| !line.is_empty()));
}
