//! Wire types: the JSON contract between `app`, `worker` and API clients.
//!
//! These are plain serde DTOs; the worker converts them into domain types
//! at the edge and reports the first field that does not parse.

use crate::priority::{Classification, Priority};
use crate::timestamp::Timestamp;
use crate::triage::{Title, TriageFacts};
use serde::{Deserialize, Serialize};

/// `POST /api/incidents`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: Title,
    #[serde(default)]
    pub facts: TriageFacts,
}

/// An incident as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    pub status: String,
    pub classification: Classification,
    pub created_at: Timestamp,
    pub created_by: String,
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
