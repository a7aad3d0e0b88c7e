//! The report store: one row per incident with what the reports read
//! (`shared::report::ReportTicket`), kept beside the incidents (SPEC Q1-Q5).
//!
//! A row is written by the worker from the incident and its timeline; every
//! change to an incident or its timeline marks the incident *stale* in the
//! same write, with a version that grows on each change. A report reads the
//! fresh rows of its periods through an index on the creation time, rebuilds
//! the stale incidents it needs from their timelines and writes them back
//! ([`ReportStore::refresh_report_rows`]), clearing a marker only if its
//! version is still the one read.

use super::StoreError;
use crate::stores::IncidentRecord;
use beacon_shared::api::TimelineEntryView;
use beacon_shared::report::ReportTicket;
use beacon_shared::service_level::Period;

/// The timeline kinds the reports read (see `beacon_shared::report::TimelineFacts`).
pub const REPORT_TIMELINE_KINDS: [&str; 6] = [
    "created",
    "paged",
    "acknowledged",
    "status_changed",
    "alert_detached",
    "impact_start_set",
];

/// An incident with its report-relevant timeline entries, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportIncident {
    pub record: IncidentRecord,
    pub timeline: Vec<TimelineEntryView>,
}

/// An incident whose report row is missing or outdated, with the version of
/// its stale marker.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleReportIncident {
    pub incident: ReportIncident,
    pub version: i64,
}

/// What a report reads for a span: the fresh rows, and the stale incidents to
/// rebuild.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportRows {
    pub fresh: Vec<ReportTicket>,
    pub stale: Vec<StaleReportIncident>,
}

/// A rebuilt report row, to store if its marker is still at `version`.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuiltReportRow {
    pub ticket: ReportTicket,
    /// `ticket.status.is_open()`, stored for the index of open tickets.
    pub open: bool,
    pub version: i64,
}

#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait ReportStore {
    /// The incidents created in `period` or still open (whenever created):
    /// fresh rows through the indexes on creation time and openness, and the
    /// stale incidents with their report-relevant timelines.
    async fn report_rows(&self, period: Period) -> Result<ReportRows, StoreError>;

    /// Up to `limit` stale incidents, whenever created (the cron's rebuild).
    async fn stale_report_incidents(
        &self,
        limit: usize,
    ) -> Result<Vec<StaleReportIncident>, StoreError>;

    /// Stores rebuilt rows; a row's stale marker is cleared only if it is
    /// still at the row's version (a change since leaves it stale).
    async fn refresh_report_rows(&self, rows: &[RebuiltReportRow]) -> Result<(), StoreError>;
}
