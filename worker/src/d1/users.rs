//! [`UserStore`] on D1: `users`, `api_tokens` and the append-only `audit_log`.

use super::{first_returned, num, parse_err, text, D1Store};
use crate::auth::Actor;
use crate::stores::{NewTokenRecord, NewUserRecord, StoreError, UserStore};
use beacon_shared::api::{AuditEntryView, UserView};
use beacon_shared::role::Role;
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

impl UserStore for D1Store {
    async fn ping(&self) -> bool {
        self.db
            .prepare("SELECT 1 AS ok")
            .first::<serde_json::Value>(None)
            .await
            .is_ok()
    }

    async fn actor_for_token_hash(&self, token_hash: &str) -> Result<Option<Actor>, StoreError> {
        let row = self
            .first::<UserRow>(
                "SELECT u.id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
                &[text(token_hash)],
            )
            .await?;
        let user = row.map(UserView::try_from).transpose()?;
        Ok(user.map(Actor::from))
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
            "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?1, ?2, ?3, ?4)",
            &[
                num(token.user_id),
                text(token.token_hash),
                text(token.label),
                num(token.at.unix_millis()),
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
