//! The API's answers as the SRE's first-response screens read them: only
//! the fields the queue and the incident page show. Each reads the JSON of
//! its full type (unknown fields are skipped), so the browser's first
//! bundle carries no reader for triage facts, typed timeline events or
//! recurrence signatures. `tests/glance_reads_the_full_answers.rs` checks
//! every one against its full type's JSON.

use crate::lifecycle::{IncidentStatus, TransitionKind};
use crate::priority::Priority;
use crate::recurrence::FixStatus;
use crate::timeline_text::EntryText;
use crate::timestamp::Timestamp;
use serde::Deserialize;

/// A ticket ([`super::IncidentView`]) without its triage facts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IncidentGlance {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    pub rules_priority: Priority,
    pub status: IncidentStatus,
    pub category: Option<String>,
    pub labels: Vec<String>,
    pub owner_group: Option<String>,
    pub classification: ReasonsGlance,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// The rules that fired ([`crate::priority::Classification`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReasonsGlance {
    pub matched: Vec<ReasonGlance>,
}

/// One rule that fired: its priority and its sentence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReasonGlance {
    pub priority: Priority,
    pub reason: String,
}

/// `GET /api/incidents` ([`super::IncidentList`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IncidentListGlance {
    pub incidents: Vec<IncidentGlance>,
}

/// `GET /api/incidents/{id}` and every change's answer
/// ([`super::IncidentDetail`]), the timeline as readable lines.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IncidentDetailGlance {
    pub incident: IncidentGlance,
    pub timeline: Vec<TimelineLine>,
    pub allowed_transitions: Vec<TransitionKind>,
    #[serde(default)]
    pub recurrence: Option<RecurrenceGlance>,
    #[serde(default)]
    pub impact_started_at: Option<Timestamp>,
    #[serde(default)]
    pub linked_problems: Vec<i64>,
}

/// One timeline entry ([`super::TimelineEntryView`]) as its readable line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TimelineLine {
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub text: EntryText,
}

/// The recurrence banner ([`super::post_incident::RecurrenceBanner`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecurrenceGlance {
    pub problem: i64,
    pub fix: FixStatus,
    pub text: String,
    pub fix_ineffective: bool,
}

/// `GET /api/incidents/{id}/alerts` ([`super::AlertList`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertListGlance {
    pub alerts: Vec<AlertGlance>,
    pub more: bool,
}

/// One alert ([`super::AlertView`]): what fired, and its state.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertGlance {
    pub summary: String,
    pub status: String,
    pub severity: Option<String>,
}
