//! Alertmanager's and Grafana's webhook body (one format, SPEC I1): decoding
//! it as the webhook does and turning it into alert signals never panics.
#![no_main]

use beacon_shared::webhooks::alertmanager::Notification;
use beacon_worker::request_body::decode_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(notification) = decode_json::<Notification>(body) {
        for signal in notification.signals() {
            assert!(!signal.dedup_key.as_str().trim().is_empty());
        }
    }
});
