//! Users, API tokens and the audit log: admin and management endpoints (SPEC I3).

use crate::auth::{hash_token, Actor};
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{AccessChange, NewTokenRecord, NewUserRecord, StoreError, UserStore};
use beacon_shared::access::{token_expiry, TokenFacts};
use beacon_shared::api::{
    AuditEntryView, AuditLog, Health, NewToken, NewUser, PeopleList, PersonView, TokenCreated,
    TokenView, UserView,
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

/// `GET /api/health`: the service, its version, whether the database
/// answers and whether the key that seals credentials is there.
pub async fn health<S: UserStore>(store: &S, secrets_key: bool) -> Health {
    Health {
        service: "beacon".into(),
        version: crate::VERSION.into(),
        d1: store.ping().await,
        secrets_key,
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
        NewToken {
            label: None,
            expires_in_days: None,
        }
    } else {
        decode_json(body)?
    };
    let expires_at = token_expiry(now, request.expires_in_days)
        .map_err(|e| ApiError::invalid("expires_in_days", e.to_string()))?;
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
            expires_at,
            at: now,
            actor,
        })
        .await?;
    Ok(TokenCreated {
        user_id,
        token: fresh_token,
        expires_at,
    })
}

/// `GET /api/users` (admin): every person, disabled or not, with their
/// tokens' labels, expiry, last use and status at `now`; never a token.
pub async fn people<S: UserStore>(
    store: &S,
    actor: &Actor,
    now: Timestamp,
) -> Result<PeopleList, ApiError> {
    require_admin(actor)?;
    let (people, tokens) = store.people().await?;
    let people = people
        .into_iter()
        .map(|person| PersonView {
            id: person.user.id,
            tokens: tokens
                .iter()
                .filter(|t| t.user_id == person.user.id)
                .map(|t| TokenView {
                    id: t.id,
                    label: t.label.clone(),
                    created_at: t.created_at,
                    expires_at: t.expires_at,
                    last_used_at: t.last_used_at,
                    revoked_at: t.revoked_at,
                    status: TokenFacts {
                        revoked_at: t.revoked_at,
                        expires_at: t.expires_at,
                        user_disabled_at: person.disabled_at,
                    }
                    .status(now),
                })
                .collect(),
            name: person.user.name,
            role: person.user.role,
            disabled_at: person.disabled_at,
        })
        .collect();
    Ok(PeopleList { people })
}

/// `POST /api/tokens/{id}/revoke` (admin): the token stops working at the
/// next request (no cache holds tokens). 404 for an unknown or already
/// revoked token; audited.
pub async fn revoke_token<S: UserStore>(
    store: &S,
    actor: &Actor,
    token_id: i64,
    now: Timestamp,
) -> Result<PeopleList, ApiError> {
    require_admin(actor)?;
    let change = AccessChange {
        id: token_id,
        at: now,
        actor,
    };
    if !store.revoke_token(&change).await? {
        return Err(ApiError::NotFound {
            what: "unrevoked token",
        });
    }
    people(store, actor, now).await
}

/// `POST /api/users/{id}/disable` (admin): every token of the person stops
/// working at the next request. An admin cannot disable themselves (409), so
/// someone is always left to undo a mistake; 404 for an unknown or already
/// disabled user; audited.
pub async fn disable_user<S: UserStore>(
    store: &S,
    actor: &Actor,
    user_id: i64,
    now: Timestamp,
) -> Result<PeopleList, ApiError> {
    require_admin(actor)?;
    if user_id == actor.user_id {
        return Err(ApiError::Conflict {
            field: None,
            message: "you cannot disable yourself; ask another admin".into(),
        });
    }
    let change = AccessChange {
        id: user_id,
        at: now,
        actor,
    };
    if !store.disable_user(&change).await? {
        return Err(ApiError::NotFound {
            what: "enabled user",
        });
    }
    people(store, actor, now).await
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
/// clearance, who learn only that the restricted incident changed; no
/// reader sees a credential (`shared::audit_redaction`).
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
    // Records written before credentials were redacted on write (I3).
    for snapshot in [&mut entry.before, &mut entry.after].into_iter().flatten() {
        beacon_shared::audit_redaction::redact_snapshot(&entry.action, snapshot);
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
        block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
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
        let signed_in = block_on(authenticate(&store, Some("Bearer bkn_fresh"), NOW)).unwrap();
        assert_eq!(signed_in.name, "ic-alice");
        let missing =
            block_on(create_token(&store, &admin, 999, b"", NOW, "bkn_x".into())).unwrap_err();
        assert_eq!(missing.status(), 404);
    }

    fn later(minutes: i64) -> Timestamp {
        Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
    }

    fn signs_in(store: &MemoryStore, token: &str, at: Timestamp) -> Result<Actor, ApiError> {
        block_on(authenticate(store, Some(&format!("Bearer {token}")), at))
    }

    /// SPEC I3: tokens expire after 90 days unless the admin chooses 1 to
    /// 365; a bad lifetime is refused with the field named, storing nothing.
    #[test]
    fn tokens_expire() {
        let store = MemoryStore::default();
        let admin = actor(&store, "root", Role::Admin);
        let sam = actor(&store, "sam", Role::Sre);
        let issue = |body: &[u8], token: &str| {
            block_on(create_token(
                &store,
                &admin,
                sam.user_id,
                body,
                NOW,
                token.into(),
            ))
        };
        let default = issue(b"", "bkn_default").unwrap();
        assert_eq!(default.expires_at, later(90 * 24 * 60));
        let day = issue(br#"{"expires_in_days":1}"#, "bkn_day").unwrap();
        assert_eq!(day.expires_at, later(24 * 60));
        assert!(signs_in(&store, "bkn_day", later(24 * 60 - 1)).is_ok());
        assert_eq!(
            signs_in(&store, "bkn_day", later(24 * 60))
                .unwrap_err()
                .status(),
            401
        );
        let audits = store.audit_count();
        let err = issue(br#"{"expires_in_days":400}"#, "bkn_long").unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("expires_in_days"));
        assert_eq!(store.audit_count(), audits);
        assert_eq!(signs_in(&store, "bkn_long", NOW).unwrap_err().status(), 401);
    }

    /// SPEC I3: an admin lists people and tokens (with last use, never the
    /// token), revokes a token and disables a person; each takes effect on
    /// the very next request and is audited. Others may not; refusals and
    /// repeats store nothing.
    #[test]
    fn admins_revoke_tokens_and_disable_people() {
        let store = MemoryStore::default();
        let admin = actor(&store, "root", Role::Admin);
        let sam = actor(&store, "sam", Role::Sre);
        let issue = |token: &str| {
            block_on(create_token(
                &store,
                &admin,
                sam.user_id,
                br#"{"label":"laptop"}"#,
                NOW,
                token.into(),
            ))
            .unwrap()
        };
        issue("bkn_one");
        issue("bkn_two");
        signs_in(&store, "bkn_one", later(1)).unwrap();
        signs_in(&store, "bkn_one", later(1)).unwrap();
        let list = block_on(people(&store, &admin, later(2))).unwrap();
        let sams = list.people.iter().find(|p| p.name == "sam").unwrap();
        let one = sams
            .tokens
            .iter()
            .find(|t| t.label == "laptop")
            .unwrap()
            .clone();
        assert_eq!(one.last_used_at, Some(later(1)));
        assert_eq!(one.status, beacon_shared::access::TokenStatus::Active);
        let listed = serde_json::to_string(&list).unwrap();
        assert!(!listed.contains("bkn_one") && !listed.contains(&hash_token("bkn_one")));

        let audits = store.audit_count();
        assert_eq!(
            block_on(people(&store, &sam, NOW)).unwrap_err().status(),
            403
        );
        assert_eq!(
            block_on(revoke_token(&store, &sam, one.id, NOW))
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            block_on(disable_user(&store, &sam, admin.user_id, NOW))
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            block_on(disable_user(&store, &admin, admin.user_id, NOW))
                .unwrap_err()
                .status(),
            409
        );
        assert_eq!(
            block_on(revoke_token(&store, &admin, 999, NOW))
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(store.audit_count(), audits, "refusals store nothing");

        let after = block_on(revoke_token(&store, &admin, one.id, later(3))).unwrap();
        let revoked = after
            .people
            .iter()
            .flat_map(|p| &p.tokens)
            .find(|t| t.id == one.id)
            .unwrap();
        assert_eq!(revoked.status, beacon_shared::access::TokenStatus::Revoked);
        assert_eq!(
            signs_in(&store, "bkn_one", later(3)).unwrap_err().status(),
            401
        );
        assert!(signs_in(&store, "bkn_two", later(3)).is_ok());
        assert_eq!(
            block_on(revoke_token(&store, &admin, one.id, later(4)))
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(store.audit_count(), audits + 1);

        block_on(disable_user(&store, &admin, sam.user_id, later(5))).unwrap();
        for token in ["bkn_two", "test-token-sam-2"] {
            assert_eq!(
                signs_in(&store, token, later(5)).unwrap_err().status(),
                401,
                "{token}"
            );
        }
        assert_eq!(
            block_on(disable_user(&store, &admin, sam.user_id, later(6)))
                .unwrap_err()
                .status(),
            404
        );
        let log = block_on(audit_log(&store, &admin)).unwrap();
        let actions: Vec<(&str, &str)> = log
            .entries
            .iter()
            .take(2)
            .map(|e| (e.action.as_str(), e.subject.as_str()))
            .collect();
        assert_eq!(
            actions,
            [("user.disable", "user/2"), ("token.revoke", "token/3")]
        );
    }

    /// SPEC I3: the last use is written at most once a minute, so reading
    /// does not turn every request into a write.
    #[test]
    fn last_use_is_recorded_once_a_minute() {
        let store = MemoryStore::default();
        let token = store.add_user("sam", Role::Sre);
        let last_use = || block_on(store.people()).unwrap().1[0].last_used_at;
        signs_in(&store, &token, NOW).unwrap();
        signs_in(
            &store,
            &token,
            Timestamp::from_unix_millis(NOW.unix_millis() + 59_999),
        )
        .unwrap();
        assert_eq!(last_use(), Some(NOW));
        signs_in(&store, &token, later(1)).unwrap();
        assert_eq!(last_use(), Some(later(1)));
    }

    #[test]
    fn health_says_whether_the_database_answers() {
        let store = MemoryStore::default();
        assert!(block_on(health(&store, true)).d1);
        store.failing.set(true);
        assert!(!block_on(health(&store, true)).d1);
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
