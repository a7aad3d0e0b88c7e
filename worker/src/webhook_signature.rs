//! The generic webhook's signature (SPEC I1): HMAC-SHA256 over
//! `"{timestamp}.{raw body}"`, keyed by the hex SHA-256 of the integration's
//! secret ([`signing_key_of`]), and valid for five minutes. Beacon keeps that
//! key only sealed (SPEC I3, [`crate::sealed_secret`]), so a copy of D1 alone
//! cannot sign a delivery.
//!
//! The timestamp is checked before anything is looked up, so a stale or
//! unsigned request learns nothing about which integrations exist. Replays
//! inside the window are refused by a unique index on the stored signature.

use beacon_shared::alert::IngestFormat;
use beacon_shared::Timestamp;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Unix seconds at which the sender signed.
pub const TIMESTAMP_HEADER: &str = "X-Beacon-Timestamp";
/// `v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Beacon-Signature";
/// How far a signature's timestamp may be from Beacon's clock, either way.
pub const REPLAY_WINDOW_SECONDS: i64 = 5 * 60;

/// Why a signed delivery was refused (all answered 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is required")]
    Missing(&'static str),
    #[error("the {TIMESTAMP_HEADER} header must be Unix seconds")]
    BadTimestamp,
    #[error("the signature is {age_seconds} s from Beacon's clock; at most {REPLAY_WINDOW_SECONDS} s are accepted")]
    OutsideWindow { age_seconds: i64 },
    #[error("the {SIGNATURE_HEADER} header must be v1=<64 hex digits>")]
    BadFormat,
    #[error("the signature does not match")]
    Mismatch,
}

/// The signature headers of a request, checked for shape and freshness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    timestamp: String,
    mac: Vec<u8>,
}

impl SignedRequest {
    /// Reads both headers and refuses a timestamp outside the window around `now`.
    pub fn from_headers(
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: Timestamp,
    ) -> Result<Self, SignatureError> {
        let timestamp = timestamp
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
        let seconds: i64 = timestamp
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        // Saturating: a timestamp near i64::MIN or i64::MAX cannot overflow.
        let age_seconds = now.unix_millis().div_euclid(1000).saturating_sub(seconds);
        if age_seconds.unsigned_abs() > REPLAY_WINDOW_SECONDS.unsigned_abs() {
            return Err(SignatureError::OutsideWindow { age_seconds });
        }
        let signature = signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
        let mac = signature
            .strip_prefix("v1=")
            .and_then(|h| hex::decode(h).ok())
            .filter(|m| m.len() == 32)
            .ok_or(SignatureError::BadFormat)?;
        Ok(Self {
            timestamp: timestamp.to_owned(),
            mac,
        })
    }

    /// Checks the MAC of `body` under `key` in constant time.
    pub fn verify(&self, key: &str, body: &[u8]) -> Result<(), SignatureError> {
        mac_of(key, &self.timestamp, body)
            .verify_slice(&self.mac)
            .map_err(|_| SignatureError::Mismatch)
    }

    /// The signature as hex, stored to refuse a replay inside the window.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.mac)
    }
}

/// The HMAC key a sender derives from its integration's secret: the
/// secret's hex SHA-256.
pub fn signing_key_of(secret: &str) -> String {
    crate::auth::hash_token(secret)
}

/// What Beacon stores of a new integration's `secret`: the hash it finds a
/// bearer-authenticated sender by and, for the generic format, the signing
/// key (stored sealed). A generic integration's lookup hash is the hash of
/// its signing key, so nothing stored in clear is the key itself.
pub fn stored_credentials(format: IngestFormat, secret: &str) -> (String, Option<String>) {
    match format {
        IngestFormat::Generic => {
            let key = signing_key_of(secret);
            (crate::auth::hash_token(&key), Some(key))
        }
        _ => (crate::auth::hash_token(secret), None),
    }
}

fn mac_of(key: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Beacon-Signature` value a sender computes (used by tests and the bench).
pub fn sign(key: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac_of(key, timestamp, body).finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const BODY: &[u8] = br#"{"alerts":[{"dedup_key":"k","summary":"x"}]}"#;
    const NOW: Timestamp = Timestamp::from_unix_millis(1_795_000_000_500);

    fn request(seconds: i64, signature: &str) -> Result<SignedRequest, SignatureError> {
        SignedRequest::from_headers(Some(&seconds.to_string()), Some(signature), NOW)
    }

    /// SPEC I3: what is stored in clear of a generic integration (its lookup
    /// hash) is not the key its deliveries are signed with; the other
    /// formats store only the secret's hash.
    #[test]
    fn nothing_stored_in_clear_signs_a_generic_delivery() {
        let (hash, key) = stored_credentials(IngestFormat::Generic, "bki_secret");
        let key = key.unwrap();
        assert_eq!(key, signing_key_of("bki_secret"));
        assert_ne!(hash, key);
        assert_eq!(hash, crate::auth::hash_token(&key));
        let request = request(1_795_000_000, &sign(&key, "1795000000", BODY)).unwrap();
        assert!(request.verify(&key, BODY).is_ok());
        assert_eq!(request.verify(&hash, BODY), Err(SignatureError::Mismatch));
        assert_eq!(
            stored_credentials(IngestFormat::Alertmanager, "bki_secret"),
            (crate::auth::hash_token("bki_secret"), None)
        );
    }

    /// SPEC I1: a fresh, correctly signed delivery passes; any change to body or key fails.
    #[test]
    fn valid_signature_verifies_and_tampering_does_not() {
        let ts = "1795000000";
        let signed = request(1_795_000_000, &sign(KEY, ts, BODY)).unwrap();
        assert_eq!(signed.verify(KEY, BODY), Ok(()));
        assert_eq!(
            signed.verify(KEY, br#"{"alerts":[{"dedup_key":"k","summary":"y"}]}"#),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            signed.verify(&KEY.replace('9', "8"), BODY),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed too: moving it breaks the MAC.
        let moved = request(1_795_000_001, &sign(KEY, ts, BODY)).unwrap();
        assert_eq!(moved.verify(KEY, BODY), Err(SignatureError::Mismatch));
    }

    /// SPEC I1 (found by the `signature_header` fuzz target): the MAC covers
    /// the timestamp as it arrives, without the whitespace HTTP strips around
    /// a header value; a signature over the padded text does not verify.
    #[test]
    fn the_signed_timestamp_is_the_trimmed_header_value() {
        let padded = "   1795000000 ";
        let over_trimmed = sign(KEY, "1795000000", BODY);
        let signed = SignedRequest::from_headers(Some(padded), Some(&over_trimmed), NOW).unwrap();
        assert_eq!(signed.verify(KEY, BODY), Ok(()));
        let over_padded = sign(KEY, padded, BODY);
        let signed = SignedRequest::from_headers(Some(padded), Some(&over_padded), NOW).unwrap();
        assert_eq!(signed.verify(KEY, BODY), Err(SignatureError::Mismatch));
    }

    /// SPEC I1: five minutes either way is accepted, a second more is not.
    #[test]
    fn replay_window_is_five_minutes() {
        let now_s = 1_795_000_000;
        for offset in [-300, 0, 300] {
            let ts = now_s + offset;
            assert!(
                request(ts, &sign(KEY, &ts.to_string(), BODY)).is_ok(),
                "{offset}"
            );
        }
        for (offset, age) in [(-301, 301), (301, -301), (-3600, 3600)] {
            let ts = now_s + offset;
            assert_eq!(
                request(ts, &sign(KEY, &ts.to_string(), BODY)),
                Err(SignatureError::OutsideWindow { age_seconds: age })
            );
        }
    }

    /// SPEC I4: timestamps at the ends of i64 are refused as outside the
    /// window, never overflowing (the subtraction and its absolute value).
    #[test]
    fn extreme_timestamps_do_not_overflow() {
        for (ts, age) in [
            (i64::MIN, i64::MAX),
            (i64::MIN + 1, i64::MAX),
            (i64::MAX, 1_795_000_000 - i64::MAX),
        ] {
            assert_eq!(
                request(ts, &sign(KEY, &ts.to_string(), BODY)),
                Err(SignatureError::OutsideWindow { age_seconds: age }),
                "{ts}"
            );
        }
        let at_the_end = Timestamp::from_unix_millis(i64::MAX);
        assert!(matches!(
            SignedRequest::from_headers(Some(&i64::MIN.to_string()), Some("v1=00"), at_the_end),
            Err(SignatureError::OutsideWindow { .. })
        ));
    }

    #[test]
    fn malformed_headers_are_named() {
        let sig = sign(KEY, "1795000000", BODY);
        assert_eq!(
            SignedRequest::from_headers(None, Some(&sig), NOW),
            Err(SignatureError::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            SignedRequest::from_headers(Some("1795000000"), None, NOW),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            SignedRequest::from_headers(Some("2026-11-23"), Some(&sig), NOW),
            Err(SignatureError::BadTimestamp)
        );
        for bad in ["sha256=abc", "v1=zz", "v1=abcd"] {
            assert_eq!(request(1_795_000_000, bad), Err(SignatureError::BadFormat));
        }
    }
}
