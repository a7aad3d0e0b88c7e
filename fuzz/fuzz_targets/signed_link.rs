//! Signed acknowledgement links: any query is refused or verified, never a
//! panic, and a verified link is exactly the one its own query re-signs.
#![no_main]

use beacon_shared::Timestamp;
use beacon_worker::paging::AckLink;
use libfuzzer_sys::fuzz_target;

const KEY: &str = "fuzzing-key";
const INCIDENT: i64 = 42;

fuzz_target!(|query: &str| {
    let now = Timestamp::from_unix_millis(1_780_000_000_000);
    if let Ok(link) = AckLink::verify(INCIDENT, query, KEY, now) {
        assert_eq!(link.incident, INCIDENT);
        assert!(AckLink::verify(INCIDENT, &link.query(KEY), KEY, now).is_ok());
    }
    // Whatever the query says, a link signed with another key never verifies.
    let _ = AckLink::verify(INCIDENT, query, "another-key", now);
});
