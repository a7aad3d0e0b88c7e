//! [`IncidentReportStore`] in memory.

use super::MemoryStore;
use crate::stores::{
    IncidentReportStore, ProblemStore, ReportRecord, ReportWrite, Revised, Revision, StoreError,
    StoredPublicIncident,
};
use beacon_shared::incident_report::IncidentReport;
use beacon_shared::post_incident_review::PostIncidentReview;

/// The report tables.
#[derive(Default)]
pub(crate) struct ReportTables {
    /// Each report with its revision.
    pub(super) reports: Vec<(IncidentReport, i64)>,
    reviews: Vec<PostIncidentReview>,
}

fn revision<T: serde::Serialize>(value: &T) -> Result<Revision, StoreError> {
    serde_json::to_string(value)
        .map(Revision)
        .map_err(StoreError::corrupt)
}

impl MemoryStore {
    /// How many reports and reviews are stored.
    pub fn report_counts(&self) -> (usize, usize) {
        let tables = self.reports.borrow();
        (tables.reports.len(), tables.reviews.len())
    }
}

impl IncidentReportStore for MemoryStore {
    async fn write_report(&self, write: &ReportWrite) -> Result<Option<i64>, StoreError> {
        self.check()?;
        {
            let tables = self.reports.borrow();
            let stored = tables
                .reports
                .iter()
                .find(|(r, _)| r.problem == write.report.problem);
            match (write.expected_revision, stored) {
                (None, Some(_)) => {
                    return Err(StoreError::UniqueViolation(
                        "incident_reports.problem_id".into(),
                    ))
                }
                (Some(expected), Some((_, revision))) if *revision != expected => return Ok(None),
                (Some(_), None) => return Ok(None),
                _ => {}
            }
        }
        if let Some(postmortem) = &write.postmortem {
            let page = self.status_page.borrow();
            let stored = page
                .incidents
                .iter()
                .find(|(i, _)| i.id() == postmortem.incident.id());
            match stored {
                Some((incident, _)) if revision(incident)? == postmortem.replaces => {}
                _ => return Ok(None),
            }
        }
        if let Some(problem) = &write.problem {
            if self.write_problem(problem).await?.is_none() {
                return Ok(None);
            }
        }
        let id = {
            let mut tables = self.reports.borrow_mut();
            let id = match write.expected_revision {
                None => {
                    let id = tables.reports.len() as i64 + 1;
                    let mut report = write.report.clone();
                    report.id = id;
                    tables.reports.push((report, 1));
                    id
                }
                Some(_) => {
                    let stored = tables
                        .reports
                        .iter_mut()
                        .find(|(r, _)| r.problem == write.report.problem)
                        .expect("checked above");
                    stored.0 = write.report.clone();
                    stored.1 += 1;
                    write.report.id
                }
            };
            if let Some(review) = &write.review {
                let mut review = review.clone();
                review.id = tables.reviews.len() as i64 + 1;
                review.report = id;
                tables.reviews.push(review);
            }
            id
        };
        if let Some(postmortem) = &write.postmortem {
            let mut page = self.status_page.borrow_mut();
            if let Some(stored) = page
                .incidents
                .iter_mut()
                .find(|(i, _)| i.id() == postmortem.incident.id())
            {
                stored.0 = postmortem.incident.clone();
            }
        }
        self.push_audit_record(write.at, &write.actor, &write.audit);
        Ok(Some(id))
    }

    async fn report_of_problem(&self, problem: i64) -> Result<Option<ReportRecord>, StoreError> {
        self.check()?;
        Ok(self
            .reports
            .borrow()
            .reports
            .iter()
            .find(|(r, _)| r.problem == problem)
            .map(|(report, revision)| ReportRecord {
                report: report.clone(),
                revision: *revision,
            }))
    }

    async fn reviews_of(&self, report: i64) -> Result<Vec<PostIncidentReview>, StoreError> {
        self.check()?;
        Ok(self
            .reports
            .borrow()
            .reviews
            .iter()
            .filter(|r| r.report == report)
            .cloned()
            .collect())
    }

    async fn public_incidents_of(
        &self,
        incidents: &[i64],
    ) -> Result<Vec<StoredPublicIncident>, StoreError> {
        self.check()?;
        self.status_page
            .borrow()
            .incidents
            .iter()
            .filter(|(_, ticket)| ticket.is_some_and(|t| incidents.contains(&t)))
            .map(|(incident, ticket)| {
                Ok(StoredPublicIncident {
                    incident: Revised {
                        value: incident.clone(),
                        revision: revision(incident)?,
                    },
                    internal_incident: *ticket,
                })
            })
            .collect()
    }
}
