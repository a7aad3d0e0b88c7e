//! Incident reports (SPEC V5, R1, R5): the review states, approval bound to
//! the content's hash and voided by an edit, what customers read, the
//! commitments rule and the tone check.

use beacon_shared::incident_report::{
    report_required, ApproveRequest, Commitment, ImpactWindow, IncidentReport, ReportAction,
    ReportContent, ReportError, ReportStatus, ReportText, ReviewChecklist, Section, SectionContent,
    SectionId, WarningId,
};
use beacon_shared::rca::{Cause, CauseClass, CauseId, Narrative, Rca};
use beacon_shared::refusal::{Refusal, RefusalKind};
use beacon_shared::remediation::{
    NewRemediationItem, RemediationItem, RemediationKind, RemediationOwner, RemediationStatus,
};
use beacon_shared::triage::{Name, Title};
use beacon_shared::{Priority, Role, Timestamp};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const HOUR: i64 = 3_600_000;

fn at(hours: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0.unix_millis() + hours * HOUR)
}

fn text(value: &str) -> ReportText {
    ReportText::parse(value).unwrap()
}

fn items() -> Vec<RemediationItem> {
    let item = |id: i64, title: &str| {
        RemediationItem::new(
            id,
            1,
            NewRemediationItem {
                title: Title::parse(title).unwrap(),
                kind: RemediationKind::Prevent,
                owner: RemediationOwner::Person {
                    name: Name::parse("alice").unwrap(),
                },
                owning_group: None,
                due_at: at(24 * 30),
            },
            None,
            T0,
        )
        .unwrap()
    };
    vec![
        item(10, "Alert on pool saturation"),
        item(11, "Raise pool size"),
    ]
}

fn section(id: u32, title: &str, visible: bool, content: SectionContent) -> Section {
    Section {
        id: SectionId(id),
        title: Title::parse(title).unwrap(),
        customer_visible: visible,
        content,
        commitments: Vec::new(),
    }
}

fn content(rca_text: &str) -> ReportContent {
    let mut plan = section(
        3,
        "What we are doing",
        true,
        SectionContent::RemediationPlan {
            text: text("We add monitoring and capacity."),
        },
    );
    plan.commitments.push(Commitment {
        text: Narrative::parse("We alert on pool saturation by January.").unwrap(),
        remediation_item: Some(10),
    });
    ReportContent {
        title: Title::parse("Checkout outage on 14 November").unwrap(),
        sections: vec![
            section(
                1,
                "Impact",
                true,
                SectionContent::Impact {
                    started_at: at(0),
                    ended_at: Some(at(2)),
                    components: vec![Name::parse("Checkout").unwrap()],
                    summary: text("Checkout failed for most customers."),
                },
            ),
            section(
                2,
                "Root cause",
                true,
                SectionContent::Rca {
                    text: text(rca_text),
                },
            ),
            plan,
            section(
                4,
                "Internal notes",
                false,
                SectionContent::Free {
                    text: text("The pager went to an empty rota slot."),
                },
            ),
        ],
    }
}

fn all_ticked() -> ReviewChecklist {
    ReviewChecklist {
        content: true,
        commitments: true,
        tone: true,
    }
}

fn approve(
    report: &IncidentReport,
    acknowledged: Vec<WarningId>,
    role: Role,
    now: Timestamp,
) -> Result<IncidentReport, ReportError> {
    report.approve(
        &ApproveRequest {
            version: report.version,
            checklist: all_ticked(),
            acknowledged_warnings: acknowledged,
        },
        &Name::parse("maria").unwrap(),
        role,
        &items(),
        now,
    )
}

fn in_management_review(content: ReportContent) -> IncidentReport {
    let draft = IncidentReport::draft(5, 1, content, &items(), Role::Sre, at(1)).unwrap();
    let review = draft
        .transition(ReportAction::SubmitForEngineeringReview, Role::Sre, at(2))
        .unwrap();
    review
        .transition(
            ReportAction::SubmitForManagementReview,
            Role::Engineer,
            at(3),
        )
        .unwrap()
}

fn rca_text(view: &beacon_shared::incident_report::CustomerReport) -> String {
    view.sections
        .iter()
        .find_map(|s| match &s.content {
            SectionContent::Rca { text } => Some(text.to_string()),
            _ => None,
        })
        .unwrap()
}

/// SPEC V5, R5: draft -> reviews -> approved (after acknowledging a tone
/// warning) -> published; an edit voids the approval while customers keep
/// reading the published version until a new approval is published.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn approval_is_voided_by_an_edit_and_customers_keep_the_approved_text() {
    let review = in_management_review(content(
        "A configuration change obviously exhausted the database pool.",
    ));
    assert_eq!(review.status, ReportStatus::ManagementReview);
    let warnings = review.content.tone_warnings();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].id, WarningId("s2-obviously-1".into()));

    let err = approve(&review, vec![], Role::Management, at(4)).unwrap_err();
    assert_eq!(
        err.refusal_kind(),
        RefusalKind::Invalid {
            field: "acknowledged_warnings".into()
        }
    );
    let approved = approve(
        &review,
        vec![warnings[0].id.clone()],
        Role::Management,
        at(4),
    )
    .unwrap();
    assert_eq!(approved.status, ReportStatus::Approved);
    assert!(approved.is_approved());
    assert_eq!(
        approved.customer_view(),
        None,
        "nothing public before publishing"
    );

    let published = approved.publish(Role::CustomerSupport, at(5)).unwrap();
    assert_eq!(published.status, ReportStatus::Published);
    let public = published.customer_view().unwrap();
    assert!(rca_text(&public).contains("obviously exhausted"));
    assert_eq!(
        approve(&published, vec![], Role::Management, at(5))
            .unwrap_err()
            .refusal_kind(),
        RefusalKind::Conflict,
        "a published report is approved again only after a revision"
    );
    assert!(public.sections.iter().all(|s| s.customer_visible));

    let edited = published
        .edit(
            content("A configuration change exhausted the database pool."),
            &items(),
            Role::Sre,
            at(6),
        )
        .unwrap();
    assert!(edited.voided_approval.is_some());
    let revised = edited.report;
    assert_eq!(revised.status, ReportStatus::Revised);
    assert_eq!(revised.version, published.version + 1);
    assert!(!revised.is_approved());
    assert_eq!(revised.customer_view(), published.customer_view());

    let err = revised.publish(Role::Management, at(7)).unwrap_err();
    assert_eq!(err.refusal_kind(), RefusalKind::Conflict);

    let reapproved = approve(&revised, vec![], Role::Management, at(8)).unwrap();
    assert!(rca_text(&reapproved.customer_view().unwrap()).contains("obviously"));
    let republished = reapproved.publish(Role::Management, at(9)).unwrap();
    let public = republished.customer_view().unwrap();
    assert!(!rca_text(&public).contains("obviously"));
    assert_eq!(republished.published.unwrap().version, revised.version);
}

/// SPEC R5: only approvers approve (an SRE is forbidden); publishing an
/// unapproved report is a conflict; a stale version is a conflict.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn who_approves_and_what_publishes() {
    let review = in_management_review(content("The pool was exhausted."));
    for role in Role::ALL {
        let result = approve(&review, vec![], role, at(4));
        if role.may_approve() {
            assert!(result.is_ok(), "{role}");
        } else {
            assert_eq!(
                result.unwrap_err().refusal_kind(),
                RefusalKind::Forbidden,
                "{role}"
            );
        }
    }
    let err = review.publish(Role::Management, at(4)).unwrap_err();
    assert_eq!(
        err,
        ReportError::NotApproved {
            status: ReportStatus::ManagementReview
        }
    );
    assert_eq!(err.refusal_kind(), RefusalKind::Conflict);
    let stale = review.approve(
        &ApproveRequest {
            version: review.version + 1,
            checklist: all_ticked(),
            acknowledged_warnings: vec![],
        },
        &Name::parse("maria").unwrap(),
        Role::Management,
        &items(),
        at(4),
    );
    assert_eq!(stale.unwrap_err().refusal_kind(), RefusalKind::Conflict);
    let draft = IncidentReport::draft(6, 1, content("x"), &items(), Role::Sre, at(1)).unwrap();
    assert_eq!(
        approve(&draft, vec![], Role::Management, at(2))
            .unwrap_err()
            .refusal_kind(),
        RefusalKind::Conflict
    );
    let approved = approve(&review, vec![], Role::Management, at(4)).unwrap();
    assert_eq!(
        approved
            .publish(Role::Sre, at(5))
            .unwrap_err()
            .refusal_kind(),
        RefusalKind::Forbidden
    );
}

/// SPEC R5: the management checklist (content, commitments, tone) must be ticked.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_checklist_must_be_complete() {
    let review = in_management_review(content("The pool was exhausted."));
    let mut checklist = all_ticked();
    checklist.commitments = false;
    let err = review
        .approve(
            &ApproveRequest {
                version: review.version,
                checklist,
                acknowledged_warnings: vec![],
            },
            &Name::parse("maria").unwrap(),
            Role::Management,
            &items(),
            at(4),
        )
        .unwrap_err();
    assert_eq!(
        err.refusal_kind(),
        RefusalKind::Invalid {
            field: "checklist.commitments".into()
        }
    );
}

/// SPEC R5, V8: a customer-visible commitment needs a remediation item of the
/// problem (every item has a due date), named by section; internal ones may go without.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn customer_visible_commitments_link_remediation_items() {
    let mut bad = content("The pool was exhausted.");
    bad.sections[2].commitments.push(Commitment {
        text: Narrative::parse("We will never let this happen again.").unwrap(),
        remediation_item: None,
    });
    let err = IncidentReport::draft(5, 1, bad.clone(), &items(), Role::Sre, at(1)).unwrap_err();
    assert_eq!(
        err.refusal_kind(),
        RefusalKind::Invalid {
            field: "sections[2].commitments[1].remediation_item".into()
        }
    );
    assert!(err.to_string().contains("\"What we are doing\""), "{err}");

    bad.sections[2].customer_visible = false;
    assert!(IncidentReport::draft(5, 1, bad, &items(), Role::Sre, at(1)).is_ok());

    let mut unknown = content("The pool was exhausted.");
    unknown.sections[2].commitments[0].remediation_item = Some(99);
    assert!(matches!(
        unknown.validate(&items()),
        Err(ReportError::CommitmentItemUnknown { item: 99, .. })
    ));

    let mut declined = items();
    declined[0].status = RemediationStatus::WontDo;
    let report = in_management_review(content("The pool was exhausted."));
    let err = report
        .approve(
            &ApproveRequest {
                version: report.version,
                checklist: all_ticked(),
                acknowledged_warnings: vec![],
            },
            &Name::parse("maria").unwrap(),
            Role::Management,
            &declined,
            at(4),
        )
        .unwrap_err();
    assert!(
        matches!(err, ReportError::CommitmentItemDeclined { item: 10, .. }),
        "{err}"
    );
}

/// SPEC R5: blame and hindsight wording in English and German, each warning
/// with its own id; plain wording passes.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_tone_check_finds_blame_and_hindsight() {
    let check = |rca: &str| -> Vec<String> {
        content(rca)
            .tone_warnings()
            .into_iter()
            .map(|w| w.id.0)
            .collect()
    };
    assert_eq!(
        check("It was human error. The operator should have checked. Careless, obviously."),
        [
            "s2-human_error-1",
            "s2-should_have-1",
            "s2-careless-1",
            "s2-obviously-1"
        ]
    );
    assert_eq!(
        check("Human error again, and human error once more."),
        ["s2-human_error-1", "s2-human_error-2"]
    );
    assert_eq!(
        check("Es war menschliches Versagen. Der Kollege hätte die Warnung beachten sollen."),
        ["s2-menschliches_versagen-1", "s2-haette_sollen-1"]
    );
    assert_eq!(
        check("Wir hätten den Wechsel früher prüfen müssen. Das war fahrlässig und offensichtlich falsch."),
        ["s2-haetten_muessen-1", "s2-fahrlaessig-1", "s2-offensichtlich-1"]
    );
    // "sollen" in the next sentence does not complete "hätte".
    assert!(check("Wir hätte gern mehr Zeit gehabt. Wir sollen das prüfen.").is_empty());
    assert!(check(
        "The change exhausted the pool. We should add an alert; we have a plan. Die Warnung kam zu spät."
    )
    .is_empty());
    let warning = &content("Obviously wrong.").tone_warnings()[0];
    assert_eq!(warning.section, SectionId(2));
    assert_eq!(warning.excerpt, "Obviously wrong.");
    assert!(!warning.advice.is_empty());
}

/// SPEC V5: the customer version is a view of the same record; composing a
/// draft from the ticket puts the RCA and the plan in front of customers and
/// keeps the timeline and lessons internal.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_customer_view_and_a_composed_draft() {
    let report = content("The pool was exhausted.");
    let view = report.customer_view();
    let titles: Vec<&str> = view.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Impact", "Root cause", "What we are doing"]);
    let body = view.postmortem_body();
    assert!(body.contains("The pool was exhausted."), "{body}");
    assert!(
        body.contains("- We alert on pool saturation by January."),
        "{body}"
    );
    assert!(!body.contains("empty rota slot"), "{body}");

    let rca = Rca {
        root_causes: vec![Cause {
            id: CauseId(1),
            summary: Narrative::parse("Pool size too small for peak").unwrap(),
            class: CauseClass::Capacity,
            evidence: vec![],
        }],
        trigger: Some(Narrative::parse("Black Friday traffic").unwrap()),
        went_wrong: vec![Narrative::parse("The page reached nobody").unwrap()],
        ..Rca::default()
    };
    let composed = ReportContent::compose(
        Title::parse("Checkout outage").unwrap(),
        &ImpactWindow {
            started_at: at(0),
            ended_at: Some(at(2)),
            components: vec![Name::parse("Checkout").unwrap()],
        },
        &[(at(0), Narrative::parse("Alert fired").unwrap())],
        &rca,
        &items(),
    );
    let layout: Vec<(&str, &str, bool)> = composed
        .sections
        .iter()
        .map(|s| (s.title.as_str(), s.content.kind(), s.customer_visible))
        .collect();
    assert_eq!(
        layout,
        [
            ("Impact", "impact", true),
            ("Timeline", "timeline", false),
            ("Root cause", "rca", true),
            ("What we are doing about it", "remediation_plan", true),
            ("Lessons", "free", false),
        ]
    );
    assert_eq!(composed.sections[3].commitments.len(), 2);
    assert!(composed.validate(&items()).is_ok());
}

/// SPEC R5: the approval binds to the content's hash.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_hash_follows_the_content() {
    let a = content("The pool was exhausted.");
    assert_eq!(a.hash(), a.clone().hash());
    assert_eq!(a.hash().as_str().len(), 64);
    let mut b = a.clone();
    b.sections[3].customer_visible = true;
    assert_ne!(a.hash(), b.hash());
    let review = in_management_review(a.clone());
    let approved = approve(&review, vec![], Role::Management, at(4)).unwrap();
    assert_eq!(approved.approval.as_ref().unwrap().content_hash, a.hash());
    // Saving the same content again is no edit and voids nothing.
    let same = approved.edit(a, &items(), Role::Sre, at(5)).unwrap();
    assert!(same.voided_approval.is_none());
    assert!(same.report.is_approved());
}

/// SPEC R1: every P0 gets an incident report.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn p0_needs_a_report() {
    let needing: Vec<Priority> = Priority::ALL
        .into_iter()
        .filter(|p| report_required(*p))
        .collect();
    assert_eq!(needing, [Priority::P0]);
}
