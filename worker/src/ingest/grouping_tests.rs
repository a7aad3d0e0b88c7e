//! Native tests of grouping, the priority of a group, group resolution, storm
//! control, the delivery size limit and the pruning of raw deliveries,
//! against the in-memory store.

use super::*;
use crate::alerts::{create_integration, list_alerts, prune_deliveries, set_ingest_control};
use crate::auth::Actor;
use crate::memory::MemoryStore;
use beacon_shared::alert_group::{Grouping, IngestControl, STORM_WINDOW_MS};
use beacon_shared::role::Role;
use pollster::block_on;
use serde_json::{json, Value};

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.test";

fn seconds_later(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + seconds * 1_000)
}

struct Setup {
    store: MemoryStore,
    admin: Actor,
}

fn setup() -> Setup {
    let store = MemoryStore::default();
    let admin = store.add_actor("ada", Role::Admin);
    Setup { store, admin }
}

impl Setup {
    /// Adds an integration with `control` (the defaults when `None`) and returns its secret.
    fn integration(&self, name: &str, format: IngestFormat, control: Option<Value>) -> String {
        let mut body = json!({ "name": name, "format": format, "owner_group": "web" });
        if let Some(control) = control {
            body["control"] = control;
        }
        block_on(create_integration(
            &self.store,
            &self.admin,
            body.to_string().as_bytes(),
            NOW,
            format!("bki_secret_of_{name}"),
        ))
        .unwrap()
        .secret
    }

    fn deliver(&self, secret: &str, body: &Value, at: Timestamp) -> DeliveryReceipt {
        block_on(notification_delivery(
            &self.store,
            IngestFormat::Alertmanager,
            secret,
            body.to_string().as_bytes(),
            at,
            BASE,
        ))
        .unwrap()
    }

    fn incident(&self, id: i64) -> crate::stores::IncidentRecord {
        block_on(self.store.get_incident(id)).unwrap().unwrap()
    }

    fn timeline_kinds(&self, id: i64) -> Vec<&'static str> {
        block_on(self.store.timeline(id))
            .unwrap()
            .iter()
            .map(|entry| entry.event.kind())
            .collect()
    }

    /// The alerts of incident `id` as the queue lists them (`?incident=`).
    fn alerts_of(&self, id: i64) -> Vec<beacon_shared::api::AlertView> {
        block_on(list_alerts(
            &self.store,
            &self.admin,
            &format!("incident={id}"),
        ))
        .unwrap()
        .alerts
    }

    /// The incident of the alert with `key`.
    fn incident_of(&self, key: &str) -> i64 {
        let all = block_on(list_alerts(&self.store, &self.admin, "")).unwrap();
        all.alerts
            .iter()
            .find(|a| a.dedup_key == key)
            .and_then(|a| a.incident_id)
            .unwrap_or_else(|| panic!("no alert {key}"))
    }
}

/// One alert of a notification: `instance` on `alertname`, at `severity`.
fn alert(status: &str, alertname: &str, instance: &str, severity: &str) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": alertname, "service": "checkout", "instance": instance, "severity": severity},
        "annotations": {"summary": format!("{alertname} on {instance}")},
        "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": format!("{alertname}-{instance}")
    })
}

/// A notification of group `{alertname, service}` with `alerts`.
fn notification(alertname: &str, status: &str, alerts: Vec<Value>) -> Value {
    json!({
        "receiver": "beacon", "status": status, "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alertname}\", service=\"checkout\"}}"),
        "truncatedAlerts": 0,
        "groupLabels": {"alertname": alertname, "service": "checkout"},
        "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
        "alerts": alerts
    })
}

fn instances(
    status: &str,
    alertname: &str,
    range: std::ops::Range<u32>,
    severity: &str,
) -> Vec<Value> {
    range
        .map(|i| alert(status, alertname, &format!("web-{i}:9100"), severity))
        .collect()
}

/// SPEC I1, I2, V2: the 50 alerts of one notification group open one
/// incident, a later alert of the group joins it, and the incident lists them.
#[test]
fn a_notification_group_opens_one_incident() {
    let s = setup();
    let secret = s.integration("am-prod", IngestFormat::Alertmanager, None);
    let receipt = s.deliver(
        &secret,
        &notification(
            "HighErrorRate",
            "firing",
            instances("firing", "HighErrorRate", 0..50, "warning"),
        ),
        NOW,
    );
    let outcomes: Vec<&str> = receipt.alerts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes[0], "opened_with_incident");
    assert!(outcomes[1..]
        .iter()
        .all(|o| *o == "opened_on_open_incident"));
    assert_eq!(s.store.incident_count(), 1);
    let incident = s.incident_of("HighErrorRate-web-0:9100");
    assert_eq!(s.alerts_of(incident).len(), 50);

    s.deliver(
        &secret,
        &notification(
            "HighErrorRate",
            "firing",
            instances("firing", "HighErrorRate", 0..51, "warning"),
        ),
        seconds_later(30),
    );
    assert_eq!(
        s.store.incident_count(),
        1,
        "later alerts of the group join it"
    );
    assert_eq!(s.alerts_of(incident).len(), 51);
    assert_eq!(s.incident(incident).state.priority, Priority::P2);
}

/// SPEC I2, P0, P2: a group's incident takes the most urgent priority of its
/// alerts: opened at the most urgent of its first delivery, raised (with a
/// timeline line and an audit record) when a critical alert joins, never lowered.
#[test]
fn a_group_takes_the_most_urgent_priority_of_its_alerts() {
    let s = setup();
    let secret = s.integration("am-prod", IngestFormat::Alertmanager, None);
    let mut first = instances("firing", "DiskFull", 0..3, "warning");
    first.push(alert("firing", "DiskFull", "db-1:9100", "error"));
    s.deliver(&secret, &notification("DiskFull", "firing", first), NOW);
    let incident = s.incident_of("DiskFull-web-0:9100");
    assert_eq!(s.incident(incident).state.priority, Priority::P2);

    let audit_before = s.store.audit_count();
    s.deliver(
        &secret,
        &notification(
            "DiskFull",
            "firing",
            vec![alert("firing", "DiskFull", "db-2:9100", "critical")],
        ),
        seconds_later(20),
    );
    let record = s.incident(incident);
    assert_eq!(record.state.priority, Priority::P0);
    assert_eq!(record.state.rules_priority, Priority::P2);
    assert_eq!(s.timeline_kinds(incident).last(), Some(&"priority_changed"));
    assert_eq!(s.store.audit_count(), audit_before + 1);

    s.deliver(
        &secret,
        &notification(
            "DiskFull",
            "firing",
            vec![alert("firing", "DiskFull", "db-3:9100", "info")],
        ),
        seconds_later(40),
    );
    assert_eq!(
        s.incident(incident).state.priority,
        Priority::P0,
        "never lowered"
    );

    // A first delivery with a critical alert among warnings opens at P0 at once.
    let mut mixed = instances("firing", "Latency", 0..5, "warning");
    mixed.push(alert("firing", "Latency", "web-9:9100", "critical"));
    s.deliver(
        &secret,
        &notification("Latency", "firing", mixed),
        seconds_later(50),
    );
    let latency = s.incident_of("Latency-web-0:9100");
    assert_eq!(s.incident(latency).state.priority, Priority::P0);
    let created = block_on(s.store.timeline(latency)).unwrap();
    let TimelineEvent::Created(created) = &created[0].event else {
        panic!("first line is not the creation");
    };
    assert_eq!(created.state.priority, Priority::P0);
}

/// SPEC I2: "one incident per alert" stays available per integration.
#[test]
fn per_alert_grouping_opens_one_incident_per_alert() {
    let s = setup();
    let secret = s.integration(
        "am-per-alert",
        IngestFormat::Alertmanager,
        Some(json!({"grouping": "per_alert"})),
    );
    s.deliver(
        &secret,
        &notification(
            "HighErrorRate",
            "firing",
            instances("firing", "HighErrorRate", 0..3, "warning"),
        ),
        NOW,
    );
    assert_eq!(s.store.incident_count(), 3);
}

/// SPEC V3, I2: the group's incident is cleared by its alerts only when the
/// last of them resolves: 49 of 50 leave it unlabelled, the 50th marks it
/// short-lived once, as a single alert's resolution does.
#[test]
fn a_group_resolves_with_its_last_alert() {
    let s = setup();
    let secret = s.integration("am-prod", IngestFormat::Alertmanager, None);
    s.deliver(
        &secret,
        &notification(
            "HighErrorRate",
            "firing",
            instances("firing", "HighErrorRate", 0..50, "warning"),
        ),
        NOW,
    );
    let incident = s.incident_of("HighErrorRate-web-0:9100");
    s.deliver(
        &secret,
        &notification(
            "HighErrorRate",
            "firing",
            instances("resolved", "HighErrorRate", 0..49, "warning"),
        ),
        seconds_later(60),
    );
    assert!(s.incident(incident).state.labels.is_empty());
    let audit_before = s.store.audit_count();
    s.deliver(
        &secret,
        &notification(
            "HighErrorRate",
            "resolved",
            instances("resolved", "HighErrorRate", 49..50, "warning"),
        ),
        seconds_later(120),
    );
    let labels: Vec<String> = s
        .incident(incident)
        .state
        .labels
        .as_slice()
        .iter()
        .map(|l| l.as_str().to_owned())
        .collect();
    assert_eq!(labels, [SHORT_LIVED_LABEL]);
    assert_eq!(s.store.audit_count(), audit_before + 1);
    assert!(s.alerts_of(incident).iter().all(|a| a.status == "resolved"));

    // All 50 resolving in one delivery: one label, one audit record.
    let other = s.integration("am-other", IngestFormat::Alertmanager, None);
    s.deliver(
        &other,
        &notification(
            "Other",
            "firing",
            instances("firing", "Other", 0..50, "warning"),
        ),
        NOW,
    );
    let audit_before = s.store.audit_count();
    s.deliver(
        &other,
        &notification(
            "Other",
            "resolved",
            instances("resolved", "Other", 0..50, "warning"),
        ),
        seconds_later(60),
    );
    assert_eq!(s.store.audit_count(), audit_before + 1);
}

/// SPEC E1, I2: past the threshold of new incidents in a minute, new alerts
/// of other groups join one storm incident, titled with its number of alerts
/// and at least P1 so that it pages the duty IC; after a quiet minute new
/// alerts open their own incidents again.
#[test]
fn a_storm_joins_one_incident_past_the_threshold() {
    let s = setup();
    let secret = s.integration("am-storm", IngestFormat::Alertmanager, None);
    for group in 0..25 {
        let name = format!("Alert{group}");
        s.deliver(
            &secret,
            &notification(&name, "firing", instances("firing", &name, 0..2, "info")),
            seconds_later(group),
        );
    }
    assert_eq!(
        s.store.incident_count(),
        11,
        "10 own incidents and one storm"
    );
    let storm = s.incident_of("Alert10-web-0:9100");
    assert_eq!(s.incident_of("Alert24-web-1:9100"), storm);
    let record = s.incident(storm);
    assert_eq!(record.state.title, "Alert storm on am-storm: 30 alerts");
    assert_eq!(record.state.priority, Priority::P1);
    assert_eq!(record.state.rules_priority, Priority::P3);
    assert_eq!(s.alerts_of(storm).len(), 30);

    // A group of the storm keeps joining it while the storm lasts.
    s.deliver(
        &secret,
        &notification(
            "Alert12",
            "firing",
            instances("firing", "Alert12", 2..3, "critical"),
        ),
        seconds_later(30),
    );
    let record = s.incident(storm);
    assert_eq!(record.state.title, "Alert storm on am-storm: 31 alerts");
    assert_eq!(
        record.state.priority,
        Priority::P0,
        "raised by its critical alert"
    );

    // An earlier group's incident is joined by its own alerts, not the storm.
    s.deliver(
        &secret,
        &notification(
            "Alert3",
            "firing",
            instances("firing", "Alert3", 2..3, "info"),
        ),
        seconds_later(31),
    );
    assert_eq!(
        s.incident_of("Alert3-web-2:9100"),
        s.incident_of("Alert3-web-0:9100")
    );

    let quiet = Timestamp::from_unix_millis(seconds_later(25).unix_millis() + STORM_WINDOW_MS);
    s.deliver(
        &secret,
        &notification("Calm", "firing", instances("firing", "Calm", 0..1, "info")),
        quiet,
    );
    assert_ne!(s.incident_of("Calm-web-0:9100"), storm);
    assert_eq!(s.store.incident_count(), 12);
}

/// SPEC E1, I1: the threshold is per integration and a delivery of alerts
/// without a group (per-alert grouping) is held in the same delivery.
#[test]
fn the_storm_threshold_is_tuned_per_integration() {
    let s = setup();
    let secret = s.integration(
        "am-tuned",
        IngestFormat::Alertmanager,
        Some(json!({"grouping": "per_alert", "storm_threshold": 3})),
    );
    s.deliver(
        &secret,
        &notification(
            "Flood",
            "firing",
            instances("firing", "Flood", 0..40, "warning"),
        ),
        NOW,
    );
    assert_eq!(s.store.incident_count(), 4);
    let storm = s.incident_of("Flood-web-3:9100");
    assert_eq!(
        s.incident(storm).state.title,
        "Alert storm on am-tuned: 37 alerts"
    );

    let quiet = s.integration("am-quiet", IngestFormat::Alertmanager, None);
    s.deliver(
        &quiet,
        &notification("One", "firing", instances("firing", "One", 0..1, "warning")),
        NOW,
    );
    assert_eq!(
        s.store.incident_count(),
        5,
        "another integration is not in the storm"
    );
}

/// SPEC I1, E1: PagerDuty triggers without `dedup_key` are held by the same
/// storm control: each has a key of its own, so past the threshold they join
/// the storm incident.
#[test]
fn pagerduty_triggers_without_keys_are_held_by_storm_control() {
    let s = setup();
    let routing_key = s.integration("pd-flood", IngestFormat::Pagerduty, None);
    for i in 0..30u32 {
        let body = json!({
            "routing_key": routing_key, "event_action": "trigger",
            "payload": {"summary": format!("Disk full {i}"), "source": format!("srv{i}"), "severity": "critical"}
        });
        let generated = DedupKey::parse(&format!("{i:032x}")).unwrap();
        let answer = block_on(pagerduty_event(
            &s.store,
            body.to_string().as_bytes(),
            generated,
            seconds_later(i64::from(i)),
            BASE,
        ))
        .unwrap();
        assert!(matches!(answer, PagerDutyAnswer::Accepted { .. }));
    }
    assert_eq!(s.store.incident_count(), 11);
    let storm = s.incident_of(&format!("{:032x}", 29));
    let record = s.incident(storm);
    assert_eq!(record.state.title, "Alert storm on pd-flood: 20 alerts");
    assert_eq!(record.state.priority, Priority::P0);
}

/// SPEC I1, I4: a delivery of 1,001 alerts is refused with 413 naming
/// `alerts`, and nothing is stored: no delivery, alert or incident.
#[test]
fn a_delivery_of_more_than_a_thousand_alerts_is_refused_whole() {
    let s = setup();
    let secret = s.integration("am-big", IngestFormat::Alertmanager, None);
    let body = notification(
        "Huge",
        "firing",
        instances("firing", "Huge", 0..1_001, "warning"),
    );
    let refused = block_on(notification_delivery(
        &s.store,
        IngestFormat::Alertmanager,
        &secret,
        body.to_string().as_bytes(),
        NOW,
        BASE,
    ))
    .unwrap_err();
    assert_eq!(refused.status(), 413);
    assert_eq!(refused.body().error.field.as_deref(), Some("alerts"));
    assert_eq!(s.store.delivery_count(), 0);
    assert_eq!(s.store.incident_count(), 0);
    assert!(block_on(list_alerts(&s.store, &s.admin, ""))
        .unwrap()
        .alerts
        .is_empty());

    let body = notification(
        "Large",
        "firing",
        instances("firing", "Large", 0..1_000, "warning"),
    );
    s.deliver(&secret, &body, NOW);
    assert_eq!(s.store.delivery_count(), 1, "1,000 alerts are accepted");
}

/// SPEC I1: the cron prunes raw deliveries past their integration's retention
/// (30 days by default) and keeps the rest.
#[test]
fn raw_deliveries_are_pruned_after_their_retention() {
    let s = setup();
    let default = s.integration("am-default", IngestFormat::Alertmanager, None);
    let short = s.integration(
        "am-short",
        IngestFormat::Alertmanager,
        Some(json!({"delivery_retention_days": 1})),
    );
    for secret in [&default, &short] {
        s.deliver(
            secret,
            &notification(
                "Disk",
                "firing",
                instances("firing", "Disk", 0..1, "warning"),
            ),
            NOW,
        );
    }
    let day = 24 * 60 * 60;
    assert_eq!(
        block_on(prune_deliveries(&s.store, seconds_later(day - 1))).unwrap(),
        0
    );
    assert_eq!(
        block_on(prune_deliveries(&s.store, seconds_later(day + 1))).unwrap(),
        1
    );
    assert_eq!(s.store.delivery_count(), 1);
    assert_eq!(
        block_on(prune_deliveries(&s.store, seconds_later(30 * day))).unwrap(),
        0
    );
    assert_eq!(
        block_on(prune_deliveries(&s.store, seconds_later(30 * day + 1))).unwrap(),
        1
    );
    assert_eq!(s.store.delivery_count(), 0);
}

/// SPEC I1, I3: only an admin tunes an integration; out-of-range values name
/// their field and change nothing; a change is audited and applies to the
/// next delivery.
#[test]
fn an_admin_tunes_grouping_and_storm_control() {
    let s = setup();
    let secret = s.integration("am-prod", IngestFormat::Alertmanager, None);
    let sre = s.store.add_actor("sam", Role::Sre);
    let put = |actor: &Actor, body: Value| {
        block_on(set_ingest_control(
            &s.store,
            actor,
            "am-prod",
            body.to_string().as_bytes(),
            NOW,
        ))
    };
    assert_eq!(
        put(&sre, json!({"grouping": "per_alert"}))
            .unwrap_err()
            .status(),
        403
    );
    let refused = put(&s.admin, json!({"storm_threshold": 0})).unwrap_err();
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.body().error.field.as_deref(),
        Some("storm_threshold")
    );
    let refused = block_on(set_ingest_control(&s.store, &s.admin, "nope", b"{}", NOW)).unwrap_err();
    assert_eq!(refused.status(), 404);

    let audit_before = s.store.audit_count();
    let control = put(
        &s.admin,
        json!({"grouping": "per_alert", "storm_threshold": 50}),
    )
    .unwrap();
    assert_eq!(
        control,
        IngestControl {
            grouping: Grouping::PerAlert,
            storm_threshold: 50,
            delivery_retention_days: 30,
        }
    );
    assert_eq!(s.store.audit_count(), audit_before + 1);
    s.deliver(
        &secret,
        &notification(
            "Spread",
            "firing",
            instances("firing", "Spread", 0..20, "warning"),
        ),
        NOW,
    );
    assert_eq!(s.store.incident_count(), 20);

    let created = serde_json::to_string(&json!({
        "name": "am-bad", "format": "alertmanager", "control": {"delivery_retention_days": 0}
    }))
    .unwrap();
    let refused = block_on(create_integration(
        &s.store,
        &s.admin,
        created.as_bytes(),
        NOW,
        "bki_bad".into(),
    ))
    .unwrap_err();
    assert_eq!(
        refused.body().error.field.as_deref(),
        Some("control.delivery_retention_days")
    );
}

/// SPEC I2: a delivery that opens its own incidents re-plans when, meanwhile,
/// the storm window filled up: the store refuses a write past the threshold.
#[test]
fn a_delivery_past_a_full_window_is_refused_by_the_store() {
    let s = setup();
    let secret = s.integration(
        "am-raced",
        IngestFormat::Alertmanager,
        Some(json!({"storm_threshold": 1})),
    );
    let integration = block_on(
        s.store
            .integration_for_secret_hash(&hash_token(&secret), NOW),
    )
    .unwrap()
    .unwrap();
    s.deliver(
        &secret,
        &notification(
            "First",
            "firing",
            instances("firing", "First", 0..1, "warning"),
        ),
        NOW,
    );
    // Planned as if the window were still empty.
    let signals = notification(
        "Second",
        "firing",
        instances("firing", "Second", 0..1, "warning"),
    );
    let parsed: alertmanager::Notification = serde_json::from_value(signals).unwrap();
    let planned = plan_delivery(
        &integration,
        parsed.signals(),
        parsed.group_key.as_deref(),
        &DeliveryHistory::default(),
        NOW,
    );
    assert!(planned.opens_own_incidents);
    let delivery = DeliveryPlan {
        integration: &integration,
        received: ReceivedDelivery {
            body: b"{}",
            signature: None,
        },
        group_key: parsed.group_key.as_deref(),
        plans: planned.plans,
        raises: planned.raises,
        storm_start: planned.storm_start,
        storm_recount: planned.storm_recount,
        opens_own_incidents: planned.opens_own_incidents,
        at: NOW,
    };
    let incidents = s.store.incident_count();
    assert_eq!(
        block_on(s.store.store_delivery(&delivery)),
        Err(StoreError::LostGuard)
    );
    assert_eq!(s.store.incident_count(), incidents);
}
