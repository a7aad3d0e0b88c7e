//! Post-incident deadlines (SPEC R1, R2, V8, Q3): the incident report's draft
//! and the review meeting within set times of the resolution, and every
//! remediation item by its due date; evaluated as due actions for the same
//! sweep as the incident limits ([`crate::escalation`]).
//!
//! [`evaluate_post_incident`] is a pure function of a problem's
//! [`PostIncidentState`], the [`PostIncidentConfig`], the keys already sent
//! and `now`. The owner is reminded `remind_before` ahead of a deadline;
//! once it passes unmet, management is notified. A deadline already passed
//! sends no reminder, only the notification.
//!
//! - **Report draft** (R1): from the resolution of the incident that opened
//!   the problem; met when the report is submitted for engineering review.
//! - **Review** (R2): from the same resolution; met when a review is recorded.
//! - **Remediation** (V8): each item that is open or in progress, by its due
//!   instant. Our items remind their owner; a vendor's items remind the
//!   owning group, or else the problem's owner, who chases the vendor (R4).
//!
//! ## Idempotency keys
//!
//! Named after what they are about, never when they were computed:
//! `problem/{id}/remind/{deadline}/{deadline ms}`,
//! `problem/{id}/escalate/{deadline}/{deadline ms}`,
//! `remediation/{item}/remind/{due ms}` and `remediation/{item}/escalate/{due ms}`.
//! A new due date has a new instant and so new keys.
//!
//! ## Defaults
//!
//! | priority | report draft | review | remind before |
//! |----------|--------------|--------|---------------|
//! | P0       | 3 d          | 7 d    | 1 d           |
//! | P1-P3    | none         | none   | 1 d           |
//!
//! Only P0 needs a report by default (R1), so only P0 has report and review
//! deadlines; every priority's remediation items are chased.

use crate::escalation::{IdempotencyKey, Minutes, Recipient};
use crate::priority::Priority;
use crate::remediation::{RemediationItem, RemediationOwner};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A post-incident deadline. Stored and sent as snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostIncidentDeadline {
    /// The incident report's draft is submitted for review (SPEC R1).
    ReportDraft,
    /// The post-incident review is held (SPEC R2).
    Review,
    /// A remediation item is done (SPEC V8).
    Remediation,
}

impl PostIncidentDeadline {
    pub fn as_str(self) -> &'static str {
        match self {
            PostIncidentDeadline::ReportDraft => "report_draft",
            PostIncidentDeadline::Review => "review",
            PostIncidentDeadline::Remediation => "remediation",
        }
    }
}

display_as_str!(PostIncidentDeadline);

/// Why post-incident limits were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostIncidentConfigError {
    #[error("the {deadline} limit must be at least one minute")]
    ZeroLimit { deadline: PostIncidentDeadline },
    #[error(
        "a reminder {remind_before} ahead would come before the {deadline} clock starts ({within})"
    )]
    ReminderTooEarly {
        remind_before: Minutes,
        deadline: PostIncidentDeadline,
        within: Minutes,
    },
}

impl crate::refusal::Refusal for PostIncidentConfigError {
    fn refusal_kind(&self) -> crate::refusal::RefusalKind {
        let field = match self {
            PostIncidentConfigError::ZeroLimit { deadline } => deadline.as_str(),
            PostIncidentConfigError::ReminderTooEarly { .. } => "remind_before",
        };
        crate::refusal::invalid(field)
    }
}

/// One priority's post-incident limits, measured from the resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LimitsRecord", into = "LimitsRecord")]
pub struct PostIncidentLimits {
    report_draft: Option<Minutes>,
    review: Option<Minutes>,
    remind_before: Minutes,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsRecord {
    #[serde(default)]
    report_draft: Option<Minutes>,
    #[serde(default)]
    review: Option<Minutes>,
    remind_before: Minutes,
}

impl PostIncidentLimits {
    /// `None` for a deadline the priority does not have. Refused when a set
    /// limit is zero or not longer than `remind_before`.
    pub fn new(
        report_draft: Option<Minutes>,
        review: Option<Minutes>,
        remind_before: Minutes,
    ) -> Result<Self, PostIncidentConfigError> {
        for (deadline, limit) in [
            (PostIncidentDeadline::ReportDraft, report_draft),
            (PostIncidentDeadline::Review, review),
        ] {
            let Some(limit) = limit else { continue };
            if limit.as_minutes() == 0 {
                return Err(PostIncidentConfigError::ZeroLimit { deadline });
            }
            if remind_before >= limit {
                return Err(PostIncidentConfigError::ReminderTooEarly {
                    remind_before,
                    deadline,
                    within: limit,
                });
            }
        }
        Ok(Self {
            report_draft,
            review,
            remind_before,
        })
    }

    /// The defaults in the module documentation.
    pub fn default_for(priority: Priority) -> Self {
        let (report_draft, review) = match priority {
            Priority::P0 => (Some(Minutes::days(3)), Some(Minutes::days(7))),
            Priority::P1 | Priority::P2 | Priority::P3 => (None, None),
        };
        Self {
            report_draft,
            review,
            remind_before: Minutes::days(1),
        }
    }

    pub fn report_draft(&self) -> Option<Minutes> {
        self.report_draft
    }

    pub fn review(&self) -> Option<Minutes> {
        self.review
    }

    /// How far ahead of every deadline, remediation's included, the owner is reminded.
    pub fn remind_before(&self) -> Minutes {
        self.remind_before
    }
}

impl TryFrom<LimitsRecord> for PostIncidentLimits {
    type Error = PostIncidentConfigError;
    fn try_from(r: LimitsRecord) -> Result<Self, Self::Error> {
        Self::new(r.report_draft, r.review, r.remind_before)
    }
}

impl From<PostIncidentLimits> for LimitsRecord {
    fn from(l: PostIncidentLimits) -> Self {
        Self {
            report_draft: l.report_draft,
            review: l.review,
            remind_before: l.remind_before,
        }
    }
}

/// The limits of every priority, set like the incident time limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostIncidentConfig {
    pub p0: PostIncidentLimits,
    pub p1: PostIncidentLimits,
    pub p2: PostIncidentLimits,
    pub p3: PostIncidentLimits,
}

impl Default for PostIncidentConfig {
    fn default() -> Self {
        Self {
            p0: PostIncidentLimits::default_for(Priority::P0),
            p1: PostIncidentLimits::default_for(Priority::P1),
            p2: PostIncidentLimits::default_for(Priority::P2),
            p3: PostIncidentLimits::default_for(Priority::P3),
        }
    }
}

impl PostIncidentConfig {
    pub fn for_priority(&self, priority: Priority) -> &PostIncidentLimits {
        match priority {
            Priority::P0 => &self.p0,
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
        }
    }

    /// The config with `priority`'s limits replaced.
    pub fn with(mut self, priority: Priority, limits: PostIncidentLimits) -> Self {
        match priority {
            Priority::P0 => self.p0 = limits,
            Priority::P1 => self.p1 = limits,
            Priority::P2 => self.p2 = limits,
            Priority::P3 => self.p3 = limits,
        }
        self
    }
}

/// What the deadlines need to know about one problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostIncidentState {
    pub problem: i64,
    pub priority: Priority,
    /// Who answers for the report and the review (e.g. the problem's
    /// owner, or the duty incident commander resolved from the rota).
    pub owner: Recipient,
    /// When the incident that opened the problem was resolved; no report
    /// or review deadline runs before.
    pub resolved_at: Option<Timestamp>,
    /// When the report was first submitted for engineering review.
    pub report_submitted_at: Option<Timestamp>,
    /// When the first review was recorded.
    pub reviewed_at: Option<Timestamp>,
    /// The problem's remediation items, vendors' included.
    pub items: Vec<RemediationItem>,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueActionKind {
    /// Remind `to` that `deadline` falls due at `deadline_at`.
    Remind {
        to: Recipient,
        deadline: PostIncidentDeadline,
        deadline_at: Timestamp,
    },
    /// Tell management that `missed` passed at `deadline_at` unmet.
    NotifyManagement {
        missed: PostIncidentDeadline,
        deadline_at: Timestamp,
    },
}

/// One thing the sweep must send now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueAction {
    /// Record this once sent; the action is then never returned again.
    pub key: IdempotencyKey,
    pub due_at: Timestamp,
    pub problem: i64,
    /// The remediation item, for [`PostIncidentDeadline::Remediation`].
    pub item: Option<i64>,
    pub kind: DueActionKind,
}

/// The result of [`evaluate_post_incident`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PostIncidentEvaluation {
    /// Due now and not sent yet, by due time then key.
    pub actions: Vec<DueAction>,
    /// The first instant after `now` at which something falls due if
    /// nothing changes; `None` if nothing ever will.
    pub next_due: Option<Timestamp>,
}

fn after(at: Timestamp, minutes: Minutes) -> Timestamp {
    Timestamp::from_unix_millis(at.unix_millis().saturating_add(minutes.as_millis()))
}

fn before(at: Timestamp, minutes: Minutes) -> Timestamp {
    Timestamp::from_unix_millis(at.unix_millis().saturating_sub(minutes.as_millis()))
}

struct Sweep<'a> {
    sent: &'a BTreeSet<IdempotencyKey>,
    now: Timestamp,
    evaluation: PostIncidentEvaluation,
}

impl Sweep<'_> {
    fn schedule(
        &mut self,
        at: Timestamp,
        key: String,
        action: impl FnOnce(IdempotencyKey) -> DueAction,
    ) {
        let key = IdempotencyKey::new(key);
        if self.sent.contains(&key) {
            return;
        }
        if at > self.now {
            let next = &mut self.evaluation.next_due;
            *next = Some(next.map_or(at, |n| n.min(at)));
        } else {
            self.evaluation.actions.push(action(key));
        }
    }

    /// A deadline not met by now: the reminder (unless the deadline has
    /// passed) and the notification.
    fn chase(&mut self, chase: Chase<'_>, problem: i64, remind_before: Minutes) {
        let Chase {
            prefix,
            item,
            deadline,
            clock_start,
            deadline_at,
            to,
        } = chase;
        let ms = deadline_at.unix_millis();
        if remind_before.as_minutes() > 0 && deadline_at > self.now {
            let remind_at = before(deadline_at, remind_before).max(clock_start);
            self.schedule(remind_at, format!("{prefix}/remind/{ms}"), |key| {
                DueAction {
                    key,
                    due_at: remind_at,
                    problem,
                    item,
                    kind: DueActionKind::Remind {
                        to: to.clone(),
                        deadline,
                        deadline_at,
                    },
                }
            });
        }
        self.schedule(deadline_at, format!("{prefix}/escalate/{ms}"), |key| {
            DueAction {
                key,
                due_at: deadline_at,
                problem,
                item,
                kind: DueActionKind::NotifyManagement {
                    missed: deadline,
                    deadline_at,
                },
            }
        });
    }
}

/// One deadline to chase: its key prefix, what it is about, when its clock
/// started, when it falls due and who answers for it.
struct Chase<'a> {
    prefix: String,
    item: Option<i64>,
    deadline: PostIncidentDeadline,
    clock_start: Timestamp,
    deadline_at: Timestamp,
    to: &'a Recipient,
}

/// Whom a remediation item's reminder reaches (see the module documentation).
fn item_recipient(item: &RemediationItem, problem_owner: &Recipient) -> Recipient {
    match (&item.owner, &item.owning_group) {
        (RemediationOwner::Person { name }, _) => Recipient::Person {
            name: name.clone(),
            on_call: None,
        },
        (RemediationOwner::Vendor { .. }, Some(group)) => Recipient::Team {
            name: group.clone(),
        },
        (RemediationOwner::Vendor { .. }, None) => problem_owner.clone(),
    }
}

/// The post-incident actions due at `now` for one problem and not in `sent`
/// (SPEC R1, R2, V8): reminders before, management notifications after.
pub fn evaluate_post_incident(
    state: &PostIncidentState,
    config: &PostIncidentConfig,
    sent: &BTreeSet<IdempotencyKey>,
    now: Timestamp,
) -> PostIncidentEvaluation {
    let limits = config.for_priority(state.priority);
    let mut sweep = Sweep {
        sent,
        now,
        evaluation: PostIncidentEvaluation::default(),
    };
    let met = |at: Option<Timestamp>| at.is_some_and(|at| at <= now);
    if let Some(resolved_at) = state.resolved_at.filter(|at| *at <= now) {
        for (deadline, limit, done) in [
            (
                PostIncidentDeadline::ReportDraft,
                limits.report_draft,
                met(state.report_submitted_at),
            ),
            (
                PostIncidentDeadline::Review,
                limits.review,
                met(state.reviewed_at),
            ),
        ] {
            let Some(limit) = limit.filter(|_| !done) else {
                continue;
            };
            let chase = Chase {
                prefix: format!("problem/{}/{deadline}", state.problem),
                item: None,
                deadline,
                clock_start: resolved_at,
                deadline_at: after(resolved_at, limit),
                to: &state.owner,
            };
            sweep.chase(chase, state.problem, limits.remind_before);
        }
    }
    for item in state.items.iter().filter(|item| item.status.is_pending()) {
        let to = item_recipient(item, &state.owner);
        let chase = Chase {
            prefix: format!("remediation/{}", item.id),
            item: Some(item.id),
            deadline: PostIncidentDeadline::Remediation,
            clock_start: item.created_at,
            deadline_at: item.due_at,
            to: &to,
        };
        sweep.chase(chase, state.problem, limits.remind_before);
    }
    let mut evaluation = sweep.evaluation;
    evaluation
        .actions
        .sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.key.cmp(&b.key)));
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::{Refusal, RefusalKind};

    /// SPEC R1, R2: limits are configurable per priority and checked like the incident limits.
    #[test]
    fn limits_are_checked() {
        assert!(PostIncidentLimits::new(Some(Minutes::days(3)), None, Minutes::days(1)).is_ok());
        let err =
            PostIncidentLimits::new(Some(Minutes::new(0)), None, Minutes::new(0)).unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "report_draft".into()
            }
        );
        let err =
            PostIncidentLimits::new(None, Some(Minutes::days(1)), Minutes::days(1)).unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "remind_before".into()
            }
        );
        let json = serde_json::to_value(PostIncidentConfig::default()).unwrap();
        assert_eq!(json["p0"]["report_draft"], 3 * 24 * 60);
        assert_eq!(json["p1"]["review"], serde_json::Value::Null);
        let back: PostIncidentConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, PostIncidentConfig::default());
        assert!(serde_json::from_str::<PostIncidentLimits>(
            r#"{"report_draft": 60, "remind_before": 60}"#
        )
        .is_err());
    }
}
