//! Query strings: the incident list's filter and the reports' query.
#![no_main]

use beacon_shared::Timestamp;
use beacon_worker::{incidents::parse_filter, reports::parse_query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    let _ = parse_filter(query);
    let _ = parse_query(query, Timestamp::from_unix_millis(1_780_000_000_000));
});
