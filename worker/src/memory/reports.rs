//! [`ReportStore`] in memory. Where D1 marks an incident stale in the same
//! write (triggers, migration 0015), the twin derives an incident's version
//! from its record and timeline, so any change makes its row stale as well.

use super::MemoryStore;
use crate::stores::{
    IncidentRecord, RebuiltReportRow, ReportIncident, ReportRows, ReportStore, StaleReportIncident,
    StoreError, REPORT_TIMELINE_KINDS,
};
use beacon_shared::api::TimelineEntryView;
use beacon_shared::report::ReportTicket;
use beacon_shared::service_level::Period;
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// Each incident's stored row and the version it was built from.
pub type ReportRowTable = BTreeMap<i64, (ReportTicket, i64)>;

impl MemoryStore {
    /// The version of an incident's data: it changes with any change to the
    /// incident or its timeline.
    fn report_version(record: &IncidentRecord, timeline: &[(i64, TimelineEntryView)]) -> i64 {
        let mut hasher = DefaultHasher::new();
        format!("{record:?}").hash(&mut hasher);
        for (_, entry) in timeline.iter().filter(|(id, _)| *id == record.id) {
            entry.id.hash(&mut hasher);
        }
        (hasher.finish() >> 1) as i64
    }

    /// How many incidents' report rows are missing or outdated.
    pub fn stale_report_row_count(&self) -> usize {
        let timeline = self.timeline.borrow();
        let rows = self.report_rows.borrow();
        self.incidents
            .borrow()
            .iter()
            .filter(|r| {
                rows.get(&r.id).map(|(_, v)| *v) != Some(Self::report_version(r, &timeline))
            })
            .count()
    }

    fn stale_where(&self, keep: impl Fn(&IncidentRecord) -> bool) -> Vec<StaleReportIncident> {
        let timeline = self.timeline.borrow();
        let rows = self.report_rows.borrow();
        let mut stale: Vec<StaleReportIncident> = self
            .incidents
            .borrow()
            .iter()
            .filter(|r| keep(r))
            .filter_map(|record| {
                let version = Self::report_version(record, &timeline);
                if rows.get(&record.id).map(|(_, v)| *v) == Some(version) {
                    return None;
                }
                let mut entries: Vec<_> = timeline
                    .iter()
                    .filter(|(id, e)| {
                        *id == record.id && REPORT_TIMELINE_KINDS.contains(&e.event.kind())
                    })
                    .map(|(_, e)| e.clone())
                    .collect();
                entries.sort_by_key(|e| (e.at, e.id));
                Some(StaleReportIncident {
                    incident: ReportIncident {
                        record: record.clone(),
                        timeline: entries,
                    },
                    version,
                })
            })
            .collect();
        stale.sort_by_key(|s| s.incident.record.id);
        stale
    }
}

impl ReportStore for MemoryStore {
    async fn report_rows(&self, period: Period) -> Result<ReportRows, StoreError> {
        self.check()?;
        let in_span = |record: &IncidentRecord| {
            period.from() <= record.created_at && record.created_at < period.to()
        };
        let ended_since =
            |r: &IncidentRecord| r.created_at < period.from() && r.updated_at >= period.from();
        let stale = self.stale_where(|r| in_span(r) || r.state.status.is_open() || ended_since(r));
        let timeline = self.timeline.borrow();
        let rows = self.report_rows.borrow();
        let fresh = self
            .incidents
            .borrow()
            .iter()
            .filter_map(|record| {
                let (ticket, version) = rows.get(&record.id)?;
                let current = *version == Self::report_version(record, &timeline);
                let selected = (period.from() <= ticket.created_at
                    && ticket.created_at < period.to())
                    || ticket.status.is_open()
                    || (ticket.created_at < period.from()
                        && ticket.ended_at().is_some_and(|at| at >= period.from()));
                (current && selected).then(|| ticket.clone())
            })
            .collect();
        Ok(ReportRows { fresh, stale })
    }

    async fn stale_report_incidents(
        &self,
        limit: usize,
    ) -> Result<Vec<StaleReportIncident>, StoreError> {
        self.check()?;
        let mut stale = self.stale_where(|_| true);
        stale.truncate(limit);
        Ok(stale)
    }

    async fn refresh_report_rows(&self, rows: &[RebuiltReportRow]) -> Result<(), StoreError> {
        self.check()?;
        let mut table = self.report_rows.borrow_mut();
        for row in rows {
            table.insert(row.ticket.id, (row.ticket.clone(), row.version));
        }
        Ok(())
    }
}
