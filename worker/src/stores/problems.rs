//! The problem store (SPEC R3, R4, R6, V7, V8): problem tickets with their
//! linked incidents and recurrence signatures, the RCA, remediation items and
//! vendor RCAs. Every change is one atomic [`ProblemWrite`] with its audit record.

use super::{NewAuditRecord, QueuedNotification, StoreError};
use crate::auth::Actor;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::problem::Problem;
use beacon_shared::rca::Rca;
use beacon_shared::recurrence::{RecurrenceFacts, RecurrenceSignature};
use beacon_shared::remediation::RemediationItem;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::vendor_rca::VendorRca;
use beacon_shared::{Priority, Timestamp};

/// A stored problem with what its reader's clearance needs (SPEC K3).
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemRecord {
    pub problem: Problem,
    /// Guards the next write (optimistic concurrency).
    pub version: i64,
    /// One of its linked incidents is a Security incident.
    pub linked_security: bool,
}

/// A problem with every record that hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemRecords {
    pub record: ProblemRecord,
    pub rca: Rca,
    /// Our items and the vendors' (see [`RemediationItem::vendor_rca`]).
    pub items: Vec<RemediationItem>,
    pub vendor_rcas: Vec<VendorRca>,
}

/// Notifications queued in the escalation outbox with a write, under an
/// action key claimed for `incident` (delivered by the next sweep).
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemNotifications {
    pub key: String,
    pub incident: i64,
    pub action: serde_json::Value,
    pub notifications: Vec<QueuedNotification>,
}

/// One change to a problem and its records, written as one unit: the
/// problem (inserted, or updated only if its version is still
/// `expected_version`), its links and signatures, what is added or changed,
/// the timeline entries on linked incidents, queued notifications and the
/// audit record. Ids of new records are the store's; `problem.id` and the
/// new items' ids are ignored for an insert.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemWrite {
    /// `None`: a new problem.
    pub expected_version: Option<i64>,
    pub problem: Problem,
    /// For a problem Beacon opened itself: the resolved incident (unique).
    pub auto_origin: Option<i64>,
    pub rca: Option<Rca>,
    /// A vendor RCA to add; `new_items` then belong to it.
    pub vendor_rca: Option<VendorRca>,
    pub new_items: Vec<RemediationItem>,
    /// Items changed in place (by id).
    pub changed_items: Vec<RemediationItem>,
    pub incident_timeline: Vec<(i64, TimelineEvent)>,
    pub notifications: Option<ProblemNotifications>,
    pub audit: NewAuditRecord,
    pub actor: Actor,
    pub at: Timestamp,
}

impl ProblemWrite {
    /// A write of `problem` alone with its audit record.
    pub fn of(
        expected_version: Option<i64>,
        problem: Problem,
        audit: NewAuditRecord,
        actor: &Actor,
        at: Timestamp,
    ) -> Self {
        Self {
            expected_version,
            problem,
            auto_origin: None,
            rca: None,
            vendor_rca: None,
            new_items: Vec::new(),
            changed_items: Vec::new(),
            incident_timeline: Vec::new(),
            notifications: None,
            audit,
            actor: actor.clone(),
            at,
        }
    }
}

/// The lookup key of a signature: what a new incident's facts must produce
/// for the signature to be a candidate. The matcher
/// ([`beacon_shared::recurrence::match_recurrence`]) still decides; a
/// category-and-rules signature is found by its category alone.
pub fn signature_key(signature: &RecurrenceSignature) -> String {
    match signature {
        RecurrenceSignature::AlertKey {
            integration,
            dedup_key,
        } => format!("alert_key\u{1f}{integration}\u{1f}{dedup_key}"),
        RecurrenceSignature::AlertRule {
            integration,
            alertname,
            service,
        } => format!(
            "alert_rule\u{1f}{integration}\u{1f}{alertname}\u{1f}{}",
            service.as_deref().unwrap_or("")
        ),
        RecurrenceSignature::SystemHost { system, host } => format!(
            "system_host\u{1f}{}\u{1f}{host}",
            system.as_str().to_lowercase()
        ),
        RecurrenceSignature::CategoryRules { category, .. } => {
            format!("category\u{1f}{}", category.as_str().trim().to_lowercase())
        }
    }
}

/// The lookup keys of everything `facts` could match.
pub fn lookup_keys(facts: &RecurrenceFacts) -> Vec<String> {
    let mut keys: Vec<String> = facts.signatures().iter().map(signature_key).collect();
    if let Some(category) = &facts.category {
        let key = signature_key(&RecurrenceSignature::CategoryRules {
            category: category.clone(),
            rules: Vec::new(),
        });
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// Problems, their records and the recurrence lookup.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait ProblemStore {
    /// Writes the change as one unit; the problem's id, or `None` (nothing
    /// written) when the problem changed since `expected_version`. A second
    /// problem for the same `auto_origin` is a [`StoreError::UniqueViolation`].
    async fn write_problem(&self, write: &ProblemWrite) -> Result<Option<i64>, StoreError>;
    /// Every problem, newest first, each with its remediation items.
    async fn list_problems(&self)
        -> Result<Vec<(ProblemRecord, Vec<RemediationItem>)>, StoreError>;
    async fn get_problem(&self, id: i64) -> Result<Option<ProblemRecords>, StoreError>;
    /// The problems `incident` is linked to.
    async fn problems_of_incident(&self, incident: i64) -> Result<Vec<ProblemRecord>, StoreError>;
    /// The problems with a signature under one of `keys` (one indexed
    /// query), each with its remediation items.
    async fn problems_with_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(ProblemRecord, Vec<RemediationItem>)>, StoreError>;
    /// Which of `keys` were claimed as escalation action keys already.
    async fn claimed_keys(&self, keys: &[String]) -> Result<Vec<String>, StoreError>;
    /// The item with id `id`, if any.
    async fn remediation_item(&self, id: i64) -> Result<Option<RemediationItem>, StoreError>;
    /// Incidents of one of `priorities` in one of `statuses` that no problem
    /// links, oldest first, at most `limit`: resolved P0/P1 incidents whose
    /// problem was not opened (the sweep opens it).
    async fn incidents_without_problem(
        &self,
        priorities: &[Priority],
        statuses: &[IncidentStatus],
        limit: u32,
    ) -> Result<Vec<i64>, StoreError>;
}
