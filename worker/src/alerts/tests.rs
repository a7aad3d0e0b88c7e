//! Native tests of the alert queue, the integrations and ingestion against the
//! in-memory store.

use super::*;
use crate::auth::hash_token;
use crate::ingest::{
    generic_delivery, notification_delivery, pagerduty_event, plan_signal, AlertPlan, DeliveryPlan,
    PagerDutyAnswer, ReceivedDelivery, SHORT_LIVED_LABEL,
};
use crate::memory::MemoryStore;
use crate::stores::KeyHistory;
use crate::webhook_signature::{sign, SignedRequest};
use beacon_shared::alert::{DedupKey, IngestFormat};
use beacon_shared::api::AlertView;
use beacon_shared::category::Labels;
use beacon_shared::role::Role;
use pollster::block_on;
use serde_json::Value;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

/// A store with an admin, and a PagerDuty integration whose routing key is returned.
fn store_with_pagerduty() -> (MemoryStore, String) {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let secret = integration(&store, &admin, "pd-prod", IngestFormat::Pagerduty);
    (store, secret)
}

fn integration(store: &MemoryStore, admin: &Actor, name: &str, format: IngestFormat) -> String {
    let body = json!({ "name": name, "format": format, "owner_group": "web" }).to_string();
    let secret = format!("bki_secret_of_{name}");
    block_on(create_integration(
        store,
        admin,
        body.as_bytes(),
        NOW,
        secret.clone(),
    ))
    .unwrap()
    .secret
}

fn event(routing_key: &str, action: &str, key: &str) -> Vec<u8> {
    json!({
        "routing_key": routing_key, "event_action": action, "dedup_key": key,
        "payload": {"summary": format!("{key} on web-1"), "source": "web-1", "severity": "warning"}
    })
    .to_string()
    .into_bytes()
}

fn generated() -> DedupKey {
    DedupKey::parse("0123456789abcdef0123456789abcdef").unwrap()
}

/// Sends a PagerDuty event and expects it accepted.
fn enqueue(store: &MemoryStore, routing_key: &str, action: &str, key: &str, at: Timestamp) {
    let answer = block_on(pagerduty_event(
        store,
        &event(routing_key, action, key),
        generated(),
        at,
        "https://beacon.test",
    ))
    .unwrap();
    assert!(
        matches!(answer, PagerDutyAnswer::Accepted { .. }),
        "{answer:?}"
    );
}

/// Every alert with `key`, oldest first, as the admin sees the queue.
fn alerts_with_key(store: &MemoryStore, key: &str) -> Vec<AlertView> {
    let admin = Actor {
        user_id: 1,
        name: "ada".into(),
        role: Role::Admin,
    };
    let mut alerts: Vec<AlertView> = block_on(list_alerts(store, &admin, ""))
        .unwrap()
        .alerts
        .into_iter()
        .filter(|a| a.dedup_key == key)
        .collect();
    alerts.sort_by_key(|a| a.id);
    alerts
}

fn the_alert(store: &MemoryStore, key: &str) -> AlertView {
    let alerts = alerts_with_key(store, key);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    alerts[0].clone()
}

fn detail(store: &MemoryStore, id: i64) -> IncidentDetail {
    let admin = Actor {
        user_id: 1,
        name: "ada".into(),
        role: Role::Admin,
    };
    block_on(incidents::get_incident(store, &admin, id)).unwrap()
}

fn events(detail: &IncidentDetail) -> Vec<&TimelineEvent> {
    detail.timeline.iter().map(|e| &e.event).collect()
}

fn action(
    store: &MemoryStore,
    actor: &Actor,
    alert: i64,
    what: &str,
    body: Value,
    at: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    block_on(alert_action(
        store,
        actor,
        alert,
        what,
        body.to_string().as_bytes(),
        at,
    ))
}

/// SPEC I3: only an admin adds integrations; the secret is shown once, stored
/// hashed, and a taken name is a conflict on `name`.
#[test]
fn integrations_are_created_by_admins_with_unique_names() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let sre = store.add_actor("sam", Role::Sre);
    let body = br#"{"name":"am-prod","format":"alertmanager"}"#;
    let create = |by: &Actor, secret: &str| {
        block_on(create_integration(&store, by, body, NOW, secret.into()))
    };
    let err = create(&sre, "s").unwrap_err();
    assert_eq!(err.status(), 403);
    let created = create(&admin, "bki_1").unwrap();
    assert_eq!(
        (created.name.as_str(), created.secret.as_str()),
        ("am-prod", "bki_1")
    );
    let found = block_on(store.integration_for_secret_hash(&hash_token("bki_1"), NOW)).unwrap();
    assert_eq!(found.map(|i| i.id), Some(created.id));
    assert!(block_on(store.integration_for_secret_hash("bki_1", NOW))
        .unwrap()
        .is_none());
    let audit_before = store.audit_count();
    let err = create(&admin, "bki_2").unwrap_err();
    assert_eq!(
        (err.status(), err.body().error.field.as_deref()),
        (409, Some("name"))
    );
    assert_eq!(store.audit_count(), audit_before);
}

/// SPEC I1, I2, V2: PagerDuty's trigger, repeat, acknowledge and resolve act on
/// one alert; an acknowledgement after the resolution is dropped but kept with
/// the delivery; a trigger after it opens a new alert on the open incident.
#[test]
fn pagerduty_events_follow_the_alert_lifecycle() {
    let (store, key) = store_with_pagerduty();
    enqueue(&store, &key, "trigger", "srv01/disk", NOW);
    enqueue(&store, &key, "trigger", "srv01/disk", later(1));
    let alert = the_alert(&store, "srv01/disk");
    assert_eq!((alert.deliveries, alert.status.as_str()), (2, "triggered"));
    assert_eq!(store.incident_count(), 1);
    let incident = alert.incident_id.unwrap();
    let incident_detail = detail(&store, incident);
    assert!(
        matches!(
            events(&incident_detail)[..],
            [
                TimelineEvent::Created(_),
                TimelineEvent::AlertTriggered(_),
                TimelineEvent::AlertRepeated(_)
            ]
        ),
        "{incident_detail:?}"
    );

    enqueue(&store, &key, "acknowledge", "srv01/disk", later(2));
    assert_eq!(the_alert(&store, "srv01/disk").status, "acknowledged");
    enqueue(&store, &key, "resolve", "srv01/disk", later(3));
    assert_eq!(the_alert(&store, "srv01/disk").status, "resolved");

    enqueue(&store, &key, "acknowledge", "srv01/disk", later(4));
    let alert = the_alert(&store, "srv01/disk");
    assert_eq!((alert.deliveries, alert.status.as_str()), (4, "resolved"));
    let outcomes = store.delivery_outcomes();
    assert_eq!(outcomes.len(), 5);
    // SPEC I3: the routing key (the integration's secret) is not stored.
    let bodies = store.delivery_bodies();
    assert!(
        bodies
            .iter()
            .all(|b| b.contains("srv01/disk") && !b.contains(&key) && !b.contains("routing_key")),
        "{bodies:?}"
    );
    assert_eq!(outcomes[4][0]["outcome"], "dropped");

    enqueue(&store, &key, "trigger", "srv01/disk", later(5));
    let alerts = alerts_with_key(&store, "srv01/disk");
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[1].status, "triggered");
    assert_eq!(
        alerts[1].incident_id,
        Some(incident),
        "joins the open incident"
    );
    assert_eq!(store.incident_count(), 1);
}

/// SPEC I1, I4: invalid events and unknown routing keys are answered in
/// PagerDuty's terms and store nothing; a generated key is used when none is sent.
#[test]
fn pagerduty_refusals_store_nothing() {
    let (store, key) = store_with_pagerduty();
    let invalid = |body: &[u8]| {
        let answer = block_on(pagerduty_event(
            &store,
            body,
            generated(),
            NOW,
            "https://beacon.test",
        ))
        .unwrap();
        let PagerDutyAnswer::Invalid { errors } = answer else {
            panic!("expected a refusal, got {answer:?}");
        };
        errors.join("; ")
    };
    let missing =
        json!({"routing_key": key, "event_action": "trigger", "payload": {"severity": "fatal"}});
    let errors = invalid(missing.to_string().as_bytes());
    assert!(
        ["payload.summary", "payload.source", "payload.severity"]
            .iter()
            .all(|f| errors.contains(f)),
        "{errors}"
    );
    assert!(invalid(&event("R0000", "trigger", "k")).contains("Invalid routing key"));
    assert!(invalid(b"{\"routing_key\":").contains("Invalid JSON"));
    assert!(store.delivery_outcomes().is_empty());
    assert_eq!(store.incident_count(), 0);

    let mut no_key: Value = serde_json::from_slice(&event(&key, "trigger", "x")).unwrap();
    no_key.as_object_mut().unwrap().remove("dedup_key");
    let answer = block_on(pagerduty_event(
        &store,
        no_key.to_string().as_bytes(),
        generated(),
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(
        answer,
        PagerDutyAnswer::Accepted {
            dedup_key: generated()
        }
    );
}

/// An Alertmanager notification of one checkout alert, with only the fields Beacon reads.
fn notification(status: &str, fingerprint: &str) -> Vec<u8> {
    let alert = json!({
        "status": status, "fingerprint": fingerprint, "startsAt": "2026-11-23T03:12:00Z",
        "labels": {"alertname": "CheckoutErrors", "severity": "warning", "instance": "web-3:9100"},
        "annotations": {"summary": "Checkout error rate above 2%"}
    });
    json!({ "receiver": "beacon", "status": status, "alerts": [alert] })
        .to_string()
        .into_bytes()
}

/// SPEC I1, I3, I4: a notification needs the secret of an integration of its
/// own format (another format's secret is as unknown as a wrong one) and a
/// body that parses; refusals keep nothing, not even the raw delivery.
#[test]
fn notifications_need_their_own_formats_secret() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let am = integration(&store, &admin, "am-prod", IngestFormat::Alertmanager);
    let body = notification("firing", "f00d");
    for (format, secret) in [
        (IngestFormat::Grafana, am.as_str()),
        (IngestFormat::Alertmanager, "bki_nope"),
    ] {
        let err = block_on(notification_delivery(
            &store,
            format,
            secret,
            &body,
            NOW,
            "https://beacon.test",
        ))
        .unwrap_err();
        assert_eq!(err, ApiError::Unauthorized);
    }
    let wrong_type = br#"{"receiver": "x", "status": "firing", "alerts": "none"}"#;
    for (bad, status) in [(&body[..body.len() / 2], 400), (&wrong_type[..], 422)] {
        let err = block_on(notification_delivery(
            &store,
            IngestFormat::Alertmanager,
            &am,
            bad,
            NOW,
            "https://beacon.test",
        ))
        .unwrap_err();
        assert_eq!(err.status(), status, "{err:?}");
    }
    assert!(
        store.delivery_outcomes().is_empty(),
        "refusals keep nothing"
    );
    assert_eq!(store.incident_count(), 0);
    let receipt = block_on(notification_delivery(
        &store,
        IngestFormat::Alertmanager,
        &am,
        &body,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert_eq!(receipt.alerts[0].outcome, "opened_with_incident");
}

/// SPEC I2: a signed delivery received twice is refused as a replay and stores
/// nothing; an unknown integration answers like a forged signature.
#[test]
fn replayed_signed_delivery_is_refused() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let secret = integration(&store, &admin, "batch-jobs", IngestFormat::Generic);
    let body =
        br#"{"alerts":[{"dedup_key":"export","action":"trigger","summary":"Export failed"}]}"#;
    let timestamp = (NOW.unix_millis() / 1000).to_string();
    let signature = sign(&hash_token(&secret), &timestamp, body);
    let signed = SignedRequest::from_headers(Some(&timestamp), Some(&signature), NOW).unwrap();
    let deliver = |name: &str| {
        block_on(generic_delivery(
            &store,
            name,
            &signed,
            body,
            NOW,
            "https://beacon.test",
        ))
    };
    assert_eq!(
        deliver("batch-jobs").unwrap().alerts[0].outcome,
        "opened_with_incident"
    );
    let err = deliver("batch-jobs").unwrap_err();
    assert_eq!(err.status(), 409);
    assert!(err.to_string().contains("already received"), "{err}");
    assert_eq!(store.delivery_outcomes().len(), 1);
    assert_eq!(the_alert(&store, "export").deliveries, 1);

    let unknown = deliver("nobody").unwrap_err();
    let forged = SignedRequest::from_headers(
        Some(&timestamp),
        Some(&sign("wrong key", &timestamp, body)),
        NOW,
    )
    .unwrap();
    let mismatch = block_on(generic_delivery(
        &store,
        "batch-jobs",
        &forged,
        body,
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(unknown, mismatch);
    assert_eq!(unknown.status(), 401);
}

/// SPEC V3: an alert that clears before anyone triaged its incident labels it
/// short-lived and says so in the timeline.
#[test]
fn resolve_before_triage_is_short_lived() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let am = integration(&store, &admin, "am-prod", IngestFormat::Alertmanager);
    let deliver = |status: &str, at: Timestamp| {
        let body = notification(status, "5407711ed0000001");
        block_on(notification_delivery(
            &store,
            IngestFormat::Alertmanager,
            &am,
            &body,
            at,
            "https://beacon.test",
        ))
        .unwrap()
    };
    deliver("firing", NOW);
    let receipt = deliver("resolved", later(1));
    assert_eq!(receipt.alerts[0].outcome, "resolved");
    let alert = the_alert(&store, "5407711ed0000001");
    let detail = detail(&store, alert.incident_id.unwrap());
    assert_eq!(detail.incident.labels, [SHORT_LIVED_LABEL]);
    let [TimelineEvent::Created(_), TimelineEvent::AlertTriggered(_), TimelineEvent::AlertResolved(note)] =
        events(&detail)[..]
    else {
        panic!("{:?}", detail.timeline);
    };
    assert_eq!(note.short_lived, Some(true));
}

/// SPEC V3, K2 (regression): an untriaged incident that has the maximum of
/// labels already keeps them when its alert resolves short-lived, and the
/// incident list still answers.
#[test]
fn short_lived_label_never_exceeds_the_label_limit() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    enqueue(&store, &key, "trigger", "flappy", NOW);
    let incident = the_alert(&store, "flappy").incident_id.unwrap();
    let labels: Vec<String> = (0..Labels::MAX_LABELS)
        .map(|i| format!("team-{i}"))
        .collect();
    let body = json!({ "category": null, "labels": labels }).to_string();
    block_on(incidents::change_category(
        &store,
        &sre,
        incident,
        body.as_bytes(),
        later(1),
    ))
    .unwrap();
    assert_eq!(
        detail(&store, incident).incident.status,
        IncidentStatus::Reported
    );

    enqueue(&store, &key, "resolve", "flappy", later(2));
    let list = block_on(incidents::list_incidents(&store, &sre, "")).unwrap();
    let listed = list.incidents.iter().find(|i| i.id == incident).unwrap();
    assert_eq!(listed.labels, labels);
    let detail = detail(&store, incident);
    let TimelineEvent::AlertResolved(note) = &detail.timeline.last().unwrap().event else {
        panic!("{:?}", detail.timeline);
    };
    assert_eq!(
        note.short_lived,
        Some(true),
        "still recorded as short-lived"
    );
}

/// SPEC V3, I2: two alerts of one untriaged incident that clear in the same
/// notification label it once; the delivery is not refused as a lost race.
#[test]
fn alerts_of_one_incident_clearing_together_label_it_once() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let sre = store.add_actor("sam", Role::Sre);
    let am = integration(&store, &admin, "am-prod", IngestFormat::Alertmanager);
    let deliver = |body: &[u8], at: Timestamp| {
        block_on(notification_delivery(
            &store,
            IngestFormat::Alertmanager,
            &am,
            body,
            at,
            "https://beacon.test",
        ))
    };
    deliver(&notification("firing", "first"), NOW).unwrap();
    deliver(&notification("firing", "second"), NOW).unwrap();
    let (first, second) = (the_alert(&store, "first"), the_alert(&store, "second"));
    let incident = first.incident_id.unwrap();
    let attach = json!({ "incident_id": incident });
    action(&store, &sre, second.id, "attach", attach, later(1)).unwrap();
    assert!(detail(&store, incident).incident.status.is_untriaged());

    let mut both: Value = serde_json::from_slice(&notification("resolved", "first")).unwrap();
    let other: Value = serde_json::from_slice(&notification("resolved", "second")).unwrap();
    both["alerts"]
        .as_array_mut()
        .unwrap()
        .push(other["alerts"][0].clone());
    let receipt = deliver(both.to_string().as_bytes(), later(2)).unwrap();
    assert_eq!(receipt.alerts.len(), 2);
    assert_eq!(
        detail(&store, incident).incident.labels,
        [SHORT_LIVED_LABEL]
    );
    assert_eq!(the_alert(&store, "second").status, "resolved");
}

/// A delivery planned from what another delivery changed meanwhile.
fn stale_delivery<'a>(
    integration: &'a crate::stores::Integration,
    signal_key: &str,
    action: &str,
    history: &KeyHistory,
) -> DeliveryPlan<'a> {
    let event: Value = serde_json::from_slice(&event("k", action, signal_key)).unwrap();
    let signal = beacon_shared::webhooks::pagerduty::parse_event(&event)
        .unwrap()
        .signal(generated());
    DeliveryPlan {
        integration,
        received: ReceivedDelivery {
            body: b"{}",
            signature: None,
        },
        group_key: None,
        plans: vec![plan_signal(integration, signal, history, later(9))],
        raises: Vec::new(),
        storm_start: None,
        storm_recount: None,
        opens_own_incidents: false,
        at: later(9),
    }
}

/// SPEC I2: the memory store keeps D1's guarantees: a second open alert for a
/// key, or a label written on an incident that changed since planning, fails
/// the whole delivery and writes nothing.
#[test]
fn lost_races_fail_the_whole_delivery() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    enqueue(&store, &key, "trigger", "raced", NOW);
    let integration = block_on(store.integration_for_secret_hash(&hash_token(&key), NOW))
        .unwrap()
        .unwrap();
    let before = (
        store.incident_count(),
        store.audit_count(),
        store.delivery_outcomes().len(),
    );

    let second_open = stale_delivery(&integration, "raced", "trigger", &KeyHistory::default());
    let err = block_on(store.store_delivery(&second_open)).unwrap_err();
    assert!(matches!(err, StoreError::UniqueViolation(_)), "{err:?}");
    assert_eq!(
        (
            store.incident_count(),
            store.audit_count(),
            store.delivery_outcomes().len()
        ),
        before,
        "no incident, audit record or delivery from a refused delivery"
    );

    let history =
        block_on(store.key_history(integration.id, &DedupKey::parse("raced").unwrap())).unwrap();
    let resolve = stale_delivery(&integration, "raced", "resolve", &history);
    assert!(matches!(
        &resolve.plans[0],
        AlertPlan::Resolve { label: Some(_), .. }
    ));
    let incident = the_alert(&store, "raced").incident_id.unwrap();
    block_on(incidents::change_category(
        &store,
        &sre,
        incident,
        br#"{"category":null,"labels":["dba"]}"#,
        later(1),
    ))
    .unwrap();
    let timeline_before = detail(&store, incident).timeline.len();
    let err = block_on(store.store_delivery(&resolve)).unwrap_err();
    assert_eq!(err, StoreError::LostGuard);
    assert_eq!(the_alert(&store, "raced").status, "triggered");
    assert_eq!(detail(&store, incident).timeline.len(), timeline_before);
    assert_eq!(detail(&store, incident).incident.labels, ["dba"]);

    // Planned again, as the handler does, the label joins the new labels.
    enqueue(&store, &key, "resolve", "raced", later(2));
    assert_eq!(
        detail(&store, incident).incident.labels,
        ["dba", SHORT_LIVED_LABEL]
    );
}

/// Three alerts from PagerDuty, each on its own untriaged incident: (alert, incident).
fn three_alerts(store: &MemoryStore, key: &str) -> [(i64, i64); 3] {
    ["queue-noise", "queue-real", "queue-same-cause"].map(|name| {
        enqueue(store, key, "trigger", name, NOW);
        let alert = the_alert(store, name);
        (alert.id, alert.incident_id.unwrap())
    })
}

/// SPEC V2, V10: untriaged alerts come first in the queue; `status=open`
/// leaves resolved ones out.
#[test]
fn queue_lists_untriaged_first() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    let [(noise, _), (real, _), (same, _)] = three_alerts(&store, &key);
    action(&store, &sre, noise, "open", json!({}), later(1)).unwrap();
    enqueue(&store, &key, "resolve", "queue-same-cause", later(2));
    let ids = |query: &str| -> Vec<i64> {
        block_on(list_alerts(&store, &sre, query))
            .unwrap()
            .alerts
            .iter()
            .map(|a| a.id)
            .collect()
    };
    assert_eq!(ids(""), [same, real, noise], "reported first, newest first");
    assert_eq!(ids("status=open"), [real, noise]);
}

/// SPEC I2, V2: in a storm the queue lists its 500 most urgent alerts and
/// says that more match, instead of leaving the rest out silently.
#[test]
fn the_queue_says_when_more_alerts_match_than_it_lists() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    for n in 0..AlertFilter::LIMIT {
        enqueue(&store, &key, "trigger", &format!("storm-{n}"), NOW);
    }
    let list = block_on(list_alerts(&store, &sre, "")).unwrap();
    assert_eq!(
        (list.alerts.len(), list.limit, list.more),
        (500, 500, false)
    );
    enqueue(&store, &key, "trigger", "storm-newest", later(1));
    let list = block_on(list_alerts(&store, &sre, "")).unwrap();
    assert_eq!((list.alerts.len(), list.more), (500, true));
    assert_eq!(
        list.alerts[0].summary, "storm-newest on web-1",
        "newest first"
    );
    let wire = serde_json::to_value(&list).unwrap();
    assert_eq!((&wire["limit"], &wire["more"]), (&json!(500), &json!(true)));
}

/// SPEC V10: discarding needs a reason and goes through triage; a viewer may
/// not; opening takes the incident into triage.
#[test]
fn discard_needs_a_reason_and_open_starts_triage() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    let viewer = store.add_actor("vic", Role::Viewer);
    let [(noise, noise_incident), (real, real_incident), _] = three_alerts(&store, &key);
    let audit_before = store.audit_count();
    for (who, body, status) in [
        (&viewer, json!({"reason": "test"}), 403),
        (&sre, json!({"reason": "  "}), 422),
        (&sre, json!({}), 422),
    ] {
        let err = action(&store, who, noise, "discard", body, later(1)).unwrap_err();
        assert_eq!(err.status(), status, "{err:?}");
    }
    let err = action(&store, &viewer, real, "open", json!({}), later(1)).unwrap_err();
    assert_eq!(err.status(), 403);
    assert_eq!(store.audit_count(), audit_before, "refusals change nothing");
    assert_eq!(
        detail(&store, noise_incident).incident.status,
        IncidentStatus::Reported
    );

    let discarded = action(
        &store,
        &sre,
        noise,
        "discard",
        json!({"reason": "load test from the perf team"}),
        later(2),
    )
    .unwrap();
    assert_eq!(discarded.incident.status, IncidentStatus::Discarded);
    let steps: Vec<&Transition> = discarded
        .timeline
        .iter()
        .filter_map(|e| match &e.event {
            TimelineEvent::StatusChanged(change) => Some(&change.transition),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        [
            &Transition::StartTriage,
            &Transition::Discard {
                reason: "load test from the perf team".into()
            }
        ]
    );

    let opened = action(&store, &sre, real, "open", json!({}), later(3)).unwrap();
    assert_eq!(
        (opened.incident.id, opened.incident.status),
        (real_incident, IncidentStatus::Triage)
    );
}

/// Creates a ticket and takes it to closed, confirmed by its submitter.
fn closed_incident(store: &MemoryStore, sre: &Actor) -> i64 {
    let view = block_on(incidents::create_incident(
        store,
        sre,
        br#"{"title":"cert renewal"}"#,
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    for (step, body) in [
        (
            1,
            &br#"{"action":"classify_as_problem","priority":"P3"}"#[..],
        ),
        (2, br#"{"action":"resolve"}"#),
        (
            3,
            br#"{"action":"close","confirmation":{"kind":"submitter_confirmed"}}"#,
        ),
    ] {
        block_on(incidents::transition(
            store,
            sre,
            view.id,
            body,
            later(step),
        ))
        .unwrap();
    }
    assert_eq!(
        detail(store, view.id).incident.status,
        IncidentStatus::Closed
    );
    view.id
}

/// SPEC V2, V10: attaching moves the alert to an open incident, records it on
/// both timelines and discards its own untriaged incident as a duplicate;
/// closed, discarded, missing and same incidents are refused; later deliveries
/// follow the alert.
#[test]
fn attach_moves_the_alert_and_discards_the_duplicate() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    let [(noise, noise_incident), (_, real_incident), (same, same_incident)] =
        three_alerts(&store, &key);
    action(
        &store,
        &sre,
        noise,
        "discard",
        json!({"reason": "noise"}),
        later(1),
    )
    .unwrap();
    let closed = closed_incident(&store, &sre);
    let attach_same = |target: i64, minutes: i64| {
        action(
            &store,
            &sre,
            same,
            "attach",
            json!({ "incident_id": target }),
            later(minutes),
        )
    };
    let audit_before = store.audit_count();
    for target in [noise_incident, closed, 999_999, same_incident] {
        let err = attach_same(target, 5).unwrap_err();
        assert_eq!(
            (err.status(), err.body().error.field.as_deref()),
            (422, Some("incident_id")),
            "target {target}: {err:?}"
        );
    }
    assert_eq!(store.audit_count(), audit_before);

    let target = attach_same(real_incident, 6).unwrap();
    assert_eq!(target.incident.id, real_incident);
    let TimelineEvent::AlertAttached(moved) = &target.timeline.last().unwrap().event else {
        panic!("{:?}", target.timeline);
    };
    assert_eq!(
        (moved.alert_id, moved.from_incident),
        (same, Some(same_incident))
    );
    assert_eq!(
        the_alert(&store, "queue-same-cause").incident_id,
        Some(real_incident)
    );
    let left = detail(&store, same_incident);
    assert_eq!(left.incident.status, IncidentStatus::Discarded);
    assert!(events(&left)
        .iter()
        .any(|e| matches!(e, TimelineEvent::AlertDetached(_))));

    enqueue(&store, &key, "trigger", "queue-same-cause", later(7));
    let target = detail(&store, real_incident);
    assert!(matches!(
        events(&target).last(),
        Some(TimelineEvent::AlertRepeated(_))
    ));
}

/// SPEC V10: an incident that still has another alert, or was triaged, is not
/// discarded when one of its alerts is attached elsewhere.
#[test]
fn attach_keeps_an_incident_with_other_alerts() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    let [(first, first_incident), (_, target), _] = three_alerts(&store, &key);
    // Another alert of the same key after a resolve joins the first incident.
    enqueue(&store, &key, "resolve", "queue-noise", later(1));
    enqueue(&store, &key, "trigger", "queue-noise", later(2));
    assert_eq!(store.incident_count(), 3);
    action(
        &store,
        &sre,
        first,
        "attach",
        json!({ "incident_id": target }),
        later(3),
    )
    .unwrap();
    assert_eq!(
        detail(&store, first_incident).incident.status,
        IncidentStatus::Reported
    );
}

/// SPEC I2: an attachment planned while the alert was elsewhere writes nothing.
#[test]
fn attach_is_guarded_by_where_the_alert_was() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    let [(alert, from), (_, to), _] = three_alerts(&store, &key);
    let timeline = |id| detail(&store, id).timeline.len();
    let before = (timeline(from), timeline(to), store.audit_count());
    let moved = AlertMove {
        alert_id: alert,
        integration: "pd-prod".into(),
        dedup_key: "queue-noise".into(),
        summary: String::new(),
        from_incident: None,
        to_incident: None,
    };
    let stale = AlertAttachment {
        alert_id: alert,
        from_incident: to,
        to_incident: from,
        at: later(1),
        actor: sre,
        attached: TimelineEvent::AlertAttached(moved.clone()),
        detached: TimelineEvent::AlertDetached(moved),
        audit: NewAuditRecord {
            action: "alert.attach".into(),
            subject: format!("alert/{alert}"),
            before: None,
            after: None,
        },
    };
    assert!(!block_on(store.attach_alert(&stale)).unwrap());
    assert_eq!((timeline(from), timeline(to), store.audit_count()), before);
    assert_eq!(the_alert(&store, "queue-noise").incident_id, Some(from));
}

/// Three alerts on their own incidents; the first incident is filed under
/// Security by the security team.
fn security_alert(store: &MemoryStore, key: &str) -> [(i64, i64); 3] {
    let security = store.add_actor("sec", Role::Security);
    let alerts = three_alerts(store, key);
    block_on(incidents::change_category(
        store,
        &security,
        alerts[0].1,
        br#"{"category":"Security","labels":[]}"#,
        later(1),
    ))
    .unwrap();
    alerts
}

/// SPEC K3, I4: an SRE without clearance gets for an alert of a Security
/// incident exactly the answer for an alert that does not exist, whatever the
/// action (the read by id, `AlertStore::get_alert`), and the same body as for
/// the hidden incident itself; nothing changes in either incident; cleared
/// readers still act on it.
#[test]
fn alerts_of_security_incidents_are_not_found_without_clearance() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    let [(secret_alert, secret_incident), (_, visible_incident), _] = security_alert(&store, &key);
    let snapshot = |id| {
        let d = detail(&store, id);
        (d.incident.status, d.incident.updated_at, d.timeline.len())
    };
    let before = (
        snapshot(secret_incident),
        snapshot(visible_incident),
        store.audit_count(),
    );
    let missing = action(&store, &sre, 999_999, "open", json!({}), later(2)).unwrap_err();
    assert_eq!(missing, ApiError::NOT_VISIBLE);
    // The hidden incident itself answers with the same body as the hidden alert.
    let hidden_incident = block_on(crate::incidents::get_incident(
        &store,
        &sre,
        secret_incident,
    ))
    .unwrap_err();
    assert_eq!(
        (hidden_incident.status(), hidden_incident.body()),
        (missing.status(), missing.body())
    );
    for (what, body) in [
        ("attach", json!({ "incident_id": visible_incident })),
        ("open", json!({})),
        ("discard", json!({"reason": "looks like noise"})),
    ] {
        let err = action(&store, &sre, secret_alert, what, body, later(2)).unwrap_err();
        assert_eq!(
            (err.status(), err.body()),
            (missing.status(), missing.body()),
            "{what}"
        );
    }
    assert_eq!(
        (
            snapshot(secret_incident),
            snapshot(visible_incident),
            store.audit_count()
        ),
        before
    );
    let alert = block_on(store.get_alert(secret_alert)).unwrap().unwrap();
    assert_eq!(alert.incident.map(|i| i.id), Some(secret_incident));

    let security = store.add_actor("sec2", Role::Security);
    let opened = action(&store, &security, secret_alert, "open", json!({}), later(3)).unwrap();
    assert_eq!(opened.incident.id, secret_incident);
}

/// SPEC K3: the queue (`AlertStore::list_alerts`) leaves out alerts of Security
/// incidents for readers without clearance, and shows them to those cleared.
#[test]
fn alert_queue_leaves_out_security_alerts_without_clearance() {
    let (store, key) = store_with_pagerduty();
    let [(secret_alert, _), (visible_alert, _), _] = security_alert(&store, &key);
    let listed = |role: Role| -> Vec<i64> {
        let reader = store.add_actor(role.as_str(), role);
        block_on(list_alerts(&store, &reader, ""))
            .unwrap()
            .alerts
            .iter()
            .map(|a| a.id)
            .collect()
    };
    for role in [Role::Sre, Role::IncidentCommander, Role::Viewer] {
        let seen = listed(role);
        assert!(!seen.contains(&secret_alert), "{role:?}");
        assert!(seen.contains(&visible_alert), "{role:?}");
    }
    for role in [Role::Security, Role::Management, Role::Admin] {
        assert!(listed(role).contains(&secret_alert), "{role:?}");
    }
}

/// SPEC I2, I4: a write the database drops once is planned and written
/// again, so the sender gets 200 and the alert is stored once.
#[test]
fn a_dropped_delivery_write_is_tried_again() {
    let (store, key) = store_with_pagerduty();
    store.dropped_delivery_writes.set(1);
    let answer = block_on(pagerduty_event(
        &store,
        &event(&key, "trigger", "k"),
        generated(),
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert!(
        matches!(answer, PagerDutyAnswer::Accepted { .. }),
        "{answer:?}"
    );
    assert_eq!(store.dropped_delivery_writes.get(), 0);
    assert_eq!(store.incident_count(), 1);
}

/// SPEC I4: a database that keeps failing writes is a 503 once the tries
/// are spent, and nothing is stored.
#[test]
fn a_write_that_keeps_failing_is_503() {
    let (store, key) = store_with_pagerduty();
    store.dropped_delivery_writes.set(100);
    let err = block_on(pagerduty_event(
        &store,
        &event(&key, "trigger", "k"),
        generated(),
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.status(), 503);
    assert_eq!(store.incident_count(), 0);
}

/// SPEC I4: a store outage is a 503, for the queue and for deliveries.
#[test]
fn store_outage_is_503() {
    let (store, key) = store_with_pagerduty();
    let sre = store.add_actor("sam", Role::Sre);
    store.failing.set(true);
    assert_eq!(
        block_on(list_alerts(&store, &sre, ""))
            .unwrap_err()
            .status(),
        503
    );
    let err = block_on(pagerduty_event(
        &store,
        &event(&key, "trigger", "k"),
        generated(),
        NOW,
        "https://beacon.test",
    ))
    .unwrap_err();
    assert_eq!(err.status(), 503);
}

/// Whom `secret` authenticates as an Alertmanager sender at `at`.
fn sender_at(store: &MemoryStore, secret: &str, at: Timestamp) -> Option<String> {
    block_on(crate::ingest::notification_sender(
        store,
        IngestFormat::Alertmanager,
        secret,
        at,
    ))
    .ok()
    .map(|i| i.name.to_string())
}

fn rotate(
    store: &MemoryStore,
    by: &Actor,
    name: &str,
    body: &str,
    secret: &str,
) -> Result<IntegrationRotated, ApiError> {
    block_on(rotate_integration_secret(
        store,
        by,
        name,
        body.as_bytes(),
        NOW,
        secret.into(),
    ))
}

/// SPEC I3: a rotated secret works at once; the one before it works until
/// the overlap ends, then never again; an overlap of 0 stops it at once.
#[test]
fn a_rotated_secret_keeps_the_old_one_only_for_the_overlap() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let old = integration(&store, &admin, "am-rot", IngestFormat::Alertmanager);
    let rotated = rotate(
        &store,
        &admin,
        "am-rot",
        r#"{"overlap_minutes": 60}"#,
        "bki_new",
    )
    .unwrap();
    assert_eq!(rotated.secret, "bki_new");
    assert_eq!(rotated.previous_secret_valid_until, later(60));
    let am_rot = Some("am-rot".to_owned());
    assert_eq!(sender_at(&store, "bki_new", NOW), am_rot);
    assert_eq!(sender_at(&store, &old, later(59)), am_rot);
    assert_eq!(sender_at(&store, &old, later(60)), None);

    rotate(
        &store,
        &admin,
        "am-rot",
        r#"{"overlap_minutes": 0}"#,
        "bki_newer",
    )
    .unwrap();
    assert_eq!(sender_at(&store, "bki_new", NOW), None);
    assert_eq!(sender_at(&store, "bki_newer", NOW), am_rot);
    // The default overlap is a day.
    let rotated = rotate(&store, &admin, "am-rot", "", "bki_newest").unwrap();
    assert_eq!(rotated.previous_secret_valid_until, later(24 * 60));
}

/// SPEC I3: a generic integration's deliveries verify with the new key and,
/// inside the overlap, with the one before it.
#[test]
fn a_rotated_generic_integration_verifies_both_keys_during_the_overlap() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let old = integration(&store, &admin, "gen-rot", IngestFormat::Generic);
    rotate(
        &store,
        &admin,
        "gen-rot",
        r#"{"overlap_minutes": 5}"#,
        "bki_gen_new",
    )
    .unwrap();
    let body = br#"{"alerts":[{"dedup_key":"k1","action":"trigger","summary":"Rotated"}]}"#;
    let deliver = |secret: &str, at: Timestamp| {
        let timestamp = (at.unix_millis() / 1000).to_string();
        let signature = sign(&hash_token(secret), &timestamp, body);
        let signed = SignedRequest::from_headers(Some(&timestamp), Some(&signature), at).unwrap();
        block_on(generic_delivery(
            &store,
            "gen-rot",
            &signed,
            body,
            at,
            "https://beacon.test",
        ))
        .map(|_| ())
        .map_err(|e| e.status())
    };
    assert_eq!(deliver("bki_gen_new", NOW), Ok(()));
    assert_eq!(deliver(&old, later(4)), Ok(()));
    assert_eq!(deliver(&old, later(6)), Err(401));
}

/// SPEC I3: only an admin rotates; a bad overlap names its field; an
/// unknown or disabled integration is 404; each refusal stores nothing.
#[test]
fn refused_rotations_store_nothing() {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    let sre = store.add_actor("sam", Role::Sre);
    let old = integration(&store, &admin, "am-rot", IngestFormat::Alertmanager);
    let audit = store.audit_count();
    let status = |r: Result<IntegrationRotated, ApiError>| r.unwrap_err().status();
    assert_eq!(status(rotate(&store, &sre, "am-rot", "", "bki_x")), 403);
    let err = rotate(
        &store,
        &admin,
        "am-rot",
        r#"{"overlap_minutes": 10081}"#,
        "bki_x",
    )
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.body().error.field.as_deref(), Some("overlap_minutes"));
    assert_eq!(
        status(rotate(
            &store,
            &admin,
            "am-rot",
            r#"{"overlap": 1}"#,
            "bki_x"
        )),
        422
    );
    assert_eq!(status(rotate(&store, &admin, "nope", "", "bki_x")), 404);
    assert_eq!(store.audit_count(), audit);
    assert_eq!(sender_at(&store, &old, NOW), Some("am-rot".into()));
    assert_eq!(sender_at(&store, "bki_x", NOW), None);
}

/// SPEC I3: a disabled integration's senders are refused as unknown ones
/// are, whatever the format; disabling is audited, and only once.
#[test]
fn a_disabled_integration_refuses_its_senders() {
    let (store, key) = store_with_pagerduty();
    let admin = store.add_actor("adm", Role::Admin);
    let sre = store.add_actor("sam", Role::Sre);
    let am = integration(&store, &admin, "am-off", IngestFormat::Alertmanager);
    let disable = |by: &Actor, name: &str| block_on(disable_integration(&store, by, name, NOW));
    assert_eq!(disable(&sre, "am-off").unwrap_err().status(), 403);
    let audit = store.audit_count();
    disable(&admin, "am-off").unwrap();
    disable(&admin, "pd-prod").unwrap();
    assert_eq!(store.audit_count(), audit + 2);
    assert_eq!(disable(&admin, "am-off").unwrap_err().status(), 404);
    assert_eq!(sender_at(&store, &am, NOW), None);
    let answer = block_on(pagerduty_event(
        &store,
        &event(&key, "trigger", "k"),
        generated(),
        NOW,
        "https://beacon.test",
    ))
    .unwrap();
    assert!(
        matches!(answer, PagerDutyAnswer::Invalid { .. }),
        "{answer:?}"
    );
    assert_eq!(store.incident_count(), 0);
    assert_eq!(
        rotate(&store, &admin, "am-off", "", "bki_y")
            .unwrap_err()
            .status(),
        404
    );
}
