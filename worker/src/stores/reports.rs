//! The report store: incidents created in a period, or still open, each with
//! the timeline entries the reports read (SPEC Q1-Q5).

use super::StoreError;
use crate::stores::IncidentRecord;
use beacon_shared::api::TimelineEntryView;
use beacon_shared::service_level::Period;

/// The timeline kinds the reports read (see `beacon_shared::report::TimelineFacts`).
pub const REPORT_TIMELINE_KINDS: [&str; 5] = [
    "created",
    "paged",
    "acknowledged",
    "status_changed",
    "alert_detached",
];

/// An incident with its report-relevant timeline entries, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportIncident {
    pub record: IncidentRecord,
    pub timeline: Vec<TimelineEntryView>,
}

#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait ReportStore {
    /// Incidents created in `period`, still open (whenever created), or whose
    /// status changed in `period` (so those that ended in it count in the
    /// trends), by id; read through indexes on the creation time, the status
    /// and the timeline's status changes.
    async fn report_incidents(&self, period: Period) -> Result<Vec<ReportIncident>, StoreError>;
}
