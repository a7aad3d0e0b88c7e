//! Browser sessions (SPEC I3, I4): signing in exchanges an API token for a
//! session (an `HttpOnly` cookie and a CSRF token, `shared::session` says
//! for how long and with which attributes); signing out ends it.

use crate::auth::{hash_token, session_of, token_holder, Presented};
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{AccessChange, NewSessionRecord, UserStore};
use crate::users::me;
use beacon_shared::session::{session_expiry, SessionStart, SessionView};
use beacon_shared::Timestamp;

/// Two fresh random secrets made by the caller: the session cookie's value
/// and the CSRF token. Only their hashes are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSecrets {
    pub secret: String,
    pub csrf_token: String,
}

/// A session just opened: the answer for the app, the cookie's secret and
/// how many seconds the cookies live.
#[derive(Debug, Clone, PartialEq)]
pub struct StartedSession {
    pub view: SessionView,
    pub secret: String,
    pub max_age_seconds: i64,
}

/// `POST /api/session`: the API token in the body opens a session bound to
/// it, or 401 (unknown, revoked or expired token, disabled user) with
/// nothing stored.
pub async fn start_session<S: UserStore>(
    store: &S,
    body: &[u8],
    now: Timestamp,
    fresh: SessionSecrets,
) -> Result<StartedSession, ApiError> {
    let request: SessionStart = decode_json(body)?;
    let token = request.token.trim();
    if token.is_empty() {
        return Err(ApiError::InvalidField {
            field: "token".into(),
            message: "an API token is needed to sign in".into(),
        });
    }
    let holder = token_holder(store, token, now).await?;
    let expires_at = session_expiry(now, holder.facts.expires_at);
    store
        .start_session(&NewSessionRecord {
            holder: &holder,
            session_hash: &hash_token(&fresh.secret),
            csrf_hash: &hash_token(&fresh.csrf_token),
            expires_at,
            at: now,
        })
        .await?;
    Ok(StartedSession {
        view: SessionView {
            user: me(&holder.actor),
            csrf_token: fresh.csrf_token,
            expires_at,
        },
        secret: fresh.secret,
        max_age_seconds: expires_at.unix_millis().saturating_sub(now.unix_millis()) / 1000,
    })
}

/// `DELETE /api/session`: ends the cookie's session (sign-out), which needs
/// its CSRF token like every write; 401 when there is no live session.
pub async fn end_session<S: UserStore>(
    store: &S,
    presented: &Presented<'_>,
    now: Timestamp,
) -> Result<(), ApiError> {
    let (_, holder) = session_of(store, presented, now).await?;
    store
        .end_session(&AccessChange {
            id: holder.session_id,
            at: now,
            actor: &holder.token.actor,
        })
        .await?;
    Ok(())
}

/// How long an ended or expired session's row is kept before the cron
/// deletes it: a day, for whoever reads the audit log alongside it.
pub const ENDED_SESSIONS_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

/// The cron's pruning of sessions that ended or expired over a day ago
/// (their audit records stay); returns how many were deleted.
pub async fn prune_sessions<S: UserStore>(store: &S, now: Timestamp) -> Result<u64, ApiError> {
    let before =
        Timestamp::from_unix_millis(now.unix_millis().saturating_sub(ENDED_SESSIONS_KEPT_MS));
    Ok(store.prune_sessions(before).await?)
}

#[cfg(test)]
mod tests;
