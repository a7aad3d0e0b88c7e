//! Access that can be taken back (SPEC I3): how long an API token lives and
//! whether a token still opens the API.
//!
//! A token opens the API while it is not revoked, not expired, and its user
//! is not disabled. Tokens issued through the API expire after
//! [`DEFAULT_TOKEN_DAYS`] unless the admin chooses 1 to [`MAX_TOKEN_DAYS`]
//! days; a token stored without an expiry (written by the bootstrap, before
//! expiry existed) lives until it is revoked.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// How long a token lives when the admin does not say (days).
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
/// The longest lifetime an admin may give a token (days).
pub const MAX_TOKEN_DAYS: u32 = 365;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A token lifetime outside 1..=[`MAX_TOKEN_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a token lives from 1 to {MAX_TOKEN_DAYS} days, not {0}")]
pub struct TokenLifetimeError(pub u32);

/// When a token issued at `issued_at` for `days` (default
/// [`DEFAULT_TOKEN_DAYS`]) expires.
pub fn token_expiry(
    issued_at: Timestamp,
    days: Option<u32>,
) -> Result<Timestamp, TokenLifetimeError> {
    let days = days.unwrap_or(DEFAULT_TOKEN_DAYS);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(TokenLifetimeError(days));
    }
    Ok(Timestamp::from_unix_millis(
        issued_at
            .unix_millis()
            .saturating_add(i64::from(days) * DAY_MS),
    ))
}

/// Where a token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Active,
    Revoked,
    Expired,
    /// Its user is disabled: every token of theirs stops at once.
    UserDisabled,
}

/// What decides a token's [`TokenStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenFacts {
    pub revoked_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub user_disabled_at: Option<Timestamp>,
}

impl TokenFacts {
    /// The token's status at `now`; an expiry is the first instant it no longer works.
    pub fn status(&self, now: Timestamp) -> TokenStatus {
        if self.user_disabled_at.is_some() {
            TokenStatus::UserDisabled
        } else if self.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if self.expires_at.is_some_and(|expires| now >= expires) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }

    /// Whether the token opens the API at `now`.
    pub fn opens(&self, now: Timestamp) -> bool {
        self.status(now) == TokenStatus::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

    fn days(n: i64) -> Timestamp {
        Timestamp::from_unix_millis(T.unix_millis() + n * DAY_MS)
    }

    /// SPEC I3: 90 days by default, 1 to 365 on request, nothing else.
    #[test]
    fn tokens_expire_after_90_days_by_default() {
        assert_eq!(token_expiry(T, None), Ok(days(90)));
        assert_eq!(token_expiry(T, Some(1)), Ok(days(1)));
        assert_eq!(token_expiry(T, Some(365)), Ok(days(365)));
        assert_eq!(token_expiry(T, Some(0)), Err(TokenLifetimeError(0)));
        assert_eq!(token_expiry(T, Some(366)), Err(TokenLifetimeError(366)));
        let far = Timestamp::from_unix_millis(i64::MAX - 1);
        assert_eq!(
            token_expiry(far, None).map(|t| t.unix_millis()),
            Ok(i64::MAX)
        );
    }

    /// SPEC I3: a revoked or expired token, or any token of a disabled user,
    /// stops working; a token without an expiry lives until revoked.
    #[test]
    fn revoked_expired_and_disabled_tokens_do_not_open() {
        let active = TokenFacts {
            revoked_at: None,
            expires_at: Some(days(90)),
            user_disabled_at: None,
        };
        assert_eq!(active.status(days(89)), TokenStatus::Active);
        assert!(active.opens(days(89)));
        assert_eq!(active.status(days(90)), TokenStatus::Expired);
        let revoked = TokenFacts {
            revoked_at: Some(days(1)),
            ..active
        };
        assert_eq!(revoked.status(days(2)), TokenStatus::Revoked);
        let disabled = TokenFacts {
            user_disabled_at: Some(days(1)),
            ..active
        };
        assert_eq!(disabled.status(days(2)), TokenStatus::UserDisabled);
        assert!(!disabled.opens(days(2)));
        let bootstrap = TokenFacts {
            expires_at: None,
            ..active
        };
        assert!(bootstrap.opens(days(10_000)));
    }

    /// SPEC I3
    #[test]
    fn statuses_are_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&TokenStatus::UserDisabled).unwrap(),
            "\"user_disabled\""
        );
    }
}
