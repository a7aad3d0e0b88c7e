//! Native tests of the incident report and review handlers against the
//! in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::incidents::{create_incident, transition};
use crate::memory::MemoryStore;
use crate::problems::{add_remediation_item, add_vendor_rca, put_rca};
use crate::status_editing::create_public_incident;
use crate::stores::StatusPageStore;
use beacon_shared::incident_report::ReportStatus;
use beacon_shared::role::Role;
use pollster::block_on;
use serde_json::{json, Value};

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.test";

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

fn bytes(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

fn field(err: &ApiError) -> Option<String> {
    err.body().error.field.clone()
}

struct Desk {
    store: MemoryStore,
    sre: Actor,
    boss: Actor,
    csup: Actor,
    /// The problem of the resolved P0.
    problem: i64,
    /// Its internal incident.
    ticket: i64,
}

const RCA: &[u8] = br#"{"root_causes":[{"id":1,"summary":"The connection pool was too small for the peak","class":"capacity"}],"contributing_factors":[],"trigger":"A marketing mail doubled the traffic","resolution":"The pool was enlarged"}"#;

/// A P0 in `category`, resolved: Beacon opens its problem.
fn resolved_p0(store: &MemoryStore, who: &Actor, category: &str) -> (i64, i64) {
    let body = bytes(json!({
        "title": "Checkout fails",
        "category": category,
        "facts": {"measurements": {"major_function_lost": true}},
    }));
    let ticket = block_on(create_incident(store, who, &body, NOW, BASE))
        .unwrap()
        .id;
    for (action, at) in [
        (r#"{"action":"classify_as_problem","priority":"P0"}"#, 1),
        (r#"{"action":"resolve"}"#, 20),
    ] {
        block_on(transition(store, who, ticket, action.as_bytes(), later(at))).unwrap();
    }
    let problem = block_on(store.problems_of_incident(ticket)).unwrap()[0]
        .problem
        .id;
    (ticket, problem)
}

fn desk() -> Desk {
    let store = MemoryStore::default();
    let sre = actor(&store, "sam", Role::Sre);
    let boss = actor(&store, "max", Role::Management);
    let csup = actor(&store, "cleo", Role::CustomerSupport);
    let (ticket, problem) = resolved_p0(&store, &sre, "Payments");
    block_on(create_public_incident(
        &store,
        &csup,
        &bytes(json!({"from_incident": ticket, "status": "investigating", "body": "We are looking into failed payments."})),
        later(2),
        &mut (1..).map(|n| format!("pi{n}")),
        BASE,
    ))
    .unwrap();
    block_on(put_rca(&store, &sre, problem, RCA, later(21))).unwrap();
    block_on(add_remediation_item(
        &store,
        &sre,
        problem,
        br#"{"title":"Alert on pool saturation","kind":"detect","owner":{"person":{"name":"sam"}},"due_at":"2026-12-31T00:00:00Z"}"#,
        later(22),
    ))
    .unwrap();
    block_on(add_vendor_rca(
        &store,
        &sre,
        problem,
        br#"{"vendor":"Acme DB","received_at":"2026-11-20T12:00:00Z","document":{"link":"https://acme.example/rca/9"},"stated_root_cause":"A firmware bug dropped connections","pending_remediations":[{"title":"Firmware 2.1 rollout","kind":"prevent","contact":"Bob","due_at":"2026-12-20T00:00:00Z"}]}"#,
        later(23),
    ))
    .unwrap();
    Desk {
        store,
        sre,
        boss,
        csup,
        problem,
        ticket,
    }
}

impl Desk {
    fn draft(&self) -> ReportPage {
        block_on(draft_report(
            &self.store,
            &self.sre,
            self.problem,
            b"",
            later(30),
        ))
        .unwrap()
    }

    fn get(&self, who: &Actor) -> Result<ReportPage, ApiError> {
        block_on(get_report(&self.store, who, self.problem))
    }

    fn content(&self) -> Value {
        serde_json::to_value(&self.get(&self.sre).unwrap().view.report.content).unwrap()
    }

    fn edit(&self, content: Value, at: i64) -> Result<ReportPage, ApiError> {
        block_on(edit_report(
            &self.store,
            &self.sre,
            self.problem,
            &bytes(json!({ "content": content })),
            later(at),
        ))
    }

    fn act(&self, action: &str, at: i64) -> ReportPage {
        block_on(transition_report(
            &self.store,
            &self.sre,
            self.problem,
            &bytes(json!({ "action": action })),
            later(at),
        ))
        .unwrap()
    }

    fn approve(&self, who: &Actor, acknowledged: Value, at: i64) -> Result<ReportPage, ApiError> {
        let version = self.get(&self.boss).unwrap().view.report.version;
        block_on(approve_report(
            &self.store,
            who,
            self.problem,
            &bytes(json!({
                "version": version,
                "checklist": {"content": true, "commitments": true, "tone": true},
                "acknowledged_warnings": acknowledged,
            })),
            later(at),
        ))
    }

    fn publish(&self, who: &Actor, at: i64) -> Result<PublishedReport, ApiError> {
        block_on(publish_report(&self.store, who, self.problem, later(at)))
    }

    fn public_postmortem(&self) -> Option<String> {
        let contents = block_on(self.store.page_contents()).unwrap();
        contents
            .incidents
            .iter()
            .find_map(|i| i.postmortem().map(|p| p.body.clone()))
    }

    fn audit_actions(&self) -> Vec<String> {
        block_on(crate::users::audit_log(&self.store, &self.boss))
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    /// Drafts, adds a blaming customer-visible section, and takes the report
    /// to management review; the tone warning's id.
    fn in_management_review(&self) -> String {
        self.draft();
        let mut content = self.content();
        content["sections"].as_array_mut().unwrap().push(json!({
            "id": 90, "title": "What happened", "customer_visible": true,
            "content": {"free": {"text": "A human error in the pool settings took checkout down."}},
        }));
        self.edit(content, 31).unwrap();
        self.act("submit_for_engineering_review", 32);
        let page = self.act("submit_for_management_review", 33);
        assert_eq!(page.view.report.status, ReportStatus::ManagementReview);
        page.view.tone_warnings[0].id.0.clone()
    }
}

/// SPEC V5, R1: the draft is composed from the ticket: the impact window of
/// the P0, its timeline (internal), the RCA and the remediation plan, every
/// commitment linked to a remediation item (a vendor's too).
#[test]
fn a_draft_is_composed_from_the_ticket() {
    let desk = desk();
    let page = desk.draft();
    let report = &page.view.report;
    assert_eq!(report.status, ReportStatus::Draft);
    assert_eq!(report.problem, desk.problem);
    let titles: Vec<&str> = report
        .content
        .sections
        .iter()
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Impact",
            "Timeline",
            "Root cause",
            "What we are doing about it"
        ]
    );
    assert!(!report.content.sections[1].customer_visible);
    let plan = &report.content.sections[3];
    assert_eq!(plan.commitments.len(), 2);
    assert!(plan
        .commitments
        .iter()
        .all(|c| c.remediation_item.is_some()));
    let preview = serde_json::to_string(&page.view.customer_preview).unwrap();
    assert!(preview.contains("connection pool was too small"));
    assert!(!preview.contains("Timeline"));
    assert!(page.view.published.is_none());
    assert!(desk.audit_actions().contains(&"report.create".to_owned()));
    let again = block_on(draft_report(
        &desk.store,
        &desk.sre,
        desk.problem,
        b"",
        later(31),
    ))
    .unwrap_err();
    assert_eq!(again.status(), 409);
    assert_eq!(desk.store.report_counts().0, 1);
}

/// SPEC R5: an SRE may not approve (403), an unapproved report is not
/// published (409), tone warnings must each be acknowledged (422), and
/// every refusal stores nothing.
#[test]
fn approval_is_managements_and_refusals_store_nothing() {
    let desk = desk();
    let warning = desk.in_management_review();
    let audits = desk.store.audit_count();
    let before = desk.get(&desk.sre).unwrap();

    let err = desk.approve(&desk.sre, json!([warning]), 34).unwrap_err();
    assert_eq!(err.status(), 403);
    let err = desk.publish(&desk.boss, 34).unwrap_err();
    assert_eq!(err.status(), 409);
    let err = desk.approve(&desk.boss, json!([]), 34).unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(field(&err).as_deref(), Some("acknowledged_warnings"));

    assert_eq!(desk.store.audit_count(), audits);
    assert_eq!(desk.get(&desk.sre).unwrap(), before);
    assert_eq!(desk.public_postmortem(), None);

    let approved = desk.approve(&desk.boss, json!([warning]), 35).unwrap();
    assert!(approved.view.approved);
    assert_eq!(approved.view.report.status, ReportStatus::Approved);
}

/// SPEC R5: a customer-visible commitment without a remediation item is 422
/// naming the section's field path, and nothing is stored.
#[test]
fn a_commitment_needs_a_remediation_item() {
    let desk = desk();
    desk.draft();
    let audits = desk.store.audit_count();
    let before = desk.get(&desk.sre).unwrap();
    let mut content = desk.content();
    content["sections"][3]["commitments"]
        .as_array_mut()
        .unwrap()
        .push(json!({"text": "We will never let this happen again"}));
    let err = desk.edit(content, 31).unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(
        field(&err).as_deref(),
        Some("sections[3].commitments[2].remediation_item")
    );
    assert_eq!(desk.store.audit_count(), audits);
    assert_eq!(desk.get(&desk.sre).unwrap(), before);
}

/// SPEC R5: the approved report is published as the public incident's
/// postmortem; an edit voids the approval (the audit names it) and the public
/// incident keeps the approved text until a new approval is published.
#[test]
fn publishing_puts_the_approved_text_on_the_public_incident() {
    let desk = desk();
    let warning = desk.in_management_review();
    desk.approve(&desk.boss, json!([warning]), 35).unwrap();
    let err = desk.publish(&desk.sre, 36).unwrap_err();
    assert_eq!(err.status(), 403);
    let published = desk.publish(&desk.csup, 36).unwrap();
    assert_eq!(published.page.view.report.status, ReportStatus::Published);
    assert!(published.public_incident.is_some());
    let body = desk.public_postmortem().unwrap();
    assert!(body.contains("connection pool was too small"));
    assert!(
        !body.contains("Timeline"),
        "internal sections stay internal"
    );

    let mut content = desk.content();
    content["sections"][4]["content"]["free"]["text"] = json!("The pool settings were too small.");
    let edited = desk.edit(content, 40).unwrap();
    assert!(!edited.view.approved);
    assert_eq!(edited.view.report.status, ReportStatus::Revised);
    assert_eq!(
        edited.view.published.as_ref().map(|p| p.postmortem_body()),
        Some(body.clone())
    );
    assert_eq!(desk.public_postmortem(), Some(body.clone()));
    let err = desk.publish(&desk.boss, 41).unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(desk.public_postmortem(), Some(body.clone()));
    let log = block_on(crate::users::audit_log(&desk.store, &desk.boss)).unwrap();
    let voided: Vec<bool> = log
        .entries
        .iter()
        .filter(|e| e.action == "report.edit")
        .map(|e| e.after.as_ref().unwrap()["voided_approval"].is_object())
        .collect();
    assert_eq!(voided.len(), 2);
    assert_eq!(voided.iter().filter(|v| **v).count(), 1);

    desk.approve(&desk.boss, json!([]), 42).unwrap();
    desk.publish(&desk.boss, 43).unwrap();
    let now_public = desk.public_postmortem().unwrap();
    assert!(now_public.contains("The pool settings were too small."));
    assert_ne!(now_public, body);
    let incident = block_on(desk.store.public_incidents_of(&[desk.ticket])).unwrap();
    let postmortem = incident[0].incident.value.postmortem().unwrap().clone();
    assert_eq!(postmortem.published_at, later(36));
    assert_eq!(postmortem.body_updated_at, later(43));
}

/// SPEC V6, R2: a review records the meeting; its accepted actions become
/// remediation items in the same write, the declined ones do not.
#[test]
fn a_review_turns_accepted_actions_into_items() {
    let desk = desk();
    desk.draft();
    let items_before = desk.store.problem_counts().1;
    let review = bytes(json!({
        "held_at": later(50),
        "attendees": [
            {"name": "sam", "side": "engineering"},
            {"name": "max", "side": "management"}
        ],
        "root_causes": [{"cause": 1, "verdict": {"dissent": {"by": "sam", "reason": "the alert existed but was muted"}}}],
        "decisions": ["Capacity reviews become quarterly"],
        "actions": [
            {"accepted": true, "item": {"title": "Quarterly capacity review", "kind": "process",
              "owner": {"person": {"name": "max"}}, "due_at": "2027-01-31T00:00:00Z"}},
            {"accepted": false, "item": {"title": "Rewrite the pooler", "kind": "prevent",
              "owner": {"person": {"name": "sam"}}, "due_at": "2027-06-01T00:00:00Z"}}
        ]
    }));
    let recorded = block_on(record_review(
        &desk.store,
        &desk.sre,
        desk.problem,
        &review,
        later(60),
    ))
    .unwrap();
    assert_eq!(recorded.items.len(), 1);
    assert_eq!(
        recorded.items[0].title.as_str(),
        "Quarterly capacity review"
    );
    assert!(!recorded.review.all_agreed());
    assert_eq!(desk.store.problem_counts().1, items_before + 1);
    assert_eq!(desk.get(&desk.sre).unwrap().reviews.len(), 1);
    let actions = desk.audit_actions();
    assert!(actions.contains(&"report.review".to_owned()));
    assert!(actions.contains(&"remediation.create".to_owned()));

    let audits = desk.store.audit_count();
    let one_sided = bytes(json!({
        "held_at": later(50),
        "attendees": [{"name": "sam", "side": "engineering"}],
        "root_causes": [{"cause": 1, "verdict": "agreed"}],
        "decisions": [],
        "actions": []
    }));
    let err = block_on(record_review(
        &desk.store,
        &desk.sre,
        desk.problem,
        &one_sided,
        later(61),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(field(&err).as_deref(), Some("attendees"));
    assert_eq!(desk.store.audit_count(), audits);
    assert_eq!(desk.store.report_counts(), (1, 1));
    assert_eq!(desk.store.problem_counts().1, items_before + 1);
}

/// SPEC K3: a Security problem's report is missing for a reader without
/// clearance, and publishing it never reaches the public incident.
#[test]
fn a_security_report_is_restricted() {
    let store = MemoryStore::default();
    let sre = actor(&store, "sam", Role::Sre);
    let boss = actor(&store, "max", Role::Management);
    let (ticket, problem) = resolved_p0(&store, &boss, "Security");
    block_on(create_public_incident(
        &store,
        &boss,
        &bytes(json!({"from_incident": ticket, "name": "Degraded logins", "status": "investigating", "body": "We are looking into it."})),
        later(2),
        &mut (1..).map(|n| format!("pi{n}")),
        BASE,
    ))
    .unwrap();
    block_on(put_rca(&store, &boss, problem, RCA, later(21))).unwrap();
    let page = block_on(draft_report(&store, &boss, problem, b"", later(30))).unwrap();
    assert_eq!(page.view.report.problem, problem);

    let err = block_on(get_report(&store, &sre, problem)).unwrap_err();
    assert_eq!(err.status(), 404);
    let err = block_on(edit_report(
        &store,
        &sre,
        problem,
        &bytes(json!({"content": page.view.report.content})),
        later(31),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 404);

    for (action, at) in [
        ("submit_for_engineering_review", 32),
        ("submit_for_management_review", 33),
    ] {
        block_on(transition_report(
            &store,
            &boss,
            problem,
            &bytes(json!({ "action": action })),
            later(at),
        ))
        .unwrap();
    }
    let version = page.view.report.version;
    block_on(approve_report(
        &store,
        &boss,
        problem,
        &bytes(json!({"version": version, "checklist": {"content": true, "commitments": true, "tone": true}})),
        later(34),
    ))
    .unwrap();
    let published = block_on(publish_report(&store, &boss, problem, later(35))).unwrap();
    assert_eq!(published.page.view.report.status, ReportStatus::Published);
    assert_eq!(published.public_incident, None);
    let contents = block_on(store.page_contents()).unwrap();
    assert_eq!(contents.incidents.len(), 1);
    assert!(contents.incidents.iter().all(|i| i.postmortem().is_none()));
}

/// SPEC R1, R2: a P0's report draft and review run on the clock of its
/// resolution: the owner (management while the problem has none) is
/// reminded a day ahead, management is told once a deadline passed, and a
/// report submitted for review is no longer chased for its draft.
#[test]
fn report_and_review_deadlines_are_chased_from_the_resolution() {
    use crate::escalation::create_channel;
    use crate::problems::post_incident_sweep;
    let store = MemoryStore::default();
    let sre = actor(&store, "sam", Role::Sre);
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
    let (_, problem) = resolved_p0(&store, &sre, "Payments");
    let resolved = later(20);
    let day = 24 * 60;
    let at = |minutes: i64| Timestamp::from_unix_millis(resolved.unix_millis() + minutes * 60_000);
    let sweep = |t| block_on(post_incident_sweep(&store, t, BASE)).unwrap();
    let bodies = || store.queued_bodies(management);
    // The draft is due three days after the resolution (the P0 default).
    assert_eq!(sweep(at(2 * day - 1)), 0);
    assert_eq!(sweep(at(2 * day)), 1);
    assert!(
        bodies()[0].contains("post_incident_reminder"),
        "{}",
        bodies()[0]
    );
    assert_eq!(sweep(at(2 * day + 60)), 0);
    assert_eq!(sweep(at(3 * day)), 1);
    assert!(
        bodies()[1].contains("post_incident_missed"),
        "{}",
        bodies()[1]
    );
    // Drafted and submitted late: the draft is not chased again, the review still is.
    block_on(draft_report(&store, &sre, problem, b"", at(3 * day + 1))).unwrap();
    block_on(transition_report(
        &store,
        &sre,
        problem,
        &bytes(json!({ "action": "submit_for_engineering_review" })),
        at(3 * day + 2),
    ))
    .unwrap();
    assert_eq!(sweep(at(6 * day - 1)), 0);
    assert_eq!(sweep(at(6 * day)), 1);
    assert_eq!(sweep(at(7 * day)), 1);
    assert_eq!(bodies().len(), 4);
    assert!(
        bodies()[3].contains("post_incident_missed"),
        "{}",
        bodies()[3]
    );
    assert_eq!(sweep(at(8 * day)), 0);
}
