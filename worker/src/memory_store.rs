//! An in-memory [`Store`] for fast native tests of the handlers.

use crate::auth::{hash_token, Actor};
use crate::store::{
    IncidentChange, IncidentFilter, IncidentRecord, NewIncidentRecord, Store, StoreError,
};
use beacon_shared::api::{AuditEntryView, TimelineEntryView, UserView};
use beacon_shared::category::Category;
use beacon_shared::role::Role;
use beacon_shared::triage::Name;
use beacon_shared::Timestamp;
use std::cell::{Cell, RefCell};

/// A single-threaded store holding users, incidents, timelines and the audit trail in memory.
pub struct MemoryStore {
    users: RefCell<Vec<UserView>>,
    tokens: RefCell<Vec<(String, i64)>>,
    incidents: RefCell<Vec<IncidentRecord>>,
    timeline: RefCell<Vec<(i64, TimelineEntryView)>>,
    audit: RefCell<Vec<AuditEntryView>>,
    categories: Vec<Category>,
    /// When set, every call fails as if the database were down.
    pub failing: Cell<bool>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        let categories = ["API", "Web application", "Payments", "Reporting", "Network"]
            .iter()
            .map(|c| Category::parse(c).expect("valid category"))
            .collect();
        Self {
            users: RefCell::default(),
            tokens: RefCell::default(),
            incidents: RefCell::default(),
            timeline: RefCell::default(),
            audit: RefCell::default(),
            categories,
            failing: Cell::new(false),
        }
    }
}

impl MemoryStore {
    /// Adds a user with `role` and returns the plain token that authenticates it.
    pub fn add_user(&self, name: &str, role: Role) -> String {
        let mut users = self.users.borrow_mut();
        let id = users.len() as i64 + 1;
        users.push(UserView {
            id,
            name: name.to_owned(),
            role,
        });
        let token = format!("test-token-{name}-{id}");
        self.tokens.borrow_mut().push((hash_token(&token), id));
        token
    }

    pub fn incident_count(&self) -> usize {
        self.incidents.borrow().len()
    }

    pub fn audit_count(&self) -> usize {
        self.audit.borrow().len()
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() {
            Err(StoreError("memory store set to fail".into()))
        } else {
            Ok(())
        }
    }

    fn push_audit(
        &self,
        at: Timestamp,
        actor: &Actor,
        action: &str,
        subject: String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) {
        let mut audit = self.audit.borrow_mut();
        let id = audit.len() as i64 + 1;
        audit.push(AuditEntryView {
            id,
            at,
            actor: actor.name.clone(),
            action: action.into(),
            subject,
            before,
            after,
        });
    }

    fn push_timeline(
        &self,
        incident: i64,
        at: Timestamp,
        actor: &Actor,
        kind: &str,
        body: serde_json::Value,
    ) {
        let mut timeline = self.timeline.borrow_mut();
        let id = timeline.len() as i64 + 1;
        timeline.push((
            incident,
            TimelineEntryView {
                id,
                at,
                actor: actor.name.clone(),
                kind: kind.into(),
                body,
            },
        ));
    }
}

impl Store for MemoryStore {
    async fn ping(&self) -> bool {
        !self.failing.get()
    }

    async fn actor_for_token_hash(&self, token_hash: &str) -> Result<Option<Actor>, StoreError> {
        self.check()?;
        let user_id = self
            .tokens
            .borrow()
            .iter()
            .find(|(h, _)| h == token_hash)
            .map(|(_, id)| *id);
        Ok(user_id.and_then(|id| {
            self.users
                .borrow()
                .iter()
                .find(|u| u.id == id)
                .map(|u| Actor {
                    user_id: u.id,
                    name: u.name.clone(),
                    role: u.role,
                })
        }))
    }

    async fn known_categories(&self) -> Result<Vec<Category>, StoreError> {
        self.check()?;
        Ok(self.categories.clone())
    }

    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError> {
        self.check()?;
        let id = self.incidents.borrow().len() as i64 + 1;
        self.incidents.borrow_mut().push(IncidentRecord {
            id,
            state: incident.state.clone(),
            created_at: incident.at,
            updated_at: incident.at,
            created_by: incident.actor.name.clone(),
        });
        for entry in &incident.timeline {
            self.push_timeline(
                id,
                incident.at,
                &incident.actor,
                &entry.kind,
                entry.body.clone(),
            );
        }
        self.push_audit(
            incident.at,
            &incident.actor,
            "incident.create",
            format!("incident/{id}"),
            None,
            Some(incident.state.snapshot()),
        );
        Ok(id)
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
        self.push_timeline(
            change.id,
            change.at,
            &change.actor,
            &change.timeline.kind,
            change.timeline.body.clone(),
        );
        let a = &change.audit;
        self.push_audit(
            change.at,
            &change.actor,
            &a.action,
            a.subject.clone(),
            a.before.clone(),
            a.after.clone(),
        );
        Ok(true)
    }

    async fn create_user(
        &self,
        name: &Name,
        role: Role,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<UserView, StoreError> {
        self.check()?;
        if self.users.borrow().iter().any(|u| u.name == name.as_str()) {
            return Err(StoreError("UNIQUE constraint failed: users.name".into()));
        }
        let id = self.users.borrow().len() as i64 + 1;
        let user = UserView {
            id,
            name: name.to_string(),
            role,
        };
        self.users.borrow_mut().push(user.clone());
        self.push_audit(
            at,
            actor,
            "user.create",
            format!("user/{id}"),
            None,
            serde_json::to_value(&user).ok(),
        );
        Ok(user)
    }

    async fn get_user(&self, id: i64) -> Result<Option<UserView>, StoreError> {
        self.check()?;
        Ok(self.users.borrow().iter().find(|u| u.id == id).cloned())
    }

    async fn create_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.check()?;
        self.tokens
            .borrow_mut()
            .push((token_hash.to_owned(), user_id));
        self.push_audit(
            at,
            actor,
            "token.create",
            format!("user/{user_id}"),
            None,
            Some(serde_json::json!({ "label": label })),
        );
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntryView>, StoreError> {
        self.check()?;
        Ok(self
            .audit
            .borrow()
            .iter()
            .rev()
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
