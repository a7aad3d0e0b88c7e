//! [`UserStore`] in memory.

use super::MemoryStore;
use crate::auth::Actor;
use crate::stores::{NewTokenRecord, NewUserRecord, StoreError, UserStore};
use beacon_shared::api::{AuditEntryView, UserView};
use beacon_shared::role::Role;

impl UserStore for MemoryStore {
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
                .map(|u| Actor::from(u.clone()))
        }))
    }

    async fn create_user(&self, user: &NewUserRecord<'_>) -> Result<UserView, StoreError> {
        let NewUserRecord { name, role, .. } = *user;
        self.check()?;
        if self.users.borrow().iter().any(|u| u.name == name.as_str()) {
            return Err(StoreError::UniqueViolation("users.name".into()));
        }
        let id = self.users.borrow().len() as i64 + 1;
        let created = UserView {
            id,
            name: name.to_string(),
            role,
        };
        self.users.borrow_mut().push(created.clone());
        self.push_audit(
            user.at,
            user.actor,
            "user.create",
            format!("user/{id}"),
            None,
            serde_json::to_value(&created).ok(),
        );
        Ok(created)
    }

    async fn get_user(&self, id: i64) -> Result<Option<UserView>, StoreError> {
        self.check()?;
        Ok(self.users.borrow().iter().find(|u| u.id == id).cloned())
    }

    async fn role_of(&self, name: &str) -> Result<Option<Role>, StoreError> {
        self.check()?;
        Ok(self
            .users
            .borrow()
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.role))
    }

    async fn create_token(&self, token: &NewTokenRecord<'_>) -> Result<(), StoreError> {
        self.check()?;
        self.tokens
            .borrow_mut()
            .push((token.token_hash.to_owned(), token.user_id));
        self.push_audit_record(token.at, token.actor, &token.audit_record());
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
