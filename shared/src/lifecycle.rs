//! The incident lifecycle (SPEC V3, V4, V10, V11, E3): statuses, the actions
//! that move an incident between them, and which moves are allowed.
//!
//! | from                                  | action                        | to              |
//! |---------------------------------------|-------------------------------|-----------------|
//! | reported                              | `start_triage`                | triage          |
//! | triage                                | `discard {reason}`            | discarded       |
//! | triage                                | `classify_as_problem {..}`    | investigating   |
//! | investigating                         | `identify`                    | identified      |
//! | identified                            | `monitor`                     | monitoring      |
//! | identified, monitoring                | `start_investigating`         | investigating   |
//! | investigating, identified, monitoring | `resolve`                     | resolved        |
//! | resolved                              | `close {confirmation}`        | closed          |
//! | resolved, closed                      | `reopen`                      | investigating   |
//! | discarded                             | `reopen`                      | triage          |
//!
//! Choices made where the SOP is silent:
//! - Triage ends in exactly one of its two outcomes (V10); neither can be
//!   reached from `reported` without starting triage first.
//! - Forward moves go one step at a time (V11), except `resolve`: an SRE may
//!   resolve from any active status, because a fix is often found before the
//!   cause is written up.
//! - `start_investigating` steps *back* from identified or monitoring when the
//!   cause was wrong or the fix did not hold; stepping back skips nothing.
//! - `discarded` and `closed` are final except for `reopen`. A discarded
//!   incident was never classified, so reopening it returns it to triage; a
//!   resolved or closed problem keeps its priority and goes back to
//!   investigating.
//! - Closing needs the submitter's confirmation, or the incident commander's
//!   override with a reason (E3); [`check_closing`] says who may give which.
//!
//! Priority and category checks for `classify_as_problem` live in
//! [`crate::priority`] and [`crate::category`]; recording the change in the
//! timeline (V11) is the caller's job.

use crate::priority::Priority;
use crate::role::Role;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where an incident stands. Stored and sent as snake_case (`investigating`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Alert or report received, not yet looked at (P3 by default).
    Reported,
    /// Someone is recording the triage facts (SPEC T1-T8).
    Triage,
    /// Triage found no impact; final except for reopening (SPEC V10).
    Discarded,
    /// Classified as a problem with a priority; cause not known yet (SPEC V4).
    Investigating,
    /// Cause identified; a fix is being prepared.
    Identified,
    /// Fix applied; watching that it holds.
    Monitoring,
    /// Service restored; waiting for the submitter's confirmation (SPEC E3).
    Resolved,
    /// Confirmed and closed; final except for reopening.
    Closed,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 8] = [
        IncidentStatus::Reported,
        IncidentStatus::Triage,
        IncidentStatus::Discarded,
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
        IncidentStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Reported => "reported",
            IncidentStatus::Triage => "triage",
            IncidentStatus::Discarded => "discarded",
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Closed => "closed",
        }
    }

    /// Open: anything but closed or discarded. Open tickets are listed as open,
    /// take alerts and team pull-ins, and count as open in reports.
    pub fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Closed | IncidentStatus::Discarded)
    }

    /// Open and not yet resolved: the incident still needs people, so it is
    /// paged, reminded and escalated, and may be acknowledged (SPEC E1-E4).
    pub fn awaits_response(self) -> bool {
        self.is_open() && self != IncidentStatus::Resolved
    }

    /// Reported or in triage: nobody has classified it yet. An alert that
    /// clears now marks a short-lived condition (SPEC V3), and such a ticket
    /// left without alerts is a duplicate to discard (SPEC V10).
    pub fn is_untriaged(self) -> bool {
        matches!(self, IncidentStatus::Reported | IncidentStatus::Triage)
    }

    /// Investigating, identified or monitoring: someone is working the problem.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            IncidentStatus::Investigating | IncidentStatus::Identified | IncidentStatus::Monitoring
        )
    }
}

display_as_str!(IncidentStatus);

/// A string that names no incident status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status `{0}`; expected one of reported, triage, discarded, investigating, \
     identified, monitoring, resolved, closed"
)]
pub struct StatusParseError(pub String);

impl FromStr for IncidentStatus {
    type Err = StatusParseError;

    /// Accepts the snake_case name, ignoring surrounding whitespace and case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        IncidentStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| StatusParseError(s.to_owned()))
    }
}

/// How a resolved incident's closing was confirmed (SPEC E3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClosingConfirmation {
    /// The original submitter confirmed the case is resolved.
    SubmitterConfirmed,
    /// The incident commander closes without that confirmation, saying why
    /// (e.g. the submitter cannot be reached).
    CommanderOverride { reason: String },
}

/// An action on an incident, with what it needs. Sent as
/// `{"action": "discard", "reason": "..."}`: the JSON of
/// [`crate::api::TransitionRequest`], which is its one reader and writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "crate::api::TransitionRequest",
    into = "crate::api::TransitionRequest"
)]
pub enum Transition {
    StartTriage,
    /// Triage outcome: an event without impact (SPEC V10). The reason must not be blank.
    Discard {
        reason: String,
    },
    /// Triage outcome: a problem with a priority (SPEC V4, V10). The caller
    /// checks the priority (P6) and the category (K1) before applying it.
    ClassifyAsProblem {
        priority: Priority,
    },
    /// Back to investigating when the cause was wrong or the fix did not hold.
    StartInvestigating,
    Identify,
    Monitor,
    Resolve,
    Close {
        confirmation: ClosingConfirmation,
    },
    Reopen,
}

impl Transition {
    pub fn kind(&self) -> TransitionKind {
        match self {
            Transition::StartTriage => TransitionKind::StartTriage,
            Transition::Discard { .. } => TransitionKind::Discard,
            Transition::ClassifyAsProblem { .. } => TransitionKind::ClassifyAsProblem,
            Transition::StartInvestigating => TransitionKind::StartInvestigating,
            Transition::Identify => TransitionKind::Identify,
            Transition::Monitor => TransitionKind::Monitor,
            Transition::Resolve => TransitionKind::Resolve,
            Transition::Close { .. } => TransitionKind::Close,
            Transition::Reopen => TransitionKind::Reopen,
        }
    }
}

/// A [`Transition`] without its data: what the UI offers as buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    StartTriage,
    Discard,
    ClassifyAsProblem,
    StartInvestigating,
    Identify,
    Monitor,
    Resolve,
    Close,
    Reopen,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 9] = [
        TransitionKind::StartTriage,
        TransitionKind::Discard,
        TransitionKind::ClassifyAsProblem,
        TransitionKind::StartInvestigating,
        TransitionKind::Identify,
        TransitionKind::Monitor,
        TransitionKind::Resolve,
        TransitionKind::Close,
        TransitionKind::Reopen,
    ];

    /// The snake_case name, as in [`Transition`]'s `action` tag.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::StartTriage => "start_triage",
            TransitionKind::Discard => "discard",
            TransitionKind::ClassifyAsProblem => "classify_as_problem",
            TransitionKind::StartInvestigating => "start_investigating",
            TransitionKind::Identify => "identify",
            TransitionKind::Monitor => "monitor",
            TransitionKind::Resolve => "resolve",
            TransitionKind::Close => "close",
            TransitionKind::Reopen => "reopen",
        }
    }

    /// A button label / verb phrase, e.g. "start investigating".
    pub fn label(self) -> &'static str {
        match self {
            TransitionKind::StartTriage => "start triage",
            TransitionKind::Discard => "discard",
            TransitionKind::ClassifyAsProblem => "classify as problem",
            TransitionKind::StartInvestigating => "start investigating",
            TransitionKind::Identify => "mark as identified",
            TransitionKind::Monitor => "start monitoring",
            TransitionKind::Resolve => "resolve",
            TransitionKind::Close => "close",
            TransitionKind::Reopen => "reopen",
        }
    }
}

display_as_str!(TransitionKind);

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error(
        "cannot {} an incident that is {from}; from {from} you may: {}",
        .action.label(),
        allowed_labels(*.from)
    )]
    NotAllowed {
        from: IncidentStatus,
        action: TransitionKind,
    },
    #[error("{at} is before the last change at {last_change}; timestamps never go backwards")]
    TimeWentBackwards {
        last_change: Timestamp,
        at: Timestamp,
    },
    #[error("discarding an incident needs a reason: why has it no impact?")]
    DiscardReasonRequired,
    #[error("closing without the submitter's confirmation needs the incident commander's reason")]
    OverrideReasonRequired,
}

fn allowed_labels(status: IncidentStatus) -> String {
    let labels: Vec<&str> = allowed_transitions(status)
        .iter()
        .map(|kind| kind.label())
        .collect();
    labels.join(", ")
}

/// The actions allowed from `status`, in the order a UI should offer them.
pub fn allowed_transitions(status: IncidentStatus) -> &'static [TransitionKind] {
    use TransitionKind::*;
    match status {
        IncidentStatus::Reported => &[StartTriage],
        IncidentStatus::Triage => &[ClassifyAsProblem, Discard],
        IncidentStatus::Discarded => &[Reopen],
        IncidentStatus::Investigating => &[Identify, Resolve],
        IncidentStatus::Identified => &[Monitor, Resolve, StartInvestigating],
        IncidentStatus::Monitoring => &[Resolve, StartInvestigating],
        IncidentStatus::Resolved => &[Close, Reopen],
        IncidentStatus::Closed => &[Reopen],
    }
}

/// Where `action` leads from `from`, or `None` if it is not allowed there.
fn next_status(from: IncidentStatus, action: TransitionKind) -> Option<IncidentStatus> {
    use IncidentStatus::*;
    use TransitionKind as Kind;
    match (from, action) {
        (Reported, Kind::StartTriage) => Some(Triage),
        (Triage, Kind::Discard) => Some(Discarded),
        (Triage, Kind::ClassifyAsProblem) => Some(Investigating),
        (Investigating, Kind::Identify) => Some(Identified),
        (Identified, Kind::Monitor) => Some(Monitoring),
        (Identified | Monitoring, Kind::StartInvestigating) => Some(Investigating),
        (Investigating | Identified | Monitoring, Kind::Resolve) => Some(Resolved),
        (Resolved, Kind::Close) => Some(Closed),
        (Resolved | Closed, Kind::Reopen) => Some(Investigating),
        (Discarded, Kind::Reopen) => Some(Triage),
        _ => None,
    }
}

fn is_blank(reason: &str) -> bool {
    reason.trim().is_empty()
}

/// Applies `transition` to an incident in status `current`, last changed at
/// `last_change`, at time `at` (SPEC V10, V11, E3).
///
/// Checks, in this order: the action is allowed from `current`; the reason a
/// discard or a commander's override needs is not blank; `at` is not before
/// `last_change` (the same instant is fine).
pub fn apply_transition(
    current: IncidentStatus,
    last_change: Timestamp,
    transition: &Transition,
    at: Timestamp,
) -> Result<IncidentStatus, LifecycleError> {
    let action = transition.kind();
    let next = next_status(current, action).ok_or(LifecycleError::NotAllowed {
        from: current,
        action,
    })?;
    match transition {
        Transition::Discard { reason } if is_blank(reason) => {
            return Err(LifecycleError::DiscardReasonRequired);
        }
        Transition::Close {
            confirmation: ClosingConfirmation::CommanderOverride { reason },
        } if is_blank(reason) => {
            return Err(LifecycleError::OverrideReasonRequired);
        }
        _ => {}
    }
    if at < last_change {
        return Err(LifecycleError::TimeWentBackwards { last_change, at });
    }
    Ok(next)
}

/// Who is closing a resolved incident, as far as E3 cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closer {
    /// The closer's role.
    pub role: Role,
    /// Whether the closer is the person who submitted the incident.
    pub is_submitter: bool,
}

/// Why a closing confirmation was refused to this closer (SPEC E3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClosingRefusal {
    #[error(
        "only the original submitter can confirm the case is resolved; \
         anyone else needs the incident commander's override with a reason"
    )]
    NotTheSubmitter,
    #[error("the {0} role may not close without the submitter's confirmation")]
    NoOverrideRight(Role),
}

/// Whether `closer` may close with `confirmation` (SPEC E3): "the submitter
/// confirmed" only from the submitter; an override only from a role that
/// [`Role::may_close_without_confirmation`] (its reason is checked by
/// [`apply_transition`]).
pub fn check_closing(
    confirmation: &ClosingConfirmation,
    closer: Closer,
) -> Result<(), ClosingRefusal> {
    match confirmation {
        ClosingConfirmation::SubmitterConfirmed if !closer.is_submitter => {
            Err(ClosingRefusal::NotTheSubmitter)
        }
        ClosingConfirmation::CommanderOverride { .. }
            if !closer.role.may_close_without_confirmation() =>
        {
            Err(ClosingRefusal::NoOverrideRight(closer.role))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    const T0: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
    const T1: Timestamp = Timestamp::from_unix_millis(1_795_403_580_000);

    /// SPEC V3, E3
    #[test]
    fn open_and_awaiting_response_are_defined_once() {
        let statuses_where = |holds: fn(IncidentStatus) -> bool| -> Vec<IncidentStatus> {
            IncidentStatus::ALL
                .into_iter()
                .filter(|&s| holds(s))
                .collect()
        };
        assert_eq!(
            statuses_where(IncidentStatus::is_open),
            [
                Reported,
                Triage,
                Investigating,
                Identified,
                Monitoring,
                Resolved
            ]
        );
        assert_eq!(
            statuses_where(IncidentStatus::awaits_response),
            [Reported, Triage, Investigating, Identified, Monitoring]
        );
        assert_eq!(
            statuses_where(IncidentStatus::is_untriaged),
            [Reported, Triage]
        );
    }

    fn sample(kind: TransitionKind) -> Transition {
        match kind {
            TransitionKind::StartTriage => Transition::StartTriage,
            TransitionKind::Discard => Transition::Discard {
                reason: "flapping probe".into(),
            },
            TransitionKind::ClassifyAsProblem => Transition::ClassifyAsProblem {
                priority: Priority::P1,
            },
            TransitionKind::StartInvestigating => Transition::StartInvestigating,
            TransitionKind::Identify => Transition::Identify,
            TransitionKind::Monitor => Transition::Monitor,
            TransitionKind::Resolve => Transition::Resolve,
            TransitionKind::Close => Transition::Close {
                confirmation: ClosingConfirmation::SubmitterConfirmed,
            },
            TransitionKind::Reopen => Transition::Reopen,
        }
    }

    fn apply(
        from: IncidentStatus,
        transition: Transition,
    ) -> Result<IncidentStatus, LifecycleError> {
        apply_transition(from, T0, &transition, T1)
    }

    /// SPEC V3, V4, V10, E3
    #[test]
    fn a_problem_walks_the_whole_lifecycle() {
        let steps = [
            (Transition::StartTriage, Triage),
            (
                Transition::ClassifyAsProblem {
                    priority: Priority::P0,
                },
                Investigating,
            ),
            (Transition::Identify, Identified),
            (Transition::Monitor, Monitoring),
            (Transition::Resolve, Resolved),
            (
                Transition::Close {
                    confirmation: ClosingConfirmation::SubmitterConfirmed,
                },
                Closed,
            ),
            (Transition::Reopen, Investigating),
        ];
        let mut status = Reported;
        for (transition, expected) in steps {
            status = apply(status, transition).unwrap();
            assert_eq!(status, expected);
        }
    }

    /// SPEC V10
    #[test]
    fn triage_ends_in_a_problem_or_a_reasoned_discard() {
        assert_eq!(
            apply(
                Triage,
                Transition::Discard {
                    reason: "test alert".into()
                }
            ),
            Ok(Discarded)
        );
        assert_eq!(
            apply(
                Triage,
                Transition::ClassifyAsProblem {
                    priority: Priority::P3
                }
            ),
            Ok(Investigating)
        );
        for blank in ["", "  \n"] {
            let err = apply(
                Triage,
                Transition::Discard {
                    reason: blank.into(),
                },
            )
            .unwrap_err();
            assert_eq!(err, LifecycleError::DiscardReasonRequired);
            assert!(err.to_string().contains("needs a reason"), "{err}");
        }
    }

    /// SPEC V10, V11
    #[test]
    fn no_step_is_skipped() {
        let skips = [
            (
                Reported,
                Transition::ClassifyAsProblem {
                    priority: Priority::P0,
                },
            ),
            (Reported, Transition::StartInvestigating),
            (
                Reported,
                Transition::Discard {
                    reason: "noise".into(),
                },
            ),
            (Reported, Transition::Resolve),
            (Triage, Transition::Resolve),
            (Triage, Transition::Identify),
            (Investigating, Transition::Monitor),
            (
                Investigating,
                Transition::Close {
                    confirmation: ClosingConfirmation::SubmitterConfirmed,
                },
            ),
            (
                Monitoring,
                Transition::Close {
                    confirmation: ClosingConfirmation::SubmitterConfirmed,
                },
            ),
            (Resolved, Transition::Identify),
        ];
        for (from, transition) in skips {
            let action = transition.kind();
            assert_eq!(
                apply(from, transition),
                Err(LifecycleError::NotAllowed { from, action })
            );
        }
        let err = apply(Triage, Transition::Resolve).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot resolve an incident that is triage; from triage you may: classify as problem, discard"
        );
    }

    /// SPEC V11
    #[test]
    fn any_active_status_may_resolve_directly() {
        for from in [Investigating, Identified, Monitoring] {
            assert!(from.is_active());
            assert_eq!(apply(from, Transition::Resolve), Ok(Resolved));
        }
    }

    /// SPEC V11
    #[test]
    fn investigating_resumes_when_the_cause_or_fix_was_wrong() {
        assert_eq!(
            apply(Identified, Transition::StartInvestigating),
            Ok(Investigating)
        );
        assert_eq!(
            apply(Monitoring, Transition::StartInvestigating),
            Ok(Investigating)
        );
        assert!(apply(Investigating, Transition::StartInvestigating).is_err());
    }

    /// SPEC V11
    #[test]
    fn final_statuses_only_reopen() {
        for from in [Closed, Discarded] {
            for kind in TransitionKind::ALL
                .into_iter()
                .filter(|&k| k != TransitionKind::Reopen)
            {
                assert_eq!(
                    apply(from, sample(kind)),
                    Err(LifecycleError::NotAllowed { from, action: kind })
                );
            }
        }
        assert_eq!(apply(Closed, Transition::Reopen), Ok(Investigating));
        assert_eq!(apply(Resolved, Transition::Reopen), Ok(Investigating));
        assert_eq!(apply(Discarded, Transition::Reopen), Ok(Triage));
        assert!(apply(Monitoring, Transition::Reopen).is_err());
    }

    /// SPEC E3
    #[test]
    fn closing_needs_confirmation_or_a_commanders_reason() {
        let override_with = |reason: &str| Transition::Close {
            confirmation: ClosingConfirmation::CommanderOverride {
                reason: reason.into(),
            },
        };
        assert_eq!(
            apply(Resolved, override_with("submitter on leave until Monday")),
            Ok(Closed)
        );
        assert_eq!(
            apply(Resolved, override_with(" ")),
            Err(LifecycleError::OverrideReasonRequired)
        );
        assert_eq!(
            apply(
                Resolved,
                Transition::Close {
                    confirmation: ClosingConfirmation::SubmitterConfirmed
                }
            ),
            Ok(Closed)
        );
    }

    /// SPEC E3: only the submitter confirms; anyone else needs an override,
    /// which only the roles that may close without confirmation can give.
    #[test]
    fn only_the_submitter_confirms_and_only_commanders_override() {
        use crate::role::Role;
        let confirmed = ClosingConfirmation::SubmitterConfirmed;
        let overridden = ClosingConfirmation::CommanderOverride {
            reason: "submitter unreachable".into(),
        };
        for role in Role::ALL {
            let submitter = Closer {
                role,
                is_submitter: true,
            };
            let someone_else = Closer {
                role,
                is_submitter: false,
            };
            assert_eq!(check_closing(&confirmed, submitter), Ok(()));
            assert_eq!(
                check_closing(&confirmed, someone_else),
                Err(ClosingRefusal::NotTheSubmitter),
                "{role}"
            );
            let expected = if role.may_close_without_confirmation() {
                Ok(())
            } else {
                Err(ClosingRefusal::NoOverrideRight(role))
            };
            assert_eq!(check_closing(&overridden, someone_else), expected);
            assert_eq!(check_closing(&overridden, submitter), expected);
        }
    }

    /// SPEC V11
    #[test]
    fn timestamps_never_go_backwards() {
        assert_eq!(
            apply_transition(Reported, T1, &Transition::StartTriage, T0),
            Err(LifecycleError::TimeWentBackwards {
                last_change: T1,
                at: T0
            })
        );
        assert_eq!(
            apply_transition(Reported, T1, &Transition::StartTriage, T1),
            Ok(Triage)
        );
        let err = apply_transition(Reported, T1, &Transition::StartTriage, T0).unwrap_err();
        assert!(
            err.to_string().contains("timestamps never go backwards"),
            "{err}"
        );
    }

    /// SPEC V11
    #[test]
    fn allowed_transitions_match_apply_transition() {
        for from in IncidentStatus::ALL {
            let allowed = allowed_transitions(from);
            assert!(!allowed.is_empty(), "{from} is a dead end");
            for kind in TransitionKind::ALL {
                assert_eq!(
                    apply(from, sample(kind)).is_ok(),
                    allowed.contains(&kind),
                    "{from} --{kind}-->"
                );
            }
        }
    }

    /// SPEC V11
    #[test]
    fn names_round_trip_through_str_and_serde() {
        for status in IncidentStatus::ALL {
            assert_eq!(status.as_str().parse::<IncidentStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        assert_eq!(" Monitoring ".parse::<IncidentStatus>(), Ok(Monitoring));
        assert_eq!(
            "done".parse::<IncidentStatus>(),
            Err(StatusParseError("done".into()))
        );

        for kind in TransitionKind::ALL {
            let json = serde_json::to_value(sample(kind)).unwrap();
            assert_eq!(json["action"], kind.as_str());
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        let close: Transition = serde_json::from_str(
            r#"{"action":"close","confirmation":{"kind":"commander_override","reason":"unreachable"}}"#,
        )
        .unwrap();
        assert_eq!(
            close,
            Transition::Close {
                confirmation: ClosingConfirmation::CommanderOverride {
                    reason: "unreachable".into()
                }
            }
        );
        assert!(serde_json::from_str::<Transition>(r#"{"action":"teleport"}"#).is_err());
    }
}
