//! "Never twice" (SPEC R3, R4, R6) as one pure walk: a resolved P0 opens a
//! problem that learns the incident's signatures; its remediation (ours and a
//! vendor's) is verified and the problem resolved; the same fingerprint fires
//! again and the new incident is linked, raised to P0, the problem reopens
//! with its fix marked ineffective, and management is paged.

use beacon_shared::alert::DedupKey;
use beacon_shared::api::post_incident::RecurrenceBanner;
use beacon_shared::category::Category;
use beacon_shared::problem::{
    problem_required, LinkReason, OpenProblem, Problem, ProblemOrigin, ProblemStatus,
    ProblemTransition,
};
use beacon_shared::rca::Narrative;
use beacon_shared::recurrence::{
    check_signatures, match_recurrence, AlertIdentity, FixStatus, ProblemSignatures,
    RecurrenceFacts, RecurrenceSignature,
};
use beacon_shared::refusal::{Refusal, RefusalKind};
use beacon_shared::remediation::{
    Evidence, NewRemediationItem, RemediationItem, RemediationKind, RemediationOwner,
    RemediationTransition,
};
use beacon_shared::triage::{Hostname, LinkUrl, Name, Title};
use beacon_shared::vendor_rca::{NewVendorRca, VendorDocument, VendorRemediation};
use beacon_shared::{Priority, Role, RuleId, Timestamp};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const DAY: i64 = 86_400_000;

fn day(n: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0.unix_millis() + n * DAY)
}

fn name(text: &str) -> Name {
    Name::parse(text).unwrap()
}

fn facts(priority: Priority, fingerprint: &str) -> RecurrenceFacts {
    RecurrenceFacts {
        priority: Some(priority),
        alert: Some(AlertIdentity {
            integration: name("prod-alertmanager"),
            dedup_key: DedupKey::parse(fingerprint).unwrap(),
            alertname: Some("CheckoutDown".into()),
            service: Some("checkout".into()),
        }),
        system: Some(name("checkout")),
        host: Some(Hostname::parse("co1.example").unwrap()),
        category: Some(Category::parse("Checkout").unwrap()),
        rules: vec![RuleId::CompleteLossOfAccess],
    }
}

fn verify(item: RemediationItem, at: Timestamp) -> RemediationItem {
    let done = item
        .transition(&RemediationTransition::Complete, Role::Sre, at)
        .unwrap();
    done.transition(
        &RemediationTransition::Verify {
            evidence: Evidence::Text(Narrative::parse("load test at 3x peak passed").unwrap()),
        },
        Role::Engineer,
        at,
    )
    .unwrap()
}

/// SPEC R3, R4, R6: the whole loop, pure.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_verified_fix_that_fails_reopens_the_problem_and_pages_management() {
    // The P0 is resolved; no open problem links it, so one opens by itself.
    assert!(problem_required(Priority::P0, &[]));
    let mut problem = Problem::open(
        OpenProblem {
            id: 1,
            title: Title::parse("Checkout down").unwrap(),
            priority: Priority::P0,
            category: Some(Category::parse("Checkout").unwrap()),
            origin: ProblemOrigin::ResolvedHighPriority { incident: 42 },
            incidents: vec![(42, Priority::P0)],
            owner: None,
        },
        None,
        day(0),
    )
    .unwrap();
    assert_eq!(problem.learn_signatures(&facts(Priority::P0, "fp-1")), 4);
    assert_eq!(problem.learn_signatures(&facts(Priority::P0, "fp-1")), 0);
    assert!(check_signatures(&problem.signatures).is_ok());

    // Our item, and the vendor's pending remediation as a vendor-owned item.
    let ours = RemediationItem::new(
        1,
        1,
        NewRemediationItem {
            title: Title::parse("Raise the pool size").unwrap(),
            kind: RemediationKind::Prevent,
            owner: RemediationOwner::Person {
                name: name("alice"),
            },
            owning_group: Some(name("platform")),
            due_at: day(10),
        },
        None,
        day(1),
    )
    .unwrap();
    let (vendor_rca, pending) = NewVendorRca {
        vendor: name("Acme CDN"),
        received_at: day(2),
        document: VendorDocument::Link(LinkUrl::parse("https://acme.example/rca/7").unwrap()),
        stated_root_cause: Narrative::parse("A filter update dropped our routes").unwrap(),
        class: beacon_shared::rca::CauseClass::DependencyOrVendor,
        owning_group: Some(name("network")),
        pending_remediations: vec![VendorRemediation {
            title: Title::parse("Staged filter roll-outs").unwrap(),
            kind: RemediationKind::Process,
            contact: name("noc@acme"),
            due_at: day(12),
        }],
    }
    .record(3, 1, Role::Sre, day(2))
    .unwrap();
    let theirs =
        RemediationItem::new(2, 1, pending[0].clone(), Some(vendor_rca.id), day(2)).unwrap();
    assert!(theirs.owner.is_vendor());

    let at_day_5 = ProblemSignatures::of(&problem, &[ours.clone(), theirs.clone()], day(5));
    assert_eq!(at_day_5.fix, FixStatus::InProgress);
    let at_day_11 = ProblemSignatures::of(&problem, &[ours.clone(), theirs.clone()], day(11));
    assert_eq!(at_day_11.fix, FixStatus::Overdue);

    let items = [verify(ours, day(8)), verify(theirs, day(9))];
    for transition in [
        ProblemTransition::StartInvestigating,
        ProblemTransition::StartFix,
        ProblemTransition::Resolve {
            verification: Evidence::Link(LinkUrl::parse("https://ci.example/load/12").unwrap()),
        },
    ] {
        problem = problem.transition(&transition, Role::Sre, day(9)).unwrap();
    }
    assert_eq!(problem.status, ProblemStatus::Resolved);

    // The same fingerprint fires again as a P2.
    let candidates = [ProblemSignatures::of(&problem, &items, day(20))];
    let found = match_recurrence(&candidates, &facts(Priority::P2, "fp-1")).unwrap();
    assert_eq!(found.problem, 1);
    assert_eq!(found.priority, Priority::P0);
    assert!(found.pages_management());
    let banner = RecurrenceBanner::from(&found);
    assert_eq!(banner.text, "recurrence of problem #1, fix: verified");
    assert!(banner.fix_ineffective);
    let kinds: Vec<&str> = found.timeline_events().iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            "linked_to_problem",
            "recurrence_of_problem",
            "problem_reopened"
        ]
    );

    let reopened = problem.record_recurrence(43, &found, day(20)).unwrap();
    assert_eq!(reopened.status, ProblemStatus::Investigating);
    assert_eq!(reopened.ineffective_fixes.len(), 1);
    assert_eq!(reopened.ineffective_fixes[0].recurrence, Some(43));
    let link = reopened.incidents.last().unwrap();
    assert_eq!(
        (link.incident, link.priority, link.reason),
        (43, Priority::P0, LinkReason::Recurrence)
    );
    let err = reopened.record_recurrence(43, &found, day(20)).unwrap_err();
    assert_eq!(err.refusal_kind(), RefusalKind::Conflict);

    // A third occurrence while the problem is reopened is linked, not paged again.
    let candidates = [ProblemSignatures::of(&reopened, &items, day(21))];
    let third = match_recurrence(&candidates, &facts(Priority::P3, "fp-1")).unwrap();
    assert_eq!(third.fix, FixStatus::NotPlanned);
    assert!(!third.pages_management());
    assert_eq!(third.timeline_events().len(), 2);
}

/// SPEC R6: signatures set by hand are checked, naming the field.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn hand_made_signatures_are_checked() {
    let no_rules = RecurrenceSignature::CategoryRules {
        category: Category::parse("Checkout").unwrap(),
        rules: vec![],
    };
    let err = check_signatures(&[no_rules]).unwrap_err();
    assert_eq!(
        err.refusal_kind(),
        RefusalKind::Invalid {
            field: "signatures[0].category_rules.rules".into()
        }
    );
    let key = RecurrenceSignature::AlertKey {
        integration: name("am"),
        dedup_key: DedupKey::parse("fp").unwrap(),
    };
    let err = check_signatures(&[key.clone(), key]).unwrap_err();
    assert_eq!(
        err.refusal_kind(),
        RefusalKind::Invalid {
            field: "signatures[1]".into()
        }
    );
    let blank = RecurrenceSignature::AlertRule {
        integration: name("am"),
        alertname: " ".into(),
        service: None,
    };
    assert!(check_signatures(&[blank]).is_err());
}
