//! [`ProblemStore`] on D1: `problems`, `problem_incidents`,
//! `problem_signatures`, `problem_rcas`, `vendor_rcas` and
//! `remediation_items` (migration 0009), each write one batch with its
//! timeline entries, outbox rows and audit record.

use super::{batch_first_changed_one, first_returned, json_text, num, text, D1Store, IdRow};
use crate::stores::{
    parse_stored, signature_key, ProblemRecord, ProblemRecords, ProblemStore, ProblemWrite,
    StoreError,
};
use beacon_shared::category::Category;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::problem::Problem;
use beacon_shared::rca::Rca;
use beacon_shared::remediation::RemediationItem;
use beacon_shared::vendor_rca::VendorRca;
use beacon_shared::Priority;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

/// The columns of a problem row, with whether it links a Security incident (?1).
const PROBLEM_COLUMNS: &str =
    "p.id, p.version, p.body, EXISTS (SELECT 1 FROM problem_incidents pi \
     JOIN incidents i ON i.id = pi.incident_id WHERE pi.problem_id = p.id \
     AND i.category = ?1 COLLATE NOCASE) AS linked_security";

#[derive(Deserialize)]
struct ProblemRow {
    id: f64,
    version: f64,
    body: String,
    linked_security: f64,
}

impl TryFrom<ProblemRow> for ProblemRecord {
    type Error = StoreError;
    fn try_from(row: ProblemRow) -> Result<Self, StoreError> {
        let mut problem: Problem = parse_stored(&row.body)?;
        problem.id = row.id as i64;
        Ok(ProblemRecord {
            problem,
            version: row.version as i64,
            linked_security: row.linked_security != 0.0,
        })
    }
}

#[derive(Deserialize)]
struct ItemRow {
    id: f64,
    problem_id: f64,
    vendor_rca_id: Option<f64>,
    body: String,
}

impl TryFrom<ItemRow> for RemediationItem {
    type Error = StoreError;
    fn try_from(row: ItemRow) -> Result<Self, StoreError> {
        let mut item: RemediationItem = parse_stored(&row.body)?;
        item.id = row.id as i64;
        item.problem = row.problem_id as i64;
        item.vendor_rca = row.vendor_rca_id.map(|id| id as i64);
        Ok(item)
    }
}

#[derive(Deserialize)]
struct KeyRow {
    key: String,
}

#[derive(Deserialize)]
struct BodyRow {
    id: f64,
    body: String,
}

fn security() -> JsValue {
    text(Category::security().as_str())
}

fn body_of<T: serde::Serialize>(value: &T) -> Result<JsValue, StoreError> {
    serde_json::to_string(value)
        .map(|s| text(&s))
        .map_err(StoreError::corrupt)
}

const ITEM_COLUMNS: &str = "id, problem_id, vendor_rca_id, body";

impl D1Store {
    /// The problem's id in a batch: `?N` bound to it, or the newest problem
    /// of this batch's transaction for an insert.
    fn problem_ref(write: &ProblemWrite) -> (&'static str, JsValue) {
        match write.expected_version {
            Some(_) => ("?1", num(write.problem.id)),
            None => ("(SELECT max(id) FROM problems)", JsValue::NULL),
        }
    }

    fn problem_statements(
        &self,
        write: &ProblemWrite,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let p = &write.problem;
        let at = num(write.at.unix_millis());
        let mut statements = vec![match write.expected_version {
            None => self.statement(
                "INSERT INTO problems (status, auto_origin, opened_at, last_change, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    text(p.status.as_str()),
                    write.auto_origin.map_or(JsValue::NULL, num),
                    num(p.opened_at.unix_millis()),
                    num(p.last_change.unix_millis()),
                    body_of(p)?,
                ],
            )?,
            Some(version) => self.statement(
                "UPDATE problems SET status = ?2, last_change = ?3, body = ?4, version = version + 1 \
                 WHERE id = ?1 AND version = ?5",
                &[
                    num(p.id),
                    text(p.status.as_str()),
                    num(p.last_change.unix_millis()),
                    body_of(p)?,
                    num(version),
                ],
            )?,
        }];
        let (id, bound) = Self::problem_ref(write);
        let with_id = |rest: &[JsValue]| -> Vec<JsValue> {
            let mut args = vec![bound.clone()];
            args.extend_from_slice(rest);
            args
        };
        statements.push(self.statement(
            &format!("DELETE FROM problem_incidents WHERE problem_id = {id}"),
            &with_id(&[])[..usize::from(write.expected_version.is_some())],
        )?);
        for link in &p.incidents {
            statements.push(self.statement(
                &format!("INSERT INTO problem_incidents (problem_id, incident_id) SELECT {id}, ?2"),
                &with_id(&[num(link.incident)]),
            )?);
        }
        statements.push(self.statement(
            &format!("DELETE FROM problem_signatures WHERE problem_id = {id}"),
            &with_id(&[])[..usize::from(write.expected_version.is_some())],
        )?);
        let mut keys: Vec<String> = p.signatures.iter().map(signature_key).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            statements.push(self.statement(
                &format!("INSERT INTO problem_signatures (lookup_key, problem_id) SELECT ?2, {id}"),
                &with_id(&[text(&key)]),
            )?);
        }
        if let Some(rca) = &write.rca {
            statements.push(self.statement(
                &format!(
                    "INSERT INTO problem_rcas (problem_id, body, updated_at) SELECT {id}, ?2, ?3 \
                     ON CONFLICT (problem_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
                ),
                &with_id(&[body_of(rca)?, at.clone()]),
            )?);
        }
        if let Some(rca) = &write.vendor_rca {
            statements.push(self.statement(
                &format!("INSERT INTO vendor_rcas (problem_id, body) SELECT {id}, ?2"),
                &with_id(&[body_of(rca)?]),
            )?);
        }
        let vendor = if write.vendor_rca.is_some() {
            "(SELECT max(id) FROM vendor_rcas)"
        } else {
            "NULL"
        };
        for item in &write.new_items {
            statements.push(self.statement(
                &format!(
                    "INSERT INTO remediation_items (problem_id, vendor_rca_id, status, due_at, body) \
                     SELECT {id}, {vendor}, ?2, ?3, ?4"
                ),
                &with_id(&[
                    text(item.status.as_str()),
                    num(item.due_at.unix_millis()),
                    body_of(item)?,
                ]),
            )?);
        }
        for item in &write.changed_items {
            statements.push(self.statement(
                "UPDATE remediation_items SET status = ?2, due_at = ?3, body = ?4 WHERE id = ?1",
                &[
                    num(item.id),
                    text(item.status.as_str()),
                    num(item.due_at.unix_millis()),
                    body_of(item)?,
                ],
            )?);
        }
        for (incident, event) in &write.incident_timeline {
            statements.push(match write.expected_version {
                Some(_) => self.timeline_insert(*incident, write.at, &write.actor.name, event)?,
                // A new problem's id is known only inside the batch.
                None => self.statement(
                    &format!(
                        "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                         SELECT ?1, max(?2, updated_at), ?3, ?4, json_set(?5, '$.problem', {id}) \
                         FROM incidents WHERE id = ?1"
                    ),
                    &[
                        num(*incident),
                        at.clone(),
                        text(&write.actor.name),
                        text(event.kind()),
                        text(&event.body_text()),
                    ],
                )?,
            });
        }
        if let Some(queued) = &write.notifications {
            statements.push(self.statement(
                "INSERT INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
                &[
                    text(&queued.key),
                    num(queued.incident),
                    at.clone(),
                    text(&write.actor.name),
                    json_text(&queued.action),
                ],
            )?);
            for notification in &queued.notifications {
                statements.push(self.statement(
                    "INSERT INTO outbound_notifications (action_key, incident_id, channel_id, body, next_attempt_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    &[
                        text(&queued.key),
                        num(queued.incident),
                        num(notification.channel),
                        text(&notification.body),
                        at.clone(),
                    ],
                )?);
            }
        }
        let a = &write.audit;
        statements.push(self.statement(
            &format!(
                "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                 SELECT ?2, ?3, ?4, ?5, {}, ?6, ?7",
                match write.expected_version {
                    Some(_) => "?8".to_owned(),
                    None => format!("'problem/' || {id}"),
                }
            ),
            &[
                bound.clone(),
                at,
                num(write.actor.user_id),
                text(&write.actor.name),
                text(&a.action),
                a.before.as_ref().map_or(JsValue::NULL, json_text),
                a.after.as_ref().map_or(JsValue::NULL, json_text),
                text(&a.subject),
            ][..if write.expected_version.is_some() {
                8
            } else {
                7
            }],
        )?);
        Ok(statements)
    }

    async fn items_of(&self, problem: Option<i64>) -> Result<Vec<RemediationItem>, StoreError> {
        let rows = match problem {
            Some(id) => {
                self.all::<ItemRow>(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM remediation_items WHERE problem_id = ?1 ORDER BY id"
                    ),
                    &[num(id)],
                )
                .await?
            }
            None => {
                self.all::<ItemRow>(
                    &format!("SELECT {ITEM_COLUMNS} FROM remediation_items ORDER BY id"),
                    &[],
                )
                .await?
            }
        };
        rows.into_iter().map(RemediationItem::try_from).collect()
    }
}

/// Each record with the items of its problem.
fn with_items(
    records: Vec<ProblemRecord>,
    items: Vec<RemediationItem>,
) -> Vec<(ProblemRecord, Vec<RemediationItem>)> {
    records
        .into_iter()
        .map(|record| {
            let own = items
                .iter()
                .filter(|i| i.problem == record.problem.id)
                .cloned()
                .collect();
            (record, own)
        })
        .collect()
}

impl ProblemStore for D1Store {
    async fn write_problem(&self, write: &ProblemWrite) -> Result<Option<i64>, StoreError> {
        let statements = self.problem_statements(write)?;
        match write.expected_version {
            Some(_) => Ok(batch_first_changed_one(&self.db, statements)
                .await?
                .then_some(write.problem.id)),
            None => {
                let mut statements = statements;
                statements.push(self.statement("SELECT max(id) AS id FROM problems", &[])?);
                let last = statements.len() - 1;
                let results = self.batch(statements).await?;
                let id = first_returned::<IdRow>(&results, last)?
                    .map(|r| r.id as i64)
                    .ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))?;
                Ok(Some(id))
            }
        }
    }

    async fn list_problems(
        &self,
    ) -> Result<Vec<(ProblemRecord, Vec<RemediationItem>)>, StoreError> {
        let rows = self
            .all::<ProblemRow>(
                &format!("SELECT {PROBLEM_COLUMNS} FROM problems p ORDER BY p.id DESC LIMIT 1000"),
                &[security()],
            )
            .await?;
        let records = rows
            .into_iter()
            .map(ProblemRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(with_items(records, self.items_of(None).await?))
    }

    async fn get_problem(&self, id: i64) -> Result<Option<ProblemRecords>, StoreError> {
        let Some(row) = self
            .first::<ProblemRow>(
                &format!("SELECT {PROBLEM_COLUMNS} FROM problems p WHERE p.id = ?2"),
                &[security(), num(id)],
            )
            .await?
        else {
            return Ok(None);
        };
        let record = ProblemRecord::try_from(row)?;
        let rca = match self
            .first::<BodyRow>(
                "SELECT problem_id AS id, body FROM problem_rcas WHERE problem_id = ?1",
                &[num(id)],
            )
            .await?
        {
            Some(row) => parse_stored::<Rca>(&row.body)?,
            None => Rca::default(),
        };
        let vendor_rcas = self
            .all::<BodyRow>(
                "SELECT id, body FROM vendor_rcas WHERE problem_id = ?1 ORDER BY id",
                &[num(id)],
            )
            .await?
            .into_iter()
            .map(|row| {
                let mut rca: VendorRca = parse_stored(&row.body)?;
                rca.id = row.id as i64;
                rca.problem = id;
                Ok(rca)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(ProblemRecords {
            record,
            rca,
            items: self.items_of(Some(id)).await?,
            vendor_rcas,
        }))
    }

    async fn problems_of_incident(&self, incident: i64) -> Result<Vec<ProblemRecord>, StoreError> {
        self.all::<ProblemRow>(
            &format!(
                "SELECT {PROBLEM_COLUMNS} FROM problems p JOIN problem_incidents l \
                 ON l.problem_id = p.id WHERE l.incident_id = ?2 ORDER BY p.id"
            ),
            &[security(), num(incident)],
        )
        .await?
        .into_iter()
        .map(ProblemRecord::try_from)
        .collect()
    }

    async fn problems_with_keys(
        &self,
        keys: &[String],
    ) -> Result<Vec<(ProblemRecord, Vec<RemediationItem>)>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..keys.len()).map(|i| format!("?{}", i + 2)).collect();
        let mut args = vec![security()];
        args.extend(keys.iter().map(|k| text(k)));
        let records = self
            .all::<ProblemRow>(
                &format!(
                    "SELECT {PROBLEM_COLUMNS} FROM problems p WHERE p.id IN \
                     (SELECT problem_id FROM problem_signatures WHERE lookup_key IN ({}))",
                    placeholders.join(", ")
                ),
                &args,
            )
            .await?
            .into_iter()
            .map(ProblemRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = records.iter().map(|r| r.problem.id.to_string()).collect();
        let items = self
            .all::<ItemRow>(
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM remediation_items WHERE problem_id IN ({}) ORDER BY id",
                    ids.join(", ")
                ),
                &[],
            )
            .await?
            .into_iter()
            .map(RemediationItem::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(with_items(records, items))
    }

    async fn claimed_keys(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("?{i}")).collect();
        let args: Vec<JsValue> = keys.iter().map(|k| text(k)).collect();
        let rows = self
            .all::<KeyRow>(
                &format!(
                    "SELECT key FROM escalation_actions WHERE key IN ({})",
                    placeholders.join(", ")
                ),
                &args,
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.key).collect())
    }

    async fn remediation_item(&self, id: i64) -> Result<Option<RemediationItem>, StoreError> {
        self.first::<ItemRow>(
            &format!("SELECT {ITEM_COLUMNS} FROM remediation_items WHERE id = ?1"),
            &[num(id)],
        )
        .await?
        .map(RemediationItem::try_from)
        .transpose()
    }

    async fn incidents_without_problem(
        &self,
        priorities: &[Priority],
        statuses: &[IncidentStatus],
        limit: u32,
    ) -> Result<Vec<i64>, StoreError> {
        let mut args: Vec<JsValue> = vec![num(i64::from(limit))];
        let mut list = |values: Vec<&str>| -> String {
            values
                .into_iter()
                .map(|v| {
                    args.push(text(v));
                    format!("?{}", args.len())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let priorities = list(priorities.iter().map(|p| p.as_str()).collect());
        let statuses = list(statuses.iter().map(|s| s.as_str()).collect());
        let rows = self
            .all::<IdRow>(
                &format!(
                    "SELECT i.id FROM incidents i WHERE i.priority IN ({priorities}) \
                     AND i.status IN ({statuses}) AND NOT EXISTS \
                     (SELECT 1 FROM problem_incidents l WHERE l.incident_id = i.id) \
                     ORDER BY i.created_at, i.id LIMIT ?1"
                ),
                &args,
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id as i64).collect())
    }
}
