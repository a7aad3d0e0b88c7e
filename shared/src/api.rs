//! Wire types: the JSON contract between `app`, `worker` and API clients.
//!
//! These are plain serde DTOs; the worker converts them into domain types
//! at the edge and reports the first field that does not parse.

use crate::category::{Category, Label};
use crate::lifecycle::{ClosingConfirmation, IncidentStatus, Transition, TransitionKind};
use crate::priority::{Classification, Priority};
use crate::role::Role;
use crate::timeline::TimelineEvent;
use crate::timestamp::Timestamp;
use crate::triage::{LinkUrl, Name, Title, TriageFacts, WorkLogText};
use serde::{Deserialize, Serialize};

pub mod glance;
pub mod post_incident;

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
    /// "recurrence of problem #N, fix: ..." when the ticket was linked to a
    /// problem as a recurrence (SPEC R6); only in `GET /api/incidents/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<crate::api::post_incident::RecurrenceBanner>,
    /// When the impact started, as last recorded in the timeline (SPEC Q1),
    /// else the alert's time.
    #[serde(default)]
    pub impact_started_at: Option<Timestamp>,
    /// The problems the timeline links the ticket to, each once, in the
    /// order linked (SPEC R3, R6).
    #[serde(default)]
    pub linked_problems: Vec<i64>,
}

impl IncidentDetail {
    /// The ticket with what its timeline says (impact start, linked problems).
    pub fn new(
        incident: IncidentView,
        timeline: Vec<TimelineEntryView>,
        allowed_transitions: Vec<TransitionKind>,
    ) -> Self {
        let impact_started_at = crate::report::TimelineFacts::read(
            incident.facts.alerted_at,
            timeline.iter().map(|e| (e.at, &e.event)),
        )
        .times
        .impact_started_at;
        let linked_problems = linked_problems(&timeline);
        Self {
            incident,
            timeline,
            allowed_transitions,
            recurrence: None,
            impact_started_at,
            linked_problems,
        }
    }
}

/// The problems a ticket's timeline says it is linked to (by hand, at a
/// problem's opening, or as a recurrence), each once, in the order linked.
pub fn linked_problems(timeline: &[TimelineEntryView]) -> Vec<i64> {
    let mut problems = Vec::new();
    for entry in timeline {
        let problem = match &entry.event {
            TimelineEvent::LinkedToProblem(note) => note.problem,
            TimelineEvent::RecurrenceOfProblem(note) => note.problem,
            _ => continue,
        };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    problems
}

/// One line of a ticket's timeline (V11, E3, T7): on the wire
/// `{"id", "at", "actor", "kind", "body", "text"}`: `kind` and `body` from
/// [`TimelineEvent`], `text` its readable line
/// ([`crate::timeline_text::describe`]), which reading ignores.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntryView {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub event: TimelineEvent,
}

impl Serialize for TimelineEntryView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut entry = serializer.serialize_struct("TimelineEntryView", 6)?;
        entry.serialize_field("id", &self.id)?;
        entry.serialize_field("at", &self.at)?;
        entry.serialize_field("actor", &self.actor)?;
        entry.serialize_field("kind", self.event.kind())?;
        entry.serialize_field("body", &crate::timeline::EventBody(&self.event))?;
        entry.serialize_field("text", &crate::timeline_text::describe(self))?;
        entry.end()
    }
}

impl<'de> Deserialize<'de> for TimelineEntryView {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let fields = deserializer.deserialize_map(crate::timeline::EntryVisitor)?;
        Ok(TimelineEntryView {
            id: fields.id.ok_or_else(|| D::Error::missing_field("id"))?,
            at: fields.at.ok_or_else(|| D::Error::missing_field("at"))?,
            actor: fields
                .actor
                .ok_or_else(|| D::Error::missing_field("actor"))?,
            event: fields
                .event
                .ok_or_else(|| D::Error::missing_field("body"))?,
        })
    }
}

/// `POST /api/incidents/{id}/transitions`: `{"action": "discard", "reason": "..."}`.
///
/// The same JSON as [`Transition`], read as a flat struct so that a bad or
/// missing field is reported by its name rather than as a bad body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: TransitionKind,
    /// Required for `discard` (V10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Required for `classify_as_problem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Required for `close` (E3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<ClosingConfirmation>,
}

/// A field of a [`TransitionRequest`] that its action needs or does not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionFieldError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for TransitionFieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.field, self.message)
    }
}

impl TryFrom<TransitionRequest> for Transition {
    type Error = TransitionFieldError;
    fn try_from(request: TransitionRequest) -> Result<Self, Self::Error> {
        request.into_transition()
    }
}

impl From<Transition> for TransitionRequest {
    fn from(transition: Transition) -> Self {
        TransitionRequest::from_transition(&transition)
    }
}

impl TransitionRequest {
    /// The request for a transition; the inverse of [`TransitionRequest::into_transition`].
    pub fn from_transition(transition: &Transition) -> Self {
        let mut request = TransitionRequest {
            action: transition.kind(),
            reason: None,
            priority: None,
            confirmation: None,
        };
        match transition {
            Transition::Discard { reason } => request.reason = Some(reason.clone()),
            Transition::ClassifyAsProblem { priority } => request.priority = Some(*priority),
            Transition::Close { confirmation } => request.confirmation = Some(confirmation.clone()),
            _ => {}
        }
        request
    }

    /// The transition, or the first field that is missing or not allowed for the action.
    pub fn into_transition(self) -> Result<Transition, TransitionFieldError> {
        let action = self.action;
        let missing = |field: &'static str| TransitionFieldError {
            field,
            message: format!("required for the action `{action}`"),
        };
        let unexpected = |field: &'static str| TransitionFieldError {
            field,
            message: format!("not allowed for the action `{action}`"),
        };
        let takes = |field: &'static str| {
            matches!(
                (action, field),
                (TransitionKind::Discard, "reason")
                    | (TransitionKind::ClassifyAsProblem, "priority")
                    | (TransitionKind::Close, "confirmation")
            )
        };
        for (field, present) in [
            ("reason", self.reason.is_some()),
            ("priority", self.priority.is_some()),
            ("confirmation", self.confirmation.is_some()),
        ] {
            if present && !takes(field) {
                return Err(unexpected(field));
            }
        }
        Ok(match action {
            TransitionKind::StartTriage => Transition::StartTriage,
            TransitionKind::Discard => Transition::Discard {
                reason: self.reason.ok_or_else(|| missing("reason"))?,
            },
            TransitionKind::ClassifyAsProblem => Transition::ClassifyAsProblem {
                priority: self.priority.ok_or_else(|| missing("priority"))?,
            },
            TransitionKind::StartInvestigating => Transition::StartInvestigating,
            TransitionKind::Identify => Transition::Identify,
            TransitionKind::Monitor => Transition::Monitor,
            TransitionKind::Resolve => Transition::Resolve,
            TransitionKind::Close => Transition::Close {
                confirmation: self.confirmation.ok_or_else(|| missing("confirmation"))?,
            },
            TransitionKind::Reopen => Transition::Reopen,
        })
    }
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

/// `PUT /api/incidents/{id}/impact-start`: when the impact started, in UTC
/// (SPEC Q1: time to detect runs from it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactStartChange {
    pub impact_started_at: Timestamp,
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
    /// Days until it expires: 1 to 365, 90 when absent (see [`crate::access`]).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A freshly created token: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub user_id: i64,
    pub token: String,
    pub expires_at: Timestamp,
}

/// A token as the admin sees it: never the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub label: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// When it last opened the API (recorded at most once a minute).
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub status: crate::access::TokenStatus,
}

/// A person with their tokens, for `GET /api/users` (admin only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled_at: Option<Timestamp>,
    pub tokens: Vec<TokenView>,
}

/// `GET /api/users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeopleList {
    pub people: Vec<PersonView>,
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

/// `GET /api/categories`: the status page's components, the categories of K1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryList {
    pub categories: Vec<String>,
}

/// `POST /api/integrations` (admin only): a monitoring sender (SPEC I1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIntegration {
    pub name: Name,
    pub format: crate::alert::IngestFormat,
    /// The engineering team whose incidents this sender's alerts open (E5).
    #[serde(default)]
    pub owner_group: Option<Name>,
    /// How alerts become triage facts; the documented default when absent.
    #[serde(default)]
    pub mapping: Option<crate::alert::AlertMapping>,
    /// Grouping, storm threshold and retention; the defaults when absent.
    #[serde(default)]
    pub control: Option<crate::alert_group::IngestControl>,
}

/// A freshly created integration and its secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationCreated {
    pub id: i64,
    pub name: String,
    pub format: crate::alert::IngestFormat,
    /// Alertmanager/Grafana: the bearer token; PagerDuty: the `routing_key`.
    pub secret: String,
}

/// An integration's new secret after a rotation: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationRotated {
    pub name: String,
    pub format: crate::alert::IngestFormat,
    pub secret: String,
    /// Until when the secret before this one is still accepted.
    pub previous_secret_valid_until: Timestamp,
}

/// One alert in the on-call SRE's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: i64,
    pub integration: String,
    pub dedup_key: String,
    /// `triggered`, `acknowledged` or `resolved`.
    pub status: String,
    pub summary: String,
    pub severity: Option<String>,
    pub incident_id: Option<i64>,
    pub incident_status: Option<IncidentStatus>,
    pub deliveries: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// `POST /api/alerts/{id}/discard`: the alert's incident is an event without impact (V10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscardAlert {
    pub reason: String,
}

/// `POST /api/alerts/{id}/attach`: the alert belongs to an incident already open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachAlert {
    pub incident_id: i64,
}

/// `GET /api/alerts`: untriaged first, then newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertList {
    pub alerts: Vec<AlertView>,
    /// How many alerts a list holds at the most.
    pub limit: usize,
    /// Whether more alerts match than the list holds (the oldest are left
    /// out; during a storm they sit on the storm's incident).
    pub more: bool,
}

/// `GET /api/health`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub service: String,
    pub version: String,
    /// Whether D1 answered a trivial query.
    pub d1: bool,
    /// Whether the Worker secret that seals credentials at rest is set and
    /// well-formed: without it, paging and new channels or generic
    /// integrations fail.
    pub secrets_key: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC V10: the flat request reads the same JSON as the tagged transition, field by field.
    #[test]
    fn transition_request_round_trips_every_transition() {
        let transitions = [
            Transition::StartTriage,
            Transition::Discard {
                reason: "test alert".into(),
            },
            Transition::ClassifyAsProblem {
                priority: Priority::P1,
            },
            Transition::StartInvestigating,
            Transition::Identify,
            Transition::Monitor,
            Transition::Resolve,
            Transition::Close {
                confirmation: ClosingConfirmation::CommanderOverride {
                    reason: "submitter on leave".into(),
                },
            },
            Transition::Reopen,
        ];
        for transition in transitions {
            let json = serde_json::to_value(&transition).unwrap();
            let request: TransitionRequest = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(serde_json::to_value(&request).unwrap(), json);
            assert_eq!(request.clone().into_transition(), Ok(transition.clone()));
            assert_eq!(TransitionRequest::from_transition(&transition), request);
        }
    }

    #[test]
    fn transition_request_names_missing_and_stray_fields() {
        let request: TransitionRequest = serde_json::from_str(r#"{"action":"discard"}"#).unwrap();
        assert_eq!(request.into_transition().unwrap_err().field, "reason");
        let request: TransitionRequest =
            serde_json::from_str(r#"{"action":"resolve","priority":"P1"}"#).unwrap();
        let err = request.into_transition().unwrap_err();
        assert_eq!(err.field, "priority");
        assert!(err.message.contains("not allowed"), "{}", err.message);
    }
}

/// One role's place in `GET /api/on-call` (SPEC E1: the rota is published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallView {
    pub role: crate::rota::RotaRole,
    /// On call at the answer's `at`.
    pub now: Option<crate::triage::Name>,
    /// The next change of person, if the rota has one.
    pub next: Option<crate::rota::Handover>,
    pub rota: Option<crate::rota::Rota>,
}

/// `GET /api/on-call`, and the answer to `PUT /api/rotas/{role}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallList {
    pub at: Timestamp,
    pub rotas: Vec<OnCallView>,
}

/// `GET /api/incidents/{id}/escalation`: the IC, the acknowledgement and the
/// limits still open (SPEC E3, E4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationView {
    pub at: Timestamp,
    pub acknowledged_by: Option<String>,
    /// The duty incident commander now.
    pub commander: Option<crate::triage::Name>,
    pub deadlines: Vec<crate::escalation::Deadline>,
    pub next_due: Option<Timestamp>,
    pub pages_sent: usize,
}

/// `POST /api/incidents/{id}/teams`: pull an engineering team into an open
/// incident (SPEC E5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullInTeam {
    pub team: crate::triage::Name,
    /// What the team is needed for.
    pub reason: String,
}

/// `PUT /api/rotas/{role}`: the rota for one role (SPEC E1, E2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotaRequest {
    /// Take turns in this order.
    pub people: Vec<crate::triage::Name>,
    /// Minutes per shift.
    pub shift: crate::rota::ShiftLength,
    /// When the first person's first shift starts.
    pub starts_at: Timestamp,
    #[serde(default)]
    pub overrides: Vec<crate::rota::RotaOverride>,
}
