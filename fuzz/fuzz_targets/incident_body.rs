//! The incident API's request bodies: the first byte picks the body type, the
//! rest is the JSON; a decoded triage is classified and its alert time checked.
#![no_main]

use beacon_shared::api::{
    CategoryChange, NewIncident, NewTimelineEntry, OwnerChange, PriorityChange, TransitionRequest,
};
use beacon_shared::triage::check_alert_time;
use beacon_shared::{classify_priority, Timestamp};
use beacon_worker::request_body::decode_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    match kind % 6 {
        0 => {
            if let Ok(request) = decode_json::<NewIncident>(body) {
                let now = Timestamp::from_unix_millis(1_780_000_000_000);
                let _ = check_alert_time(request.facts.alerted_at, now);
                let _ = classify_priority(&request.facts);
            }
        }
        1 => drop(decode_json::<TransitionRequest>(body)),
        2 => drop(decode_json::<PriorityChange>(body)),
        3 => drop(decode_json::<OwnerChange>(body)),
        4 => drop(decode_json::<CategoryChange>(body)),
        _ => drop(decode_json::<NewTimelineEntry>(body)),
    }
});
