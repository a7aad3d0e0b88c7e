//! [`EscalationStore`] on D1: `rotas`, `notification_channels`,
//! `escalation_actions` (the claimed keys), `outbound_notifications` (the
//! outbox), and the escalation entries of `timeline_entries` with their audit rows.

use super::{
    batch_first_changed_one, first_returned, json_text, num, parse_err, text, D1Store, IdRow,
};
use crate::auth::Actor;
use crate::paging::{ChannelFormat, ChannelOwner};
use crate::stores::parse_stored;
use crate::stores::{
    AcknowledgementRecord, ChannelRecord, DeliveryOutcome, DeliveryResult, DueAction,
    EscalationStore, NewChannel, OpenTicket, OutboxItem, StoreError, TeamPullIn, SWEEP_ACTOR,
};
use beacon_shared::category::Category;
use beacon_shared::escalation::IdempotencyKey;
use beacon_shared::lifecycle::IncidentStatus;
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
}

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
struct OutboxRow {
    id: f64,
    incident_id: f64,
    action_key: String,
    body: String,
    attempts: f64,
    url: String,
    secret: String,
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
    })
}

impl D1Store {
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
            "SELECT id, owner_kind, owner, format FROM notification_channels ORDER BY id",
            &[],
        )
        .await?
        .into_iter()
        .map(ChannelRecord::try_from)
        .collect()
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
                text(&channel.url),
                text(&channel.secret),
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
        let incidents = self.all::<OpenIncidentRow>(
            &format!(
                "SELECT id, title, category, priority, status, created_at FROM incidents WHERE {filter} ORDER BY id"
            ),
            &args,
        ).await?;
        let scope = format!("SELECT id FROM incidents WHERE {filter}");
        let kinds = TimelineEvent::ESCALATION_KINDS;
        let mut entry_args = args.clone();
        let kind_list = placeholders(entry_args.len() + 1, kinds.len());
        entry_args.extend(kinds.iter().map(|k| text(k)));
        let entry_rows = self.all::<EntryRow>(
            &format!(
                "SELECT incident_id, at, kind, body FROM timeline_entries WHERE incident_id IN ({scope}) \
                 AND kind IN ({kind_list}) ORDER BY incident_id, at, id"
            ),
            &entry_args,
        ).await?;
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
                &format!(
                "SELECT incident_id, key FROM escalation_actions WHERE incident_id IN ({scope})"
            ),
                &args,
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

    async fn record_due_action(&self, action: &DueAction) -> Result<bool, StoreError> {
        // The key's INSERT OR IGNORE changes one row only if the key was free;
        // the guarded batch writes the rest only then.
        let mut statements = vec![self.statement(
            "INSERT OR IGNORE INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                text(action.key.as_str()),
                num(action.incident),
                num(action.due_at.unix_millis()),
                num(action.recorded_at.unix_millis()),
                text(&action.sweep),
                json_text(&action.action),
            ],
        )?];
        statements.push(
            self.statement(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    num(action.incident),
                    num(action.recorded_at.unix_millis()),
                    text(SWEEP_ACTOR),
                    text(action.timeline.kind()),
                    text(&action.timeline.body_text()),
                ],
            )?,
        );
        for notification in &action.notifications {
            statements.push(self.outbox_insert(
                action.key.as_str(),
                action.incident,
                notification.channel,
                &notification.body,
                action.deliver_from,
            )?);
        }
        batch_first_changed_one(&self.db, statements).await
    }

    async fn due_outbox(&self, now: Timestamp, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = self
            .all::<OutboxRow>(
                "SELECT n.id, n.incident_id, n.action_key, n.body, n.attempts, c.url, c.secret \
                 FROM outbound_notifications n JOIN notification_channels c ON c.id = n.channel_id \
                 WHERE n.status = 'pending' AND n.next_attempt_at <= ?1 ORDER BY n.id LIMIT ?2",
                &[num(now.unix_millis()), num(i64::from(limit))],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxItem {
                id: row.id as i64,
                incident: row.incident_id as i64,
                action_key: row.action_key,
                body: row.body,
                attempts: row.attempts as u32,
                url: row.url,
                secret: row.secret,
            })
            .collect())
    }

    async fn record_delivery_result(&self, result: &DeliveryResult<'_>) -> Result<(), StoreError> {
        let id = num(result.item.id);
        let attempts = num(i64::from(result.attempts));
        let statements = match &result.outcome {
            DeliveryOutcome::Delivered { at } => vec![self.statement(
                "UPDATE outbound_notifications SET status = 'delivered', attempts = ?1, delivered_at = ?2 WHERE id = ?3",
                &[attempts, num(at.unix_millis()), id],
            )?],
            DeliveryOutcome::Retry {
                next_attempt_at,
                error,
            } => vec![self.statement(
                "UPDATE outbound_notifications SET attempts = ?1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?4",
                &[attempts, num(next_attempt_at.unix_millis()), text(error), id],
            )?],
            DeliveryOutcome::Failed { at, error } => {
                let failure = TimelineEvent::NotificationFailed(DeliveryFailure {
                    key: result.item.action_key.clone(),
                    attempts: result.attempts,
                    error: error.clone(),
                });
                vec![
                    self.statement(
                        "UPDATE outbound_notifications SET status = 'failed', attempts = ?1, last_error = ?2 WHERE id = ?3",
                        &[attempts, text(error), id],
                    )?,
                    self.statement(
                        "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                        &[
                            num(result.item.incident),
                            num(at.unix_millis()),
                            text(SWEEP_ACTOR),
                            text(failure.kind()),
                            text(&failure.body_text()),
                        ],
                    )?,
                ]
            }
        };
        self.write_batch(statements).await
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
