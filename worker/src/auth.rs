//! Who is asking: bearer tokens and browser sessions, stored only as SHA-256
//! hashes, resolved to an [`Actor`]; writes from a browser session need the
//! session's CSRF token.

use crate::error::ApiError;
use crate::stores::UserStore;
use beacon_shared::api::UserView;
use beacon_shared::role::Role;
use beacon_shared::session::{cookie_value, needs_csrf, SESSION_COOKIE};
use beacon_shared::Timestamp;
use sha2::{Digest, Sha256};

/// The authenticated user behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
}

impl From<UserView> for Actor {
    fn from(user: UserView) -> Self {
        Actor {
            user_id: user.id,
            name: user.name,
            role: user.role,
        }
    }
}

/// The hex SHA-256 of a token; the only form in which tokens are stored.
///
/// Tokens are 256 random bits, so an unsalted fast hash is enough: there is
/// nothing to brute-force, and lookups stay a single indexed query.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The token in an `Authorization: Bearer <token>` header, if well-formed.
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let header = header?.trim();
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// How often a token's last use is written: at most once a minute.
const LAST_USE_PRECISION_MS: i64 = 60_000;

/// What a request presents to prove who sends it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presented<'a> {
    /// The request's method (`POST`, ...): writes from a session need CSRF.
    pub method: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// The CSRF header ([`beacon_shared::session::CSRF_HEADER`]).
    pub csrf: Option<&'a str>,
}

/// Resolves a request to an actor at `now`. A bearer token, when present, is
/// all that counts (API clients; no CSRF: a browser never adds it by itself).
/// Otherwise the session cookie: 401 unless the session opens the API
/// ([`beacon_shared::session::SessionFacts::opens`]: not ended or expired, its
/// token not revoked or expired, its user enabled), and 403 for a write
/// whose CSRF header is missing or wrong. Nothing is written on a refusal.
pub async fn authenticate_request<S: UserStore>(
    store: &S,
    presented: &Presented<'_>,
    now: Timestamp,
) -> Result<Actor, ApiError> {
    if presented.authorization.is_some() {
        return authenticate(store, presented.authorization, now).await;
    }
    let (_, holder) = session_of(store, presented, now).await?;
    note_use(store, &holder.token, now).await?;
    Ok(holder.token.actor)
}

/// The live session behind `presented`'s cookie with its secret's hash,
/// checked for CSRF when the method writes; 401 or 403 otherwise.
pub async fn session_of<S: UserStore>(
    store: &S,
    presented: &Presented<'_>,
    now: Timestamp,
) -> Result<(String, crate::stores::SessionHolder), ApiError> {
    let secret = presented
        .cookie
        .and_then(|cookie| cookie_value(cookie, SESSION_COOKIE))
        .ok_or(ApiError::Unauthorized)?;
    let session_hash = hash_token(secret);
    let holder = store
        .session_holder(&session_hash)
        .await?
        .filter(|holder| holder.facts.opens(now))
        .ok_or(ApiError::Unauthorized)?;
    if needs_csrf(presented.method) {
        let sent = presented.csrf.map(str::trim).unwrap_or_default();
        if sent.is_empty() || hash_token(sent) != holder.csrf_hash {
            return Err(ApiError::Forbidden(
                "a change from the browser needs its session's CSRF token".into(),
            ));
        }
    }
    Ok((session_hash, holder))
}

/// Records a token's use at most once a minute.
async fn note_use<S: UserStore>(
    store: &S,
    holder: &crate::stores::TokenHolder,
    now: Timestamp,
) -> Result<(), ApiError> {
    let stale = holder.last_used_at.is_none_or(|last| {
        now.unix_millis().saturating_sub(last.unix_millis()) >= LAST_USE_PRECISION_MS
    });
    if stale {
        store.record_token_use(holder.token_id, now).await?;
    }
    Ok(())
}

/// The holder of a bearer token that opens the API at `now`, or 401.
pub async fn token_holder<S: UserStore>(
    store: &S,
    token: &str,
    now: Timestamp,
) -> Result<crate::stores::TokenHolder, ApiError> {
    store
        .token_holder(&hash_token(token))
        .await?
        .filter(|holder| holder.facts.opens(now))
        .ok_or(ApiError::Unauthorized)
}

/// Resolves the `Authorization` header to an actor at `now`, or 401: an
/// unknown, revoked or expired token, or one of a disabled user
/// ([`beacon_shared::access::TokenFacts::opens`]). The token is read from the store on every
/// request, so a revocation or a disabled user takes effect at once.
pub async fn authenticate<S: UserStore>(
    store: &S,
    authorization: Option<&str>,
    now: Timestamp,
) -> Result<Actor, ApiError> {
    let token = bearer_token(authorization).ok_or(ApiError::Unauthorized)?;
    let holder = token_holder(store, token, now).await?;
    note_use(store, &holder, now).await?;
    Ok(holder.actor)
}

/// `Forbidden` ("the {role} role may not {what}") unless the actor's role `may`.
pub fn require_role(actor: &Actor, may: fn(Role) -> bool, what: &str) -> Result<(), ApiError> {
    if may(actor.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "the {} role may not {what}",
            actor.role.as_str()
        )))
    }
}

/// Refuses read-only roles for a write (SPEC I3).
pub fn require_writer(actor: &Actor) -> Result<(), ApiError> {
    require_role(actor, Role::can_write, "change anything")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_headers() {
        assert_eq!(bearer_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer_token(Some("Basic abc")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
