//! Incident reports (SPEC V5, R1, R5): one structured, versioned document per
//! problem, whose customer version is a view of the same record.
//!
//! A report is a list of [`Section`]s (impact window and affected components,
//! timeline, RCA, remediation plan, free text), each marked internal or
//! customer-visible. [`ReportContent::customer_view`] keeps the visible ones;
//! [`IncidentReport::customer_view`] is what customers read: the last
//! *published* approved version, never the draft.
//!
//! | from                                   | action                          | to                 | who                     |
//! |----------------------------------------|---------------------------------|--------------------|-------------------------|
//! | draft                                  | `submit_for_engineering_review` | engineering_review | anyone who writes       |
//! | engineering_review                     | `submit_for_management_review`  | management_review  | anyone who writes       |
//! | engineering_review, management_review  | `return_to_draft`               | draft              | anyone who writes       |
//! | management_review, revised             | `approve {..}`                  | approved           | [`Role::may_approve`]   |
//! | approved                               | `publish`                       | published          | [`Role::may_publish_status`] |
//! | approved, published                    | an edit ([`IncidentReport::edit`]) | revised         | anyone who writes       |
//!
//! Approval binds to the SHA-256 of the approved content ([`ContentHash`]):
//! an edit after approval voids it, and publishing needs an approval whose
//! hash is the content's. The published version stays what customers read
//! until a newer approved version is published.
//!
//! Approving needs: the management checklist (content, commitments, tone)
//! ticked; every [`ToneWarning`] of the content acknowledged by its id; an
//! RCA section; and every customer-visible commitment linked to a remediation
//! item of the problem that is not declined (every item has a due date).

use crate::rca::{Narrative, Rca};
use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::remediation::{RemediationItem, RemediationStatus};
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::{bounded_text_type, Name, Title};
use crate::Priority;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt::Write as _;

bounded_text_type!(
    /// The text of a report section, trimmed, 1 to 50 000 characters.
    ReportText,
    50_000
);

/// Whether a problem of `priority` needs an incident report (SPEC R1): P0 does.
pub fn report_required(priority: Priority) -> bool {
    priority == Priority::P0
}

/// A section's number within its report, stable across edits; tone warnings
/// are named after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SectionId(pub u32);

/// One line of the report's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportTimelineEntry {
    pub at: Timestamp,
    pub text: Narrative,
}

/// What a section holds. Sent externally tagged, e.g. `{"free": {"text": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SectionContent {
    /// When customers were affected and which components (SPEC V5).
    Impact {
        started_at: Timestamp,
        #[serde(default)]
        ended_at: Option<Timestamp>,
        #[serde(default)]
        components: Vec<Name>,
        summary: ReportText,
    },
    Timeline {
        entries: Vec<ReportTimelineEntry>,
    },
    /// The root-cause analysis in the report's words (SPEC R1, V7).
    Rca {
        text: ReportText,
    },
    /// What prevents a recurrence (SPEC V5, V8); its commitments link items.
    RemediationPlan {
        text: ReportText,
    },
    Free {
        text: ReportText,
    },
}

impl SectionContent {
    /// The snake_case name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            SectionContent::Impact { .. } => "impact",
            SectionContent::Timeline { .. } => "timeline",
            SectionContent::Rca { .. } => "rca",
            SectionContent::RemediationPlan { .. } => "remediation_plan",
            SectionContent::Free { .. } => "free",
        }
    }

    /// Every piece of prose, for the tone check.
    fn texts(&self) -> Vec<&str> {
        match self {
            SectionContent::Impact { summary, .. } => vec![summary.as_str()],
            SectionContent::Timeline { entries } => {
                entries.iter().map(|entry| entry.text.as_str()).collect()
            }
            SectionContent::Rca { text }
            | SectionContent::RemediationPlan { text }
            | SectionContent::Free { text } => vec![text.as_str()],
        }
    }
}

/// A promise the report makes, e.g. "we will alert on pool saturation by June".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub text: Narrative,
    /// The remediation item that keeps the promise; required in a
    /// customer-visible section.
    #[serde(default)]
    pub remediation_item: Option<i64>,
}

/// One section of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: SectionId,
    pub title: Title,
    /// Shown to customers; internal otherwise.
    pub customer_visible: bool,
    pub content: SectionContent,
    #[serde(default)]
    pub commitments: Vec<Commitment>,
}

/// A report's editable content: what is hashed, approved and published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportContent {
    pub title: Title,
    pub sections: Vec<Section>,
}

/// At most this many sections, and this many commitments per section.
pub const MAX_SECTIONS: usize = 40;
pub const MAX_COMMITMENTS: usize = 40;

/// The hex SHA-256 of a report's content, as serialized to JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContentHash(String);

impl ContentHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the impact section says, for [`ReportContent::compose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactWindow {
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub components: Vec<Name>,
}

impl ReportContent {
    /// The content's hash: what an approval binds to.
    pub fn hash(&self) -> ContentHash {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&json);
        let mut hex = String::with_capacity(64);
        for byte in digest {
            let _ = write!(hex, "{byte:02x}");
        }
        ContentHash(hex)
    }

    /// What customers would read of this content: the customer-visible
    /// sections, in order, with their commitments.
    pub fn customer_view(&self) -> CustomerReport {
        CustomerReport {
            title: self.title.clone(),
            sections: self
                .sections
                .iter()
                .filter(|section| section.customer_visible)
                .cloned()
                .collect(),
        }
    }

    /// A first draft from the ticket (SPEC V5): impact (customer-visible),
    /// timeline (internal), the RCA's root causes, trigger, detection and
    /// resolution (customer-visible), the remediation plan with one
    /// commitment per item that is not declined (customer-visible), and what
    /// went well, wrong and lucky (internal). Sections with nothing to say
    /// are left out.
    pub fn compose(
        title: Title,
        impact: &ImpactWindow,
        timeline: &[(Timestamp, Narrative)],
        rca: &Rca,
        items: &[RemediationItem],
    ) -> ReportContent {
        let mut sections = Vec::new();
        let mut add = |title: &str, customer_visible: bool, content, commitments| {
            sections.push(Section {
                id: SectionId(sections.len() as u32 + 1),
                title: Title::parse(title).expect("section titles are short and not blank"),
                customer_visible,
                content,
                commitments,
            });
        };
        let components: Vec<&str> = impact.components.iter().map(Name::as_str).collect();
        let impact_text = if components.is_empty() {
            "Customers were affected.".to_owned()
        } else {
            format!("Affected: {}.", components.join(", "))
        };
        add(
            "Impact",
            true,
            SectionContent::Impact {
                started_at: impact.started_at,
                ended_at: impact.ended_at,
                components: impact.components.clone(),
                summary: ReportText::parse(&impact_text).expect("never blank"),
            },
            Vec::new(),
        );
        if !timeline.is_empty() {
            add(
                "Timeline",
                false,
                SectionContent::Timeline {
                    entries: timeline
                        .iter()
                        .map(|(at, text)| ReportTimelineEntry {
                            at: *at,
                            text: text.clone(),
                        })
                        .collect(),
                },
                Vec::new(),
            );
        }
        let mut analysis = Vec::new();
        for cause in &rca.root_causes {
            analysis.push(format!(
                "Root cause ({}): {}",
                cause.class.label(),
                cause.summary
            ));
        }
        for (label, text) in [
            ("Trigger", &rca.trigger),
            ("Detection", &rca.detection),
            ("Resolution", &rca.resolution),
        ] {
            if let Some(text) = text {
                analysis.push(format!("{label}: {text}"));
            }
        }
        if let Ok(text) = ReportText::parse(&analysis.join("\n\n")) {
            add("Root cause", true, SectionContent::Rca { text }, Vec::new());
        }
        let planned: Vec<&RemediationItem> = items
            .iter()
            .filter(|item| item.status != RemediationStatus::WontDo)
            .collect();
        if !planned.is_empty() {
            let commitments = planned
                .iter()
                .filter_map(|item| {
                    let text = format!("{} (due {})", item.title, item.due_at.date());
                    Some(Commitment {
                        text: Narrative::parse(&text).ok()?,
                        remediation_item: Some(item.id),
                    })
                })
                .collect();
            add(
                "What we are doing about it",
                true,
                SectionContent::RemediationPlan {
                    text: ReportText::parse(
                        "We are taking these actions so that it does not happen again.",
                    )
                    .expect("never blank"),
                },
                commitments,
            );
        }
        let mut lessons = Vec::new();
        for (label, list) in [
            ("Went well", &rca.went_well),
            ("Went wrong", &rca.went_wrong),
            ("Where we were lucky", &rca.lucky),
        ] {
            for entry in list {
                lessons.push(format!("{label}: {entry}"));
            }
        }
        if let Ok(text) = ReportText::parse(&lessons.join("\n")) {
            add("Lessons", false, SectionContent::Free { text }, Vec::new());
        }
        ReportContent { title, sections }
    }

    /// Checks what the types cannot (SPEC R5): unique section ids, sizes, an
    /// impact window that does not end before it starts, and every
    /// customer-visible commitment linked to one of `items` that is not
    /// declined. Errors name the field and the section.
    pub fn validate(&self, items: &[RemediationItem]) -> Result<(), ReportError> {
        if self.sections.len() > MAX_SECTIONS {
            return Err(ReportError::TooMany {
                field: "sections".into(),
                max: MAX_SECTIONS,
            });
        }
        let mut ids = BTreeSet::new();
        for (i, section) in self.sections.iter().enumerate() {
            let field = |rest: &str| format!("sections[{i}]{rest}");
            if !ids.insert(section.id) {
                return Err(ReportError::DuplicateSection {
                    field: field(".id"),
                    id: section.id.0,
                });
            }
            if section.commitments.len() > MAX_COMMITMENTS {
                return Err(ReportError::TooMany {
                    field: field(".commitments"),
                    max: MAX_COMMITMENTS,
                });
            }
            if let SectionContent::Impact {
                started_at,
                ended_at: Some(ended_at),
                ..
            } = &section.content
            {
                if ended_at < started_at {
                    return Err(ReportError::ImpactEndsBeforeStart {
                        field: field(".content.impact.ended_at"),
                    });
                }
            }
            if !section.customer_visible {
                continue;
            }
            for (j, commitment) in section.commitments.iter().enumerate() {
                let field = field(&format!(".commitments[{j}].remediation_item"));
                let section = section.title.to_string();
                let Some(id) = commitment.remediation_item else {
                    return Err(ReportError::CommitmentWithoutItem { field, section });
                };
                match items.iter().find(|item| item.id == id) {
                    None => {
                        return Err(ReportError::CommitmentItemUnknown {
                            field,
                            section,
                            item: id,
                        })
                    }
                    Some(item) if item.status == RemediationStatus::WontDo => {
                        return Err(ReportError::CommitmentItemDeclined {
                            field,
                            section,
                            item: id,
                        })
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Blame and hindsight wording (SPEC R5), in English and German, per
    /// section, each with an id the approver acknowledges.
    pub fn tone_warnings(&self) -> Vec<ToneWarning> {
        let mut warnings = Vec::new();
        for section in &self.sections {
            let mut texts = vec![section.title.as_str()];
            texts.extend(section.content.texts());
            texts.extend(section.commitments.iter().map(|c| c.text.as_str()));
            let mut seen: Vec<(&'static str, u32)> = Vec::new();
            for text in texts {
                for sentence in sentences(text) {
                    let lower = sentence.to_lowercase();
                    for rule in TONE_RULES {
                        for _ in 0..rule.count_in(&lower) {
                            let n = match seen.iter_mut().find(|(key, _)| *key == rule.key) {
                                Some((_, n)) => {
                                    *n += 1;
                                    *n
                                }
                                None => {
                                    seen.push((rule.key, 1));
                                    1
                                }
                            };
                            warnings.push(ToneWarning {
                                id: WarningId(format!("s{}-{}-{n}", section.id.0, rule.key)),
                                section: section.id,
                                wording: rule.wording.into(),
                                advice: rule.advice.into(),
                                excerpt: excerpt(sentence),
                            });
                        }
                    }
                }
            }
        }
        warnings
    }
}

/// The sentences of `text`: split after `.`, `!`, `?` and line breaks.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn excerpt(sentence: &str) -> String {
    const MAX: usize = 160;
    if sentence.chars().count() <= MAX {
        sentence.to_owned()
    } else {
        let cut: String = sentence.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// The words of a lower-cased sentence.
fn words(lower: &str) -> Vec<&str> {
    lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .collect()
}

/// One kind of blame or hindsight wording.
struct ToneRule {
    key: &'static str,
    /// The wording as shown to the approver.
    wording: &'static str,
    advice: &'static str,
    /// Word sequences that must appear in this order, each contiguous; the
    /// sequences may have other words between them.
    parts: &'static [&'static [&'static str]],
}

impl ToneRule {
    /// How many times the rule matches the sentence (at most once per start).
    fn count_in(&self, lower: &str) -> usize {
        let words = words(lower);
        let Some((first, rest)) = self.parts.split_first() else {
            return 0;
        };
        let mut count = 0;
        for start in 0..words.len() {
            if !words[start..].starts_with(first) {
                continue;
            }
            let mut at = start + first.len();
            let mut matched = true;
            for part in rest {
                match (at..=words.len().saturating_sub(part.len()))
                    .find(|&i| words[i..].starts_with(part))
                {
                    Some(i) => at = i + part.len(),
                    None => {
                        matched = false;
                        break;
                    }
                }
            }
            if matched {
                count += 1;
            }
        }
        count
    }
}

const BLAME: &str = "Describe what the system and the process allowed, not who is to blame.";
const HINDSIGHT: &str =
    "Hindsight: describe what people knew at the time and why their actions made sense then.";
const OBVIOUS: &str =
    "What is obvious afterwards was not obvious at the time; state the fact instead.";

/// The tone rules (SPEC R5). German verbs in second position take the
/// infinitive at the end, so "hätte ... sollen" is two parts.
const fn rule(
    key: &'static str,
    wording: &'static str,
    advice: &'static str,
    parts: &'static [&'static [&'static str]],
) -> ToneRule {
    ToneRule {
        key,
        wording,
        advice,
        parts,
    }
}

#[rustfmt::skip]
const TONE_RULES: &[ToneRule] = &[
    rule("human_error", "human error", BLAME, &[&["human", "error"]]),
    rule("should_have", "should have", HINDSIGHT, &[&["should", "have"]]),
    rule("should_not_have", "should not have", HINDSIGHT, &[&["should", "not", "have"]]),
    rule("shouldnt_have", "shouldn't have", HINDSIGHT, &[&["shouldn't", "have"]]),
    rule("shouldnt_have", "shouldn't have", HINDSIGHT, &[&["shouldn’t", "have"]]),
    rule("careless", "careless", BLAME, &[&["careless"]]),
    rule("carelessness", "carelessness", BLAME, &[&["carelessness"]]),
    rule("negligent", "negligent", BLAME, &[&["negligent"]]),
    rule("negligence", "negligence", BLAME, &[&["negligence"]]),
    rule("obviously", "obviously", OBVIOUS, &[&["obviously"]]),
    rule("clearly", "clearly", OBVIOUS, &[&["clearly"]]),
    rule("menschliches_versagen", "menschliches Versagen", BLAME, &[&["menschliches", "versagen"]]),
    rule("menschlicher_fehler", "menschlicher Fehler", BLAME, &[&["menschlicher", "fehler"]]),
    rule("haette_sollen", "hätte … sollen", HINDSIGHT, &[&["hätte"], &["sollen"]]),
    rule("haetten_sollen", "hätten … sollen", HINDSIGHT, &[&["hätten"], &["sollen"]]),
    rule("haette_muessen", "hätte … müssen", HINDSIGHT, &[&["hätte"], &["müssen"]]),
    rule("haetten_muessen", "hätten … müssen", HINDSIGHT, &[&["hätten"], &["müssen"]]),
    rule("fahrlaessig", "fahrlässig", BLAME, &[&["fahrlässig"]]),
    rule("nachlaessig", "nachlässig", BLAME, &[&["nachlässig"]]),
    rule("leichtsinnig", "leichtsinnig", BLAME, &[&["leichtsinnig"]]),
    rule("offensichtlich", "offensichtlich", OBVIOUS, &[&["offensichtlich"]]),
    rule("selbstverstaendlich", "selbstverständlich", OBVIOUS, &[&["selbstverständlich"]]),
];

/// A tone warning's id: `s{section}-{rule}-{n}`, the n-th match of the rule
/// in that section. Stable while the section's wording stays.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WarningId(pub String);

/// Blame or hindsight wording found in a section (SPEC R5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToneWarning {
    pub id: WarningId,
    pub section: SectionId,
    /// The wording found, e.g. "human error".
    pub wording: String,
    pub advice: String,
    /// The sentence it was found in.
    pub excerpt: String,
}

/// What customers read: the title and the customer-visible sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerReport {
    pub title: Title,
    pub sections: Vec<Section>,
}

impl CustomerReport {
    /// Plain text for Statuspage's `postmortem_body` (SPEC R5): each
    /// section's title, its text and its commitments as a list.
    pub fn postmortem_body(&self) -> String {
        let mut out = String::new();
        for section in &self.sections {
            let _ = writeln!(out, "{}\n", section.title);
            match &section.content {
                SectionContent::Impact {
                    started_at,
                    ended_at,
                    components,
                    summary,
                } => {
                    let _ = write!(out, "From {started_at}");
                    if let Some(ended_at) = ended_at {
                        let _ = write!(out, " to {ended_at}");
                    }
                    if !components.is_empty() {
                        let names: Vec<&str> = components.iter().map(Name::as_str).collect();
                        let _ = write!(out, "; components: {}", names.join(", "));
                    }
                    let _ = writeln!(out, ".\n{summary}");
                }
                SectionContent::Timeline { entries } => {
                    for entry in entries {
                        let _ = writeln!(out, "{}: {}", entry.at, entry.text);
                    }
                }
                SectionContent::Rca { text }
                | SectionContent::RemediationPlan { text }
                | SectionContent::Free { text } => {
                    let _ = writeln!(out, "{text}");
                }
            }
            for commitment in &section.commitments {
                let _ = writeln!(out, "- {}", commitment.text);
            }
            out.push('\n');
        }
        out.trim_end().to_owned()
    }
}

/// Where a report stands. Stored and sent as snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Draft,
    EngineeringReview,
    ManagementReview,
    Approved,
    Published,
    /// Edited after approval: the approval is void; the published version,
    /// if any, stays public until a newer one is approved and published.
    Revised,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 6] = [
        ReportStatus::Draft,
        ReportStatus::EngineeringReview,
        ReportStatus::ManagementReview,
        ReportStatus::Approved,
        ReportStatus::Published,
        ReportStatus::Revised,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::EngineeringReview => "engineering_review",
            ReportStatus::ManagementReview => "management_review",
            ReportStatus::Approved => "approved",
            ReportStatus::Published => "published",
            ReportStatus::Revised => "revised",
        }
    }
}

display_as_str!(ReportStatus);

/// Management's review checklist (SPEC R5): each must be ticked to approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewChecklist {
    /// What happened, the fix and the prevention are right and complete.
    pub content: bool,
    /// Every promise is one we keep, with an owner and a due date.
    pub commitments: bool,
    /// Professional, blameless tone.
    pub tone: bool,
}

/// What the approver sends (`POST /api/problems/{id}/report/approve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The version the approver read; approving another is a conflict.
    pub version: u32,
    pub checklist: ReviewChecklist,
    #[serde(default)]
    pub acknowledged_warnings: Vec<WarningId>,
}

/// A management approval, bound to the content's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub version: u32,
    pub content_hash: ContentHash,
    pub approved_by: Name,
    pub approved_at: Timestamp,
    pub checklist: ReviewChecklist,
    pub acknowledged_warnings: Vec<WarningId>,
}

/// The version customers read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedReport {
    pub version: u32,
    pub content: ReportContent,
    pub approval: Approval,
    pub published_at: Timestamp,
}

/// An action on a report's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportAction {
    SubmitForEngineeringReview,
    SubmitForManagementReview,
    ReturnToDraft,
    Approve,
    Publish,
    Edit,
}

impl ReportAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportAction::SubmitForEngineeringReview => "submit_for_engineering_review",
            ReportAction::SubmitForManagementReview => "submit_for_management_review",
            ReportAction::ReturnToDraft => "return_to_draft",
            ReportAction::Approve => "approve",
            ReportAction::Publish => "publish",
            ReportAction::Edit => "edit",
        }
    }

    /// Whether `role` may take this action.
    pub fn permitted(self, role: Role) -> bool {
        match self {
            ReportAction::Approve => role.may_approve(),
            ReportAction::Publish => role.may_publish_status(),
            _ => role.can_write(),
        }
    }
}

display_as_str!(ReportAction);

/// The actions allowed from `status`, whoever asks (editing is always allowed).
pub fn allowed_report_actions(status: ReportStatus) -> &'static [ReportAction] {
    use ReportAction::*;
    match status {
        ReportStatus::Draft => &[SubmitForEngineeringReview, Edit],
        ReportStatus::EngineeringReview => &[SubmitForManagementReview, ReturnToDraft, Edit],
        ReportStatus::ManagementReview => &[Approve, ReturnToDraft, Edit],
        ReportStatus::Approved => &[Publish, Edit],
        ReportStatus::Published => &[Edit],
        ReportStatus::Revised => &[Approve, Edit],
    }
}

/// Why a report change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("a {role} may not {action} an incident report")]
    Forbidden { action: ReportAction, role: Role },
    #[error("cannot {action} an incident report that is {from}")]
    NotAllowed {
        from: ReportStatus,
        action: ReportAction,
    },
    #[error("only an approved incident report is published; this one is {status}")]
    NotApproved { status: ReportStatus },
    #[error("the approval does not match the content: it was edited after approval")]
    ApprovalVoid,
    #[error(
        "version {given} was reviewed, but the report is at version {current}; review it again"
    )]
    VersionMismatch { given: u32, current: u32 },
    #[error(
        "{at} is before the report's last change at {last_change}; timestamps never go backwards"
    )]
    TimeWentBackwards {
        last_change: Timestamp,
        at: Timestamp,
    },
    #[error("a customer-visible commitment in section \"{section}\" must link to a remediation item with a due date")]
    CommitmentWithoutItem { field: String, section: String },
    #[error("a commitment in section \"{section}\" links remediation item {item}, which is not one of the problem's")]
    CommitmentItemUnknown {
        field: String,
        section: String,
        item: i64,
    },
    #[error(
        "a commitment in section \"{section}\" links remediation item {item}, which was declined"
    )]
    CommitmentItemDeclined {
        field: String,
        section: String,
        item: i64,
    },
    #[error("section id {id} is used twice")]
    DuplicateSection { field: String, id: u32 },
    #[error("at most {max} entries are allowed here")]
    TooMany { field: String, max: usize },
    #[error("the impact window ends before it starts")]
    ImpactEndsBeforeStart { field: String },
    #[error("an incident report needs an RCA section (SPEC R1)")]
    RcaSectionMissing,
    #[error("the review checklist is not complete: `{item}` is not ticked")]
    ChecklistIncomplete { item: &'static str },
    #[error("tone warning {} (\"{wording}\") must be acknowledged before approving", .id.0)]
    WarningNotAcknowledged { id: WarningId, wording: String },
}

impl Refusal for ReportError {
    fn refusal_kind(&self) -> RefusalKind {
        match self {
            ReportError::Forbidden { .. } => RefusalKind::Forbidden,
            ReportError::NotAllowed { .. }
            | ReportError::NotApproved { .. }
            | ReportError::ApprovalVoid
            | ReportError::VersionMismatch { .. }
            | ReportError::TimeWentBackwards { .. } => RefusalKind::Conflict,
            ReportError::CommitmentWithoutItem { field, .. }
            | ReportError::CommitmentItemUnknown { field, .. }
            | ReportError::CommitmentItemDeclined { field, .. }
            | ReportError::DuplicateSection { field, .. }
            | ReportError::TooMany { field, .. }
            | ReportError::ImpactEndsBeforeStart { field } => invalid(field.clone()),
            ReportError::RcaSectionMissing => invalid("sections"),
            ReportError::ChecklistIncomplete { item } => invalid(format!("checklist.{item}")),
            ReportError::WarningNotAcknowledged { .. } => invalid("acknowledged_warnings"),
        }
    }
}

/// An incident report (SPEC V5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentReport {
    pub id: i64,
    pub problem: i64,
    pub status: ReportStatus,
    /// Starts at 1; every edit adds one.
    pub version: u32,
    pub content: ReportContent,
    pub created_at: Timestamp,
    pub last_change: Timestamp,
    /// The approval of the current content; `None` once an edit voided it.
    #[serde(default)]
    pub approval: Option<Approval>,
    /// What customers read.
    #[serde(default)]
    pub published: Option<PublishedReport>,
}

/// The result of [`IncidentReport::edit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEdit {
    pub report: IncidentReport,
    /// The approval the edit voided, for the audit log and the timeline.
    pub voided_approval: Option<Approval>,
}

impl IncidentReport {
    /// A new draft, version 1, validated against the problem's `items`.
    pub fn draft(
        id: i64,
        problem: i64,
        content: ReportContent,
        items: &[RemediationItem],
        actor: Role,
        at: Timestamp,
    ) -> Result<IncidentReport, ReportError> {
        if !actor.can_write() {
            return Err(ReportError::Forbidden {
                action: ReportAction::Edit,
                role: actor,
            });
        }
        content.validate(items)?;
        Ok(IncidentReport {
            id,
            problem,
            status: ReportStatus::Draft,
            version: 1,
            content,
            created_at: at,
            last_change: at,
            approval: None,
            published: None,
        })
    }

    fn check(&self, action: ReportAction, actor: Role, at: Timestamp) -> Result<(), ReportError> {
        if !action.permitted(actor) {
            return Err(ReportError::Forbidden {
                action,
                role: actor,
            });
        }
        if !allowed_report_actions(self.status).contains(&action) {
            return Err(if action == ReportAction::Publish {
                ReportError::NotApproved {
                    status: self.status,
                }
            } else {
                ReportError::NotAllowed {
                    from: self.status,
                    action,
                }
            });
        }
        if at < self.last_change {
            return Err(ReportError::TimeWentBackwards {
                last_change: self.last_change,
                at,
            });
        }
        Ok(())
    }

    /// Replaces the content (version + 1). After approval the approval is
    /// void and the report is revised; the published version stays public.
    /// An unchanged content is not an edit: the report is returned as it is.
    pub fn edit(
        &self,
        content: ReportContent,
        items: &[RemediationItem],
        actor: Role,
        at: Timestamp,
    ) -> Result<ReportEdit, ReportError> {
        self.check(ReportAction::Edit, actor, at)?;
        content.validate(items)?;
        if content == self.content {
            return Ok(ReportEdit {
                report: self.clone(),
                voided_approval: None,
            });
        }
        let mut next = self.clone();
        next.content = content;
        next.version += 1;
        next.last_change = at;
        let voided_approval = next.approval.take();
        if matches!(
            self.status,
            ReportStatus::Approved | ReportStatus::Published
        ) {
            next.status = ReportStatus::Revised;
        }
        Ok(ReportEdit {
            report: next,
            voided_approval,
        })
    }

    /// Moves through the reviews: submit for engineering review, submit for
    /// management review, or return to draft. Approving and publishing have
    /// their own functions.
    pub fn transition(
        &self,
        action: ReportAction,
        actor: Role,
        at: Timestamp,
    ) -> Result<IncidentReport, ReportError> {
        self.check(action, actor, at)?;
        let to = match action {
            ReportAction::SubmitForEngineeringReview => ReportStatus::EngineeringReview,
            ReportAction::SubmitForManagementReview => ReportStatus::ManagementReview,
            ReportAction::ReturnToDraft => ReportStatus::Draft,
            ReportAction::Approve | ReportAction::Publish | ReportAction::Edit => {
                return Err(ReportError::NotAllowed {
                    from: self.status,
                    action,
                })
            }
        };
        let mut next = self.clone();
        next.status = to;
        next.last_change = at;
        Ok(next)
    }

    /// Management approves the current version (SPEC R5). Checks, in this
    /// order: the role ([`Role::may_approve`], 403); the status and the
    /// reviewed version (409); the content against `items`, an RCA section,
    /// the checklist and every tone warning acknowledged (422).
    pub fn approve(
        &self,
        request: &ApproveRequest,
        approver: &Name,
        actor: Role,
        items: &[RemediationItem],
        at: Timestamp,
    ) -> Result<IncidentReport, ReportError> {
        self.check(ReportAction::Approve, actor, at)?;
        if request.version != self.version {
            return Err(ReportError::VersionMismatch {
                given: request.version,
                current: self.version,
            });
        }
        self.content.validate(items)?;
        if !self
            .content
            .sections
            .iter()
            .any(|s| matches!(s.content, SectionContent::Rca { .. }))
        {
            return Err(ReportError::RcaSectionMissing);
        }
        let checklist = request.checklist;
        for (item, ticked) in [
            ("content", checklist.content),
            ("commitments", checklist.commitments),
            ("tone", checklist.tone),
        ] {
            if !ticked {
                return Err(ReportError::ChecklistIncomplete { item });
            }
        }
        let warnings = self.content.tone_warnings();
        if let Some(open) = warnings
            .iter()
            .find(|w| !request.acknowledged_warnings.contains(&w.id))
        {
            return Err(ReportError::WarningNotAcknowledged {
                id: open.id.clone(),
                wording: open.wording.clone(),
            });
        }
        let mut next = self.clone();
        next.status = ReportStatus::Approved;
        next.last_change = at;
        next.approval = Some(Approval {
            version: self.version,
            content_hash: self.content.hash(),
            approved_by: approver.clone(),
            approved_at: at,
            checklist,
            acknowledged_warnings: warnings.into_iter().map(|w| w.id).collect(),
        });
        Ok(next)
    }

    /// Publishes the approved version (SPEC R5): only with an approval whose
    /// hash is the content's (409 otherwise).
    pub fn publish(&self, actor: Role, at: Timestamp) -> Result<IncidentReport, ReportError> {
        self.check(ReportAction::Publish, actor, at)?;
        let approval = self.approval.clone().ok_or(ReportError::NotApproved {
            status: self.status,
        })?;
        if approval.content_hash != self.content.hash() || approval.version != self.version {
            return Err(ReportError::ApprovalVoid);
        }
        let mut next = self.clone();
        next.status = ReportStatus::Published;
        next.last_change = at;
        next.published = Some(PublishedReport {
            version: self.version,
            content: self.content.clone(),
            approval,
            published_at: at,
        });
        Ok(next)
    }

    /// Whether the current content carries a valid approval.
    pub fn is_approved(&self) -> bool {
        self.approval
            .as_ref()
            .is_some_and(|a| a.version == self.version && a.content_hash == self.content.hash())
    }

    /// What customers read (SPEC R5): the customer-visible sections of the
    /// last published version, whatever happened to the draft since; `None`
    /// before the first publication.
    pub fn customer_view(&self) -> Option<CustomerReport> {
        self.published
            .as_ref()
            .map(|published| published.content.customer_view())
    }
}
