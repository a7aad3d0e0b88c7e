//! Incident report and post-incident review handlers (SPEC V5, V6, R1, R2,
//! R5, K3), generic over the [`IncidentReportStore`]: the report of a
//! problem, drafted from its incident's timeline, the RCA and the remediation
//! plan, reviewed, approved by management, published as the public
//! incident's postmortem, and the review meeting whose accepted actions
//! become remediation items.
//!
//! Every rule comes from `beacon_shared` (`incident_report`,
//! `post_incident_review`, `clearance`); each change is one [`ReportWrite`]
//! with its audit record, and a refusal stores nothing. A report is read
//! under its problem's clearance: a Security problem's report is "not found"
//! for a reader without clearance and never reaches a public output (K3).

use crate::auth::{require_writer, Actor};
use crate::error::ApiError;
use crate::problems::{clearance_category, refused, visible_problem};
use crate::request_body::decode_json;
use crate::stores::{
    IncidentReportStore, IncidentStore, NewAuditRecord, PostmortemWrite, ProblemRecords,
    ProblemStore, ProblemWrite, ReportRecord, ReportWrite,
};
use beacon_shared::api::post_incident::{
    ApproveRequest, IncidentReportView, NewReview, ReportContentRequest, ReportTransitionRequest,
    ReviewRecorded,
};
use beacon_shared::incident_report::{ImpactWindow, IncidentReport, ReportContent};
use beacon_shared::post_incident_review::PostIncidentReview;
use beacon_shared::rca::Narrative;
use beacon_shared::remediation::RemediationItem;
use beacon_shared::triage::Name;
use beacon_shared::{Priority, Timestamp};
use serde_json::json;

/// `GET /api/problems/{id}/report` answers with the view and the reviews.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReportPage {
    #[serde(rename = "report")]
    pub view: IncidentReportView,
    pub reviews: Vec<PostIncidentReview>,
}

fn subject(problem: i64) -> String {
    format!("problem/{problem}/report")
}

fn changed_meanwhile() -> ApiError {
    ApiError::Conflict {
        field: None,
        message: "the incident report changed while this request was made; reload and try again"
            .into(),
    }
}

/// Whether a problem's report may reach a public output: never for a
/// Security problem (SPEC K3).
fn publishable(records: &ProblemRecords) -> bool {
    !clearance_category(&records.record).is_some_and(|c| c.is_security())
}

/// A published report and the public incident whose postmortem it became,
/// whose outputs are to be rendered again.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedReport {
    pub page: ReportPage,
    pub public_incident: Option<String>,
}

/// The report of a problem the actor may see, else 404 (K3).
async fn visible_report<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
) -> Result<(ProblemRecords, ReportRecord), ApiError> {
    let records = visible_problem(store, actor, problem).await?;
    let report = store
        .report_of_problem(problem)
        .await?
        .ok_or(ApiError::NotFound {
            what: "incident report",
        })?;
    Ok((records, report))
}

async fn page<S: IncidentReportStore>(
    store: &S,
    report: IncidentReport,
) -> Result<ReportPage, ApiError> {
    Ok(ReportPage {
        reviews: store.reviews_of(report.id).await?,
        view: IncidentReportView::of(report),
    })
}

/// Writes `write`; a lost guard is 409.
async fn write<S: IncidentReportStore>(store: &S, write: &ReportWrite) -> Result<i64, ApiError> {
    store
        .write_report(write)
        .await?
        .ok_or_else(changed_meanwhile)
}

fn report_write(
    record: Option<&ReportRecord>,
    report: IncidentReport,
    audit: NewAuditRecord,
    actor: &Actor,
    at: Timestamp,
) -> ReportWrite {
    ReportWrite {
        expected_revision: record.map(|r| r.revision),
        report,
        review: None,
        problem: None,
        postmortem: None,
        audit,
        actor: actor.clone(),
        at,
    }
}

fn audit(
    action: &str,
    problem: i64,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> NewAuditRecord {
    NewAuditRecord {
        action: action.into(),
        subject: subject(problem),
        before,
        after: Some(after),
    }
}

/// The incident a report is about: the problem's most urgent linked
/// incident (its P0/P1), the first linked on a tie.
fn reported_incident(records: &ProblemRecords) -> Option<(i64, Priority)> {
    records
        .record
        .problem
        .incidents
        .iter()
        .min_by_key(|link| link.priority)
        .map(|link| (link.incident, link.priority))
}

/// The first draft from the ticket (SPEC V5): the impact window of the
/// reported incident, its timeline, the RCA and the remediation plan.
async fn composed<S: IncidentStore>(
    store: &S,
    records: &ProblemRecords,
) -> Result<ReportContent, ApiError> {
    let problem = &records.record.problem;
    let mut impact = ImpactWindow {
        started_at: problem.opened_at,
        ended_at: None,
        components: Vec::new(),
    };
    let mut timeline = Vec::new();
    if let Some((id, _)) = reported_incident(records) {
        if let Some(incident) = store.get_incident(id).await? {
            impact.started_at = incident.created_at;
            impact.components = incident
                .state
                .category
                .iter()
                .filter_map(|c| Name::parse(c.as_str()).ok())
                .collect();
            let entries = store.timeline(id).await?;
            if !incident.state.status.awaits_response() {
                impact.ended_at = entries.last().map(|e| e.at);
            }
            timeline = entries
                .iter()
                .filter_map(|entry| {
                    let what = entry.event.kind().replace('_', " ");
                    Narrative::parse(&format!("{what} ({})", entry.actor))
                        .ok()
                        .map(|text| (entry.at, text))
                })
                .collect();
        }
    }
    Ok(ReportContent::compose(
        problem.title.clone(),
        &impact,
        &timeline,
        &records.rca,
        &records.items,
    ))
}

/// `POST /api/problems/{id}/report`: drafts the problem's incident report
/// (SPEC V5, R1), from `{"content": ...}` or, with an empty body, composed
/// from the ticket. A second report of one problem is 409.
pub async fn draft_report<S: ProblemStore + IncidentStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ReportPage, ApiError> {
    require_writer(actor)?;
    let records = visible_problem(store, actor, problem).await?;
    let given = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(decode_json::<ReportContentRequest>(body)?.content)
    };
    if store.report_of_problem(problem).await?.is_some() {
        return Err(ApiError::Conflict {
            field: None,
            message: "this problem has an incident report already; edit it".into(),
        });
    }
    let content = match given {
        Some(content) => content,
        None => composed(store, &records).await?,
    };
    let report = IncidentReport::draft(0, problem, content, &records.items, actor.role, now)
        .map_err(refused)?;
    let audit = audit("report.create", problem, None, json!(report));
    let change = report_write(None, report, audit, actor, now);
    store.write_report(&change).await.map_err(|err| match err {
        crate::stores::StoreError::UniqueViolation(_) => ApiError::Conflict {
            field: None,
            message: "this problem has an incident report already; edit it".into(),
        },
        other => other.into(),
    })?;
    let (_, record) = visible_report(store, actor, problem).await?;
    page(store, record.report).await
}

/// `GET /api/problems/{id}/report`: the report with its tone warnings,
/// approval state, customer preview, published version and reviews.
pub async fn get_report<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
) -> Result<ReportPage, ApiError> {
    let (_, record) = visible_report(store, actor, problem).await?;
    page(store, record.report).await
}

async fn load_for_change<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
) -> Result<(ProblemRecords, ReportRecord), ApiError> {
    require_writer(actor)?;
    visible_report(store, actor, problem).await
}

/// `PUT /api/problems/{id}/report`: new content (SPEC V5, R5); an edit after
/// approval voids the approval, and the audit record names it.
pub async fn edit_report<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ReportPage, ApiError> {
    let (records, record) = load_for_change(store, actor, problem).await?;
    let request: ReportContentRequest = decode_json(body)?;
    let before = &record.report;
    let at = now.max(before.last_change);
    let edit = before
        .edit(request.content, &records.items, actor.role, at)
        .map_err(refused)?;
    if edit.report == *before {
        return page(store, edit.report).await;
    }
    let audit = audit(
        "report.edit",
        problem,
        Some(json!(before)),
        json!({ "report": edit.report, "voided_approval": edit.voided_approval }),
    );
    let change = report_write(Some(&record), edit.report.clone(), audit, actor, at);
    write(store, &change).await?;
    page(store, edit.report).await
}

/// `POST /api/problems/{id}/report/transitions`: submit for engineering or
/// management review, or return to draft (SPEC V5).
pub async fn transition_report<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ReportPage, ApiError> {
    let (_, record) = load_for_change(store, actor, problem).await?;
    let request: ReportTransitionRequest = decode_json(body)?;
    let before = &record.report;
    let at = now.max(before.last_change);
    let after = before
        .transition(request.action, actor.role, at)
        .map_err(refused)?;
    let audit = audit(
        "report.transition",
        problem,
        Some(json!(before)),
        json!(after),
    );
    write(
        store,
        &report_write(Some(&record), after.clone(), audit, actor, at),
    )
    .await?;
    page(store, after).await
}

/// `POST /api/problems/{id}/report/approve`: management approves the
/// reviewed version (SPEC R5): checklist ticked, every tone warning
/// acknowledged, every customer-visible commitment linked to a remediation
/// item. Anyone else is 403.
pub async fn approve_report<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ReportPage, ApiError> {
    let (records, record) = visible_report(store, actor, problem).await?;
    let request: ApproveRequest = decode_json(body)?;
    let approver =
        Name::parse(&actor.name).map_err(|err| ApiError::invalid("approver", err.to_string()))?;
    let before = &record.report;
    let at = now.max(before.last_change);
    let after = before
        .approve(&request, &approver, actor.role, &records.items, at)
        .map_err(refused)?;
    let audit = audit("report.approve", problem, Some(json!(before)), json!(after));
    write(
        store,
        &report_write(Some(&record), after.clone(), audit, actor, at),
    )
    .await?;
    page(store, after).await
}

/// `POST /api/problems/{id}/report/publish`: the approved report becomes the
/// postmortem of the public incidents published from the problem's
/// incidents, in the same write (SPEC R5). Unapproved: 409, nothing stored.
/// A Security problem's report is published internally only (K3).
pub async fn publish_report<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
    now: Timestamp,
) -> Result<PublishedReport, ApiError> {
    let (records, record) = visible_report(store, actor, problem).await?;
    let before = &record.report;
    let at = now.max(before.last_change);
    let after = before.publish(actor.role, at).map_err(refused)?;
    let body = after
        .customer_view()
        .map(|view| view.postmortem_body())
        .ok_or_else(|| ApiError::Conflict {
            field: None,
            message: "the report has no published version".into(),
        })?;
    let mut postmortem = None;
    if publishable(&records) {
        let incidents: Vec<i64> = records
            .record
            .problem
            .incidents
            .iter()
            .map(|link| link.incident)
            .collect();
        let public = store.public_incidents_of(&incidents).await?;
        if let Some(stored) = public.into_iter().next() {
            let mut incident = stored.incident.value;
            incident.publish_postmortem(body, at);
            postmortem = Some(PostmortemWrite {
                incident,
                replaces: stored.incident.revision,
            });
        }
    }
    let audit = audit(
        "report.publish",
        problem,
        Some(json!(before)),
        json!({
            "report": after,
            "public_incident": postmortem.as_ref().map(|p| p.incident.id().to_string()),
        }),
    );
    let public_incident = postmortem.as_ref().map(|p| p.incident.id().to_string());
    let mut change = report_write(Some(&record), after.clone(), audit, actor, at);
    change.postmortem = postmortem;
    write(store, &change).await?;
    Ok(PublishedReport {
        page: page(store, after).await?,
        public_incident,
    })
}

/// `POST /api/problems/{id}/reviews`: the post-mortem review of the problem's
/// report (SPEC V6, R2); its accepted actions become remediation items in the
/// same write.
pub async fn record_review<S: ProblemStore + IncidentReportStore>(
    store: &S,
    actor: &Actor,
    problem: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ReviewRecorded, ApiError> {
    let (records, record) = load_for_change(store, actor, problem).await?;
    let request: NewReview = decode_json(body)?;
    let (review, accepted) = request
        .record(0, record.report.id, problem, &records.rca, actor.role, now)
        .map_err(refused)?;
    let mut items = Vec::with_capacity(accepted.len());
    for new in accepted {
        items.push(RemediationItem::new(0, problem, new, None, now).map_err(refused)?);
    }
    let review_audit = audit(
        "report.review",
        problem,
        None,
        json!({ "review": review, "items": items }),
    );
    let mut problem_change = ProblemWrite::of(
        Some(records.record.version),
        records.record.problem.clone(),
        NewAuditRecord {
            action: "remediation.create".into(),
            subject: format!("problem/{problem}"),
            before: None,
            after: Some(json!({ "from_review": true, "items": items })),
        },
        actor,
        now,
    );
    problem_change.new_items = items;
    let mut change = report_write(
        Some(&record),
        record.report.clone(),
        review_audit,
        actor,
        now,
    );
    change.review = Some(review);
    change.problem = Some(problem_change);
    write(store, &change).await?;
    let review = store
        .reviews_of(record.report.id)
        .await?
        .pop()
        .ok_or(ApiError::NotFound { what: "review" })?;
    let before: Vec<i64> = records.items.iter().map(|i| i.id).collect();
    let items = store
        .get_problem(problem)
        .await?
        .map(|r| r.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|item| !before.contains(&item.id))
        .collect();
    Ok(ReviewRecorded { review, items })
}

#[cfg(test)]
mod tests;
