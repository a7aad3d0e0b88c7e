//! [`EscalationStore`] on D1: `rotas`, `notification_channels`,
//! `escalation_actions` (the claimed keys), `outbound_notifications` (the
//! outbox, claimed for the delivery queue), the due index of `incidents`
//! (`escalation_due_at`, kept by the trigger of migration 0019), and the
//! escalation entries of `timeline_entries` with their audit rows.

use super::{
    batch_first_changed_one, first_returned, json_text, num, parse_err, text, D1Store, IdRow,
};
use crate::auth::Actor;
use crate::paging::{ChannelFormat, ChannelOwner};
use crate::sealed_secret::SealedPurpose;
use crate::stores::parse_stored;
use crate::stores::{
    AcknowledgementRecord, AttemptOutcome, ChannelDisabling, ChannelRecord, DueAction,
    EscalationStore, NewChannel, OpenTicket, OutboxItem, StoreError, SweptTicket, TeamPullIn,
    CHANNEL_DISABLED, SWEEP_ACTOR,
};
use beacon_shared::category::Category;
use beacon_shared::escalation::IdempotencyKey;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::notification_delivery::{ATTEMPT_TIMEOUT_MS, CLAIM_LEASE_MS};
use beacon_shared::rota::{Rota, Rotas};
use beacon_shared::timeline::{DeliveryFailure, TimelineEvent};
use beacon_shared::{Priority, Timestamp};
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

/// `?{first}, ?{first + 1}, ...` for `count` values.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statuses of tickets that await a response, as bound values.
fn awaiting_statuses() -> Vec<JsValue> {
    IncidentStatus::ALL
        .into_iter()
        .filter(|s| s.awaits_response())
        .map(|s| text(s.as_str()))
        .collect()
}

/// `WHERE` of the tickets that await a response (binding `?1..`), optionally only one.
fn awaiting_filter(only: Option<i64>, args: &mut Vec<JsValue>) -> String {
    let statuses = awaiting_statuses();
    let mut sql = format!("status IN ({})", placeholders(1, statuses.len()));
    args.extend(statuses);
    if let Some(id) = only {
        args.push(num(id));
        sql.push_str(&format!(" AND id = ?{}", args.len()));
    }
    sql
}

#[derive(Deserialize)]
struct RotaRow {
    rota: String,
}

#[derive(Deserialize)]
struct ChannelRow {
    id: f64,
    owner_kind: String,
    owner: String,
    format: String,
}

impl TryFrom<ChannelRow> for ChannelRecord {
    type Error = StoreError;
    fn try_from(row: ChannelRow) -> Result<Self, StoreError> {
        let owner = match row.owner_kind.as_str() {
            "person" => ChannelOwner::Person(row.owner),
            "team" => ChannelOwner::Team(row.owner),
            "management" => ChannelOwner::Management,
            other => return Err(StoreError::corrupt(format!("channel owner kind {other:?}"))),
        };
        Ok(ChannelRecord {
            id: row.id as i64,
            owner,
            format: row.format.parse::<ChannelFormat>().map_err(parse_err)?,
        })
    }
}

#[derive(Deserialize)]
struct OpenIncidentRow {
    id: f64,
    title: String,
    category: Option<String>,
    priority: String,
    status: String,
    created_at: f64,
    escalation_schedule: f64,
}

/// The columns of [`OpenIncidentRow`].
const OPEN_INCIDENT_COLUMNS: &str =
    "id, title, category, priority, status, created_at, escalation_schedule";

/// How many statements one batch of [`EscalationStore::record_sweep`] holds
/// about (a ticket's statements always share a batch).
const SWEEP_BATCH_STATEMENTS: usize = 200;

#[derive(Deserialize)]
struct EntryRow {
    incident_id: f64,
    at: f64,
    kind: String,
    body: String,
}

#[derive(Deserialize)]
struct SentRow {
    incident_id: f64,
    key: String,
}

#[derive(Deserialize)]
struct AttemptRow {
    id: f64,
    incident_id: f64,
    action_key: String,
    channel_id: f64,
    body: String,
    attempts: f64,
}

#[derive(Deserialize)]
struct ChannelAddressRow {
    url: String,
    secret: String,
}

#[derive(Deserialize)]
struct FailureRow {
    incident_id: f64,
    action_key: String,
    attempts: f64,
    last_error: Option<String>,
}

/// The ticket of `row` with its escalation timeline and sent keys; a corrupt
/// row is an error for this ticket only.
fn open_ticket(
    row: OpenIncidentRow,
    timeline: &mut BTreeMap<i64, Vec<(Timestamp, TimelineEvent)>>,
    sent: &mut BTreeMap<i64, Vec<IdempotencyKey>>,
) -> Result<OpenTicket, StoreError> {
    let id = row.id as i64;
    let corrupt = |e: String| StoreError::Corrupt(format!("incident {id}: {e}"));
    Ok(OpenTicket {
        id,
        priority: row
            .priority
            .parse::<Priority>()
            .map_err(|e| corrupt(e.to_string()))?,
        status: row
            .status
            .parse::<IncidentStatus>()
            .map_err(|e| corrupt(e.to_string()))?,
        category: row
            .category
            .as_deref()
            .map(Category::parse)
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?,
        title: row.title,
        created_at: Timestamp::from_unix_millis(row.created_at as i64),
        timeline: timeline.remove(&id).unwrap_or_default(),
        sent: sent.remove(&id).unwrap_or_default(),
        schedule: row.escalation_schedule as i64,
    })
}

/// Whether a stored status is one that awaits a response (an unreadable one
/// does, so that its ticket is read and reported rather than forgotten).
fn stored_status_awaits(status: &str) -> bool {
    status
        .parse::<IncidentStatus>()
        .map_or(true, IncidentStatus::awaits_response)
}

impl D1Store {
    /// `incidents` with their escalation timeline and sent keys, read for
    /// exactly these ids (one bound JSON list, however many there are).
    async fn with_history(
        &self,
        incidents: Vec<OpenIncidentRow>,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError> {
        if incidents.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = incidents.iter().map(|row| row.id as i64).collect();
        let ids = text(&serde_json::to_string(&ids).map_err(parse_err)?);
        let kinds = TimelineEvent::ESCALATION_KINDS;
        let mut entry_args = vec![ids.clone()];
        let kind_list = placeholders(2, kinds.len());
        entry_args.extend(kinds.iter().map(|k| text(k)));
        let entry_rows = self
            .all::<EntryRow>(
                &format!(
                    "SELECT incident_id, at, kind, body FROM timeline_entries \
                     WHERE incident_id IN (SELECT value FROM json_each(?1)) \
                     AND kind IN ({kind_list}) ORDER BY incident_id, at, id"
                ),
                &entry_args,
            )
            .await?;
        let mut timeline: BTreeMap<i64, Vec<(Timestamp, TimelineEvent)>> = BTreeMap::new();
        for row in entry_rows {
            // A line that does not parse is left out; the ticket's pages go on.
            let event = TimelineEvent::from_stored(&row.kind, &row.body).ok();
            if let Some(event) = event {
                timeline
                    .entry(row.incident_id as i64)
                    .or_default()
                    .push((Timestamp::from_unix_millis(row.at as i64), event));
            }
        }
        let sent_rows = self
            .all::<SentRow>(
                "SELECT incident_id, key FROM escalation_actions \
                 WHERE incident_id IN (SELECT value FROM json_each(?1))",
                &[ids],
            )
            .await?;
        let mut sent: BTreeMap<i64, Vec<IdempotencyKey>> = BTreeMap::new();
        for row in sent_rows {
            sent.entry(row.incident_id as i64)
                .or_default()
                .push(IdempotencyKey::from_stored(row.key));
        }
        Ok(incidents
            .into_iter()
            .map(|row| open_ticket(row, &mut timeline, &mut sent))
            .collect())
    }

    /// An action's key claim by `sweep`, then its timeline entry and queued
    /// notifications, each written only if the key is now this sweep's (a
    /// key claimed before, by any sweep, writes nothing).
    fn due_action_statements(
        &self,
        sweep: &str,
        action: &DueAction,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let key = text(action.key.as_str());
        let mut statements = vec![
            self.statement(
                "INSERT OR IGNORE INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[
                    key.clone(),
                    num(action.incident),
                    num(action.due_at.unix_millis()),
                    num(action.recorded_at.unix_millis()),
                    text(sweep),
                    json_text(&action.action),
                ],
            )?,
            self.statement(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS \
                 (SELECT 1 FROM escalation_actions WHERE key = ?6 AND sweep = ?7)",
                &[
                    num(action.incident),
                    num(action.recorded_at.unix_millis()),
                    text(SWEEP_ACTOR),
                    text(action.timeline.kind()),
                    text(&action.timeline.body_text()),
                    key.clone(),
                    text(sweep),
                ],
            )?,
        ];
        for notification in &action.notifications {
            statements.push(self.statement(
                "INSERT INTO outbound_notifications (action_key, incident_id, channel_id, body, next_attempt_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS \
                 (SELECT 1 FROM escalation_actions WHERE key = ?1 AND sweep = ?6)",
                &[
                    key.clone(),
                    num(action.incident),
                    num(notification.channel),
                    text(&notification.body),
                    num(action.deliver_from.unix_millis()),
                    text(sweep),
                ],
            )?);
        }
        Ok(statements)
    }

    /// Runs one batch of [`EscalationStore::record_sweep`]; returns how many
    /// of the key claims at `claims` (statement indexes) took their key.
    async fn claiming_batch(
        &self,
        statements: Vec<D1PreparedStatement>,
        claims: &[usize],
    ) -> Result<usize, StoreError> {
        let results = self.batch(statements).await?;
        let mut claimed = 0;
        for &index in claims {
            let changes = results
                .get(index)
                .map(|result| result.meta())
                .transpose()
                .map_err(super::store_err)?
                .flatten()
                .and_then(|meta| meta.changes)
                .unwrap_or(0);
            claimed += changes;
        }
        Ok(claimed)
    }

    fn outbox_insert(
        &self,
        key: &str,
        incident: i64,
        channel: i64,
        body: &str,
        at: Timestamp,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            "INSERT INTO outbound_notifications (action_key, incident_id, channel_id, body, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[text(key), num(incident), num(channel), text(body), num(at.unix_millis())],
        )
    }
}

impl EscalationStore for D1Store {
    async fn rotas(&self) -> Result<Rotas, StoreError> {
        let rows = self
            .all::<RotaRow>("SELECT rota FROM rotas ORDER BY role", &[])
            .await?;
        let rotas = rows
            .iter()
            .map(|r| parse_stored::<Rota>(&r.rota))
            .collect::<Result<Vec<_>, _>>()?;
        Rotas::new(rotas).map_err(parse_err)
    }

    async fn put_rota(&self, rota: &Rota, at: Timestamp, actor: &Actor) -> Result<(), StoreError> {
        let role = rota.role();
        let rota_json = serde_json::to_value(rota).map_err(parse_err)?;
        let statements = vec![
            self.statement(
                "INSERT INTO rotas (role, rota, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (role) DO UPDATE SET rota = excluded.rota, updated_at = excluded.updated_at",
                &[text(role.as_str()), json_text(&rota_json), num(at.unix_millis())],
            )?,
            self.audit_statement(
                at,
                actor,
                "rota.put",
                &format!("rota/{}", role.as_str()),
                None,
                Some(&rota_json),
            )?,
        ];
        self.write_batch(statements).await
    }

    async fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError> {
        self.all::<ChannelRow>(
            "SELECT id, owner_kind, owner, format FROM notification_channels \
             WHERE disabled_at IS NULL ORDER BY id",
            &[],
        )
        .await?
        .into_iter()
        .map(ChannelRecord::try_from)
        .collect()
    }

    async fn disable_channel(&self, disabling: &ChannelDisabling) -> Result<bool, StoreError> {
        let disable = self.statement(
            "UPDATE notification_channels SET disabled_at = ?1 WHERE id = ?2 AND disabled_at IS NULL",
            &[num(disabling.at.unix_millis()), num(disabling.id)],
        )?;
        let fail_pending = self.statement(
            "UPDATE outbound_notifications SET status = 'failed', last_error = ?1 \
             WHERE channel_id = ?2 AND status = 'pending'",
            &[text(CHANNEL_DISABLED), num(disabling.id)],
        )?;
        let audit =
            self.audit_record_statement(disabling.at, &disabling.actor, &disabling.audit)?;
        batch_first_changed_one(&self.db, vec![disable, fail_pending, audit]).await
    }

    async fn create_channel(&self, channel: &NewChannel<'_>) -> Result<i64, StoreError> {
        let (owner_kind, owner) = channel.owner.as_row();
        let insert = self.statement(
            "INSERT INTO notification_channels (owner_kind, owner, format, url, secret, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            &[
                text(owner_kind),
                text(owner),
                text(channel.format.as_str()),
                text(&self.seal_secret(SealedPurpose::ChannelUrl, &channel.url)?),
                text(&self.seal_secret(SealedPurpose::ChannelSecret, &channel.secret)?),
                num(channel.at.unix_millis()),
            ],
        )?;
        let audit = self.audit_statement(
            channel.at,
            channel.actor,
            "notification_channel.create",
            &format!("channel/{owner_kind}/{owner}"),
            None,
            Some(&serde_json::json!({ "format": channel.format, "url": channel.url })),
        )?;
        let results = self.batch(vec![insert, audit]).await?;
        first_returned::<IdRow>(&results, 0)?
            .map(|r| r.id as i64)
            .ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))
    }

    async fn open_tickets(
        &self,
        only: Option<i64>,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError> {
        let mut args = Vec::new();
        let filter = awaiting_filter(only, &mut args);
        let incidents = self
            .all::<OpenIncidentRow>(
                &format!(
                    "SELECT {OPEN_INCIDENT_COLUMNS} FROM incidents WHERE {filter} ORDER BY id"
                ),
                &args,
            )
            .await?;
        self.with_history(incidents).await
    }

    async fn due_tickets(
        &self,
        at: Timestamp,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError> {
        // The due index: only the tickets whose instant has come.
        let due = self
            .all::<OpenIncidentRow>(
                &format!(
                    "SELECT {OPEN_INCIDENT_COLUMNS} FROM incidents \
                     WHERE escalation_due_at <= ?1 ORDER BY id"
                ),
                &[num(at.unix_millis())],
            )
            .await?;
        let (awaiting, settled): (Vec<_>, Vec<_>) = due
            .into_iter()
            .partition(|row| stored_status_awaits(&row.status));
        if !settled.is_empty() {
            // Resolved, closed or discarded since: out of the index until a
            // write reopens them (the status is checked in the same statement).
            let statuses = awaiting_statuses();
            let mut args = vec![num(at.unix_millis())];
            let list = placeholders(2, statuses.len());
            args.extend(statuses);
            self.run(
                &format!(
                    "UPDATE incidents SET escalation_due_at = NULL \
                     WHERE escalation_due_at <= ?1 AND status NOT IN ({list})"
                ),
                &args,
            )
            .await?;
        }
        self.with_history(awaiting).await
    }

    async fn record_sweep(
        &self,
        sweep: &str,
        tickets: &[SweptTicket],
    ) -> Result<usize, StoreError> {
        let mut claimed = 0;
        let mut statements = Vec::new();
        let mut claims = Vec::new();
        for ticket in tickets {
            for action in &ticket.actions {
                claims.push(statements.len());
                statements.extend(self.due_action_statements(sweep, action)?);
            }
            // Kept only if nothing changed the ticket since it was read.
            statements.push(self.statement(
                "UPDATE incidents SET escalation_due_at = ?1 WHERE id = ?2 AND escalation_schedule = ?3",
                &[
                    ticket.next_due.map_or(JsValue::NULL, |at| num(at.unix_millis())),
                    num(ticket.incident),
                    num(ticket.schedule),
                ],
            )?);
            if statements.len() >= SWEEP_BATCH_STATEMENTS {
                claimed += self
                    .claiming_batch(
                        std::mem::take(&mut statements),
                        &std::mem::take(&mut claims),
                    )
                    .await?;
            }
        }
        if !statements.is_empty() {
            claimed += self.claiming_batch(statements, &claims).await?;
        }
        Ok(claimed)
    }

    async fn reschedule_open_tickets(&self) -> Result<(), StoreError> {
        let mut args = Vec::new();
        let filter = awaiting_filter(None, &mut args);
        self.run(
            &format!(
                "UPDATE incidents SET escalation_due_at = 0, \
                 escalation_schedule = escalation_schedule + 1 WHERE {filter}"
            ),
            &args,
        )
        .await
    }

    async fn claim_outbox(
        &self,
        at: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError> {
        // One UPDATE: SQLite runs it alone, so of two overlapping sweeps only
        // one sees a row unclaimed.
        let rows = self
            .all::<IdRow>(
                "UPDATE outbound_notifications SET queued_until = ?1 WHERE id IN ( \
                 SELECT id FROM outbound_notifications WHERE status = 'pending' \
                 AND next_attempt_at <= ?2 AND (queued_until IS NULL OR queued_until <= ?3) \
                 ORDER BY id LIMIT ?4) RETURNING id",
                &[
                    num(now.unix_millis() + CLAIM_LEASE_MS),
                    num(at.unix_millis()),
                    num(now.unix_millis()),
                    num(i64::from(limit)),
                ],
            )
            .await?;
        let mut ids: Vec<i64> = rows.into_iter().map(|r| r.id as i64).collect();
        ids.sort_unstable();
        Ok(ids)
    }

    async fn release_outbox(&self, ids: &[i64]) -> Result<(), StoreError> {
        let list = serde_json::to_string(ids).map_err(parse_err)?;
        self.run(
            "UPDATE outbound_notifications SET queued_until = NULL \
             WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'pending'",
            &[text(&list)],
        )
        .await
    }

    async fn begin_attempt(
        &self,
        id: i64,
        now: Timestamp,
    ) -> Result<Option<OutboxItem>, StoreError> {
        let timeout = i64::from(ATTEMPT_TIMEOUT_MS);
        let results = self
            .batch(vec![
                self.statement(
                    "UPDATE outbound_notifications SET attempts = attempts + 1, \
                     sending_until = ?1, queued_until = ?2 \
                     WHERE id = ?3 AND status = 'pending' AND (sending_until IS NULL OR sending_until <= ?4) \
                     RETURNING id, incident_id, action_key, channel_id, body, attempts",
                    &[
                        num(now.unix_millis() + timeout + 5_000),
                        num(now.unix_millis() + timeout + CLAIM_LEASE_MS),
                        num(id),
                        num(now.unix_millis()),
                    ],
                )?,
                self.statement(
                    "SELECT c.url, c.secret FROM outbound_notifications n \
                     JOIN notification_channels c ON c.id = n.channel_id WHERE n.id = ?1",
                    &[num(id)],
                )?,
            ])
            .await?;
        let (Some(row), Some(address)) = (
            first_returned::<AttemptRow>(&results, 0)?,
            first_returned::<ChannelAddressRow>(&results, 1)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(OutboxItem {
            id: row.id as i64,
            incident: row.incident_id as i64,
            action_key: row.action_key,
            channel: row.channel_id as i64,
            body: row.body,
            attempts: row.attempts as u32,
            url: self.open_secret(SealedPurpose::ChannelUrl, &address.url)?,
            secret: self.open_secret(SealedPurpose::ChannelSecret, &address.secret)?,
        }))
    }

    async fn finish_attempt(
        &self,
        item: &OutboxItem,
        now: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        match outcome {
            AttemptOutcome::Delivered => {
                self.run(
                    "UPDATE outbound_notifications SET status = 'delivered', delivered_at = ?1, \
                     sending_until = NULL WHERE id = ?2 AND status = 'pending'",
                    &[num(now.unix_millis()), num(item.id)],
                )
                .await
            }
            AttemptOutcome::Failed { error, retry_in_ms } => {
                self.run(
                    "UPDATE outbound_notifications SET last_error = ?1, sending_until = NULL, \
                     queued_until = ?2 WHERE id = ?3 AND status = 'pending'",
                    &[
                        text(error),
                        num(now.unix_millis() + retry_in_ms + CLAIM_LEASE_MS),
                        num(item.id),
                    ],
                )
                .await
            }
        }
    }

    async fn give_up(&self, id: i64, at: Timestamp) -> Result<bool, StoreError> {
        let Some(row) = self
            .first::<FailureRow>(
                "SELECT incident_id, action_key, attempts, last_error FROM outbound_notifications \
                 WHERE id = ?1 AND status = 'pending'",
                &[num(id)],
            )
            .await?
        else {
            return Ok(false);
        };
        let failure = TimelineEvent::NotificationFailed(DeliveryFailure {
            key: row.action_key,
            attempts: row.attempts as u32,
            error: row.last_error.unwrap_or_else(|| "never delivered".into()),
        });
        batch_first_changed_one(
            &self.db,
            vec![
                self.statement(
                    "UPDATE outbound_notifications SET status = 'failed', sending_until = NULL \
                     WHERE id = ?1 AND status = 'pending'",
                    &[num(id)],
                )?,
                self.timeline_insert(row.incident_id as i64, at, SWEEP_ACTOR, &failure)?,
            ],
        )
        .await
    }

    async fn record_acknowledgement(
        &self,
        acknowledgement: &AcknowledgementRecord<'_>,
    ) -> Result<bool, StoreError> {
        let id = acknowledgement.incident;
        let event = TimelineEvent::Acknowledged(acknowledgement.acknowledgement.clone());
        let statuses = awaiting_statuses();
        let mut args = vec![
            num(id),
            num(acknowledgement.at.unix_millis()),
            text(&acknowledgement.actor.name),
            text(event.kind()),
            text(&event.body_text()),
        ];
        let status_list = placeholders(args.len() + 1, statuses.len());
        args.extend(statuses);
        // Written only while the incident awaits a response; the guarded batch
        // then writes the audit row, and nothing at all otherwise.
        let entry = self.statement(
            &format!(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT ?1, max(?2, updated_at), ?3, ?4, ?5 FROM incidents \
                 WHERE id = ?1 AND status IN ({status_list})"
            ),
            &args,
        )?;
        let audit = self.audit_statement(
            acknowledgement.at,
            acknowledgement.actor,
            "incident.acknowledge",
            &format!("incident/{id}"),
            None,
            Some(&event.body_json()),
        )?;
        let mut statements = vec![entry, audit];
        if let Some(key) = &acknowledgement.link_key {
            // The primary key refuses a second use of the link, and with it the batch.
            statements.push(self.statement(
                "INSERT INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
                 VALUES (?1, ?2, ?3, ?3, 'ack-link', '{}')",
                &[text(key.as_str()), num(id), num(acknowledgement.at.unix_millis())],
            )?);
        }
        batch_first_changed_one(&self.db, statements).await
    }

    async fn pull_in_team(&self, pull_in: &TeamPullIn<'_>) -> Result<(), StoreError> {
        let id = pull_in.incident;
        let event = TimelineEvent::TeamPaged(pull_in.page.clone());
        let body = event.body_json();
        let mut statements = vec![
            self.statement(
                "INSERT INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
                 VALUES (?1, ?2, ?3, ?3, 'manual', ?4)",
                &[text(&pull_in.key), num(id), num(pull_in.at.unix_millis()), json_text(&body)],
            )?,
            self.timeline_insert(id, pull_in.at, &pull_in.actor.name, &event)?,
            self.audit_statement(
                pull_in.at,
                pull_in.actor,
                "incident.pull_in_team",
                &format!("incident/{id}"),
                None,
                Some(&body),
            )?,
        ];
        for notification in &pull_in.notifications {
            statements.push(self.outbox_insert(
                &pull_in.key,
                id,
                notification.channel,
                &notification.body,
                pull_in.at,
            )?);
        }
        self.write_batch(statements).await
    }
}
