//! Monitoring ingestion (SPEC I1, I2, V2, V3, T1, T3, T4, T7): who sent a delivery,
//! and what each alert in it does to Beacon's alerts and incidents.
//!
//! [`plan_signal`] is pure: given what the store knows about an alert's key it
//! decides whether the delivery opens an alert (and an incident), repeats,
//! acknowledges or resolves one, or is dropped as PagerDuty drops it. The
//! handlers ([`notification_delivery`], [`generic_delivery`],
//! [`pagerduty_event`]) authenticate the sender and [`ingest`] stores a whole
//! delivery (the raw event and every plan) as one unit through the
//! [`AlertStore`]; a delivery that loses a race on the open-alert unique index
//! or on an incident's labels is planned again.

use crate::auth::hash_token;
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{
    AlertStatus, AlertStore, EscalationStore, IncidentState, IncidentStore, Integration,
    KeyHistory, LinkedIncident, NewAuditRecord, ProblemStore, StoreError, REPLAYED_SIGNATURE,
};
use crate::webhook_signature::{SignatureError, SignedRequest};
use beacon_shared::alert::{AlertAction, AlertSignal, DedupKey, IngestFormat};
use beacon_shared::category::Labels;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::recurrence::{AlertIdentity, RecurrenceFacts};
use beacon_shared::timeline::{AlertNote, AlertOrigin, Created, TimelineEvent};
use beacon_shared::webhooks::{alertmanager, generic, pagerduty};
use beacon_shared::{classify_priority, Timestamp};
use serde::{Deserialize, Serialize};

/// The label an untriaged incident gets when its alert cleared by itself (V3).
pub const SHORT_LIVED_LABEL: &str = "short-lived";

/// The incident a new alert opens: in the SOP's first state, classified by the mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertIncident {
    pub state: IncidentState,
    /// Its first timeline entry.
    pub created: TimelineEvent,
}

/// Where a new alert's incident comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentTarget {
    New(Box<NewAlertIncident>),
    /// The key's incident is still open: the alert joins it.
    Existing(i64),
}

/// An untriaged incident's labels with [`SHORT_LIVED_LABEL`] added, written
/// only if its labels and status are still those the plan was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelChange {
    pub incident_id: i64,
    pub expected_labels: Labels,
    pub expected_status: IncidentStatus,
    pub labels: Labels,
}

impl LabelChange {
    /// The change that labels `incident` short-lived; `None` when it carries
    /// the label already or has no room left for it ([`Labels::MAX_LABELS`]).
    pub fn short_lived(incident: &LinkedIncident) -> Option<Self> {
        let current = incident.labels.as_slice().iter().map(|l| l.as_str());
        let labels = Labels::parse(current.chain([SHORT_LIVED_LABEL])).ok()?;
        (labels != incident.labels).then(|| LabelChange {
            incident_id: incident.id,
            expected_labels: incident.labels.clone(),
            expected_status: incident.status,
            labels,
        })
    }
}

/// What one signal of a delivery does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertPlan {
    Open {
        signal: AlertSignal,
        incident: IncidentTarget,
    },
    Repeat {
        alert_id: i64,
        incident_id: Option<i64>,
        signal: AlertSignal,
    },
    Acknowledge {
        alert_id: i64,
        incident_id: Option<i64>,
        signal: AlertSignal,
    },
    Resolve {
        alert_id: i64,
        incident_id: Option<i64>,
        /// The incident was never triaged: a short-lived condition (V3).
        short_lived: bool,
        /// The short-lived label to write, when the incident has room for it.
        label: Option<LabelChange>,
        signal: AlertSignal,
    },
    /// Acknowledge/resolve for a key with no open alert: PagerDuty drops these.
    Dropped { signal: AlertSignal },
}

impl AlertPlan {
    pub fn signal(&self) -> &AlertSignal {
        match self {
            AlertPlan::Open { signal, .. }
            | AlertPlan::Repeat { signal, .. }
            | AlertPlan::Acknowledge { signal, .. }
            | AlertPlan::Resolve { signal, .. }
            | AlertPlan::Dropped { signal } => signal,
        }
    }

    /// One word for the delivery's outcome and the API response.
    pub fn outcome(&self) -> &'static str {
        match self {
            AlertPlan::Open {
                incident: IncidentTarget::New(_),
                ..
            } => "opened_with_incident",
            AlertPlan::Open { .. } => "opened_on_open_incident",
            AlertPlan::Repeat { .. } => "repeated",
            AlertPlan::Acknowledge { .. } => "acknowledged",
            AlertPlan::Resolve { .. } => "resolved",
            AlertPlan::Dropped { .. } => "dropped",
        }
    }

    /// The timeline entry this plan adds to its incident.
    pub fn timeline_entry(&self, integration: &Integration) -> TimelineEvent {
        let signal = self.signal();
        let note = |short_lived: Option<bool>| AlertNote {
            integration: integration.name.to_string(),
            format: integration.format,
            dedup_key: signal.dedup_key.to_string(),
            summary: signal.summary.clone(),
            severity: signal.severity,
            links: signal.links.clone(),
            short_lived,
        };
        match self {
            AlertPlan::Open { .. } => TimelineEvent::AlertTriggered(note(None)),
            AlertPlan::Repeat { .. } => TimelineEvent::AlertRepeated(note(None)),
            AlertPlan::Acknowledge { .. } => TimelineEvent::AlertAcknowledged(note(None)),
            AlertPlan::Resolve { short_lived, .. } => {
                TimelineEvent::AlertResolved(note(Some(*short_lived)))
            }
            AlertPlan::Dropped { .. } => TimelineEvent::AlertDropped(note(None)),
        }
    }
}

/// What a plan does to an alert that exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertUpdate {
    pub alert_id: i64,
    pub incident_id: Option<i64>,
    /// The alert's new status; `None` keeps it (a repeat).
    pub status: Option<AlertStatus>,
}

impl AlertPlan {
    /// The change to an existing alert: one more delivery, maybe a new
    /// status. `None` for a plan that opens an alert or drops the signal.
    pub fn alert_update(&self) -> Option<AlertUpdate> {
        let (alert_id, incident_id, status) = match self {
            AlertPlan::Repeat {
                alert_id,
                incident_id,
                ..
            } => (alert_id, incident_id, None),
            AlertPlan::Acknowledge {
                alert_id,
                incident_id,
                ..
            } => (alert_id, incident_id, Some(AlertStatus::Acknowledged)),
            AlertPlan::Resolve {
                alert_id,
                incident_id,
                ..
            } => (alert_id, incident_id, Some(AlertStatus::Resolved)),
            AlertPlan::Open { .. } | AlertPlan::Dropped { .. } => return None,
        };
        Some(AlertUpdate {
            alert_id: *alert_id,
            incident_id: *incident_id,
            status,
        })
    }

    /// The short-lived label this plan writes, if any.
    pub fn label_change(&self) -> Option<&LabelChange> {
        match self {
            AlertPlan::Resolve { label, .. } => label.as_ref(),
            _ => None,
        }
    }

    /// The audit record this plan writes besides its timeline entry: a
    /// resolution that marks its untriaged incident short-lived (V3).
    pub fn audit_record(&self) -> Option<NewAuditRecord> {
        let AlertPlan::Resolve {
            incident_id: Some(incident_id),
            short_lived: true,
            label,
            signal,
            ..
        } = self
        else {
            return None;
        };
        Some(NewAuditRecord {
            action: "incident.short_lived".into(),
            subject: format!("incident/{incident_id}"),
            before: None,
            after: Some(serde_json::json!({
                "label": SHORT_LIVED_LABEL,
                "dedup_key": signal.dedup_key,
                "label_added": label.is_some(),
            })),
        })
    }
}

/// Decides what `signal` does, given the key's `history` (SPEC I2, V3).
pub fn plan_signal(
    integration: &Integration,
    signal: AlertSignal,
    history: &KeyHistory,
    now: Timestamp,
) -> AlertPlan {
    let open_alert = history.open_alert.as_ref();
    let alert_id = open_alert.map(|(id, _)| *id);
    let incident = open_alert.and_then(|(_, incident)| incident.as_ref());
    let incident_id = incident.map(|i| i.id);
    match (signal.action, alert_id) {
        (AlertAction::Trigger, Some(alert_id)) => AlertPlan::Repeat {
            alert_id,
            incident_id,
            signal,
        },
        (AlertAction::Trigger, None) => {
            let joined = history
                .latest_incident
                .as_ref()
                .filter(|i| i.status.awaits_response());
            let incident = match joined {
                Some(open) => IncidentTarget::Existing(open.id),
                None => IncidentTarget::New(Box::new(new_incident(integration, &signal, now))),
            };
            AlertPlan::Open { signal, incident }
        }
        (AlertAction::Acknowledge, Some(alert_id)) => AlertPlan::Acknowledge {
            alert_id,
            incident_id,
            signal,
        },
        (AlertAction::Resolve, Some(alert_id)) => {
            let untriaged = incident.filter(|i| i.status.is_untriaged());
            AlertPlan::Resolve {
                alert_id,
                incident_id,
                short_lived: untriaged.is_some(),
                label: untriaged.and_then(LabelChange::short_lived),
                signal,
            }
        }
        (AlertAction::Acknowledge | AlertAction::Resolve, None) => AlertPlan::Dropped { signal },
    }
}

fn new_incident(
    integration: &Integration,
    signal: &AlertSignal,
    now: Timestamp,
) -> NewAlertIncident {
    let mapped = integration
        .mapping
        .map(signal, integration.format, &integration.name, now);
    let classification = classify_priority(&mapped.facts);
    let state = IncidentState {
        title: mapped.title.to_string(),
        priority: classification.priority,
        rules_priority: classification.priority,
        status: IncidentStatus::Reported,
        category: None,
        labels: Labels::default(),
        owner_group: integration.owner_group.clone(),
        facts: mapped.facts,
    };
    let created = TimelineEvent::Created(Created {
        state: state.snapshot(),
        classification,
        from_alert: Some(AlertOrigin {
            integration: integration.name.to_string(),
            dedup_key: signal.dedup_key.to_string(),
        }),
        mapping_ignored: Some(mapped.ignored),
    });
    NewAlertIncident { state, created }
}

/// Keeps the first short-lived label change per incident: two alerts of one
/// incident resolving in the same delivery were planned from the same labels,
/// and the second change would find them changed by the first and lose its guard.
pub fn one_label_change_per_incident(plans: &mut [AlertPlan]) {
    let mut labelled = Vec::new();
    for plan in plans {
        if let AlertPlan::Resolve { label, .. } = plan {
            match label {
                Some(change) if labelled.contains(&change.incident_id) => *label = None,
                Some(change) => labelled.push(change.incident_id),
                None => {}
            }
        }
    }
}

/// Keeps the last signal per key: one delivery changes each alert once.
pub fn last_signal_per_key(signals: Vec<AlertSignal>) -> Vec<AlertSignal> {
    let mut kept: Vec<AlertSignal> = Vec::with_capacity(signals.len());
    for signal in signals {
        match kept.iter_mut().find(|s| s.dedup_key == signal.dedup_key) {
            Some(existing) => *existing = signal,
            None => kept.push(signal),
        }
    }
    kept
}

/// One alert's outcome in a webhook response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertOutcome {
    pub dedup_key: DedupKey,
    pub outcome: String,
}

/// The answer to an Alertmanager or Grafana delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReceipt {
    pub status: String,
    pub alerts: Vec<AlertOutcome>,
}

/// How often a delivery that lost a race (on the open-alert index, or on an
/// incident's labels) is planned again.
const ATTEMPTS: usize = 4;

/// A delivery as received: the raw body and, for signed formats, its signature.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedDelivery<'a> {
    pub body: &'a [u8],
    pub signature: Option<&'a str>,
}

/// A delivery with what each of its alerts does: what the store writes as one unit.
#[derive(Debug, Clone)]
pub struct DeliveryPlan<'a> {
    pub integration: &'a Integration,
    pub received: ReceivedDelivery<'a>,
    pub plans: Vec<AlertPlan>,
    pub at: Timestamp,
}

impl DeliveryPlan<'_> {
    /// What Beacon did with each alert, as kept with the raw delivery.
    pub fn outcome_json(&self) -> serde_json::Value {
        self.plans
            .iter()
            .map(|p| serde_json::json!({ "dedup_key": p.signal().dedup_key, "outcome": p.outcome() }))
            .collect()
    }
}

/// Plans and stores one delivery as one unit, planning again if a concurrent
/// delivery got there first (SPEC I2). A signed delivery received before is refused.
pub async fn ingest<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration: &Integration,
    received: ReceivedDelivery<'_>,
    signals: Vec<AlertSignal>,
    now: Timestamp,
    base_url: &str,
) -> Result<Vec<AlertPlan>, ApiError> {
    let signals = last_signal_per_key(signals);
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let mut plans = Vec::with_capacity(signals.len());
        for signal in &signals {
            let history = store.key_history(integration.id, &signal.dedup_key).await?;
            plans.push(plan_signal(integration, signal.clone(), &history, now));
        }
        one_label_change_per_incident(&mut plans);
        let delivery = DeliveryPlan {
            integration,
            received,
            plans,
            at: now,
        };
        match store.store_delivery(&delivery).await {
            Ok(()) => {
                link_recurrences(store, integration, &delivery.plans, now, base_url).await?;
                return Ok(delivery.plans);
            }
            Err(StoreError::UniqueViolation(constraint))
                if constraint.contains(REPLAYED_SIGNATURE) =>
            {
                return Err(ApiError::Conflict {
                    field: None,
                    message: "this signed delivery was already received; sign each delivery anew"
                        .into(),
                })
            }
            Err(err @ (StoreError::UniqueViolation(_) | StoreError::LostGuard)) => {
                last_error = Some(err)
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(last_error
        .map(ApiError::from)
        .unwrap_or_else(|| ApiError::StoreUnavailable("delivery not stored".into())))
}

/// Links the incidents a stored delivery opened that recur a problem (SPEC
/// R6): one query reads the candidate problems of all of them; only a match
/// costs more.
async fn link_recurrences<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration: &Integration,
    plans: &[AlertPlan],
    now: Timestamp,
    base_url: &str,
) -> Result<(), ApiError> {
    let opened: Vec<(&AlertSignal, &NewAlertIncident)> = plans
        .iter()
        .filter_map(|plan| match plan {
            AlertPlan::Open {
                signal,
                incident: IncidentTarget::New(new),
            } => Some((signal, new.as_ref())),
            _ => None,
        })
        .collect();
    if opened.is_empty() {
        return Ok(());
    }
    let facts: Vec<RecurrenceFacts> = opened
        .iter()
        .map(|(signal, new)| {
            crate::problems::state_recurrence_facts(
                &new.state,
                Some(AlertIdentity::of(&integration.name, signal)),
            )
        })
        .collect();
    let found = crate::problems::find_recurrences(store, &facts, now).await?;
    for ((signal, _), found) in opened.iter().zip(found) {
        let Some(found) = found else { continue };
        let history = store.key_history(integration.id, &signal.dedup_key).await?;
        let incident = history
            .open_alert
            .and_then(|(_, incident)| incident)
            .map(|incident| incident.id);
        if let Some(incident) = incident {
            let actor = crate::problems::system_actor();
            crate::problems::apply_recurrence(store, incident, &found, &actor, now, base_url)
                .await?;
        }
    }
    Ok(())
}

fn receipt(plans: &[AlertPlan]) -> DeliveryReceipt {
    DeliveryReceipt {
        status: "ok".into(),
        alerts: plans
            .iter()
            .map(|p| AlertOutcome {
                dedup_key: p.signal().dedup_key.clone(),
                outcome: p.outcome().into(),
            })
            .collect(),
    }
}

/// `POST /api/webhooks/alertmanager` and `/api/webhooks/grafana`: `secret` is
/// the bearer token Alertmanager's `http_config.authorization` sends; a secret
/// of another format's integration is as unknown as a wrong one.
pub async fn notification_delivery<
    S: AlertStore + IncidentStore + ProblemStore + EscalationStore,
>(
    store: &S,
    format: IngestFormat,
    secret: &str,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<DeliveryReceipt, ApiError> {
    let integration = notification_sender(store, format, secret).await?;
    notification_from(store, &integration, body, now, base_url).await
}

/// The integration of `format` whose secret the sender presented in its
/// `Authorization` header, or 401: checked before the body is read.
pub async fn notification_sender<S: AlertStore>(
    store: &S,
    format: IngestFormat,
    secret: &str,
) -> Result<Integration, ApiError> {
    store
        .integration_for_secret_hash(&hash_token(secret))
        .await?
        .filter(|i| i.format == format)
        .ok_or(ApiError::Unauthorized)
}

/// An Alertmanager or Grafana notification from an authenticated sender
/// ([`notification_sender`]), stored as one delivery.
pub async fn notification_from<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration: &Integration,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<DeliveryReceipt, ApiError> {
    let notification: alertmanager::Notification = decode_json(body)?;
    let received = ReceivedDelivery {
        body,
        signature: None,
    };
    let plans = ingest(
        store,
        integration,
        received,
        notification.signals(),
        now,
        base_url,
    )
    .await?;
    Ok(receipt(&plans))
}

/// `POST /api/webhooks/generic/{integration}`: Beacon's own format, signed with
/// HMAC-SHA256 (see [`crate::webhook_signature`]); `signed` holds the checked
/// signature headers.
pub async fn generic_delivery<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration_name: &str,
    signed: &SignedRequest,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<DeliveryReceipt, ApiError> {
    // An unknown name and a wrong signature get the same answer.
    let mismatch = || ApiError::BadSignature(SignatureError::Mismatch.to_string());
    let (integration, key) = store
        .integration_named(integration_name)
        .await?
        .filter(|(i, _)| i.format == IngestFormat::Generic)
        .ok_or_else(mismatch)?;
    signed.verify(&key, body).map_err(|_| mismatch())?;
    let parsed: generic::Delivery = decode_json(body)?;
    let fingerprint = signed.fingerprint();
    let received = ReceivedDelivery {
        body,
        signature: Some(&fingerprint),
    };
    let plans = ingest(
        store,
        &integration,
        received,
        parsed.signals(),
        now,
        base_url,
    )
    .await?;
    Ok(receipt(&plans))
}

/// What `POST /v2/enqueue` answers, in PagerDuty's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum PagerDutyAnswer {
    /// 202 "Event processed", with the event's dedup key.
    Accepted { dedup_key: DedupKey },
    /// 400 "Event object is invalid", listing every problem.
    Invalid { errors: Vec<String> },
}

/// `POST /v2/enqueue`: a PagerDuty Events API v2 event, authenticated by its
/// `routing_key`; `generated_key` is the dedup key of an event that has none
/// (16 random bytes, hex).
pub async fn pagerduty_event<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    body: &[u8],
    generated_key: DedupKey,
    now: Timestamp,
    base_url: &str,
) -> Result<PagerDutyAnswer, ApiError> {
    let invalid = |errors| Ok(PagerDutyAnswer::Invalid { errors });
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => return invalid(vec![format!("Invalid JSON: {err}")]),
    };
    let event = match pagerduty::parse_event(&value) {
        Ok(event) => event,
        Err(errors) => return invalid(errors),
    };
    let Some(integration) = store
        .integration_for_secret_hash(&hash_token(&event.routing_key))
        .await?
        .filter(|i| i.format == IngestFormat::Pagerduty)
    else {
        return invalid(vec!["Invalid routing key".into()]);
    };
    let signal = event.signal(generated_key);
    let dedup_key = signal.dedup_key.clone();
    let stored = pagerduty::event_for_storage(&value).to_string();
    let received = ReceivedDelivery {
        body: stored.as_bytes(),
        signature: None,
    };
    ingest(store, &integration, received, vec![signal], now, base_url).await?;
    Ok(PagerDutyAnswer::Accepted { dedup_key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::alert::{AlertMapping, Severity};
    use beacon_shared::triage::Name;
    use beacon_shared::Priority;
    use std::collections::BTreeMap;

    fn integration() -> Integration {
        Integration {
            id: 1,
            name: Name::parse("prod-am").unwrap(),
            format: IngestFormat::Alertmanager,
            owner_group: Some(Name::parse("web").unwrap()),
            user_id: 9,
            mapping: AlertMapping::default(),
        }
    }

    fn signal(action: AlertAction) -> AlertSignal {
        AlertSignal {
            dedup_key: DedupKey::parse("fp1").unwrap(),
            action,
            summary: "Checkout errors".into(),
            source: None,
            severity: Some(Severity::Critical),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            started_at: None,
            links: Vec::new(),
        }
    }

    const NOW: Timestamp = Timestamp::from_unix_millis(1_000_000);

    fn linked(id: i64, status: IncidentStatus) -> Option<LinkedIncident> {
        Some(LinkedIncident {
            id,
            status,
            labels: Labels::default(),
        })
    }

    /// An alert open on incident 7, which is in `status`.
    fn alert_open_on(status: IncidentStatus) -> KeyHistory {
        KeyHistory {
            open_alert: Some((4, linked(7, status))),
            latest_incident: linked(7, status),
        }
    }

    /// No open alert; the key's latest incident is 7, in `status`.
    fn no_alert_since(status: IncidentStatus) -> KeyHistory {
        KeyHistory {
            open_alert: None,
            latest_incident: linked(7, status),
        }
    }

    /// The plan for a delivery of `action` from the test integration.
    fn plan_for(action: AlertAction, history: &KeyHistory) -> AlertPlan {
        plan_signal(&integration(), signal(action), history, NOW)
    }

    /// SPEC V2, T1, T4, V9: a new firing alert opens an incident in the SOP's first
    /// state, classified by the mapping, owned by the integration's group.
    #[test]
    fn first_trigger_opens_an_incident() {
        let plan = plan_for(AlertAction::Trigger, &KeyHistory::default());
        let AlertPlan::Open {
            incident: IncidentTarget::New(incident),
            ..
        } = plan
        else {
            panic!("expected a new incident, got {plan:?}");
        };
        assert_eq!(incident.state.status, IncidentStatus::Reported);
        assert_eq!(incident.state.priority, Priority::P0);
        assert_eq!(incident.state.facts.alerted_at, Some(NOW));
        assert_eq!(incident.state.owner_group.unwrap().as_str(), "web");
    }

    /// SPEC I2: a repeat of an open alert changes no count of alerts or incidents.
    #[test]
    fn repeat_trigger_is_the_same_alert() {
        let history = alert_open_on(IncidentStatus::Investigating);
        let plan = plan_for(AlertAction::Trigger, &history);
        assert_eq!(plan.outcome(), "repeated");
    }

    /// SPEC I2: after resolve, a trigger opens a new alert; while the old incident is
    /// open it joins it, once closed it opens a new one.
    #[test]
    fn trigger_after_resolve_opens_a_new_alert() {
        let open_incident = no_alert_since(IncidentStatus::Monitoring);
        let plan = plan_for(AlertAction::Trigger, &open_incident);
        assert!(matches!(
            plan,
            AlertPlan::Open {
                incident: IncidentTarget::Existing(7),
                ..
            }
        ));
        let closed = no_alert_since(IncidentStatus::Closed);
        let plan = plan_for(AlertAction::Trigger, &closed);
        assert_eq!(plan.outcome(), "opened_with_incident");
    }

    /// SPEC V3: an alert that clears before triage marks a short-lived condition;
    /// acknowledge/resolve without an open alert are dropped.
    #[test]
    fn resolve_before_triage_is_short_lived() {
        for (status, expected) in [
            (IncidentStatus::Reported, true),
            (IncidentStatus::Investigating, false),
        ] {
            let plan = plan_for(AlertAction::Resolve, &alert_open_on(status));
            assert!(
                matches!(plan, AlertPlan::Resolve { short_lived, .. } if short_lived == expected),
                "{status:?}: {plan:?}"
            );
        }
        for action in [AlertAction::Acknowledge, AlertAction::Resolve] {
            let plan = plan_for(action, &KeyHistory::default());
            assert_eq!(plan.outcome(), "dropped");
        }
    }

    fn untriaged_with_labels(labels: &[String]) -> KeyHistory {
        let incident = LinkedIncident {
            id: 7,
            status: IncidentStatus::Reported,
            labels: Labels::parse(labels.iter().map(String::as_str)).unwrap(),
        };
        KeyHistory {
            open_alert: Some((4, Some(incident.clone()))),
            latest_incident: Some(incident),
        }
    }

    /// SPEC V3, K2: the short-lived label is added through [`Labels`], guarded by
    /// the labels and status it was planned from; an incident that has the
    /// label already or no room left keeps its labels and is still short-lived.
    #[test]
    fn short_lived_label_respects_the_label_limit() {
        let resolve = |history: &KeyHistory| {
            let plan = plan_for(AlertAction::Resolve, history);
            let AlertPlan::Resolve {
                short_lived, label, ..
            } = &plan
            else {
                panic!("expected a resolution, got {plan:?}");
            };
            assert!(short_lived);
            assert!(plan.audit_record().is_some());
            label.clone()
        };
        let change = resolve(&untriaged_with_labels(&["dba".into()])).unwrap();
        assert_eq!(change.expected_labels.len(), 1);
        assert_eq!(change.expected_status, IncidentStatus::Reported);
        let labels: Vec<&str> = change
            .labels
            .as_slice()
            .iter()
            .map(|l| l.as_str())
            .collect();
        assert_eq!(labels, ["dba", SHORT_LIVED_LABEL]);

        assert_eq!(
            resolve(&untriaged_with_labels(&[SHORT_LIVED_LABEL.into()])),
            None
        );
        let full: Vec<String> = (0..Labels::MAX_LABELS).map(|i| format!("l{i}")).collect();
        assert_eq!(resolve(&untriaged_with_labels(&full)), None);
    }

    #[test]
    fn one_change_per_key_per_delivery() {
        let kept = last_signal_per_key(vec![
            signal(AlertAction::Trigger),
            signal(AlertAction::Resolve),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].action, AlertAction::Resolve);
    }
}
