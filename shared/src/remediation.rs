//! Remediation items (SPEC V8, R3, R4): every step that fixes a root cause or
//! keeps it from recurring, tracked one by one until someone verified it.
//!
//! | from                    | action                 | to          | who                |
//! |-------------------------|------------------------|-------------|--------------------|
//! | open                    | `start`                | in_progress | anyone who writes  |
//! | open, in_progress       | `complete`             | done        | anyone who writes  |
//! | done                    | `verify {evidence}`    | verified    | anyone who writes  |
//! | open, in_progress, done | `decline {reason}`     | wont_do     | management only    |
//! | done, verified, wont_do | `reopen`               | open        | anyone who writes  |
//!
//! Choices made where the SOP is silent:
//! - An item may be completed without being started first: a vendor's item
//!   (SPEC R4) is often only reported done.
//! - Verification needs evidence, a link or a text; a verified item is the
//!   proof the fix holds, so it is what a recurrence (SPEC R6) calls ineffective.
//! - Overdue is derived, never stored: an item still open or in progress
//!   at or past its due instant ([`RemediationItem::is_overdue`]).
//! - Refusals are classed for the API ([`crate::refusal`]): the wrong role is
//!   forbidden (403), missing input invalid (422, naming the field), a move
//!   the status does not allow a conflict (409).

use crate::rca::Narrative;
use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::{LinkUrl, Name, Title};
use serde::{Deserialize, Serialize};

/// What an item does about the cause. Stored and sent as snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationKind {
    /// Removes the cause, so it cannot happen again.
    Prevent,
    /// Limits the damage when it happens.
    Mitigate,
    /// Finds it sooner.
    Detect,
    /// Changes a procedure, a runbook, training.
    Process,
}

impl RemediationKind {
    pub const ALL: [RemediationKind; 4] = [
        RemediationKind::Prevent,
        RemediationKind::Mitigate,
        RemediationKind::Detect,
        RemediationKind::Process,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemediationKind::Prevent => "prevent",
            RemediationKind::Mitigate => "mitigate",
            RemediationKind::Detect => "detect",
            RemediationKind::Process => "process",
        }
    }
}

display_as_str!(RemediationKind);

/// Who does the work: one of us, or a vendor's contact (SPEC R4). Sent as
/// `{"person": {"name": "alice"}}` or `{"vendor": {"vendor": "Acme", "contact": "Bob"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RemediationOwner {
    Person { name: Name },
    Vendor { vendor: Name, contact: Name },
}

impl RemediationOwner {
    /// Who to remind: the person, or the vendor contact (chased like ours).
    pub fn name(&self) -> &Name {
        match self {
            RemediationOwner::Person { name } => name,
            RemediationOwner::Vendor { contact, .. } => contact,
        }
    }

    pub fn is_vendor(&self) -> bool {
        matches!(self, RemediationOwner::Vendor { .. })
    }
}

/// Proof that something was done: a link or a text. Sent as
/// `{"link": "https://..."}` or `{"text": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Evidence {
    Link(LinkUrl),
    Text(Narrative),
}

/// Where an item stands. Stored and sent as snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationStatus {
    Open,
    InProgress,
    Done,
    /// Done, and someone checked that it works, with evidence.
    Verified,
    /// Management decided not to do it, with a reason.
    WontDo,
}

impl RemediationStatus {
    pub const ALL: [RemediationStatus; 5] = [
        RemediationStatus::Open,
        RemediationStatus::InProgress,
        RemediationStatus::Done,
        RemediationStatus::Verified,
        RemediationStatus::WontDo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemediationStatus::Open => "open",
            RemediationStatus::InProgress => "in_progress",
            RemediationStatus::Done => "done",
            RemediationStatus::Verified => "verified",
            RemediationStatus::WontDo => "wont_do",
        }
    }

    /// Open or in progress: the work is still to do, so the due date counts.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            RemediationStatus::Open | RemediationStatus::InProgress
        )
    }

    /// Verified or declined: nothing more will happen unless it is reopened.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            RemediationStatus::Verified | RemediationStatus::WontDo
        )
    }
}

display_as_str!(RemediationStatus);

/// An action on a remediation item, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RemediationTransition {
    Start,
    Complete,
    Verify { evidence: Evidence },
    Decline { reason: Narrative },
    Reopen,
}

/// A [`RemediationTransition`] without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationAction {
    Start,
    Complete,
    Verify,
    Decline,
    Reopen,
}

impl RemediationAction {
    pub const ALL: [RemediationAction; 5] = [
        RemediationAction::Start,
        RemediationAction::Complete,
        RemediationAction::Verify,
        RemediationAction::Decline,
        RemediationAction::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemediationAction::Start => "start",
            RemediationAction::Complete => "complete",
            RemediationAction::Verify => "verify",
            RemediationAction::Decline => "decline",
            RemediationAction::Reopen => "reopen",
        }
    }

    /// Whether `role` may take this action: declining needs
    /// [`Role::may_decline_remediation`], everything else [`Role::can_write`].
    pub fn permitted(self, role: Role) -> bool {
        match self {
            RemediationAction::Decline => role.may_decline_remediation(),
            _ => role.can_write(),
        }
    }
}

display_as_str!(RemediationAction);

impl RemediationTransition {
    pub fn action(&self) -> RemediationAction {
        match self {
            RemediationTransition::Start => RemediationAction::Start,
            RemediationTransition::Complete => RemediationAction::Complete,
            RemediationTransition::Verify { .. } => RemediationAction::Verify,
            RemediationTransition::Decline { .. } => RemediationAction::Decline,
            RemediationTransition::Reopen => RemediationAction::Reopen,
        }
    }
}

/// The actions allowed from `status`, whoever asks, in the order a UI offers them.
pub fn allowed_remediation_actions(status: RemediationStatus) -> &'static [RemediationAction] {
    use RemediationAction::*;
    match status {
        RemediationStatus::Open => &[Start, Complete, Decline],
        RemediationStatus::InProgress => &[Complete, Decline],
        RemediationStatus::Done => &[Verify, Decline, Reopen],
        RemediationStatus::Verified | RemediationStatus::WontDo => &[Reopen],
    }
}

fn next_status(from: RemediationStatus, action: RemediationAction) -> Option<RemediationStatus> {
    use RemediationAction as A;
    use RemediationStatus::*;
    match (from, action) {
        (Open, A::Start) => Some(InProgress),
        (Open | InProgress, A::Complete) => Some(Done),
        (Done, A::Verify) => Some(Verified),
        (Open | InProgress | Done, A::Decline) => Some(WontDo),
        (Done | Verified | WontDo, A::Reopen) => Some(Open),
        _ => None,
    }
}

/// Why a remediation change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemediationError {
    #[error("only management may decline a remediation item (won't do); a {role} may not")]
    DeclineForbidden { role: Role },
    #[error("a {role} may not change remediation items")]
    Forbidden { role: Role },
    #[error("cannot {action} an item that is {from}")]
    NotAllowed {
        from: RemediationStatus,
        action: RemediationAction,
    },
    #[error(
        "{at} is before the item's last change at {last_change}; timestamps never go backwards"
    )]
    TimeWentBackwards {
        last_change: Timestamp,
        at: Timestamp,
    },
    #[error("a {status} item is not edited; reopen it first")]
    Settled { status: RemediationStatus },
    #[error("the due date {due_at} is before now ({created_at})")]
    DueInThePast {
        due_at: Timestamp,
        created_at: Timestamp,
    },
    #[error("`{field}` is required for the action `{action}`")]
    Missing {
        field: &'static str,
        action: RemediationAction,
    },
    #[error("`{field}` is not allowed for the action `{action}`")]
    Unexpected {
        field: &'static str,
        action: RemediationAction,
    },
}

impl Refusal for RemediationError {
    fn refusal_kind(&self) -> RefusalKind {
        match self {
            RemediationError::DeclineForbidden { .. } | RemediationError::Forbidden { .. } => {
                RefusalKind::Forbidden
            }
            RemediationError::NotAllowed { .. }
            | RemediationError::TimeWentBackwards { .. }
            | RemediationError::Settled { .. } => RefusalKind::Conflict,
            RemediationError::DueInThePast { .. } => invalid("due_at"),
            RemediationError::Missing { field, .. }
            | RemediationError::Unexpected { field, .. } => invalid(*field),
        }
    }
}

/// A new item, as entered on the problem page or taken from a review (SPEC
/// V6) or a vendor's RCA (SPEC R4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRemediationItem {
    pub title: Title,
    pub kind: RemediationKind,
    pub owner: RemediationOwner,
    /// The team that owns the outcome, even when a vendor does the work.
    #[serde(default)]
    pub owning_group: Option<Name>,
    pub due_at: Timestamp,
}

/// One remediation item of a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationItem {
    pub id: i64,
    pub problem: i64,
    pub title: Title,
    pub kind: RemediationKind,
    pub owner: RemediationOwner,
    #[serde(default)]
    pub owning_group: Option<Name>,
    pub due_at: Timestamp,
    pub status: RemediationStatus,
    pub created_at: Timestamp,
    pub last_change: Timestamp,
    /// Set when verified; kept when reopened, for the record.
    #[serde(default)]
    pub evidence: Option<Evidence>,
    /// Set when declined.
    #[serde(default)]
    pub declined_reason: Option<Narrative>,
    /// The vendor RCA it came from (SPEC R4).
    #[serde(default)]
    pub vendor_rca: Option<i64>,
}

impl RemediationItem {
    /// A new open item. Refused when it is due before `created_at`.
    pub fn new(
        id: i64,
        problem: i64,
        new: NewRemediationItem,
        vendor_rca: Option<i64>,
        created_at: Timestamp,
    ) -> Result<Self, RemediationError> {
        if new.due_at < created_at {
            return Err(RemediationError::DueInThePast {
                due_at: new.due_at,
                created_at,
            });
        }
        Ok(Self {
            id,
            problem,
            title: new.title,
            kind: new.kind,
            owner: new.owner,
            owning_group: new.owning_group,
            due_at: new.due_at,
            status: RemediationStatus::Open,
            created_at,
            last_change: created_at,
            evidence: None,
            declined_reason: None,
            vendor_rca,
        })
    }

    /// The item after `transition` by `actor` at `at` (SPEC V8).
    ///
    /// Checks, in this order: the role may take the action (403), the action
    /// is allowed from the status (409), time does not go backwards (409).
    pub fn transition(
        &self,
        transition: &RemediationTransition,
        actor: Role,
        at: Timestamp,
    ) -> Result<RemediationItem, RemediationError> {
        let action = transition.action();
        if !action.permitted(actor) {
            return Err(if action == RemediationAction::Decline {
                RemediationError::DeclineForbidden { role: actor }
            } else {
                RemediationError::Forbidden { role: actor }
            });
        }
        let to = next_status(self.status, action).ok_or(RemediationError::NotAllowed {
            from: self.status,
            action,
        })?;
        if at < self.last_change {
            return Err(RemediationError::TimeWentBackwards {
                last_change: self.last_change,
                at,
            });
        }
        let mut next = self.clone();
        next.status = to;
        next.last_change = at;
        match transition {
            RemediationTransition::Verify { evidence } => next.evidence = Some(evidence.clone()),
            RemediationTransition::Decline { reason } => {
                next.declined_reason = Some(reason.clone())
            }
            RemediationTransition::Reopen => next.declined_reason = None,
            RemediationTransition::Start | RemediationTransition::Complete => {}
        }
        Ok(next)
    }

    /// The item with its details replaced by `details` (title, kind, owner,
    /// group, due date), by `actor` at `at`. Refused when the role does not
    /// write (403), the item is verified or declined (409: reopen it first),
    /// or a changed due date lies before `at` (422). A new due date is a new
    /// deadline for [`crate::post_incident_deadlines`].
    pub fn edit(
        &self,
        details: NewRemediationItem,
        actor: Role,
        at: Timestamp,
    ) -> Result<RemediationItem, RemediationError> {
        if !actor.can_write() {
            return Err(RemediationError::Forbidden { role: actor });
        }
        if self.status.is_settled() {
            return Err(RemediationError::Settled {
                status: self.status,
            });
        }
        if at < self.last_change {
            return Err(RemediationError::TimeWentBackwards {
                last_change: self.last_change,
                at,
            });
        }
        if details.due_at != self.due_at && details.due_at < at {
            return Err(RemediationError::DueInThePast {
                due_at: details.due_at,
                created_at: at,
            });
        }
        let mut next = self.clone();
        next.title = details.title;
        next.kind = details.kind;
        next.owner = details.owner;
        next.owning_group = details.owning_group;
        next.due_at = details.due_at;
        next.last_change = at;
        Ok(next)
    }

    /// Still to do at or past its due instant (when management is told, see
    /// [`crate::post_incident_deadlines`]).
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_pending() && now >= self.due_at
    }
}

/// Orders items for the remediation board (SPEC V8, Q3): by owner name, and
/// within an owner overdue first, then by due date, then by id.
pub fn sort_for_board(items: &mut [RemediationItem], now: Timestamp) {
    items.sort_by(|a, b| {
        a.owner
            .name()
            .as_str()
            .to_lowercase()
            .cmp(&b.owner.name().as_str().to_lowercase())
            .then_with(|| b.is_overdue(now).cmp(&a.is_overdue(now)))
            .then_with(|| a.due_at.cmp(&b.due_at))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// `POST /api/remediation/{id}/transitions`: `{"action": "verify", "evidence": {"link": "..."}}`.
/// Flat, so that a missing or stray field is reported by its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemediationTransitionRequest {
    pub action: RemediationAction,
    /// Required for `verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Required for `decline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Narrative>,
}

impl RemediationTransitionRequest {
    /// The transition, or the first field that is missing or not allowed (422).
    pub fn into_transition(self) -> Result<RemediationTransition, RemediationError> {
        let action = self.action;
        let takes_evidence = action == RemediationAction::Verify;
        let takes_reason = action == RemediationAction::Decline;
        if self.evidence.is_some() && !takes_evidence {
            return Err(RemediationError::Unexpected {
                field: "evidence",
                action,
            });
        }
        if self.reason.is_some() && !takes_reason {
            return Err(RemediationError::Unexpected {
                field: "reason",
                action,
            });
        }
        Ok(match action {
            RemediationAction::Start => RemediationTransition::Start,
            RemediationAction::Complete => RemediationTransition::Complete,
            RemediationAction::Verify => RemediationTransition::Verify {
                evidence: self.evidence.ok_or(RemediationError::Missing {
                    field: "evidence",
                    action,
                })?,
            },
            RemediationAction::Decline => RemediationTransition::Decline {
                reason: self.reason.ok_or(RemediationError::Missing {
                    field: "reason",
                    action,
                })?,
            },
            RemediationAction::Reopen => RemediationTransition::Reopen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RemediationStatus::*;

    const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
    const DAY: i64 = 86_400_000;

    fn at(days: i64) -> Timestamp {
        Timestamp::from_unix_millis(T0.unix_millis() + days * DAY)
    }

    fn item() -> RemediationItem {
        RemediationItem::new(
            7,
            3,
            NewRemediationItem {
                title: Title::parse("Alert on pool saturation").unwrap(),
                kind: RemediationKind::Detect,
                owner: RemediationOwner::Person {
                    name: Name::parse("alice").unwrap(),
                },
                owning_group: Some(Name::parse("platform").unwrap()),
                due_at: at(14),
            },
            None,
            T0,
        )
        .unwrap()
    }

    fn evidence() -> RemediationTransition {
        RemediationTransition::Verify {
            evidence: Evidence::Link(LinkUrl::parse("https://grafana.example/alert/9").unwrap()),
        }
    }

    fn decline() -> RemediationTransition {
        RemediationTransition::Decline {
            reason: Narrative::parse("replaced by the new pooler").unwrap(),
        }
    }

    /// SPEC V8, R3: open -> in_progress -> done -> verified, with evidence kept.
    #[test]
    fn an_item_is_tracked_until_verified() {
        let sre = Role::Sre;
        let started = item()
            .transition(&RemediationTransition::Start, sre, at(1))
            .unwrap();
        assert_eq!(started.status, InProgress);
        let done = started
            .transition(&RemediationTransition::Complete, sre, at(2))
            .unwrap();
        assert_eq!(done.status, Done);
        let verified = done.transition(&evidence(), Role::Engineer, at(3)).unwrap();
        assert_eq!(verified.status, Verified);
        assert_eq!(verified.last_change, at(3));
        assert!(matches!(verified.evidence, Some(Evidence::Link(_))));
        assert!(verified.status.is_settled());
    }

    /// SPEC V8: verification needs evidence and a done item.
    #[test]
    fn verification_needs_evidence_and_a_done_item() {
        let request: RemediationTransitionRequest =
            serde_json::from_str(r#"{"action":"verify"}"#).unwrap();
        let err = request.into_transition().unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "evidence".into()
            }
        );
        assert!(serde_json::from_str::<RemediationTransitionRequest>(
            r#"{"action":"verify","evidence":{"text":"  "}}"#
        )
        .is_err());
        let request: RemediationTransitionRequest = serde_json::from_str(
            r#"{"action":"verify","evidence":{"text":"load test passed, report in wiki"}}"#,
        )
        .unwrap();
        let verify = request.into_transition().unwrap();
        let err = item().transition(&verify, Role::Sre, at(1)).unwrap_err();
        assert_eq!(
            err,
            RemediationError::NotAllowed {
                from: Open,
                action: RemediationAction::Verify
            }
        );
        assert_eq!(err.refusal_kind(), RefusalKind::Conflict);
        let stray: RemediationTransitionRequest =
            serde_json::from_str(r#"{"action":"start","reason":"because"}"#).unwrap();
        assert_eq!(
            stray.into_transition().unwrap_err().refusal_kind(),
            RefusalKind::Invalid {
                field: "reason".into()
            }
        );
    }

    /// SPEC V8, R3: won't do is management's decision alone, with a reason.
    #[test]
    fn only_management_declines() {
        for role in Role::ALL {
            let result = item().transition(&decline(), role, at(1));
            if role == Role::Management {
                let declined = result.unwrap();
                assert_eq!(declined.status, WontDo);
                assert!(declined.declined_reason.is_some());
            } else {
                let err = result.unwrap_err();
                assert_eq!(err.refusal_kind(), RefusalKind::Forbidden, "{role}");
            }
        }
        let request: RemediationTransitionRequest =
            serde_json::from_str(r#"{"action":"decline"}"#).unwrap();
        assert_eq!(
            request.into_transition().unwrap_err().refusal_kind(),
            RefusalKind::Invalid {
                field: "reason".into()
            }
        );
        assert_eq!(
            item()
                .transition(&RemediationTransition::Start, Role::Viewer, at(1))
                .unwrap_err()
                .refusal_kind(),
            RefusalKind::Forbidden
        );
    }

    /// SPEC V8: the allowed list and the transition function agree.
    #[test]
    fn allowed_actions_match_transition() {
        for status in RemediationStatus::ALL {
            let mut from = item();
            from.status = status;
            for action in RemediationAction::ALL {
                let transition = match action {
                    RemediationAction::Start => RemediationTransition::Start,
                    RemediationAction::Complete => RemediationTransition::Complete,
                    RemediationAction::Verify => evidence(),
                    RemediationAction::Decline => decline(),
                    RemediationAction::Reopen => RemediationTransition::Reopen,
                };
                assert_eq!(
                    from.transition(&transition, Role::Management, at(1))
                        .is_ok(),
                    allowed_remediation_actions(status).contains(&action),
                    "{status} --{action}-->"
                );
            }
        }
    }

    /// SPEC V8: overdue follows from the due date while the work is pending.
    #[test]
    fn overdue_is_derived_from_the_due_date() {
        let open = item();
        let just_before = Timestamp::from_unix_millis(at(14).unix_millis() - 1);
        assert!(!open.is_overdue(just_before));
        assert!(open.is_overdue(at(14)));
        let done = open
            .transition(&RemediationTransition::Complete, Role::Sre, at(15))
            .unwrap();
        assert!(!done.is_overdue(at(30)));
        let err = open
            .transition(&RemediationTransition::Start, Role::Sre, at(-1))
            .unwrap_err();
        assert!(matches!(err, RemediationError::TimeWentBackwards { .. }));
    }

    /// SPEC V8: details change until the item is settled; a moved due date may not lie in the past.
    #[test]
    fn editing_an_item() {
        let open = item();
        let mut details = NewRemediationItem {
            title: Title::parse("Alert on pool saturation above 80 %").unwrap(),
            kind: RemediationKind::Detect,
            owner: RemediationOwner::Person {
                name: Name::parse("bob").unwrap(),
            },
            owning_group: None,
            due_at: at(20),
        };
        let edited = open.edit(details.clone(), Role::Sre, at(15)).unwrap();
        assert_eq!(edited.due_at, at(20));
        assert_eq!(edited.owner.name().as_str(), "bob");
        assert_eq!(edited.status, Open);
        details.due_at = at(16);
        let err = edited.edit(details.clone(), Role::Sre, at(17)).unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "due_at".into()
            }
        );
        details.due_at = at(20);
        let mut verified = edited.clone();
        verified.status = Verified;
        let err = verified
            .edit(details.clone(), Role::Sre, at(17))
            .unwrap_err();
        assert_eq!(err.refusal_kind(), RefusalKind::Conflict);
        let err = edited.edit(details, Role::Viewer, at(17)).unwrap_err();
        assert_eq!(err.refusal_kind(), RefusalKind::Forbidden);
    }

    /// SPEC V8: the board groups by owner, overdue first.
    #[test]
    fn the_board_puts_overdue_items_first_per_owner() {
        let with = |id: i64, owner: &str, due: i64| {
            let mut it = item();
            it.id = id;
            it.owner = RemediationOwner::Person {
                name: Name::parse(owner).unwrap(),
            };
            it.due_at = at(due);
            it
        };
        let mut items = vec![
            with(1, "bob", 1),
            with(2, "alice", 30),
            with(3, "alice", 5),
            with(4, "Alice", 7),
        ];
        items[1].status = Done;
        items[2].status = Done;
        sort_for_board(&mut items, at(10));
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        // alice's open overdue item first, then her done ones by due date; bob last.
        assert_eq!(ids, [4, 3, 2, 1]);
        assert!(items[3].is_overdue(at(10)));
    }

    /// SPEC R4: vendor contacts own items like our people; due dates before creation are refused.
    #[test]
    fn vendor_owned_items_and_due_dates() {
        let owner: RemediationOwner =
            serde_json::from_str(r#"{"vendor":{"vendor":"Acme CDN","contact":"support@acme"}}"#)
                .unwrap();
        assert!(owner.is_vendor());
        assert_eq!(owner.name().as_str(), "support@acme");
        let new = NewRemediationItem {
            title: Title::parse("Fix BGP filter").unwrap(),
            kind: RemediationKind::Prevent,
            owner,
            owning_group: None,
            due_at: at(-1),
        };
        let err = RemediationItem::new(1, 3, new, Some(2), T0).unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "due_at".into()
            }
        );
    }
}
