//! [`AlertStore`] on D1: `integrations`, `alert_events` (every delivery as
//! received) and `alerts`, with the incidents, timeline entries and audit rows
//! a delivery or an attachment writes in the same batch. The unique indexes
//! `alerts_open_key` and `alert_events_signature` and the write guard
//! (migration 0007) give the store's guarantees.

use super::incidents::labels_json;
use super::{
    batch_first_changed_one, first_returned, json_text, num, opt_text, parse_err, parse_optional,
    text, D1Store, IdRow,
};
use crate::auth::Actor;
use crate::ingest::{AlertPlan, DeliveryPlan, IncidentTarget, LabelChange, PriorityRaise};
use crate::sealed_secret::SealedPurpose;
use crate::stores::parse_stored;
use crate::stores::{
    integration_user_name, AlertAttachment, AlertFilter, AlertIncident, AlertRecord, AlertStatus,
    AlertStore, DeliveryHistory, IngestControlChange, Integration, IntegrationDisabling,
    IntegrationRotation, KeyHistory, LinkedIncident, NewIncidentRecord, NewIntegrationRecord,
    SigningKeys, StoreError,
};
use beacon_shared::alert::{DedupKey, IngestFormat, Severity};
use beacon_shared::alert_group::{storm_title_parts, Grouping, IngestControl};
use beacon_shared::category::{Category, Labels};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::triage::Name;
use beacon_shared::Priority;
use beacon_shared::Timestamp;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

#[derive(Deserialize)]
struct IntegrationRow {
    id: f64,
    name: String,
    format: String,
    owner_group: Option<String>,
    user_id: f64,
    mapping: Option<String>,
    secret_hash: String,
    signing_key: Option<String>,
    previous_secret_hash: Option<String>,
    previous_signing_key: Option<String>,
    previous_valid_until: Option<f64>,
    disabled_at: Option<f64>,
    grouping: String,
    storm_threshold: f64,
    delivery_retention_days: f64,
}

/// The columns an [`IntegrationRow`] is read from.
const INTEGRATION_COLUMNS: &str = "id, name, format, owner_group, user_id, mapping, secret_hash, \
     signing_key, previous_secret_hash, previous_signing_key, previous_valid_until, disabled_at, \
     grouping, storm_threshold, delivery_retention_days";

impl IntegrationRow {
    /// The integration with its signing keys as stored (sealed, for the
    /// generic format; a row from before sealing is signed with its secret
    /// hash).
    fn into_integration(self) -> Result<(Integration, SigningKeys), StoreError> {
        let integration = Integration {
            id: self.id as i64,
            name: Name::parse(&self.name).map_err(parse_err)?,
            format: self.format.parse::<IngestFormat>().map_err(parse_err)?,
            owner_group: parse_optional(self.owner_group.as_deref(), Name::parse)?,
            user_id: self.user_id as i64,
            mapping: match self.mapping {
                Some(m) => parse_stored(&m)?,
                None => Default::default(),
            },
            control: IngestControl {
                grouping: Grouping::parse(&self.grouping)
                    .ok_or_else(|| parse_err(format!("grouping `{}`", self.grouping)))?,
                storm_threshold: self.storm_threshold as u32,
                delivery_retention_days: self.delivery_retention_days as u32,
            },
            disabled_at: self
                .disabled_at
                .map(|at| Timestamp::from_unix_millis(at as i64)),
        };
        let previous = match (
            self.previous_signing_key.or(self.previous_secret_hash),
            self.previous_valid_until,
        ) {
            (Some(key), Some(until)) => Some((key, Timestamp::from_unix_millis(until as i64))),
            _ => None,
        };
        let keys = SigningKeys {
            current: self.signing_key.unwrap_or(self.secret_hash),
            previous,
        };
        Ok((integration, keys))
    }
}

#[derive(Deserialize)]
struct KeyRow {
    id: f64,
    status: String,
    incident_id: Option<f64>,
    incident_status: Option<String>,
    incident_labels: Option<String>,
    incident_priority: Option<String>,
    incident_rules_priority: Option<String>,
    open_alerts: Option<f64>,
}

impl KeyRow {
    fn incident(&self) -> Result<Option<LinkedIncident>, StoreError> {
        let (Some(id), Some(status), Some(labels), Some(priority), Some(rules_priority)) = (
            self.incident_id,
            self.incident_status.as_deref(),
            self.incident_labels.as_deref(),
            self.incident_priority.as_deref(),
            self.incident_rules_priority.as_deref(),
        ) else {
            return Ok(None);
        };
        Ok(Some(LinkedIncident {
            id: id as i64,
            status: incident_status(status)?,
            labels: parse_stored::<Labels>(labels)?,
            priority: priority.parse::<Priority>().map_err(parse_err)?,
            rules_priority: rules_priority.parse::<Priority>().map_err(parse_err)?,
            open_alerts: self.open_alerts.unwrap_or(0.0) as u32,
        }))
    }

    fn history(&self) -> Result<KeyHistory, StoreError> {
        let incident = self.incident()?;
        let open = alert_status(&self.status)? != AlertStatus::Resolved;
        Ok(KeyHistory {
            open_alert: open.then(|| (self.id as i64, incident.clone())),
            latest_incident: incident,
        })
    }
}

/// The columns of a [`KeyRow`] for the alert `a` and its incident `i`.
const KEY_COLUMNS: &str =
    "a.id, a.status, a.incident_id, i.status AS incident_status, i.labels AS incident_labels, \
     i.priority AS incident_priority, i.rules_priority AS incident_rules_priority, \
     (SELECT count(*) FROM alerts o WHERE o.incident_id = a.incident_id AND o.status != 'resolved') AS open_alerts";

/// One row of [`AlertStore::delivery_history`]'s single query: `kind` says
/// which part of the history it is.
#[derive(Deserialize)]
struct HistoryRow {
    kind: String,
    dedup_key: Option<String>,
    id: Option<f64>,
    status: Option<String>,
    incident_id: Option<f64>,
    incident_status: Option<String>,
    incident_labels: Option<String>,
    incident_priority: Option<String>,
    incident_rules_priority: Option<String>,
    open_alerts: Option<f64>,
}

impl HistoryRow {
    fn key_row(self) -> KeyRow {
        KeyRow {
            id: self.id.unwrap_or(0.0),
            status: self.status.unwrap_or_default(),
            incident_id: self.incident_id,
            incident_status: self.incident_status,
            incident_labels: self.incident_labels,
            incident_priority: self.incident_priority,
            incident_rules_priority: self.incident_rules_priority,
            open_alerts: self.open_alerts,
        }
    }
}

/// The query of [`AlertRow`]s: each alert with its integration's name and its incident.
const SELECT_ALERTS: &str =
    "SELECT a.id, g.name AS integration, a.dedup_key, a.status, a.summary, a.severity, a.incident_id, \
     i.status AS incident_status, i.category AS incident_category, a.deliveries, a.first_seen, a.last_seen \
     FROM alerts a JOIN integrations g ON g.id = a.integration_id \
     LEFT JOIN incidents i ON i.id = a.incident_id";

#[derive(Deserialize)]
struct AlertRow {
    id: f64,
    integration: String,
    dedup_key: String,
    status: String,
    summary: String,
    severity: Option<String>,
    incident_id: Option<f64>,
    incident_status: Option<String>,
    incident_category: Option<String>,
    deliveries: f64,
    first_seen: f64,
    last_seen: f64,
}

fn alert_status(stored: &str) -> Result<AlertStatus, StoreError> {
    AlertStatus::parse(stored).ok_or_else(|| parse_err(format!("alert status `{stored}`")))
}

fn incident_status(stored: &str) -> Result<IncidentStatus, StoreError> {
    stored.parse::<IncidentStatus>().map_err(parse_err)
}

impl TryFrom<AlertRow> for AlertRecord {
    type Error = StoreError;
    fn try_from(row: AlertRow) -> Result<Self, StoreError> {
        let incident = match (row.incident_id, row.incident_status) {
            (Some(id), Some(status)) => Some(AlertIncident {
                id: id as i64,
                status: incident_status(&status)?,
                // A category that does not parse is corrupt, never "no category":
                // it decides who may see the alert (K3).
                category: parse_optional(row.incident_category.as_deref(), Category::parse)?,
            }),
            _ => None,
        };
        Ok(AlertRecord {
            id: row.id as i64,
            integration: row.integration,
            dedup_key: row.dedup_key,
            status: alert_status(&row.status)?,
            summary: row.summary,
            severity: row.severity,
            incident,
            deliveries: row.deliveries as i64,
            first_seen: Timestamp::from_unix_millis(row.first_seen as i64),
            last_seen: Timestamp::from_unix_millis(row.last_seen as i64),
        })
    }
}

#[derive(Deserialize)]
struct CountRow {
    n: f64,
}

impl D1Store {
    /// The integration in the row `condition` finds, with its signing keys
    /// (opened).
    async fn integration_where(
        &self,
        condition: &str,
        args: &[JsValue],
    ) -> Result<Option<(Integration, SigningKeys)>, StoreError> {
        let row = self
            .first::<IntegrationRow>(
                &format!("SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE {condition}"),
                args,
            )
            .await?;
        let Some((integration, keys)) = row.map(IntegrationRow::into_integration).transpose()?
        else {
            return Ok(None);
        };
        let open = |key: &str| self.open_secret(SealedPurpose::IntegrationSigningKey, key);
        let keys = SigningKeys {
            current: open(&keys.current)?,
            previous: keys
                .previous
                .map(|(key, until)| open(&key).map(|key| (key, until)))
                .transpose()?,
        };
        Ok(Some((integration, keys)))
    }

    /// A timeline entry on `incident`: an id, or SQL that finds it in the batch.
    fn timeline_statement(
        &self,
        incident: &str,
        at: Timestamp,
        actor: &Actor,
        event: &TimelineEvent,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            &format!(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT {incident}, ?1, ?2, ?3, ?4"
            ),
            &[
                num(at.unix_millis()),
                text(&actor.name),
                text(event.kind()),
                text(&event.body_text()),
            ],
        )
    }

    /// `updated_at = max(updated_at, at)`: an alert's line counts as activity.
    fn touch_incident(&self, id: i64, at: Timestamp) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            "UPDATE incidents SET updated_at = max(updated_at, ?1) WHERE id = ?2",
            &[num(at.unix_millis()), num(id)],
        )
    }

    /// Writes the short-lived label, then aborts the batch (write guard) if the
    /// incident's labels or status changed since the plan was made.
    fn label_statements(
        &self,
        change: &LabelChange,
    ) -> Result<[D1PreparedStatement; 2], StoreError> {
        Ok([
            self.statement(
                "UPDATE incidents SET labels = ?1 WHERE id = ?2 AND json(labels) = json(?3) AND status = ?4",
                &[
                    text(&labels_json(&change.labels)),
                    num(change.incident_id),
                    text(&labels_json(&change.expected_labels)),
                    text(change.expected_status.as_str()),
                ],
            )?,
            self.db
                .prepare("INSERT INTO write_guards (changed) VALUES (changes())"),
        ])
    }

    /// The statements of one plan, after the delivery's own row.
    fn plan_statements(
        &self,
        delivery: &DeliveryPlan<'_>,
        plan: &AlertPlan,
        actor: &Actor,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let integration = delivery.integration;
        let at = delivery.at;
        let at_ms = num(at.unix_millis());
        let signal = plan.signal();
        let signal_json = text(&serde_json::to_string(signal).map_err(parse_err)?);
        let entry = plan.timeline_entry(integration);
        let mut statements = Vec::new();
        match plan {
            AlertPlan::Open { incident, .. } => {
                let mut opener = None;
                let (incident_sql, opened) = match incident {
                    IncidentTarget::New(new) => {
                        statements.extend(self.insert_incident_statements(&NewIncidentRecord {
                            state: new.state.clone(),
                            at,
                            actor: actor.clone(),
                            timeline: vec![new.created.clone()],
                        })?);
                        let opened = if new.storm { 2 } else { 1 };
                        ("(SELECT max(id) FROM incidents)".to_owned(), opened)
                    }
                    IncidentTarget::Existing(id) => {
                        statements.push(self.touch_incident(*id, at)?);
                        (id.to_string(), 0)
                    }
                    IncidentTarget::OpenedWith(key) => {
                        opener = Some(text(key.as_str()));
                        (opened_with_sql(integration.id, "?10"), 0)
                    }
                };
                let mut args = vec![
                    num(integration.id),
                    text(signal.dedup_key.as_str()),
                    text(AlertStatus::Triggered.as_str()),
                    text(&signal.summary),
                    opt_text(signal.severity.map(Severity::as_str)),
                    signal_json,
                    at_ms,
                    opt_text(delivery.group_key),
                    num(opened),
                ];
                args.extend(opener);
                statements.push(self.statement(
                    &format!(
                        "INSERT INTO alerts (integration_id, dedup_key, status, summary, severity, signal, incident_id, \
                         first_seen, last_seen, group_key, opened_incident) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, {incident_sql}, ?7, ?7, ?8, ?9)"
                    ),
                    &args,
                )?);
                // The incident of the alert just inserted, whichever way it was found.
                let inserted =
                    "(SELECT incident_id FROM alerts WHERE id = (SELECT max(id) FROM alerts))";
                statements.push(self.timeline_statement(inserted, at, actor, &entry)?);
                if let (IncidentTarget::New(new), Some(start)) = (incident, &delivery.storm_start) {
                    if new.storm && start.opener == signal.dedup_key {
                        statements.extend(self.storm_start_statements(
                            integration.id,
                            start.previous,
                            at,
                        )?);
                    }
                }
            }
            AlertPlan::Repeat { .. }
            | AlertPlan::Acknowledge { .. }
            | AlertPlan::Resolve { .. }
            | AlertPlan::Dropped { .. } => {
                let Some(update) = plan.alert_update() else {
                    return Ok(statements);
                };
                let mut args = vec![at_ms, signal_json, num(update.alert_id)];
                let set_status = match update.status {
                    Some(AlertStatus::Acknowledged) => {
                        ", status = ?4, acknowledged_at = coalesce(acknowledged_at, ?1)"
                    }
                    Some(AlertStatus::Resolved) => ", status = ?4, resolved_at = ?1",
                    Some(AlertStatus::Triggered) => ", status = ?4",
                    None => "",
                };
                if let Some(status) = update.status {
                    args.push(text(status.as_str()));
                }
                statements.push(self.statement(
                    &format!(
                        "UPDATE alerts SET deliveries = deliveries + 1, last_seen = ?1, signal = ?2{set_status} WHERE id = ?3"
                    ),
                    &args,
                )?);
                if let Some(id) = update.incident_id {
                    statements.push(self.timeline_statement(&id.to_string(), at, actor, &entry)?);
                    statements.push(self.touch_incident(id, at)?);
                    if let Some(change) = plan.label_change() {
                        statements.extend(self.label_statements(change)?);
                    }
                    if let Some(audit) = plan.audit_record() {
                        statements.push(self.audit_record_statement(at, actor, &audit)?);
                    }
                }
            }
        }
        Ok(statements)
    }
}

/// SQL for the incident that the open alert with the key bound at `param`
/// is on: an incident an earlier alert of the same batch opened.
fn opened_with_sql(integration_id: i64, param: &str) -> String {
    format!(
        "(SELECT incident_id FROM alerts WHERE integration_id = {integration_id} \
         AND dedup_key = {param} AND status != 'resolved')"
    )
}

impl D1Store {
    /// Makes the storm incident just inserted the integration's storm
    /// incident; a concurrent storm start makes the batch fail (unique
    /// index or write guard) and the delivery is planned again.
    fn storm_start_statements(
        &self,
        integration_id: i64,
        previous: Option<i64>,
        at: Timestamp,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        Ok(match previous {
            None => vec![self.statement(
                "INSERT INTO alert_storms (integration_id, incident_id, started_at) \
                 VALUES (?1, (SELECT max(id) FROM incidents), ?2)",
                &[num(integration_id), num(at.unix_millis())],
            )?],
            Some(previous) => vec![
                self.statement(
                    "UPDATE alert_storms SET incident_id = (SELECT max(id) FROM incidents), started_at = ?3 \
                     WHERE integration_id = ?1 AND incident_id = ?2",
                    &[num(integration_id), num(previous), num(at.unix_millis())],
                )?,
                self.db
                    .prepare("INSERT INTO write_guards (changed) VALUES (changes())"),
            ],
        })
    }

    /// Raises an incident's priority only if it is still what the plan read.
    fn raise_statements(
        &self,
        raise: &PriorityRaise,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        Ok(vec![
            self.statement(
                "UPDATE incidents SET priority = ?1, updated_at = max(updated_at, ?4) WHERE id = ?2 AND priority = ?3",
                &[
                    text(raise.to.as_str()),
                    num(raise.incident_id),
                    text(raise.from.as_str()),
                    num(at.unix_millis()),
                ],
            )?,
            self.db
                .prepare("INSERT INTO write_guards (changed) VALUES (changes())"),
            self.timeline_statement(&raise.incident_id.to_string(), at, actor, &raise.timeline)?,
            self.audit_record_statement(at, actor, &raise.audit)?,
        ])
    }

    /// The statements after a delivery's plans: priority raises, the storm
    /// incident's title counted anew, and the check that the storm window
    /// still holds at most the threshold of incidents opened.
    fn delivery_tail_statements(
        &self,
        delivery: &DeliveryPlan<'_>,
        actor: &Actor,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let integration = delivery.integration;
        let mut statements = Vec::new();
        for raise in &delivery.raises {
            statements.extend(self.raise_statements(raise, delivery.at, actor)?);
        }
        if let Some(storm) = &delivery.storm_recount {
            let (before, after) = storm_title_parts(integration.name.as_str());
            let mut args = vec![text(&before), text(after)];
            let incident_sql = match storm {
                IncidentTarget::OpenedWith(key) => {
                    args.push(text(key.as_str()));
                    opened_with_sql(integration.id, "?3")
                }
                IncidentTarget::Existing(id) => id.to_string(),
                // Never planned: a new storm incident is recounted through its opener.
                IncidentTarget::New(_) => {
                    return Err(parse_err("a storm recount of a new incident"))
                }
            };
            statements.push(self.statement(
                &format!(
                    "UPDATE incidents SET title = ?1 || (SELECT count(*) FROM alerts WHERE incident_id = {incident_sql}) || ?2 \
                     WHERE id = {incident_sql}"
                ),
                &args,
            )?);
        }
        if delivery.opens_own_incidents {
            statements.push(self.statement(
                "INSERT INTO write_guards (changed) SELECT (SELECT count(*) FROM alerts \
                 WHERE integration_id = ?1 AND opened_incident = 1 AND first_seen > ?2) <= ?3",
                &[
                    num(integration.id),
                    num(delivery.window_start().unix_millis()),
                    num(i64::from(integration.control.storm_threshold)),
                ],
            )?);
        }
        Ok(statements)
    }
}

impl AlertStore for D1Store {
    async fn create_integration(
        &self,
        integration: &NewIntegrationRecord,
    ) -> Result<i64, StoreError> {
        let at = num(integration.at.unix_millis());
        let mapping = integration
            .mapping
            .as_ref()
            .map(|m| serde_json::to_string(m).map_err(parse_err))
            .transpose()?;
        let signing_key = integration
            .signing_key
            .as_deref()
            .map(|key| self.seal_secret(SealedPurpose::IntegrationSigningKey, key))
            .transpose()?;
        let statements = vec![
            self.statement(
                "INSERT INTO users (name, role, created_at, disabled_at) VALUES (?1, 'viewer', ?2, ?2)",
                &[text(&integration_user_name(&integration.name)), at.clone()],
            )?,
            self.statement(
                "INSERT INTO integrations (name, format, owner_group, secret_hash, mapping, user_id, created_at, \
                 grouping, storm_threshold, delivery_retention_days, signing_key) \
                 SELECT ?1, ?2, ?3, ?4, ?5, max(id), ?6, ?7, ?8, ?9, ?10 FROM users RETURNING id",
                &[
                    text(integration.name.as_str()),
                    text(integration.format.as_str()),
                    opt_text(integration.owner_group.as_ref().map(|g| g.as_str())),
                    text(&integration.secret_hash),
                    opt_text(mapping.as_deref()),
                    at,
                    text(integration.control.grouping.as_str()),
                    num(i64::from(integration.control.storm_threshold)),
                    num(i64::from(integration.control.delivery_retention_days)),
                    opt_text(signing_key.as_deref()),
                ],
            )?,
            self.audit_record_statement(integration.at, &integration.actor, &integration.audit)?,
        ];
        let results = self.batch(statements).await?;
        first_returned::<IdRow>(&results, 1)?
            .map(|r| r.id as i64)
            .ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))
    }

    async fn integration_for_secret_hash(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Integration>, StoreError> {
        Ok(self
            .integration_where(
                "secret_hash = ?1 OR (previous_secret_hash = ?1 AND previous_valid_until > ?2)",
                &[text(secret_hash), num(now.unix_millis())],
            )
            .await?
            .map(|(integration, _)| integration))
    }

    async fn integration_named(
        &self,
        name: &str,
    ) -> Result<Option<(Integration, SigningKeys)>, StoreError> {
        self.integration_where("name = ?1", &[text(name)]).await
    }

    async fn rotate_integration_secret(
        &self,
        rotation: &IntegrationRotation,
    ) -> Result<bool, StoreError> {
        let signing_key = rotation
            .signing_key
            .as_deref()
            .map(|key| self.seal_secret(SealedPurpose::IntegrationSigningKey, key))
            .transpose()?;
        // SQLite reads every right-hand side from the row before the update.
        let rotate = self.statement(
            "UPDATE integrations SET previous_secret_hash = secret_hash, \
             previous_signing_key = signing_key, previous_valid_until = ?1, \
             secret_hash = ?2, signing_key = ?3 WHERE name = ?4 AND disabled_at IS NULL",
            &[
                num(rotation.previous_valid_until.unix_millis()),
                text(&rotation.secret_hash),
                opt_text(signing_key.as_deref()),
                text(rotation.name.as_str()),
            ],
        )?;
        let audit = self.audit_record_statement(rotation.at, &rotation.actor, &rotation.audit)?;
        batch_first_changed_one(&self.db, vec![rotate, audit]).await
    }

    async fn disable_integration(
        &self,
        disabling: &IntegrationDisabling,
    ) -> Result<bool, StoreError> {
        let disable = self.statement(
            "UPDATE integrations SET disabled_at = ?1 WHERE name = ?2 AND disabled_at IS NULL",
            &[
                num(disabling.at.unix_millis()),
                text(disabling.name.as_str()),
            ],
        )?;
        let audit =
            self.audit_record_statement(disabling.at, &disabling.actor, &disabling.audit)?;
        batch_first_changed_one(&self.db, vec![disable, audit]).await
    }

    async fn key_history(
        &self,
        integration_id: i64,
        key: &DedupKey,
    ) -> Result<KeyHistory, StoreError> {
        let row = self
            .first::<KeyRow>(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id \
                     WHERE a.integration_id = ?1 AND a.dedup_key = ?2 ORDER BY a.id DESC LIMIT 1"
                ),
                &[num(integration_id), text(key.as_str())],
            )
            .await?;
        row.map(|row| row.history())
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn store_delivery(&self, delivery: &DeliveryPlan<'_>) -> Result<(), StoreError> {
        let integration = delivery.integration;
        let actor = integration.actor();
        let mut statements = vec![self.statement(
            "INSERT INTO alert_events (integration_id, received_at, body, outcome, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                num(integration.id),
                num(delivery.at.unix_millis()),
                text(&String::from_utf8_lossy(delivery.received.body)),
                json_text(&delivery.outcome_json()),
                opt_text(delivery.received.signature),
            ],
        )?];
        for plan in &delivery.plans {
            statements.extend(self.plan_statements(delivery, plan, &actor)?);
        }
        statements.extend(self.delivery_tail_statements(delivery, &actor)?);
        self.write_batch(statements).await
    }

    async fn delivery_history(
        &self,
        integration_id: i64,
        keys: &[DedupKey],
        group_key: Option<&str>,
        window_start: Timestamp,
    ) -> Result<DeliveryHistory, StoreError> {
        let keys_json =
            serde_json::to_string(&keys.iter().map(DedupKey::as_str).collect::<Vec<_>>())
                .map_err(parse_err)?;
        let rows = self
            .all::<HistoryRow>(
                &format!(
                    "SELECT 'key' AS kind, a.dedup_key AS dedup_key, {KEY_COLUMNS} \
                     FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id \
                     WHERE a.id IN (SELECT max(id) FROM alerts WHERE integration_id = ?1 \
                       AND dedup_key IN (SELECT value FROM json_each(?2)) GROUP BY dedup_key) \
                     UNION ALL \
                     SELECT 'group', NULL, {KEY_COLUMNS} \
                     FROM alerts a JOIN incidents i ON i.id = a.incident_id \
                     WHERE a.id = (SELECT max(id) FROM alerts WHERE integration_id = ?1 AND group_key = ?3) \
                     UNION ALL \
                     SELECT 'storm', NULL, NULL, NULL, s.incident_id, i.status, i.labels, i.priority, i.rules_priority, \
                       (SELECT count(*) FROM alerts o WHERE o.incident_id = s.incident_id AND o.status != 'resolved') \
                     FROM alert_storms s JOIN incidents i ON i.id = s.incident_id WHERE s.integration_id = ?1 \
                     UNION ALL \
                     SELECT 'window', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) \
                     FROM alerts WHERE integration_id = ?1 AND opened_incident = 1 AND first_seen > ?4 \
                     UNION ALL \
                     SELECT 'signatures', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
                       EXISTS (SELECT 1 FROM problem_signatures)"
                ),
                &[
                    num(integration_id),
                    text(&keys_json),
                    opt_text(group_key),
                    num(window_start.unix_millis()),
                ],
            )
            .await?;
        let mut history = DeliveryHistory::default();
        for row in rows {
            match row.kind.as_str() {
                "key" => {
                    let key = row.dedup_key.clone().unwrap_or_default();
                    let key = DedupKey::parse(&key).map_err(parse_err)?;
                    history.keys.push((key, row.key_row().history()?));
                }
                "group" => history.group = row.key_row().incident()?,
                "storm" => history.storm = row.key_row().incident()?,
                "window" => history.opened_in_window = row.open_alerts.unwrap_or(0.0) as u32,
                "signatures" => history.problems_may_recur = row.open_alerts.unwrap_or(0.0) > 0.0,
                other => return Err(parse_err(format!("history row `{other}`"))),
            }
        }
        Ok(history)
    }

    async fn set_ingest_control(&self, change: &IngestControlChange) -> Result<bool, StoreError> {
        let control = &change.control;
        let statements = vec![
            self.statement(
                "UPDATE integrations SET grouping = ?1, storm_threshold = ?2, delivery_retention_days = ?3 WHERE name = ?4",
                &[
                    text(control.grouping.as_str()),
                    num(i64::from(control.storm_threshold)),
                    num(i64::from(control.delivery_retention_days)),
                    text(change.integration.as_str()),
                ],
            )?,
            self.audit_record_statement(change.at, &change.actor, &change.audit)?,
        ];
        batch_first_changed_one(&self.db, statements).await
    }

    async fn prune_deliveries(&self, now: Timestamp) -> Result<u64, StoreError> {
        let rows = self
            .all::<IdRow>(
                "DELETE FROM alert_events WHERE id IN (SELECT e.id FROM alert_events e \
                 JOIN integrations g ON g.id = e.integration_id \
                 WHERE e.received_at < ?1 - g.delivery_retention_days * 86400000 LIMIT 10000) RETURNING id",
                &[num(now.unix_millis())],
            )
            .await?;
        Ok(rows.len() as u64)
    }

    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        let row = self
            .first::<AlertRow>(&format!("{SELECT_ALERTS} WHERE a.id = ?1"), &[num(id)])
            .await?;
        row.map(AlertRecord::try_from).transpose()
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        let mut conditions = Vec::new();
        let mut args = vec![text(IncidentStatus::Reported.as_str())];
        if filter.open_only {
            args.push(text(AlertStatus::Resolved.as_str()));
            conditions.push(format!("a.status != ?{}", args.len()));
        }
        if let Some(incident) = filter.incident {
            args.push(num(incident));
            conditions.push(format!("a.incident_id = ?{}", args.len()));
        }
        let only_open = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let rows = self
            .all::<AlertRow>(
                &format!(
                    "{SELECT_ALERTS} {only_open} \
                     ORDER BY coalesce(i.status = ?1, 0) DESC, a.first_seen DESC, a.id DESC LIMIT {}",
                    AlertFilter::FETCH
                ),
                &args,
            )
            .await?;
        rows.into_iter().map(AlertRecord::try_from).collect()
    }

    async fn attach_alert(&self, attachment: &AlertAttachment) -> Result<bool, StoreError> {
        let (at, actor) = (attachment.at, &attachment.actor);
        let statements = vec![
            self.statement(
                "UPDATE alerts SET incident_id = ?1 WHERE id = ?2 AND incident_id = ?3",
                &[
                    num(attachment.to_incident),
                    num(attachment.alert_id),
                    num(attachment.from_incident),
                ],
            )?,
            self.timeline_statement(
                &attachment.to_incident.to_string(),
                at,
                actor,
                &attachment.attached,
            )?,
            self.timeline_statement(
                &attachment.from_incident.to_string(),
                at,
                actor,
                &attachment.detached,
            )?,
            self.touch_incident(attachment.to_incident, at)?,
            self.touch_incident(attachment.from_incident, at)?,
            self.audit_record_statement(at, actor, &attachment.audit)?,
        ];
        // The guard after the first statement writes the rest only if the alert moved.
        batch_first_changed_one(&self.db, statements).await
    }

    async fn alerts_on_incident(&self, incident_id: i64) -> Result<u64, StoreError> {
        let row = self
            .first::<CountRow>(
                "SELECT count(*) AS n FROM alerts WHERE incident_id = ?1",
                &[num(incident_id)],
            )
            .await?;
        Ok(row.map_or(0, |r| r.n as u64))
    }
}
