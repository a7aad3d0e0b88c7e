//! Beacon's stores on Cloudflare D1: the only module that holds SQL or
//! `JsValue`. One file per concept implements that concept's store trait on
//! [`D1Store`]; this file holds the connection, the binding helpers, the one
//! classification of D1's errors into [`StoreError`], and the guarded batch.

mod alerts;
mod dev_inbox;
mod escalation;
mod incident_reports;
mod incidents;
mod problems;
mod reports;
mod review;
mod sealing;
mod settings;
mod status_page;
mod users;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::sealed_secret::{SealError, SecretsKey, KEY_BINDING};
use crate::stores::{NewAuditRecord, StoreError};
use beacon_shared::Timestamp;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

/// Every store trait on one D1 database.
pub(crate) struct D1Store {
    pub(crate) db: D1Database,
    /// The key secrets at rest are sealed with (SPEC I3), or why there is none:
    /// then every write or read of a sealed secret fails, and nothing else.
    secrets: Result<SecretsKey, SealError>,
}

impl D1Store {
    /// The store bound as `DB`, with the key from the Worker secret.
    pub(crate) fn from_env(env: &Env) -> Result<Self, ApiError> {
        let db = env
            .d1("DB")
            .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
        let secrets = env
            .secret(KEY_BINDING)
            .map_err(|_| SealError::MissingKey)
            .and_then(|key| SecretsKey::parse(&key.to_string()));
        Ok(Self { db, secrets })
    }
}

impl From<worker::Error> for StoreError {
    /// D1 reports constraint failures only in its message; this is the one
    /// place that reads it.
    fn from(err: worker::Error) -> Self {
        let message = err.to_string();
        if message.contains("UNIQUE constraint failed") {
            StoreError::UniqueViolation(message)
        } else if message.contains("CHECK constraint failed: changed = 1")
            || message.contains("CHECK constraint failed: write_guards")
        {
            StoreError::LostGuard
        } else {
            StoreError::Unavailable(message)
        }
    }
}

pub(crate) fn store_err(e: worker::Error) -> StoreError {
    StoreError::from(e)
}

pub(crate) fn parse_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(e)
}

/// A nullable column read with `parse`: a value that does not parse is
/// corrupt, never "none".
pub(crate) fn parse_optional<T, E: std::fmt::Display>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    value.map(parse).transpose().map_err(parse_err)
}

pub(crate) fn num(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

pub(crate) fn text(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub(crate) fn opt_text(v: Option<&str>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from_str)
}

pub(crate) fn json_text(v: &serde_json::Value) -> JsValue {
    JsValue::from_str(&v.to_string())
}

/// The first row the statement at `index` of a batch returned (`RETURNING`).
pub(crate) fn first_returned<T: DeserializeOwned>(
    results: &[D1Result],
    index: usize,
) -> Result<Option<T>, StoreError> {
    let rows = results
        .get(index)
        .map(|r| r.results::<T>())
        .transpose()
        .map_err(store_err)?;
    Ok(rows.and_then(|rows| rows.into_iter().next()))
}

#[derive(Deserialize)]
pub(crate) struct IdRow {
    pub(crate) id: f64,
}

#[derive(Deserialize)]
pub(crate) struct NameRow {
    pub(crate) name: String,
}

/// Runs `statements` as one batch and says whether its first statement changed
/// exactly one row: the optimistic check of every guarded write. A guard
/// (migration 0007) right after the first statement aborts the whole batch when
/// it changed nothing, so the statements after it are written only if it did.
pub(crate) async fn batch_first_changed_one(
    db: &D1Database,
    mut statements: Vec<worker::D1PreparedStatement>,
) -> Result<bool, StoreError> {
    if statements.is_empty() {
        return Ok(false);
    }
    statements.insert(
        1,
        db.prepare("INSERT INTO write_guards (changed) VALUES (changes())"),
    );
    match db.batch(statements).await {
        Ok(_) => Ok(true),
        Err(err) => match StoreError::from(err) {
            StoreError::LostGuard => Ok(false),
            other => Err(other),
        },
    }
}

impl D1Store {
    /// `sql` with its `?N` parameters bound to `args`.
    pub(crate) fn statement(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, StoreError> {
        self.db.prepare(sql).bind(args).map_err(store_err)
    }

    /// The first row `sql` reads, if any.
    pub(crate) async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<Option<T>, StoreError> {
        self.statement(sql, args)?
            .first::<T>(None)
            .await
            .map_err(store_err)
    }

    /// Every row `sql` reads.
    pub(crate) async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<Vec<T>, StoreError> {
        let result = self.statement(sql, args)?.all().await.map_err(store_err)?;
        result.results::<T>().map_err(store_err)
    }

    /// Runs `sql` for what it writes.
    pub(crate) async fn run(&self, sql: &str, args: &[JsValue]) -> Result<(), StoreError> {
        self.statement(sql, args)?.run().await.map_err(store_err)?;
        Ok(())
    }

    /// Runs `statements` as one batch.
    pub(crate) async fn batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, StoreError> {
        self.db.batch(statements).await.map_err(store_err)
    }

    /// Runs `statements` as one batch for what they write.
    pub(crate) async fn write_batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<(), StoreError> {
        self.batch(statements).await?;
        Ok(())
    }

    /// A timeline entry on `incident`, never before its last change.
    pub(crate) fn timeline_insert(
        &self,
        incident: i64,
        at: Timestamp,
        actor: &str,
        event: &beacon_shared::timeline::TimelineEvent,
    ) -> Result<worker::D1PreparedStatement, StoreError> {
        self.statement(
            "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
             SELECT ?1, max(?2, updated_at), ?3, ?4, ?5 FROM incidents WHERE id = ?1",
            &[
                num(incident),
                num(at.unix_millis()),
                text(actor),
                text(event.kind()),
                text(&event.body_text()),
            ],
        )
    }

    /// The audit INSERT that follows a write, for one batch.
    pub(crate) fn audit_statement(
        &self,
        at: Timestamp,
        actor: &Actor,
        action: &str,
        subject: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<worker::D1PreparedStatement, StoreError> {
        // No credential is ever written to the audit log (`shared::audit_redaction`).
        let redacted = |snapshot: Option<&serde_json::Value>| {
            snapshot.map(|value| {
                let mut value = value.clone();
                beacon_shared::audit_redaction::redact_snapshot(action, &mut value);
                value
            })
        };
        let (before, after) = (redacted(before), redacted(after));
        let (before, after) = (before.as_ref(), after.as_ref());
        self.db
            .prepare(
                "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(&[
                num(at.unix_millis()),
                num(actor.user_id),
                text(&actor.name),
                text(action),
                text(subject),
                before.map_or(JsValue::NULL, json_text),
                after.map_or(JsValue::NULL, json_text),
            ])
            .map_err(store_err)
    }

    /// The INSERT of `record` by `actor` at `at`, for one batch.
    pub(crate) fn audit_record_statement(
        &self,
        at: Timestamp,
        actor: &Actor,
        record: &NewAuditRecord,
    ) -> Result<worker::D1PreparedStatement, StoreError> {
        self.audit_statement(
            at,
            actor,
            &record.action,
            &record.subject,
            record.before.as_ref(),
            record.after.as_ref(),
        )
    }
}
