//! [`ReportStore`] in memory.

use super::MemoryStore;
use crate::stores::{ReportIncident, ReportStore, StoreError, REPORT_TIMELINE_KINDS};
use beacon_shared::service_level::Period;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::Timestamp;

impl ReportStore for MemoryStore {
    async fn report_incidents(&self, period: Period) -> Result<Vec<ReportIncident>, StoreError> {
        self.check()?;
        let timeline = self.timeline.borrow();
        let mut incidents: Vec<ReportIncident> = self
            .incidents
            .borrow()
            .iter()
            .filter(|i| {
                let within = |at: Timestamp| period.from() <= at && at < period.to();
                within(i.created_at)
                    || i.state.status.is_open()
                    || timeline.iter().any(|(id, e)| {
                        *id == i.id
                            && matches!(e.event, TimelineEvent::StatusChanged(_))
                            && within(e.at)
                    })
            })
            .map(|record| {
                let mut entries: Vec<_> = timeline
                    .iter()
                    .filter(|(id, e)| {
                        *id == record.id && REPORT_TIMELINE_KINDS.contains(&e.event.kind())
                    })
                    .map(|(_, e)| e.clone())
                    .collect();
                entries.sort_by_key(|e| (e.at, e.id));
                ReportIncident {
                    record: record.clone(),
                    timeline: entries,
                }
            })
            .collect();
        incidents.sort_by_key(|i| i.record.id);
        Ok(incidents)
    }
}
