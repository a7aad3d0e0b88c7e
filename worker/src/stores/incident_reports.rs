//! The incident report store (SPEC V5, V6, R1, R2, R5): one report per
//! problem with its post-incident reviews, and the postmortem it puts on the
//! public incident when published. Every change is one atomic
//! [`ReportWrite`] with its audit record.

use super::{NewAuditRecord, ProblemWrite, Revision, StoreError, StoredPublicIncident};
use crate::auth::Actor;
use beacon_shared::incident_report::IncidentReport;
use beacon_shared::post_incident_review::PostIncidentReview;
use beacon_shared::status_page::PublicIncident;
use beacon_shared::Timestamp;

/// A stored report with the revision that guards its next write.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub report: IncidentReport,
    pub revision: i64,
}

/// The public incident a published report becomes the postmortem of,
/// replacing the revision it was read at (SPEC R5).
#[derive(Debug, Clone, PartialEq)]
pub struct PostmortemWrite {
    pub incident: PublicIncident,
    pub replaces: Revision,
}

/// One change to a report, written as one unit: the report (inserted, unique
/// per problem, or updated only if its revision is still
/// `expected_revision`), a review, the problem change made with it (the
/// remediation items a review's accepted actions became, guarded by the
/// problem's version), the public incident's postmortem and the audit record.
/// Ids of new records are the store's.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportWrite {
    /// `None`: a new report.
    pub expected_revision: Option<i64>,
    pub report: IncidentReport,
    pub review: Option<PostIncidentReview>,
    /// Written in the same unit, with its own audit record.
    pub problem: Option<ProblemWrite>,
    pub postmortem: Option<PostmortemWrite>,
    pub audit: NewAuditRecord,
    pub actor: Actor,
    pub at: Timestamp,
}

/// Incident reports, their reviews and the public incidents they publish to.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait IncidentReportStore {
    /// Writes the change as one unit; the report's id, or `None` (nothing
    /// written) when the report or the problem changed since they were read.
    /// A second report of one problem is a [`StoreError::UniqueViolation`].
    async fn write_report(&self, write: &ReportWrite) -> Result<Option<i64>, StoreError>;
    /// The report of `problem`, if drafted.
    async fn report_of_problem(&self, problem: i64) -> Result<Option<ReportRecord>, StoreError>;
    /// The reviews of `report`, oldest first.
    async fn reviews_of(&self, report: i64) -> Result<Vec<PostIncidentReview>, StoreError>;
    /// The public incidents published from one of the internal `incidents`,
    /// oldest first.
    async fn public_incidents_of(
        &self,
        incidents: &[i64],
    ) -> Result<Vec<StoredPublicIncident>, StoreError>;
}
