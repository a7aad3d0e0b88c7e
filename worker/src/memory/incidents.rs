//! [`IncidentStore`] in memory.

use super::MemoryStore;
use crate::stores::{
    IncidentChange, IncidentFilter, IncidentRecord, IncidentStore, NewIncidentRecord, StoreError,
};
use beacon_shared::api::TimelineEntryView;
use beacon_shared::category::Category;

impl MemoryStore {
    /// Stores the incident with its timeline entries and audit record; returns its id.
    pub(super) fn add_incident(&self, incident: &NewIncidentRecord) -> i64 {
        let id = self.incidents.borrow().len() as i64 + 1;
        self.incidents.borrow_mut().push(IncidentRecord {
            id,
            state: incident.state.clone(),
            created_at: incident.at,
            updated_at: incident.at,
            created_by: incident.actor.name.clone(),
        });
        for entry in &incident.timeline {
            self.push_timeline(id, incident.at, &incident.actor, entry.clone());
        }
        self.push_audit(
            incident.at,
            &incident.actor,
            "incident.create",
            format!("incident/{id}"),
            None,
            serde_json::to_value(incident.state.snapshot()).ok(),
        );
        id
    }
}

impl IncidentStore for MemoryStore {
    async fn known_categories(&self) -> Result<Vec<Category>, StoreError> {
        self.check()?;
        Ok(self.categories.clone())
    }

    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError> {
        self.check()?;
        Ok(self.add_incident(incident))
    }

    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        self.check()?;
        let mut all: Vec<IncidentRecord> = self
            .incidents
            .borrow()
            .iter()
            .filter(|i| filter.matches(i))
            .cloned()
            .collect();
        all.sort_by_key(|i| (i.state.priority, i.created_at, i.id));
        Ok(all)
    }

    async fn get_incident(&self, id: i64) -> Result<Option<IncidentRecord>, StoreError> {
        self.check()?;
        Ok(self.incidents.borrow().iter().find(|i| i.id == id).cloned())
    }

    async fn timeline(&self, id: i64) -> Result<Vec<TimelineEntryView>, StoreError> {
        self.check()?;
        Ok(self
            .timeline
            .borrow()
            .iter()
            .filter(|(i, _)| *i == id)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn apply_change(&self, change: &IncidentChange) -> Result<bool, StoreError> {
        self.check()?;
        {
            let mut incidents = self.incidents.borrow_mut();
            let Some(record) = incidents.iter_mut().find(|i| i.id == change.id) else {
                return Ok(false);
            };
            if record.updated_at != change.expected_updated_at {
                return Ok(false);
            }
            record.state = change.state.clone();
            record.updated_at = change.at;
        }
        self.push_timeline(change.id, change.at, &change.actor, change.timeline.clone());
        self.push_audit_record(change.at, &change.actor, &change.audit);
        Ok(true)
    }
}
