//! Native tests of the escalation handlers against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::incidents::{change_priority, create_incident, transition};
use crate::memory::MemoryStore;
use crate::notification_delivery::recording::{RecordingQueue, RecordingSender};
use beacon_shared::escalation::DeadlineKind;
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.example";
const SECRET_TITLE: &str = "Attacker in the payroll database";

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

/// A team with an IC rota of `people` (12-hour shifts from a minute before
/// NOW), an admin, and one generic channel per person, for management and
/// for the DBA team, at `https://hooks.example/{owner}`.
struct Team {
    store: MemoryStore,
    admin: Actor,
    queue: RecordingQueue,
    sender: RecordingSender,
}

fn team(people: &[(&str, Role)]) -> Team {
    let store = MemoryStore::default();
    let admin = actor(&store, "ada", Role::Admin);
    for (name, role) in people {
        store.add_user(name, *role);
    }
    let names: Vec<String> = people.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let rota = format!(
        r#"{{"people":[{}],"shift":720,"starts_at":"{}"}}"#,
        names.join(","),
        Timestamp::from_unix_millis(NOW.unix_millis() - 60_000)
    );
    block_on(put_rota(
        &store,
        &admin,
        "incident_commander",
        rota.as_bytes(),
        NOW,
    ))
    .unwrap();
    let mut channels: Vec<String> = people
        .iter()
        .map(|(n, _)| format!(r#"{{"owner_kind":"person","owner":"{n}","format":"generic","url":"https://hooks.example/{n}"}}"#))
        .collect();
    channels.push(r#"{"owner_kind":"management","format":"generic","url":"https://hooks.example/management"}"#.into());
    channels.push(
        r#"{"owner_kind":"team","owner":"dba","format":"slack","url":"https://hooks.example/dba"}"#
            .into(),
    );
    for channel in channels {
        block_on(create_channel(
            &store,
            &admin,
            channel.as_bytes(),
            NOW,
            "bks_test".into(),
        ))
        .unwrap();
    }
    Team {
        store,
        admin,
        queue: RecordingQueue::default(),
        sender: RecordingSender::default(),
    }
}

impl Team {
    /// Sweeps at `minutes`, then the queue hands its messages to the consumer.
    fn sweep(&self, minutes: i64) -> SweepReport {
        let report = self.sweep_only(minutes, "sweep");
        self.queue
            .deliver_all(&self.store, &self.sender, later(minutes));
        report
    }

    /// Sweeps at `minutes` as sweep `id`, leaving the queue as it is.
    fn sweep_only(&self, minutes: i64, id: &str) -> SweepReport {
        let run = SweepRun {
            at: later(minutes),
            now: later(minutes),
            sweep_id: id,
            base_url: BASE,
            link_key_candidate: "link-key",
        };
        block_on(sweep(&self.store, &self.queue, &run)).unwrap()
    }

    fn create(&self, by: &Actor, title: &str, category: &str, priority: &str) -> i64 {
        let body = format!(
            r#"{{"title":"{title}","category":"{category}","priority":"{priority}","facts":{{}}}}"#
        );
        block_on(create_incident(
            &self.store,
            by,
            body.as_bytes(),
            NOW,
            "https://beacon.test",
        ))
        .unwrap()
        .id
    }

    fn to(&self, owner: &str) -> Vec<serde_json::Value> {
        self.sender
            .bodies_to(&format!("https://hooks.example/{owner}"))
    }

    /// The incidents paged to `owner`, in order.
    fn paged_ids(&self, owner: &str) -> Vec<i64> {
        self.to(owner)
            .iter()
            .map(|b| b["incident"]["id"].as_i64().unwrap())
            .collect()
    }

    /// The signed link's page for `request` on incident `id`, `minutes` after `NOW`.
    fn link_page(&self, request: AckLinkRequest, id: i64, query: &str, minutes: i64) -> AckPage {
        block_on(ack_link(&self.store, request, id, query, later(minutes))).unwrap()
    }

    fn view(&self, id: i64, minutes: i64) -> EscalationView {
        block_on(escalation_view(
            &self.store,
            &self.admin,
            id,
            later(minutes),
        ))
        .unwrap()
    }
}

fn ic_team() -> Team {
    team(&[
        ("ic-alice", Role::IncidentCommander),
        ("ic-bob", Role::IncidentCommander),
    ])
}

/// The IC team, the SRE sam and the P1 "Checkout 502s" he filed.
fn checkout_p1() -> (Team, Actor, i64) {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let id = team.create(&sre, "Checkout 502s", "Payments", "P1");
    (team, sre, id)
}

/// An IC rota of ic-alice (no clearance for Security incidents) then
/// sec-sara (security), and a security engineer who files incidents.
fn security_team() -> (Team, Actor) {
    let team = team(&[
        ("ic-alice", Role::IncidentCommander),
        ("sec-sara", Role::Security),
    ]);
    let security = actor(&team.store, "sid", Role::Security);
    (team, security)
}

/// SPEC K3: the escalation view of a Security incident goes through the
/// clearance function: an SRE without clearance gets exactly the answer for
/// a missing incident, a security engineer the view.
#[test]
fn the_escalation_view_of_a_security_incident_needs_clearance() {
    let (team, security) = security_team();
    let id = team.create(&security, SECRET_TITLE, "Security", "P1");
    let sre = actor(&team.store, "sam", Role::Sre);
    let hidden = block_on(escalation_view(&team.store, &sre, id, later(1))).unwrap_err();
    let missing = block_on(escalation_view(&team.store, &sre, 999, later(1))).unwrap_err();
    assert_eq!(hidden.body(), missing.body());
    assert_eq!(hidden.status(), 404);
    assert!(block_on(escalation_view(&team.store, &security, id, later(1))).is_ok());
}

/// The query of the acknowledgement link in a generic body.
fn link_query(body: &serde_json::Value) -> String {
    let url = body["acknowledge_url"].as_str().expect("acknowledge_url");
    url.split_once('?').unwrap().1.to_owned()
}

/// SPEC E1, E3: a P1 pages the duty IC at the first sweep, once; the page is
/// delivered and carries the title and an acknowledgement link.
#[test]
fn a_p1_pages_the_duty_ic_once() {
    let (team, _, id) = checkout_p1();
    let report = team.sweep(0);
    assert_eq!((report.incidents, report.actions, report.queued), (1, 1, 1));
    let pages = team.to("ic-alice");
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0]["event"], "page");
    assert_eq!(pages[0]["incident"]["title"], "Checkout 502s");
    assert!(pages[0]["acknowledge_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{BASE}/ack/{id}?")));
    let again = team.sweep(0);
    assert_eq!(
        (again.incidents, again.actions, again.queued),
        (0, 0, 0),
        "nothing is due again in the same minute, so the ticket is not even read"
    );
    assert_eq!(team.view(id, 1).pages_sent, 1);
    assert!(team.to("ic-bob").is_empty());
}

/// SPEC E4: a failed delivery is retried through the queue with back-off;
/// once its retries are exhausted the dead-letter queue gives it up, the
/// timeline says so, and no later sweep sends it again.
#[test]
fn failed_deliveries_are_retried_then_recorded() {
    use crate::notification_delivery::{dead_letter, Verdict};
    use beacon_shared::notification_delivery::MAX_ATTEMPTS;
    let (team, _, id) = checkout_p1();
    team.sender.failing.set(true);
    assert_eq!(team.sweep_only(0, "sweep").queued, 1);
    let mut delays = Vec::new();
    for attempt in 0..MAX_ATTEMPTS {
        for (_, verdict) in
            team.queue
                .deliver_all(&team.store, &team.sender, later(i64::from(attempt)))
        {
            match verdict {
                Verdict::RetryAfter { seconds } => delays.push(seconds),
                Verdict::Settled => panic!("a failed attempt is retried"),
            }
        }
    }
    assert_eq!(delays, vec![60, 120, 240, 480, 960, 960]);
    // The queue moves the message to the dead-letter queue after its last retry.
    let message = team.queue.messages.borrow()[0];
    assert!(block_on(dead_letter(&team.store, message, later(40))).unwrap());
    assert!(
        !block_on(dead_letter(&team.store, message, later(41))).unwrap(),
        "given up once"
    );
    let timeline = block_on(team.store.timeline(id)).unwrap();
    let failures: Vec<_> = timeline
        .iter()
        .filter_map(|e| match &e.event {
            TimelineEvent::NotificationFailed(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].attempts, 6);
    assert_eq!(failures[0].error, "the receiver answered 500");
    let claimed = block_on(team.store.claim_outbox(later(90), later(90), 100)).unwrap();
    assert!(!claimed.contains(&message.id), "never queued again");
}

/// SPEC K3 (defect: every notification carried the title): a Security
/// incident's pages, reminders, escalations and team pull-ins reach a reader
/// without clearance (the duty IC, a team's channel) with only the restricted
/// headline and the links; a cleared reader (a security person on the rota,
/// management) gets the full text.
#[test]
fn security_notifications_show_the_title_only_to_cleared_readers() {
    let (team, security) = security_team();
    let p1 = team.create(&security, SECRET_TITLE, "Security", "P1");
    let p2 = team.create(&security, SECRET_TITLE, "Security", "P2");
    for minute in [0, 15, 20, 30, 120] {
        team.sweep(minute);
    }
    block_on(pull_in_team(
        &team.store,
        &security,
        p1,
        br#"{"team":"dba","reason":"the payroll dump"}"#,
        later(121),
        BASE,
    ))
    .unwrap();
    team.sweep(122);

    let alice = team.to("ic-alice");
    let events: Vec<&str> = alice.iter().map(|b| b["event"].as_str().unwrap()).collect();
    for event in ["page", "remind", "escalate"] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }
    let dba = team.to("dba");
    assert_eq!(dba.len(), 1);
    for body in alice.iter().chain(&dba) {
        let text = body.to_string();
        assert!(!text.contains("payroll"), "{text}");
        assert!(
            text.contains(&format!("Security incident #{p1}, P1, details restricted"))
                || text.contains(&format!("Security incident #{p2}, P2, details restricted")),
            "{text}"
        );
        assert!(text.contains(&format!("{BASE}/incidents/")), "{text}");
    }
    let cleared: Vec<_> = team
        .to("sec-sara")
        .into_iter()
        .chain(team.to("management"))
        .collect();
    assert!(cleared.len() >= 2, "{cleared:?}");
    for body in cleared {
        assert_eq!(body["incident"]["title"], SECRET_TITLE, "{body}");
    }
}

/// SPEC K3: the signed link's page names a Security incident's title only to
/// a linked person with clearance.
#[test]
fn the_acknowledgement_page_shows_a_security_title_only_with_clearance() {
    let (team, security) = security_team();
    let id = team.create(&security, SECRET_TITLE, "Security", "P1");
    team.sweep(0);
    team.sweep(15);
    let page = |owner: &str, request| {
        let query = link_query(&team.to(owner)[0]);
        team.link_page(request, id, &query, 16)
    };
    let alice = page("ic-alice", AckLinkRequest::Show);
    assert_eq!(alice.status, 200);
    assert!(!alice.html.contains("payroll"), "{}", alice.html);
    assert!(alice
        .html
        .contains(&format!("Security incident #{id}, P1, details restricted")));
    let confirmed = page("ic-alice", AckLinkRequest::Confirm);
    assert_eq!(confirmed.status, 200);
    assert!(!confirmed.html.contains("payroll"), "{}", confirmed.html);
    let sara = page("sec-sara", AckLinkRequest::Show);
    assert!(sara.html.contains(SECRET_TITLE), "{}", sara.html);
}

/// SPEC E3: a changed or expired link is refused with 403 and changes nothing.
#[test]
fn a_changed_link_is_refused() {
    let (team, _, id) = checkout_p1();
    team.sweep(0);
    let query = link_query(&team.to("ic-alice")[0]);
    let audits = team.store.audit_count();
    let tampered = query.replace("ic-alice", "ic-bob");
    let page = team.link_page(AckLinkRequest::Confirm, id, &tampered, 1);
    assert_eq!(page.status, 403);
    let late = team.link_page(AckLinkRequest::Confirm, id, &query, 25 * 60);
    assert_eq!(late.status, 403);
    assert_eq!(team.store.audit_count(), audits);
    let shown = team.link_page(AckLinkRequest::Show, id, &query, 1);
    assert!(shown.html.contains(&format!("Acknowledge incident #{id}?")));
    assert!(shown.html.contains("Checkout 502s") && shown.html.contains("ic-alice"));
    assert_eq!(team.store.audit_count(), audits, "showing changes nothing");
}

/// SPEC E3: an acknowledgement link works once: the second click is 409,
/// says so, and writes nothing.
#[test]
fn a_link_works_once() {
    let (team, _, id) = checkout_p1();
    team.sweep(0);
    let query = link_query(&team.to("ic-alice")[0]);
    let first = team.link_page(AckLinkRequest::Confirm, id, &query, 1);
    assert_eq!(first.status, 200, "{}", first.html);
    assert_eq!(
        team.view(id, 2).acknowledged_by.as_deref(),
        Some("ic-alice")
    );
    let audits = team.store.audit_count();
    let entries = block_on(team.store.timeline(id)).unwrap().len();
    let second = team.link_page(AckLinkRequest::Confirm, id, &query, 2);
    assert_eq!(second.status, 409);
    assert!(second.html.contains("used already"), "{}", second.html);
    assert!(!second.html.contains("Escalation stops"), "{}", second.html);
    assert_eq!(team.store.audit_count(), audits);
    assert_eq!(block_on(team.store.timeline(id)).unwrap().len(), entries);
}

/// SPEC E1, E3: a link is bound to its escalation episode. The P1's link,
/// clicked after the incident was raised to P0, acknowledges nothing (409,
/// nothing written) and the P0's pages go on; the P0 page's own link works.
#[test]
fn a_p1_link_does_not_stop_a_later_p0_episode() {
    let (team, sre, id) = checkout_p1();
    team.sweep(0);
    let p1_link = link_query(&team.to("ic-alice")[0]);
    block_on(change_priority(
        &team.store,
        &sre,
        id,
        br#"{"priority":"P0"}"#,
        later(5),
    ))
    .unwrap();
    team.sweep(6);
    let pages = team.to("ic-alice");
    assert_eq!(pages.len(), 2, "the P0 pages again");
    let audits = team.store.audit_count();
    let shown = team.link_page(AckLinkRequest::Show, id, &p1_link, 7);
    assert!(!shown.html.contains("<form"), "{}", shown.html);
    let old = team.link_page(AckLinkRequest::Confirm, id, &p1_link, 7);
    assert_eq!(old.status, 409);
    assert!(old.html.contains("earlier page"), "{}", old.html);
    assert_eq!(team.store.audit_count(), audits);
    assert_eq!(team.view(id, 8).acknowledged_by, None);
    team.sweep(21);
    assert_eq!(
        team.paged_ids("ic-bob"),
        [id],
        "the P0 escalates to the next IC"
    );

    let p0_link = link_query(&pages[1]);
    let page = team.link_page(AckLinkRequest::Confirm, id, &p0_link, 22);
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(
        team.view(id, 23).acknowledged_by.as_deref(),
        Some("ic-alice")
    );
}

/// SPEC E3, I4: a link checked before any was signed writes nothing, not
/// even the signing key.
#[test]
fn an_unsigned_link_writes_nothing() {
    let (team, _, id) = checkout_p1();
    let audits = team.store.audit_count();
    let forged = format!(
        "by=ic-alice&ep={}&exp={}&sig=00",
        NOW.unix_millis(),
        later(60).unix_millis()
    );
    for request in [AckLinkRequest::Show, AckLinkRequest::Confirm] {
        assert_eq!(team.link_page(request, id, &forged, 1).status, 403);
    }
    assert_eq!(
        block_on(team.store.setting(Setting::AckLinkKey)).unwrap(),
        None
    );
    assert_eq!(team.store.audit_count(), audits);
}

/// SPEC E3 (defect: a resolved incident's acknowledgement answered 200 with
/// an audit row and no timeline entry, and the link said "Escalation
/// stops"): only an incident that awaits a response can be acknowledged;
/// otherwise 409 and nothing is written.
#[test]
fn a_resolved_incident_cannot_be_acknowledged() {
    let (team, sre, id) = checkout_p1();
    team.sweep(0);
    let query = link_query(&team.to("ic-alice")[0]);
    for body in [
        &br#"{"action":"classify_as_problem","priority":"P1"}"#[..],
        br#"{"action":"resolve"}"#,
    ] {
        block_on(transition(&team.store, &sre, id, body, later(1))).unwrap();
    }
    let audits = team.store.audit_count();
    let entries = block_on(team.store.timeline(id)).unwrap().len();
    let err = block_on(acknowledge(&team.store, &sre, id, later(2))).unwrap_err();
    assert_eq!(err.status(), 409);
    let page = team.link_page(AckLinkRequest::Confirm, id, &query, 2);
    assert_eq!(page.status, 409);
    assert!(page.html.contains("resolved") && page.html.contains("nothing was done"));
    assert!(!page.html.contains("Escalation stops"), "{}", page.html);
    assert_eq!(team.store.audit_count(), audits);
    assert_eq!(block_on(team.store.timeline(id)).unwrap().len(), entries);
}

/// SPEC E1, E3: acknowledging through the API stops the escalation to the next IC.
#[test]
fn an_acknowledgement_stops_the_pages() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let alice = actor(&team.store, "alice", Role::IncidentCommander);
    let id = team.create(&sre, "Checkout 502s", "Payments", "P1");
    let ignored = team.create(&sre, "Search slow", "API", "P1");
    team.sweep(0);
    let detail = block_on(acknowledge(&team.store, &alice, id, later(3))).unwrap();
    assert!(matches!(
        &detail.timeline.last().unwrap().event,
        TimelineEvent::Acknowledged(a) if a.by == "alice" && a.via == AcknowledgedVia::Api
    ));
    assert_eq!(team.view(id, 4).acknowledged_by.as_deref(), Some("alice"));
    team.sweep(16);
    let bob = team.paged_ids("ic-bob");
    assert_eq!(bob, [ignored]);
    let viewer = actor(&team.store, "vic", Role::Viewer);
    assert_eq!(
        block_on(acknowledge(&team.store, &viewer, id, later(5)))
            .unwrap_err()
            .status(),
        403
    );
}

/// SPEC E1, E4 (defect: the view took the first acknowledgement ever, so the
/// app hid the button while the P0 paged): after a P1 is acknowledged and
/// raised to P0, the view says the new episode is not acknowledged and
/// offers the acknowledgement; acknowledging again acknowledges it.
#[test]
fn an_upgrade_needs_a_new_acknowledgement() {
    let (team, sre, id) = checkout_p1();
    team.sweep(0);
    block_on(acknowledge(&team.store, &sre, id, later(1))).unwrap();
    assert_eq!(team.view(id, 2).acknowledged_by.as_deref(), Some("sam"));
    block_on(change_priority(
        &team.store,
        &sre,
        id,
        br#"{"priority":"P0"}"#,
        later(5),
    ))
    .unwrap();
    let view = team.view(id, 6);
    assert_eq!(view.acknowledged_by, None);
    assert!(view
        .deadlines
        .iter()
        .any(|d| d.kind == DeadlineKind::Acknowledge));
    team.sweep(6);
    assert_eq!(team.to("ic-alice").len(), 2, "the P0 pages again");
    block_on(acknowledge(&team.store, &sre, id, later(7))).unwrap();
    let view = team.view(id, 8);
    assert_eq!(view.acknowledged_by.as_deref(), Some("sam"));
    assert!(view
        .deadlines
        .iter()
        .all(|d| d.kind != DeadlineKind::Acknowledge));
}

/// Defect: a corrupt priority silently became P3. Such a ticket is skipped
/// and reported; the sweep goes on with the others.
#[test]
fn a_corrupt_ticket_is_skipped_and_the_others_are_paged() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let corrupt = team.create(&sre, "Checkout 502s", "Payments", "P1");
    let sound = team.create(&sre, "Search slow", "API", "P1");
    team.store.corrupt_ticket(corrupt);
    let report = team.sweep(0);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].contains(&format!("incident {corrupt}")),
        "{:?}",
        report.skipped
    );
    let paged = team.paged_ids("ic-alice");
    assert_eq!(paged, [sound]);
    let err = block_on(escalation_view(&team.store, &team.admin, corrupt, later(1))).unwrap_err();
    assert_eq!(err.status(), 500);
}

/// SPEC E5: the IC pulls a team in; its channels are notified at the next
/// sweep, once; a team without a channel, an empty reason and a closed
/// incident are refused and write nothing.
#[test]
fn the_ic_pulls_in_a_team() {
    let team = ic_team();
    let ic = actor(&team.store, "ian", Role::IncidentCommander);
    let id = team.create(&ic, "Replica lag", "API", "P2");
    let audits = team.store.audit_count();
    let refused = [
        (&br#"{"team":"network","reason":"help"}"#[..], "team"),
        (br#"{"team":"dba","reason":"  "}"#, "reason"),
    ];
    for (body, field) in refused {
        let err = block_on(pull_in_team(&team.store, &ic, id, body, later(1), BASE)).unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some(field));
    }
    assert_eq!(team.store.audit_count(), audits);
    let detail = block_on(pull_in_team(
        &team.store,
        &ic,
        id,
        br#"{"team":"dba","reason":"replica 3 is 40 minutes behind"}"#,
        later(1),
        BASE,
    ))
    .unwrap();
    assert!(matches!(
        &detail.timeline.last().unwrap().event,
        TimelineEvent::TeamPaged(p) if p.team == "dba" && p.channels == 1
    ));
    team.sweep(2);
    team.sweep(3);
    let dba = team.to("dba");
    assert_eq!(dba.len(), 1);
    let text = dba[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Replica lag") && text.contains("replica 3 is 40 minutes behind"),
        "{text}"
    );
}

/// SPEC E4: the limits are the team's; only the IC, management and admins
/// change them, invalid ones are refused, and each change is audited.
#[test]
fn time_limits_are_read_and_replaced() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let ic = actor(&team.store, "ian", Role::IncidentCommander);
    let defaults = block_on(get_config(&team.store)).unwrap();
    assert_eq!(defaults, EscalationConfig::default());
    let mut json = serde_json::to_value(&defaults).unwrap();
    json["p2"]["limits"]["acknowledge"] = json!(1);
    let body = json.to_string();
    let err = block_on(put_config(&team.store, &sre, body.as_bytes(), NOW)).unwrap_err();
    assert_eq!(err.status(), 403);
    let mut invalid = json.clone();
    invalid["p2"]["limits"]["remind_before"] = json!(10_000);
    let err = block_on(put_config(
        &team.store,
        &ic,
        invalid.to_string().as_bytes(),
        NOW,
    ))
    .unwrap_err();
    assert_eq!(err.status(), 422);
    let audits = team.store.audit_count();
    let set = block_on(put_config(&team.store, &ic, body.as_bytes(), NOW)).unwrap();
    assert_eq!(block_on(get_config(&team.store)).unwrap(), set);
    assert_eq!(team.store.audit_count(), audits + 1);

    let id = team.create(&sre, "Image uploads slow", "API", "P2");
    team.sweep(2);
    let alice = team.to("ic-alice");
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0]["event"], "escalate");
    assert_eq!(alice[0]["incident"]["id"], id);
}

/// SPEC E1, E2: rotas are replaced by the IC, management and admins; on-call
/// shows who is on call now and next; channels need a valid owner.
#[test]
fn rotas_on_call_and_channels() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let list = block_on(on_call(&team.store, later(1))).unwrap();
    let ic = list
        .rotas
        .iter()
        .find(|r| r.role == RotaRole::IncidentCommander)
        .unwrap();
    assert_eq!(ic.now.as_ref().map(|n| n.as_str()), Some("ic-alice"));
    assert!(ic.next.is_some());
    let rota = br#"{"people":["sam"],"shift":480,"starts_at":"2026-11-23T00:00:00Z"}"#;
    let err = block_on(put_rota(&team.store, &sre, "sre", rota, NOW)).unwrap_err();
    assert_eq!(err.status(), 403);
    let err = block_on(put_rota(&team.store, &team.admin, "astronaut", rota, NOW)).unwrap_err();
    assert_eq!(err.status(), 404);
    block_on(put_rota(&team.store, &team.admin, "sre", rota, NOW)).unwrap();
    assert!(block_on(team.store.rotas())
        .unwrap()
        .get(RotaRole::Sre)
        .is_some());

    let cases = [
        (&br#"{"owner_kind":"person","format":"generic","url":"https://x.example"}"#[..], "owner"),
        (br#"{"owner_kind":"management","owner":"max","format":"generic","url":"https://x.example"}"#, "owner"),
        (br#"{"owner_kind":"robot","owner":"r2","format":"generic","url":"https://x.example"}"#, "owner_kind"),
    ];
    for (body, field) in cases {
        let err = block_on(create_channel(
            &team.store,
            &team.admin,
            body,
            NOW,
            "s".into(),
        ))
        .unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some(field));
    }
    let created = block_on(create_channel(
        &team.store,
        &team.admin,
        br#"{"owner_kind":"team","owner":"network","format":"slack","url":"https://x.example"}"#,
        NOW,
        "bks_new".into(),
    ))
    .unwrap();
    assert_eq!(created.secret, "bks_new");
    let err = block_on(create_channel(
        &team.store,
        &sre,
        br#"{"owner_kind":"team","owner":"network","format":"slack","url":"https://x.example"}"#,
        NOW,
        "s".into(),
    ))
    .unwrap_err();
    assert_eq!(err.status(), 403);
}

/// The test clock: only an admin moves it, and only test mode honours it.
#[test]
fn the_test_clock_moves_the_sweep_in_test_mode_only() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let body = br#"{"offset_ms":60000}"#;
    assert_eq!(
        block_on(set_test_clock(&team.store, &sre, body, NOW))
            .unwrap_err()
            .status(),
        403
    );
    block_on(set_test_clock(&team.store, &team.admin, body, NOW)).unwrap();
    assert_eq!(block_on(sweep_clock(&team.store, NOW, true)), later(1));
    assert_eq!(block_on(sweep_clock(&team.store, NOW, false)), NOW);
}

/// A store that fails makes the sweep fail, not page from nothing.
#[test]
fn an_unavailable_store_fails_the_sweep() {
    let team = ic_team();
    team.store.failing.set(true);
    let run = SweepRun {
        at: NOW,
        now: NOW,
        sweep_id: "s",
        base_url: BASE,
        link_key_candidate: "k",
    };
    assert!(matches!(
        block_on(sweep(&team.store, &team.queue, &run)),
        Err(StoreError::Unavailable(_))
    ));
}

/// SPEC E1, I3: a disabled channel is never sent to again: the page queued
/// for it before fails instead of going out, the next sweep leaves it out,
/// and the other channels go on. Only rota managers disable, and only once.
#[test]
fn a_disabled_channel_is_never_sent_to() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    let channels = block_on(team.store.channels()).unwrap();
    let alice = channels
        .iter()
        .find(|c| c.owner == ChannelOwner::Person("ic-alice".into()))
        .unwrap()
        .id
        .to_string();
    team.create(&sre, "Checkout down", "Payments", "P1");
    team.sweep_only(0, "before");
    let queued = team.store.outbox_states();
    assert!(!queued.is_empty() && queued.iter().all(|(_, _, s)| *s == "pending"));

    let disable = |by: &Actor| block_on(disable_channel(&team.store, by, &alice, NOW));
    assert_eq!(disable(&sre).unwrap_err().status(), 403);
    let audit = team.store.audit_count();
    disable(&team.admin).unwrap();
    assert_eq!(team.store.audit_count(), audit + 1);
    assert_eq!(disable(&team.admin).unwrap_err().status(), 404);
    assert_eq!(
        block_on(disable_channel(&team.store, &team.admin, "nope", NOW))
            .unwrap_err()
            .status(),
        404
    );

    team.queue.deliver_all(&team.store, &team.sender, later(0));
    team.sweep(30);
    assert!(team.to("ic-alice").is_empty(), "{:?}", team.to("ic-alice"));
    assert!(team
        .store
        .outbox_states()
        .iter()
        .take(queued.len())
        .all(|(_, _, s)| *s == "failed"));
    assert_eq!(
        block_on(team.store.channels()).unwrap().len(),
        channels.len() - 1
    );
}

/// SPEC I3: rota managers list the channels with owner and format, never
/// their URL or secret; a disabled channel is not listed.
#[test]
fn channels_are_listed_without_their_credentials() {
    let team = ic_team();
    let sre = actor(&team.store, "sam", Role::Sre);
    assert_eq!(
        block_on(list_channels(&team.store, &sre))
            .unwrap_err()
            .status(),
        403
    );
    let listed = block_on(list_channels(&team.store, &team.admin)).unwrap();
    let channels = listed["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 4);
    assert_eq!(channels[0]["owner_kind"], "person");
    assert_eq!(channels[0]["owner"], "ic-alice");
    let text = listed.to_string();
    assert!(
        !text.contains("hooks.example") && !text.contains("bks_test"),
        "{text}"
    );
    let id = channels[0]["id"].as_i64().unwrap().to_string();
    block_on(disable_channel(&team.store, &team.admin, &id, NOW)).unwrap();
    let listed = block_on(list_channels(&team.store, &team.admin)).unwrap();
    assert_eq!(listed["channels"].as_array().unwrap().len(), 3);
}
