//! On-call rotas (SPEC E1, E2): who is on call for a role at an instant, who
//! takes over next, and the order in which to call people.
//!
//! A [`Rota`] is an ordered list of people who take turns in shifts of equal
//! length, starting at a handover instant. Shift `k` (counting from 0 at
//! [`Rota::starts_at`]) covers `[start + k * shift, start + (k + 1) * shift)`
//! and belongs to `people[k % people.len()]`.
//!
//! Choices made where the SOP is silent:
//! - Before the rota starts nobody is on call, unless an override covers the
//!   instant. A rota published for next Monday does not make anyone
//!   responsible today.
//! - An override (`person covers [from, until)`) beats the scheduled shift.
//!   When overrides overlap, the one added last wins, as when someone covers
//!   part of a colleague's cover.
//! - A person may appear more than once in the list (uneven turns); the
//!   escalation order names each person once.

use crate::measure::number_conversions;
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::Name;
use serde::{Deserialize, Serialize};

const MILLIS_PER_MINUTE: i64 = 60_000;

/// The roles that have an on-call rota (SPEC E2). Stored and sent as
/// snake_case (`incident_commander`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RotaRole {
    /// Site reliability engineers on call.
    Sre,
    /// Network engineering on call.
    NetworkEngineer,
    /// Customer support (CSUP) on call: status page and customer messages.
    CustomerSupport,
    /// The duty incident commander (SPEC E1, E3).
    IncidentCommander,
}

impl RotaRole {
    /// Every rota role.
    pub const ALL: [RotaRole; 4] = [
        RotaRole::Sre,
        RotaRole::NetworkEngineer,
        RotaRole::CustomerSupport,
        RotaRole::IncidentCommander,
    ];

    /// The snake_case name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RotaRole::Sre => "sre",
            RotaRole::NetworkEngineer => "network_engineer",
            RotaRole::CustomerSupport => "customer_support",
            RotaRole::IncidentCommander => "incident_commander",
        }
    }

    /// The access role (SPEC I3) a person on this rota needs.
    pub fn role(self) -> Role {
        match self {
            RotaRole::Sre => Role::Sre,
            RotaRole::NetworkEngineer => Role::Engineer,
            RotaRole::CustomerSupport => Role::CustomerSupport,
            RotaRole::IncidentCommander => Role::IncidentCommander,
        }
    }
}

display_as_str!(RotaRole);

/// Why a rota, a shift length or an override was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotaError {
    #[error("the {role} rota needs at least one person")]
    NoPeople { role: RotaRole },
    #[error("a shift must last at least one minute")]
    ZeroShift,
    #[error("an override must end after it starts: {from} to {until}")]
    EmptyOverride { from: Timestamp, until: Timestamp },
    #[error("there is already a {role} rota")]
    DuplicateRole { role: RotaRole },
}

/// How long one shift lasts: a positive whole number of minutes. Stored and
/// sent as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct ShiftLength(u32);

impl ShiftLength {
    /// A shift of `minutes` minutes; zero is refused.
    pub fn minutes(minutes: u32) -> Result<Self, RotaError> {
        if minutes == 0 {
            Err(RotaError::ZeroShift)
        } else {
            Ok(Self(minutes))
        }
    }

    /// A shift of `hours` hours, e.g. 12 for day and night shifts.
    pub fn hours(hours: u32) -> Result<Self, RotaError> {
        Self::minutes(hours.saturating_mul(60))
    }

    /// A shift of `days` days, e.g. 7 for weekly turns.
    pub fn days(days: u32) -> Result<Self, RotaError> {
        Self::hours(days.saturating_mul(24))
    }

    /// The length in minutes.
    pub fn as_minutes(self) -> u32 {
        self.0
    }

    /// The length in milliseconds.
    pub fn as_millis(self) -> i64 {
        i64::from(self.0) * MILLIS_PER_MINUTE
    }
}

number_conversions!(ShiftLength, RotaError, u32 => minutes, as_minutes => u32);

/// Someone covering a rota over `[from, until)`, in place of whoever is scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OverrideRecord", into = "OverrideRecord")]
pub struct RotaOverride {
    person: Name,
    from: Timestamp,
    until: Timestamp,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideRecord {
    person: Name,
    from: Timestamp,
    until: Timestamp,
}

impl RotaOverride {
    /// `person` covers from `from` (inclusive) until `until` (exclusive);
    /// refused unless `until` is after `from`.
    pub fn new(person: Name, from: Timestamp, until: Timestamp) -> Result<Self, RotaError> {
        if until <= from {
            return Err(RotaError::EmptyOverride { from, until });
        }
        Ok(Self {
            person,
            from,
            until,
        })
    }

    /// Who covers.
    pub fn person(&self) -> &Name {
        &self.person
    }

    /// The first covered instant.
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// The first instant no longer covered.
    pub fn until(&self) -> Timestamp {
        self.until
    }

    /// Whether the override covers the instant `t`.
    pub fn covers(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.until
    }
}

impl TryFrom<OverrideRecord> for RotaOverride {
    type Error = RotaError;
    fn try_from(record: OverrideRecord) -> Result<Self, Self::Error> {
        Self::new(record.person, record.from, record.until)
    }
}

impl From<RotaOverride> for OverrideRecord {
    fn from(value: RotaOverride) -> Self {
        Self {
            person: value.person,
            from: value.from,
            until: value.until,
        }
    }
}

/// A change of the person on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// The first instant the new person is on call.
    pub at: Timestamp,
    /// Who is on call until then; `None` before the rota starts.
    pub from: Option<Name>,
    /// Who is on call from then on; `None` when an override ends before the
    /// rota starts.
    pub to: Option<Name>,
}

/// An on-call rota for one role (SPEC E2). Always has at least one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RotaRecord", into = "RotaRecord")]
pub struct Rota {
    role: RotaRole,
    people: Vec<Name>,
    shift: ShiftLength,
    starts_at: Timestamp,
    overrides: Vec<RotaOverride>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotaRecord {
    role: RotaRole,
    people: Vec<Name>,
    /// Minutes.
    shift: ShiftLength,
    starts_at: Timestamp,
    #[serde(default)]
    overrides: Vec<RotaOverride>,
}

impl Rota {
    /// People take turns in `people` order, one `shift` each, the first from
    /// `starts_at`. Refused when `people` is empty.
    pub fn new(
        role: RotaRole,
        people: Vec<Name>,
        shift: ShiftLength,
        starts_at: Timestamp,
    ) -> Result<Self, RotaError> {
        if people.is_empty() {
            return Err(RotaError::NoPeople { role });
        }
        Ok(Self {
            role,
            people,
            shift,
            starts_at,
            overrides: Vec::new(),
        })
    }

    /// Adds an override; it wins over the schedule and over overrides added before it.
    pub fn add_override(&mut self, cover: RotaOverride) {
        self.overrides.push(cover);
    }

    /// The rota with `cover` added (see [`Rota::add_override`]).
    pub fn with_override(mut self, cover: RotaOverride) -> Self {
        self.add_override(cover);
        self
    }

    /// The role this rota staffs.
    pub fn role(&self) -> RotaRole {
        self.role
    }

    /// The people in turn order; never empty.
    pub fn people(&self) -> &[Name] {
        &self.people
    }

    /// How long each turn lasts.
    pub fn shift(&self) -> ShiftLength {
        self.shift
    }

    /// The first handover: shift 0 starts here.
    pub fn starts_at(&self) -> Timestamp {
        self.starts_at
    }

    /// Overrides in the order they were added (later ones win).
    pub fn overrides(&self) -> &[RotaOverride] {
        &self.overrides
    }

    /// The number of the shift containing `t`, or `None` before the rota starts.
    fn shift_index(&self, t: Timestamp) -> Option<i64> {
        let elapsed = t.millis_since(self.starts_at);
        (elapsed >= 0).then(|| elapsed / self.shift.as_millis())
    }

    /// The position in [`Rota::people`] of whoever the schedule puts on call
    /// at `t`, ignoring overrides; `None` before the rota starts.
    pub fn scheduled_index(&self, t: Timestamp) -> Option<usize> {
        self.shift_index(t)
            .map(|k| (k % self.people.len() as i64) as usize)
    }

    /// Who the schedule puts on call at `t`, ignoring overrides.
    pub fn scheduled_at(&self, t: Timestamp) -> Option<&Name> {
        self.scheduled_index(t).map(|i| &self.people[i])
    }

    /// The override in force at `t`, if any (the last added wins).
    pub fn override_at(&self, t: Timestamp) -> Option<&RotaOverride> {
        self.overrides.iter().rev().find(|o| o.covers(t))
    }

    /// Who is on call at `t` (SPEC E1): the covering override's person, else
    /// the scheduled person; `None` before the rota starts without cover.
    pub fn on_call_at(&self, t: Timestamp) -> Option<&Name> {
        self.override_at(t)
            .map(RotaOverride::person)
            .or_else(|| self.scheduled_at(t))
    }

    /// The first shift edge after `t` where the schedule (ignoring
    /// overrides) puts someone else on call; `None` if it never does.
    fn next_schedule_change(&self, t: Timestamp) -> Option<Timestamp> {
        let Some(k) = self.shift_index(t) else {
            return Some(self.starts_at);
        };
        let n = self.people.len() as i64;
        let current = &self.people[(k % n) as usize];
        (1..=n)
            .map(|j| k.saturating_add(j))
            .find(|&later| &self.people[(later % n) as usize] != current)
            .map(|later| {
                Timestamp::from_unix_millis(
                    self.starts_at
                        .unix_millis()
                        .saturating_add(later.saturating_mul(self.shift.as_millis())),
                )
            })
    }

    /// The first instant after `t` where the person on call may change: an
    /// override edge or, outside any override, a change in the schedule.
    fn next_boundary(&self, t: Timestamp) -> Option<Timestamp> {
        let override_edge = self
            .overrides
            .iter()
            .flat_map(|o| [o.from, o.until])
            .filter(|&edge| edge > t)
            .min();
        if self.override_at(t).is_some() {
            return override_edge;
        }
        match (override_edge, self.next_schedule_change(t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next time someone else takes over after `t` (SPEC E2): when, from
    /// whom, to whom. `None` if the same person stays on call for good (a
    /// rota of one person, with no override ahead).
    pub fn next_handover(&self, t: Timestamp) -> Option<Handover> {
        let current = self.on_call_at(t);
        let mut at = t;
        // Each boundary is an override edge or a change of the scheduled
        // person outside any override, which is a handover; the walk ends.
        for _ in 0..2 * self.overrides.len() + 2 {
            at = self.next_boundary(at)?;
            let next = self.on_call_at(at);
            if next != current {
                return Some(Handover {
                    at,
                    from: current.cloned(),
                    to: next.cloned(),
                });
            }
        }
        None
    }

    /// Whom to call at `t`, in order (SPEC E1, E4): the person on call first,
    /// then (if an override is in force) the scheduled person, then the people
    /// after the scheduled one in rota order, wrapping round; each person
    /// once. Empty before the rota starts without cover; before the start
    /// with cover, the people follow from the first shift's.
    pub fn escalation_order(&self, t: Timestamp) -> Vec<&Name> {
        let Some(first) = self.on_call_at(t) else {
            return Vec::new();
        };
        let scheduled = self.scheduled_index(t).unwrap_or(0);
        let n = self.people.len();
        let mut order = vec![first];
        for person in (0..n).map(|offset| &self.people[(scheduled + offset) % n]) {
            if !order.contains(&person) {
                order.push(person);
            }
        }
        order
    }
}

impl TryFrom<RotaRecord> for Rota {
    type Error = RotaError;
    fn try_from(record: RotaRecord) -> Result<Self, Self::Error> {
        let mut rota = Self::new(record.role, record.people, record.shift, record.starts_at)?;
        rota.overrides = record.overrides;
        Ok(rota)
    }
}

impl From<Rota> for RotaRecord {
    fn from(rota: Rota) -> Self {
        Self {
            role: rota.role,
            people: rota.people,
            shift: rota.shift,
            starts_at: rota.starts_at,
            overrides: rota.overrides,
        }
    }
}

/// The rotas in force, at most one per role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Rota>", into = "Vec<Rota>")]
pub struct Rotas(Vec<Rota>);

impl Rotas {
    /// Refused if two rotas are for the same role.
    pub fn new(rotas: Vec<Rota>) -> Result<Self, RotaError> {
        for (i, rota) in rotas.iter().enumerate() {
            if rotas[..i].iter().any(|other| other.role == rota.role) {
                return Err(RotaError::DuplicateRole { role: rota.role });
            }
        }
        Ok(Self(rotas))
    }

    /// The rota for `role`, if there is one.
    pub fn get(&self, role: RotaRole) -> Option<&Rota> {
        self.0.iter().find(|rota| rota.role == role)
    }

    /// All rotas, in the order given.
    pub fn all(&self) -> &[Rota] {
        &self.0
    }
}

impl TryFrom<Vec<Rota>> for Rotas {
    type Error = RotaError;
    fn try_from(rotas: Vec<Rota>) -> Result<Self, Self::Error> {
        Self::new(rotas)
    }
}

impl From<Rotas> for Vec<Rota> {
    fn from(rotas: Rotas) -> Self {
        rotas.0
    }
}
