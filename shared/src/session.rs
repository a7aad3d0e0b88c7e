//! Browser sessions (SPEC I3, I4): how long a session lives, what its cookies
//! say, which requests need its CSRF token and whether it still opens the API.
//!
//! Signing in exchanges an API token for a session: an `HttpOnly`,
//! `SameSite=Strict` cookie ([`SESSION_COOKIE`], `Secure` outside local
//! development over plain HTTP) and a CSRF token the app reads from the
//! sign-in answer or the readable [`CSRF_COOKIE`] and sends back in
//! [`CSRF_HEADER`] on every write. A session is bound to the token it was
//! opened with: it stops when the token is revoked or expires, when its user
//! is disabled, when it is ended (sign-out) and after [`SESSION_HOURS`],
//! whichever comes first.

use crate::access::TokenFacts;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// How long a browser session lives at most (hours): one long shift.
pub const SESSION_HOURS: i64 = 12;
/// The `HttpOnly` cookie that carries the session's secret.
pub const SESSION_COOKIE: &str = "beacon_session";
/// The readable cookie that carries the session's CSRF token for the app.
pub const CSRF_COOKIE: &str = "beacon_csrf";
/// The header in which the app sends the CSRF token on writes.
pub const CSRF_HEADER: &str = "x-beacon-csrf";
const HOUR_MS: i64 = 60 * 60 * 1000;

/// `POST /api/session`: the API token to exchange for a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStart {
    pub token: String,
}

/// The answer to a sign-in: who is signed in, the CSRF token to send on
/// writes, and when the session ends at the latest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub user: crate::api::UserView,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// When a session opened at `started_at` with a token that expires at
/// `token_expires_at` ends: [`SESSION_HOURS`] later, never after its token.
pub fn session_expiry(started_at: Timestamp, token_expires_at: Option<Timestamp>) -> Timestamp {
    let own = Timestamp::from_unix_millis(
        started_at
            .unix_millis()
            .saturating_add(SESSION_HOURS * HOUR_MS),
    );
    match token_expires_at {
        Some(token) if token < own => token,
        _ => own,
    }
}

/// What decides whether a session still opens the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// The facts of the token the session was opened with.
    pub token: TokenFacts,
}

impl SessionFacts {
    /// Whether the session opens the API at `now`: not ended, not expired,
    /// and its token still opens it (not revoked or expired, user enabled).
    pub fn opens(&self, now: Timestamp) -> bool {
        self.ended_at.is_none() && now < self.expires_at && self.token.opens(now)
    }
}

/// Whether a request with this method changes something and so needs the
/// session's CSRF token: everything but `GET`, `HEAD` and `OPTIONS`.
pub fn needs_csrf(method: &str) -> bool {
    !matches!(
        method.to_ascii_uppercase().as_str(),
        "GET" | "HEAD" | "OPTIONS"
    )
}

/// The value of cookie `name` in a `Cookie` header, if present and non-empty.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Whether session cookies carry `Secure`: always, except in local
/// development and the end-to-end tests (`BEACON_ENV` `development` or
/// `test`) when the request came over plain HTTP.
pub fn secure_cookies(beacon_env: &str, scheme: &str) -> bool {
    !(scheme.eq_ignore_ascii_case("http") && matches!(beacon_env, "development" | "test"))
}

/// The two `Set-Cookie` values that open a session: the `HttpOnly` session
/// cookie and the CSRF cookie the app reads, both `SameSite=Strict`, on the
/// whole site, for `max_age_seconds`.
pub fn session_cookies(
    session_secret: &str,
    csrf_token: &str,
    max_age_seconds: i64,
    secure: bool,
) -> [String; 2] {
    let max_age = max_age_seconds.max(0);
    let secure = if secure { "; Secure" } else { "" };
    [
        format!(
            "{SESSION_COOKIE}={session_secret}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
        ),
        format!("{CSRF_COOKIE}={csrf_token}; Path=/; Max-Age={max_age}; SameSite=Strict{secure}"),
    ]
}

/// The two `Set-Cookie` values that remove a session's cookies.
pub fn cleared_cookies(secure: bool) -> [String; 2] {
    let secure = if secure { "; Secure" } else { "" };
    [
        format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
        format!("{CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict{secure}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

    fn hours(n: i64) -> Timestamp {
        Timestamp::from_unix_millis(T.unix_millis() + n * HOUR_MS)
    }

    fn active_token() -> TokenFacts {
        TokenFacts {
            revoked_at: None,
            expires_at: Some(hours(24 * 90)),
            user_disabled_at: None,
        }
    }

    /// SPEC I3: a session lives 12 hours, never longer than its token.
    #[test]
    fn sessions_are_short_and_never_outlive_their_token() {
        assert_eq!(session_expiry(T, None), hours(12));
        assert_eq!(session_expiry(T, Some(hours(100))), hours(12));
        assert_eq!(session_expiry(T, Some(hours(2))), hours(2));
        let far = Timestamp::from_unix_millis(i64::MAX - 1);
        assert_eq!(session_expiry(far, None).unix_millis(), i64::MAX);
    }

    /// SPEC I3: revoking the token, disabling the user, signing out or the
    /// session's expiry each end the session at once.
    #[test]
    fn a_session_stops_with_its_token_its_user_or_its_end() {
        let live = SessionFacts {
            expires_at: hours(12),
            ended_at: None,
            token: active_token(),
        };
        assert!(live.opens(hours(11)));
        assert!(!live.opens(hours(12)));
        let ended = SessionFacts {
            ended_at: Some(hours(1)),
            ..live
        };
        assert!(!ended.opens(hours(2)));
        let revoked = SessionFacts {
            token: TokenFacts {
                revoked_at: Some(hours(1)),
                ..active_token()
            },
            ..live
        };
        assert!(!revoked.opens(hours(2)));
        let disabled = SessionFacts {
            token: TokenFacts {
                user_disabled_at: Some(hours(1)),
                ..active_token()
            },
            ..live
        };
        assert!(!disabled.opens(hours(2)));
    }

    /// SPEC I4: every method that can change something needs the CSRF token.
    #[test]
    fn writes_need_the_csrf_token_and_reads_do_not() {
        for write in ["POST", "PUT", "PATCH", "DELETE", "post"] {
            assert!(needs_csrf(write), "{write}");
        }
        for read in ["GET", "HEAD", "OPTIONS", "get"] {
            assert!(!needs_csrf(read), "{read}");
        }
    }

    #[test]
    fn reads_one_cookie_out_of_a_cookie_header() {
        let header = "a=1; beacon_session=abc ; beacon_csrf=def";
        assert_eq!(cookie_value(header, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(header, CSRF_COOKIE), Some("def"));
        assert_eq!(cookie_value(header, "beacon"), None);
        assert_eq!(cookie_value("beacon_session=", SESSION_COOKIE), None);
        assert_eq!(cookie_value("", SESSION_COOKIE), None);
    }

    /// SPEC I4: HttpOnly and SameSite=Strict always; Secure except over
    /// plain HTTP in local development and the end-to-end tests.
    #[test]
    fn cookies_are_http_only_strict_and_secure_outside_local_development() {
        assert!(secure_cookies("production", "https"));
        assert!(secure_cookies("production", "http"));
        assert!(secure_cookies("test", "https"));
        assert!(!secure_cookies("test", "http"));
        assert!(!secure_cookies("development", "http"));
        let [session, csrf] = session_cookies("s3cret", "c5rf", 3600, true);
        assert_eq!(
            session,
            "beacon_session=s3cret; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            csrf,
            "beacon_csrf=c5rf; Path=/; Max-Age=3600; SameSite=Strict; Secure"
        );
        let [session, csrf] = cleared_cookies(false);
        assert!(session.starts_with("beacon_session=; Path=/; Max-Age=0; HttpOnly"));
        assert!(!session.contains("Secure") && csrf.contains("Max-Age=0"));
    }
}
