//! The generic webhook's signature headers: the input is the timestamp
//! header, a newline, the signature header, a newline, then the body.
#![no_main]

use beacon_shared::Timestamp;
use beacon_worker::webhook_signature::{sign, SignedRequest};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzzing-key";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let timestamp = parts.next().and_then(|t| std::str::from_utf8(t).ok());
    let signature = parts.next().and_then(|s| std::str::from_utf8(s).ok());
    let body = parts.next().unwrap_or_default();
    let now = Timestamp::from_unix_millis(1_780_000_000_000);
    if let Ok(signed) = SignedRequest::from_headers(timestamp, signature, now) {
        let _ = signed.verify(KEY, body);
    }
    // A correctly signed body verifies whenever its timestamp is accepted.
    // HTTP drops the whitespace around a header's value, so a sender signs
    // the timestamp as it arrives: trimmed.
    if let Some(timestamp) = timestamp.map(str::trim) {
        let header = sign(KEY, timestamp, body);
        if let Ok(signed) = SignedRequest::from_headers(Some(timestamp), Some(&header), now) {
            assert!(signed.verify(KEY, body).is_ok());
        }
    }
});
