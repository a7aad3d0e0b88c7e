//! Post-incident reviews (SPEC V6, R2): the meeting that follows an incident
//! report, where engineers and managers agree on the RCA's conclusions and
//! the remediation actions.
//!
//! A [`NewReview`] records the date, the attendees with their side, for every
//! root cause of the RCA either "agreed" or a dissent with who and why, the
//! decisions, and the actions proposed; [`NewReview::record`] checks it
//! against the RCA and returns the accepted actions as new remediation items.

use crate::rca::{CauseId, Narrative, Rca};
use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::remediation::NewRemediationItem;
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::Name;
use serde::{Deserialize, Serialize};

/// Which side an attendee speaks for (SPEC R2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Engineering,
    Management,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    pub name: Name,
    pub side: Side,
}

/// The meeting's conclusion on one root cause. Sent as `"agreed"` or
/// `{"dissent": {"by": "bob", "reason": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Verdict {
    Agreed,
    /// Someone disagrees; the disagreement is recorded, not overruled.
    Dissent {
        by: Name,
        reason: Narrative,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCauseVerdict {
    pub cause: CauseId,
    pub verdict: Verdict,
}

/// An action the meeting discussed; accepted ones become remediation items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposedAction {
    pub item: NewRemediationItem,
    pub accepted: bool,
}

/// `POST /api/problems/{id}/reviews`: the meeting record as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    pub held_at: Timestamp,
    pub attendees: Vec<Attendee>,
    pub root_causes: Vec<RootCauseVerdict>,
    #[serde(default)]
    pub decisions: Vec<Narrative>,
    #[serde(default)]
    pub actions: Vec<ProposedAction>,
}

/// A recorded review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostIncidentReview {
    pub id: i64,
    pub report: i64,
    pub problem: i64,
    pub held_at: Timestamp,
    pub attendees: Vec<Attendee>,
    pub root_causes: Vec<RootCauseVerdict>,
    pub decisions: Vec<Narrative>,
    pub actions: Vec<ProposedAction>,
    pub recorded_at: Timestamp,
}

impl PostIncidentReview {
    /// Every root cause agreed, with no dissent.
    pub fn all_agreed(&self) -> bool {
        self.root_causes
            .iter()
            .all(|v| v.verdict == Verdict::Agreed)
    }

    /// The dissents, for the report and the problem page.
    pub fn dissents(&self) -> impl Iterator<Item = (CauseId, &Name, &Narrative)> {
        self.root_causes.iter().filter_map(|v| match &v.verdict {
            Verdict::Dissent { by, reason } => Some((v.cause, by, reason)),
            Verdict::Agreed => None,
        })
    }
}

/// At most this many attendees, decisions and actions.
pub const MAX_ENTRIES: usize = 100;

/// Why a review record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("a {role} may not record reviews")]
    Forbidden { role: Role },
    #[error("the review is dated {held_at}, after now ({now})")]
    HeldInTheFuture { held_at: Timestamp, now: Timestamp },
    #[error(
        "engineers and managers must both attend (SPEC R2); no one from {missing:?} is listed"
    )]
    SideMissing { missing: Side },
    #[error("{name} is listed twice")]
    AttendeeTwice { field: String, name: String },
    #[error("root cause {cause} is not one of the RCA's root causes")]
    UnknownCause { field: String, cause: u32 },
    #[error("root cause {cause} has two verdicts")]
    CauseTwice { field: String, cause: u32 },
    #[error("root cause {cause} of the RCA has no verdict: agreed, or a dissent")]
    CauseWithoutVerdict { cause: u32 },
    #[error("{by} dissents but is not listed among the attendees")]
    DissentByAbsentee { field: String, by: String },
    #[error("the RCA has no root cause to review yet")]
    NothingToReview,
    #[error("an accepted action is due at {due_at}, before the review ({held_at})")]
    ActionDueBeforeReview {
        field: String,
        due_at: Timestamp,
        held_at: Timestamp,
    },
    #[error("at most {max} entries are allowed here")]
    TooMany { field: &'static str, max: usize },
}

impl Refusal for ReviewError {
    fn refusal_kind(&self) -> RefusalKind {
        match self {
            ReviewError::Forbidden { .. } => RefusalKind::Forbidden,
            ReviewError::HeldInTheFuture { .. } => invalid("held_at"),
            ReviewError::SideMissing { .. } => invalid("attendees"),
            ReviewError::AttendeeTwice { field, .. }
            | ReviewError::UnknownCause { field, .. }
            | ReviewError::CauseTwice { field, .. }
            | ReviewError::DissentByAbsentee { field, .. }
            | ReviewError::ActionDueBeforeReview { field, .. } => invalid(field.clone()),
            ReviewError::CauseWithoutVerdict { .. } | ReviewError::NothingToReview => {
                invalid("root_causes")
            }
            ReviewError::TooMany { field, .. } => invalid(*field),
        }
    }
}

impl NewReview {
    /// The review with id `id` of `report` on `problem`, checked against the
    /// problem's `rca`, and the accepted actions as new remediation items
    /// (SPEC V6, R2). Checks, in this order: the role writes (403); the date
    /// is not after `now`; engineering and management both attend, each
    /// once; every root cause of the RCA has exactly one verdict and a
    /// dissent comes from an attendee; accepted actions are not due before
    /// the meeting (422, naming the field).
    pub fn record(
        self,
        id: i64,
        report: i64,
        problem: i64,
        rca: &Rca,
        actor: Role,
        now: Timestamp,
    ) -> Result<(PostIncidentReview, Vec<NewRemediationItem>), ReviewError> {
        if !actor.can_write() {
            return Err(ReviewError::Forbidden { role: actor });
        }
        if self.held_at > now {
            return Err(ReviewError::HeldInTheFuture {
                held_at: self.held_at,
                now,
            });
        }
        for (field, len) in [
            ("attendees", self.attendees.len()),
            ("decisions", self.decisions.len()),
            ("actions", self.actions.len()),
            ("root_causes", self.root_causes.len()),
        ] {
            if len > MAX_ENTRIES {
                return Err(ReviewError::TooMany {
                    field,
                    max: MAX_ENTRIES,
                });
            }
        }
        for (i, attendee) in self.attendees.iter().enumerate() {
            let twice = self.attendees[..i]
                .iter()
                .any(|a| a.name.as_str().eq_ignore_ascii_case(attendee.name.as_str()));
            if twice {
                return Err(ReviewError::AttendeeTwice {
                    field: format!("attendees[{i}].name"),
                    name: attendee.name.to_string(),
                });
            }
        }
        for side in [Side::Engineering, Side::Management] {
            if !self.attendees.iter().any(|a| a.side == side) {
                return Err(ReviewError::SideMissing { missing: side });
            }
        }
        if rca.root_causes.is_empty() {
            return Err(ReviewError::NothingToReview);
        }
        for (i, verdict) in self.root_causes.iter().enumerate() {
            let field = |rest: &str| format!("root_causes[{i}]{rest}");
            if rca.root_cause(verdict.cause).is_none() {
                return Err(ReviewError::UnknownCause {
                    field: field(".cause"),
                    cause: verdict.cause.0,
                });
            }
            if self.root_causes[..i]
                .iter()
                .any(|v| v.cause == verdict.cause)
            {
                return Err(ReviewError::CauseTwice {
                    field: field(".cause"),
                    cause: verdict.cause.0,
                });
            }
            if let Verdict::Dissent { by, .. } = &verdict.verdict {
                if !self.attendees.iter().any(|a| a.name == *by) {
                    return Err(ReviewError::DissentByAbsentee {
                        field: field(".verdict.dissent.by"),
                        by: by.to_string(),
                    });
                }
            }
        }
        if let Some(cause) = rca
            .root_causes
            .iter()
            .find(|cause| !self.root_causes.iter().any(|v| v.cause == cause.id))
        {
            return Err(ReviewError::CauseWithoutVerdict { cause: cause.id.0 });
        }
        for (i, action) in self.actions.iter().enumerate() {
            if action.accepted && action.item.due_at < self.held_at {
                return Err(ReviewError::ActionDueBeforeReview {
                    field: format!("actions[{i}].item.due_at"),
                    due_at: action.item.due_at,
                    held_at: self.held_at,
                });
            }
        }
        let items = self
            .actions
            .iter()
            .filter(|action| action.accepted)
            .map(|action| action.item.clone())
            .collect();
        let review = PostIncidentReview {
            id,
            report,
            problem,
            held_at: self.held_at,
            attendees: self.attendees,
            root_causes: self.root_causes,
            decisions: self.decisions,
            actions: self.actions,
            recorded_at: now,
        };
        Ok((review, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rca::{Cause, CauseClass};
    use serde_json::json;

    const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    fn rca() -> Rca {
        let cause = |id: u32, summary: &str| Cause {
            id: CauseId(id),
            summary: Narrative::parse(summary).unwrap(),
            class: CauseClass::Capacity,
            evidence: vec![],
        };
        Rca {
            root_causes: vec![cause(1, "pool too small"), cause(2, "no saturation alert")],
            ..Rca::default()
        }
    }

    fn review(root_causes: serde_json::Value) -> NewReview {
        serde_json::from_value(json!({
            "held_at": "2023-11-14T10:00:00Z",
            "attendees": [
                {"name": "alice", "side": "engineering"},
                {"name": "bob", "side": "engineering"},
                {"name": "maria", "side": "management"}
            ],
            "root_causes": root_causes,
            "decisions": ["Capacity reviews become quarterly"],
            "actions": [
                {"accepted": true, "item": {"title": "Alert on pool saturation", "kind": "detect",
                  "owner": {"person": {"name": "alice"}}, "due_at": "2023-12-01T00:00:00Z"}},
                {"accepted": false, "item": {"title": "Rewrite the pooler", "kind": "prevent",
                  "owner": {"person": {"name": "bob"}}, "due_at": "2024-06-01T00:00:00Z"}}
            ]
        }))
        .unwrap()
    }

    /// SPEC V6, R2: a review records agreement or dissent per root cause, and
    /// the accepted actions become remediation items.
    #[test]
    fn accepted_actions_become_remediation_items() {
        let (recorded, items) = review(json!([
            {"cause": 1, "verdict": "agreed"},
            {"cause": 2, "verdict": {"dissent": {"by": "bob", "reason": "the alert existed but was muted"}}}
        ]))
        .record(3, 8, 1, &rca(), Role::Management, NOW)
        .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title.as_str(), "Alert on pool saturation");
        assert!(!recorded.all_agreed());
        let dissents: Vec<(u32, &str)> = recorded
            .dissents()
            .map(|(cause, by, _)| (cause.0, by.as_str()))
            .collect();
        assert_eq!(dissents, [(2, "bob")]);
        assert_eq!(recorded.actions.len(), 2, "rejected actions stay on record");
    }

    /// SPEC R2: both sides attend, every root cause gets exactly one verdict,
    /// dissent comes from an attendee; errors name the field.
    #[test]
    fn refusals_name_the_field() {
        let both = json!([{"cause": 1, "verdict": "agreed"}, {"cause": 2, "verdict": "agreed"}]);
        let field = |review: NewReview| match review
            .record(3, 8, 1, &rca(), Role::Sre, NOW)
            .unwrap_err()
            .refusal_kind()
        {
            RefusalKind::Invalid { field } => field,
            other => panic!("{other:?}"),
        };
        let mut only_engineers = review(both.clone());
        only_engineers
            .attendees
            .retain(|a| a.side == Side::Engineering);
        assert_eq!(field(only_engineers), "attendees");
        assert_eq!(
            field(review(json!([{"cause": 1, "verdict": "agreed"}]))),
            "root_causes"
        );
        assert_eq!(
            field(review(json!([
                {"cause": 1, "verdict": "agreed"},
                {"cause": 7, "verdict": "agreed"}
            ]))),
            "root_causes[1].cause"
        );
        assert_eq!(
            field(review(json!([
                {"cause": 1, "verdict": "agreed"},
                {"cause": 1, "verdict": "agreed"},
                {"cause": 2, "verdict": "agreed"}
            ]))),
            "root_causes[1].cause"
        );
        assert_eq!(
            field(review(json!([
                {"cause": 1, "verdict": {"dissent": {"by": "zoe", "reason": "not there"}}},
                {"cause": 2, "verdict": "agreed"}
            ]))),
            "root_causes[0].verdict.dissent.by"
        );
        let mut late = review(both.clone());
        late.held_at = Timestamp::from_unix_millis(NOW.unix_millis() + 1);
        assert_eq!(field(late), "held_at");
        let mut early_action = review(both.clone());
        early_action.actions[0].item.due_at = Timestamp::parse("2023-11-01T00:00:00Z").unwrap();
        assert_eq!(field(early_action), "actions[0].item.due_at");
        let err = review(both)
            .record(3, 8, 1, &rca(), Role::Viewer, NOW)
            .unwrap_err();
        assert_eq!(err.refusal_kind(), RefusalKind::Forbidden);
    }
}
