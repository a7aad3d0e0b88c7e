//! [`UserStore`] on D1: `users`, `api_tokens` and the append-only `audit_log`.

use super::{batch_first_changed_one, first_returned, num, parse_err, text, D1Store, IdRow};
use crate::auth::Actor;
use crate::stores::{
    AccessChange, NewSessionRecord, NewTokenRecord, NewUserRecord, PersonRecord, SessionHolder,
    StoreError, TokenHolder, TokenRecord, UserStore,
};
use beacon_shared::access::TokenFacts;
use beacon_shared::api::{AuditEntryView, UserView};
use beacon_shared::role::Role;
use beacon_shared::session::SessionFacts;
use beacon_shared::Timestamp;
use serde::Deserialize;

#[derive(Deserialize)]
struct AuditRow {
    id: f64,
    at: f64,
    actor: String,
    action: String,
    subject: String,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct UserRow {
    id: f64,
    name: String,
    role: String,
}

impl TryFrom<UserRow> for UserView {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(UserView {
            id: r.id as i64,
            name: r.name,
            role: r.role.parse::<Role>().map_err(parse_err)?,
        })
    }
}

#[derive(Deserialize)]
struct HolderRow {
    id: f64,
    name: String,
    role: String,
    token_id: f64,
    revoked_at: Option<f64>,
    expires_at: Option<f64>,
    last_used_at: Option<f64>,
    disabled_at: Option<f64>,
}

#[derive(Deserialize)]
struct SessionRow {
    session_id: f64,
    csrf_hash: String,
    session_expires_at: f64,
    ended_at: Option<f64>,
    id: f64,
    name: String,
    role: String,
    token_id: f64,
    revoked_at: Option<f64>,
    expires_at: Option<f64>,
    last_used_at: Option<f64>,
    disabled_at: Option<f64>,
}

impl TryFrom<HolderRow> for TokenHolder {
    type Error = StoreError;
    fn try_from(row: HolderRow) -> Result<Self, StoreError> {
        let user = UserView::try_from(UserRow {
            id: row.id,
            name: row.name,
            role: row.role,
        })?;
        Ok(TokenHolder {
            actor: Actor::from(user),
            token_id: row.token_id as i64,
            facts: TokenFacts {
                revoked_at: time(row.revoked_at),
                expires_at: time(row.expires_at),
                user_disabled_at: time(row.disabled_at),
            },
            last_used_at: time(row.last_used_at),
        })
    }
}

#[derive(Deserialize)]
struct PersonRow {
    id: f64,
    name: String,
    role: String,
    disabled_at: Option<f64>,
}

#[derive(Deserialize)]
struct TokenRow {
    id: f64,
    user_id: f64,
    label: String,
    created_at: f64,
    expires_at: Option<f64>,
    last_used_at: Option<f64>,
    revoked_at: Option<f64>,
}

fn time(ms: Option<f64>) -> Option<Timestamp> {
    ms.map(|ms| Timestamp::from_unix_millis(ms as i64))
}

impl UserStore for D1Store {
    async fn ping(&self) -> bool {
        self.db
            .prepare("SELECT 1 AS ok")
            .first::<serde_json::Value>(None)
            .await
            .is_ok()
    }

    async fn token_holder(&self, token_hash: &str) -> Result<Option<TokenHolder>, StoreError> {
        let Some(row) = self
            .first::<HolderRow>(
                "SELECT u.id, u.name, u.role, u.disabled_at, t.id AS token_id, t.revoked_at, \
                 t.expires_at, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = ?1",
                &[text(token_hash)],
            )
            .await?
        else {
            return Ok(None);
        };
        TokenHolder::try_from(row).map(Some)
    }

    async fn session_holder(
        &self,
        session_hash: &str,
    ) -> Result<Option<SessionHolder>, StoreError> {
        let Some(row) = self
            .first::<SessionRow>(
                "SELECT s.id AS session_id, s.csrf_hash, s.expires_at AS session_expires_at, \
                 s.ended_at, u.id, u.name, u.role, u.disabled_at, t.id AS token_id, \
                 t.revoked_at, t.expires_at, t.last_used_at FROM browser_sessions s \
                 JOIN api_tokens t ON t.id = s.token_id JOIN users u ON u.id = t.user_id \
                 WHERE s.session_hash = ?1",
                &[text(session_hash)],
            )
            .await?
        else {
            return Ok(None);
        };
        let token = TokenHolder::try_from(HolderRow {
            id: row.id,
            name: row.name,
            role: row.role,
            token_id: row.token_id,
            revoked_at: row.revoked_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            disabled_at: row.disabled_at,
        })?;
        Ok(Some(SessionHolder {
            session_id: row.session_id as i64,
            csrf_hash: row.csrf_hash,
            facts: SessionFacts {
                expires_at: Timestamp::from_unix_millis(row.session_expires_at as i64),
                ended_at: time(row.ended_at),
                token: token.facts,
            },
            token,
        }))
    }

    async fn start_session(&self, session: &NewSessionRecord<'_>) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO browser_sessions (session_hash, csrf_hash, token_id, created_at, \
             expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                text(session.session_hash),
                text(session.csrf_hash),
                num(session.holder.token_id),
                num(session.at.unix_millis()),
                num(session.expires_at.unix_millis()),
            ],
        )?;
        let after = serde_json::json!({ "token_id": session.holder.token_id });
        let audit = self.audit_statement(
            session.at,
            &session.holder.actor,
            "session.start",
            &format!("token/{}", session.holder.token_id),
            None,
            Some(&after),
        )?;
        self.write_batch(vec![insert, audit]).await
    }

    async fn end_session(&self, change: &AccessChange<'_>) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE browser_sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
            &[num(change.id), num(change.at.unix_millis())],
        )?;
        let after = serde_json::json!({ "ended": true });
        let audit = self.audit_statement(
            change.at,
            change.actor,
            "session.end",
            &format!("session/{}", change.id),
            None,
            Some(&after),
        )?;
        batch_first_changed_one(&self.db, vec![update, audit]).await
    }

    async fn record_token_use(&self, token_id: i64, at: Timestamp) -> Result<(), StoreError> {
        let update = self.statement(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            &[num(token_id), num(at.unix_millis())],
        )?;
        self.write_batch(vec![update]).await
    }

    async fn prune_sessions(&self, before: Timestamp) -> Result<u64, StoreError> {
        let rows = self
            .all::<IdRow>(
                "DELETE FROM browser_sessions WHERE expires_at < ?1 OR ended_at < ?1 RETURNING id",
                &[num(before.unix_millis())],
            )
            .await?;
        Ok(rows.len() as u64)
    }

    async fn people(&self) -> Result<(Vec<PersonRecord>, Vec<TokenRecord>), StoreError> {
        let people = self
            .all::<PersonRow>(
                "SELECT id, name, role, disabled_at FROM users ORDER BY id",
                &[],
            )
            .await?
            .into_iter()
            .map(|r| {
                Ok(PersonRecord {
                    user: UserView::try_from(UserRow {
                        id: r.id,
                        name: r.name,
                        role: r.role,
                    })?,
                    disabled_at: time(r.disabled_at),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let tokens = self
            .all::<TokenRow>(
                "SELECT id, user_id, label, created_at, expires_at, last_used_at, revoked_at \
                 FROM api_tokens ORDER BY id",
                &[],
            )
            .await?
            .into_iter()
            .map(|r| TokenRecord {
                id: r.id as i64,
                user_id: r.user_id as i64,
                label: r.label,
                created_at: Timestamp::from_unix_millis(r.created_at as i64),
                expires_at: time(r.expires_at),
                last_used_at: time(r.last_used_at),
                revoked_at: time(r.revoked_at),
            })
            .collect();
        Ok((people, tokens))
    }

    async fn revoke_token(&self, change: &AccessChange<'_>) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            &[num(change.id), num(change.at.unix_millis())],
        )?;
        let after = serde_json::json!({ "revoked": true });
        let audit = self.audit_statement(
            change.at,
            change.actor,
            "token.revoke",
            &format!("token/{}", change.id),
            None,
            Some(&after),
        )?;
        batch_first_changed_one(&self.db, vec![update, audit]).await
    }

    async fn disable_user(&self, change: &AccessChange<'_>) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
            &[num(change.id), num(change.at.unix_millis())],
        )?;
        let after = serde_json::json!({ "disabled": true });
        let audit = self.audit_statement(
            change.at,
            change.actor,
            "user.disable",
            &format!("user/{}", change.id),
            None,
            Some(&after),
        )?;
        batch_first_changed_one(&self.db, vec![update, audit]).await
    }

    async fn create_user(&self, user: &NewUserRecord<'_>) -> Result<UserView, StoreError> {
        let NewUserRecord {
            name,
            role,
            at,
            actor,
        } = *user;
        let insert = self.statement(
            "INSERT INTO users (name, role, created_at) VALUES (?1, ?2, ?3) RETURNING id, name, role",
            &[text(name.as_str()), text(role.as_str()), num(at.unix_millis())],
        )?;
        let after = serde_json::json!({ "name": name, "role": role });
        let audit = self.audit_statement(
            at,
            actor,
            "user.create",
            &format!("user/{name}"),
            None,
            Some(&after),
        )?;
        let results = self.batch(vec![insert, audit]).await?;
        let row = first_returned::<UserRow>(&results, 0)?
            .ok_or_else(|| StoreError::Unavailable("insert returned no user".into()))?;
        UserView::try_from(row)
    }

    async fn get_user(&self, id: i64) -> Result<Option<UserView>, StoreError> {
        let row = self
            .first::<UserRow>("SELECT id, name, role FROM users WHERE id = ?1", &[num(id)])
            .await?;
        row.map(UserView::try_from).transpose()
    }

    async fn role_of(&self, name: &str) -> Result<Option<Role>, StoreError> {
        let row = self
            .first::<UserRow>(
                "SELECT id, name, role FROM users WHERE name = ?1",
                &[text(name)],
            )
            .await?;
        Ok(row.map(UserView::try_from).transpose()?.map(|u| u.role))
    }

    async fn create_token(&self, token: &NewTokenRecord<'_>) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                num(token.user_id),
                text(token.token_hash),
                text(token.label),
                num(token.at.unix_millis()),
                num(token.expires_at.unix_millis()),
            ],
        )?;
        let audit = self.audit_record_statement(token.at, token.actor, &token.audit_record())?;
        self.write_batch(vec![insert, audit]).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntryView>, StoreError> {
        let rows = self.all::<AuditRow>(
            "SELECT id, at, actor, action, subject, before, after FROM audit_log ORDER BY id DESC LIMIT ?1",
            &[num(i64::from(limit))],
        ).await?;
        rows.into_iter()
            .map(|r| {
                let parse = |v: Option<String>| {
                    v.map(|t| serde_json::from_str(&t))
                        .transpose()
                        .map_err(parse_err)
                };
                Ok(AuditEntryView {
                    id: r.id as i64,
                    at: Timestamp::from_unix_millis(r.at as i64),
                    actor: r.actor,
                    action: r.action,
                    subject: r.subject,
                    before: parse(r.before)?,
                    after: parse(r.after)?,
                })
            })
            .collect()
    }
}
