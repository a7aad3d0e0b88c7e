//! [`ReviewStore`] in memory: snapshots are appended, never changed.

use super::MemoryStore;
use crate::stores::{NewSnapshotRecord, ReportRecord, ReviewStore, SnapshotRecord, StoreError};
use beacon_shared::incident_report::ReportStatus;

impl ReviewStore for MemoryStore {
    async fn reports_in_status(
        &self,
        statuses: &[ReportStatus],
    ) -> Result<Vec<ReportRecord>, StoreError> {
        self.check()?;
        Ok(self
            .reports
            .borrow()
            .reports
            .iter()
            .filter(|(report, _)| statuses.contains(&report.status))
            .map(|(report, revision)| ReportRecord {
                report: report.clone(),
                revision: *revision,
            })
            .collect())
    }

    async fn insert_snapshot(&self, snapshot: &NewSnapshotRecord) -> Result<i64, StoreError> {
        self.check()?;
        let mut snapshots = self.review_snapshots.borrow_mut();
        let id = snapshots.len() as i64 + 1;
        snapshots.push(SnapshotRecord {
            id,
            kind: snapshot.kind,
            period: snapshot.period,
            saved_by: snapshot.actor.name.clone(),
            saved_at: snapshot.saved_at,
            full: snapshot.full.clone(),
            restricted: snapshot.restricted.clone(),
        });
        self.push_audit_record(snapshot.saved_at, &snapshot.actor, &snapshot.audit);
        Ok(id)
    }

    async fn snapshots(&self) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.check()?;
        Ok(self
            .review_snapshots
            .borrow()
            .iter()
            .rev()
            .cloned()
            .collect())
    }

    async fn snapshot(&self, id: i64) -> Result<Option<SnapshotRecord>, StoreError> {
        self.check()?;
        Ok(self
            .review_snapshots
            .borrow()
            .iter()
            .find(|s| s.id == id)
            .cloned())
    }
}

impl MemoryStore {
    /// Alters a stored snapshot's full text behind Beacon's back, as a
    /// write outside the API would, so tests can see it detected.
    pub fn alter_snapshot_text(&self, id: i64, text: &str) {
        if let Some(s) = self
            .review_snapshots
            .borrow_mut()
            .iter_mut()
            .find(|s| s.id == id)
        {
            s.full.text = text.to_owned();
        }
    }
}
