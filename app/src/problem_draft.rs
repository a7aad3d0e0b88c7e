//! What the problem page's forms hold while they are typed, and how they become
//! the `beacon_shared` requests (SPEC V7, V8, R3, R4): the RCA editor, a new
//! remediation item, a vendor RCA, a problem or remediation transition.
//! Every rule (which RCA is valid, what a transition needs) is `beacon_shared`'s.

use beacon_shared::api::post_incident::{ProblemTransitionRequest, RemediationTransitionRequest};
use beacon_shared::problem::ProblemAction;
use beacon_shared::rca::{Cause, CauseClass, CauseId, Narrative, Rca};
use beacon_shared::remediation::{
    Evidence, NewRemediationItem, RemediationAction, RemediationKind, RemediationOwner,
};
use beacon_shared::triage::{LinkUrl, Name, Title};
use beacon_shared::vendor_rca::{NewVendorRca, VendorDocument, VendorRemediation};
use beacon_shared::Timestamp;

/// A form field that does not hold what the request needs, named like the
/// request's field so that the page says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for DraftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn refused(field: &str, message: impl std::fmt::Display) -> DraftError {
    DraftError {
        field: field.to_owned(),
        message: message.to_string(),
    }
}

/// Empty text is "not given"; anything else must be a valid [`Narrative`].
fn optional_narrative(field: &str, text: &str) -> Result<Option<Narrative>, DraftError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Narrative::parse(text)
        .map(Some)
        .map_err(|e| refused(field, e))
}

/// One narrative per non-empty line ("what went well", ...).
pub fn narrative_lines(field: &str, text: &str) -> Result<Vec<Narrative>, DraftError> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| Narrative::parse(line).map_err(|e| refused(field, e)))
        .collect()
}

fn lines_of(items: &[Narrative]) -> String {
    items
        .iter()
        .map(Narrative::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A root cause or contributing factor as typed: evidence links separated by
/// spaces or lines. `id` is kept across edits so that reviews stay attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CauseDraft {
    pub id: Option<u32>,
    pub class: CauseClass,
    pub summary: String,
    pub evidence: String,
}

impl Default for CauseDraft {
    fn default() -> Self {
        Self {
            id: None,
            class: CauseClass::Unknown,
            summary: String::new(),
            evidence: String::new(),
        }
    }
}

impl CauseDraft {
    pub fn of(cause: &Cause) -> Self {
        Self {
            id: Some(cause.id.0),
            class: cause.class,
            summary: cause.summary.as_str().to_owned(),
            evidence: cause
                .evidence
                .iter()
                .map(LinkUrl::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// A row left entirely empty is dropped rather than refused.
    fn is_blank(&self) -> bool {
        self.summary.trim().is_empty() && self.evidence.trim().is_empty()
    }
}

/// The RCA editor's fields (SPEC V7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RcaDraft {
    pub root_causes: Vec<CauseDraft>,
    pub contributing_factors: Vec<CauseDraft>,
    pub trigger: String,
    pub detection: String,
    pub resolution: String,
    /// One item per line.
    pub went_well: String,
    pub went_wrong: String,
    pub lucky: String,
}

impl RcaDraft {
    pub fn of(rca: &Rca) -> Self {
        let text = |n: &Option<Narrative>| n.as_ref().map(|n| n.as_str().to_owned());
        Self {
            root_causes: rca.root_causes.iter().map(CauseDraft::of).collect(),
            contributing_factors: rca
                .contributing_factors
                .iter()
                .map(CauseDraft::of)
                .collect(),
            trigger: text(&rca.trigger).unwrap_or_default(),
            detection: text(&rca.detection).unwrap_or_default(),
            resolution: text(&rca.resolution).unwrap_or_default(),
            went_well: lines_of(&rca.went_well),
            went_wrong: lines_of(&rca.went_wrong),
            lucky: lines_of(&rca.lucky),
        }
    }

    /// The RCA to send, checked by [`Rca::validate`]. New causes get the
    /// next free number after every kept one.
    pub fn to_rca(&self) -> Result<Rca, DraftError> {
        let mut next_id = self
            .root_causes
            .iter()
            .chain(&self.contributing_factors)
            .filter_map(|c| c.id)
            .max()
            .unwrap_or(0)
            + 1;
        let mut causes = |field: &str, drafts: &[CauseDraft]| -> Result<Vec<Cause>, DraftError> {
            let mut causes = Vec::new();
            for (index, draft) in drafts.iter().enumerate().filter(|(_, d)| !d.is_blank()) {
                let at = |part: &str| format!("{field}[{index}].{part}");
                let summary =
                    Narrative::parse(&draft.summary).map_err(|e| refused(&at("summary"), e))?;
                let evidence = draft
                    .evidence
                    .split_whitespace()
                    .map(|link| LinkUrl::parse(link).map_err(|e| refused(&at("evidence"), e)))
                    .collect::<Result<Vec<_>, _>>()?;
                let id = draft.id.unwrap_or_else(|| {
                    next_id += 1;
                    next_id - 1
                });
                causes.push(Cause {
                    id: CauseId(id),
                    summary,
                    class: draft.class,
                    evidence,
                });
            }
            Ok(causes)
        };
        let rca = Rca {
            root_causes: causes("root_causes", &self.root_causes)?,
            contributing_factors: causes("contributing_factors", &self.contributing_factors)?,
            trigger: optional_narrative("trigger", &self.trigger)?,
            detection: optional_narrative("detection", &self.detection)?,
            resolution: optional_narrative("resolution", &self.resolution)?,
            went_well: narrative_lines("went_well", &self.went_well)?,
            went_wrong: narrative_lines("went_wrong", &self.went_wrong)?,
            lucky: narrative_lines("lucky", &self.lucky)?,
        };
        rca.validate()
            .map_err(|e| refused(e.field(), e.to_string()))?;
        Ok(rca)
    }
}

/// `2026-12-10` from a date input: due at the end of that day, UTC.
pub fn due_date(field: &str, date: &str) -> Result<Timestamp, DraftError> {
    Timestamp::parse(&format!("{}T23:59:59Z", date.trim()))
        .map_err(|_| refused(field, "pick a date"))
}

/// Proof as typed: a link when it is one, otherwise text.
pub fn evidence(field: &str, text: &str) -> Result<Evidence, DraftError> {
    match LinkUrl::parse(text) {
        Ok(link) => Ok(Evidence::Link(link)),
        Err(_) => Narrative::parse(text)
            .map(Evidence::Text)
            .map_err(|e| refused(field, e)),
    }
}

/// The "add a remediation item" form (SPEC V8, R4): owned by a person, or by
/// a vendor's contact when `vendor` is filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediationDraft {
    pub title: String,
    pub kind: RemediationKind,
    pub owner: String,
    /// Empty for an item of ours; the vendor's name otherwise (`owner` is their contact).
    pub vendor: String,
    pub owning_group: String,
    pub due: String,
}

impl Default for RemediationDraft {
    fn default() -> Self {
        Self {
            title: String::new(),
            kind: RemediationKind::Prevent,
            owner: String::new(),
            vendor: String::new(),
            owning_group: String::new(),
            due: String::new(),
        }
    }
}

impl RemediationDraft {
    pub fn to_request(&self) -> Result<NewRemediationItem, DraftError> {
        let title = Title::parse(&self.title).map_err(|e| refused("title", e))?;
        let owner_name = Name::parse(&self.owner).map_err(|e| refused("owner", e))?;
        let owner = if self.vendor.trim().is_empty() {
            RemediationOwner::Person { name: owner_name }
        } else {
            RemediationOwner::Vendor {
                vendor: Name::parse(&self.vendor).map_err(|e| refused("vendor", e))?,
                contact: owner_name,
            }
        };
        let owning_group = match self.owning_group.trim() {
            "" => None,
            group => Some(Name::parse(group).map_err(|e| refused("owning_group", e))?),
        };
        Ok(NewRemediationItem {
            title,
            kind: self.kind,
            owner,
            owning_group,
            due_at: due_date("due_at", &self.due)?,
        })
    }
}

/// The "file a vendor RCA" form (SPEC R4), with at most one pending
/// remediation of theirs per filing (empty title: none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorRcaDraft {
    pub vendor: String,
    pub received: String,
    /// A link or the pasted text.
    pub document: String,
    pub stated_root_cause: String,
    pub item_title: String,
    pub item_contact: String,
    pub item_due: String,
}

impl VendorRcaDraft {
    pub fn to_request(&self) -> Result<NewVendorRca, DraftError> {
        let document = match LinkUrl::parse(&self.document) {
            Ok(link) => VendorDocument::Link(link),
            Err(_) => VendorDocument::Text(
                Narrative::parse(&self.document).map_err(|e| refused("document", e))?,
            ),
        };
        let received_at = Timestamp::parse(&format!("{}T00:00:00Z", self.received.trim()))
            .map_err(|_| refused("received_at", "pick a date"))?;
        let pending_remediations = if self.item_title.trim().is_empty() {
            Vec::new()
        } else {
            vec![VendorRemediation {
                title: Title::parse(&self.item_title)
                    .map_err(|e| refused("pending_remediations[0].title", e))?,
                kind: RemediationKind::Prevent,
                contact: Name::parse(&self.item_contact)
                    .map_err(|e| refused("pending_remediations[0].contact", e))?,
                due_at: due_date("pending_remediations[0].due_at", &self.item_due)?,
            }]
        };
        Ok(NewVendorRca {
            vendor: Name::parse(&self.vendor).map_err(|e| refused("vendor", e))?,
            received_at,
            document,
            stated_root_cause: Narrative::parse(&self.stated_root_cause)
                .map_err(|e| refused("stated_root_cause", e))?,
            class: CauseClass::DependencyOrVendor,
            owning_group: None,
            pending_remediations,
        })
    }
}

/// A remediation transition with what it needs: evidence to verify, a
/// reason to decline (SPEC V8). `note` is the one text box next to the buttons.
pub fn remediation_request(
    action: RemediationAction,
    note: &str,
) -> Result<RemediationTransitionRequest, DraftError> {
    let mut request = RemediationTransitionRequest {
        action,
        evidence: None,
        reason: None,
    };
    match action {
        RemediationAction::Verify => request.evidence = Some(evidence("evidence", note)?),
        RemediationAction::Decline => {
            request.reason = Some(Narrative::parse(note).map_err(|e| refused("reason", e))?)
        }
        _ => {}
    }
    Ok(request)
}

/// A problem transition with what it needs: the workaround, the evidence
/// the fix works, or the reason to reopen (SPEC R3). `note` is the one text
/// box next to the buttons.
pub fn problem_request(
    action: ProblemAction,
    note: &str,
) -> Result<ProblemTransitionRequest, DraftError> {
    let mut request = ProblemTransitionRequest {
        action,
        workaround: None,
        verification: None,
        reason: None,
    };
    let narrative = |field: &str| Narrative::parse(note).map_err(|e| refused(field, e));
    match action {
        ProblemAction::RecordWorkaround => request.workaround = Some(narrative("workaround")?),
        ProblemAction::Resolve => request.verification = Some(evidence("verification", note)?),
        ProblemAction::Reopen => request.reason = Some(narrative("reason")?),
        _ => {}
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(summary: &str, evidence: &str) -> CauseDraft {
        CauseDraft {
            summary: summary.into(),
            evidence: evidence.into(),
            class: CauseClass::Configuration,
            id: None,
        }
    }

    /// SPEC V7: the editor's fields become an RCA; new causes get fresh
    /// numbers after the kept ones, blank rows are dropped, lines become items.
    #[test]
    fn rca_draft_becomes_an_rca_and_back() {
        let mut kept = cause("pool too small", "https://grafana.example/d/1");
        kept.id = Some(4);
        let draft = RcaDraft {
            root_causes: vec![kept, cause("", ""), cause("no limit", "")],
            contributing_factors: vec![cause(
                "alert late",
                "https://a.example/x https://b.example/y",
            )],
            trigger: "deploy 812".into(),
            went_well: "paged fast\n\n rollback worked ".into(),
            ..RcaDraft::default()
        };
        let rca = draft.to_rca().unwrap();
        let ids: Vec<u32> = rca.root_causes.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, vec![4, 5]);
        assert_eq!(rca.contributing_factors[0].id.0, 6);
        assert_eq!(rca.contributing_factors[0].evidence.len(), 2);
        assert_eq!(rca.trigger.as_ref().unwrap().as_str(), "deploy 812");
        assert_eq!(rca.detection, None);
        assert_eq!(rca.went_well.len(), 2);
        assert_eq!(rca.went_well[1].as_str(), "rollback worked");
        let again = RcaDraft::of(&rca);
        assert_eq!(again.to_rca().unwrap(), rca);
    }

    /// SPEC V7: a bad evidence link or an empty summary names its row.
    #[test]
    fn rca_draft_names_the_bad_field() {
        let draft = RcaDraft {
            root_causes: vec![cause("pool", "grafana/d/1")],
            ..RcaDraft::default()
        };
        assert_eq!(draft.to_rca().unwrap_err().field, "root_causes[0].evidence");
        let draft = RcaDraft {
            contributing_factors: vec![cause("ok", ""), cause("  ", "https://x.example/1")],
            ..RcaDraft::default()
        };
        assert_eq!(
            draft.to_rca().unwrap_err().field,
            "contributing_factors[1].summary"
        );
    }

    /// SPEC V8, R4: an item is ours or a vendor contact's; the due date is required.
    #[test]
    fn remediation_draft_for_a_person_or_a_vendor() {
        let mut draft = RemediationDraft {
            title: "Raise the pool limit".into(),
            owner: "alice".into(),
            due: "2026-12-10".into(),
            ..RemediationDraft::default()
        };
        let item = draft.to_request().unwrap();
        assert!(!item.owner.is_vendor());
        assert_eq!(item.due_at.to_string(), "2026-12-10T23:59:59Z");
        draft.vendor = "Acme DB".into();
        draft.owner = "Bob at Acme".into();
        let item = draft.to_request().unwrap();
        assert!(item.owner.is_vendor());
        assert_eq!(item.owner.name().as_str(), "Bob at Acme");
        draft.due = String::new();
        assert_eq!(draft.to_request().unwrap_err().field, "due_at");
    }

    /// SPEC V8: verifying takes evidence (a link or text), declining a reason.
    #[test]
    fn remediation_transitions_carry_what_they_need() {
        let verify =
            remediation_request(RemediationAction::Verify, "https://ci.example/5").unwrap();
        assert!(matches!(verify.evidence, Some(Evidence::Link(_))));
        let verify = remediation_request(RemediationAction::Verify, "load test passed").unwrap();
        assert!(matches!(verify.evidence, Some(Evidence::Text(_))));
        assert_eq!(
            remediation_request(RemediationAction::Verify, " ")
                .unwrap_err()
                .field,
            "evidence"
        );
        assert_eq!(
            remediation_request(RemediationAction::Decline, "")
                .unwrap_err()
                .field,
            "reason"
        );
        let start = remediation_request(RemediationAction::Start, "ignored").unwrap();
        assert_eq!((start.evidence, start.reason), (None, None));
    }

    /// SPEC R3: a workaround, the fix's verification and a reopening carry their text.
    #[test]
    fn problem_transitions_carry_what_they_need() {
        let resolve = problem_request(ProblemAction::Resolve, "https://ci.example/run/9").unwrap();
        assert!(matches!(resolve.verification, Some(Evidence::Link(_))));
        assert_eq!(
            problem_request(ProblemAction::RecordWorkaround, "")
                .unwrap_err()
                .field,
            "workaround"
        );
        assert_eq!(
            problem_request(ProblemAction::Reopen, "")
                .unwrap_err()
                .field,
            "reason"
        );
        let start = problem_request(ProblemAction::StartFix, "").unwrap();
        assert_eq!(
            start.into_transition().unwrap().action(),
            ProblemAction::StartFix
        );
    }

    /// SPEC R4: a vendor RCA with one pending item of theirs.
    #[test]
    fn vendor_rca_draft() {
        let draft = VendorRcaDraft {
            vendor: "Acme DB".into(),
            received: "2026-11-30".into(),
            document: "https://acme.example/rca/7".into(),
            stated_root_cause: "failover bug".into(),
            item_title: "Patch failover".into(),
            item_contact: "Bob".into(),
            item_due: "2026-12-20".into(),
        };
        let request = draft.to_request().unwrap();
        assert!(matches!(request.document, VendorDocument::Link(_)));
        assert_eq!(request.pending_remediations.len(), 1);
        let mut without_due = draft.clone();
        without_due.item_due = String::new();
        assert_eq!(
            without_due.to_request().unwrap_err().field,
            "pending_remediations[0].due_at"
        );
    }
}
