//! Problem tickets (SPEC R3, ITIL problem management): the record that
//! outlives incidents, links every incident that shares a cause, the vendor
//! RCAs (SPEC R4) and the remediation items (SPEC V8), and is resolved only
//! when the fix is verified.
//!
//! | from                          | action                      | to              |
//! |-------------------------------|-----------------------------|-----------------|
//! | new                           | `start_investigating`       | investigating   |
//! | investigating                 | `record_workaround {text}`  | known_error     |
//! | known_error                   | `record_workaround {text}`  | known_error     |
//! | investigating, known_error    | `start_fix`                 | fix_in_progress |
//! | fix_in_progress               | `resolve {verification}`    | resolved        |
//! | resolved                      | `close`                     | closed          |
//! | resolved, closed              | `reopen {reason}`           | investigating   |
//!
//! Choices made where the SOP is silent:
//! - A fix may start straight from investigating: not every cause has a
//!   workaround worth recording.
//! - Resolving needs the fix's verification (a link or a text), like a
//!   remediation item. A problem whose fix did not hold ([`crate::recurrence`])
//!   reopens and keeps the ineffective verification in
//!   [`Problem::ineffective_fixes`].
//! - Every role that writes may move a problem; a viewer may not (403).
//! - A problem is open until closed ([`ProblemStatus::is_open`]): a resolved
//!   problem still collects recurrences.
//!
//! When a problem is opened ([`ProblemOrigin`], [`problem_required`]):
//! automatically when a P0/P1 incident is resolved and is not linked to an
//! open problem yet; by hand from any incident, from a group of repeated
//! incidents (typically P2/P3, which no rule opens a problem for), or from a
//! report row (SPEC Q4).

use crate::category::Category;
use crate::priority::Priority;
use crate::rca::Narrative;
use crate::recurrence::{RecurrenceFacts, RecurrenceMatch, RecurrenceSignature, MAX_SIGNATURES};
use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::remediation::Evidence;
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::{Name, Title};
use serde::{Deserialize, Serialize};

/// Where a problem stands. Stored and sent as snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemStatus {
    /// Opened, nobody investigates yet.
    New,
    /// Subject matter experts look for the root cause (SPEC R3).
    Investigating,
    /// Root cause known and a workaround recorded.
    KnownError,
    /// The remediation is under way.
    FixInProgress,
    /// The fix is verified.
    Resolved,
    /// Done; final except for reopening.
    Closed,
}

impl ProblemStatus {
    pub const ALL: [ProblemStatus; 6] = [
        ProblemStatus::New,
        ProblemStatus::Investigating,
        ProblemStatus::KnownError,
        ProblemStatus::FixInProgress,
        ProblemStatus::Resolved,
        ProblemStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemStatus::New => "new",
            ProblemStatus::Investigating => "investigating",
            ProblemStatus::KnownError => "known_error",
            ProblemStatus::FixInProgress => "fix_in_progress",
            ProblemStatus::Resolved => "resolved",
            ProblemStatus::Closed => "closed",
        }
    }

    /// Anything but closed: an open problem takes new incidents, and a P0/P1
    /// linked to one opens no second problem.
    pub fn is_open(self) -> bool {
        self != ProblemStatus::Closed
    }

    /// Resolved or closed: the fix was verified, so a recurrence means it did
    /// not hold (SPEC R6).
    pub fn fix_verified(self) -> bool {
        matches!(self, ProblemStatus::Resolved | ProblemStatus::Closed)
    }
}

display_as_str!(ProblemStatus);

/// An action on a problem, with what it needs. Sent externally tagged:
/// `"start_fix"` or `{"record_workaround": {"workaround": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ProblemTransition {
    StartInvestigating,
    /// Records (or replaces) the workaround: the problem is a known error.
    RecordWorkaround {
        workaround: Narrative,
    },
    StartFix,
    /// The fix is verified, with evidence.
    Resolve {
        verification: Evidence,
    },
    Close,
    /// Back to investigating: the fix did not hold, or new facts came up.
    Reopen {
        reason: Narrative,
    },
}

/// A [`ProblemTransition`] without its data: what the UI offers as buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemAction {
    StartInvestigating,
    RecordWorkaround,
    StartFix,
    Resolve,
    Close,
    Reopen,
}

impl ProblemAction {
    pub const ALL: [ProblemAction; 6] = [
        ProblemAction::StartInvestigating,
        ProblemAction::RecordWorkaround,
        ProblemAction::StartFix,
        ProblemAction::Resolve,
        ProblemAction::Close,
        ProblemAction::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemAction::StartInvestigating => "start_investigating",
            ProblemAction::RecordWorkaround => "record_workaround",
            ProblemAction::StartFix => "start_fix",
            ProblemAction::Resolve => "resolve",
            ProblemAction::Close => "close",
            ProblemAction::Reopen => "reopen",
        }
    }
}

display_as_str!(ProblemAction);

impl ProblemTransition {
    pub fn action(&self) -> ProblemAction {
        match self {
            ProblemTransition::StartInvestigating => ProblemAction::StartInvestigating,
            ProblemTransition::RecordWorkaround { .. } => ProblemAction::RecordWorkaround,
            ProblemTransition::StartFix => ProblemAction::StartFix,
            ProblemTransition::Resolve { .. } => ProblemAction::Resolve,
            ProblemTransition::Close => ProblemAction::Close,
            ProblemTransition::Reopen { .. } => ProblemAction::Reopen,
        }
    }
}

/// The actions allowed from `status`, in the order a UI should offer them.
pub fn allowed_problem_actions(status: ProblemStatus) -> &'static [ProblemAction] {
    use ProblemAction::*;
    match status {
        ProblemStatus::New => &[StartInvestigating],
        ProblemStatus::Investigating => &[RecordWorkaround, StartFix],
        ProblemStatus::KnownError => &[StartFix, RecordWorkaround],
        ProblemStatus::FixInProgress => &[Resolve],
        ProblemStatus::Resolved => &[Close, Reopen],
        ProblemStatus::Closed => &[Reopen],
    }
}

fn next_status(from: ProblemStatus, action: ProblemAction) -> Option<ProblemStatus> {
    use ProblemAction as A;
    use ProblemStatus::*;
    match (from, action) {
        (New, A::StartInvestigating) => Some(Investigating),
        (Investigating | KnownError, A::RecordWorkaround) => Some(KnownError),
        (Investigating | KnownError, A::StartFix) => Some(FixInProgress),
        (FixInProgress, A::Resolve) => Some(Resolved),
        (Resolved, A::Close) => Some(Closed),
        (Resolved | Closed, A::Reopen) => Some(Investigating),
        _ => None,
    }
}

/// How a problem came to be opened. Sent externally tagged, e.g.
/// `{"from_incident": {"incident": 42}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ProblemOrigin {
    /// Opened by Beacon when a P0/P1 incident was resolved ([`problem_required`]).
    ResolvedHighPriority { incident: i64 },
    /// Opened by hand from one incident of any priority.
    FromIncident { incident: i64 },
    /// Opened by hand from repeated incidents (at least two), typically P2/P3.
    RepeatedIncidents { incidents: Vec<i64> },
    /// Opened from a row of a report (SPEC Q4): which report and which row.
    ReportRow { report: Name, row: Title },
}

impl ProblemOrigin {
    /// The incidents the origin names, linked when the problem opens.
    pub fn incidents(&self) -> Vec<i64> {
        match self {
            ProblemOrigin::ResolvedHighPriority { incident }
            | ProblemOrigin::FromIncident { incident } => vec![*incident],
            ProblemOrigin::RepeatedIncidents { incidents } => incidents.clone(),
            ProblemOrigin::ReportRow { .. } => Vec::new(),
        }
    }
}

/// Whether resolving an incident of `priority` opens a problem by itself
/// (SPEC R3): P0 and P1 do, unless one of the problems the incident is
/// already linked to (`linked`, their statuses) is open.
pub fn problem_required(priority: Priority, linked: &[ProblemStatus]) -> bool {
    priority.is_high() && !linked.iter().any(|status| status.is_open())
}

/// Why an incident is linked to a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkReason {
    /// Named when the problem was opened.
    Origin,
    /// Linked by a person.
    Manual,
    /// Matched a recurrence signature when it was created (SPEC R6).
    Recurrence,
}

/// An incident linked to a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIncident {
    pub incident: i64,
    /// The incident's priority when it was linked.
    pub priority: Priority,
    pub linked_at: Timestamp,
    pub reason: LinkReason,
}

/// The evidence that a problem's fix works, and when it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedFix {
    pub evidence: Evidence,
    pub verified_at: Timestamp,
}

/// A fix that was verified and then failed: a recurrence came after it (SPEC R6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IneffectiveFix {
    pub verification: Evidence,
    pub verified_at: Timestamp,
    /// When the recurrence showed it did not hold.
    pub failed_at: Timestamp,
    /// The incident that recurred.
    pub recurrence: Option<i64>,
}

/// A problem ticket (SPEC R3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub id: i64,
    pub title: Title,
    /// The most urgent priority of its incidents (raised as they are linked).
    pub priority: Priority,
    /// Restricted like an incident's when it is *Security* (SPEC K3, see
    /// [`crate::clearance`]).
    #[serde(default)]
    pub category: Option<Category>,
    pub status: ProblemStatus,
    pub origin: ProblemOrigin,
    /// Who answers for the problem, its report and its review: reminded of
    /// their deadlines ([`crate::post_incident_deadlines`]).
    #[serde(default)]
    pub owner: Option<Name>,
    pub opened_at: Timestamp,
    pub last_change: Timestamp,
    /// Incidents in the order they were linked; each at most once.
    #[serde(default)]
    pub incidents: Vec<LinkedIncident>,
    #[serde(default)]
    pub workaround: Option<Narrative>,
    /// The evidence the fix works (set on resolve).
    #[serde(default)]
    pub fix_verification: Option<VerifiedFix>,
    #[serde(default)]
    pub ineffective_fixes: Vec<IneffectiveFix>,
    /// What a new incident must look like to be a recurrence (SPEC R6).
    #[serde(default)]
    pub signatures: Vec<RecurrenceSignature>,
}

/// Why a problem change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    #[error("a {role} may not change problems")]
    Forbidden { role: Role },
    #[error("cannot {action} a problem that is {from}")]
    NotAllowed {
        from: ProblemStatus,
        action: ProblemAction,
    },
    #[error(
        "{at} is before the problem's last change at {last_change}; timestamps never go backwards"
    )]
    TimeWentBackwards {
        last_change: Timestamp,
        at: Timestamp,
    },
    #[error("a problem from repeated incidents needs at least two different incidents")]
    TooFewIncidents,
    #[error("incident {incident} is named twice")]
    IncidentTwice { incident: i64 },
    #[error("incident {incident} is already linked to this problem")]
    AlreadyLinked { incident: i64 },
    #[error("the origin's incident {incident} is not among the incidents given")]
    OriginIncidentMissing { incident: i64 },
    #[error("the recurrence matched problem {got}, not this problem ({expected})")]
    OtherProblem { expected: i64, got: i64 },
    #[error("`{field}` is required for the action `{action}`")]
    Missing {
        field: &'static str,
        action: ProblemAction,
    },
    #[error("`{field}` is not allowed for the action `{action}`")]
    Unexpected {
        field: &'static str,
        action: ProblemAction,
    },
}

impl Refusal for ProblemError {
    fn refusal_kind(&self) -> RefusalKind {
        match self {
            ProblemError::Forbidden { .. } => RefusalKind::Forbidden,
            ProblemError::NotAllowed { .. }
            | ProblemError::TimeWentBackwards { .. }
            | ProblemError::AlreadyLinked { .. }
            | ProblemError::OtherProblem { .. } => RefusalKind::Conflict,
            ProblemError::TooFewIncidents
            | ProblemError::IncidentTwice { .. }
            | ProblemError::OriginIncidentMissing { .. } => invalid("origin"),
            ProblemError::Missing { field, .. } | ProblemError::Unexpected { field, .. } => {
                invalid(*field)
            }
        }
    }
}

/// What [`Problem::open`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenProblem {
    pub id: i64,
    pub title: Title,
    /// The priority for a report row without incidents; the incidents' most
    /// urgent priority wins when it is more urgent.
    pub priority: Priority,
    pub category: Option<Category>,
    pub origin: ProblemOrigin,
    /// The origin's incidents with their priorities, as the store has them.
    pub incidents: Vec<(i64, Priority)>,
    /// Who answers for the problem, its report and its review.
    pub owner: Option<Name>,
}

impl Problem {
    /// A new problem, with the origin's incidents linked (SPEC R3). `actor`
    /// is `None` when Beacon opens it by itself ([`problem_required`]).
    pub fn open(
        open: OpenProblem,
        actor: Option<Role>,
        at: Timestamp,
    ) -> Result<Problem, ProblemError> {
        if let Some(role) = actor.filter(|role| !role.can_write()) {
            return Err(ProblemError::Forbidden { role });
        }
        let named = open.origin.incidents();
        if matches!(open.origin, ProblemOrigin::RepeatedIncidents { .. }) {
            let mut distinct = named.clone();
            distinct.sort_unstable();
            if let Some(twice) = distinct.windows(2).find(|w| w[0] == w[1]) {
                return Err(ProblemError::IncidentTwice { incident: twice[0] });
            }
            if distinct.len() < 2 {
                return Err(ProblemError::TooFewIncidents);
            }
        }
        let mut incidents = Vec::with_capacity(named.len());
        let mut priority = open.priority;
        for incident in named {
            let (_, incident_priority) = open
                .incidents
                .iter()
                .find(|(id, _)| *id == incident)
                .copied()
                .ok_or(ProblemError::OriginIncidentMissing { incident })?;
            priority = priority.most_urgent(incident_priority);
            incidents.push(LinkedIncident {
                incident,
                priority: incident_priority,
                linked_at: at,
                reason: LinkReason::Origin,
            });
        }
        Ok(Problem {
            id: open.id,
            title: open.title,
            priority,
            category: open.category,
            status: ProblemStatus::New,
            origin: open.origin,
            owner: open.owner,
            opened_at: at,
            last_change: at,
            incidents,
            workaround: None,
            fix_verification: None,
            ineffective_fixes: Vec::new(),
            signatures: Vec::new(),
        })
    }

    /// The problem after `transition` by `actor` at `at` (SPEC R3).
    ///
    /// Checks, in this order: the role writes (403); the action is allowed
    /// from the status (409); time does not go backwards (409).
    pub fn transition(
        &self,
        transition: &ProblemTransition,
        actor: Role,
        at: Timestamp,
    ) -> Result<Problem, ProblemError> {
        if !actor.can_write() {
            return Err(ProblemError::Forbidden { role: actor });
        }
        let action = transition.action();
        let to = next_status(self.status, action).ok_or(ProblemError::NotAllowed {
            from: self.status,
            action,
        })?;
        if at < self.last_change {
            return Err(ProblemError::TimeWentBackwards {
                last_change: self.last_change,
                at,
            });
        }
        let mut next = self.clone();
        next.status = to;
        next.last_change = at;
        match transition {
            ProblemTransition::RecordWorkaround { workaround } => {
                next.workaround = Some(workaround.clone())
            }
            ProblemTransition::Resolve { verification } => {
                next.fix_verification = Some(VerifiedFix {
                    evidence: verification.clone(),
                    verified_at: at,
                })
            }
            ProblemTransition::Reopen { .. } => next.retire_fix(at, None),
            ProblemTransition::StartInvestigating
            | ProblemTransition::StartFix
            | ProblemTransition::Close => {}
        }
        Ok(next)
    }

    /// Moves the verified fix, if any, to [`Problem::ineffective_fixes`].
    fn retire_fix(&mut self, at: Timestamp, recurrence: Option<i64>) {
        if let Some(fix) = self.fix_verification.take() {
            self.ineffective_fixes.push(IneffectiveFix {
                verification: fix.evidence,
                verified_at: fix.verified_at,
                failed_at: at,
                recurrence,
            });
        }
    }

    /// Reopens a problem whose verified fix did not hold: `incident` recurred
    /// (SPEC R6). Beacon does this itself, so no role is checked; a problem
    /// whose fix was not verified is returned unchanged.
    pub fn reopen_after_recurrence(&self, incident: i64, at: Timestamp) -> Problem {
        let mut next = self.clone();
        if self.status.fix_verified() {
            next.status = ProblemStatus::Investigating;
            next.last_change = at.max(self.last_change);
            next.retire_fix(at, Some(incident));
        }
        next
    }

    /// Records a recurrence found by [`crate::recurrence::match_recurrence`]
    /// for the new `incident` (SPEC R6): links it (with the priority the
    /// match gave it) and, when the verified fix did not hold, reopens the
    /// problem. Refused (409) when the match is for another problem or the
    /// incident is already linked.
    pub fn record_recurrence(
        &self,
        incident: i64,
        found: &RecurrenceMatch,
        at: Timestamp,
    ) -> Result<Problem, ProblemError> {
        if found.problem != self.id {
            return Err(ProblemError::OtherProblem {
                expected: self.id,
                got: found.problem,
            });
        }
        let mut next = if found.reopens_problem() {
            self.reopen_after_recurrence(incident, at)
        } else {
            self.clone()
        };
        next.link_incident(LinkedIncident {
            incident,
            priority: found.priority,
            linked_at: at,
            reason: LinkReason::Recurrence,
        })?;
        Ok(next)
    }

    /// Adds the signatures of an incident's `facts` that the problem does
    /// not keep yet (SPEC R6), up to [`MAX_SIGNATURES`]; returns how many
    /// were added.
    pub fn learn_signatures(&mut self, facts: &RecurrenceFacts) -> usize {
        let mut added = 0;
        for signature in facts.signatures() {
            if self.signatures.len() >= MAX_SIGNATURES {
                break;
            }
            if !self.signatures.contains(&signature) {
                self.signatures.push(signature);
                added += 1;
            }
        }
        added
    }

    /// The problem with `owner` as its owner (or none), by `actor` at `at`.
    pub fn assign(
        &self,
        owner: Option<Name>,
        actor: Role,
        at: Timestamp,
    ) -> Result<Problem, ProblemError> {
        if !actor.can_write() {
            return Err(ProblemError::Forbidden { role: actor });
        }
        if at < self.last_change {
            return Err(ProblemError::TimeWentBackwards {
                last_change: self.last_change,
                at,
            });
        }
        let mut next = self.clone();
        next.owner = owner;
        next.last_change = at;
        Ok(next)
    }

    /// Links an incident, raising the problem's priority to the incident's
    /// when that is more urgent. Refused (409) when it is already linked.
    pub fn link_incident(&mut self, link: LinkedIncident) -> Result<(), ProblemError> {
        if self.links(link.incident) {
            return Err(ProblemError::AlreadyLinked {
                incident: link.incident,
            });
        }
        self.priority = self.priority.most_urgent(link.priority);
        self.incidents.push(link);
        Ok(())
    }

    /// Whether `incident` is linked.
    pub fn links(&self, incident: i64) -> bool {
        self.incidents.iter().any(|l| l.incident == incident)
    }

    /// Whether the problem is restricted like a Security incident (SPEC K3).
    pub fn is_security(&self) -> bool {
        self.category.as_ref().is_some_and(Category::is_security)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rca::Narrative;
    use crate::triage::LinkUrl;
    use ProblemStatus::*;

    const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
    const T1: Timestamp = Timestamp::from_unix_millis(1_700_000_060_000);

    fn opened(
        origin: ProblemOrigin,
        incidents: Vec<(i64, Priority)>,
    ) -> Result<Problem, ProblemError> {
        Problem::open(
            OpenProblem {
                id: 1,
                title: Title::parse("DB pool exhaustion").unwrap(),
                priority: Priority::P3,
                category: None,
                origin,
                incidents,
                owner: None,
            },
            Some(Role::Sre),
            T0,
        )
    }

    fn sample(action: ProblemAction) -> ProblemTransition {
        match action {
            ProblemAction::StartInvestigating => ProblemTransition::StartInvestigating,
            ProblemAction::RecordWorkaround => ProblemTransition::RecordWorkaround {
                workaround: Narrative::parse("restart the pooler").unwrap(),
            },
            ProblemAction::StartFix => ProblemTransition::StartFix,
            ProblemAction::Resolve => ProblemTransition::Resolve {
                verification: Evidence::Link(LinkUrl::parse("https://ci.example/load/12").unwrap()),
            },
            ProblemAction::Close => ProblemTransition::Close,
            ProblemAction::Reopen => ProblemTransition::Reopen {
                reason: Narrative::parse("it happened again").unwrap(),
            },
        }
    }

    /// SPEC R3: P0/P1 open a problem when resolved, unless already linked to an open one.
    #[test]
    fn high_priorities_require_a_problem() {
        for priority in Priority::ALL {
            assert_eq!(problem_required(priority, &[]), priority.is_high());
        }
        assert!(!problem_required(Priority::P0, &[Investigating]));
        assert!(!problem_required(Priority::P1, &[Closed, Resolved]));
        assert!(problem_required(Priority::P0, &[Closed]));
    }

    /// SPEC R3: new -> investigating -> known_error -> fix_in_progress -> resolved -> closed -> reopen.
    #[test]
    fn a_problem_walks_its_lifecycle() {
        let mut problem = opened(
            ProblemOrigin::ResolvedHighPriority { incident: 42 },
            vec![(42, Priority::P0)],
        )
        .unwrap();
        assert_eq!(problem.priority, Priority::P0);
        assert_eq!(problem.incidents[0].reason, LinkReason::Origin);
        for (action, expected) in [
            (ProblemAction::StartInvestigating, Investigating),
            (ProblemAction::RecordWorkaround, KnownError),
            (ProblemAction::StartFix, FixInProgress),
            (ProblemAction::Resolve, Resolved),
            (ProblemAction::Close, Closed),
            (ProblemAction::Reopen, Investigating),
        ] {
            problem = problem.transition(&sample(action), Role::Sre, T1).unwrap();
            assert_eq!(problem.status, expected, "{action}");
        }
        assert!(problem.workaround.is_some());
        assert_eq!(problem.ineffective_fixes.len(), 1);
        assert!(problem.fix_verification.is_none());
    }

    /// SPEC R3: the allowed list matches the transition function; viewers are forbidden.
    #[test]
    fn allowed_actions_match_transition() {
        let base = opened(
            ProblemOrigin::FromIncident { incident: 5 },
            vec![(5, Priority::P2)],
        )
        .unwrap();
        for status in ProblemStatus::ALL {
            let mut from = base.clone();
            from.status = status;
            for action in ProblemAction::ALL {
                let result = from.transition(&sample(action), Role::Engineer, T1);
                assert_eq!(
                    result.is_ok(),
                    allowed_problem_actions(status).contains(&action),
                    "{status} --{action}-->"
                );
                if let Err(err) = result {
                    assert_eq!(err.refusal_kind(), RefusalKind::Conflict);
                }
            }
        }
        let err = base
            .transition(&sample(ProblemAction::StartInvestigating), Role::Viewer, T1)
            .unwrap_err();
        assert_eq!(err.refusal_kind(), RefusalKind::Forbidden);
        let err = base
            .transition(
                &sample(ProblemAction::StartInvestigating),
                Role::Sre,
                Timestamp::from_unix_millis(0),
            )
            .unwrap_err();
        assert!(matches!(err, ProblemError::TimeWentBackwards { .. }));
    }

    /// SPEC R3, Q4: origins, links of any priority, and the priority follows the most urgent incident.
    #[test]
    fn origins_and_links() {
        let err = opened(
            ProblemOrigin::RepeatedIncidents { incidents: vec![7] },
            vec![(7, Priority::P3)],
        )
        .unwrap_err();
        assert_eq!(err, ProblemError::TooFewIncidents);
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "origin".into()
            }
        );
        assert_eq!(
            opened(
                ProblemOrigin::RepeatedIncidents {
                    incidents: vec![7, 7]
                },
                vec![(7, Priority::P3)]
            )
            .unwrap_err(),
            ProblemError::IncidentTwice { incident: 7 }
        );
        assert_eq!(
            opened(ProblemOrigin::FromIncident { incident: 9 }, vec![]).unwrap_err(),
            ProblemError::OriginIncidentMissing { incident: 9 }
        );
        let mut group = opened(
            ProblemOrigin::RepeatedIncidents {
                incidents: vec![7, 8],
            },
            vec![(7, Priority::P3), (8, Priority::P2)],
        )
        .unwrap();
        assert_eq!(group.priority, Priority::P2);
        group
            .link_incident(LinkedIncident {
                incident: 11,
                priority: Priority::P1,
                linked_at: T1,
                reason: LinkReason::Manual,
            })
            .unwrap();
        assert_eq!(group.priority, Priority::P1);
        let again = group.link_incident(LinkedIncident {
            incident: 11,
            priority: Priority::P0,
            linked_at: T1,
            reason: LinkReason::Manual,
        });
        assert_eq!(again.unwrap_err().refusal_kind(), RefusalKind::Conflict);
        let report: ProblemOrigin = serde_json::from_str(
            r#"{"report_row":{"report":"repeat cases","row":"checkout 502s, 6 incidents in May"}}"#,
        )
        .unwrap();
        let from_report = opened(report, vec![]).unwrap();
        assert!(from_report.incidents.is_empty());
        assert_eq!(from_report.priority, Priority::P3);
        let auto = Problem::open(
            OpenProblem {
                id: 2,
                title: Title::parse("x").unwrap(),
                priority: Priority::P3,
                category: Some(Category::security()),
                origin: ProblemOrigin::ResolvedHighPriority { incident: 1 },
                incidents: vec![(1, Priority::P0)],
                owner: None,
            },
            None,
            T0,
        )
        .unwrap();
        assert!(auto.is_security());
        assert!(Problem::open(
            OpenProblem {
                id: 3,
                title: Title::parse("x").unwrap(),
                priority: Priority::P3,
                category: None,
                origin: ProblemOrigin::FromIncident { incident: 1 },
                incidents: vec![(1, Priority::P3)],
                owner: None,
            },
            Some(Role::Viewer),
            T0,
        )
        .is_err());
    }

    /// SPEC R6: a recurrence reopens a problem whose fix was verified and keeps that fix as ineffective.
    #[test]
    fn a_recurrence_reopens_a_verified_fix() {
        let mut problem = opened(
            ProblemOrigin::FromIncident { incident: 5 },
            vec![(5, Priority::P1)],
        )
        .unwrap();
        for action in [
            ProblemAction::StartInvestigating,
            ProblemAction::StartFix,
            ProblemAction::Resolve,
            ProblemAction::Close,
        ] {
            problem = problem.transition(&sample(action), Role::Sre, T1).unwrap();
        }
        let later = Timestamp::from_unix_millis(T1.unix_millis() + 1_000);
        let reopened = problem.reopen_after_recurrence(77, later);
        assert_eq!(reopened.status, Investigating);
        assert_eq!(reopened.last_change, later);
        assert!(reopened.fix_verification.is_none());
        assert_eq!(reopened.ineffective_fixes.len(), 1);
        assert_eq!(reopened.ineffective_fixes[0].recurrence, Some(77));
        assert_eq!(reopened.ineffective_fixes[0].verified_at, T1);
        // Nothing verified: nothing to reopen.
        assert_eq!(reopened.reopen_after_recurrence(78, later), reopened);
    }

    /// SPEC R3: a problem has an owner, who is reminded of its deadlines.
    #[test]
    fn an_owner_is_assigned() {
        let problem = opened(
            ProblemOrigin::FromIncident { incident: 5 },
            vec![(5, Priority::P1)],
        )
        .unwrap();
        assert_eq!(problem.owner, None);
        let alice = Name::parse("alice").unwrap();
        let owned = problem
            .assign(Some(alice.clone()), Role::IncidentCommander, T1)
            .unwrap();
        assert_eq!(owned.owner, Some(alice.clone()));
        assert_eq!(owned.last_change, T1);
        let err = problem.assign(Some(alice), Role::Viewer, T1).unwrap_err();
        assert_eq!(err.refusal_kind(), RefusalKind::Forbidden);
    }

    /// SPEC R3: statuses and transitions are snake_case on the wire.
    #[test]
    fn wire_names() {
        for status in ProblemStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(
            serde_json::to_value(sample(ProblemAction::StartFix)).unwrap(),
            "start_fix"
        );
        let t: ProblemTransition =
            serde_json::from_str(r#"{"reopen":{"reason":"fix did not hold"}}"#).unwrap();
        assert_eq!(t.action(), ProblemAction::Reopen);
    }
}
