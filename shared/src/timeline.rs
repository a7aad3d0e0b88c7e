//! An incident's timeline (SPEC E3, T7): every kind of entry as one typed,
//! serde-tagged [`TimelineEvent`], written by the worker and read by the
//! worker's escalation sweep and by the app, so that no kind is ever a bare
//! string outside this module.
//!
//! On the wire and in D1 an entry is `{"kind": "...", "body": {...}}`; the
//! body of each kind is its variant's payload.

use crate::alert::{AlertLink, IngestFormat, Severity};
use crate::escalation::{ActionKind, IdempotencyKey, Recipient};
use crate::lifecycle::{IncidentStatus, Transition};
use crate::priority::{Classification, Priority};
use crate::priority_override::PriorityDecision;
use crate::problem::LinkReason;
use crate::recurrence::{FixStatus, MatchStrength};
use crate::status_page::PublicIncidentStatus;
use crate::Timestamp;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines [`TimelineEvent`] from one table of variants, payload types and
/// stored kinds, so that the enum, its kind names and its (de)serialization
/// can never disagree.
macro_rules! timeline_events {
    ($( $(#[$doc:meta])* $variant:ident($payload:ty) = $kind:literal, )*) => {
        /// One line of an incident's timeline.
        #[derive(Debug, Clone, PartialEq)]
        pub enum TimelineEvent {
            $( $(#[$doc])* $variant($payload), )*
        }

        impl TimelineEvent {
            /// Every stored and wire name of a kind.
            pub const KINDS: &'static [&'static str] = &[$($kind),*];

            /// The stored and wire name of this entry's kind.
            pub fn kind(&self) -> &'static str {
                match self {
                    $( TimelineEvent::$variant(_) => $kind, )*
                }
            }

            fn serialize_body<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( TimelineEvent::$variant(body) => body.serialize(serializer), )*
                }
            }

            fn deserialize_body<'de, D: Deserializer<'de>>(
                kind: &str,
                deserializer: D,
            ) -> Result<Self, D::Error> {
                match kind {
                    $( $kind => <$payload>::deserialize(deserializer).map(TimelineEvent::$variant), )*
                    other => Err(D::Error::unknown_variant(other, Self::KINDS)),
                }
            }
        }
    };
}

timeline_events! {
    /// The ticket was recorded, by a person or from an alert.
    Created(Created) = "created",
    /// A lifecycle transition (SPEC V3, V4, V10, V11, E3).
    StatusChanged(StatusChanged) = "status_changed",
    /// A priority decision (SPEC P6).
    PriorityChanged(PriorityChanged) = "priority_changed",
    /// Category and labels changed (SPEC K1, K2).
    CategoryChanged(CategoryChanged) = "category_changed",
    /// The owning group changed (SPEC E5).
    OwnerChanged(OwnerChanged) = "owner_changed",
    /// A person's note (SPEC T7).
    WorkLog(WorkLog) = "work_log",
    /// A link to an attachment, screenshot or chat log (SPEC T7).
    Link(Link) = "link",
    /// Monitoring fired an alert on this ticket (SPEC I1, I2).
    AlertTriggered(AlertNote) = "alert_triggered",
    /// The same alert fired again.
    AlertRepeated(AlertNote) = "alert_repeated",
    /// The sender acknowledged the alert.
    AlertAcknowledged(AlertNote) = "alert_acknowledged",
    /// The sender resolved the alert.
    AlertResolved(AlertNote) = "alert_resolved",
    /// An acknowledgement or resolution for an alert Beacon did not know.
    AlertDropped(AlertNote) = "alert_dropped",
    /// An alert was moved here from another incident.
    AlertAttached(AlertMove) = "alert_attached",
    /// An alert was moved from here to another incident.
    AlertDetached(AlertMove) = "alert_detached",
    /// Someone took the page (SPEC E1, E3).
    Acknowledged(Acknowledgement) = "acknowledged",
    /// The escalation sweep paged someone (SPEC E1).
    Paged(EscalationNote) = "paged",
    /// The sweep reminded someone of a limit (SPEC E4).
    Reminded(EscalationNote) = "reminded",
    /// The sweep escalated past a limit (SPEC E4).
    Escalated(EscalationNote) = "escalated",
    /// The incident commander pulled a team in (SPEC E5).
    TeamPaged(TeamPage) = "team_paged",
    /// A notification could not be delivered after every retry.
    NotificationFailed(DeliveryFailure) = "notification_failed",
    /// Customer support published on the status page about this ticket (SPEC M1).
    CustomerUpdate(CustomerUpdate) = "customer_update",
    /// The incident was linked to a problem ticket (SPEC R3).
    LinkedToProblem(ProblemLinkNote) = "linked_to_problem",
    /// The incident was recognised as a recurrence of a problem when it was created (SPEC R6).
    RecurrenceOfProblem(RecurrenceNote) = "recurrence_of_problem",
    /// This incident reopened a problem whose verified fix did not hold (SPEC R6).
    ProblemReopened(ProblemReopenedNote) = "problem_reopened",
    /// The incident commander set when the impact started (SPEC Q1: time to detect).
    ImpactStartSet(ImpactStart) = "impact_start_set",
}

impl TimelineEvent {
    /// The body alone as JSON text, as stored in D1's `body` column.
    pub fn body_text(&self) -> String {
        let mut text = Vec::new();
        // Writing plain data to a Vec cannot fail.
        let _ = self.serialize_body(&mut serde_json::Serializer::new(&mut text));
        String::from_utf8(text).unwrap_or_default()
    }

    /// The body alone as a JSON value, for an audit record's snapshot.
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body_text()).unwrap_or(serde_json::Value::Null)
    }

    /// Rebuilds an event from its stored kind and JSON body.
    pub fn from_stored(kind: &str, body: &str) -> Result<Self, serde_json::Error> {
        // Through a generic value: the reader every stored text takes.
        let value: serde_json::Value = serde_json::from_str(body)?;
        Self::deserialize_body(kind, value)
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

/// The body of an event, serialized on its own.
pub(crate) struct EventBody<'a>(pub(crate) &'a TimelineEvent);

impl Serialize for EventBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_body(serializer)
    }
}

/// `{"kind": ..., "body": {...}}`.
impl Serialize for TimelineEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entry = serializer.serialize_struct("TimelineEvent", 2)?;
        entry.serialize_field("kind", self.kind())?;
        entry.serialize_field("body", &EventBody(self))?;
        entry.end()
    }
}

impl<'de> Deserialize<'de> for TimelineEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entry = deserializer.deserialize_map(EntryVisitor)?;
        entry.event.ok_or_else(|| D::Error::missing_field("body"))
    }
}

/// The fields of a timeline line on the wire: `kind` and `body`, and for
/// [`crate::api::TimelineEntryView`] its `id`, `at` and `actor`. The body is
/// read straight into its kind's type, so `kind` must come before `body`, as
/// Beacon always writes it.
#[derive(Default)]
pub(crate) struct EntryFields {
    pub(crate) id: Option<i64>,
    pub(crate) at: Option<Timestamp>,
    pub(crate) actor: Option<String>,
    pub(crate) event: Option<TimelineEvent>,
}

pub(crate) struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = EntryFields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a timeline entry with `kind` before `body`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryFields, A::Error> {
        let mut fields = EntryFields::default();
        let mut kind: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => fields.id = Some(map.next_value()?),
                "at" => fields.at = Some(map.next_value()?),
                "actor" => fields.actor = Some(map.next_value()?),
                "kind" => kind = Some(map.next_value()?),
                "body" => {
                    let kind = kind
                        .as_deref()
                        .ok_or_else(|| A::Error::custom("`kind` must come before `body`"))?;
                    fields.event = Some(map.next_value_seed(BodySeed(kind))?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// Reads a body as the type its kind names.
struct BodySeed<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = TimelineEvent;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<TimelineEvent, D::Error> {
        TimelineEvent::deserialize_body(self.0, deserializer)
    }
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

/// When the impact started, and what was recorded before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactStart {
    pub impact_started_at: Timestamp,
    #[serde(default)]
    pub previous: Option<Timestamp>,
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
    /// Who it went to; the whole action is kept under its key.
    pub kind: NotifiedAction,
    /// How many channels the notification was queued on.
    pub channels: usize,
    /// Nobody holds the rota place; management was told instead.
    #[serde(default)]
    pub unstaffed: bool,
}

/// What the timeline keeps of an escalation action: who it went to. Stored
/// as `{"to": {"kind": "person", "name": "ic-alice"}}`, the same shape as the
/// action's own `to`, so that the line stays small to read and write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifiedAction {
    pub to: NotifiedRecipient,
}

/// A notification's recipient, as the timeline names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifiedRecipient {
    pub kind: RecipientKind,
    /// The person's or team's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Which kind of [`Recipient`] an action went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    Person,
    Team,
    Management,
    Unstaffed,
}

impl From<&ActionKind> for NotifiedAction {
    fn from(kind: &ActionKind) -> Self {
        let to = match kind {
            ActionKind::Page { to, .. }
            | ActionKind::Remind { to, .. }
            | ActionKind::Escalate { to, .. } => to,
        };
        let (kind, name) = match to {
            Recipient::Person { name, .. } => (RecipientKind::Person, Some(name.to_string())),
            Recipient::Team { name } => (RecipientKind::Team, Some(name.to_string())),
            Recipient::Management => (RecipientKind::Management, None),
            Recipient::Unstaffed { .. } => (RecipientKind::Unstaffed, None),
        };
        NotifiedAction {
            to: NotifiedRecipient { kind, name },
        }
    }
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

/// "Linked to problem #N".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemLinkNote {
    pub problem: i64,
    pub reason: LinkReason,
}

/// "Recurrence of problem #N, fix: overdue" (SPEC R6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceNote {
    pub problem: i64,
    /// Which kind of signature matched.
    pub strength: MatchStrength,
    /// The problem's fix when the incident was created.
    pub fix: FixStatus,
    /// The incident's own priority, when the recurrence raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised_from: Option<Priority>,
}

/// "Problem #N reopened: fix ineffective" (SPEC R6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemReopenedNote {
    pub problem: i64,
    /// The problem's verified fix did not hold; management was paged.
    pub fix_ineffective: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// SPEC R3, R6: the post-incident kinds store their problem and round-trip.
    #[test]
    fn post_incident_kinds_round_trip() {
        let events = [
            TimelineEvent::LinkedToProblem(ProblemLinkNote {
                problem: 12,
                reason: LinkReason::Recurrence,
            }),
            TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
                problem: 12,
                strength: MatchStrength::AlertKey,
                fix: FixStatus::Verified,
                raised_from: Some(Priority::P2),
            }),
            TimelineEvent::ProblemReopened(ProblemReopenedNote {
                problem: 12,
                fix_ineffective: true,
            }),
        ];
        let kinds: Vec<&str> = events.iter().map(TimelineEvent::kind).collect();
        assert_eq!(
            kinds,
            [
                "linked_to_problem",
                "recurrence_of_problem",
                "problem_reopened"
            ]
        );
        for event in events {
            assert_eq!(event.body_json()["problem"], 12);
            assert!(!event.shapes_escalation());
            assert_eq!(
                TimelineEvent::from_stored(event.kind(), &event.body_text()).unwrap(),
                event
            );
        }
        let note = TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
            problem: 3,
            strength: MatchStrength::SystemHost,
            fix: FixStatus::Overdue,
            raised_from: None,
        });
        assert_eq!(
            note.body_text(),
            r#"{"problem":3,"strength":"system_host","fix":"overdue"}"#
        );
    }

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
        assert_eq!(event.body_text(), r#"{"text":"restarted the pool"}"#);
        assert_eq!(
            TimelineEvent::from_stored("work_log", &event.body_text()).unwrap(),
            event
        );
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<TimelineEvent>(&text).unwrap(), event);
        assert!(TimelineEvent::from_stored("no_such_kind", "{}").is_err());
        assert!(TimelineEvent::from_stored("work_log", r#"{"text": 1}"#).is_err());
    }

    /// Every kind has exactly one name, and the names are the variants' table.
    #[test]
    fn kinds_are_unique() {
        let mut kinds = TimelineEvent::KINDS.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), TimelineEvent::KINDS.len());
        for kind in TimelineEvent::ESCALATION_KINDS {
            assert!(TimelineEvent::KINDS.contains(&kind), "{kind}");
        }
    }

    /// The wire's `kind` must precede `body`; a body alone is refused.
    #[test]
    fn body_before_kind_is_refused() {
        let err =
            serde_json::from_str::<TimelineEvent>(r#"{"body": {"text": "x"}, "kind": "work_log"}"#);
        assert!(err.is_err());
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
        let priority = TimelineEvent::from_stored(
            "priority_changed",
            r#"{"from": "P1", "to": "P2", "rules_priority": "P1", "decision": "lowered_by_management", "reason": "one customer"}"#,
        );
        assert!(priority.is_ok(), "{priority:?}");
    }
}
