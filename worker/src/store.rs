//! The storage interface the handlers use; D1 implements it at the edge, memory in tests.

use crate::auth::Actor;
use crate::error::ApiError;
use beacon_shared::api::IncidentView;
use beacon_shared::{classify_priority, Priority, Timestamp, TriageFacts};

/// The store could not answer; the message is for logs only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store error: {0}")]
pub struct StoreError(pub String);

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::StoreUnavailable(err.0)
    }
}

/// An incident about to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncidentRecord {
    pub title: String,
    pub priority: Priority,
    pub rules_priority: Priority,
    pub status: String,
    pub facts: TriageFacts,
    pub created_at: Timestamp,
    pub created_by: Actor,
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    pub status: String,
    pub facts: TriageFacts,
    pub created_at: Timestamp,
    pub created_by: String,
}

impl IncidentRecord {
    /// The API view, with the classification recomputed from the stored facts.
    pub fn to_view(&self) -> IncidentView {
        IncidentView {
            id: self.id,
            title: self.title.clone(),
            priority: self.priority,
            status: self.status.clone(),
            classification: classify_priority(&self.facts),
            created_at: self.created_at,
            created_by: self.created_by.clone(),
        }
    }
}

/// What the handlers need from storage. Every write is one atomic unit.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait Store {
    /// Whether the backing database answers.
    async fn ping(&self) -> bool;
    /// The active user whose token hashes to `token_hash`.
    async fn actor_for_token_hash(&self, token_hash: &str) -> Result<Option<Actor>, StoreError>;
    /// Stores the incident, its first timeline entry and its audit record together.
    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError>;
    /// All incidents, most urgent first, then oldest first.
    async fn list_incidents(&self) -> Result<Vec<IncidentRecord>, StoreError>;
}
