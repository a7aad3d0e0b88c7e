//! Wire types: the JSON contract between `app`, `worker` and API clients.
//!
//! These are plain serde DTOs; the worker converts them into domain types
//! at the edge and reports the first field that does not parse.

use crate::category::{Category, Label};
use crate::lifecycle::{IncidentStatus, TransitionKind};
use crate::priority::{Classification, Priority};
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::{LinkUrl, Name, Title, TriageFacts, WorkLogText};
use serde::{Deserialize, Serialize};

/// `POST /api/incidents`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: Title,
    #[serde(default)]
    pub facts: TriageFacts,
    /// A status-page category (K1); required when the priority is P0/P1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// Free labels (K2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// A priority chosen by the submitter; when absent, the rules' result (P6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Required when management sets a priority below the rules' result (P6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_reason: Option<String>,
    /// The engineering team that owns the ticket (E5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_group: Option<Name>,
}

/// An incident as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    /// What the SOP's rules give for the stored facts.
    pub rules_priority: Priority,
    pub status: IncidentStatus,
    pub category: Option<String>,
    pub labels: Vec<String>,
    pub owner_group: Option<String>,
    pub facts: TriageFacts,
    pub classification: Classification,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub created_by: String,
}

/// `GET /api/incidents/{id}`: the ticket, its timeline and what may happen next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub incident: IncidentView,
    pub timeline: Vec<TimelineEntryView>,
    pub allowed_transitions: Vec<TransitionKind>,
}

/// One line of a ticket's timeline (V11, E3, T7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntryView {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub body: serde_json::Value,
}

/// `PUT /api/incidents/{id}/priority`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityChange {
    pub priority: Priority,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `PUT /api/incidents/{id}/category`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub category: Option<Category>,
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// `PUT /api/incidents/{id}/owner`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerChange {
    pub owner_group: Name,
}

/// `POST /api/incidents/{id}/timeline`: a work log, or a link to an
/// attachment, screenshot or chat log (T7).
///
/// A flat struct rather than a tagged enum so that a bad field is reported by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTimelineEntry {
    pub kind: TimelineEntryKind,
    /// Required for a work log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<WorkLogText>,
    /// Required for a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Name>,
    /// Required for a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<LinkUrl>,
}

/// What a person may add to a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineEntryKind {
    WorkLog,
    Link,
}

/// `POST /api/users` (admin only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: Name,
    pub role: Role,
}

/// `POST /api/users/{id}/tokens` (admin only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[serde(default)]
    pub label: Option<Name>,
}

/// A freshly created token: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub user_id: i64,
    pub token: String,
}

/// A user as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// One audit record (I3): who changed what, when, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// `GET /api/audit`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntryView>,
}

/// `GET /api/incidents`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentList {
    pub incidents: Vec<IncidentView>,
}

/// `GET /api/health`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub service: String,
    pub version: String,
    /// Whether D1 answered a trivial query.
    pub d1: bool,
}

/// Every error body: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unauthorized`, `invalid_field`.
    pub code: String,
    pub message: String,
    /// The offending input, as a JSON path, when one field is at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
