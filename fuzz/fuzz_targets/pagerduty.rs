//! A PagerDuty Events API v2 body, read as `POST /v2/enqueue` reads it.
#![no_main]

use beacon_shared::alert::DedupKey;
use beacon_shared::webhooks::pagerduty::parse_event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    match parse_event(&value) {
        Ok(event) => {
            let generated = DedupKey::parse("generated").expect("a valid key");
            let _ = event.signal(generated);
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal names its problems"),
    }
});
