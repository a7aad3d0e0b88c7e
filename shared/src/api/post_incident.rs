//! Wire types of the post-incident API (SPEC V5-V8, R1-R6): problems, their
//! RCA, remediation items, vendor RCAs and the recurrence banner.
//!
//! Requests are plain structs with `deny_unknown_fields`; closed sets are
//! snake_case strings and enums with data are externally tagged
//! (`{"link": "..."}`), so the app's wasm needs no flattening or internally
//! tagged enums. Domain records ([`Problem`], [`RemediationItem`], ...) are
//! sent as they are; views add what the reader needs next (allowed actions,
//! overdue).

use crate::category::Category;
use crate::incident_report::{
    allowed_report_actions, CustomerReport, IncidentReport, ReportAction, ReportContent,
    ToneWarning,
};
use crate::priority::Priority;
use crate::problem::{
    allowed_problem_actions, OpenProblem, Problem, ProblemAction, ProblemError, ProblemOrigin,
    ProblemStatus, ProblemTransition,
};
use crate::rca::{Narrative, Rca};
use crate::recurrence::{FixStatus, RecurrenceMatch, RecurrenceSignature};
use crate::remediation::{
    allowed_remediation_actions, Evidence, RemediationAction, RemediationItem,
};
use crate::timestamp::Timestamp;
use crate::triage::{Name, Title};
use crate::vendor_rca::VendorRca;
use serde::{Deserialize, Serialize};

pub use crate::incident_report::ApproveRequest;
pub use crate::post_incident_review::NewReview;
pub use crate::remediation::{NewRemediationItem, RemediationTransitionRequest};
pub use crate::vendor_rca::NewVendorRca;

/// `POST /api/problems`: open a problem by hand (SPEC R3, Q4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProblem {
    pub title: Title,
    /// Needed for a report row; with incidents, their most urgent priority
    /// wins when it is more urgent. P3 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    pub origin: ProblemOrigin,
    /// Who answers for the problem, its report and its review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Name>,
}

/// `PUT /api/problems/{id}/owner`: `{"owner": "alice"}` or `{"owner": null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemOwnerChange {
    pub owner: Option<Name>,
}

impl NewProblem {
    /// What [`Problem::open`] needs, with the origin's incidents and their
    /// priorities as the store has them.
    pub fn into_open(self, id: i64, incidents: Vec<(i64, Priority)>) -> OpenProblem {
        OpenProblem {
            id,
            title: self.title,
            priority: self.priority.unwrap_or(Priority::P3),
            category: self.category,
            origin: self.origin,
            incidents,
            owner: self.owner,
        }
    }
}

/// `POST /api/problems/{id}/transitions`: `{"action": "record_workaround", "workaround": "..."}`.
/// Flat, so that a missing or stray field is reported by its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemTransitionRequest {
    pub action: ProblemAction,
    /// Required for `record_workaround`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workaround: Option<Narrative>,
    /// Required for `resolve`: the evidence the fix works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Evidence>,
    /// Required for `reopen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Narrative>,
}

impl ProblemTransitionRequest {
    /// The transition, or the first field that is missing or not allowed (422).
    pub fn into_transition(self) -> Result<ProblemTransition, ProblemError> {
        let action = self.action;
        let takes = |field: &str| {
            matches!(
                (action, field),
                (ProblemAction::RecordWorkaround, "workaround")
                    | (ProblemAction::Resolve, "verification")
                    | (ProblemAction::Reopen, "reason")
            )
        };
        for (field, present) in [
            ("workaround", self.workaround.is_some()),
            ("verification", self.verification.is_some()),
            ("reason", self.reason.is_some()),
        ] {
            if present && !takes(field) {
                return Err(ProblemError::Unexpected { field, action });
            }
        }
        let missing = |field: &'static str| ProblemError::Missing { field, action };
        Ok(match action {
            ProblemAction::StartInvestigating => ProblemTransition::StartInvestigating,
            ProblemAction::RecordWorkaround => ProblemTransition::RecordWorkaround {
                workaround: self.workaround.ok_or_else(|| missing("workaround"))?,
            },
            ProblemAction::StartFix => ProblemTransition::StartFix,
            ProblemAction::Resolve => ProblemTransition::Resolve {
                verification: self.verification.ok_or_else(|| missing("verification"))?,
            },
            ProblemAction::Close => ProblemTransition::Close,
            ProblemAction::Reopen => ProblemTransition::Reopen {
                reason: self.reason.ok_or_else(|| missing("reason"))?,
            },
        })
    }
}

/// `POST /api/problems/{id}/incidents`: link an incident by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkIncidentRequest {
    pub incident: i64,
}

/// `PUT /api/problems/{id}/signatures`: the recurrence signatures (SPEC R6),
/// checked with [`crate::recurrence::check_signatures`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignaturesUpdate {
    pub signatures: Vec<RecurrenceSignature>,
}

/// One line of `GET /api/problems`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemSummary {
    pub id: i64,
    pub title: Title,
    pub priority: Priority,
    pub status: ProblemStatus,
    pub category: Option<Category>,
    pub fix: FixStatus,
    pub incidents: usize,
    pub opened_at: Timestamp,
}

impl ProblemSummary {
    pub fn of(problem: &Problem, fix: FixStatus) -> Self {
        Self {
            id: problem.id,
            title: problem.title.clone(),
            priority: problem.priority,
            status: problem.status,
            category: problem.category.clone(),
            fix,
            incidents: problem.incidents.len(),
            opened_at: problem.opened_at,
        }
    }
}

/// `GET /api/problems`: the problems the reader may see (SPEC K3).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProblemList {
    pub problems: Vec<ProblemSummary>,
}

/// A remediation item with what its reader needs next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationItemView {
    pub item: RemediationItem,
    /// [`RemediationItem::is_overdue`] at the answer's time.
    pub overdue: bool,
    /// Allowed from the item's status; declining still needs management.
    pub allowed_actions: Vec<RemediationAction>,
}

impl RemediationItemView {
    pub fn of(item: RemediationItem, now: Timestamp) -> Self {
        Self {
            overdue: item.is_overdue(now),
            allowed_actions: allowed_remediation_actions(item.status).to_vec(),
            item,
        }
    }
}

/// `GET /api/remediation`: every item the reader may see, in board order
/// ([`crate::remediation::sort_for_board`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemediationBoard {
    pub items: Vec<RemediationItemView>,
}

/// A vendor RCA with its vendor-owned items (SPEC R4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorRcaView {
    pub rca: VendorRca,
    pub items: Vec<RemediationItemView>,
}

/// `GET /api/problems/{id}`: the problem page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDetail {
    pub problem: Problem,
    pub fix: FixStatus,
    pub allowed_actions: Vec<ProblemAction>,
    /// `PUT /api/problems/{id}/rca` takes an [`Rca`] and answers with it.
    pub rca: Rca,
    pub remediation: Vec<RemediationItemView>,
    pub vendor_rcas: Vec<VendorRcaView>,
}

impl ProblemDetail {
    /// The page for `problem` with its records at `now`; the fix status is
    /// computed from all remediation items, vendors' included.
    pub fn of(
        problem: Problem,
        rca: Rca,
        remediation: Vec<RemediationItem>,
        vendor_rcas: Vec<(VendorRca, Vec<RemediationItem>)>,
        now: Timestamp,
    ) -> Self {
        let all: Vec<RemediationItem> = remediation
            .iter()
            .chain(vendor_rcas.iter().flat_map(|(_, items)| items))
            .cloned()
            .collect();
        Self {
            fix: FixStatus::of(&problem, &all, now),
            allowed_actions: allowed_problem_actions(problem.status).to_vec(),
            problem,
            rca,
            remediation: remediation
                .into_iter()
                .map(|item| RemediationItemView::of(item, now))
                .collect(),
            vendor_rcas: vendor_rcas
                .into_iter()
                .map(|(rca, items)| VendorRcaView {
                    rca,
                    items: items
                        .into_iter()
                        .map(|item| RemediationItemView::of(item, now))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The banner on an incident that recurs a problem (SPEC R6):
/// "recurrence of problem #12, fix: overdue".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceBanner {
    pub problem: i64,
    pub fix: FixStatus,
    /// The banner's sentence, from [`RecurrenceMatch::banner`].
    pub text: String,
    pub signature: RecurrenceSignature,
    /// The problem's verified fix did not hold; management was paged.
    pub fix_ineffective: bool,
}

impl From<&RecurrenceMatch> for RecurrenceBanner {
    fn from(found: &RecurrenceMatch) -> Self {
        Self {
            problem: found.problem,
            fix: found.fix,
            text: found.banner(),
            signature: found.signature.clone(),
            fix_ineffective: found.pages_management(),
        }
    }
}

/// `POST /api/problems/{id}/reports` (a new draft) and
/// `PUT /api/reports/{id}` (an edit): the whole content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportContentRequest {
    pub content: ReportContent,
}

/// `POST /api/reports/{id}/transitions`: `{"action": "submit_for_management_review"}`.
/// Approving and publishing have their own requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportTransitionRequest {
    pub action: ReportAction,
}

/// `GET /api/reports/{id}`: the editor's view (SPEC V5, R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentReportView {
    pub report: IncidentReport,
    /// The current content carries a valid approval.
    pub approved: bool,
    /// The tone warnings of the current content, to acknowledge when approving.
    pub tone_warnings: Vec<ToneWarning>,
    /// What customers would read of the current content (the live preview).
    pub customer_preview: CustomerReport,
    /// What customers read now: the last published version.
    pub published: Option<CustomerReport>,
    pub allowed_actions: Vec<ReportAction>,
}

impl IncidentReportView {
    pub fn of(report: IncidentReport) -> Self {
        Self {
            approved: report.is_approved(),
            tone_warnings: report.content.tone_warnings(),
            customer_preview: report.content.customer_view(),
            published: report.customer_view(),
            allowed_actions: allowed_report_actions(report.status).to_vec(),
            report,
        }
    }
}

/// `POST /api/reports/{id}/reviews` answers with the review and the
/// remediation items its accepted actions became (SPEC V6, R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecorded {
    pub review: crate::post_incident_review::PostIncidentReview,
    pub items: Vec<RemediationItem>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::{Refusal, RefusalKind};

    /// SPEC R3: the flat request names a missing or stray field.
    #[test]
    fn problem_transition_requests_name_their_fields() {
        let request: ProblemTransitionRequest =
            serde_json::from_str(r#"{"action":"resolve"}"#).unwrap();
        assert_eq!(
            request.into_transition().unwrap_err().refusal_kind(),
            RefusalKind::Invalid {
                field: "verification".into()
            }
        );
        let request: ProblemTransitionRequest =
            serde_json::from_str(r#"{"action":"start_fix","reason":"x"}"#).unwrap();
        assert_eq!(
            request.into_transition().unwrap_err().refusal_kind(),
            RefusalKind::Invalid {
                field: "reason".into()
            }
        );
        let request: ProblemTransitionRequest = serde_json::from_str(
            r#"{"action":"resolve","verification":{"link":"https://ci.example/run/5"}}"#,
        )
        .unwrap();
        assert_eq!(
            request.into_transition().unwrap().action(),
            ProblemAction::Resolve
        );
        assert!(serde_json::from_str::<ProblemTransitionRequest>(
            r#"{"action":"close","extra":1}"#
        )
        .is_err());
    }

    /// SPEC R3, Q4: a problem opened from a report row takes the given priority.
    #[test]
    fn new_problem_from_a_report_row() {
        let new: NewProblem = serde_json::from_str(
            r#"{"title":"Login 502s","priority":"P2",
                "origin":{"report_row":{"report":"repeat cases","row":"login 502s"}}}"#,
        )
        .unwrap();
        let open = new.into_open(5, Vec::new());
        let problem =
            Problem::open(open, Some(crate::Role::Sre), Timestamp::from_unix_millis(0)).unwrap();
        assert_eq!(problem.priority, Priority::P2);
        assert_eq!(problem.status, ProblemStatus::New);
        let summary = ProblemSummary::of(&problem, FixStatus::NotPlanned);
        assert_eq!(
            serde_json::to_value(&summary).unwrap()["fix"],
            "not_planned"
        );
    }
}
