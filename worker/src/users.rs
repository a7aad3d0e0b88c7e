//! Users, API tokens and the audit log: admin and management endpoints (SPEC I3).

use crate::auth::{hash_token, Actor};
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{StoreError, UserStore};
use beacon_shared::api::{AuditEntryView, AuditLog, NewToken, NewUser, TokenCreated, UserView};
use beacon_shared::category::Category;
use beacon_shared::clearance::may_see_incident;
use beacon_shared::role::Role;
use beacon_shared::Timestamp;

fn require_admin(actor: &Actor) -> Result<(), ApiError> {
    if actor.role.may_administer() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only an admin may manage users and tokens".into(),
        ))
    }
}

/// `GET /api/me`
pub fn me(actor: &Actor) -> UserView {
    UserView {
        id: actor.user_id,
        name: actor.name.clone(),
        role: actor.role,
    }
}

/// `POST /api/users`
pub async fn create_user<S: UserStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<UserView, ApiError> {
    require_admin(actor)?;
    let request: NewUser = decode_json(body)?;
    store
        .create_user(&request.name, request.role, now, actor)
        .await
        .map_err(|e| match e {
            StoreError::UniqueViolation(_) => ApiError::Conflict {
                field: Some("name".into()),
                message: "a user with this name exists".into(),
            },
            other => other.into(),
        })
}

/// `POST /api/users/{id}/tokens`: `fresh_token` is 256 random bits made by the
/// caller; it is returned once and stored only as its hash.
pub async fn create_token<S: UserStore>(
    store: &S,
    actor: &Actor,
    user_id: i64,
    body: &[u8],
    now: Timestamp,
    fresh_token: String,
) -> Result<TokenCreated, ApiError> {
    require_admin(actor)?;
    let request: NewToken = if body.is_empty() {
        NewToken { label: None }
    } else {
        decode_json(body)?
    };
    store
        .get_user(user_id)
        .await?
        .ok_or(ApiError::NotFound { what: "user" })?;
    let label = request.label.map(|l| l.to_string()).unwrap_or_default();
    store
        .create_token(user_id, &hash_token(&fresh_token), &label, now, actor)
        .await?;
    Ok(TokenCreated {
        user_id,
        token: fresh_token,
    })
}

/// `GET /api/audit`: read-only, for management, security and admins. There is
/// deliberately no route that edits or deletes audit records.
pub async fn audit_log<S: UserStore>(store: &S, actor: &Actor) -> Result<AuditLog, ApiError> {
    if !actor.role.may_read_audit() {
        return Err(ApiError::Forbidden(
            "the audit log is for management, security and admins".into(),
        ));
    }
    let entries = store.audit_log(500).await?;
    Ok(AuditLog {
        entries: entries
            .into_iter()
            .map(|entry| audit_entry_for(actor.role, entry))
            .collect(),
    })
}

/// An audit record as `role` may read it (SPEC K3): the before and after
/// snapshots of a Security incident are withheld from readers without
/// clearance, who learn only that the restricted incident changed.
pub fn audit_entry_for(role: Role, mut entry: AuditEntryView) -> AuditEntryView {
    let category = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|v| v.get("category"))
            .and_then(serde_json::Value::as_str)
            .and_then(|c| Category::parse(c).ok())
    };
    let restricted = [category(&entry.before), category(&entry.after)]
        .iter()
        .any(|c| !may_see_incident(role, c.as_ref()));
    if restricted {
        entry.before = None;
        entry.after = Some(serde_json::json!({ "restricted": true }));
    }
    entry
}
