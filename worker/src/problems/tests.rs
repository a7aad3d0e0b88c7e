//! Native tests of the problem handlers against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::escalation::create_channel;
use crate::incidents::{create_incident, get_incident_with_recurrence, transition};
use crate::memory::MemoryStore;
use beacon_shared::problem::ProblemStatus;
use beacon_shared::recurrence::{FixStatus, RecurrenceSignature};
use beacon_shared::remediation::RemediationStatus;
use beacon_shared::role::Role;
use beacon_shared::timeline::{ProblemReopenedNote, RecurrenceNote};
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.test";

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")))).unwrap()
}

struct Desk {
    store: MemoryStore,
    sre: Actor,
    boss: Actor,
    /// Management's channel.
    management: i64,
}

fn desk() -> Desk {
    let store = MemoryStore::default();
    let sre = actor(&store, "sam", Role::Sre);
    let boss = actor(&store, "max", Role::Management);
    let admin = actor(&store, "ada", Role::Admin);
    let management = block_on(create_channel(
        &store,
        &admin,
        br#"{"owner_kind":"management","format":"generic","url":"https://hooks.example/management"}"#,
        NOW,
        "bks_test".into(),
    ))
    .unwrap()
    .id;
    Desk {
        store,
        sre,
        boss,
        management,
    }
}

/// A P1 on the payments database db1 (system and host make its signature).
const DB_P1: &[u8] = br#"{"title":"Payments DB down","category":"Payments","facts":{"system":"payments-db","hostname":"db1.example.net","measurements":{"major_function_lost":true}}}"#;
/// A P3 on the same system and host.
const DB_P3: &[u8] = br#"{"title":"Payments DB slow","facts":{"system":"payments-db","hostname":"db1.example.net"}}"#;

impl Desk {
    fn incident(&self, body: &[u8], at: Timestamp) -> i64 {
        block_on(create_incident(&self.store, &self.sre, body, at, BASE))
            .unwrap()
            .id
    }

    fn move_incident(&self, id: i64, body: &[u8], at: Timestamp) {
        block_on(transition(&self.store, &self.sre, id, body, at)).unwrap();
    }

    /// Creates, classifies and resolves a P1; returns its id.
    fn resolved_p1(&self) -> i64 {
        let id = self.incident(DB_P1, NOW);
        self.move_incident(
            id,
            br#"{"action":"classify_as_problem","priority":"P1"}"#,
            later(1),
        );
        self.move_incident(id, br#"{"action":"resolve"}"#, later(2));
        id
    }

    fn problem(&self, who: &Actor, id: i64) -> Result<ProblemDetail, ApiError> {
        block_on(get_problem(&self.store, who, id, later(10)))
    }

    fn problem_action(&self, id: i64, body: &str, at: Timestamp) -> ProblemDetail {
        block_on(transition_problem(
            &self.store,
            &self.sre,
            id,
            body.as_bytes(),
            at,
        ))
        .unwrap()
    }

    fn item_action(
        &self,
        who: &Actor,
        item: i64,
        body: &str,
        at: Timestamp,
    ) -> Result<RemediationItemView, ApiError> {
        block_on(transition_remediation(
            &self.store,
            who,
            item,
            body.as_bytes(),
            at,
        ))
    }

    fn add_item(&self, problem: i64) -> i64 {
        let detail = block_on(add_remediation_item(
            &self.store,
            &self.sre,
            problem,
            br#"{"title":"Raise the connection limit","kind":"prevent","owner":{"person":{"name":"sam"}},"due_at":"2026-12-31T00:00:00Z"}"#,
            later(3),
        ))
        .unwrap();
        detail.remediation.last().unwrap().item.id
    }

    /// Verifies a fix: item done and verified, problem resolved with evidence.
    fn verify_fix(&self, problem: i64) {
        let item = self.add_item(problem);
        for body in [
            r#"{"action":"start"}"#,
            r#"{"action":"complete"}"#,
            r#"{"action":"verify","evidence":{"link":"https://ci.example/load/7"}}"#,
        ] {
            self.item_action(&self.sre, item, body, later(4)).unwrap();
        }
        for body in [
            r#"{"action":"start_investigating"}"#,
            r#"{"action":"start_fix"}"#,
            r#"{"action":"resolve","verification":{"text":"load test at twice the peak held"}}"#,
        ] {
            self.problem_action(problem, body, later(5));
        }
    }
}

/// SPEC R3: resolving a P1 opens its problem by itself, linked to the
/// incident with its signatures; resolving again opens no second one.
#[test]
fn a_resolved_p1_opens_its_problem() {
    let desk = desk();
    let incident = desk.resolved_p1();
    let list = block_on(list_problems(&desk.store, &desk.sre, later(3))).unwrap();
    assert_eq!(list.problems.len(), 1);
    let detail = desk.problem(&desk.sre, list.problems[0].id).unwrap();
    assert_eq!(detail.problem.status, ProblemStatus::New);
    assert_eq!(
        detail.problem.origin,
        ProblemOrigin::ResolvedHighPriority { incident }
    );
    assert!(detail.problem.links(incident));
    assert_eq!(detail.problem.priority, Priority::P1);
    let timeline = block_on(desk.store.timeline(incident)).unwrap();
    assert!(timeline.iter().any(|e| e.event
        == TimelineEvent::LinkedToProblem(ProblemLinkNote {
            problem: detail.problem.id,
            reason: LinkReason::Origin,
        })));
    assert!(detail
        .problem
        .signatures
        .iter()
        .any(|s| matches!(s, RecurrenceSignature::SystemHost { .. })));
    // Reopened and resolved again: still linked to an open problem.
    desk.move_incident(incident, br#"{"action":"reopen"}"#, later(6));
    desk.move_incident(incident, br#"{"action":"resolve"}"#, later(7));
    assert_eq!(desk.store.problem_counts().0, 1);
    // A P3 opens none.
    let p3 = desk.incident(DB_P3, later(8));
    assert_eq!(desk.store.problem_counts().0, 1);
    assert!(
        block_on(open_for_resolved_incident(&desk.store, p3, later(9)))
            .unwrap()
            .is_none()
    );
}

/// SPEC R3: a resolution whose problem was not written (the worker stopped
/// in between) is caught by the sweep, once.
#[test]
fn the_sweep_opens_a_missed_problem_once() {
    let desk = desk();
    let id = desk.incident(DB_P1, NOW);
    desk.move_incident(
        id,
        br#"{"action":"classify_as_problem","priority":"P1"}"#,
        later(1),
    );
    // Resolved behind the handler's back: no problem yet.
    let record = block_on(desk.store.get_incident(id)).unwrap().unwrap();
    let mut state = record.state.clone();
    state.status = IncidentStatus::Resolved;
    let change = IncidentChange {
        id,
        expected_updated_at: record.updated_at,
        state,
        at: later(2),
        actor: desk.sre.clone(),
        timeline: TimelineEvent::WorkLog(beacon_shared::timeline::WorkLog {
            text: "resolved".into(),
        }),
        audit: NewAuditRecord {
            action: "incident.transition".into(),
            subject: format!("incident/{id}"),
            before: None,
            after: None,
        },
    };
    assert!(block_on(desk.store.apply_change(&change)).unwrap());
    assert_eq!(desk.store.problem_counts().0, 0);
    assert_eq!(
        block_on(open_missing_problems(&desk.store, later(3))).unwrap(),
        1
    );
    assert_eq!(
        block_on(open_missing_problems(&desk.store, later(4))).unwrap(),
        0
    );
    assert_eq!(desk.store.problem_counts().0, 1);
    // And the unique auto origin refuses a second one even if asked directly.
    assert!(
        block_on(open_for_resolved_incident(&desk.store, id, later(5)))
            .unwrap()
            .is_none()
    );
}

/// SPEC R3, Q4: problems opened by hand from repeated incidents and from a
/// report row; one incident twice is refused naming the origin.
#[test]
fn problems_opened_by_hand() {
    let desk = desk();
    let a = desk.incident(DB_P3, NOW);
    let b = desk.incident(DB_P3, later(1));
    let body = format!(
        r#"{{"title":"Payments DB slow every Monday","origin":{{"repeated_incidents":{{"incidents":[{a},{b}]}}}}}}"#
    );
    let detail = block_on(create_problem(
        &desk.store,
        &desk.sre,
        body.as_bytes(),
        later(2),
    ))
    .unwrap();
    assert_eq!(detail.problem.incidents.len(), 2);
    assert_eq!(detail.problem.priority, Priority::P3);
    let row = br#"{"title":"Login 502s","priority":"P2","origin":{"report_row":{"report":"repeat cases","row":"login 502s"}}}"#;
    let detail = block_on(create_problem(&desk.store, &desk.sre, row, later(3))).unwrap();
    assert_eq!(detail.problem.priority, Priority::P2);
    let audits = desk.store.audit_count();
    let twice =
        format!(r#"{{"title":"x","origin":{{"repeated_incidents":{{"incidents":[{a},{a}]}}}}}}"#);
    let err = block_on(create_problem(
        &desk.store,
        &desk.sre,
        twice.as_bytes(),
        later(4),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.body().error.field.as_deref(), Some("origin"));
    assert_eq!(desk.store.problem_counts().0, 2);
    assert_eq!(desk.store.audit_count(), audits);
    let viewer = actor(&desk.store, "vic", Role::Viewer);
    let err = block_on(create_problem(&desk.store, &viewer, row, later(5))).unwrap_err();
    assert_eq!(err.status(), 403);
}

/// SPEC V7: the RCA is stored and read back; an invalid one is 422 naming
/// the field and stores nothing.
#[test]
fn rca_is_validated() {
    let desk = desk();
    desk.resolved_p1();
    let rca = br#"{"root_causes":[{"id":1,"summary":"Pool limit too low for the Monday batch","class":"capacity","evidence":["https://grafana.example/d/db"]}],"trigger":"Monday batch","detection":"alert after 2 minutes","resolution":"raised the limit","went_well":["fast page"],"lucky":["no data loss"]}"#;
    let stored = block_on(put_rca(&desk.store, &desk.sre, 1, rca, later(3))).unwrap();
    assert_eq!(stored.root_causes.len(), 1);
    assert_eq!(desk.problem(&desk.sre, 1).unwrap().rca, stored);
    let audits = desk.store.audit_count();
    let duplicate = br#"{"root_causes":[{"id":1,"summary":"a","class":"capacity"},{"id":1,"summary":"b","class":"change"}]}"#;
    let err = block_on(put_rca(&desk.store, &desk.sre, 1, duplicate, later(4))).unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.body().error.field.as_deref(), Some("root_causes[1].id"));
    assert_eq!(desk.store.audit_count(), audits);
    assert_eq!(desk.problem(&desk.sre, 1).unwrap().rca, stored);
}

/// SPEC V8: an item is verified only with evidence; wont_do is management's
/// alone, with a reason; refusals store nothing.
#[test]
fn remediation_items_follow_v8() {
    let desk = desk();
    desk.resolved_p1();
    let item = desk.add_item(1);
    let audits = desk.store.audit_count();
    let err = desk
        .item_action(
            &desk.sre,
            item,
            r#"{"action":"decline","reason":"not worth it"}"#,
            later(4),
        )
        .unwrap_err();
    assert_eq!(err.status(), 403);
    let err = desk
        .item_action(&desk.sre, item, r#"{"action":"verify"}"#, later(4))
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.body().error.field.as_deref(), Some("evidence"));
    assert_eq!(desk.store.audit_count(), audits);
    let stored = block_on(desk.store.remediation_item(item))
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, RemediationStatus::Open);
    let declined = desk
        .item_action(
            &desk.boss,
            item,
            r#"{"action":"decline","reason":"the pool is being replaced"}"#,
            later(5),
        )
        .unwrap();
    assert_eq!(declined.item.status, RemediationStatus::WontDo);
    assert_eq!(desk.store.audit_count(), audits + 1);
}

/// SPEC R4: a vendor RCA files its pending remediations as vendor-owned items.
#[test]
fn vendor_rca_brings_vendor_owned_items() {
    let desk = desk();
    desk.resolved_p1();
    let body = br#"{"vendor":"Acme DB","received_at":"2026-11-20T12:00:00Z","document":{"link":"https://acme.example/rca/9"},"stated_root_cause":"A firmware bug dropped connections","pending_remediations":[{"title":"Firmware 2.1 rollout","kind":"prevent","contact":"Bob","due_at":"2026-12-20T00:00:00Z"}]}"#;
    let detail = block_on(add_vendor_rca(&desk.store, &desk.sre, 1, body, later(3))).unwrap();
    assert_eq!(detail.vendor_rcas.len(), 1);
    let items = &detail.vendor_rcas[0].items;
    assert_eq!(items.len(), 1);
    assert!(items[0].item.owner.is_vendor());
    assert_eq!(items[0].item.vendor_rca, Some(detail.vendor_rcas[0].rca.id));
    assert!(detail.remediation.is_empty());
}

/// SPEC R6: after the fix was verified, the same system and host fails
/// again: the new incident is linked when it is created, raised to the
/// problem's priority with a timeline entry, shows the banner, the problem
/// reopens with the fix kept as ineffective, and management's channel gets
/// a page in the outbox.
#[test]
fn a_recurrence_after_a_verified_fix_reopens_and_pages_management() {
    let desk = desk();
    desk.resolved_p1();
    desk.verify_fix(1);
    assert_eq!(desk.problem(&desk.sre, 1).unwrap().fix, FixStatus::Verified);
    assert!(desk.store.queued_bodies(desk.management).is_empty());

    let again = desk.incident(DB_P3, later(20));
    let view = block_on(desk.store.get_incident(again)).unwrap().unwrap();
    assert_eq!(view.state.priority, Priority::P1);
    let detail = desk.problem(&desk.sre, 1).unwrap();
    assert!(detail.problem.links(again));
    assert_eq!(detail.problem.status, ProblemStatus::Investigating);
    assert_eq!(detail.problem.ineffective_fixes.len(), 1);
    assert_eq!(detail.problem.ineffective_fixes[0].recurrence, Some(again));
    let bodies = desk.store.queued_bodies(desk.management);
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("did not hold"), "{}", bodies[0]);
    assert!(bodies[0].contains("problem #1"), "{}", bodies[0]);

    let incident = block_on(get_incident_with_recurrence(
        &desk.store,
        &desk.sre,
        again,
        later(21),
    ))
    .unwrap();
    let banner = incident.recurrence.unwrap();
    assert_eq!(banner.problem, 1);
    assert!(banner.fix_ineffective);
    assert!(banner.text.starts_with("recurrence of problem #1, fix:"));
    assert!(incident.timeline.iter().any(|e| matches!(
        &e.event,
        TimelineEvent::PriorityChanged(p) if p.decision == PriorityChangeKind::Raised && p.to == Priority::P1
    )));
    assert!(incident.timeline.iter().any(|e| e.event
        == TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
            problem: 1,
            strength: beacon_shared::recurrence::MatchStrength::SystemHost,
            fix: FixStatus::Verified,
            raised_from: Some(Priority::P3),
        })));
    assert!(incident.timeline.iter().any(|e| e.event
        == TimelineEvent::ProblemReopened(ProblemReopenedNote {
            problem: 1,
            fix_ineffective: true,
        })));
}

/// SPEC R6: a recurrence while the fix is still under way is linked and
/// raised, but the problem stays as it is and nobody is paged.
#[test]
fn a_recurrence_before_the_fix_is_only_linked() {
    let desk = desk();
    desk.resolved_p1();
    desk.add_item(1);
    let again = desk.incident(DB_P3, later(20));
    let detail = desk.problem(&desk.sre, 1).unwrap();
    assert!(detail.problem.links(again));
    assert_eq!(detail.problem.status, ProblemStatus::New);
    assert!(desk.store.queued_bodies(desk.management).is_empty());
    let incident = block_on(get_incident_with_recurrence(
        &desk.store,
        &desk.sre,
        again,
        later(21),
    ))
    .unwrap();
    let banner = incident.recurrence.unwrap();
    assert_eq!(banner.fix, FixStatus::InProgress);
    assert_eq!(banner.text, "recurrence of problem #1, fix: in progress");
    assert!(!banner.fix_ineffective);
    // An unrelated incident is not a recurrence.
    let other = desk.incident(
        br#"{"title":"Web slow","facts":{"system":"web","hostname":"web1.example.net"}}"#,
        later(22),
    );
    assert!(block_on(get_incident_with_recurrence(
        &desk.store,
        &desk.sre,
        other,
        later(23)
    ))
    .unwrap()
    .recurrence
    .is_none());
}

/// SPEC K3: a Security problem, by category or through a linked Security
/// incident, is missing for an SRE (by id and in the list) and visible to
/// security and management.
#[test]
fn security_problems_are_restricted() {
    let desk = desk();
    let security = actor(&desk.store, "sue", Role::Security);
    let own = br#"{"title":"Leaked token","category":"Security","priority":"P2","origin":{"report_row":{"report":"audit","row":"token"}}}"#;
    let restricted = block_on(create_problem(&desk.store, &security, own, NOW)).unwrap();
    let incident = block_on(create_incident(
        &desk.store,
        &security,
        br#"{"title":"Credential stuffing","category":"Security","facts":{}}"#,
        NOW,
        BASE,
    ))
    .unwrap()
    .id;
    let body =
        format!(r#"{{"title":"Stuffing","origin":{{"from_incident":{{"incident":{incident}}}}}}}"#);
    let linked = block_on(create_problem(&desk.store, &security, body.as_bytes(), NOW)).unwrap();
    let open = block_on(create_problem(
        &desk.store,
        &desk.sre,
        br#"{"title":"Slow login","origin":{"report_row":{"report":"r","row":"login"}}}"#,
        NOW,
    ))
    .unwrap();
    for id in [restricted.problem.id, linked.problem.id] {
        let err = desk.problem(&desk.sre, id).unwrap_err();
        assert_eq!(err.status(), 404);
        assert_eq!(err, ApiError::NotFound { what: "problem" });
        assert!(desk.problem(&security, id).is_ok());
        assert!(desk.problem(&desk.boss, id).is_ok());
    }
    let ids = |who: &Actor| -> Vec<i64> {
        block_on(list_problems(&desk.store, who, NOW))
            .unwrap()
            .problems
            .iter()
            .map(|p| p.id)
            .collect()
    };
    assert_eq!(ids(&desk.sre), vec![open.problem.id]);
    assert_eq!(ids(&security).len(), 3);
    // Their remediation items stay off an SRE's board.
    block_on(add_remediation_item(
        &desk.store,
        &security,
        restricted.problem.id,
        br#"{"title":"Rotate every token","kind":"prevent","owner":{"person":{"name":"sue"}},"due_at":"2026-12-31T00:00:00Z"}"#,
        NOW,
    ))
    .unwrap();
    let board = |who: &Actor| {
        block_on(remediation_board(&desk.store, who, NOW))
            .unwrap()
            .items
            .len()
    };
    assert_eq!(board(&desk.sre), 0);
    assert_eq!(board(&security), 1);
    // A change by an SRE finds nothing either.
    let err = block_on(put_rca(
        &desk.store,
        &desk.sre,
        restricted.problem.id,
        b"{}",
        NOW,
    ))
    .unwrap_err();
    assert_eq!(err.status(), 404);
}

/// SPEC K3: management's page about a Security problem's failed fix, read
/// by a channel without clearance, says only the restricted headline.
#[test]
fn a_recurrence_page_without_clearance_is_restricted() {
    let desk = desk();
    let security = actor(&desk.store, "sue", Role::Security);
    let own = br#"{"title":"Leaked token in CI logs","category":"Security","priority":"P1","origin":{"report_row":{"report":"audit","row":"token"}}}"#;
    let problem = block_on(create_problem(&desk.store, &security, own, NOW)).unwrap();
    let record = block_on(desk.store.get_problem(problem.problem.id))
        .unwrap()
        .unwrap()
        .record;
    let incident = block_on(desk.store.get_incident(desk.incident(DB_P3, NOW)))
        .unwrap()
        .unwrap();
    let team = recurrence_page_body(
        ChannelFormat::Generic,
        Reader::Team("dba"),
        &record,
        &incident,
        BASE,
    );
    assert!(team.contains("details restricted"), "{team}");
    assert!(!team.contains("Leaked"), "{team}");
    let management = recurrence_page_body(
        ChannelFormat::Slack,
        Reader::Management,
        &record,
        &incident,
        BASE,
    );
    assert!(
        management.contains("Leaked token in CI logs"),
        "{management}"
    );
}

/// SPEC R3: linking an incident by hand adds its signatures; twice is 409.
#[test]
fn link_an_incident_by_hand() {
    let desk = desk();
    let row = br#"{"title":"Login 502s","priority":"P2","origin":{"report_row":{"report":"repeat cases","row":"login 502s"}}}"#;
    block_on(create_problem(&desk.store, &desk.sre, row, NOW)).unwrap();
    let incident = desk.incident(DB_P3, NOW);
    let body = format!(r#"{{"incident":{incident}}}"#);
    let detail = block_on(link_incident(
        &desk.store,
        &desk.sre,
        1,
        body.as_bytes(),
        later(1),
    ))
    .unwrap();
    assert!(detail.problem.links(incident));
    assert!(!detail.problem.signatures.is_empty());
    let err = block_on(link_incident(
        &desk.store,
        &desk.sre,
        1,
        body.as_bytes(),
        later(2),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 409);
}

/// A PagerDuty event for the ledger alert of the webhook test.
fn ledger_event(routing_key: &str, action: &str, severity: &str) -> Vec<u8> {
    serde_json::json!({
        "routing_key": routing_key, "event_action": action, "dedup_key": "ledger-writes",
        "payload": {"summary": "Ledger writes failing", "source": "ledger-7", "severity": severity}
    })
    .to_string()
    .into_bytes()
}

/// SPEC R6: a webhook's new incident that matches a problem's alert key is
/// linked when it is created, raised, and after a verified fix reopens the
/// problem and pages management.
#[test]
fn a_webhook_recurrence_is_linked_raised_and_pages_management() {
    use beacon_shared::alert::DedupKey;
    let desk = desk();
    let admin = actor(&desk.store, "root", Role::Admin);
    let routing_key = block_on(crate::alerts::create_integration(
        &desk.store,
        &admin,
        br#"{"name":"pd-ledger","format":"pagerduty","owner_group":"web"}"#,
        NOW,
        "bki_secret_of_pd_ledger".into(),
    ))
    .unwrap()
    .secret;
    let send = |action: &str, severity: &str, at: Timestamp| {
        block_on(crate::ingest::pagerduty_event(
            &desk.store,
            &ledger_event(&routing_key, action, severity),
            DedupKey::parse("0123456789abcdef0123456789abcdef").unwrap(),
            at,
            BASE,
        ))
        .unwrap()
    };
    send("trigger", "critical", NOW);
    let first = desk.store.incident_count() as i64;
    desk.move_incident(first, br#"{"action":"start_triage"}"#, later(1));
    block_on(crate::incidents::change_category(
        &desk.store,
        &desk.sre,
        first,
        br#"{"category":"Payments","labels":[]}"#,
        later(1),
    ))
    .unwrap();
    for body in [
        &br#"{"action":"classify_as_problem","priority":"P0"}"#[..],
        br#"{"action":"resolve"}"#,
    ] {
        desk.move_incident(first, body, later(1));
    }
    let problem = desk.problem(&desk.sre, 1).unwrap().problem;
    assert!(problem.signatures.iter().any(|s| matches!(
        s,
        RecurrenceSignature::AlertKey { integration, .. } if integration.as_str() == "pd-ledger"
    )));
    desk.verify_fix(1);
    send("resolve", "critical", later(10));
    assert_eq!(desk.store.problem_counts().0, 1);

    send("trigger", "warning", later(20));
    let again = desk.store.incident_count() as i64;
    assert_ne!(again, first);
    let record = block_on(desk.store.get_incident(again)).unwrap().unwrap();
    assert_eq!(record.state.priority, Priority::P0);
    let detail = desk.problem(&desk.sre, 1).unwrap();
    assert!(detail.problem.links(again));
    assert_eq!(detail.problem.status, ProblemStatus::Investigating);
    assert_eq!(desk.store.queued_bodies(desk.management).len(), 1);
}

/// A problem with one remediation item owned by sam, due two days after
/// NOW, and a generic channel for sam.
fn desk_with_due_item() -> (Desk, i64) {
    let desk = desk();
    desk.resolved_p1();
    let admin = actor(&desk.store, "root", Role::Admin);
    let sam = block_on(create_channel(
        &desk.store,
        &admin,
        br#"{"owner_kind":"person","owner":"sam","format":"generic","url":"https://hooks.example/sam"}"#,
        NOW,
        "bks_test".into(),
    ))
    .unwrap()
    .id;
    block_on(add_remediation_item(
        &desk.store,
        &desk.sre,
        1,
        br#"{"title":"Add a replica","kind":"mitigate","owner":{"person":{"name":"sam"}},"due_at":"2026-11-27T00:00:00Z"}"#,
        later(3),
    ))
    .unwrap();
    (desk, sam)
}

/// SPEC V8: an open remediation item reminds its owner a day before its
/// due instant and tells management once it has passed, each once.
#[test]
fn an_overdue_item_reminds_its_owner_then_tells_management() {
    let (desk, sam) = desk_with_due_item();
    let due = Timestamp::parse("2026-11-27T00:00:00Z").unwrap();
    let at = |minutes_before: i64| {
        Timestamp::from_unix_millis(due.unix_millis() - minutes_before * 60_000)
    };
    let sweep = |t| block_on(post_incident_sweep(&desk.store, t, BASE)).unwrap();
    assert_eq!(sweep(at(24 * 60 + 1)), 0);
    assert!(desk.store.queued_bodies(sam).is_empty());
    assert_eq!(sweep(at(24 * 60)), 1);
    assert_eq!(sweep(at(60)), 0);
    let reminders = desk.store.queued_bodies(sam);
    assert_eq!(reminders.len(), 1);
    assert!(
        reminders[0].contains("post_incident_reminder"),
        "{}",
        reminders[0]
    );
    assert!(reminders[0].contains("Add a replica"), "{}", reminders[0]);
    assert!(desk.store.queued_bodies(desk.management).is_empty());
    assert_eq!(sweep(at(0)), 1);
    assert_eq!(sweep(at(-60)), 0);
    let missed = desk.store.queued_bodies(desk.management);
    assert_eq!(missed.len(), 1);
    assert!(missed[0].contains("post_incident_missed"), "{}", missed[0]);
    assert_eq!(desk.store.queued_bodies(sam).len(), 1);
}

/// SPEC V8: the reminder follows the configured limits; a done item is not chased.
#[test]
fn configured_limits_move_the_reminder() {
    let (desk, sam) = desk_with_due_item();
    let limits = r#"{"report_draft":4320,"review":10080,"remind_before":60}"#;
    let body = format!(
        r#"{{"p0":{limits},"p1":{{"remind_before":60}},"p2":{{"remind_before":60}},"p3":{{"remind_before":60}}}}"#
    );
    let err = block_on(put_post_incident_config(
        &desk.store,
        &desk.sre,
        body.as_bytes(),
        NOW,
    ))
    .unwrap_err();
    assert_eq!(err.status(), 403);
    block_on(put_post_incident_config(
        &desk.store,
        &desk.boss,
        body.as_bytes(),
        NOW,
    ))
    .unwrap();
    let due = Timestamp::parse("2026-11-27T00:00:00Z").unwrap();
    let at = |minutes_before: i64| {
        Timestamp::from_unix_millis(due.unix_millis() - minutes_before * 60_000)
    };
    let sweep = |t| block_on(post_incident_sweep(&desk.store, t, BASE)).unwrap();
    assert_eq!(sweep(at(61)), 0);
    assert_eq!(sweep(at(60)), 1);
    assert_eq!(desk.store.queued_bodies(sam).len(), 1);
    // Done in time: management hears nothing.
    let item = desk.problem(&desk.sre, 1).unwrap().remediation[0].item.id;
    for body in [r#"{"action":"start"}"#, r#"{"action":"complete"}"#] {
        desk.item_action(&desk.sre, item, body, at(30)).unwrap();
    }
    assert_eq!(sweep(at(-60)), 0);
    assert!(desk.store.queued_bodies(desk.management).is_empty());
}

/// SPEC R3: a writer assigns the problem's owner, with its audit record; a viewer may not.
#[test]
fn an_owner_is_assigned_and_audited() {
    let desk = desk();
    desk.resolved_p1();
    let audits = desk.store.audit_count();
    let viewer = actor(&desk.store, "vic", Role::Viewer);
    let err = block_on(assign_owner(
        &desk.store,
        &viewer,
        1,
        br#"{"owner":"sam"}"#,
        later(3),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 403);
    assert_eq!(desk.store.audit_count(), audits);
    let detail = block_on(assign_owner(
        &desk.store,
        &desk.sre,
        1,
        br#"{"owner":"sam"}"#,
        later(3),
    ))
    .unwrap();
    assert_eq!(
        detail.problem.owner.as_ref().map(|o| o.as_str()),
        Some("sam")
    );
    assert_eq!(desk.store.audit_count(), audits + 1);
}

/// SPEC R6: signatures set by hand are checked, naming the field, and a
/// refusal stores nothing.
#[test]
fn signatures_set_by_hand_are_checked() {
    let desk = desk();
    desk.resolved_p1();
    let before = desk.problem(&desk.sre, 1).unwrap().problem.signatures;
    let audits = desk.store.audit_count();
    let err = block_on(put_signatures(
        &desk.store,
        &desk.sre,
        1,
        br#"{"signatures":[{"category_rules":{"category":"Payments","rules":[]}}]}"#,
        later(3),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(
        err.body().error.field.as_deref(),
        Some("signatures[0].category_rules.rules")
    );
    assert_eq!(desk.store.audit_count(), audits);
    assert_eq!(
        desk.problem(&desk.sre, 1).unwrap().problem.signatures,
        before
    );
    let set = block_on(put_signatures(
        &desk.store,
        &desk.sre,
        1,
        br#"{"signatures":[{"system_host":{"system":"payments-db","host":"db2.example.net"}}]}"#,
        later(3),
    ))
    .unwrap();
    assert_eq!(set.problem.signatures.len(), 1);
}
