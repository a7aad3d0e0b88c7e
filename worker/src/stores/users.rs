//! The user store: people, their hashed API tokens, their browser sessions,
//! and the append-only audit log.

use super::{NewAuditRecord, StoreError};
use crate::auth::Actor;
use beacon_shared::access::TokenFacts;
use beacon_shared::api::{AuditEntryView, UserView};
use beacon_shared::role::Role;
use beacon_shared::session::SessionFacts;
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
    pub expires_at: Timestamp,
    pub at: Timestamp,
    pub actor: &'a Actor,
}

/// A stored token, as the admin's list shows it (never its hash).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A stored user with the time they were disabled, if they were.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub user: UserView,
    pub disabled_at: Option<Timestamp>,
}

/// The holder of a presented token and what decides whether it still opens
/// the API ([`TokenFacts::opens`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenHolder {
    pub actor: Actor,
    pub token_id: i64,
    pub facts: TokenFacts,
    pub last_used_at: Option<Timestamp>,
}

/// A token revoked or a user disabled (`id`) by `actor` at `at`, audited.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessChange<'a> {
    pub id: i64,
    pub at: Timestamp,
    pub actor: &'a Actor,
}

/// A browser session about to be opened with token `holder.token_id`; only
/// the hashes of its secret and of its CSRF token are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSessionRecord<'a> {
    pub holder: &'a TokenHolder,
    pub session_hash: &'a str,
    pub csrf_hash: &'a str,
    pub expires_at: Timestamp,
    pub at: Timestamp,
}

/// The holder of a presented session cookie: the token holder it was opened
/// with, the hash of its CSRF token and what decides whether it still opens
/// the API ([`SessionFacts::opens`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionHolder {
    pub session_id: i64,
    pub token: TokenHolder,
    pub csrf_hash: String,
    pub facts: SessionFacts,
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
    /// The user whose token hashes to `token_hash`, with the token's facts
    /// (revoked, expired, user disabled), read fresh on every request: no
    /// cache can outlive a revocation.
    async fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>, StoreError>;
    /// The session whose secret hashes to `session_hash`, with its token's
    /// holder, read fresh on every request like a token.
    async fn session_holder(&self, session_hash: &str)
        -> Result<Option<SessionHolder>, StoreError>;
    /// Opens a browser session (with its audit record, `session.start`).
    async fn start_session(&self, session: &NewSessionRecord<'_>) -> Result<(), StoreError>;
    /// Ends session `change.id` (sign-out, audited as `session.end`); `false`
    /// (nothing written) when no unended session has that id.
    async fn end_session(&self, change: &AccessChange<'_>) -> Result<bool, StoreError>;
    /// Records that token `token_id` opened the API at `at`.
    async fn record_token_use(&self, token_id: i64, at: Timestamp) -> Result<(), StoreError>;
    /// Deletes the sessions that ended or expired before `before` (they
    /// open nothing any more); returns how many.
    async fn prune_sessions(&self, before: Timestamp) -> Result<u64, StoreError>;
    /// Every user and every token, by id.
    async fn people(&self) -> Result<(Vec<PersonRecord>, Vec<TokenRecord>), StoreError>;
    /// Revokes an unrevoked token, with its audit record; `false` (nothing
    /// written) when no unrevoked token has that id.
    async fn revoke_token(&self, change: &AccessChange<'_>) -> Result<bool, StoreError>;
    /// Disables an enabled user, with its audit record; `false` (nothing
    /// written) when no enabled user has that id.
    async fn disable_user(&self, change: &AccessChange<'_>) -> Result<bool, StoreError>;
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
