//! Who is asking: bearer tokens, stored only as SHA-256 hashes, resolved to an [`Actor`].

use crate::error::ApiError;
use crate::stores::UserStore;
use beacon_shared::api::UserView;
use beacon_shared::role::Role;
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

/// Resolves the `Authorization` header to an actor, or 401.
pub async fn authenticate<S: UserStore>(
    store: &S,
    authorization: Option<&str>,
) -> Result<Actor, ApiError> {
    let token = bearer_token(authorization).ok_or(ApiError::Unauthorized)?;
    store
        .actor_for_token_hash(&hash_token(token))
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::Unauthorized)
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
