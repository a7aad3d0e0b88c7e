//! What the incident-report editor and the review-meeting form hold while
//! they are typed, and how they become `beacon_shared` requests (SPEC V5, V6,
//! R1, R2, R5). The customer preview, the tone warnings and the content's
//! validity all come from `beacon_shared::incident_report`, run in the browser.

use crate::problem_draft::{narrative_lines, DraftError, RemediationDraft};
use beacon_shared::incident_report::{
    ApproveRequest, ReportContent, ReportText, ReviewChecklist, Section, SectionContent, SectionId,
    ToneWarning, WarningId,
};
use beacon_shared::post_incident_review::{
    Attendee, NewReview, ProposedAction, RootCauseVerdict, Side, Verdict,
};
use beacon_shared::rca::{CauseId, Narrative};
use beacon_shared::triage::{Name, Title};
use beacon_shared::Timestamp;

fn refused(field: String, message: impl std::fmt::Display) -> DraftError {
    DraftError {
        field,
        message: message.to_string(),
    }
}

/// The editable text of a section: the impact's summary or the section's
/// text; a timeline has none (its entries come from the ticket).
pub fn section_text(content: &SectionContent) -> Option<&str> {
    match content {
        SectionContent::Impact { summary, .. } => Some(summary.as_str()),
        SectionContent::Timeline { .. } => None,
        SectionContent::Rca { text }
        | SectionContent::RemediationPlan { text }
        | SectionContent::Free { text } => Some(text.as_str()),
    }
}

/// One section as edited: its title, whether customers see it, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDraft {
    pub section: Section,
    pub title: String,
    pub customer_visible: bool,
    pub text: String,
}

impl SectionDraft {
    pub fn of(section: &Section) -> Self {
        Self {
            title: section.title.as_str().to_owned(),
            customer_visible: section.customer_visible,
            text: section_text(&section.content)
                .unwrap_or_default()
                .to_owned(),
            section: section.clone(),
        }
    }

    fn to_section(&self, index: usize) -> Result<Section, DraftError> {
        let at = |part: &str| format!("sections[{index}].{part}");
        let title = Title::parse(&self.title).map_err(|e| refused(at("title"), e))?;
        let mut content = self.section.content.clone();
        if section_text(&content).is_some() {
            let text = ReportText::parse(&self.text).map_err(|e| refused(at("text"), e))?;
            match &mut content {
                SectionContent::Impact { summary, .. } => *summary = text,
                SectionContent::Rca { text: old }
                | SectionContent::RemediationPlan { text: old }
                | SectionContent::Free { text: old } => *old = text,
                SectionContent::Timeline { .. } => {}
            }
        }
        Ok(Section {
            id: self.section.id,
            title,
            customer_visible: self.customer_visible,
            content,
            commitments: self.section.commitments.clone(),
        })
    }
}

/// The report as edited: its title and sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDraft {
    pub title: String,
    pub sections: Vec<SectionDraft>,
}

impl ReportDraft {
    pub fn of(content: &ReportContent) -> Self {
        Self {
            title: content.title.as_str().to_owned(),
            sections: content.sections.iter().map(SectionDraft::of).collect(),
        }
    }

    /// The content to send and to preview.
    pub fn to_content(&self) -> Result<ReportContent, DraftError> {
        Ok(ReportContent {
            title: Title::parse(&self.title).map_err(|e| refused("title".into(), e))?,
            sections: self
                .sections
                .iter()
                .enumerate()
                .map(|(index, section)| section.to_section(index))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A new free-text section, internal until it is toggled, numbered
    /// after every other section.
    pub fn add_section(&mut self, title: &str) {
        let id = self
            .sections
            .iter()
            .map(|s| s.section.id.0)
            .max()
            .unwrap_or(0)
            + 1;
        let text = ReportText::parse("To be written.").expect("never blank");
        let section = Section {
            id: SectionId(id),
            title: Title::parse(title)
                .unwrap_or_else(|_| Title::parse("Notes").expect("never blank")),
            customer_visible: false,
            content: SectionContent::Free { text },
            commitments: Vec::new(),
        };
        self.sections.push(SectionDraft::of(&section));
    }
}

/// Management's approval of `version` (SPEC R5): the checklist as ticked and
/// the warnings acknowledged, limited to those the content still has.
pub fn approve_request(
    version: u32,
    checklist: ReviewChecklist,
    warnings: &[ToneWarning],
    acknowledged: &[WarningId],
) -> ApproveRequest {
    ApproveRequest {
        version,
        checklist,
        acknowledged_warnings: warnings
            .iter()
            .filter(|w| acknowledged.contains(&w.id))
            .map(|w| w.id.clone())
            .collect(),
    }
}

/// Whether every current warning was acknowledged, so that approving may be offered.
pub fn all_acknowledged(warnings: &[ToneWarning], acknowledged: &[WarningId]) -> bool {
    warnings.iter().all(|w| acknowledged.contains(&w.id))
}

/// A root cause's verdict as typed: agreed, or a dissent by someone with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictDraft {
    pub cause: CauseId,
    pub agreed: bool,
    pub by: String,
    pub reason: String,
}

/// The review-meeting form (SPEC V6, R2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReviewDraft {
    /// `2026-12-03` from a date input.
    pub held_on: String,
    /// One attendee per line: `name, engineering` or `name, management`.
    pub attendees: String,
    pub verdicts: Vec<VerdictDraft>,
    /// One decision per line.
    pub decisions: String,
    /// Actions the meeting discussed, with whether it accepted them.
    pub actions: Vec<(RemediationDraft, bool)>,
}

impl ReviewDraft {
    pub fn to_request(&self) -> Result<NewReview, DraftError> {
        let held_at = Timestamp::parse(&format!("{}T12:00:00Z", self.held_on.trim()))
            .map_err(|_| refused("held_at".into(), "pick a date"))?;
        let attendees = self
            .attendees
            .lines()
            .filter(|line| !line.trim().is_empty())
            .enumerate()
            .map(|(index, line)| {
                let field = format!("attendees[{index}]");
                let (name, side) = line.rsplit_once(',').ok_or_else(|| {
                    refused(
                        field.clone(),
                        "write `name, engineering` or `name, management`",
                    )
                })?;
                let side = match side.trim().to_lowercase().as_str() {
                    "engineering" => Side::Engineering,
                    "management" => Side::Management,
                    _ => return Err(refused(field, "the side is engineering or management")),
                };
                let name = Name::parse(name).map_err(|e| refused(field, e))?;
                Ok(Attendee { name, side })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let root_causes = self
            .verdicts
            .iter()
            .enumerate()
            .map(|(index, draft)| {
                let verdict = if draft.agreed {
                    Verdict::Agreed
                } else {
                    let at = |part: &str| format!("root_causes[{index}].{part}");
                    Verdict::Dissent {
                        by: Name::parse(&draft.by).map_err(|e| refused(at("by"), e))?,
                        reason: Narrative::parse(&draft.reason)
                            .map_err(|e| refused(at("reason"), e))?,
                    }
                };
                Ok(RootCauseVerdict {
                    cause: draft.cause,
                    verdict,
                })
            })
            .collect::<Result<Vec<_>, DraftError>>()?;
        let actions = self
            .actions
            .iter()
            .enumerate()
            .map(|(index, (draft, accepted))| {
                let item = draft.to_request().map_err(|e| DraftError {
                    field: format!("actions[{index}].{}", e.field),
                    message: e.message,
                })?;
                Ok(ProposedAction {
                    item,
                    accepted: *accepted,
                })
            })
            .collect::<Result<Vec<_>, DraftError>>()?;
        Ok(NewReview {
            held_at,
            attendees,
            root_causes,
            decisions: narrative_lines("decisions", &self.decisions)?,
            actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> ReportContent {
        let text = |t: &str| ReportText::parse(t).unwrap();
        ReportContent {
            title: Title::parse("Checkout stalled").unwrap(),
            sections: vec![
                Section {
                    id: SectionId(1),
                    title: Title::parse("Impact").unwrap(),
                    customer_visible: true,
                    content: SectionContent::Impact {
                        started_at: Timestamp::from_unix_millis(0),
                        ended_at: None,
                        components: Vec::new(),
                        summary: text("Checkout was slow."),
                    },
                    commitments: Vec::new(),
                },
                Section {
                    id: SectionId(2),
                    title: Title::parse("Root cause").unwrap(),
                    customer_visible: false,
                    content: SectionContent::Rca {
                        text: text("A stale config capped the pool."),
                    },
                    commitments: Vec::new(),
                },
            ],
        }
    }

    /// SPEC V5: toggling a section shows it in the customer view computed
    /// from the same content; an edited text reaches the content.
    #[test]
    fn toggles_and_texts_reach_the_customer_preview() {
        let mut draft = ReportDraft::of(&content());
        assert_eq!(draft.to_content().unwrap(), content());
        assert_eq!(
            draft.to_content().unwrap().customer_view().sections.len(),
            1
        );
        draft.sections[1].customer_visible = true;
        draft.sections[1].text = "A config nobody reviewed capped the pool.".into();
        let preview = draft.to_content().unwrap().customer_view();
        assert_eq!(preview.sections.len(), 2);
        assert!(preview
            .postmortem_body()
            .contains("A config nobody reviewed capped the pool."));
        draft.sections[0].text = " ".into();
        assert_eq!(draft.to_content().unwrap_err().field, "sections[0].text");
        draft.add_section("Follow-up");
        assert_eq!(draft.sections[2].section.id, SectionId(3));
        assert!(!draft.sections[2].customer_visible);
    }

    /// SPEC R5: approving is offered once each tone warning of the current
    /// content is acknowledged; a stale acknowledgement is not sent.
    #[test]
    fn tone_warnings_are_acknowledged_one_by_one() {
        let mut draft = ReportDraft::of(&content());
        draft.sections[1].text = "Human error: the operator should have checked.".into();
        let warnings = draft.to_content().unwrap().tone_warnings();
        assert!(warnings.len() >= 2, "{warnings:?}");
        let first = vec![warnings[0].id.clone()];
        assert!(!all_acknowledged(&warnings, &first));
        let mut all: Vec<WarningId> = warnings.iter().map(|w| w.id.clone()).collect();
        assert!(all_acknowledged(&warnings, &all));
        all.push(WarningId("s9-gone-1".into()));
        let checklist = ReviewChecklist {
            content: true,
            commitments: true,
            tone: true,
        };
        let request = approve_request(3, checklist, &warnings, &all);
        assert_eq!(request.acknowledged_warnings.len(), warnings.len());
        assert_eq!(request.version, 3);
    }

    /// SPEC V6, R2: attendees with their side, a verdict or dissent per root
    /// cause, decisions, and actions with whether they were accepted.
    #[test]
    fn review_draft_becomes_a_review() {
        let mut draft = ReviewDraft {
            held_on: "2026-12-03".into(),
            attendees: "Sam SRE, engineering\nMia, management\n".into(),
            verdicts: vec![
                VerdictDraft {
                    cause: CauseId(1),
                    agreed: true,
                    by: String::new(),
                    reason: String::new(),
                },
                VerdictDraft {
                    cause: CauseId(2),
                    agreed: false,
                    by: "Mia".into(),
                    reason: "The vendor shares the blame".into(),
                },
            ],
            decisions: "Review pool limits quarterly".into(),
            actions: vec![(
                RemediationDraft {
                    title: "Document the pool limit".into(),
                    owner: "sam".into(),
                    due: "2027-01-15".into(),
                    ..RemediationDraft::default()
                },
                true,
            )],
        };
        let review = draft.to_request().unwrap();
        assert_eq!(review.attendees[1].side, Side::Management);
        assert!(matches!(
            review.root_causes[1].verdict,
            Verdict::Dissent { .. }
        ));
        assert!(review.actions[0].accepted);
        draft.attendees = "Sam, legal".into();
        assert_eq!(draft.to_request().unwrap_err().field, "attendees[0]");
        draft.attendees = "Sam, engineering".into();
        draft.verdicts[1].reason = String::new();
        assert_eq!(
            draft.to_request().unwrap_err().field,
            "root_causes[1].reason"
        );
        draft.verdicts[1].reason = "x".into();
        draft.actions[0].0.due = String::new();
        assert_eq!(draft.to_request().unwrap_err().field, "actions[0].due_at");
    }
}
