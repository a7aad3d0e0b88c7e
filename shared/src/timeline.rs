//! An incident's timeline (SPEC E3, T7): every kind of entry as one typed,
//! serde-tagged [`TimelineEvent`], written by the worker and read by the
//! worker's escalation sweep and by the app, so that no kind is ever a bare
//! string outside this module.
//!
//! On the wire and in D1 an entry is `{"kind": "...", "body": {...}}`; the
//! body of each kind is its variant's payload.

use crate::alert::{AlertLink, IngestFormat, Severity};
use crate::escalation::{ActionKind, IdempotencyKey};
use crate::lifecycle::{IncidentStatus, Transition};
use crate::priority::{Classification, Priority};
use crate::priority_override::PriorityDecision;
use crate::status_page::PublicIncidentStatus;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum TimelineEvent {
    /// The ticket was recorded, by a person or from an alert.
    Created(Created),
    /// A lifecycle transition (SPEC V3, V4, V10, V11, E3).
    StatusChanged(StatusChanged),
    /// A priority decision (SPEC P6).
    PriorityChanged(PriorityChanged),
    /// Category and labels changed (SPEC K1, K2).
    CategoryChanged(CategoryChanged),
    /// The owning group changed (SPEC E5).
    OwnerChanged(OwnerChanged),
    /// A person's note (SPEC T7).
    WorkLog(WorkLog),
    /// A link to an attachment, screenshot or chat log (SPEC T7).
    Link(Link),
    /// Monitoring fired an alert on this ticket (SPEC I1, I2).
    AlertTriggered(AlertNote),
    /// The same alert fired again.
    AlertRepeated(AlertNote),
    /// The sender acknowledged the alert.
    AlertAcknowledged(AlertNote),
    /// The sender resolved the alert.
    AlertResolved(AlertNote),
    /// An acknowledgement or resolution for an alert Beacon did not know.
    AlertDropped(AlertNote),
    /// An alert was moved here from another incident.
    AlertAttached(AlertMove),
    /// An alert was moved from here to another incident.
    AlertDetached(AlertMove),
    /// Someone took the page (SPEC E1, E3).
    Acknowledged(Acknowledgement),
    /// The escalation sweep paged someone (SPEC E1).
    Paged(EscalationNote),
    /// The sweep reminded someone of a limit (SPEC E4).
    Reminded(EscalationNote),
    /// The sweep escalated past a limit (SPEC E4).
    Escalated(EscalationNote),
    /// The incident commander pulled a team in (SPEC E5).
    TeamPaged(TeamPage),
    /// A notification could not be delivered after every retry.
    NotificationFailed(DeliveryFailure),
    /// Customer support published on the status page about this ticket (SPEC M1).
    CustomerUpdate(CustomerUpdate),
}

impl TimelineEvent {
    /// The stored and wire name of this entry's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            TimelineEvent::Created(_) => "created",
            TimelineEvent::StatusChanged(_) => "status_changed",
            TimelineEvent::PriorityChanged(_) => "priority_changed",
            TimelineEvent::CategoryChanged(_) => "category_changed",
            TimelineEvent::OwnerChanged(_) => "owner_changed",
            TimelineEvent::WorkLog(_) => "work_log",
            TimelineEvent::Link(_) => "link",
            TimelineEvent::AlertTriggered(_) => "alert_triggered",
            TimelineEvent::AlertRepeated(_) => "alert_repeated",
            TimelineEvent::AlertAcknowledged(_) => "alert_acknowledged",
            TimelineEvent::AlertResolved(_) => "alert_resolved",
            TimelineEvent::AlertDropped(_) => "alert_dropped",
            TimelineEvent::AlertAttached(_) => "alert_attached",
            TimelineEvent::AlertDetached(_) => "alert_detached",
            TimelineEvent::Acknowledged(_) => "acknowledged",
            TimelineEvent::Paged(_) => "paged",
            TimelineEvent::Reminded(_) => "reminded",
            TimelineEvent::Escalated(_) => "escalated",
            TimelineEvent::TeamPaged(_) => "team_paged",
            TimelineEvent::NotificationFailed(_) => "notification_failed",
            TimelineEvent::CustomerUpdate(_) => "customer_update",
        }
    }

    /// The body alone, as stored in D1's `body` column.
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("body").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null)
    }

    /// Rebuilds an event from its stored kind and body.
    pub fn from_parts(kind: &str, body: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "body": body }))
    }

    /// Whether the escalation sweep reads this kind to rebuild a ticket's
    /// history (SPEC E1-E4): creation, priority and status changes,
    /// acknowledgements and customer updates.
    pub fn shapes_escalation(&self) -> bool {
        matches!(
            self,
            TimelineEvent::Created(_)
                | TimelineEvent::PriorityChanged(_)
                | TimelineEvent::StatusChanged(_)
                | TimelineEvent::Acknowledged(_)
                | TimelineEvent::CustomerUpdate(_)
        )
    }

    /// The kinds [`TimelineEvent::shapes_escalation`] accepts, for a store's query.
    pub const ESCALATION_KINDS: [&'static str; 5] = [
        "created",
        "priority_changed",
        "status_changed",
        "acknowledged",
        "customer_update",
    ];
}

/// The ticket as it was when an entry was written (also the audit log's snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSnapshot {
    pub title: String,
    pub priority: Priority,
    pub rules_priority: Priority,
    pub status: IncidentStatus,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub owner_group: Option<String>,
}

/// Where an incident opened by monitoring came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertOrigin {
    pub integration: String,
    pub dedup_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Created {
    pub state: IncidentSnapshot,
    pub classification: Classification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_alert: Option<AlertOrigin>,
    /// Alert labels the integration's mapping could not use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_ignored: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    pub from: IncidentStatus,
    pub to: IncidentStatus,
    pub transition: Transition,
    #[serde(default)]
    pub priority_decision: Option<PriorityDecision>,
}

/// What a priority change amounted to (SPEC P6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityChangeKind {
    /// Set to what the rules say.
    AsClassified,
    /// Raised above the rules.
    Raised,
    /// Lowered below the rules by management, with a reason.
    LoweredByManagement,
    /// Set again to the priority it had.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityChanged {
    /// `None` when the priority was decided at creation.
    #[serde(default)]
    pub from: Option<Priority>,
    pub to: Priority,
    pub rules_priority: Priority,
    pub decision: PriorityChangeKind,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryChanged {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChanged {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkLog {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub title: String,
    /// Checked as http(s) when written; readers check again before linking.
    pub url: String,
}

/// An alert's line on its incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertNote {
    pub integration: String,
    pub format: IngestFormat,
    pub dedup_key: String,
    pub summary: String,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub links: Vec<AlertLink>,
    /// On a resolution: the alert cleared before anyone triaged its incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_lived: Option<bool>,
}

/// An alert moved between incidents; `from_incident` on the target's line,
/// `to_incident` on the source's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertMove {
    pub alert_id: i64,
    pub integration: String,
    pub dedup_key: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_incident: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_incident: Option<i64>,
}

/// How an acknowledgement arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcknowledgedVia {
    /// The API or the incident page's button.
    Api,
    /// The signed link in a notification.
    SignedLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    pub via: AcknowledgedVia,
}

/// A page, reminder or escalation the sweep sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationNote {
    /// `page`, `remind` or `escalate`.
    pub action: String,
    pub key: IdempotencyKey,
    pub due_at: Timestamp,
    pub kind: ActionKind,
    /// How many channels the notification was queued on.
    pub channels: usize,
    /// Nobody holds the rota place; management was told instead.
    #[serde(default)]
    pub unstaffed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamPage {
    pub team: String,
    pub reason: String,
    pub channels: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailure {
    pub key: String,
    pub attempts: u32,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUpdate {
    pub public_incident: String,
    pub status: PublicIncidentStatus,
    #[serde(default)]
    pub body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// SPEC T7: the stored shape is `{"kind", "body"}` and round-trips.
    #[test]
    fn kind_and_body_round_trip() {
        let event = TimelineEvent::WorkLog(WorkLog {
            text: "restarted the pool".into(),
        });
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            json!({"kind": "work_log", "body": {"text": "restarted the pool"}})
        );
        assert_eq!(event.kind(), "work_log");
        assert_eq!(event.body_json(), json!({"text": "restarted the pool"}));
        assert_eq!(
            TimelineEvent::from_parts("work_log", event.body_json()).unwrap(),
            event
        );
        assert!(TimelineEvent::from_parts("no_such_kind", json!({})).is_err());
    }

    /// SPEC E1: the sweep's kinds are exactly those that shape escalation.
    #[test]
    fn escalation_kinds_match_the_predicate() {
        let ack = TimelineEvent::Acknowledged(Acknowledgement {
            by: "ic-alice".into(),
            via: AcknowledgedVia::SignedLink,
        });
        assert!(ack.shapes_escalation());
        assert!(TimelineEvent::ESCALATION_KINDS.contains(&ack.kind()));
        let log = TimelineEvent::WorkLog(WorkLog { text: "x".into() });
        assert!(!log.shapes_escalation());
        assert!(!TimelineEvent::ESCALATION_KINDS.contains(&log.kind()));
    }

    /// Bodies written before the types existed still parse.
    #[test]
    fn stored_bodies_parse() {
        let priority = TimelineEvent::from_parts(
            "priority_changed",
            json!({"from": "P1", "to": "P2", "rules_priority": "P1", "decision": "lowered_by_management", "reason": "one customer"}),
        );
        assert!(priority.is_ok(), "{priority:?}");
    }
}
