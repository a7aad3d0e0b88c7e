//! Monitoring ingestion (SPEC I1, I2, V2, V3, T1, T3, T4, T7): who sent a delivery,
//! and what each alert in it does to Beacon's alerts and incidents.
//!
//! [`plan_signal`] is pure: given what the store knows about an alert's key it
//! decides whether the delivery opens an alert (and an incident), repeats,
//! acknowledges or resolves one, or is dropped as PagerDuty drops it. The edge
//! stores a whole delivery (the raw event and every plan) in one D1 batch; a
//! batch that loses a race on the open-alert unique index is planned again.

use crate::stores::IncidentState;
use beacon_shared::alert::{AlertAction, AlertMapping, AlertSignal, DedupKey, IngestFormat};
use beacon_shared::category::Labels;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::timeline::{AlertNote, AlertOrigin, Created, TimelineEvent};
use beacon_shared::triage::Name;
use beacon_shared::{classify_priority, Timestamp};
use serde::{Deserialize, Serialize};

/// The label an untriaged incident gets when its alert cleared by itself (V3).
pub const SHORT_LIVED_LABEL: &str = "short-lived";

/// A configured sender, found by the hash of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: i64,
    pub name: Name,
    pub format: IngestFormat,
    pub owner_group: Option<Name>,
    /// The disabled user that authors this integration's incidents and entries.
    pub user_id: i64,
    pub mapping: AlertMapping,
}

impl Integration {
    /// How this integration appears as an actor in timelines and the audit log.
    pub fn actor_name(&self) -> String {
        integration_user_name(&self.name)
    }
}

/// The name of the disabled user that stands for an integration.
pub fn integration_user_name(name: &Name) -> String {
    format!("monitoring/{name}")
}

/// An incident an alert points to, and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedIncident {
    pub id: i64,
    pub status: IncidentStatus,
}

impl LinkedIncident {
    /// Still being worked on: a re-fired alert joins it instead of opening another.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.status,
            IncidentStatus::Resolved | IncidentStatus::Closed | IncidentStatus::Discarded
        )
    }

    /// Nobody has classified it yet (V3: a cleared alert makes it a short-lived condition).
    pub fn is_untriaged(&self) -> bool {
        matches!(
            self.status,
            IncidentStatus::Reported | IncidentStatus::Triage
        )
    }
}

/// What the store knows about one key of one integration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyHistory {
    /// The alert with this key that is not resolved, if any (at most one, by index).
    pub open_alert: Option<(i64, Option<LinkedIncident>)>,
    /// The incident of the newest alert with this key, open or not.
    pub latest_incident: Option<LinkedIncident>,
}

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
        /// The incident was never triaged: label it a short-lived condition (V3).
        short_lived: bool,
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

/// Decides what `signal` does, given the key's `history` (SPEC I2, V3).
pub fn plan_signal(
    integration: &Integration,
    signal: AlertSignal,
    history: &KeyHistory,
    now: Timestamp,
) -> AlertPlan {
    match (signal.action, history.open_alert) {
        (AlertAction::Trigger, Some((alert_id, incident))) => AlertPlan::Repeat {
            alert_id,
            incident_id: incident.map(|i| i.id),
            signal,
        },
        (AlertAction::Trigger, None) => {
            let incident = match history.latest_incident.filter(LinkedIncident::is_open) {
                Some(open) => IncidentTarget::Existing(open.id),
                None => IncidentTarget::New(Box::new(new_incident(integration, &signal, now))),
            };
            AlertPlan::Open { signal, incident }
        }
        (AlertAction::Acknowledge, Some((alert_id, incident))) => AlertPlan::Acknowledge {
            alert_id,
            incident_id: incident.map(|i| i.id),
            signal,
        },
        (AlertAction::Resolve, Some((alert_id, incident))) => AlertPlan::Resolve {
            alert_id,
            incident_id: incident.map(|i| i.id),
            short_lived: incident.is_some_and(|i| i.is_untriaged()),
            signal,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::alert::Severity;
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
        Some(LinkedIncident { id, status })
    }

    /// SPEC V2, T1, T4, V9: a new firing alert opens an incident in the SOP's first
    /// state, classified by the mapping, owned by the integration's group.
    #[test]
    fn first_trigger_opens_an_incident() {
        let plan = plan_signal(
            &integration(),
            signal(AlertAction::Trigger),
            &KeyHistory::default(),
            NOW,
        );
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
        let history = KeyHistory {
            open_alert: Some((4, linked(7, IncidentStatus::Investigating))),
            latest_incident: linked(7, IncidentStatus::Investigating),
        };
        let plan = plan_signal(&integration(), signal(AlertAction::Trigger), &history, NOW);
        assert_eq!(plan.outcome(), "repeated");
    }

    /// SPEC I2: after resolve, a trigger opens a new alert; while the old incident is
    /// open it joins it, once closed it opens a new one.
    #[test]
    fn trigger_after_resolve_opens_a_new_alert() {
        let open_incident = KeyHistory {
            open_alert: None,
            latest_incident: linked(7, IncidentStatus::Monitoring),
        };
        let plan = plan_signal(
            &integration(),
            signal(AlertAction::Trigger),
            &open_incident,
            NOW,
        );
        assert!(matches!(
            plan,
            AlertPlan::Open {
                incident: IncidentTarget::Existing(7),
                ..
            }
        ));
        let closed = KeyHistory {
            open_alert: None,
            latest_incident: linked(7, IncidentStatus::Closed),
        };
        let plan = plan_signal(&integration(), signal(AlertAction::Trigger), &closed, NOW);
        assert_eq!(plan.outcome(), "opened_with_incident");
    }

    /// SPEC V3: an alert that clears before triage marks a short-lived condition;
    /// acknowledge/resolve without an open alert are dropped.
    #[test]
    fn resolve_before_triage_is_short_lived() {
        let untriaged = KeyHistory {
            open_alert: Some((4, linked(7, IncidentStatus::Reported))),
            latest_incident: linked(7, IncidentStatus::Reported),
        };
        let plan = plan_signal(
            &integration(),
            signal(AlertAction::Resolve),
            &untriaged,
            NOW,
        );
        assert!(matches!(
            plan,
            AlertPlan::Resolve {
                short_lived: true,
                ..
            }
        ));
        let triaged = KeyHistory {
            open_alert: Some((4, linked(7, IncidentStatus::Investigating))),
            latest_incident: linked(7, IncidentStatus::Investigating),
        };
        let plan = plan_signal(&integration(), signal(AlertAction::Resolve), &triaged, NOW);
        assert!(matches!(
            plan,
            AlertPlan::Resolve {
                short_lived: false,
                ..
            }
        ));
        for action in [AlertAction::Acknowledge, AlertAction::Resolve] {
            let plan = plan_signal(&integration(), signal(action), &KeyHistory::default(), NOW);
            assert_eq!(plan.outcome(), "dropped");
        }
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
