//! The review meeting (SPEC Q5, K3): `GET /api/review` is the page of a
//! period, assembled by `shared::review::assemble_review` from the report
//! rows, the problems with their remediation items and the incident reports
//! awaiting approval; `POST /api/review/snapshots` saves it as an immutable
//! snapshot with the meeting's minutes and decisions, sealed by SHA-256;
//! `GET /api/review/snapshots[/{id}]` lists and reads them. A snapshot is
//! never changed: any other method on it is 405, and D1 refuses an UPDATE or
//! DELETE (migration 0016).
//!
//! A snapshot holds two versions, both assembled when it is saved: one for
//! readers cleared for Security, and one in which Security is only counted
//! (what a team's channel may read). [`clearance`] decides which a reader gets.
//!
//! Query of `GET /api/review`: `period` (day, week, month, quarter; default
//! month), `date` (`YYYY-MM-DD`, a day in the period; default the last
//! complete period), `root_cause_days` (default 14).

use crate::auth::{require_role, Actor};
use crate::error::ApiError;
use crate::problems::{clearance_category, refused};
use crate::reports::load_report_tickets;
use crate::request_body::decode_json;
use crate::stores::{
    NewAuditRecord, NewSnapshotRecord, ProblemStore, ReportStore, ReviewStore, SealedContent,
    SnapshotRecord, StoreError,
};
use beacon_shared::clearance::{clearance, Reader};
use beacon_shared::incident_report::ReportStatus;
use beacon_shared::problem::ProblemStatus;
use beacon_shared::report::{redact_for, PeriodKind, ReportTicket};
use beacon_shared::review::{
    assemble_review, parse_review_date, review_period, NewReviewSnapshot, ReviewInput, ReviewPage,
    ReviewProblem, ReviewRemediation, ReviewReport, ReviewSnapshotContent, ReviewSnapshotSummary,
    ReviewSnapshotView, DEFAULT_ROOT_CAUSE_DAYS, MAX_ROOT_CAUSE_DAYS,
};
use beacon_shared::role::Role;
use beacon_shared::service_level::Period;
use beacon_shared::{Category, Timestamp};

/// The reader a snapshot's restricted version is written for: a team's
/// channel, which is never cleared for Security (SPEC K3).
const UNCLEARED: Reader<'static> = Reader::Team("review meeting");

/// A review request, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewQuery {
    pub kind: PeriodKind,
    pub period: Period,
    pub root_cause_days: u32,
}

/// Parses the query of `GET /api/review`; a bad parameter is 422 naming it.
pub fn parse_review_query(query: &str, now: Timestamp) -> Result<ReviewQuery, ApiError> {
    let mut kind = PeriodKind::Month;
    let mut date = None;
    let mut root_cause_days = DEFAULT_ROOT_CAUSE_DAYS;
    for (name, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let value = value.trim();
        match name.as_ref() {
            "period" => {
                kind = PeriodKind::parse(value).ok_or_else(|| {
                    ApiError::invalid("period", "must be day, week, month or quarter")
                })?
            }
            "date" => date = Some(parse_review_date(value).map_err(refused)?),
            "root_cause_days" => {
                root_cause_days = value
                    .parse::<u32>()
                    .ok()
                    .filter(|d| (1..=MAX_ROOT_CAUSE_DAYS).contains(d))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "root_cause_days",
                            format!("must be 1 to {MAX_ROOT_CAUSE_DAYS} days"),
                        )
                    })?
            }
            other => {
                return Err(ApiError::invalid(
                    other.to_owned(),
                    "unknown parameter; use period, date or root_cause_days",
                ))
            }
        }
    }
    Ok(ReviewQuery {
        kind,
        period: review_period(kind, date, now),
        root_cause_days,
    })
}

/// What the review of a period reads, before clearance.
struct ReviewData {
    tickets: Vec<ReportTicket>,
    problems: Vec<ReviewProblem>,
    reports: Vec<ReviewReport>,
    remediation: Vec<ReviewRemediation>,
}

async fn review_data<S: ReportStore + ProblemStore + ReviewStore>(
    store: &S,
    query: &ReviewQuery,
    now: Timestamp,
) -> Result<ReviewData, ApiError> {
    let previous = query.kind.previous(query.period);
    let span = Period::new(previous.from(), query.period.to())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let tickets = load_report_tickets(store, span).await?;
    let root_cause_limit = i64::from(query.root_cause_days) * 86_400_000;
    let mut problems = Vec::new();
    let mut remediation = Vec::new();
    let mut categories = std::collections::BTreeMap::new();
    for (record, items) in store.list_problems().await? {
        let problem = &record.problem;
        let category = clearance_category(&record);
        categories.insert(problem.id, category.clone());
        let investigating = matches!(
            problem.status,
            ProblemStatus::New | ProblemStatus::Investigating
        );
        // The RCA is read only for the problems the section could list.
        let has_root_cause = if investigating
            && problem.status.is_open()
            && now.millis_since(problem.opened_at) > root_cause_limit
        {
            store
                .get_problem(problem.id)
                .await?
                .is_some_and(|records| !records.rca.root_causes.is_empty())
        } else {
            !investigating
        };
        problems.push(ReviewProblem {
            id: problem.id,
            title: problem.title.to_string(),
            priority: problem.priority,
            open: problem.status.is_open(),
            opened_at: problem.opened_at,
            has_root_cause,
            owner: problem.owner.as_ref().map(|o| o.to_string()),
            category: category.clone(),
        });
        remediation.extend(items.iter().map(|item| ReviewRemediation {
            id: item.id,
            problem: item.problem,
            title: item.title.to_string(),
            owner: item.owner.name().to_string(),
            due_at: item.due_at,
            pending: item.status.is_pending(),
            category: category.clone(),
        }));
    }
    let reports = store
        .reports_in_status(&[ReportStatus::ManagementReview])
        .await?
        .into_iter()
        .map(|record| ReviewReport {
            problem: record.report.problem,
            title: record.report.content.title.to_string(),
            since: record.report.last_change,
            // A report whose problem is gone from the list is read as Security.
            category: categories
                .get(&record.report.problem)
                .cloned()
                .unwrap_or_else(|| Some(Category::security())),
        })
        .collect();
    Ok(ReviewData {
        tickets,
        problems,
        reports,
        remediation,
    })
}

fn page_for(
    reader: Reader<'_>,
    data: &ReviewData,
    query: &ReviewQuery,
    now: Timestamp,
) -> ReviewPage {
    let tickets = redact_for(reader, data.tickets.clone());
    assemble_review(
        reader,
        &ReviewInput {
            kind: query.kind,
            period: query.period,
            now,
            tickets: &tickets,
            problems: &data.problems,
            reports: &data.reports,
            remediation: &data.remediation,
            root_cause_days: query.root_cause_days,
        },
    )
}

/// `GET /api/review`: the review page of a period for every report reader.
pub async fn review<S: ReportStore + ProblemStore + ReviewStore>(
    store: &S,
    actor: &Actor,
    query: &str,
    now: Timestamp,
) -> Result<ReviewPage, ApiError> {
    require_role(actor, Role::may_read_reports, "read the review")?;
    let query = parse_review_query(query, now)?;
    let data = review_data(store, &query, now).await?;
    Ok(page_for(Reader::Person(actor.role), &data, &query, now))
}

fn seal(content: &ReviewSnapshotContent) -> Result<SealedContent, ApiError> {
    let (text, sha256) = content
        .sealed()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(SealedContent { text, sha256 })
}

/// Whether `actor` reads a snapshot's full version (SPEC K3).
fn reads_full(actor: &Actor) -> bool {
    clearance(Reader::Person(actor.role), Some(&Category::security())).is_full()
}

/// The version of `record` for `actor`, its text checked against its hash.
fn view_of(actor: &Actor, record: &SnapshotRecord) -> Result<ReviewSnapshotView, ApiError> {
    let sealed = if reads_full(actor) {
        &record.full
    } else {
        &record.restricted
    };
    if beacon_shared::review::sha256_hex(&sealed.text) != sealed.sha256 {
        return Err(StoreError::corrupt(format!(
            "review snapshot {} does not match its SHA-256",
            record.id
        ))
        .into());
    }
    Ok(ReviewSnapshotView {
        id: record.id,
        kind: record.kind,
        sha256: sealed.sha256.clone(),
        content: crate::stores::parse_stored(&sealed.text)?,
    })
}

/// `POST /api/review/snapshots` (management, incident commanders, admins):
/// assembles the review of the period now, in both versions, seals each with
/// its SHA-256 and stores them with the minutes and decisions and the audit
/// record. Answers the version the saver may read (201).
pub async fn save_snapshot<S: ReportStore + ProblemStore + ReviewStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<ReviewSnapshotView, ApiError> {
    require_role(actor, Role::may_record_review, "save a review snapshot")?;
    let request: NewReviewSnapshot = decode_json(body)?;
    let request = request.validate().map_err(refused)?;
    let date = request
        .date
        .as_deref()
        .map(parse_review_date)
        .transpose()
        .map_err(refused)?;
    let query = ReviewQuery {
        kind: request.period,
        period: review_period(request.period, date, now),
        root_cause_days: request.root_cause_days.unwrap_or(DEFAULT_ROOT_CAUSE_DAYS),
    };
    let data = review_data(store, &query, now).await?;
    let content = |reader: Reader<'_>| ReviewSnapshotContent {
        page: page_for(reader, &data, &query, now),
        minutes: request.minutes.clone(),
        decisions: request.decisions.clone(),
        saved_by: actor.name.clone(),
        saved_at: now,
    };
    let full = seal(&content(Reader::Management))?;
    let restricted = seal(&content(UNCLEARED))?;
    let audit = NewAuditRecord {
        action: "review.snapshot".to_owned(),
        subject: format!(
            "review/{}/{}",
            query.kind.as_str(),
            query.period.from().date()
        ),
        before: None,
        after: Some(serde_json::json!({
            "full_sha256": full.sha256,
            "restricted_sha256": restricted.sha256,
        })),
    };
    let id = store
        .insert_snapshot(&NewSnapshotRecord {
            kind: query.kind,
            period: query.period,
            saved_at: now,
            actor: actor.clone(),
            full: full.clone(),
            restricted: restricted.clone(),
            audit,
        })
        .await?;
    view_of(
        actor,
        &SnapshotRecord {
            id,
            kind: query.kind,
            period: query.period,
            saved_by: actor.name.clone(),
            saved_at: now,
            full,
            restricted,
        },
    )
}

/// `GET /api/review/snapshots`: every snapshot, newest first, for report readers.
pub async fn list_snapshots<S: ReviewStore>(
    store: &S,
    actor: &Actor,
) -> Result<Vec<ReviewSnapshotSummary>, ApiError> {
    require_role(actor, Role::may_read_reports, "read review snapshots")?;
    let full = reads_full(actor);
    Ok(store
        .snapshots()
        .await?
        .into_iter()
        .map(|record| ReviewSnapshotSummary {
            id: record.id,
            kind: record.kind,
            period: record.period,
            saved_by: record.saved_by,
            saved_at: record.saved_at,
            sha256: if full {
                record.full.sha256
            } else {
                record.restricted.sha256
            },
        })
        .collect())
}

/// `GET /api/review/snapshots/{id}`: the version the reader may see.
pub async fn get_snapshot<S: ReviewStore>(
    store: &S,
    actor: &Actor,
    id: i64,
) -> Result<ReviewSnapshotView, ApiError> {
    require_role(actor, Role::may_read_reports, "read review snapshots")?;
    let record = store.snapshot(id).await?.ok_or(ApiError::NotFound {
        what: "review snapshot",
    })?;
    view_of(actor, &record)
}

#[cfg(test)]
mod tests;
