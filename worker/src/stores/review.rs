//! The review store (SPEC Q5): the incident reports awaiting approval, and
//! the review meeting's snapshots, which are written once and never changed.

use super::{NewAuditRecord, ReportRecord, StoreError};
use crate::auth::Actor;
use beacon_shared::incident_report::ReportStatus;
use beacon_shared::report::PeriodKind;
use beacon_shared::service_level::Period;
use beacon_shared::Timestamp;

/// One version of a snapshot: its stored JSON text and the text's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedContent {
    pub text: String,
    pub sha256: String,
}

/// A snapshot to store, with its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSnapshotRecord {
    pub kind: PeriodKind,
    pub period: Period,
    pub saved_at: Timestamp,
    pub actor: Actor,
    /// For readers cleared for Security.
    pub full: SealedContent,
    /// For everyone else: Security only as counts.
    pub restricted: SealedContent,
    pub audit: NewAuditRecord,
}

/// A stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub id: i64,
    pub kind: PeriodKind,
    pub period: Period,
    pub saved_by: String,
    pub saved_at: Timestamp,
    pub full: SealedContent,
    pub restricted: SealedContent,
}

#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait ReviewStore {
    /// The incident reports in one of `statuses`.
    async fn reports_in_status(
        &self,
        statuses: &[ReportStatus],
    ) -> Result<Vec<ReportRecord>, StoreError>;
    /// Stores the snapshot and its audit record together; its id.
    async fn insert_snapshot(&self, snapshot: &NewSnapshotRecord) -> Result<i64, StoreError>;
    /// Every snapshot, newest first.
    async fn snapshots(&self) -> Result<Vec<SnapshotRecord>, StoreError>;
    async fn snapshot(&self, id: i64) -> Result<Option<SnapshotRecord>, StoreError>;
}
