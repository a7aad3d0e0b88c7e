//! [`ProblemStore`] in memory.

use super::MemoryStore;
use crate::stores::{
    signature_key, ProblemRecord, ProblemRecords, ProblemStore, ProblemWrite, StoreError,
};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::problem::Problem;
use beacon_shared::rca::Rca;
use beacon_shared::remediation::RemediationItem;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::vendor_rca::VendorRca;
use beacon_shared::Priority;

/// The problem tables.
#[derive(Default)]
pub(crate) struct ProblemTables {
    /// Each problem with its version and auto origin.
    problems: Vec<(Problem, i64, Option<i64>)>,
    rcas: Vec<(i64, Rca)>,
    items: Vec<RemediationItem>,
    vendor_rcas: Vec<VendorRca>,
}

impl MemoryStore {
    /// Whether any problem has a recurrence signature (D1: a row in `problem_signatures`).
    pub(super) fn has_problem_signatures(&self) -> bool {
        self.problems
            .borrow()
            .problems
            .iter()
            .any(|(p, _, _)| !p.signatures.is_empty())
    }

    fn problem_record(&self, problem: &Problem, version: i64) -> ProblemRecord {
        let incidents = self.incidents.borrow();
        let linked_security = problem.incidents.iter().any(|link| {
            incidents.iter().any(|i| {
                i.id == link.incident && i.state.category.as_ref().is_some_and(|c| c.is_security())
            })
        });
        ProblemRecord {
            problem: problem.clone(),
            version,
            linked_security,
        }
    }

    /// How many problems, remediation items and vendor RCAs are stored.
    pub fn problem_counts(&self) -> (usize, usize, usize) {
        let tables = self.problems.borrow();
        (
            tables.problems.len(),
            tables.items.len(),
            tables.vendor_rcas.len(),
        )
    }
}

impl ProblemStore for MemoryStore {
    async fn write_problem(&self, write: &ProblemWrite) -> Result<Option<i64>, StoreError> {
        self.check()?;
        if let Some(queued) = &write.notifications {
            if self.key_claimed(&queued.key) {
                return Err(StoreError::UniqueViolation("escalation_actions.key".into()));
            }
        }
        let id = {
            let mut tables = self.problems.borrow_mut();
            let id = match write.expected_version {
                None => {
                    if let Some(origin) = write.auto_origin {
                        if tables.problems.iter().any(|(_, _, o)| *o == Some(origin)) {
                            return Err(StoreError::UniqueViolation("problems.auto_origin".into()));
                        }
                    }
                    let id = tables.problems.len() as i64 + 1;
                    let mut problem = write.problem.clone();
                    problem.id = id;
                    tables.problems.push((problem, 1, write.auto_origin));
                    id
                }
                Some(expected) => {
                    let Some(stored) = tables
                        .problems
                        .iter_mut()
                        .find(|(p, v, _)| p.id == write.problem.id && *v == expected)
                    else {
                        return Ok(None);
                    };
                    stored.0 = write.problem.clone();
                    stored.1 += 1;
                    write.problem.id
                }
            };
            if let Some(rca) = &write.rca {
                tables.rcas.retain(|(p, _)| *p != id);
                tables.rcas.push((id, rca.clone()));
            }
            let vendor_rca = write.vendor_rca.as_ref().map(|rca| {
                let mut rca = rca.clone();
                rca.id = tables.vendor_rcas.len() as i64 + 1;
                rca.problem = id;
                tables.vendor_rcas.push(rca.clone());
                rca.id
            });
            for item in &write.new_items {
                let mut item = item.clone();
                item.id = tables.items.len() as i64 + 1;
                item.problem = id;
                item.vendor_rca = vendor_rca.or(item.vendor_rca);
                tables.items.push(item);
            }
            for changed in &write.changed_items {
                if let Some(item) = tables.items.iter_mut().find(|i| i.id == changed.id) {
                    *item = changed.clone();
                }
            }
            id
        };
        for (incident, event) in &write.incident_timeline {
            let mut event = event.clone();
            if let TimelineEvent::LinkedToProblem(note) = &mut event {
                note.problem = id;
            }
            self.push_timeline(*incident, write.at, &write.actor, event);
        }
        if let Some(queued) = &write.notifications {
            self.queue_under_key(
                &queued.key,
                queued.incident,
                write.at,
                &queued.notifications,
            )?;
        }
        let mut audit = write.audit.clone();
        if write.expected_version.is_none() {
            audit.subject = format!("problem/{id}");
        }
        self.push_audit_record(write.at, &write.actor, &audit);
        Ok(Some(id))
    }

    async fn list_problems(
        &self,
    ) -> Result<Vec<(ProblemRecord, Vec<RemediationItem>)>, StoreError> {
        self.check()?;
        let tables = self.problems.borrow();
        Ok(tables
            .problems
            .iter()
            .rev()
            .map(|(p, v, _)| {
                let items = tables
                    .items
                    .iter()
                    .filter(|i| i.problem == p.id)
                    .cloned()
                    .collect();
                (self.problem_record(p, *v), items)
            })
            .collect())
    }

    async fn get_problem(&self, id: i64) -> Result<Option<ProblemRecords>, StoreError> {
        self.check()?;
        let tables = self.problems.borrow();
        Ok(tables
            .problems
            .iter()
            .find(|(p, _, _)| p.id == id)
            .map(|(p, v, _)| ProblemRecords {
                record: self.problem_record(p, *v),
                rca: tables
                    .rcas
                    .iter()
                    .find(|(problem, _)| *problem == id)
                    .map(|(_, rca)| rca.clone())
                    .unwrap_or_default(),
                items: tables
                    .items
                    .iter()
                    .filter(|i| i.problem == id)
                    .cloned()
                    .collect(),
                vendor_rcas: tables
                    .vendor_rcas
                    .iter()
                    .filter(|r| r.problem == id)
                    .cloned()
                    .collect(),
            }))
    }

    async fn problems_of_incident(&self, incident: i64) -> Result<Vec<ProblemRecord>, StoreError> {
        self.check()?;
        let tables = self.problems.borrow();
        Ok(tables
            .problems
            .iter()
            .filter(|(p, _, _)| p.links(incident))
            .map(|(p, v, _)| self.problem_record(p, *v))
            .collect())
    }

    async fn problems_with_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(ProblemRecord, Vec<RemediationItem>)>, StoreError> {
        self.check()?;
        let tables = self.problems.borrow();
        Ok(tables
            .problems
            .iter()
            .filter(|(p, _, _)| {
                p.signatures
                    .iter()
                    .any(|s| keys.contains(&signature_key(s)))
            })
            .map(|(p, v, _)| {
                let items = tables
                    .items
                    .iter()
                    .filter(|i| i.problem == p.id)
                    .cloned()
                    .collect();
                (self.problem_record(p, *v), items)
            })
            .collect())
    }

    async fn claimed_keys(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        self.check()?;
        Ok(keys
            .iter()
            .filter(|key| self.key_claimed(key))
            .cloned()
            .collect())
    }

    async fn remediation_item(&self, id: i64) -> Result<Option<RemediationItem>, StoreError> {
        self.check()?;
        Ok(self
            .problems
            .borrow()
            .items
            .iter()
            .find(|i| i.id == id)
            .cloned())
    }

    async fn incidents_without_problem(
        &self,
        priorities: &[Priority],
        statuses: &[IncidentStatus],
        limit: u32,
    ) -> Result<Vec<i64>, StoreError> {
        self.check()?;
        let tables = self.problems.borrow();
        let mut found: Vec<(beacon_shared::Timestamp, i64)> = self
            .incidents
            .borrow()
            .iter()
            .filter(|i| {
                priorities.contains(&i.state.priority) && statuses.contains(&i.state.status)
            })
            .filter(|i| !tables.problems.iter().any(|(p, _, _)| p.links(i.id)))
            .map(|i| (i.created_at, i.id))
            .collect();
        found.sort();
        Ok(found
            .into_iter()
            .take(limit as usize)
            .map(|(_, id)| id)
            .collect())
    }
}
