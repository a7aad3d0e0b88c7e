//! Native tests of the demo seed against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::escalation::{sweep, SweepRun};
use crate::memory::MemoryStore;
use crate::notification_delivery::recording::{RecordingQueue, RecordingSender};
use crate::public_page::PageData;
use beacon_shared::lifecycle::IncidentStatus;
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "http://127.0.0.1:8787";
const INBOX: &str = "http://127.0.0.1:8787/dev/inbox";

fn admin(store: &MemoryStore) -> Actor {
    let token = store.add_user("admin", Role::Admin);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

fn seed(store: &MemoryStore, actor: &Actor) -> Result<DemoTeam, ApiError> {
    let mut counter = 0;
    let mut fresh = std::iter::from_fn(|| {
        counter += 1;
        Some(format!("{counter:064x}"))
    });
    let mut next_id = 0;
    let mut ids = std::iter::from_fn(|| {
        next_id += 1;
        Some(format!("demo{next_id:08}"))
    });
    let run = SeedRun {
        now: NOW,
        base_url: BASE,
        inbox_url: INBOX,
    };
    block_on(seed_demo(store, actor, &run, &mut fresh, &mut ids))
}

/// SPEC I3, E2: one demo person per role, each signed in by their token;
/// rotas for SRE, network, CSUP and IC with someone on call now; channels
/// to the local inbox.
#[test]
fn the_demo_team_has_one_person_per_role_on_call_with_inbox_channels() {
    let store = MemoryStore::default();
    let admin = admin(&store);
    let team = seed(&store, &admin).unwrap();
    assert!(team.demo);
    let roles: Vec<Role> = team.people.iter().map(|p| p.role).collect();
    for role in Role::ALL {
        assert_eq!(roles.iter().filter(|r| **r == role).count(), 1, "{role:?}");
    }
    for person in &team.people {
        assert!(person.name.starts_with(DEMO_PREFIX));
        let actor = block_on(authenticate(
            &store,
            Some(&format!("Bearer {}", person.token)),
            NOW,
        ))
        .unwrap();
        assert_eq!(
            (actor.name.as_str(), actor.role),
            (person.name.as_str(), person.role)
        );
    }
    let on_call = block_on(escalation::on_call(&store, NOW)).unwrap();
    for view in &on_call.rotas {
        assert!(view.now.is_some(), "someone is on call for {:?}", view.role);
    }
    let ic = on_call
        .rotas
        .iter()
        .find(|v| v.role == RotaRole::IncidentCommander)
        .and_then(|v| v.now.clone())
        .unwrap();
    assert_eq!(ic.as_str(), "demo-ian-ic");
    let channels = block_on(store.channels()).unwrap();
    assert_eq!(
        channels.len(),
        7,
        "five people, management and the network team"
    );
}

/// SPEC E1: the live P1 awaits a response and nobody acknowledged it; the
/// first sweep pages the duty IC, through the inbox, with an acknowledgement link.
#[test]
fn the_first_sweep_pages_the_duty_ic_for_the_live_p1() {
    let store = MemoryStore::default();
    let admin = admin(&store);
    let team = seed(&store, &admin).unwrap();
    let live = block_on(store.get_incident(team.live_incident))
        .unwrap()
        .unwrap();
    assert_eq!(live.state.title, LIVE_P1_TITLE);
    assert_eq!(live.state.status, IncidentStatus::Investigating);
    assert!(live.state.status.awaits_response());

    let sender = RecordingSender::default();
    let queue = RecordingQueue::default();
    let run = SweepRun {
        at: NOW,
        now: NOW,
        sweep_id: "sweep-1",
        base_url: BASE,
        link_key_candidate: "k",
    };
    let report = block_on(sweep(&store, &queue, &run)).unwrap();
    assert_eq!(report.incidents, 1, "only the live P1 awaits a response");
    queue.deliver_all(&store, &sender, NOW);
    let sent = sender.sent.borrow();
    assert!(
        sent.iter().all(|s| s.url.starts_with(INBOX)),
        "everything goes to the inbox: {sent:?}"
    );
    let page = sent
        .iter()
        .find(|s| s.url == format!("{INBOX}/demo-ian-ic"))
        .expect("the duty IC is paged through the inbox");
    let body: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["event"], "page");
    assert_eq!(body["incident"]["id"], team.live_incident);
    assert!(body["acknowledge_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{BASE}/ack/{}", team.live_incident)));
}

/// SPEC M1, L2: about three months of resolved incidents; the published ones
/// show on the 90-day bars, the live one and the maintenance on the page.
#[test]
fn the_history_fills_the_ninety_day_bars() {
    let store = MemoryStore::default();
    let admin = admin(&store);
    let team = seed(&store, &admin).unwrap();
    let all = block_on(store.list_incidents(&IncidentFilter::default())).unwrap();
    assert_eq!(all.len(), team.history + 1);
    let closed = all
        .iter()
        .filter(|r| r.state.status == IncidentStatus::Closed)
        .count();
    assert_eq!(closed, team.history);
    let oldest = all.iter().map(|r| r.created_at).min().unwrap();
    assert!(NOW.unix_millis() - oldest.unix_millis() > 80 * DAY_MS);

    let data = block_on(PageData::load(&store, BASE, NOW)).unwrap();
    let (status, _) = data.render_for_request(BASE, "/status").unwrap();
    let html = status.body;
    assert!(
        html.contains("Card payments failing for some customers"),
        "{html}"
    );
    assert!(html.contains("database upgrade (demo)"), "{html}");
    let bad_days = [
        "d-degraded_performance",
        "d-partial_outage",
        "d-major_outage",
    ]
    .iter()
    .map(|class| html.matches(class).count())
    .sum::<usize>();
    assert!(
        bad_days >= 5,
        "the published incidents show on the bars: {bad_days}"
    );
}

/// Seeding twice is refused (409) and writes nothing more; only an admin may seed.
#[test]
fn seeding_is_for_an_admin_and_only_into_an_empty_database() {
    let store = MemoryStore::default();
    let viewer = store.add_actor("someone", Role::Viewer);
    let err = seed(&store, &viewer).unwrap_err();
    assert_eq!(err.status(), 403);
    assert_eq!(store.incident_count(), 0);

    let admin = admin(&store);
    seed(&store, &admin).unwrap();
    let incidents = store.incident_count();
    let audit = store.audit_count();
    let err = seed(&store, &admin).unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(store.incident_count(), incidents);
    assert_eq!(store.audit_count(), audit);
}
