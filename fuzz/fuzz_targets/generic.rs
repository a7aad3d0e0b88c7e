//! The generic JSON webhook's body, decoded and turned into signals.
#![no_main]

use beacon_shared::webhooks::generic::Delivery;
use beacon_worker::request_body::decode_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(delivery) = decode_json::<Delivery>(body) {
        let _ = delivery.signals();
    }
});
