//! Escalation under a simulated clock (SPEC E1, E4, M1): tickets walked
//! minute by minute, every returned action fed back as sent, as the worker's
//! sweep does.

#![cfg(not(target_arch = "wasm32"))]

use beacon_shared::escalation::{
    episode_start, evaluate_escalation, Action, ActionKind, DeadlineKind, EscalationConfig,
    EscalationPolicy, EscalationStep, EscalationTarget, Minutes, PageReason, PriorityRules,
    Recipient, TicketEvent, TicketHistory, TimeLimits,
};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::rota::{Rota, RotaRole, Rotas, ShiftLength};
use beacon_shared::triage::Name;
use beacon_shared::{Priority, Timestamp};
use std::collections::{BTreeMap, HashSet};

/// 2026-11-23T03:00:00Z: ticket creation, minute 0 of every walk.
const T0: i64 = 1_795_402_800_000;
/// 2026-11-22T20:00:00Z: the IC rota's first handover; alice is on call
/// until 08:00, then bob, then carol.
const ROTA_START: i64 = 1_795_377_600_000;
const MINUTE: i64 = 60_000;
const TICKET: i64 = 42;

fn minute(m: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + m * MINUTE)
}

fn minute_of(t: Timestamp) -> i64 {
    (t.unix_millis() - T0) / MINUTE
}

fn name(text: &str) -> Name {
    Name::parse(text).unwrap()
}

fn rotas() -> Rotas {
    let ic = Rota::new(
        RotaRole::IncidentCommander,
        ["alice", "bob", "carol"].map(name).to_vec(),
        ShiftLength::hours(12).unwrap(),
        Timestamp::from_unix_millis(ROTA_START),
    )
    .unwrap();
    let sre = Rota::new(
        RotaRole::Sre,
        ["sam", "sue"].map(name).to_vec(),
        ShiftLength::hours(8).unwrap(),
        Timestamp::from_unix_millis(ROTA_START),
    )
    .unwrap();
    Rotas::new(vec![ic, sre]).unwrap()
}

fn who(recipient: &Recipient) -> String {
    match recipient {
        Recipient::Person { name, .. } | Recipient::Team { name } => name.to_string(),
        Recipient::Management => "management".into(),
        Recipient::Unstaffed { rota, position } => format!("nobody ({rota} #{position})"),
    }
}

/// One line per action, minutes counted from T0.
fn describe(action: &Action) -> String {
    match &action.kind {
        ActionKind::Page { to, reason, .. } => {
            let why = match reason {
                PageReason::Opened { priority } => format!("opened {priority}"),
                PageReason::Upgraded { from, to } => format!("upgraded {from}->{to}"),
                PageReason::Reopened { priority } => format!("reopened {priority}"),
                PageReason::NotAcknowledged { .. } => "not acknowledged".into(),
            };
            format!("page {}: {why}", who(to))
        }
        ActionKind::Remind {
            to,
            deadline,
            deadline_at,
        } => format!(
            "remind {}: {deadline} at {}",
            who(to),
            minute_of(*deadline_at)
        ),
        ActionKind::Escalate {
            to,
            missed,
            deadline_at,
        } => format!(
            "escalate {}: missed {missed} at {}",
            who(to),
            minute_of(*deadline_at)
        ),
    }
}

/// A ticket under a simulated clock. Every step evaluates at one minute,
/// records what came back as sent and checks the sweep's promises: nothing
/// returned twice, nothing new on a second run at the same instant, nothing
/// before `next_due` and something at it.
struct Walk {
    history: TicketHistory,
    config: EscalationConfig,
    rotas: Rotas,
    log: Vec<(i64, String)>,
    keys: HashSet<String>,
    promised: Option<Option<Timestamp>>,
}

impl Walk {
    fn new(priority: Priority) -> Self {
        Self::with_config(priority, EscalationConfig::default())
    }

    fn with_config(priority: Priority, config: EscalationConfig) -> Self {
        Self {
            history: TicketHistory::new(TICKET, minute(0), priority),
            config,
            rotas: rotas(),
            log: Vec::new(),
            keys: HashSet::new(),
            promised: None,
        }
    }

    /// Something happens at minute `m` (before that minute's sweep).
    fn happens(&mut self, m: i64, event: impl FnOnce(Timestamp) -> TicketEvent) {
        self.history.record(event(minute(m))).unwrap();
        // A new event may make anything due; the last promise is void.
        self.promised = None;
    }

    fn sweep(&mut self, m: i64) -> Vec<Action> {
        let now = minute(m);
        let first = evaluate_escalation(&self.history, &self.config, &self.rotas, now);
        if let Some(next) = first.next_due {
            assert!(next > now, "minute {m}: next due {next} is not after now");
        }
        if let Some(promise) = self.promised {
            let due = promise.is_some_and(|next| next <= now);
            assert_eq!(
                !first.actions.is_empty(),
                due,
                "minute {m}: promised next due {promise:?}, got {:?}",
                first.actions
            );
        }
        for action in &first.actions {
            assert!(action.due_at <= now, "minute {m}: {action:?} is not due");
            assert!(
                self.keys.insert(action.key.to_string()),
                "minute {m}: {} returned twice",
                action.key
            );
            self.history.record_sent(action.key.clone());
            self.log.push((m, describe(action)));
        }
        let second = evaluate_escalation(&self.history, &self.config, &self.rotas, now);
        assert!(
            second.actions.is_empty(),
            "minute {m}: a second run sent {:?}",
            second.actions
        );
        assert_eq!(second.next_due, first.next_due);
        self.promised = Some(first.next_due);
        first.actions
    }

    /// Sweeps every minute from `from` to `to` inclusive, applying `script`'s
    /// events first.
    fn run(&mut self, from: i64, to: i64, script: &BTreeMap<i64, Vec<ScriptEvent>>) {
        for m in from..=to {
            for event in script.get(&m).into_iter().flatten() {
                let event = event.clone();
                self.happens(m, move |at| event.at(at));
            }
            self.sweep(m);
        }
    }

    fn log_between(&self, from: i64, to: i64) -> Vec<(i64, &str)> {
        self.log
            .iter()
            .filter(|(m, _)| (from..=to).contains(m))
            .map(|(m, text)| (*m, text.as_str()))
            .collect()
    }

    fn pages(&self) -> Vec<(i64, &str)> {
        self.log
            .iter()
            .filter(|(_, text)| text.starts_with("page "))
            .map(|(m, text)| (*m, text.as_str()))
            .collect()
    }
}

/// An event in a script, given its minute when it happens.
#[derive(Debug, Clone)]
enum ScriptEvent {
    Ack(&'static str),
    Update,
    Status(IncidentStatus),
    Reprioritize(Priority),
}

impl ScriptEvent {
    fn at(self, at: Timestamp) -> TicketEvent {
        match self {
            ScriptEvent::Ack(by) => TicketEvent::Acknowledged { at, by: name(by) },
            ScriptEvent::Update => TicketEvent::CustomerUpdatePosted { at },
            ScriptEvent::Status(to) => TicketEvent::StatusChanged { at, to },
            ScriptEvent::Reprioritize(to) => TicketEvent::PriorityChanged { at, to },
        }
    }
}

fn script(events: &[(i64, ScriptEvent)]) -> BTreeMap<i64, Vec<ScriptEvent>> {
    let mut by_minute: BTreeMap<i64, Vec<ScriptEvent>> = BTreeMap::new();
    for (m, event) in events {
        by_minute.entry(*m).or_default().push(event.clone());
    }
    by_minute
}

/// SPEC E1, E4, M1: a P0 from creation to close, minute by minute over ten
/// hours. The duty IC is paged at once; unacknowledged, the next IC on the
/// rota is paged at the policy's 5 minutes, then management; the
/// acknowledgement stops paging; update reminders come 5 minutes before
/// each deadline at the 30-minute cadence; a missed update escalates to
/// management; nothing fires after resolve and close.
#[test]
fn a_p0_walks_from_creation_to_close() {
    use ScriptEvent::*;
    let mut walk = Walk::new(Priority::P0);
    let events = script(&[
        (12, Ack("bob")),
        (14, Update),
        (42, Update),
        // No update by 72: escalates.
        (80, Update),
        (108, Update),
        (136, Update),
        (150, Status(IncidentStatus::Resolved)),
        (160, Status(IncidentStatus::Closed)),
    ]);
    walk.run(0, 600, &events);

    assert_eq!(
        walk.log_between(0, 600),
        [
            (0, "page alice: opened P0"),
            (5, "page bob: not acknowledged"),
            (10, "page management: not acknowledged"),
            (10, "remind alice: first_update at 15"),
            (39, "remind bob: update at 44"),
            (67, "remind bob: update at 72"),
            (72, "escalate management: missed update at 72"),
            (105, "remind bob: update at 110"),
            (133, "remind bob: update at 138"),
        ]
    );
    // The next run would have started at minute 20; the ack at 12 stopped it.
    assert!(walk.pages().iter().all(|(m, _)| *m <= 12));
    // Nothing after resolution, and nothing ever will be due.
    assert!(walk.log_between(150, 600).is_empty());
    let closed = evaluate_escalation(&walk.history, &walk.config, &walk.rotas, minute(600));
    assert_eq!(closed.next_due, None);
    assert!(closed.deadlines.is_empty());
}

/// SPEC E1, E4: the pages carry the rota's people, the step and the run,
/// and the first page's key differs from every later one.
#[test]
fn pages_name_the_step_run_and_target() {
    let mut walk = Walk::new(Priority::P0);
    let first = walk.sweep(0);
    assert_eq!(first.len(), 1);
    let ActionKind::Page {
        to,
        target,
        run,
        step,
        reason,
    } = &first[0].kind
    else {
        panic!("expected a page, got {:?}", first[0]);
    };
    assert_eq!(
        to,
        &Recipient::Person {
            name: name("alice"),
            on_call: Some(RotaRole::IncidentCommander)
        }
    );
    assert_eq!(target, &EscalationTarget::DUTY_COMMANDER);
    assert_eq!((*run, *step), (0, 0));
    assert_eq!(
        reason,
        &PageReason::Opened {
            priority: Priority::P0
        }
    );
    assert_eq!(first[0].due_at, minute(0));
    assert!(walk.sweep(4).is_empty());
    let second = walk.sweep(5);
    assert_ne!(second[0].key, first[0].key);
    assert!(second[0].key.as_str().contains("/42/"), "{}", second[0].key);
}

/// SPEC E4: with nobody acknowledging, the policy runs through its steps,
/// repeats as often as configured, then stops; the missed first update and
/// the missed resolution limit escalate to management once each.
#[test]
fn unacknowledged_pages_repeat_then_stop() {
    let mut walk = Walk::new(Priority::P0);
    walk.run(0, 300, &BTreeMap::new());
    let policy = EscalationPolicy::default_for(Priority::P0);
    let runs = usize::from(policy.repeat()) + 1;
    assert_eq!(walk.pages().len(), runs * policy.steps().len());
    assert_eq!(
        walk.pages(),
        [
            (0, "page alice: opened P0"),
            (5, "page bob: not acknowledged"),
            (10, "page management: not acknowledged"),
            (20, "page alice: not acknowledged"),
            (25, "page bob: not acknowledged"),
            (30, "page management: not acknowledged"),
            (40, "page alice: not acknowledged"),
            (45, "page bob: not acknowledged"),
            (50, "page management: not acknowledged"),
        ]
    );
    let escalations: Vec<_> = walk
        .log
        .iter()
        .filter(|(_, text)| text.starts_with("escalate "))
        .cloned()
        .collect();
    assert_eq!(
        escalations,
        [
            (
                15,
                "escalate management: missed first_update at 15".to_string()
            ),
            (
                240,
                "escalate management: missed resolve at 240".to_string()
            ),
        ]
    );
}

/// SPEC E4, P6: a downgrade from P1 to P2 stops the P1's pending pages; the
/// P2's limits take over (its missed acknowledgement escalates to the duty
/// IC without paging). Without the downgrade, the next IC is paged at 15.
#[test]
fn a_downgrade_from_p1_to_p2_stops_pending_pages() {
    let mut kept = Walk::new(Priority::P1);
    kept.run(0, 20, &BTreeMap::new());
    assert_eq!(
        kept.pages(),
        [
            (0, "page alice: opened P1"),
            (15, "page bob: not acknowledged")
        ]
    );

    let mut lowered = Walk::new(Priority::P1);
    let events = script(&[(10, ScriptEvent::Reprioritize(Priority::P2))]);
    lowered.run(0, 300, &events);
    assert_eq!(lowered.pages(), [(0, "page alice: opened P1")]);
    assert_eq!(
        lowered.log_between(1, 300),
        [
            (120, "escalate alice: missed acknowledge at 120"),
            // 06:30: sue has taken over the SRE rota from sam.
            (210, "remind sue: first_update at 240"),
            (240, "escalate alice: missed first_update at 240"),
        ]
    );
}

/// SPEC E4: a downgrade from P0 to P1 keeps the pages already sent and
/// follows the P1's slower steps from the same start.
#[test]
fn a_downgrade_between_paging_priorities_keeps_what_was_sent() {
    let mut walk = Walk::new(Priority::P0);
    let events = script(&[(7, ScriptEvent::Reprioritize(Priority::P1))]);
    walk.run(0, 100, &events);
    assert_eq!(
        walk.pages(),
        [
            (0, "page alice: opened P0"),
            (5, "page bob: not acknowledged"),
            (30, "page management: not acknowledged"),
            (60, "page alice: not acknowledged"),
            (75, "page bob: not acknowledged"),
            (90, "page management: not acknowledged"),
        ]
    );
}

/// SPEC E1, E4: an upgrade from P2 to P0 pages the duty IC at once, even
/// though the P2 was acknowledged; the P0 needs its own acknowledgement, and
/// its clock starts at the upgrade.
#[test]
fn an_upgrade_from_p2_to_p0_pages_at_once() {
    use ScriptEvent::*;
    let mut walk = Walk::new(Priority::P2);
    let events = script(&[(3, Ack("sam")), (36, Ack("alice"))]);
    walk.run(0, 29, &events);
    assert!(walk.pages().is_empty(), "a P2 pages nobody");
    walk.happens(30, |at| TicketEvent::PriorityChanged {
        at,
        to: Priority::P0,
    });
    let at_upgrade = walk.sweep(30);
    assert_eq!(
        at_upgrade.iter().map(describe).collect::<Vec<_>>(),
        ["page alice: upgraded P2->P0"]
    );
    walk.run(31, 120, &events);
    assert_eq!(
        walk.log_between(31, 120),
        [
            (35, "page bob: not acknowledged"),
            (40, "remind alice: first_update at 45"),
            (45, "escalate management: missed first_update at 45"),
        ]
    );
}

/// SPEC E1: an upgrade from P1 to P0 pages again, a reopened P0 pages again,
/// and an acknowledgement from before either does not silence it.
#[test]
fn upgrades_and_reopens_start_a_new_episode() {
    use ScriptEvent::*;
    let mut walk = Walk::new(Priority::P1);
    let events = script(&[
        (2, Ack("alice")),
        (20, Reprioritize(Priority::P0)),
        (21, Ack("alice")),
        (60, Status(IncidentStatus::Resolved)),
        (90, Status(IncidentStatus::Investigating)),
    ]);
    walk.run(0, 95, &events);
    assert_eq!(
        walk.pages(),
        [
            (0, "page alice: opened P1"),
            (20, "page alice: upgraded P1->P0"),
            (90, "page alice: reopened P0"),
            (95, "page bob: not acknowledged"),
        ]
    );
}

/// SPEC E1, E3: the episode a page (and its acknowledgement link) belongs to
/// starts at creation, moves to an upgrade to a paging priority and to a
/// reopening, and stays put for a downgrade or an acknowledgement.
#[test]
fn the_episode_starts_at_creation_upgrade_and_reopening() {
    let mut history = TicketHistory::new(TICKET, minute(0), Priority::P1);
    let config = EscalationConfig::default();
    let events = [
        TicketEvent::Acknowledged {
            at: minute(2),
            by: name("alice"),
        },
        TicketEvent::PriorityChanged {
            at: minute(20),
            to: Priority::P0,
        },
        TicketEvent::PriorityChanged {
            at: minute(30),
            to: Priority::P1,
        },
        TicketEvent::StatusChanged {
            at: minute(60),
            to: IncidentStatus::Resolved,
        },
        TicketEvent::StatusChanged {
            at: minute(90),
            to: IncidentStatus::Investigating,
        },
    ];
    for event in events {
        history.record(event).unwrap();
    }
    let episode_at = |m| minute_of(episode_start(&history, &config, minute(m)));
    assert_eq!(
        [1, 19, 20, 45, 89, 90, 100].map(episode_at),
        [0, 0, 20, 20, 20, 90, 90]
    );
}

/// SPEC E4: a team's own limits and steps are followed, including a named
/// person and a team as targets, and a missing rota shows as unstaffed.
#[test]
fn a_teams_own_policy_is_followed() {
    let limits = TimeLimits::new(
        Minutes::new(2),
        Minutes::new(10),
        Minutes::new(20),
        Minutes::hours(1),
        Minutes::new(3),
    )
    .unwrap();
    let step = |target, wait| EscalationStep::new(target, Minutes::new(wait)).unwrap();
    let policy = EscalationPolicy::new(
        vec![
            step(
                EscalationTarget::OnCall {
                    rota: RotaRole::NetworkEngineer,
                    position: 0,
                },
                2,
            ),
            step(
                EscalationTarget::Team {
                    name: name("network"),
                },
                3,
            ),
            step(EscalationTarget::Person { name: name("ines") }, 4),
        ],
        0,
        EscalationTarget::DUTY_COMMANDER,
        EscalationTarget::Management,
    )
    .unwrap();
    let config = EscalationConfig::default().with(Priority::P1, PriorityRules { limits, policy });
    let mut walk = Walk::with_config(Priority::P1, config);
    walk.run(0, 20, &BTreeMap::new());
    assert_eq!(
        walk.log_between(0, 20),
        [
            (0, "page nobody (network_engineer #0): opened P1"),
            (2, "page network: not acknowledged"),
            (5, "page ines: not acknowledged"),
            (7, "remind alice: first_update at 10"),
            (10, "escalate management: missed first_update at 10"),
        ]
    );
}

/// SPEC E4: the open limits are visible, with what is overdue.
#[test]
fn open_deadlines_are_visible() {
    let mut history = TicketHistory::new(TICKET, minute(0), Priority::P1);
    history
        .record(TicketEvent::CustomerUpdatePosted { at: minute(20) })
        .unwrap();
    let evaluation =
        evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), minute(25));
    let seen: Vec<_> = evaluation
        .deadlines
        .iter()
        .map(|d| (d.kind, minute_of(d.at), d.overdue))
        .collect();
    assert_eq!(
        seen,
        [
            (DeadlineKind::Acknowledge, 15, true),
            (DeadlineKind::Update, 80, false),
            (DeadlineKind::Resolve, 480, false),
        ]
    );
}

/// SPEC V11: a ticket's history refuses events out of time order, and
/// round-trips through JSON with its sent keys.
#[test]
fn histories_refuse_time_travel_and_round_trip() {
    let mut history = TicketHistory::new(TICKET, minute(10), Priority::P0);
    assert!(history
        .record(TicketEvent::CustomerUpdatePosted { at: minute(9) })
        .is_err());
    history
        .record(TicketEvent::Acknowledged {
            at: minute(12),
            by: name("bob"),
        })
        .unwrap();
    let err = history
        .record(TicketEvent::CustomerUpdatePosted { at: minute(11) })
        .unwrap_err();
    assert!(err.to_string().contains("never go backwards"), "{err}");
    let due = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), minute(11));
    for action in due.actions {
        history.record_sent(action.key);
    }
    let json = serde_json::to_string(&history).unwrap();
    let back: TicketHistory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, history);
    assert_eq!(back.sent().len(), 1);

    let backwards = r#"{"ticket":1,"created_at":"2026-11-23T03:00:00Z","priority":"P0",
        "events":[{"kind":"customer_update_posted","at":"2026-11-23T02:00:00Z"}]}"#;
    assert!(serde_json::from_str::<TicketHistory>(backwards).is_err());
}

/// SPEC E4: limits that cannot work are refused, from code and from JSON.
#[test]
fn impossible_limits_and_policies_are_refused() {
    let m = Minutes::new;
    assert!(TimeLimits::new(m(0), m(10), m(20), m(60), m(5)).is_err());
    assert!(TimeLimits::new(m(5), m(10), m(20), m(60), m(10)).is_err());
    assert!(TimeLimits::new(m(5), m(10), m(20), m(60), m(0)).is_ok());
    assert!(EscalationStep::new(EscalationTarget::Management, m(0)).is_err());
    assert!(EscalationPolicy::new(
        Vec::new(),
        1,
        EscalationTarget::Management,
        EscalationTarget::Management
    )
    .is_err());
    let config = serde_json::to_value(EscalationConfig::default()).unwrap();
    assert_eq!(config["p0"]["limits"]["acknowledge"], 5);
    assert_eq!(
        config["p0"]["policy"]["steps"][0]["target"]["kind"],
        "on_call"
    );
    let back: EscalationConfig = serde_json::from_value(config.clone()).unwrap();
    assert_eq!(back, EscalationConfig::default());
    let mut broken = config;
    broken["p2"]["limits"]["update_every"] = 0.into();
    assert!(serde_json::from_value::<EscalationConfig>(broken).is_err());
}

/// SPEC E4: the default limits get shorter as the priority gets more urgent,
/// and only P0 and P1 page.
#[test]
fn defaults_follow_urgency() {
    for pair in Priority::ALL.windows(2) {
        let (urgent, calmer) = (
            TimeLimits::default_for(pair[0]),
            TimeLimits::default_for(pair[1]),
        );
        assert!(urgent.acknowledge() < calmer.acknowledge());
        assert!(urgent.first_update() < calmer.first_update());
        assert!(urgent.update_every() < calmer.update_every());
        assert!(urgent.resolve() < calmer.resolve());
    }
    for priority in Priority::ALL {
        assert_eq!(
            EscalationPolicy::default_for(priority).pages(),
            priority.is_high(),
            "{priority}"
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn script_event() -> impl Strategy<Value = ScriptEvent> {
        prop_oneof![
            2 => prop::sample::select(vec!["alice", "bob", "sam"]).prop_map(ScriptEvent::Ack),
            3 => Just(ScriptEvent::Update),
            1 => prop::sample::select(IncidentStatus::ALL.to_vec()).prop_map(ScriptEvent::Status),
            2 => prop::sample::select(Priority::ALL.to_vec()).prop_map(ScriptEvent::Reprioritize),
        ]
    }

    fn arbitrary_script() -> impl Strategy<Value = Vec<(i64, ScriptEvent)>> {
        prop::collection::vec((0i64..400, script_event()), 0..12).prop_map(|mut events| {
            events.sort_by_key(|(m, _)| *m);
            events
        })
    }

    fn is_done(status: IncidentStatus) -> bool {
        matches!(
            status,
            IncidentStatus::Resolved | IncidentStatus::Closed | IncidentStatus::Discarded
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// SPEC E4: over any history, a sweep every minute never returns an
        /// action twice, returns nothing new when run twice at an instant,
        /// returns nothing before its promised next-due instant and something
        /// at it, and nothing while the ticket is resolved, closed or discarded.
        #[test]
        fn sweeps_are_idempotent_and_keep_their_promises(
            priority in prop::sample::select(Priority::ALL.to_vec()),
            events in arbitrary_script(),
        ) {
            let mut walk = Walk::new(priority);
            let by_minute = script(&events);
            let mut done = false;
            for m in 0..=400 {
                for event in by_minute.get(&m).into_iter().flatten() {
                    if let ScriptEvent::Status(to) = event {
                        done = is_done(*to);
                    }
                    let event = event.clone();
                    walk.happens(m, move |at| event.at(at));
                }
                let actions = walk.sweep(m);
                prop_assert!(!done || actions.is_empty(), "minute {}: {:?}", m, actions);
            }
        }

        /// SPEC E4: the next-due instant is never in the past, whatever the
        /// history and whenever the sweep runs, also before the ticket exists.
        #[test]
        fn next_due_is_never_in_the_past(
            priority in prop::sample::select(Priority::ALL.to_vec()),
            events in arbitrary_script(),
            now in -30i64..600,
        ) {
            let mut history = TicketHistory::new(TICKET, minute(0), priority);
            for (m, event) in events {
                history.record(event.at(minute(m))).unwrap();
            }
            let config = EscalationConfig::default();
            let evaluation = evaluate_escalation(&history, &config, &rotas(), minute(now));
            if let Some(next) = evaluation.next_due {
                prop_assert!(next > minute(now));
            }
            for action in &evaluation.actions {
                prop_assert!(action.due_at <= minute(now));
            }
        }
    }
}

/// SPEC E3, E4: the evaluation says who acknowledged the current episode; an
/// acknowledgement of the P1 does not count for the P0 it was upgraded to,
/// and a new acknowledgement does.
#[test]
fn the_evaluation_names_who_acknowledged_the_current_episode() {
    use ScriptEvent::*;
    let config = EscalationConfig::default();
    let mut history = TicketHistory::new(TICKET, minute(0), Priority::P1);
    let steps = [
        (None, 1, None),
        (Some((2, Ack("alice"))), 3, Some("alice")),
        (Some((10, Reprioritize(Priority::P0))), 11, None),
        (Some((12, Ack("bob"))), 13, Some("bob")),
        (Some((20, Status(IncidentStatus::Resolved))), 21, None),
    ];
    for (event, m, expected) in steps {
        if let Some((at, event)) = event {
            history.record(event.at(minute(at))).unwrap();
        }
        let evaluation = evaluate_escalation(&history, &config, &rotas(), minute(m));
        assert_eq!(evaluation.acknowledged_by, expected.map(name), "minute {m}");
    }
}
