//! An in-memory [`Store`] for fast native tests of the handlers.

use crate::auth::{hash_token, Actor};
use crate::store::{IncidentRecord, NewIncidentRecord, Store, StoreError};
use beacon_shared::role::Role;
use std::cell::RefCell;

/// A single-threaded store holding users, incidents and the audit trail in memory.
#[derive(Default)]
pub struct MemoryStore {
    tokens: RefCell<Vec<(String, Actor)>>,
    incidents: RefCell<Vec<IncidentRecord>>,
    /// (action, subject id, actor name) per change, append-only.
    pub audit: RefCell<Vec<(String, i64, String)>>,
    /// When set, every call fails as if the database were down.
    pub failing: std::cell::Cell<bool>,
}

impl MemoryStore {
    /// Adds a user with `role` and returns the plain token that authenticates it.
    pub fn add_user(&self, name: &str, role: Role) -> String {
        let mut tokens = self.tokens.borrow_mut();
        let token = format!("test-token-{}-{}", name, tokens.len());
        let actor = Actor {
            user_id: tokens.len() as i64 + 1,
            name: name.to_owned(),
            role,
        };
        tokens.push((hash_token(&token), actor));
        token
    }

    pub fn incident_count(&self) -> usize {
        self.incidents.borrow().len()
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() {
            Err(StoreError("memory store set to fail".into()))
        } else {
            Ok(())
        }
    }
}

impl Store for MemoryStore {
    async fn ping(&self) -> bool {
        !self.failing.get()
    }

    async fn actor_for_token_hash(&self, token_hash: &str) -> Result<Option<Actor>, StoreError> {
        self.check()?;
        Ok(self
            .tokens
            .borrow()
            .iter()
            .find(|(h, _)| h == token_hash)
            .map(|(_, a)| a.clone()))
    }

    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError> {
        self.check()?;
        let mut incidents = self.incidents.borrow_mut();
        let id = incidents.len() as i64 + 1;
        incidents.push(IncidentRecord {
            id,
            title: incident.title.clone(),
            priority: incident.priority,
            status: incident.status.clone(),
            facts: incident.facts.clone(),
            created_at: incident.created_at,
            created_by: incident.created_by.name.clone(),
        });
        self.audit.borrow_mut().push((
            "incident.create".into(),
            id,
            incident.created_by.name.clone(),
        ));
        Ok(id)
    }

    async fn list_incidents(&self) -> Result<Vec<IncidentRecord>, StoreError> {
        self.check()?;
        let mut all = self.incidents.borrow().clone();
        all.sort_by_key(|i| (i.priority, i.created_at, i.id));
        Ok(all)
    }
}
