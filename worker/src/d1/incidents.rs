//! [`IncidentStore`] on D1: `incidents`, `timeline_entries` and their audit rows.

use super::{
    batch_first_changed_one, first_returned, json_text, num, opt_text, parse_err, parse_optional,
    text, D1Store, IdRow, NameRow,
};
use crate::stores::parse_stored;
use crate::stores::{
    IncidentChange, IncidentFilter, IncidentRecord, IncidentState, IncidentStore,
    NewIncidentRecord, StoreError,
};
use beacon_shared::api::TimelineEntryView;
use beacon_shared::category::{Category, Labels};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::triage::Name;
use beacon_shared::{Priority, Timestamp};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

pub(crate) const INCIDENT_COLUMNS: &str =
    "i.id, i.title, i.priority, i.rules_priority, i.status, i.category, i.labels, \
     i.owner_group, i.facts, i.created_at, i.updated_at, u.name AS created_by";

#[derive(Deserialize)]
pub(crate) struct IncidentRow {
    id: f64,
    title: String,
    priority: String,
    rules_priority: String,
    status: String,
    category: Option<String>,
    labels: String,
    owner_group: Option<String>,
    facts: String,
    created_at: f64,
    updated_at: f64,
    created_by: String,
}

impl TryFrom<IncidentRow> for IncidentRecord {
    type Error = StoreError;
    fn try_from(row: IncidentRow) -> Result<Self, StoreError> {
        let labels: Vec<String> = parse_stored(&row.labels)?;
        Ok(IncidentRecord {
            id: row.id as i64,
            state: IncidentState {
                title: row.title,
                priority: row.priority.parse::<Priority>().map_err(parse_err)?,
                rules_priority: row.rules_priority.parse::<Priority>().map_err(parse_err)?,
                status: row.status.parse::<IncidentStatus>().map_err(parse_err)?,
                category: parse_optional(row.category.as_deref(), Category::parse)?,
                labels: Labels::try_from(labels).map_err(parse_err)?,
                owner_group: parse_optional(row.owner_group.as_deref(), Name::parse)?,
                facts: parse_stored(&row.facts)?,
            },
            created_at: Timestamp::from_unix_millis(row.created_at as i64),
            updated_at: Timestamp::from_unix_millis(row.updated_at as i64),
            created_by: row.created_by,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct TimelineRow {
    id: f64,
    at: f64,
    actor: String,
    kind: String,
    body: String,
}

impl TimelineRow {
    /// The typed entry; a row whose kind or body does not parse is corrupt.
    pub(crate) fn into_view(self) -> Result<TimelineEntryView, StoreError> {
        Ok(TimelineEntryView {
            id: self.id as i64,
            at: Timestamp::from_unix_millis(self.at as i64),
            actor: self.actor,
            event: TimelineEvent::from_stored(&self.kind, &self.body)
                .map_err(|e| StoreError::corrupt(format!("timeline entry {}: {e}", self.id)))?,
        })
    }
}

/// The bound values of `title, priority, rules_priority, status, category,
/// labels, owner_group` (?1 to ?7) for an insert or update.
fn state_columns(s: &IncidentState) -> [JsValue; 7] {
    [
        text(&s.title),
        text(s.priority.as_str()),
        text(s.rules_priority.as_str()),
        text(s.status.as_str()),
        opt_text(s.category.as_ref().map(|c| c.as_str())),
        text(&labels_json(&s.labels)),
        opt_text(s.owner_group.as_ref().map(|g| g.as_str())),
    ]
}

pub(crate) fn labels_json(labels: &Labels) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "[]".into())
}

impl D1Store {
    /// The statements that store a new incident with its timeline entries and
    /// audit record; the first returns its id. Statements after them in the same
    /// batch find the id as `(SELECT max(id) FROM incidents)`.
    pub(crate) fn insert_incident_statements(
        &self,
        incident: &NewIncidentRecord,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let s = &incident.state;
        let facts = serde_json::to_string(&s.facts).map_err(parse_err)?;
        let at = num(incident.at.unix_millis());
        let mut statements = vec![self.statement(
            "INSERT INTO incidents (title, priority, rules_priority, status, category, labels, owner_group, \
             facts, created_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id",
            &[
                state_columns(s).as_slice(),
                &[text(&facts), num(incident.actor.user_id), at.clone()],
            ]
            .concat(),
        )?];
        // Later statements find the new id as the newest incident of this batch's transaction.
        for entry in &incident.timeline {
            statements.push(self.statement(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT max(id), ?1, ?2, ?3, ?4 FROM incidents",
                &[
                    at.clone(),
                    text(&incident.actor.name),
                    text(entry.kind()),
                    text(&entry.body_text()),
                ],
            )?);
        }
        statements.push(
            self.statement(
                "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                 SELECT ?1, ?2, ?3, 'incident.create', 'incident/' || max(id), NULL, ?4 FROM incidents",
                &[at, num(incident.actor.user_id), text(&incident.actor.name), json_text(&serde_json::json!(s.snapshot()))],
            )?,
        );
        Ok(statements)
    }
}

impl IncidentStore for D1Store {
    async fn known_categories(&self) -> Result<Vec<Category>, StoreError> {
        let rows = self
            .all::<NameRow>("SELECT name FROM categories ORDER BY position, name", &[])
            .await?;
        rows.iter()
            .map(|r| Category::parse(&r.name).map_err(parse_err))
            .collect()
    }

    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError> {
        let statements = self.insert_incident_statements(incident)?;
        let results = self.batch(statements).await?;
        let id = first_returned::<IdRow>(&results, 0)?
            .map(|r| r.id)
            .ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))?;
        Ok(id as i64)
    }

    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN users u ON u.id = i.created_by WHERE 1 = 1");
        let mut args: Vec<JsValue> = Vec::new();
        let mut bind = |clause: &str, value: JsValue, sql: &mut String| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(p) = filter.priority {
            bind(" AND i.priority = ?", text(p.as_str()), &mut sql);
        }
        if let Some(st) = filter.status {
            bind(" AND i.status = ?", text(st.as_str()), &mut sql);
        }
        if let Some(c) = &filter.category {
            bind(
                " AND i.category = ? COLLATE NOCASE",
                text(c.as_str()),
                &mut sql,
            );
        }
        if let Some(g) = &filter.owner_group {
            bind(" AND i.owner_group = ?", text(g.as_str()), &mut sql);
        }
        if let Some(open) = filter.open {
            // The statuses come from the one definition of "open" in shared.
            let statuses: Vec<IncidentStatus> = IncidentStatus::ALL
                .into_iter()
                .filter(|s| s.is_open() == open)
                .collect();
            let placeholders: Vec<String> = statuses
                .iter()
                .map(|status| {
                    args.push(text(status.as_str()));
                    format!("?{}", args.len())
                })
                .collect();
            sql.push_str(&format!(" AND i.status IN ({})", placeholders.join(", ")));
        }
        sql.push_str(" ORDER BY i.priority ASC, i.created_at ASC, i.id ASC LIMIT 1000");
        self.all::<IncidentRow>(&sql, &args)
            .await?
            .into_iter()
            .map(IncidentRecord::try_from)
            .collect()
    }

    async fn get_incident(&self, id: i64) -> Result<Option<IncidentRecord>, StoreError> {
        let row = self.first::<IncidentRow>(
            &format!("SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN users u ON u.id = i.created_by WHERE i.id = ?1"),
            &[num(id)],
        ).await?;
        row.map(IncidentRecord::try_from).transpose()
    }

    async fn timeline(&self, id: i64) -> Result<Vec<TimelineEntryView>, StoreError> {
        let rows = self.all::<TimelineRow>(
            "SELECT id, at, actor, kind, body FROM timeline_entries WHERE incident_id = ?1 ORDER BY at, id",
            &[num(id)],
        ).await?;
        rows.into_iter().map(TimelineRow::into_view).collect()
    }

    async fn apply_change(&self, change: &IncidentChange) -> Result<bool, StoreError> {
        let s = &change.state;
        let at = num(change.at.unix_millis());
        let update = self.statement(
            "UPDATE incidents SET title = ?1, priority = ?2, rules_priority = ?3, status = ?4, category = ?5, \
             labels = ?6, owner_group = ?7, updated_at = ?8 WHERE id = ?9 AND updated_at = ?10",
            &[
                state_columns(s).as_slice(),
                &[
                    at.clone(),
                    num(change.id),
                    num(change.expected_updated_at.unix_millis()),
                ],
            ]
            .concat(),
        )?;
        // Written only if the UPDATE matched (changes() = 1), so a lost race writes nothing.
        let timeline = self.statement(
            "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1",
            &[
                num(change.id),
                at.clone(),
                text(&change.actor.name),
                text(change.timeline.kind()),
                text(&change.timeline.body_text()),
            ],
        )?;
        let a = &change.audit;
        let audit = self.statement(
            "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1",
            &[
                at,
                num(change.actor.user_id),
                text(&change.actor.name),
                text(&a.action),
                text(&a.subject),
                a.before.as_ref().map_or(JsValue::NULL, json_text),
                a.after.as_ref().map_or(JsValue::NULL, json_text),
            ],
        )?;
        batch_first_changed_one(&self.db, vec![update, timeline, audit]).await
    }
}
