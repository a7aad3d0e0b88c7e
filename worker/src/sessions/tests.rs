//! Browser sessions against the memory store.

use super::*;
use crate::auth::{authenticate_request, Presented};
use crate::memory::MemoryStore;
use crate::stores::AccessChange;
use beacon_shared::role::Role;
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn secrets(n: u32) -> SessionSecrets {
    SessionSecrets {
        secret: format!("session-secret-{n}"),
        csrf_token: format!("csrf-token-{n}"),
    }
}

fn sign_in(store: &MemoryStore, token: &str, n: u32) -> Result<StartedSession, ApiError> {
    let body = serde_json::json!({ "token": token }).to_string();
    block_on(start_session(store, body.as_bytes(), NOW, secrets(n)))
}

/// A request as a browser sends it: the session cookie, maybe a CSRF header.
fn from_browser<'a>(method: &'a str, cookie: &'a str, csrf: Option<&'a str>) -> Presented<'a> {
    Presented {
        method,
        authorization: None,
        cookie: Some(cookie),
        csrf,
    }
}

fn status_of(store: &MemoryStore, presented: &Presented<'_>, at: Timestamp) -> u16 {
    match block_on(authenticate_request(store, presented, at)) {
        Ok(_) => 200,
        Err(e) => e.status(),
    }
}

/// SPEC I3, I4: a token opens a session; the cookie then reads without a
/// CSRF token, but writes only with the session's own CSRF token (403 and
/// nothing written otherwise).
#[test]
fn a_session_reads_with_its_cookie_and_writes_only_with_its_csrf_token() {
    let store = MemoryStore::default();
    let token = store.add_user("sam", Role::Sre);
    let started = sign_in(&store, &token, 1).unwrap();
    assert_eq!(started.view.user.name, "sam");
    assert_eq!(started.view.csrf_token, "csrf-token-1");
    assert_eq!(started.view.expires_at, later(12 * 60));
    assert_eq!(started.max_age_seconds, 12 * 60 * 60);
    assert_eq!(store.audit_count(), 1, "the sign-in is audited");
    let cookie = format!("other=1; beacon_session={}", started.secret);

    assert_eq!(
        status_of(&store, &from_browser("GET", &cookie, None), NOW),
        200
    );
    let audits = store.audit_count();
    for csrf in [
        None,
        Some(""),
        Some("csrf-token-2"),
        Some("session-secret-1"),
    ] {
        assert_eq!(
            status_of(&store, &from_browser("POST", &cookie, csrf), NOW),
            403,
            "{csrf:?}"
        );
    }
    assert_eq!(store.audit_count(), audits);
    assert_eq!(
        status_of(
            &store,
            &from_browser("PUT", &cookie, Some("csrf-token-1")),
            NOW
        ),
        200
    );
    let wrong_cookie = "beacon_session=csrf-token-1";
    assert_eq!(
        status_of(&store, &from_browser("GET", wrong_cookie, None), NOW),
        401
    );
    assert_eq!(
        status_of(&store, &from_browser("GET", "theme=dark", None), NOW),
        401
    );
}

/// SPEC I3: API clients keep their bearer tokens and need no CSRF token; a
/// bearer header is all that counts when present.
#[test]
fn bearer_tokens_need_no_csrf_token() {
    let store = MemoryStore::default();
    let token = store.add_user("sam", Role::Sre);
    let bearer = format!("Bearer {token}");
    let presented = Presented {
        method: "POST",
        authorization: Some(&bearer),
        cookie: None,
        csrf: None,
    };
    assert_eq!(status_of(&store, &presented, NOW), 200);
    let started = sign_in(&store, &token, 1).unwrap();
    let cookie = format!("beacon_session={}", started.secret);
    let bad = Presented {
        authorization: Some("Bearer bkn_unknown"),
        cookie: Some(&cookie),
        ..presented
    };
    assert_eq!(status_of(&store, &bad, NOW), 401);
}

/// SPEC I3: revoking the token, disabling the user, signing out or 12 hours
/// end the session at once.
#[test]
fn a_session_ends_with_its_token_its_user_its_sign_out_or_its_hours() {
    let store = MemoryStore::default();
    let admin = store.add_actor("root", Role::Admin);
    let sam = store.add_user("sam", Role::Sre);
    let ida = store.add_user("ida", Role::IncidentCommander);
    let vic = store.add_user("vic", Role::Viewer);

    let started = sign_in(&store, &sam, 1).unwrap();
    let cookie = format!("beacon_session={}", started.secret);
    let read = from_browser("GET", &cookie, None);
    assert_eq!(status_of(&store, &read, later(12 * 60 - 1)), 200);
    assert_eq!(status_of(&store, &read, later(12 * 60)), 401);
    let sam_token_id = 2;
    assert!(block_on(store.revoke_token(&AccessChange {
        id: sam_token_id,
        at: later(1),
        actor: &admin,
    }))
    .unwrap());
    assert_eq!(status_of(&store, &read, later(2)), 401);
    assert_eq!(sign_in(&store, &sam, 9).unwrap_err().status(), 401);

    let started = sign_in(&store, &ida, 2).unwrap();
    let cookie = format!("beacon_session={}", started.secret);
    let read = from_browser("GET", &cookie, None);
    let ida_id = 3;
    assert!(block_on(store.disable_user(&AccessChange {
        id: ida_id,
        at: later(1),
        actor: &admin,
    }))
    .unwrap());
    assert_eq!(status_of(&store, &read, later(2)), 401);

    let started = sign_in(&store, &vic, 3).unwrap();
    let cookie = format!("beacon_session={}", started.secret);
    let without_csrf = from_browser("DELETE", &cookie, None);
    assert_eq!(
        block_on(end_session(&store, &without_csrf, NOW))
            .unwrap_err()
            .status(),
        403
    );
    let sign_out = from_browser("DELETE", &cookie, Some("csrf-token-3"));
    block_on(end_session(&store, &sign_out, NOW)).unwrap();
    assert_eq!(
        status_of(&store, &from_browser("GET", &cookie, None), NOW),
        401
    );
    assert_eq!(
        block_on(end_session(&store, &sign_out, NOW))
            .unwrap_err()
            .status(),
        401
    );
}

/// SPEC I3: an unknown token, or none, opens no session and stores nothing;
/// a session never outlives its token.
#[test]
fn a_bad_token_opens_nothing_and_a_session_ends_with_its_token() {
    let store = MemoryStore::default();
    assert_eq!(sign_in(&store, "bkn_unknown", 1).unwrap_err().status(), 401);
    let empty = sign_in(&store, "  ", 1).unwrap_err();
    assert_eq!(empty.status(), 422);
    assert_eq!(empty.body().error.field.as_deref(), Some("token"));
    let missing = block_on(start_session(&store, b"{}", NOW, secrets(1))).unwrap_err();
    assert_eq!(missing.status(), 422);
    assert_eq!(store.audit_count(), 0);

    let admin = store.add_actor("root", Role::Admin);
    let sam = store.add_actor("sam", Role::Sre);
    let created = block_on(crate::users::create_token(
        &store,
        &admin,
        sam.user_id,
        br#"{"expires_in_days":1}"#,
        later(-23 * 60),
        "bkn_short".into(),
    ))
    .unwrap();
    let started = sign_in(&store, "bkn_short", 1).unwrap();
    assert_eq!(started.view.expires_at, created.expires_at);
    assert_eq!(started.view.expires_at, later(60));
    assert_eq!(started.max_age_seconds, 3600);
}

/// SPEC I3: the cron deletes a session a day after it ended or expired;
/// a live one, and one ended less than a day ago, stay.
#[test]
fn sessions_are_pruned_a_day_after_they_end() {
    let store = MemoryStore::default();
    let sam = store.add_user("sam", Role::Sre);
    let ida = store.add_user("ida", Role::IncidentCommander);
    let signed_out = sign_in(&store, &sam, 1).unwrap();
    sign_in(&store, &ida, 2).unwrap();
    let cookie = format!("beacon_session={}", signed_out.secret);
    let sign_out = from_browser("DELETE", &cookie, Some("csrf-token-1"));
    block_on(end_session(&store, &sign_out, later(60))).unwrap();

    // An hour after the sign-out, both rows stay.
    assert_eq!(block_on(prune_sessions(&store, later(120))).unwrap(), 0);
    // A day after it, the ended one goes; the other is live until 12 h.
    assert_eq!(
        block_on(prune_sessions(&store, later(61 + 24 * 60))).unwrap(),
        1
    );
    // The other expired at 12 h: a day later it goes too.
    assert_eq!(
        block_on(prune_sessions(&store, later(12 * 60 + 1 + 24 * 60))).unwrap(),
        1
    );
    // A new session after pruning gets an id of its own.
    let fresh = sign_in(&store, &ida, 3).unwrap();
    let cookie = format!("beacon_session={}", fresh.secret);
    assert_eq!(
        status_of(&store, &from_browser("GET", &cookie, None), NOW),
        200
    );
}
