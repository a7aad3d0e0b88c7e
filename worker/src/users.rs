//! Users, API tokens and the audit log: admin and management endpoints (SPEC I3).

use crate::auth::{hash_token, Actor};
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{NewTokenRecord, NewUserRecord, StoreError, UserStore};
use beacon_shared::api::{
    AuditEntryView, AuditLog, Health, NewToken, NewUser, TokenCreated, UserView,
};
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

/// `GET /api/health`: the service, its version and whether the database answers.
pub async fn health<S: UserStore>(store: &S) -> Health {
    Health {
        service: "beacon".into(),
        version: crate::VERSION.into(),
        d1: store.ping().await,
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
        .create_user(&NewUserRecord {
            name: &request.name,
            role: request.role,
            at: now,
            actor,
        })
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
        .create_token(&NewTokenRecord {
            user_id,
            token_hash: &hash_token(&fresh_token),
            label: &label,
            at: now,
            actor,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::authenticate;
    use crate::memory::MemoryStore;
    use pollster::block_on;

    const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

    fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
        let token = store.add_user(name, role);
        block_on(authenticate(store, Some(&format!("Bearer {token}")))).unwrap()
    }

    /// SPEC I3: only admins create people and tokens; a token works once made.
    #[test]
    fn admins_create_users_and_tokens() {
        let store = MemoryStore::default();
        let admin = actor(&store, "root", Role::Admin);
        let sre = actor(&store, "sam", Role::Sre);
        let body = br#"{"name":"ic-alice","role":"incident_commander"}"#;
        let err = block_on(create_user(&store, &sre, body, NOW)).unwrap_err();
        assert_eq!(err.status(), 403);
        let alice = block_on(create_user(&store, &admin, body, NOW)).unwrap();
        assert_eq!(alice.role, Role::IncidentCommander);
        let again = block_on(create_user(&store, &admin, body, NOW)).unwrap_err();
        assert_eq!(again.status(), 409);
        assert_eq!(again.body().error.field.as_deref(), Some("name"));

        let created = block_on(create_token(
            &store,
            &admin,
            alice.id,
            b"",
            NOW,
            "bkn_fresh".into(),
        ))
        .unwrap();
        assert_eq!(created.token, "bkn_fresh");
        let signed_in = block_on(authenticate(&store, Some("Bearer bkn_fresh"))).unwrap();
        assert_eq!(signed_in.name, "ic-alice");
        let missing =
            block_on(create_token(&store, &admin, 999, b"", NOW, "bkn_x".into())).unwrap_err();
        assert_eq!(missing.status(), 404);
    }

    #[test]
    fn health_says_whether_the_database_answers() {
        let store = MemoryStore::default();
        assert!(block_on(health(&store)).d1);
        store.failing.set(true);
        assert!(!block_on(health(&store)).d1);
    }

    /// SPEC I3: the audit log is read by management, security and admins only.
    #[test]
    fn audit_log_readers() {
        let store = MemoryStore::default();
        let admin = actor(&store, "root", Role::Admin);
        block_on(create_user(
            &store,
            &admin,
            br#"{"name":"viv","role":"viewer"}"#,
            NOW,
        ))
        .unwrap();
        for role in Role::ALL {
            let reader = Actor {
                user_id: 1,
                name: "reader".into(),
                role,
            };
            let result = block_on(audit_log(&store, &reader));
            assert_eq!(result.is_ok(), role.may_read_audit(), "{role}");
        }
        let log = block_on(audit_log(&store, &admin)).unwrap();
        assert_eq!(log.entries[0].action, "user.create");
    }

    /// SPEC K3: an audit record about a Security incident goes through the
    /// clearance function: without clearance, its snapshots are withheld.
    #[test]
    fn audit_snapshots_of_security_incidents_need_clearance() {
        let entry = AuditEntryView {
            id: 1,
            at: NOW,
            actor: "sec".into(),
            action: "incident.create".into(),
            subject: "incident/42".into(),
            before: None,
            after: Some(serde_json::json!({"title": "Leaked keys", "category": "Security"})),
        };
        let withheld = audit_entry_for(Role::Sre, entry.clone());
        assert_eq!(withheld.subject, "incident/42");
        assert!(!serde_json::to_string(&withheld)
            .unwrap()
            .contains("Leaked keys"));
        assert_eq!(audit_entry_for(Role::Security, entry.clone()), entry);
        let ordinary = AuditEntryView {
            after: Some(serde_json::json!({"title": "Slow API", "category": "API"})),
            ..entry
        };
        assert_eq!(audit_entry_for(Role::Sre, ordinary.clone()), ordinary);
    }
}
