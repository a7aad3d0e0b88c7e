//! [`UserStore`] in memory.

use super::MemoryStore;
use crate::auth::Actor;
use crate::stores::{
    AccessChange, NewSessionRecord, NewTokenRecord, NewUserRecord, PersonRecord, SessionHolder,
    StoreError, TokenHolder, TokenRecord, UserStore,
};
use beacon_shared::access::TokenFacts;
use beacon_shared::api::{AuditEntryView, UserView};
use beacon_shared::role::Role;
use beacon_shared::session::SessionFacts;

/// A browser session as the memory store keeps it.
#[derive(Debug, Clone)]
pub(crate) struct StoredSession {
    pub id: i64,
    pub session_hash: String,
    pub csrf_hash: String,
    pub token_id: i64,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}
use beacon_shared::Timestamp;

impl UserStore for MemoryStore {
    async fn ping(&self) -> bool {
        !self.failing.get()
    }

    async fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>, StoreError> {
        self.check()?;
        let tokens = self.tokens.borrow();
        let Some((_, token)) = tokens.iter().find(|(h, _)| h == token_hash) else {
            return Ok(None);
        };
        let users = self.users.borrow();
        let Some(user) = users.iter().find(|u| u.id == token.user_id) else {
            return Ok(None);
        };
        Ok(Some(TokenHolder {
            actor: Actor::from(user.clone()),
            token_id: token.id,
            facts: TokenFacts {
                revoked_at: token.revoked_at,
                expires_at: token.expires_at,
                user_disabled_at: self.disabled_users.borrow().get(&user.id).copied(),
            },
            last_used_at: token.last_used_at,
        }))
    }

    async fn session_holder(
        &self,
        session_hash: &str,
    ) -> Result<Option<SessionHolder>, StoreError> {
        self.check()?;
        let Some(session) = self
            .sessions
            .borrow()
            .iter()
            .find(|s| s.session_hash == session_hash)
            .cloned()
        else {
            return Ok(None);
        };
        let token_hash = self
            .tokens
            .borrow()
            .iter()
            .find(|(_, t)| t.id == session.token_id)
            .map(|(hash, _)| hash.clone());
        let Some(token_hash) = token_hash else {
            return Ok(None);
        };
        let Some(token) = self.token_holder(&token_hash).await? else {
            return Ok(None);
        };
        Ok(Some(SessionHolder {
            session_id: session.id,
            csrf_hash: session.csrf_hash,
            facts: SessionFacts {
                expires_at: session.expires_at,
                ended_at: session.ended_at,
                token: token.facts,
            },
            token,
        }))
    }

    async fn start_session(&self, session: &NewSessionRecord<'_>) -> Result<(), StoreError> {
        self.check()?;
        {
            let mut sessions = self.sessions.borrow_mut();
            if sessions
                .iter()
                .any(|s| s.session_hash == session.session_hash)
            {
                return Err(StoreError::UniqueViolation(
                    "browser_sessions.session_hash".into(),
                ));
            }
            let id = sessions.iter().map(|s| s.id).max().unwrap_or(0) + 1;
            sessions.push(StoredSession {
                id,
                session_hash: session.session_hash.to_owned(),
                csrf_hash: session.csrf_hash.to_owned(),
                token_id: session.holder.token_id,
                expires_at: session.expires_at,
                ended_at: None,
            });
        }
        self.push_audit(
            session.at,
            &session.holder.actor,
            "session.start",
            format!("token/{}", session.holder.token_id),
            None,
            Some(serde_json::json!({ "token_id": session.holder.token_id })),
        );
        Ok(())
    }

    async fn end_session(&self, change: &AccessChange<'_>) -> Result<bool, StoreError> {
        self.check()?;
        {
            let mut sessions = self.sessions.borrow_mut();
            let Some(session) = sessions
                .iter_mut()
                .find(|s| s.id == change.id && s.ended_at.is_none())
            else {
                return Ok(false);
            };
            session.ended_at = Some(change.at);
        }
        self.push_audit(
            change.at,
            change.actor,
            "session.end",
            format!("session/{}", change.id),
            None,
            Some(serde_json::json!({ "ended": true })),
        );
        Ok(true)
    }

    async fn record_token_use(&self, token_id: i64, at: Timestamp) -> Result<(), StoreError> {
        self.check()?;
        if let Some((_, token)) = self
            .tokens
            .borrow_mut()
            .iter_mut()
            .find(|(_, t)| t.id == token_id)
        {
            token.last_used_at = Some(at);
        }
        Ok(())
    }

    async fn prune_sessions(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.check()?;
        let mut sessions = self.sessions.borrow_mut();
        let count = sessions.len();
        sessions
            .retain(|s| s.expires_at >= before && s.ended_at.is_none_or(|ended| ended >= before));
        Ok((count - sessions.len()) as u64)
    }

    async fn people(&self) -> Result<(Vec<PersonRecord>, Vec<TokenRecord>), StoreError> {
        self.check()?;
        let disabled = self.disabled_users.borrow();
        let people = self
            .users
            .borrow()
            .iter()
            .map(|user| PersonRecord {
                user: user.clone(),
                disabled_at: disabled.get(&user.id).copied(),
            })
            .collect();
        let tokens = self
            .tokens
            .borrow()
            .iter()
            .map(|(_, t)| t.clone())
            .collect();
        Ok((people, tokens))
    }

    async fn revoke_token(&self, change: &AccessChange<'_>) -> Result<bool, StoreError> {
        self.check()?;
        {
            let mut tokens = self.tokens.borrow_mut();
            let Some((_, token)) = tokens
                .iter_mut()
                .find(|(_, t)| t.id == change.id && t.revoked_at.is_none())
            else {
                return Ok(false);
            };
            token.revoked_at = Some(change.at);
        }
        self.push_audit(
            change.at,
            change.actor,
            "token.revoke",
            format!("token/{}", change.id),
            None,
            Some(serde_json::json!({ "revoked": true })),
        );
        Ok(true)
    }

    async fn disable_user(&self, change: &AccessChange<'_>) -> Result<bool, StoreError> {
        self.check()?;
        let exists = self.users.borrow().iter().any(|u| u.id == change.id);
        if !exists || self.disabled_users.borrow().contains_key(&change.id) {
            return Ok(false);
        }
        self.disabled_users
            .borrow_mut()
            .insert(change.id, change.at);
        self.push_audit(
            change.at,
            change.actor,
            "user.disable",
            format!("user/{}", change.id),
            None,
            Some(serde_json::json!({ "disabled": true })),
        );
        Ok(true)
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
        let mut tokens = self.tokens.borrow_mut();
        if tokens.iter().any(|(h, _)| h == token.token_hash) {
            return Err(StoreError::UniqueViolation("api_tokens.token_hash".into()));
        }
        let record = TokenRecord {
            id: tokens.len() as i64 + 1,
            user_id: token.user_id,
            label: token.label.to_owned(),
            created_at: token.at,
            expires_at: Some(token.expires_at),
            last_used_at: None,
            revoked_at: None,
        };
        tokens.push((token.token_hash.to_owned(), record));
        drop(tokens);
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
