//! [`IncidentReportStore`] on D1: `incident_reports` and
//! `post_incident_reviews` (migration 0011), each write one batch with its
//! audit record, the problem change made with it and the public incident's
//! postmortem, every guarded statement followed by its guard.

use super::{batch_first_changed_one, first_returned, num, parse_err, text, D1Store, IdRow};
use crate::stores::{
    parse_stored, IncidentReportStore, ReportRecord, ReportWrite, Revised, Revision, StoreError,
    StoredPublicIncident,
};
use beacon_shared::incident_report::IncidentReport;
use beacon_shared::post_incident_review::PostIncidentReview;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

#[derive(Deserialize)]
struct ReportRow {
    id: f64,
    problem_id: f64,
    revision: f64,
    body: String,
}

#[derive(Deserialize)]
struct ReviewRow {
    id: f64,
    report_id: f64,
    body: String,
}

#[derive(Deserialize)]
struct PublicIncidentRow {
    doc: String,
    internal_incident_id: Option<f64>,
}

fn body_of<T: serde::Serialize>(value: &T) -> Result<JsValue, StoreError> {
    serde_json::to_string(value)
        .map(|s| text(&s))
        .map_err(parse_err)
}

const GUARD: &str = "INSERT INTO write_guards (changed) VALUES (changes())";

impl D1Store {
    /// Everything after the report's own statement.
    fn report_rest(&self, write: &ReportWrite) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let mut statements = Vec::new();
        let report_id = match write.expected_revision {
            Some(_) => "?1".to_owned(),
            None => "(SELECT max(id) FROM incident_reports)".to_owned(),
        };
        if let Some(problem) = &write.problem {
            let mut problem_statements = self.problem_statements(problem)?;
            let rest = problem_statements.split_off(1);
            statements.extend(problem_statements);
            statements.push(self.statement(GUARD, &[])?);
            statements.extend(rest);
        }
        if let Some(postmortem) = &write.postmortem {
            let doc = serde_json::to_string(&postmortem.incident).map_err(parse_err)?;
            statements.push(self.statement(
                "UPDATE public_incidents SET doc = ?2 WHERE id = ?1 AND doc = ?3",
                &[
                    text(&postmortem.incident.id().to_string()),
                    text(&doc),
                    text(&postmortem.replaces.0),
                ],
            )?);
            statements.push(self.statement(GUARD, &[])?);
        }
        if let Some(review) = &write.review {
            let mut args = vec![num(review.held_at.unix_millis()), body_of(review)?];
            if write.expected_revision.is_some() {
                args.insert(0, num(write.report.id));
            }
            let (held, body) = if write.expected_revision.is_some() {
                ("?2", "?3")
            } else {
                ("?1", "?2")
            };
            statements.push(self.statement(
                &format!(
                    "INSERT INTO post_incident_reviews (report_id, held_at, body) \
                     SELECT {report_id}, {held}, {body}"
                ),
                &args,
            )?);
        }
        statements.push(self.audit_record_statement(write.at, &write.actor, &write.audit)?);
        Ok(statements)
    }
}

impl IncidentReportStore for D1Store {
    async fn write_report(&self, write: &ReportWrite) -> Result<Option<i64>, StoreError> {
        let r = &write.report;
        match write.expected_revision {
            Some(revision) => {
                let mut statements = vec![self.statement(
                    "UPDATE incident_reports SET status = ?2, last_change = ?3, body = ?4, \
                     revision = revision + 1 WHERE id = ?1 AND revision = ?5",
                    &[
                        num(r.id),
                        text(r.status.as_str()),
                        num(r.last_change.unix_millis()),
                        body_of(r)?,
                        num(revision),
                    ],
                )?];
                statements.extend(self.report_rest(write)?);
                Ok(batch_first_changed_one(&self.db, statements)
                    .await?
                    .then_some(r.id))
            }
            None => {
                let mut statements = vec![self.statement(
                    "INSERT INTO incident_reports (problem_id, status, last_change, body) \
                     VALUES (?1, ?2, ?3, ?4)",
                    &[
                        num(r.problem),
                        text(r.status.as_str()),
                        num(r.last_change.unix_millis()),
                        body_of(r)?,
                    ],
                )?];
                statements.extend(self.report_rest(write)?);
                statements.push(self.statement("SELECT max(id) AS id FROM incident_reports", &[])?);
                let last = statements.len() - 1;
                let results = self.batch(statements).await?;
                let id = first_returned::<IdRow>(&results, last)?
                    .map(|row| row.id as i64)
                    .ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))?;
                Ok(Some(id))
            }
        }
    }

    async fn report_of_problem(&self, problem: i64) -> Result<Option<ReportRecord>, StoreError> {
        let row = self
            .first::<ReportRow>(
                "SELECT id, problem_id, revision, body FROM incident_reports WHERE problem_id = ?1",
                &[num(problem)],
            )
            .await?;
        row.map(|row| {
            let mut report: IncidentReport = parse_stored(&row.body)?;
            report.id = row.id as i64;
            report.problem = row.problem_id as i64;
            Ok(ReportRecord {
                report,
                revision: row.revision as i64,
            })
        })
        .transpose()
    }

    async fn reviews_of(&self, report: i64) -> Result<Vec<PostIncidentReview>, StoreError> {
        self.all::<ReviewRow>(
            "SELECT id, report_id, body FROM post_incident_reviews WHERE report_id = ?1 ORDER BY id",
            &[num(report)],
        )
        .await?
        .into_iter()
        .map(|row| {
            let mut review: PostIncidentReview = parse_stored(&row.body)?;
            review.id = row.id as i64;
            review.report = row.report_id as i64;
            Ok(review)
        })
        .collect()
    }

    async fn public_incidents_of(
        &self,
        incidents: &[i64],
    ) -> Result<Vec<StoredPublicIncident>, StoreError> {
        if incidents.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=incidents.len()).map(|i| format!("?{i}")).collect();
        let args: Vec<JsValue> = incidents.iter().map(|&i| num(i)).collect();
        self.all::<PublicIncidentRow>(
            &format!(
                "SELECT doc, internal_incident_id FROM public_incidents \
                 WHERE internal_incident_id IN ({}) ORDER BY created_at, id",
                placeholders.join(", ")
            ),
            &args,
        )
        .await?
        .into_iter()
        .map(|row| {
            Ok(StoredPublicIncident {
                incident: Revised {
                    value: parse_stored(&row.doc)?,
                    revision: Revision(row.doc),
                },
                internal_incident: row.internal_incident_id.map(|i| i as i64),
            })
        })
        .collect()
    }
}
