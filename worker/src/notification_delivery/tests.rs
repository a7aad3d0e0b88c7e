//! Native tests of queue delivery and of the due index against the in-memory
//! store, and of the queue's and the index's configuration files.

use super::recording::{RecordingQueue, RecordingSender};
use super::*;
use crate::auth::{authenticate, Actor};
use crate::escalation::{put_config, put_rota, sweep, SweepReport, SweepRun};
use crate::incidents::{change_priority, create_incident, transition};
use crate::memory::MemoryStore;
use crate::stores::{EscalationStore, QueuedNotification};
use beacon_shared::notification_delivery::{CLAIM_LEASE_MS, MAX_ATTEMPTS};
use beacon_shared::role::Role;
use beacon_shared::timeline::TimelineEvent;
use pollster::block_on;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.example";

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn actor(store: &MemoryStore, name: &str, role: Role) -> Actor {
    let token = store.add_user(name, role);
    block_on(authenticate(store, Some(&format!("Bearer {token}")), NOW)).unwrap()
}

/// An IC rota of alice and bob, one generic channel for each and one for
/// management, and an SRE who opens tickets.
struct Desk {
    store: MemoryStore,
    admin: Actor,
    sre: Actor,
    queue: RecordingQueue,
    sender: RecordingSender,
}

fn desk() -> Desk {
    let store = MemoryStore::default();
    let admin = actor(&store, "ada", Role::Admin);
    let sre = actor(&store, "sam", Role::Sre);
    store.add_user("ic-alice", Role::IncidentCommander);
    store.add_user("ic-bob", Role::IncidentCommander);
    let rota = format!(
        r#"{{"people":["ic-alice","ic-bob"],"shift":720,"starts_at":"{}"}}"#,
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
    for channel in [
        r#"{"owner_kind":"person","owner":"ic-alice","format":"generic","url":"https://hooks.example/alice"}"#,
        r#"{"owner_kind":"person","owner":"ic-bob","format":"generic","url":"https://hooks.example/bob"}"#,
        r#"{"owner_kind":"management","format":"generic","url":"https://hooks.example/management"}"#,
    ] {
        block_on(crate::escalation::create_channel(
            &store,
            &admin,
            channel.as_bytes(),
            NOW,
            "bks_test".into(),
        ))
        .unwrap();
    }
    Desk {
        store,
        admin,
        sre,
        queue: RecordingQueue::default(),
        sender: RecordingSender::default(),
    }
}

impl Desk {
    fn create(&self, title: &str, priority: &str) -> i64 {
        let body = format!(
            r#"{{"title":"{title}","category":"API","priority":"{priority}","facts":{{}}}}"#
        );
        block_on(create_incident(
            &self.store,
            &self.sre,
            body.as_bytes(),
            NOW,
            BASE,
        ))
        .unwrap()
        .id
    }

    fn sweep(&self, minutes: i64, id: &str) -> SweepReport {
        let run = SweepRun {
            at: later(minutes),
            now: later(minutes),
            sweep_id: id,
            base_url: BASE,
            link_key_candidate: "link-key",
        };
        block_on(sweep(&self.store, &self.queue, &run)).unwrap()
    }

    fn deliver(&self, id: i64, minutes: i64) -> Verdict {
        block_on(deliver(
            &self.store,
            &self.sender,
            DeliveryMessage { id },
            later(minutes),
            RetryPolicy::PRODUCTION,
        ))
    }

    fn sent_to(&self, owner: &str) -> usize {
        self.sender
            .bodies_to(&format!("https://hooks.example/{owner}"))
            .len()
    }
}

/// SPEC E1: two sweeps that overlap claim each notification once: the second
/// finds the action's key taken and the outbox row claimed, so it queues
/// nothing, and the receiver gets one page.
#[test]
fn overlapping_sweeps_queue_each_notification_once() {
    let desk = desk();
    desk.create("Checkout 502s", "P1");
    // Both read the ticket before either writes: the later one records nothing.
    let first = desk.sweep(0, "sweep-a");
    assert_eq!((first.actions, first.queued), (1, 1));
    let ids = block_on(desk.store.claim_outbox(later(0), later(0), 100)).unwrap();
    assert!(ids.is_empty(), "already claimed: {ids:?}");
    desk.store.reschedule(1);
    let second = desk.sweep(0, "sweep-b");
    assert_eq!((second.incidents, second.actions, second.queued), (1, 0, 0));
    assert_eq!(desk.queue.messages.borrow().len(), 1);
    desk.queue.deliver_all(&desk.store, &desk.sender, later(0));
    assert_eq!(desk.sent_to("alice"), 1);
}

/// SPEC E1: a message the queue hands out twice (at least once delivery) is
/// sent once; while an attempt is in flight a second copy sends nothing.
#[test]
fn a_message_handed_out_twice_is_sent_once() {
    let desk = desk();
    desk.create("Checkout 502s", "P1");
    desk.sweep(0, "sweep");
    let id = desk.queue.messages.borrow()[0].id;
    // An attempt in flight (begun, not finished) holds off a second copy.
    let in_flight = block_on(desk.store.begin_attempt(id, later(0))).unwrap();
    assert!(in_flight.is_some());
    assert_eq!(desk.deliver(id, 0), Verdict::Settled);
    assert_eq!(
        desk.sent_to("alice"),
        0,
        "not sent beside the attempt in flight"
    );
    // Once its timeout has passed, the attempt counts as lost: tried again.
    assert_eq!(desk.deliver(id, 1), Verdict::Settled);
    assert_eq!(desk.deliver(id, 2), Verdict::Settled);
    assert_eq!(desk.sent_to("alice"), 1, "delivered once");
}

/// SPEC E1: every attempt of one notification carries the same idempotency
/// key, and each (action, channel) its own.
#[test]
fn retries_carry_the_same_idempotency_key() {
    let desk = desk();
    desk.create("Checkout 502s", "P1");
    desk.create("Search slow", "P1");
    desk.sweep(0, "sweep");
    let ids: Vec<i64> = desk.queue.messages.borrow().iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 2);
    desk.sender.failing.set(true);
    assert_eq!(desk.deliver(ids[0], 0), Verdict::RetryAfter { seconds: 60 });
    desk.sender.failing.set(false);
    desk.store.corrupt_ticket(0); // no effect on delivery
    assert_eq!(desk.deliver(ids[0], 1), Verdict::Settled);
    desk.sender.failing.set(true);
    assert_eq!(desk.deliver(ids[1], 1), Verdict::RetryAfter { seconds: 60 });
    desk.sender.failing.set(false);
    assert_eq!(desk.deliver(ids[1], 2), Verdict::Settled);
    let sent = desk.sender.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0].idempotency_key.starts_with("incident/1/page/"),
        "{sent:?}"
    );
    assert!(sent[0].idempotency_key.ends_with("/channel/1"), "{sent:?}");
    assert_ne!(sent[0].idempotency_key, sent[1].idempotency_key);
    let outbox = desk.store.outbox_states();
    assert_eq!(
        outbox,
        vec![(ids[0], 2, "delivered"), (ids[1], 2, "delivered")]
    );
}

/// A sweep whose messages the queue refused gives its claims back: the next
/// sweep queues them. A claim whose message never reached the queue (the
/// sweep stopped) runs out and is claimed again.
#[test]
fn claims_the_queue_never_got_are_queued_again() {
    let desk = desk();
    desk.create("Checkout 502s", "P1");
    desk.queue.refusing.set(true);
    let refused = desk.sweep(0, "sweep-1");
    assert_eq!(refused.queued, 0);
    assert_eq!(
        refused.queue_error.as_deref(),
        Some("the queue is unavailable")
    );
    desk.queue.refusing.set(false);
    assert_eq!(desk.sweep(1, "sweep-2").queued, 1, "given back, queued now");
    desk.queue.messages.borrow_mut().clear(); // lost on the way
    assert_eq!(desk.sweep(2, "sweep-3").queued, 0, "still claimed");
    let lease_minutes = CLAIM_LEASE_MS / 60_000;
    assert_eq!(desk.sweep(1 + lease_minutes, "sweep-4").queued, 1);
    desk.queue.deliver_all(&desk.store, &desk.sender, later(8));
    assert_eq!(desk.sent_to("alice"), 1);
}

/// A notification that exhausted its retries is given up once; delivered
/// ones are never given up.
#[test]
fn only_an_undelivered_notification_is_given_up() {
    let desk = desk();
    desk.create("Checkout 502s", "P1");
    desk.sweep(0, "sweep");
    let id = desk.queue.messages.borrow()[0].id;
    assert_eq!(desk.deliver(id, 0), Verdict::Settled);
    assert!(!block_on(dead_letter(&desk.store, DeliveryMessage { id }, later(1))).unwrap());
    let timeline = block_on(crate::stores::IncidentStore::timeline(&desk.store, 1)).unwrap();
    assert!(!timeline
        .iter()
        .any(|e| matches!(e.event, TimelineEvent::NotificationFailed(_))));
}

/// SPEC E4: the sweep reads only the tickets that are due. After it acts, a
/// ticket waits in the index until its next instant (what the escalation
/// view shows as next due); then it is read again.
#[test]
fn the_sweep_reads_only_due_tickets() {
    let desk = desk();
    let p1 = desk.create("Checkout 502s", "P1");
    let p3 = desk.create("Typo on the pricing page", "P3");
    let first = desk.sweep(0, "sweep-1");
    assert_eq!(first.incidents, 2, "new tickets are due at once");
    let next = desk.store.due_at(p1).expect("a P1 has a next instant");
    assert!(next > later(0));
    let view = block_on(crate::escalation::escalation_view(
        &desk.store,
        &desk.admin,
        p1,
        later(0),
    ))
    .unwrap();
    assert_eq!(Some(next), view.next_due);
    for minute in 1..5 {
        let idle = desk.sweep(minute, &format!("idle-{minute}"));
        if later(minute) < next {
            assert_eq!(
                idle.incidents, 0,
                "minute {minute}: nothing due, nothing read"
            );
        }
    }
    let minutes = (next.unix_millis() - NOW.unix_millis() + 59_999) / 60_000;
    let due = desk.sweep(minutes, "due");
    assert!(due.incidents >= 1, "{due:?}");
    assert!(desk.store.due_at(p3).is_none_or(|at| at > later(minutes)));
}

/// SPEC E4: every write that changes what is due makes the ticket due at
/// once: an upgrade pages at the next sweep, not at the old instant.
#[test]
fn an_upgrade_makes_the_ticket_due_at_once() {
    let desk = desk();
    let id = desk.create("Search slow", "P2");
    desk.sweep(0, "sweep-1");
    assert_eq!(desk.sweep(1, "sweep-2").incidents, 0);
    block_on(change_priority(
        &desk.store,
        &desk.admin,
        id,
        br#"{"priority":"P0"}"#,
        later(1),
    ))
    .unwrap();
    assert_eq!(desk.store.due_at(id), Some(Timestamp::from_unix_millis(0)));
    let upgraded = desk.sweep(2, "sweep-3");
    assert_eq!((upgraded.incidents, upgraded.actions), (1, 1));
}

/// A sweep that read a ticket before a write never overwrites the write's
/// "due at once" with an instant computed from the old state.
#[test]
fn a_stale_sweep_does_not_hide_a_newer_write() {
    let desk = desk();
    let id = desk.create("Search slow", "P2");
    let read = block_on(desk.store.due_tickets(later(0))).unwrap();
    let ticket = read.into_iter().next().unwrap().unwrap();
    block_on(change_priority(
        &desk.store,
        &desk.admin,
        id,
        br#"{"priority":"P0"}"#,
        later(0),
    ))
    .unwrap();
    let stale = crate::stores::SweptTicket {
        incident: id,
        schedule: ticket.schedule,
        next_due: Some(later(60)),
        actions: Vec::new(),
    };
    block_on(desk.store.record_sweep("stale", &[stale])).unwrap();
    assert_eq!(desk.store.due_at(id), Some(Timestamp::from_unix_millis(0)));
}

/// A discarded ticket leaves the index. New time limits make every ticket
/// that awaits a response due at once.
#[test]
fn discarding_and_new_limits_move_the_index() {
    let desk = desk();
    let id = desk.create("Checkout 502s", "P1");
    let other = desk.create("Search slow", "P2");
    desk.sweep(0, "sweep-1");
    block_on(transition(
        &desk.store,
        &desk.admin,
        id,
        br#"{"action":"discard","reason":"no impact"}"#,
        later(1),
    ))
    .unwrap();
    let report = desk.sweep(2, "sweep-2");
    assert_eq!(
        report.incidents, 0,
        "a discarded ticket is not read: {report:?}"
    );
    assert_eq!(desk.store.due_at(id), None);
    let config = block_on(crate::escalation::get_config(&desk.store)).unwrap();
    let body = serde_json::to_vec(&config).unwrap();
    block_on(put_config(&desk.store, &desk.admin, &body, later(3))).unwrap();
    assert_eq!(
        desk.store.due_at(other),
        Some(Timestamp::from_unix_millis(0))
    );
    assert_eq!(desk.store.due_at(id), None, "discarded stays out");
}

/// The queue's retries in `wrangler.toml` are the shared policy's: the last
/// attempt is the [`MAX_ATTEMPTS`]-th, then the dead-letter queue.
#[test]
fn the_queue_configuration_matches_the_retry_policy() {
    let wrangler = include_str!("../../../wrangler.toml");
    let consumer = wrangler
        .split("[[queues.consumers]]")
        .nth(1)
        .expect("a consumer of the notification queue");
    assert!(consumer.contains("queue = \"beacon-notifications\""));
    assert!(
        consumer.contains(&format!("max_retries = {}", MAX_ATTEMPTS - 1)),
        "{consumer}"
    );
    assert!(consumer.contains("dead_letter_queue = \"beacon-notifications-dead\""));
    assert!(wrangler.contains("queue = \"beacon-notifications-dead\""));
}

/// The trigger that keeps the due index (migration 0019) fires for exactly
/// the timeline kinds that shape escalation.
#[test]
fn the_due_index_trigger_watches_the_escalation_kinds() {
    let migration = include_str!("../../../migrations/0019_due_index_and_delivery_queue.sql");
    let kinds: Vec<String> = TimelineEvent::ESCALATION_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect();
    assert!(
        migration.contains(&format!("WHEN NEW.kind IN ({})", kinds.join(", "))),
        "{migration}"
    );
}

/// Notifications queued by a team pull-in go out at the next sweep like any page.
#[test]
fn queued_notifications_of_any_origin_are_claimed() {
    let desk = desk();
    let id = desk.create("Checkout 502s", "P3");
    desk.store
        .queue_under_key(
            "incident/1/team/dba/1",
            id,
            later(0),
            &[QueuedNotification {
                channel: 3,
                body: "{}".into(),
            }],
        )
        .unwrap();
    assert_eq!(desk.sweep(0, "sweep").queued, 1);
    desk.queue.deliver_all(&desk.store, &desk.sender, later(0));
    assert_eq!(desk.sent_to("management"), 1);
}
