//! Native tests of the review meeting against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::incidents::create_incident;
use crate::memory::MemoryStore;
use crate::problems::{add_remediation_item, create_problem};
use beacon_shared::review::sha256_hex;
use pollster::block_on;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// The meeting of 2 December reviews November.
fn now() -> Timestamp {
    at("2026-12-02T09:00:00Z")
}

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), now())).unwrap()
}

struct Meeting {
    store: MemoryStore,
    sam: Actor,
    mia: Actor,
    api: i64,
    security: i64,
}

/// In November: an open P0 on the API (sam) and an open Security P0 (sol).
/// Since 1 October: a problem without a root cause whose remediation item
/// (owner sam) was due on 20 November, and a Security problem.
fn meeting() -> Meeting {
    let store = MemoryStore::default();
    let sam = actor(&store, "sam", Role::Sre);
    let sol = actor(&store, "sol", Role::Security);
    let mia = actor(&store, "mia", Role::Management);
    let api = block_on(create_incident(
        &store,
        &sam,
        br#"{"title":"API down","category":"API","facts":{"measurements":{"complete_loss_of_access":true}}}"#,
        at("2026-11-05T10:00:00Z"),
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    let security = block_on(create_incident(
        &store,
        &sol,
        br#"{"title":"Leaked admin key","category":"Security","facts":{"measurements":{"complete_loss_of_access":true}}}"#,
        at("2026-11-06T10:00:00Z"),
        "https://beacon.test",
    ))
    .unwrap()
    .id;
    let opened = at("2026-10-01T10:00:00Z");
    let db = block_on(create_problem(
        &store,
        &sam,
        br#"{"title":"DB failover flaps","priority":"P2","origin":{"report_row":{"report":"repeat cases","row":"db-1"}}}"#,
        opened,
    ))
    .unwrap()
    .problem
    .id;
    block_on(add_remediation_item(
        &store,
        &sam,
        db,
        br#"{"title":"Pin the failover timeout","kind":"prevent","owner":{"person":{"name":"sam"}},"due_at":"2026-11-20T00:00:00Z"}"#,
        opened,
    ))
    .unwrap();
    block_on(create_problem(
        &store,
        &sol,
        br#"{"title":"Key rotation gaps","category":"Security","priority":"P1","origin":{"report_row":{"report":"audit","row":"keys"}}}"#,
        opened,
    ))
    .unwrap();
    Meeting {
        store,
        sam,
        mia,
        api,
        security,
    }
}

/// SPEC Q5, Q3: the review of November goes through the open P0/P1, the
/// overdue remediation by owner and the problems still without a root cause
/// after 14 days; management (cleared) sees the Security rows.
#[test]
fn the_review_lists_what_the_meeting_goes_through() {
    let m = meeting();
    let page = block_on(review(&m.store, &m.mia, "", now())).unwrap();
    assert_eq!(page.period.from(), at("2026-11-01T00:00:00Z"));
    let urgent: Vec<i64> = page.open_urgent.rows.iter().map(|i| i.id).collect();
    assert_eq!(urgent, [m.api, m.security]);
    let owners: Vec<(&str, usize)> = page
        .overdue_remediation
        .rows
        .iter()
        .map(|o| (o.owner.as_str(), o.items.len()))
        .collect();
    assert_eq!(owners, [("sam", 1)]);
    // Due 20 November, reviewed 2 December 09:00: 12 days 9 hours late.
    assert_eq!(
        page.overdue_remediation.rows[0].items[0].overdue_millis,
        (12 * 24 + 9) * 3_600_000
    );
    let causeless: Vec<&str> = page
        .problems_without_root_cause
        .rows
        .iter()
        .map(|p| p.title.as_str())
        .collect();
    assert_eq!(causeless, ["DB failover flaps", "Key rotation gaps"]);
    // Two P0 in November, none in October.
    assert!(page.changes.iter().any(|c| c.wording == "P0 0 -> 2"));
    // With 90 days, neither problem (62 days old) is late yet.
    let patient = block_on(review(&m.store, &m.mia, "root_cause_days=90", now())).unwrap();
    assert!(patient.problems_without_root_cause.rows.is_empty());
}

/// SPEC K3, Q5: an SRE sees Security only as counts.
#[test]
fn security_is_counted_only_for_readers_without_clearance() {
    let m = meeting();
    let page = block_on(review(
        &m.store,
        &m.sam,
        "period=month&date=2026-11-15",
        now(),
    ))
    .unwrap();
    let urgent: Vec<i64> = page.open_urgent.rows.iter().map(|i| i.id).collect();
    assert_eq!(urgent, [m.api]);
    assert_eq!(page.open_urgent.restricted, 1);
    assert_eq!(page.problems_without_root_cause.rows.len(), 1);
    assert_eq!(page.problems_without_root_cause.restricted, 1);
    assert_eq!(page.restricted_tickets, 1);
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains("Leaked admin key"));
    assert!(!text.contains("Key rotation gaps"));
}

/// Bad queries are 422 naming the parameter; customer support may not read
/// the review.
#[test]
fn bad_review_queries_are_refused() {
    let m = meeting();
    for (query, field) in [
        ("period=year", "period"),
        ("date=November", "date"),
        ("root_cause_days=0", "root_cause_days"),
        ("colour=red", "colour"),
    ] {
        let err = block_on(review(&m.store, &m.mia, query, now())).unwrap_err();
        assert_eq!(err.status(), 422, "{query}");
        assert_eq!(err.body().error.field.as_deref(), Some(field), "{query}");
    }
    let desk = actor(&m.store, "cas", Role::CustomerSupport);
    assert_eq!(
        block_on(review(&m.store, &desk, "", now()))
            .unwrap_err()
            .status(),
        403
    );
}

/// SPEC Q5, K3: management saves the review with its minutes and decisions;
/// the snapshot is sealed by the SHA-256 of its text, listed, and read back
/// unchanged; an SRE reads the version without Security details; a refused
/// save stores nothing; an altered snapshot is detected.
#[test]
fn a_snapshot_is_sealed_and_read_back_by_clearance() {
    let m = meeting();
    let request = br#"{"period":"month","minutes":"Went through the P0s.","decisions":["Open a problem for the API outage"]}"#;
    let err = block_on(save_snapshot(&m.store, &m.sam, request, now())).unwrap_err();
    assert_eq!(err.status(), 403);
    let audits = m.store.audit_count();
    let bad = br#"{"period":"month","minutes":"","decisions":["  "]}"#;
    let err = block_on(save_snapshot(&m.store, &m.mia, bad, now())).unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.body().error.field.as_deref(), Some("decisions[0]"));
    assert!(block_on(list_snapshots(&m.store, &m.mia))
        .unwrap()
        .is_empty());
    assert_eq!(m.store.audit_count(), audits);

    let saved = block_on(save_snapshot(&m.store, &m.mia, request, now())).unwrap();
    assert_eq!(m.store.audit_count(), audits + 1);
    assert_eq!(saved.content.minutes, "Went through the P0s.");
    assert_eq!(
        saved.content.decisions,
        ["Open a problem for the API outage"]
    );
    assert_eq!(saved.content.saved_by, "mia");
    assert_eq!(saved.content.page.open_urgent.rows.len(), 2);
    let (text, digest) = saved.content.sealed().unwrap();
    assert_eq!(saved.sha256, digest);
    assert_eq!(sha256_hex(&text), digest);

    let again = block_on(get_snapshot(&m.store, &m.mia, saved.id)).unwrap();
    assert_eq!(again, saved);
    let for_sam = block_on(get_snapshot(&m.store, &m.sam, saved.id)).unwrap();
    assert_ne!(for_sam.sha256, saved.sha256);
    assert_eq!(for_sam.content.page.open_urgent.restricted, 1);
    assert_eq!(for_sam.content.minutes, saved.content.minutes);
    let text = serde_json::to_string(&for_sam).unwrap();
    assert!(!text.contains("Leaked admin key"));
    let listed = block_on(list_snapshots(&m.store, &m.sam)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].sha256, for_sam.sha256);
    assert_eq!(listed[0].period.from(), at("2026-11-01T00:00:00Z"));

    m.store
        .alter_snapshot_text(saved.id, &text.replace("P0s", "P1s"));
    let err = block_on(get_snapshot(&m.store, &m.mia, saved.id)).unwrap_err();
    assert_eq!(err.status(), 500);
    assert_eq!(
        block_on(get_snapshot(&m.store, &m.mia, 99))
            .unwrap_err()
            .status(),
        404
    );
}
