//! Native tests of the incident handlers against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::memory::MemoryStore;
use beacon_shared::role::Role;
use beacon_shared::Priority;
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

/// An empty store and the SRE sam.
fn store_with_sre() -> (MemoryStore, Actor) {
    let store = MemoryStore::default();
    let sre = actor(&store, "sam", Role::Sre);
    (store, sre)
}

const P0_EU: &[u8] = br#"{"title":"EU checkout down","category":"Payments","facts":{"measurements":{"availability_by_region":[{"region":"eu-west","percent":97.5}]}}}"#;

/// SPEC P0, P5: the edge computes the priority from the facts.
#[test]
fn create_classifies_and_stores() {
    let (store, sre) = store_with_sre();
    let view = block_on(create_incident(
        &store,
        &sre,
        P0_EU,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(view.priority, Priority::P0);
    assert_eq!(view.status, IncidentStatus::Triage);
    assert!(view.classification.matched[0].input.contains("eu-west"));
    let list = block_on(list_incidents(&store, &sre, "")).unwrap();
    assert_eq!(list.incidents.len(), 1);
    assert_eq!(store.audit_count(), 1);
}

/// SPEC K1: a P0 without a category is refused, and nothing is stored.
#[test]
fn p0_without_category_is_refused() {
    let (store, sre) = store_with_sre();
    let body = br#"{"title":"down","facts":{"measurements":{"complete_loss_of_access":true}}}"#;
    let err = block_on(create_incident(
        &store,
        &sre,
        body,
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.body().error.field.as_deref(), Some("category"));
    assert_eq!(store.incident_count(), 0);
}

/// SPEC T2, T4, K1: several affected customers, each with its enterprise /
/// partner flag, the alert time and a status-page category are stored as
/// sent; the enterprise customer's outage gives P1 (the P rules).
#[test]
fn customers_alert_time_and_category_are_stored() {
    let (store, sre) = store_with_sre();
    let body = br#"{"title":"Logins fail","category":"Web application","facts":{
        "alerted_at":"2026-11-23T03:05:00Z","impact":{"total_loss_of_access":true},
        "customers":[{"name":"Globex","enterprise_or_partner":true},{"name":"Initech"}]}}"#;
    let view = block_on(create_incident(
        &store,
        &sre,
        body,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let stored = block_on(get_incident(&store, &sre, view.id))
        .unwrap()
        .incident;
    assert_eq!(
        stored.facts.alerted_at,
        Some(Timestamp::parse("2026-11-23T03:05:00Z").unwrap())
    );
    let customers: Vec<(&str, bool)> = stored
        .facts
        .customers
        .iter()
        .map(|c| (c.name.as_str(), c.enterprise_or_partner))
        .collect();
    assert_eq!(customers, [("Globex", true), ("Initech", false)]);
    assert_eq!(stored.category.as_deref(), Some("Web application"));
    assert_eq!(stored.priority, Priority::P1);
    assert_eq!(stored.classification.matched[0].input, "customers[0]");
}

/// SPEC T2, T4, I4: an alert time more than the allowed skew ahead of the
/// clock, or a customer without a name, is a 422 naming the field; nothing is stored.
#[test]
fn future_alert_times_and_nameless_customers_are_refused() {
    let (store, sre) = store_with_sre();
    let skewed = br#"{"title":"x","facts":{"alerted_at":"2026-11-23T03:16:00Z"}}"#;
    let future = br#"{"title":"x","facts":{"alerted_at":"2026-11-23T03:18:00Z"}}"#;
    let nameless = br#"{"title":"x","facts":{"customers":[{"name":"Globex"},{"name":" "}]}}"#;
    for (body, field) in [
        (&future[..], "facts.alerted_at"),
        (&nameless[..], "facts.customers[1].name"),
    ] {
        let err = block_on(create_incident(
            &store,
            &sre,
            body,
            NOW,
            "https://beacon.test",
        ))
        .unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some(field));
    }
    assert_eq!(store.incident_count(), 0);
    assert_eq!(store.audit_count(), 0);
    block_on(create_incident(
        &store,
        &sre,
        skewed,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(store.incident_count(), 1);
}

/// SPEC K1, K2: a P2 may go without a category and carry free labels; a
/// category that is not on the status page is refused, naming the field.
#[test]
fn low_priorities_take_labels_and_only_known_categories() {
    let (store, sre) = store_with_sre();
    let labelled = br#"{"title":"CPU high on db1","labels":["DBA"," night shift "],"facts":{"measurements":{"not_visible_to_clients":true}}}"#;
    let view = block_on(create_incident(
        &store,
        &sre,
        labelled,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(view.priority, Priority::P2);
    assert_eq!(view.category, None);
    assert_eq!(view.labels, ["dba", "night shift"]);
    let unknown = br#"{"title":"x","category":"Mainframe"}"#;
    let err = block_on(create_incident(
        &store,
        &sre,
        unknown,
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.body().error.field.as_deref(), Some("category"));
    assert_eq!(store.incident_count(), 1);
}

/// SPEC P6: an SRE may raise but not lower below the rules; management may lower with a reason.
#[test]
fn priority_overrides_follow_p6() {
    let (store, sre) = store_with_sre();
    let boss = actor(&store, "max", Role::Management);
    let lowered = br#"{"title":"x","category":"Payments","priority":"P2","facts":{"measurements":{"major_function_lost":true}}}"#;
    let err = block_on(create_incident(
        &store,
        &sre,
        lowered,
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.body().error.field.as_deref(), Some("priority"));
    assert_eq!(store.incident_count(), 0);

    let raised = br#"{"title":"x","category":"Payments","priority":"P0","facts":{"measurements":{"major_function_lost":true}}}"#;
    let view = block_on(create_incident(
        &store,
        &sre,
        raised,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(
        (view.priority, view.rules_priority),
        (Priority::P0, Priority::P1)
    );

    let no_reason = br#"{"priority":"P2"}"#;
    let err = block_on(change_priority(&store, &boss, view.id, no_reason, later(1))).unwrap_err();
    assert_eq!(err.body().error.field.as_deref(), Some("reason"));
    let with_reason = br#"{"priority":"P2","reason":"only the internal report is affected"}"#;
    let detail = block_on(change_priority(
        &store,
        &boss,
        view.id,
        with_reason,
        later(2),
    ))
    .unwrap();
    assert_eq!(detail.incident.priority, Priority::P2);
    let last = detail.timeline.last().unwrap();
    let TimelineEvent::PriorityChanged(change) = &last.event else {
        panic!("expected a priority change, got {:?}", last.event);
    };
    assert_eq!(
        change.reason.as_deref(),
        Some("only the internal report is affected")
    );
    assert_eq!(change.decision, PriorityChangeKind::LoweredByManagement);
}

/// SPEC V10, V11: transitions follow the lifecycle; invalid ones store nothing.
#[test]
fn lifecycle_transitions_are_checked_and_recorded() {
    let (store, sre) = store_with_sre();
    let view = block_on(create_incident(
        &store,
        &sre,
        P0_EU,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let resolve = |minutes| {
        block_on(transition(
            &store,
            &sre,
            view.id,
            br#"{"action":"resolve"}"#,
            later(minutes),
        ))
    };
    let audit_before = store.audit_count();
    let err = resolve(1).unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(store.audit_count(), audit_before);

    let classify = br#"{"action":"classify_as_problem","priority":"P0"}"#;
    let detail = block_on(transition(&store, &sre, view.id, classify, later(2))).unwrap();
    assert_eq!(detail.incident.status, IncidentStatus::Investigating);
    let lower = br#"{"action":"classify_as_problem","priority":"P3"}"#;
    let other = block_on(create_incident(
        &store,
        &sre,
        P0_EU,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(
        block_on(transition(&store, &sre, other.id, lower, later(2)))
            .unwrap_err()
            .status(),
        422
    );

    let detail = resolve(3).unwrap();
    assert_eq!(detail.incident.status, IncidentStatus::Resolved);
    let events: Vec<&TimelineEvent> = detail.timeline.iter().map(|e| &e.event).collect();
    assert!(
        matches!(
            events.as_slice(),
            [
                TimelineEvent::Created(_),
                TimelineEvent::StatusChanged(_),
                TimelineEvent::StatusChanged(_)
            ]
        ),
        "{events:?}"
    );
    assert!(detail.timeline.windows(2).all(|w| w[0].at <= w[1].at));
}

/// SPEC E3: only the original submitter closes a resolved incident as "the
/// submitter confirmed"; another SRE is refused (403, nothing stored) and an
/// incident commander closes only with a recorded override and its reason.
#[test]
fn only_the_submitter_confirms_the_closing() {
    let (store, submitter) = store_with_sre();
    let other_sre = actor(&store, "olga", Role::Sre);
    let commander = actor(&store, "ines", Role::IncidentCommander);
    let resolved = || {
        let view = block_on(create_incident(
            &store,
            &submitter,
            P0_EU,
            NOW,
            "https://beacon.test",
        ))
        .unwrap();
        for (step, body) in [
            (
                1,
                &br#"{"action":"classify_as_problem","priority":"P0"}"#[..],
            ),
            (2, br#"{"action":"resolve"}"#),
        ] {
            block_on(transition(&store, &submitter, view.id, body, later(step))).unwrap();
        }
        view.id
    };
    let confirmed = br#"{"action":"close","confirmation":{"kind":"submitter_confirmed"}}"#;
    let close =
        |who: &Actor, id: i64, body: &[u8]| block_on(transition(&store, who, id, body, later(3)));

    let id = resolved();
    let audits = store.audit_count();
    for who in [&other_sre, &commander] {
        let err = close(who, id, confirmed).unwrap_err();
        assert_eq!(err.status(), 403, "{}", who.name);
        assert!(err.body().error.message.contains("submitter"), "{err:?}");
    }
    let overridden = br#"{"action":"close","confirmation":{"kind":"commander_override","reason":"submitter on leave"}}"#;
    assert_eq!(close(&other_sre, id, overridden).unwrap_err().status(), 403);
    assert_eq!(
        store.audit_count(),
        audits,
        "a refused close stored something"
    );
    let still = block_on(get_incident(&store, &submitter, id)).unwrap();
    assert_eq!(still.incident.status, IncidentStatus::Resolved);

    let by_commander = close(&commander, id, overridden).unwrap();
    assert_eq!(by_commander.incident.status, IncidentStatus::Closed);
    let Some(TimelineEvent::StatusChanged(change)) = by_commander.timeline.last().map(|e| &e.event)
    else {
        panic!("{:?}", by_commander.timeline.last());
    };
    assert!(
        matches!(&change.transition, Transition::Close { confirmation: beacon_shared::lifecycle::ClosingConfirmation::CommanderOverride { reason } } if reason == "submitter on leave"),
        "{change:?}"
    );

    let second = resolved();
    let by_submitter = close(&submitter, second, confirmed).unwrap();
    assert_eq!(by_submitter.incident.status, IncidentStatus::Closed);
}

/// SPEC V10: a transition body's bad field is named, not reported as "body".
#[test]
fn transition_errors_name_the_field() {
    let (store, sre) = store_with_sre();
    let view = block_on(create_incident(
        &store,
        &sre,
        P0_EU,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let audit_before = store.audit_count();
    for (body, field) in [
        (
            &br#"{"action":"classify_as_problem","priority":"P9"}"#[..],
            "priority",
        ),
        (br#"{"action":"classify_as_problem"}"#, "priority"),
        (br#"{"action":"discard"}"#, "reason"),
        (br#"{"action":"fly"}"#, "action"),
        (
            br#"{"action":"close","confirmation":{"kind":"nod"}}"#,
            "confirmation.kind",
        ),
    ] {
        match block_on(transition(&store, &sre, view.id, body, later(1))) {
            Err(ApiError::InvalidField { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{}: unexpected {other:?}", String::from_utf8_lossy(body)),
        }
    }
    assert_eq!(store.audit_count(), audit_before);
}

const SECURITY_INCIDENT: &[u8] = br#"{"title":"credential stuffing","category":"Security"}"#;

/// A store with the security engineer sec, the SRE sam, and a Security
/// incident filed by sec.
fn security_incident() -> (MemoryStore, Actor, Actor, IncidentView) {
    let store = MemoryStore::default();
    let sec = actor(&store, "sec", Role::Security);
    let sre = actor(&store, "sam", Role::Sre);
    let view = block_on(create_incident(
        &store,
        &sec,
        SECURITY_INCIDENT,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    (store, sec, sre, view)
}

/// SPEC K3: Security incidents are invisible to roles without clearance.
#[test]
fn security_incidents_are_hidden() {
    let (store, sec, sre, view) = security_incident();
    assert!(block_on(list_incidents(&store, &sre, ""))
        .unwrap()
        .incidents
        .is_empty());
    assert_eq!(
        block_on(get_incident(&store, &sre, view.id))
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        block_on(list_incidents(&store, &sec, ""))
            .unwrap()
            .incidents
            .len(),
        1
    );
    let err = block_on(create_incident(
        &store,
        &sre,
        SECURITY_INCIDENT,
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.status(), 403);
}

/// SPEC K3: the timeline of a Security incident goes through the clearance
/// function: a reader without clearance gets exactly the answer for an
/// incident that does not exist, for reads and writes alike.
#[test]
fn security_timelines_need_clearance() {
    let (store, sec, sre, view) = security_incident();
    let log = br#"{"kind":"work_log","text":"rotated the keys"}"#;
    block_on(add_timeline_entry(&store, &sec, view.id, log, later(1))).unwrap();
    let missing = block_on(get_incident(&store, &sre, 999)).unwrap_err();
    let hidden = block_on(get_incident(&store, &sre, view.id)).unwrap_err();
    assert_eq!(hidden.body(), missing.body());
    let write = block_on(add_timeline_entry(&store, &sre, view.id, log, later(2))).unwrap_err();
    assert_eq!(write.body(), missing.body());
    let cleared = block_on(get_incident(&store, &sec, view.id)).unwrap();
    assert_eq!(cleared.timeline.len(), 2);
}

/// SPEC Q1: the list filters by priority, status, category, owner and open/closed.
#[test]
fn list_filters() {
    let (store, sre) = store_with_sre();
    block_on(create_incident(
        &store,
        &sre,
        P0_EU,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let p3 = block_on(create_incident(
        &store,
        &sre,
        br#"{"title":"cert renewal","owner_group":"web"}"#,
        later(1),
        "https://beacon.test",
    ))
    .unwrap();
    let only = |q: &str| {
        block_on(list_incidents(&store, &sre, q))
            .unwrap()
            .incidents
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(only("priority=P3"), [p3.id]);
    assert_eq!(only("owner_group=web"), [p3.id]);
    assert_eq!(only("category=payments").len(), 1);
    assert_eq!(only("open=true").len(), 2);
    assert!(only("open=false").is_empty());
    assert_eq!(only("").first(), Some(&1), "P0 first");
    let err = block_on(list_incidents(&store, &sre, "priority=P9")).unwrap_err();
    assert_eq!(err.body().error.field.as_deref(), Some("priority"));
}

/// SPEC T7, I3: work logs and links land in the timeline and the audit log.
#[test]
fn timeline_entries_and_audit() {
    let (store, sre) = store_with_sre();
    let view = block_on(create_incident(
        &store,
        &sre,
        P0_EU,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    let log = br#"{"kind":"work_log","text":"failed over to eu-central"}"#;
    block_on(add_timeline_entry(&store, &sre, view.id, log, later(1))).unwrap();
    let link = br#"{"kind":"link","title":"Grafana","url":"https://grafana.example/d/abc"}"#;
    let detail = block_on(add_timeline_entry(&store, &sre, view.id, link, later(2))).unwrap();
    assert_eq!(
        detail.timeline.last().unwrap().event,
        TimelineEvent::Link(Link {
            title: "Grafana".into(),
            url: "https://grafana.example/d/abc".into()
        })
    );
    let bad = br#"{"kind":"link","title":"x","url":"javascript:alert(1)"}"#;
    let err = block_on(add_timeline_entry(&store, &sre, view.id, bad, later(3))).unwrap_err();
    assert_eq!(err.body().error.field.as_deref(), Some("url"));
    assert_eq!(store.audit_count(), 3);
}

/// SPEC I4: a store outage is a 503 without internals.
#[test]
fn store_outage_is_503() {
    let (store, sre) = store_with_sre();
    store.failing.set(true);
    let err = block_on(create_incident(
        &store,
        &sre,
        br#"{"title":"x"}"#,
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.status(), 503);
}
