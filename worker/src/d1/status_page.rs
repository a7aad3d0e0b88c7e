//! [`StatusPageStore`] on D1: `public_component_groups`, `public_components`,
//! `public_component_history`, `public_incidents` and `scheduled_maintenances`
//! (migration 0006), each row holding the shared domain type's JSON (`doc`)
//! with the columns the queries need. A revision is the stored `doc`: a
//! guarded write changes the row only while it still holds what was read.

use super::{batch_first_changed_one, num, parse_err, text, D1Store};
use crate::stores::parse_stored;
use crate::stores::{
    ComponentReplacement, PageAudit, PageContents, Publication, RecordedStatus, Revised, Revision,
    StatusLog, StatusPageStore, StoreError, StoredPublicIncident, TicketNote,
};
use beacon_shared::service_level::StatusChange;
use beacon_shared::status_page::{
    Component, ComponentGroup, ComponentId, ComponentStatus, PublicIncident, ScheduledMaintenance,
};
use beacon_shared::Timestamp;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

#[derive(Deserialize)]
struct DocRow {
    doc: String,
}

#[derive(Deserialize)]
struct PublicIncidentRow {
    doc: String,
    internal_incident_id: Option<f64>,
}

#[derive(Deserialize)]
struct HistoryRow {
    component_id: String,
    at: f64,
    status: String,
}

impl HistoryRow {
    fn parse(&self) -> Result<RecordedStatus, StoreError> {
        Ok(RecordedStatus {
            component: ComponentId::parse(&self.component_id).map_err(parse_err)?,
            change: StatusChange {
                at: Timestamp::from_unix_millis(self.at as i64),
                status: self.status.parse::<ComponentStatus>().map_err(parse_err)?,
            },
        })
    }
}

fn to_doc<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(parse_err)
}

fn revised<T: DeserializeOwned>(doc: String) -> Result<Revised<T>, StoreError> {
    Ok(Revised {
        value: parse_stored(&doc)?,
        revision: Revision(doc),
    })
}

impl D1Store {
    async fn docs<T: DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>, StoreError> {
        self.all::<DocRow>(sql, &[])
            .await?
            .iter()
            .map(|row| parse_stored(&row.doc))
            .collect()
    }

    async fn row_by_id<T: DeserializeOwned>(
        &self,
        sql: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        self.first::<T>(sql, &[text(id)]).await
    }

    async fn history_rows(
        &self,
        sql: &str,
        from: Timestamp,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        self.all::<HistoryRow>(sql, &[num(from.unix_millis())])
            .await
    }

    fn page_audit_statement(
        &self,
        audit: &PageAudit<'_>,
    ) -> Result<D1PreparedStatement, StoreError> {
        let record = &audit.record;
        self.audit_statement(
            audit.at,
            audit.actor,
            &record.action,
            &record.subject,
            record.before.as_ref(),
            record.after.as_ref(),
        )
    }

    /// The history row recording `component`'s status at its `updated_at` (L2).
    fn history_statement(&self, component: &Component) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            "INSERT INTO public_component_history (component_id, at, status) VALUES (?1, ?2, ?3)",
            &[
                text(component.id.as_str()),
                num(component.updated_at.unix_millis()),
                text(component.status.as_str()),
            ],
        )
    }

    /// The statements that store the components a publication changes, each
    /// with its history row.
    fn changed_component_statements(
        &self,
        changed: &[Component],
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let mut statements = Vec::new();
        for component in changed {
            statements.push(self.statement(
                "UPDATE public_components SET doc = ?1 WHERE id = ?2",
                &[text(&to_doc(component)?), text(component.id.as_str())],
            )?);
            statements.push(self.history_statement(component)?);
        }
        Ok(statements)
    }
}

impl StatusPageStore for D1Store {
    async fn page_contents(&self) -> Result<PageContents, StoreError> {
        Ok(PageContents {
            groups: self
                .docs("SELECT doc FROM public_component_groups ORDER BY position, id")
                .await?,
            components: self
                .docs("SELECT doc FROM public_components ORDER BY position, id")
                .await?,
            incidents: self
                .docs("SELECT doc FROM public_incidents ORDER BY created_at DESC, id")
                .await?,
            maintenances: self
                .docs("SELECT doc FROM scheduled_maintenances ORDER BY created_at DESC, id")
                .await?,
        })
    }

    async fn status_log(&self, from: Timestamp) -> Result<StatusLog, StoreError> {
        let before = self
            .history_rows(
                "SELECT component_id, max(at) AS at, status FROM public_component_history \
                 WHERE at < ?1 GROUP BY component_id",
                from,
            )
            .await?;
        let after = self
            .history_rows(
                "SELECT component_id, at, status FROM public_component_history \
                 WHERE at >= ?1 ORDER BY component_id, at, id",
                from,
            )
            .await?;
        Ok(StatusLog {
            last_before: before
                .iter()
                .map(HistoryRow::parse)
                .collect::<Result<_, _>>()?,
            since: after
                .iter()
                .map(HistoryRow::parse)
                .collect::<Result<_, _>>()?,
        })
    }

    async fn component(&self, id: &str) -> Result<Option<Revised<Component>>, StoreError> {
        self.row_by_id::<DocRow>("SELECT doc FROM public_components WHERE id = ?1", id)
            .await?
            .map(|row| revised(row.doc))
            .transpose()
    }

    async fn group_exists(&self, id: &ComponentId) -> Result<bool, StoreError> {
        Ok(self
            .row_by_id::<serde_json::Value>(
                "SELECT id FROM public_component_groups WHERE id = ?1",
                id.as_str(),
            )
            .await?
            .is_some())
    }

    async fn public_incident(&self, id: &str) -> Result<Option<StoredPublicIncident>, StoreError> {
        self.row_by_id::<PublicIncidentRow>(
            "SELECT doc, internal_incident_id FROM public_incidents WHERE id = ?1",
            id,
        )
        .await?
        .map(|row| {
            Ok(StoredPublicIncident {
                incident: revised(row.doc)?,
                internal_incident: row.internal_incident_id.map(|i| i as i64),
            })
        })
        .transpose()
    }

    async fn maintenance(
        &self,
        id: &str,
    ) -> Result<Option<Revised<ScheduledMaintenance>>, StoreError> {
        self.row_by_id::<DocRow>("SELECT doc FROM scheduled_maintenances WHERE id = ?1", id)
            .await?
            .map(|row| revised(row.doc))
            .transpose()
    }

    async fn insert_component(
        &self,
        component: &Component,
        audit: &PageAudit<'_>,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO public_components (id, name, doc, position) VALUES (?1, ?2, ?3, ?4)",
            &[
                text(component.id.as_str()),
                text(component.name.as_str()),
                text(&to_doc(component)?),
                num(i64::from(component.position)),
            ],
        )?;
        let statements = vec![
            insert,
            self.history_statement(component)?,
            self.page_audit_statement(audit)?,
        ];
        self.write_batch(statements).await
    }

    async fn replace_component(
        &self,
        replacement: &ComponentReplacement<'_>,
    ) -> Result<bool, StoreError> {
        let component = &replacement.component;
        let mut statements = vec![self.statement(
            "UPDATE public_components SET doc = ?1, position = ?2 WHERE id = ?3 AND doc = ?4",
            &[
                text(&to_doc(component)?),
                num(i64::from(component.position)),
                text(component.id.as_str()),
                text(&replacement.replaces.0),
            ],
        )?];
        if replacement.keep_in_history {
            statements.push(self.history_statement(component)?);
        }
        statements.push(self.page_audit_statement(&replacement.audit)?);
        batch_first_changed_one(&self.db, statements).await
    }

    async fn insert_group(
        &self,
        group: &ComponentGroup,
        audit: &PageAudit<'_>,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO public_component_groups (id, doc, position) VALUES (?1, ?2, ?3)",
            &[
                text(group.id.as_str()),
                text(&to_doc(group)?),
                num(i64::from(group.position)),
            ],
        )?;
        self.write_batch(vec![insert, self.page_audit_statement(audit)?])
            .await
    }

    async fn publish_incident(
        &self,
        publication: &Publication<'_, PublicIncident>,
        note: Option<&TicketNote>,
    ) -> Result<bool, StoreError> {
        let incident = &publication.entry;
        let at = num(incident.updated_at().unix_millis());
        let doc = to_doc(incident)?;
        let id = text(incident.id().as_str());
        let write = match &publication.replaces {
            None => self.statement(
                "INSERT INTO public_incidents (id, doc, internal_incident_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                &[
                    id,
                    text(&doc),
                    note.map_or(JsValue::NULL, |n| num(n.incident)),
                    at,
                ],
            )?,
            Some(expected) => self.statement(
                "UPDATE public_incidents SET doc = ?1, updated_at = ?2 WHERE id = ?3 AND doc = ?4",
                &[text(&doc), at, id, text(&expected.0)],
            )?,
        };
        let mut statements = vec![write];
        statements.extend(self.changed_component_statements(&publication.changed_components)?);
        if let Some(note) = note {
            statements.push(self.timeline_insert(
                note.incident,
                publication.audit.at,
                &publication.audit.actor.name,
                &note.event,
            )?);
        }
        statements.push(self.page_audit_statement(&publication.audit)?);
        batch_first_changed_one(&self.db, statements).await
    }

    async fn publish_maintenance(
        &self,
        publication: &Publication<'_, ScheduledMaintenance>,
    ) -> Result<bool, StoreError> {
        let maintenance = &publication.entry;
        let doc = to_doc(maintenance)?;
        let id = text(maintenance.id().as_str());
        let write = match &publication.replaces {
            None => self.statement(
                "INSERT INTO scheduled_maintenances (id, doc, created_at) VALUES (?1, ?2, ?3)",
                &[id, text(&doc), num(maintenance.created_at().unix_millis())],
            )?,
            Some(expected) => self.statement(
                "UPDATE scheduled_maintenances SET doc = ?1 WHERE id = ?2 AND doc = ?3",
                &[text(&doc), id, text(&expected.0)],
            )?,
        };
        let mut statements = vec![write];
        statements.extend(self.changed_component_statements(&publication.changed_components)?);
        statements.push(self.page_audit_statement(&publication.audit)?);
        batch_first_changed_one(&self.db, statements).await
    }
}
