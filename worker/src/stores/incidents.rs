//! The incident store: tickets, their timelines and the audit record of each change.

use super::StoreError;
use crate::auth::Actor;
use beacon_shared::api::{IncidentView, TimelineEntryView};
use beacon_shared::category::{Category, Labels};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::timeline::{IncidentSnapshot, TimelineEvent};
use beacon_shared::triage::Name;
use beacon_shared::{classify_priority, Priority, Timestamp, TriageFacts};

/// The mutable state of a ticket, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentState {
    pub title: String,
    pub priority: Priority,
    pub rules_priority: Priority,
    pub status: IncidentStatus,
    pub category: Option<Category>,
    pub labels: Labels,
    pub owner_group: Option<Name>,
    pub facts: TriageFacts,
}

impl IncidentState {
    /// The timeline's and audit log's snapshot of this state.
    pub fn snapshot(&self) -> IncidentSnapshot {
        IncidentSnapshot {
            title: self.title.clone(),
            priority: self.priority,
            rules_priority: self.rules_priority,
            status: self.status,
            category: self.category.as_ref().map(|c| c.to_string()),
            labels: self
                .labels
                .as_slice()
                .iter()
                .map(|l| l.to_string())
                .collect(),
            owner_group: self.owner_group.as_ref().map(|g| g.to_string()),
        }
    }
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub id: i64,
    pub state: IncidentState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub created_by: String,
}

impl IncidentRecord {
    /// The API view, with the classification recomputed from the stored facts.
    pub fn to_view(&self) -> IncidentView {
        let s = &self.state;
        IncidentView {
            id: self.id,
            title: s.title.clone(),
            priority: s.priority,
            rules_priority: s.rules_priority,
            status: s.status,
            category: s.category.as_ref().map(|c| c.to_string()),
            labels: s.labels.as_slice().iter().map(|l| l.to_string()).collect(),
            owner_group: s.owner_group.as_ref().map(|g| g.to_string()),
            facts: s.facts.clone(),
            classification: classify_priority(&s.facts),
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: self.created_by.clone(),
        }
    }
}

/// A change to the audit log about to be written (actor and time come with the write).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditRecord {
    pub action: String,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A new incident with its first timeline entries and audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncidentRecord {
    pub state: IncidentState,
    pub at: Timestamp,
    pub actor: Actor,
    pub timeline: Vec<TimelineEvent>,
}

/// An update of one incident, applied only if nobody changed it since `expected_updated_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentChange {
    pub id: i64,
    pub expected_updated_at: Timestamp,
    pub state: IncidentState,
    pub at: Timestamp,
    pub actor: Actor,
    pub timeline: TimelineEvent,
    pub audit: NewAuditRecord,
}

/// Filters of the incident list; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    pub priority: Option<Priority>,
    pub status: Option<IncidentStatus>,
    pub category: Option<Category>,
    pub owner_group: Option<Name>,
    /// `Some(true)`: only open tickets; `Some(false)`: only closed/discarded ones.
    pub open: Option<bool>,
}

impl IncidentFilter {
    /// Whether `record` passes the filter (used by the memory store and as the spec of the SQL).
    pub fn matches(&self, record: &IncidentRecord) -> bool {
        let s = &record.state;
        self.priority.is_none_or(|p| s.priority == p)
            && self.status.is_none_or(|st| s.status == st)
            && self
                .category
                .as_ref()
                .is_none_or(|c| s.category.as_ref().is_some_and(|sc| sc.same_as(c)))
            && self
                .owner_group
                .as_ref()
                .is_none_or(|g| s.owner_group.as_ref() == Some(g))
            && self.open.is_none_or(|open| s.status.is_open() == open)
    }
}

/// Tickets and their timelines. Every write is one atomic unit with its
/// timeline entries and audit record.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait IncidentStore {
    /// The categories an incident may carry: the status page's components (K1).
    async fn known_categories(&self) -> Result<Vec<Category>, StoreError>;
    /// Stores the incident, its timeline entries and its audit record together; returns its id.
    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError>;
    /// Incidents passing `filter`, most urgent first, then oldest first.
    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError>;
    async fn get_incident(&self, id: i64) -> Result<Option<IncidentRecord>, StoreError>;
    async fn timeline(&self, id: i64) -> Result<Vec<TimelineEntryView>, StoreError>;
    /// Applies the change with its timeline entry and audit record; `false`
    /// if the incident changed since `expected_updated_at` (nothing written).
    async fn apply_change(&self, change: &IncidentChange) -> Result<bool, StoreError>;
}
