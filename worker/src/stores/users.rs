//! The user store: people, their hashed API tokens, and the append-only audit log.

use super::{NewAuditRecord, StoreError};
use crate::auth::Actor;
use beacon_shared::api::{AuditEntryView, UserView};
use beacon_shared::role::Role;
use beacon_shared::triage::Name;
use beacon_shared::Timestamp;

/// A person about to be added by `actor` at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUserRecord<'a> {
    pub name: &'a Name,
    pub role: Role,
    pub at: Timestamp,
    pub actor: &'a Actor,
}

/// A token about to be issued to `user_id`; only its hash is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTokenRecord<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub label: &'a str,
    pub at: Timestamp,
    pub actor: &'a Actor,
}

impl NewTokenRecord<'_> {
    /// What the audit log records of the new token: its label, never the token.
    pub fn audit_record(&self) -> NewAuditRecord {
        NewAuditRecord {
            action: "token.create".into(),
            subject: format!("user/{}", self.user_id),
            before: None,
            after: Some(serde_json::json!({ "label": self.label })),
        }
    }
}

/// People, tokens and the audit log.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait UserStore {
    /// Whether the backing database answers.
    async fn ping(&self) -> bool;
    /// The active user whose token hashes to `token_hash`.
    async fn actor_for_token_hash(&self, token_hash: &str) -> Result<Option<Actor>, StoreError>;
    /// Creates a user (with its audit record).
    async fn create_user(&self, user: &NewUserRecord<'_>) -> Result<UserView, StoreError>;
    async fn get_user(&self, id: i64) -> Result<Option<UserView>, StoreError>;
    /// The role of the user named `name`, if there is one: what a person's
    /// notification channel may show (SPEC K3).
    async fn role_of(&self, name: &str) -> Result<Option<Role>, StoreError>;
    /// Stores a token hash for a user (with its audit record).
    async fn create_token(&self, token: &NewTokenRecord<'_>) -> Result<(), StoreError>;
    /// The newest `limit` audit records, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntryView>, StoreError>;
}
