//! [`StatusPageStore`] in memory. A revision is the entry's JSON, so a
//! guarded write loses exactly when the entry changed since it was read.

use super::MemoryStore;
use crate::stores::{
    ComponentReplacement, PageAudit, PageContents, Publication, RecordedStatus, Revised, Revision,
    StatusLog, StatusPageStore, StoreError, StoredPublicIncident, TicketNote,
};
use beacon_shared::service_level::StatusChange;
use beacon_shared::status_page::{
    Component, ComponentGroup, ComponentId, PublicIncident, ScheduledMaintenance,
};
use beacon_shared::Timestamp;
use serde::Serialize;

/// The status page's parts as [`MemoryStore`] keeps them.
#[derive(Default)]
pub(crate) struct MemoryStatusPage {
    groups: Vec<ComponentGroup>,
    components: Vec<Component>,
    /// Oldest first, with the internal ticket each was published from.
    pub(super) incidents: Vec<(PublicIncident, Option<i64>)>,
    /// Oldest first.
    maintenances: Vec<ScheduledMaintenance>,
    history: Vec<RecordedStatus>,
}

fn revision<T: Serialize>(value: &T) -> Result<Revision, StoreError> {
    serde_json::to_string(value)
        .map(Revision)
        .map_err(StoreError::corrupt)
}

fn revised<T: Serialize + Clone>(value: &T) -> Result<Revised<T>, StoreError> {
    Ok(Revised {
        value: value.clone(),
        revision: revision(value)?,
    })
}

fn recorded(component: &Component) -> RecordedStatus {
    RecordedStatus {
        component: component.id.clone(),
        change: StatusChange {
            at: component.updated_at,
            status: component.status,
        },
    }
}

impl MemoryStore {
    /// Runs `write` as the next guarded write's rival: it happens after the
    /// handler read the page and before its write, as a concurrent request would.
    pub fn before_next_guarded_write(&self, write: impl FnOnce(&MemoryStore) + 'static) {
        *self.rival_write.borrow_mut() = Some(Box::new(write));
    }

    fn run_rival_write(&self) {
        let rival = self.rival_write.borrow_mut().take();
        if let Some(write) = rival {
            write(self);
        }
    }

    /// How many status changes the components' history holds.
    pub fn status_history_len(&self) -> usize {
        self.status_page.borrow().history.len()
    }

    fn audit_page_change(&self, audit: &PageAudit<'_>) {
        let record = &audit.record;
        self.push_audit(
            audit.at,
            audit.actor,
            &record.action,
            record.subject.clone(),
            record.before.clone(),
            record.after.clone(),
        );
    }

    /// Replaces the components `changed` names and records them in the history.
    fn store_changed_components(&self, changed: &[Component]) {
        let mut page = self.status_page.borrow_mut();
        for component in changed {
            if let Some(stored) = page.components.iter_mut().find(|c| c.id == component.id) {
                *stored = component.clone();
            }
            page.history.push(recorded(component));
        }
    }
}

/// Whether `stored` is still at the revision `replaces` names (`None`: the
/// entry must not exist yet).
fn still_at<T: Serialize>(
    stored: Option<&T>,
    replaces: Option<&Revision>,
) -> Result<bool, StoreError> {
    Ok(match (stored, replaces) {
        (None, None) => true,
        (Some(stored), Some(expected)) => &revision(stored)? == expected,
        _ => false,
    })
}

impl StatusPageStore for MemoryStore {
    async fn page_contents(&self) -> Result<PageContents, StoreError> {
        self.check()?;
        let page = self.status_page.borrow();
        let mut groups = page.groups.clone();
        groups.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
        let mut components = page.components.clone();
        components.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
        let mut incidents: Vec<PublicIncident> =
            page.incidents.iter().map(|(i, _)| i.clone()).collect();
        incidents.sort_by_key(|i| std::cmp::Reverse(i.created_at()));
        let mut maintenances = page.maintenances.clone();
        maintenances.sort_by_key(|m| std::cmp::Reverse(m.created_at()));
        Ok(PageContents {
            groups,
            components,
            incidents,
            maintenances,
        })
    }

    async fn status_log(&self, from: Timestamp) -> Result<StatusLog, StoreError> {
        self.check()?;
        let page = self.status_page.borrow();
        let mut last_before: Vec<RecordedStatus> = Vec::new();
        for entry in page.history.iter().filter(|r| r.change.at < from) {
            match last_before
                .iter_mut()
                .find(|r| r.component == entry.component)
            {
                Some(last) if last.change.at <= entry.change.at => *last = entry.clone(),
                Some(_) => {}
                None => last_before.push(entry.clone()),
            }
        }
        let mut since: Vec<RecordedStatus> = page
            .history
            .iter()
            .filter(|r| r.change.at >= from)
            .cloned()
            .collect();
        since.sort_by(|a, b| (&a.component, a.change.at).cmp(&(&b.component, b.change.at)));
        Ok(StatusLog { last_before, since })
    }

    async fn component(&self, id: &str) -> Result<Option<Revised<Component>>, StoreError> {
        self.check()?;
        let page = self.status_page.borrow();
        page.components
            .iter()
            .find(|c| c.id.as_str() == id)
            .map(revised)
            .transpose()
    }

    async fn group_exists(&self, id: &ComponentId) -> Result<bool, StoreError> {
        self.check()?;
        Ok(self.status_page.borrow().groups.iter().any(|g| &g.id == id))
    }

    async fn public_incident(&self, id: &str) -> Result<Option<StoredPublicIncident>, StoreError> {
        self.check()?;
        let page = self.status_page.borrow();
        page.incidents
            .iter()
            .find(|(i, _)| i.id().as_str() == id)
            .map(|(incident, internal)| {
                Ok(StoredPublicIncident {
                    incident: revised(incident)?,
                    internal_incident: *internal,
                })
            })
            .transpose()
    }

    async fn maintenance(
        &self,
        id: &str,
    ) -> Result<Option<Revised<ScheduledMaintenance>>, StoreError> {
        self.check()?;
        let page = self.status_page.borrow();
        page.maintenances
            .iter()
            .find(|m| m.id().as_str() == id)
            .map(revised)
            .transpose()
    }

    async fn insert_component(
        &self,
        component: &Component,
        audit: &PageAudit<'_>,
    ) -> Result<(), StoreError> {
        self.check()?;
        {
            let mut page = self.status_page.borrow_mut();
            if page
                .components
                .iter()
                .any(|c| c.name.same_as(&component.name) || c.id == component.id)
            {
                return Err(StoreError::UniqueViolation("public_components.name".into()));
            }
            page.components.push(component.clone());
            page.history.push(recorded(component));
        }
        self.audit_page_change(audit);
        Ok(())
    }

    async fn replace_component(
        &self,
        replacement: &ComponentReplacement<'_>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.run_rival_write();
        {
            let mut page = self.status_page.borrow_mut();
            let id = &replacement.component.id;
            let Some(stored) = page.components.iter_mut().find(|c| &c.id == id) else {
                return Ok(false);
            };
            if revision(stored)? != replacement.replaces {
                return Ok(false);
            }
            *stored = replacement.component.clone();
            if replacement.keep_in_history {
                page.history.push(recorded(&replacement.component));
            }
        }
        self.audit_page_change(&replacement.audit);
        Ok(true)
    }

    async fn insert_group(
        &self,
        group: &ComponentGroup,
        audit: &PageAudit<'_>,
    ) -> Result<(), StoreError> {
        self.check()?;
        self.status_page.borrow_mut().groups.push(group.clone());
        self.audit_page_change(audit);
        Ok(())
    }

    async fn publish_incident(
        &self,
        publication: &Publication<'_, PublicIncident>,
        note: Option<&TicketNote>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.run_rival_write();
        {
            let mut page = self.status_page.borrow_mut();
            let id = publication.entry.id();
            let position = page.incidents.iter().position(|(i, _)| i.id() == id);
            let stored = position.map(|p| &page.incidents[p].0);
            if !still_at(stored, publication.replaces.as_ref())? {
                return Ok(false);
            }
            match position {
                Some(p) => page.incidents[p].0 = publication.entry.clone(),
                None => page
                    .incidents
                    .push((publication.entry.clone(), note.map(|n| n.incident))),
            }
        }
        self.store_changed_components(&publication.changed_components);
        if let Some(note) = note {
            let ticket_changed = self
                .incidents
                .borrow()
                .iter()
                .find(|i| i.id == note.incident)
                .map(|i| i.updated_at);
            if let Some(ticket_changed) = ticket_changed {
                let at = publication.audit.at.max(ticket_changed);
                self.push_timeline(
                    note.incident,
                    at,
                    publication.audit.actor,
                    note.event.clone(),
                );
            }
        }
        self.audit_page_change(&publication.audit);
        Ok(true)
    }

    async fn publish_maintenance(
        &self,
        publication: &Publication<'_, ScheduledMaintenance>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.run_rival_write();
        {
            let mut page = self.status_page.borrow_mut();
            let id = publication.entry.id();
            let position = page.maintenances.iter().position(|m| m.id() == id);
            let stored = position.map(|p| &page.maintenances[p]);
            if !still_at(stored, publication.replaces.as_ref())? {
                return Ok(false);
            }
            match position {
                Some(p) => page.maintenances[p] = publication.entry.clone(),
                None => page.maintenances.push(publication.entry.clone()),
            }
        }
        self.store_changed_components(&publication.changed_components);
        self.audit_page_change(&publication.audit);
        Ok(true)
    }
}
