//! Time limits and escalation (SPEC E1, E4, M1): what is due for a ticket at
//! an instant (pages, reminders, escalations of missed limits) and when the
//! next thing falls due.
//!
//! [`evaluate_escalation`] is a pure function of the ticket's history, the
//! [`EscalationConfig`], the [`Rotas`] and `now`. The worker's sweep calls it,
//! sends what it returns and records each [`Action::key`] in the history with
//! [`TicketHistory::record_sent`]; the same call then returns nothing new.
//!
//! ## The clock
//!
//! Limits run from the start of the current *episode*: the ticket's creation,
//! an upgrade to a more urgent priority that pages (P2 to P0, P1 to P0), or
//! its reopening. An episode needs its own acknowledgement and its own first
//! customer update; an acknowledgement given before an upgrade to P0 does
//! not stop the P0's pages. A downgrade does not start an episode: from the
//! downgrade on, the lower priority's limits and policy apply to the same
//! episode, so a downgrade to a priority that does not page stops every
//! pending page.
//!
//! ## What is due
//!
//! - **Pages** (priorities whose policy has steps, by default P0 and P1): step
//!   `s` of run `r` is due at `start + r * (sum of all steps' waits) + (waits
//!   of the steps before s)`. Step 0 of run 0 is due at once (SPEC E1). An
//!   acknowledgement stops all further pages of the episode. A step already
//!   paged under a more urgent priority of the same episode is not paged
//!   again. For these priorities the steps *are* the escalation of a missed
//!   acknowledgement. Rota targets resolve to whoever is in that place at
//!   `now`; an empty place shows as [`Recipient::Unstaffed`].
//! - **Acknowledgement** (priorities without steps): an [`ActionKind::Escalate`]
//!   when nobody acknowledged within the limit.
//! - **Customer updates** (SPEC M1): the first is due `first_update` after the
//!   episode starts; after that, `update_every` after the latest one. An
//!   [`ActionKind::Remind`] goes out `remind_before` ahead of each, to the
//!   person who acknowledged (or the policy's reminder target), and a missed
//!   one escalates.
//! - **Resolution**: a missed resolution limit escalates.
//!
//! Nothing is due while the ticket is resolved, closed or discarded. Events
//! after `now` in the history are ignored. A deadline met late but before the
//! sweep saw it escalates nothing; the sweep runs every minute.
//!
//! ## Idempotency keys
//!
//! Each action has a key that names what it is about, never when it was
//! computed: `incident/{id}/page/{episode start ms}/{run}/{step}`,
//! `incident/{id}/remind/{deadline kind}/{deadline ms}` and
//! `incident/{id}/escalate/{deadline kind}/{deadline ms}`. A new deadline
//! (after an update is posted) has a new instant and so a new key.
//!
//! ## Default limits and policy
//!
//! | priority | acknowledge | first update | update every | resolve | remind before | pages |
//! |----------|-------------|--------------|--------------|---------|---------------|-------|
//! | P0 | 5 min  | 15 min | 30 min | 4 h  | 5 min  | duty IC, after 5 min the next IC, after 5 more management; 10 min later all again, twice |
//! | P1 | 15 min | 30 min | 60 min | 8 h  | 10 min | duty IC, after 15 min the next IC, after 15 more management; 30 min later all again, once |
//! | P2 | 2 h    | 4 h    | 24 h   | 3 d  | 30 min | none |
//! | P3 | 24 h   | 3 d    | 7 d    | 30 d | 4 h    | none |
//!
//! Missed limits of P0 and P1 go to management; those of P2 and P3 to the
//! duty incident commander (SPEC E3). Reminders go to the duty IC for P0 and
//! P1 and to the SRE on call for P2 and P3 until someone acknowledges.

use crate::lifecycle::IncidentStatus;
use crate::priority::Priority;
use crate::rota::{RotaRole, Rotas};
use crate::timestamp::Timestamp;
use crate::triage::Name;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

const MILLIS_PER_MINUTE: i64 = 60_000;

/// A number of whole minutes. Stored and sent as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Minutes(u32);

impl Minutes {
    /// This many minutes.
    pub const fn new(minutes: u32) -> Self {
        Self(minutes)
    }

    /// This many hours, in minutes.
    pub const fn hours(hours: u32) -> Self {
        Self(hours.saturating_mul(60))
    }

    /// This many days, in minutes.
    pub const fn days(days: u32) -> Self {
        Self::hours(days.saturating_mul(24))
    }

    /// The number of minutes.
    pub const fn as_minutes(self) -> u32 {
        self.0
    }

    /// The same span in milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0 as i64 * MILLIS_PER_MINUTE
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} min", self.0)
    }
}

/// `at` moved forward by `millis`, saturating at the end of time.
fn after(at: Timestamp, millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(at.unix_millis().saturating_add(millis))
}

/// The limits of SPEC E4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Someone acknowledges the ticket.
    Acknowledge,
    /// The first customer update of the episode is posted.
    FirstUpdate,
    /// The next customer update is posted.
    Update,
    /// The ticket is resolved.
    Resolve,
}

impl DeadlineKind {
    /// Every kind of limit, in the order a ticket usually meets them.
    pub const ALL: [DeadlineKind; 4] = [
        DeadlineKind::Acknowledge,
        DeadlineKind::FirstUpdate,
        DeadlineKind::Update,
        DeadlineKind::Resolve,
    ];

    /// The snake_case name, as stored and in idempotency keys.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledge => "acknowledge",
            DeadlineKind::FirstUpdate => "first_update",
            DeadlineKind::Update => "update",
            DeadlineKind::Resolve => "resolve",
        }
    }
}

display_as_str!(DeadlineKind);

/// Why a limit or a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscalationConfigError {
    #[error("the {limit} limit must be at least one minute")]
    ZeroLimit { limit: DeadlineKind },
    #[error(
        "a reminder {remind_before} ahead would come before the {limit} clock starts; \
         remind less than {within} ahead"
    )]
    ReminderTooEarly {
        remind_before: Minutes,
        limit: DeadlineKind,
        within: Minutes,
    },
    #[error("an escalation step must wait at least one minute for an acknowledgement")]
    ZeroStepWait,
    #[error("a policy has at most {max} steps, got {got}")]
    TooManySteps { max: usize, got: usize },
    #[error("a policy repeats at most {max} times, got {got}")]
    TooManyRepeats { max: u8, got: u8 },
    #[error("a policy without steps pages nobody and cannot repeat")]
    RepeatWithoutSteps,
}

/// One priority's time limits (SPEC E4). Every limit is at least a minute,
/// and reminders come after the update clocks start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TimeLimitsRecord", into = "TimeLimitsRecord")]
pub struct TimeLimits {
    acknowledge: Minutes,
    first_update: Minutes,
    update_every: Minutes,
    resolve: Minutes,
    remind_before: Minutes,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeLimitsRecord {
    acknowledge: Minutes,
    first_update: Minutes,
    update_every: Minutes,
    resolve: Minutes,
    remind_before: Minutes,
}

impl TimeLimits {
    /// Limits measured from the start of the episode (`acknowledge`,
    /// `first_update`, `resolve`) or from the latest customer update
    /// (`update_every`). Update reminders go out `remind_before` ahead of
    /// each update deadline; zero sends none. Refused when a limit is zero or
    /// `remind_before` is not shorter than `first_update` and `update_every`.
    pub fn new(
        acknowledge: Minutes,
        first_update: Minutes,
        update_every: Minutes,
        resolve: Minutes,
        remind_before: Minutes,
    ) -> Result<Self, EscalationConfigError> {
        let limits = [
            (DeadlineKind::Acknowledge, acknowledge),
            (DeadlineKind::FirstUpdate, first_update),
            (DeadlineKind::Update, update_every),
            (DeadlineKind::Resolve, resolve),
        ];
        for (limit, minutes) in limits {
            if minutes.0 == 0 {
                return Err(EscalationConfigError::ZeroLimit { limit });
            }
        }
        for (limit, within) in [
            (DeadlineKind::FirstUpdate, first_update),
            (DeadlineKind::Update, update_every),
        ] {
            if remind_before >= within {
                return Err(EscalationConfigError::ReminderTooEarly {
                    remind_before,
                    limit,
                    within,
                });
            }
        }
        Ok(Self {
            acknowledge,
            first_update,
            update_every,
            resolve,
            remind_before,
        })
    }

    /// The defaults in the module documentation.
    pub fn default_for(priority: Priority) -> Self {
        let (ack, first, every, resolve, remind) = match priority {
            Priority::P0 => (5, 15, 30, 4 * 60, 5),
            Priority::P1 => (15, 30, 60, 8 * 60, 10),
            Priority::P2 => (2 * 60, 4 * 60, 24 * 60, 3 * 24 * 60, 30),
            Priority::P3 => (24 * 60, 3 * 24 * 60, 7 * 24 * 60, 30 * 24 * 60, 4 * 60),
        };
        Self {
            acknowledge: Minutes(ack),
            first_update: Minutes(first),
            update_every: Minutes(every),
            resolve: Minutes(resolve),
            remind_before: Minutes(remind),
        }
    }

    /// From the episode start to the acknowledgement.
    pub fn acknowledge(&self) -> Minutes {
        self.acknowledge
    }

    /// From the episode start to the first customer update.
    pub fn first_update(&self) -> Minutes {
        self.first_update
    }

    /// From one customer update to the next.
    pub fn update_every(&self) -> Minutes {
        self.update_every
    }

    /// From the episode start to resolution.
    pub fn resolve(&self) -> Minutes {
        self.resolve
    }

    /// How far ahead of an update deadline the reminder goes out; zero for none.
    pub fn remind_before(&self) -> Minutes {
        self.remind_before
    }
}

impl TryFrom<TimeLimitsRecord> for TimeLimits {
    type Error = EscalationConfigError;
    fn try_from(r: TimeLimitsRecord) -> Result<Self, Self::Error> {
        Self::new(
            r.acknowledge,
            r.first_update,
            r.update_every,
            r.resolve,
            r.remind_before,
        )
    }
}

impl From<TimeLimits> for TimeLimitsRecord {
    fn from(l: TimeLimits) -> Self {
        Self {
            acknowledge: l.acknowledge,
            first_update: l.first_update,
            update_every: l.update_every,
            resolve: l.resolve,
            remind_before: l.remind_before,
        }
    }
}

/// Whom a step pages, a reminder reaches or a missed limit escalates to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EscalationTarget {
    /// A person from a rota's escalation order at the time: position 0 is
    /// whoever is on call, 1 the next person in the rota, and so on.
    OnCall { rota: RotaRole, position: u8 },
    /// A named person.
    Person { name: Name },
    /// An engineering team (SPEC E5), e.g. `DBA`.
    Team { name: Name },
    /// Internal management.
    Management,
}

impl EscalationTarget {
    /// The duty incident commander.
    pub const DUTY_COMMANDER: EscalationTarget = EscalationTarget::OnCall {
        rota: RotaRole::IncidentCommander,
        position: 0,
    };

    /// The person or group this target means at `at`, given the rotas.
    pub fn resolve(&self, rotas: &Rotas, at: Timestamp) -> Recipient {
        match self {
            EscalationTarget::OnCall { rota, position } => rotas
                .get(*rota)
                .and_then(|r| {
                    r.escalation_order(at)
                        .get(usize::from(*position))
                        .map(|&name| name.clone())
                })
                .map_or(
                    Recipient::Unstaffed {
                        rota: *rota,
                        position: *position,
                    },
                    |name| Recipient::Person {
                        name,
                        on_call: Some(*rota),
                    },
                ),
            EscalationTarget::Person { name } => Recipient::Person {
                name: name.clone(),
                on_call: None,
            },
            EscalationTarget::Team { name } => Recipient::Team { name: name.clone() },
            EscalationTarget::Management => Recipient::Management,
        }
    }
}

/// Who an action reaches, resolved against the rotas when it is evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// A person, and the rota that made them the one to call, if any.
    Person {
        name: Name,
        on_call: Option<RotaRole>,
    },
    /// An engineering team.
    Team { name: Name },
    /// Internal management.
    Management,
    /// The rota is missing, has not started, or has fewer people than the
    /// position asks for. The caller must make this visible, not drop it.
    Unstaffed { rota: RotaRole, position: u8 },
}

/// One step of an escalation policy: page `target`, then wait `escalate_after`
/// for an acknowledgement before the next step (or the next run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StepRecord", into = "StepRecord")]
pub struct EscalationStep {
    target: EscalationTarget,
    escalate_after: Minutes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRecord {
    target: EscalationTarget,
    escalate_after: Minutes,
}

impl EscalationStep {
    /// Refused when `escalate_after` is zero.
    pub fn new(
        target: EscalationTarget,
        escalate_after: Minutes,
    ) -> Result<Self, EscalationConfigError> {
        if escalate_after.0 == 0 {
            return Err(EscalationConfigError::ZeroStepWait);
        }
        Ok(Self {
            target,
            escalate_after,
        })
    }

    /// Whom this step pages.
    pub fn target(&self) -> &EscalationTarget {
        &self.target
    }

    /// How long to wait for an acknowledgement before the next step.
    pub fn escalate_after(&self) -> Minutes {
        self.escalate_after
    }
}

impl TryFrom<StepRecord> for EscalationStep {
    type Error = EscalationConfigError;
    fn try_from(r: StepRecord) -> Result<Self, Self::Error> {
        Self::new(r.target, r.escalate_after)
    }
}

impl From<EscalationStep> for StepRecord {
    fn from(s: EscalationStep) -> Self {
        Self {
            target: s.target,
            escalate_after: s.escalate_after,
        }
    }
}

/// How one priority pages and escalates (SPEC E1, E4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicyRecord", into = "PolicyRecord")]
pub struct EscalationPolicy {
    steps: Vec<EscalationStep>,
    repeat: u8,
    remind: EscalationTarget,
    missed_limit: EscalationTarget,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRecord {
    steps: Vec<EscalationStep>,
    repeat: u8,
    remind: EscalationTarget,
    missed_limit: EscalationTarget,
}

impl EscalationPolicy {
    /// The most steps a policy may have.
    pub const MAX_STEPS: usize = 16;
    /// The most extra runs through the steps.
    pub const MAX_REPEATS: u8 = 10;

    /// Pages `steps` in order until someone acknowledges, then runs through
    /// them `repeat` more times. Update reminders go to `remind` until someone
    /// acknowledges (then to that person); missed limits escalate to
    /// `missed_limit`. No steps means the priority never pages.
    pub fn new(
        steps: Vec<EscalationStep>,
        repeat: u8,
        remind: EscalationTarget,
        missed_limit: EscalationTarget,
    ) -> Result<Self, EscalationConfigError> {
        if steps.len() > Self::MAX_STEPS {
            return Err(EscalationConfigError::TooManySteps {
                max: Self::MAX_STEPS,
                got: steps.len(),
            });
        }
        if repeat > Self::MAX_REPEATS {
            return Err(EscalationConfigError::TooManyRepeats {
                max: Self::MAX_REPEATS,
                got: repeat,
            });
        }
        if steps.is_empty() && repeat > 0 {
            return Err(EscalationConfigError::RepeatWithoutSteps);
        }
        Ok(Self {
            steps,
            repeat,
            remind,
            missed_limit,
        })
    }

    /// The defaults in the module documentation.
    pub fn default_for(priority: Priority) -> Self {
        let paging = |wait: u32, management_wait: u32, repeat: u8| {
            let step = |target, minutes| EscalationStep {
                target,
                escalate_after: Minutes(minutes),
            };
            Self {
                steps: vec![
                    step(EscalationTarget::DUTY_COMMANDER, wait),
                    step(
                        EscalationTarget::OnCall {
                            rota: RotaRole::IncidentCommander,
                            position: 1,
                        },
                        wait,
                    ),
                    step(EscalationTarget::Management, management_wait),
                ],
                repeat,
                remind: EscalationTarget::DUTY_COMMANDER,
                missed_limit: EscalationTarget::Management,
            }
        };
        let quiet = Self {
            steps: Vec::new(),
            repeat: 0,
            remind: EscalationTarget::OnCall {
                rota: RotaRole::Sre,
                position: 0,
            },
            missed_limit: EscalationTarget::DUTY_COMMANDER,
        };
        match priority {
            Priority::P0 => paging(5, 10, 2),
            Priority::P1 => paging(15, 30, 1),
            Priority::P2 | Priority::P3 => quiet,
        }
    }

    /// The steps, in paging order; empty when the priority never pages.
    pub fn steps(&self) -> &[EscalationStep] {
        &self.steps
    }

    /// How many more times the steps run after the first.
    pub fn repeat(&self) -> u8 {
        self.repeat
    }

    /// Who is reminded of update deadlines until someone acknowledges.
    pub fn remind(&self) -> &EscalationTarget {
        &self.remind
    }

    /// Who is told when a limit is missed.
    pub fn missed_limit(&self) -> &EscalationTarget {
        &self.missed_limit
    }

    /// Whether this priority pages anyone.
    pub fn pages(&self) -> bool {
        !self.steps.is_empty()
    }

    /// One run through every step.
    fn run_millis(&self) -> i64 {
        self.steps
            .iter()
            .map(|s| s.escalate_after.as_millis())
            .fold(0, i64::saturating_add)
    }
}

impl TryFrom<PolicyRecord> for EscalationPolicy {
    type Error = EscalationConfigError;
    fn try_from(r: PolicyRecord) -> Result<Self, Self::Error> {
        Self::new(r.steps, r.repeat, r.remind, r.missed_limit)
    }
}

impl From<EscalationPolicy> for PolicyRecord {
    fn from(p: EscalationPolicy) -> Self {
        Self {
            steps: p.steps,
            repeat: p.repeat,
            remind: p.remind,
            missed_limit: p.missed_limit,
        }
    }
}

/// A priority's limits and policy together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityRules {
    pub limits: TimeLimits,
    pub policy: EscalationPolicy,
}

impl PriorityRules {
    /// The defaults in the module documentation.
    pub fn default_for(priority: Priority) -> Self {
        Self {
            limits: TimeLimits::default_for(priority),
            policy: EscalationPolicy::default_for(priority),
        }
    }
}

/// A team's limits and policies for every priority (SPEC E4: configurable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    pub p0: PriorityRules,
    pub p1: PriorityRules,
    pub p2: PriorityRules,
    pub p3: PriorityRules,
}

impl Default for EscalationConfig {
    fn default() -> Self {
        Self {
            p0: PriorityRules::default_for(Priority::P0),
            p1: PriorityRules::default_for(Priority::P1),
            p2: PriorityRules::default_for(Priority::P2),
            p3: PriorityRules::default_for(Priority::P3),
        }
    }
}

impl EscalationConfig {
    /// The rules for `priority`.
    pub fn for_priority(&self, priority: Priority) -> &PriorityRules {
        match priority {
            Priority::P0 => &self.p0,
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
        }
    }

    /// The configuration with `rules` for `priority`.
    pub fn with(mut self, priority: Priority, rules: PriorityRules) -> Self {
        let slot = match priority {
            Priority::P0 => &mut self.p0,
            Priority::P1 => &mut self.p1,
            Priority::P2 => &mut self.p2,
            Priority::P3 => &mut self.p3,
        };
        *slot = rules;
        self
    }
}

/// Something that happened to a ticket and matters to its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TicketEvent {
    /// The priority was set to `to` (raised or lowered).
    PriorityChanged { at: Timestamp, to: Priority },
    /// The status moved to `to` (SPEC V11).
    StatusChanged { at: Timestamp, to: IncidentStatus },
    /// Someone took the ticket on; stops the episode's pages.
    Acknowledged { at: Timestamp, by: Name },
    /// A customer update (status page or message) was posted (SPEC M1).
    CustomerUpdatePosted { at: Timestamp },
}

impl TicketEvent {
    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            TicketEvent::PriorityChanged { at, .. }
            | TicketEvent::StatusChanged { at, .. }
            | TicketEvent::Acknowledged { at, .. }
            | TicketEvent::CustomerUpdatePosted { at } => *at,
        }
    }
}

/// Why an event was refused by a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("{at} is before the ticket was created at {created_at}")]
    BeforeCreation {
        created_at: Timestamp,
        at: Timestamp,
    },
    #[error("{at} is before the last event at {last}; timestamps never go backwards")]
    TimeWentBackwards { last: Timestamp, at: Timestamp },
}

/// A stable name for one action, so a sweep sends it once (see the module
/// documentation for the format). Stored as a string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key made by a rule of this crate, in the format its module documents.
    pub(crate) fn new(key: String) -> Self {
        Self(key)
    }

    /// A key read back from storage.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the escalation rules need to know about one ticket: when it was
/// created, with which priority, what happened since (in time order, none
/// before creation) and which actions were already sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HistoryRecord", into = "HistoryRecord")]
pub struct TicketHistory {
    ticket: i64,
    created_at: Timestamp,
    priority: Priority,
    events: Vec<TicketEvent>,
    sent: BTreeSet<IdempotencyKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryRecord {
    ticket: i64,
    created_at: Timestamp,
    priority: Priority,
    #[serde(default)]
    events: Vec<TicketEvent>,
    #[serde(default)]
    sent: BTreeSet<IdempotencyKey>,
}

impl TicketHistory {
    /// Ticket `ticket` (the incident id), created at `created_at` with `priority`.
    pub fn new(ticket: i64, created_at: Timestamp, priority: Priority) -> Self {
        Self {
            ticket,
            created_at,
            priority,
            events: Vec::new(),
            sent: BTreeSet::new(),
        }
    }

    /// Appends `event`; refused if it is before the creation or the last
    /// event (the same instant is fine, and keeps the order given).
    pub fn record(&mut self, event: TicketEvent) -> Result<(), HistoryError> {
        let at = event.at();
        if at < self.created_at {
            return Err(HistoryError::BeforeCreation {
                created_at: self.created_at,
                at,
            });
        }
        if let Some(last) = self.events.last().map(TicketEvent::at) {
            if at < last {
                return Err(HistoryError::TimeWentBackwards { last, at });
            }
        }
        self.events.push(event);
        Ok(())
    }

    /// Notes that the action with `key` was sent.
    pub fn record_sent(&mut self, key: IdempotencyKey) {
        self.sent.insert(key);
    }

    /// Whether the action with `key` was sent.
    pub fn was_sent(&self, key: &IdempotencyKey) -> bool {
        self.sent.contains(key)
    }

    /// The incident id.
    pub fn ticket(&self) -> i64 {
        self.ticket
    }

    /// When the ticket was created: the first episode starts here.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// The priority the ticket was created with.
    pub fn initial_priority(&self) -> Priority {
        self.priority
    }

    /// What happened, in time order.
    pub fn events(&self) -> &[TicketEvent] {
        &self.events
    }

    /// The keys of the actions already sent.
    pub fn sent(&self) -> &BTreeSet<IdempotencyKey> {
        &self.sent
    }
}

impl TryFrom<HistoryRecord> for TicketHistory {
    type Error = HistoryError;
    fn try_from(r: HistoryRecord) -> Result<Self, Self::Error> {
        let mut history = Self::new(r.ticket, r.created_at, r.priority);
        for event in r.events {
            history.record(event)?;
        }
        history.sent = r.sent;
        Ok(history)
    }
}

impl From<TicketHistory> for HistoryRecord {
    fn from(h: TicketHistory) -> Self {
        Self {
            ticket: h.ticket,
            created_at: h.created_at,
            priority: h.priority,
            events: h.events,
            sent: h.sent,
        }
    }
}

/// Why an episode's first page goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageReason {
    /// The ticket was created with a priority that pages (SPEC E1).
    Opened { priority: Priority },
    /// The priority was raised into one that pages, or to a more urgent one.
    Upgraded { from: Priority, to: Priority },
    /// A resolved or closed ticket was reopened.
    Reopened { priority: Priority },
    /// Nobody acknowledged the pages sent since `paging_since` (SPEC E4).
    NotAcknowledged { paging_since: Timestamp },
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionKind {
    /// Page `to`, step `step` of run `run` of the policy.
    Page {
        to: Recipient,
        target: EscalationTarget,
        run: u8,
        step: u8,
        reason: PageReason,
    },
    /// Remind `to` that `deadline` falls due at `deadline_at`.
    Remind {
        to: Recipient,
        deadline: DeadlineKind,
        deadline_at: Timestamp,
    },
    /// Tell `to` that `missed` passed at `deadline_at` without being met.
    Escalate {
        to: Recipient,
        missed: DeadlineKind,
        deadline_at: Timestamp,
    },
}

/// One thing the sweep must send now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Record this once sent; the action is then never returned again.
    pub key: IdempotencyKey,
    /// When it became due (at or before the evaluation's `now`).
    pub due_at: Timestamp,
    pub kind: ActionKind,
}

/// A limit the ticket has not met yet, for display (SPEC E4: visible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub at: Timestamp,
    /// `now` is at or past `at`.
    pub overdue: bool,
}

/// The result of [`evaluate_escalation`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evaluation {
    /// Due now and not sent yet, by due time then key.
    pub actions: Vec<Action>,
    /// The limits still open, overdue or not; empty once resolved.
    pub deadlines: Vec<Deadline>,
    /// The first instant after `now` at which something falls due if nothing
    /// new happens; `None` if nothing ever will.
    pub next_due: Option<Timestamp>,
    /// Who acknowledged the current episode, if anyone did: an acknowledgement
    /// given before an upgrade that started a new episode does not count.
    /// `None` once resolved.
    #[serde(default)]
    pub acknowledged_by: Option<Name>,
}

/// The ticket's state as of an instant, read from its history.
struct TicketState<'h> {
    priority: Priority,
    open: bool,
    episode_start: Timestamp,
    episode_reason: PageReason,
    acknowledged_by: Option<&'h Name>,
    updated_in_episode: bool,
    last_update: Option<Timestamp>,
}

fn is_done(status: IncidentStatus) -> bool {
    !status.awaits_response()
}

fn ticket_state<'h>(
    history: &'h TicketHistory,
    config: &EscalationConfig,
    now: Timestamp,
) -> TicketState<'h> {
    let mut state = TicketState {
        priority: history.priority,
        open: true,
        episode_start: history.created_at,
        episode_reason: PageReason::Opened {
            priority: history.priority,
        },
        acknowledged_by: None,
        updated_in_episode: false,
        last_update: None,
    };
    let start_episode = |state: &mut TicketState<'h>, at: Timestamp, reason: PageReason| {
        state.episode_start = at;
        state.episode_reason = reason;
        state.acknowledged_by = None;
        state.updated_in_episode = false;
    };
    for event in history.events.iter().take_while(|e| e.at() <= now) {
        match event {
            TicketEvent::PriorityChanged { at, to } => {
                let from = state.priority;
                if *to < from && config.for_priority(*to).policy.pages() {
                    start_episode(&mut state, *at, PageReason::Upgraded { from, to: *to });
                }
                state.priority = *to;
            }
            TicketEvent::StatusChanged { at, to } => {
                let open = !is_done(*to);
                if open && !state.open {
                    let reason = PageReason::Reopened {
                        priority: state.priority,
                    };
                    start_episode(&mut state, *at, reason);
                }
                state.open = open;
            }
            TicketEvent::Acknowledged { by, .. } => {
                state.acknowledged_by.get_or_insert(by);
            }
            TicketEvent::CustomerUpdatePosted { at } => {
                state.last_update = Some(*at);
                state.updated_in_episode = true;
            }
        }
    }
    state
}

/// Collects actions and the next due instant for one evaluation.
struct Sweep<'a> {
    history: &'a TicketHistory,
    now: Timestamp,
    actions: Vec<Action>,
    next_due: Option<Timestamp>,
}

impl Sweep<'_> {
    /// Handles one scheduled action at `at`: nothing if its key was sent,
    /// an action if it is due, else a candidate for `next_due`. Returns
    /// whether it lies in the future and was not sent.
    fn due(&mut self, at: Timestamp, key: String, kind: impl FnOnce() -> ActionKind) -> bool {
        let key = IdempotencyKey(key);
        if self.history.was_sent(&key) {
            return false;
        }
        if at > self.now {
            self.next_due = Some(self.next_due.map_or(at, |next| next.min(at)));
            return true;
        }
        self.actions.push(Action {
            key,
            due_at: at,
            kind: kind(),
        });
        false
    }
}

/// What is due for the ticket at `now` and when the next thing falls due
/// (SPEC E1, E4, M1). Rota targets are resolved at `now`. See the module
/// documentation for the rules.
pub fn evaluate_escalation(
    history: &TicketHistory,
    config: &EscalationConfig,
    rotas: &Rotas,
    now: Timestamp,
) -> Evaluation {
    if now < history.created_at {
        return Evaluation {
            next_due: Some(history.created_at),
            ..Evaluation::default()
        };
    }
    let state = ticket_state(history, config, now);
    if !state.open {
        return Evaluation::default();
    }
    let PriorityRules { limits, policy } = config.for_priority(state.priority);
    let id = history.ticket;
    let start = state.episode_start;
    let mut sweep = Sweep {
        history,
        now,
        actions: Vec::new(),
        next_due: None,
    };
    let mut deadlines = Vec::new();
    let mut deadline = |kind: DeadlineKind, at: Timestamp| {
        deadlines.push(Deadline {
            kind,
            at,
            overdue: at <= now,
        });
    };

    // Pages, until someone acknowledges.
    if state.acknowledged_by.is_none() && policy.pages() {
        let run_millis = policy.run_millis();
        'runs: for run in 0..=policy.repeat {
            let mut offset = run_millis.saturating_mul(i64::from(run));
            for (step, s) in policy.steps.iter().enumerate() {
                let at = after(start, offset);
                offset = offset.saturating_add(s.escalate_after.as_millis());
                let reason = if run == 0 && step == 0 {
                    state.episode_reason.clone()
                } else {
                    PageReason::NotAcknowledged {
                        paging_since: start,
                    }
                };
                let pending = sweep.due(
                    at,
                    format!("incident/{id}/page/{}/{run}/{step}", start.unix_millis()),
                    || ActionKind::Page {
                        to: s.target.resolve(rotas, now),
                        target: s.target.clone(),
                        run,
                        step: step as u8,
                        reason,
                    },
                );
                // Pages fall due in schedule order: the first pending one is next.
                if pending {
                    break 'runs;
                }
            }
        }
    }

    let escalate = |sweep: &mut Sweep, missed: DeadlineKind, deadline_at: Timestamp| {
        sweep.due(
            deadline_at,
            format!(
                "incident/{id}/escalate/{missed}/{}",
                deadline_at.unix_millis()
            ),
            || ActionKind::Escalate {
                to: policy.missed_limit.resolve(rotas, now),
                missed,
                deadline_at,
            },
        );
    };

    // Acknowledgement: paging priorities escalate through their steps.
    if state.acknowledged_by.is_none() {
        let at = after(start, limits.acknowledge.as_millis());
        deadline(DeadlineKind::Acknowledge, at);
        if !policy.pages() {
            escalate(&mut sweep, DeadlineKind::Acknowledge, at);
        }
    }

    // Customer updates: a reminder ahead, an escalation when missed.
    let (kind, at) = match state.last_update.filter(|_| state.updated_in_episode) {
        Some(last) => (
            DeadlineKind::Update,
            after(last, limits.update_every.as_millis()),
        ),
        None => (
            DeadlineKind::FirstUpdate,
            after(start, limits.first_update.as_millis()),
        ),
    };
    deadline(kind, at);
    if at > now && limits.remind_before.0 > 0 {
        let remind_at = after(at, -limits.remind_before.as_millis());
        sweep.due(
            remind_at,
            format!("incident/{id}/remind/{kind}/{}", at.unix_millis()),
            || ActionKind::Remind {
                to: match state.acknowledged_by {
                    Some(name) => Recipient::Person {
                        name: name.clone(),
                        on_call: None,
                    },
                    None => policy.remind.resolve(rotas, now),
                },
                deadline: kind,
                deadline_at: at,
            },
        );
    }
    escalate(&mut sweep, kind, at);

    // Resolution.
    let at = after(start, limits.resolve.as_millis());
    deadline(DeadlineKind::Resolve, at);
    escalate(&mut sweep, DeadlineKind::Resolve, at);

    let Sweep {
        mut actions,
        next_due,
        ..
    } = sweep;
    actions.sort_by(|a, b| (a.due_at, &a.key).cmp(&(b.due_at, &b.key)));
    Evaluation {
        actions,
        deadlines,
        next_due,
        acknowledged_by: state.acknowledged_by.cloned(),
    }
}
