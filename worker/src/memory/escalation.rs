//! [`EscalationStore`] in memory, with D1's guarantees: a key is claimed once,
//! and a refused write leaves nothing behind.

use super::MemoryStore;
use crate::auth::Actor;
use crate::stores::{
    AcknowledgementRecord, AttemptOutcome, ChannelDisabling, ChannelRecord, DueAction,
    EscalationStore, NewChannel, OpenTicket, OutboxItem, StoreError, SweptTicket, TeamPullIn,
    CHANNEL_DISABLED, SWEEP_ACTOR,
};
use beacon_shared::escalation::IdempotencyKey;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::notification_delivery::{ATTEMPT_TIMEOUT_MS, CLAIM_LEASE_MS};
use beacon_shared::role::Role;
use beacon_shared::rota::{Rota, Rotas};
use beacon_shared::timeline::{DeliveryFailure, TimelineEvent};
use beacon_shared::Timestamp;
use std::collections::HashMap;

/// A channel with where it delivers and its signing secret.
#[derive(Debug, Clone)]
pub(super) struct StoredChannel {
    record: ChannelRecord,
    url: String,
    secret: String,
    disabled: bool,
}

/// Whether a queued notification is still to be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutboxStatus {
    Pending,
    Delivered,
    Failed,
}

/// One queued notification.
#[derive(Debug, Clone)]
pub(super) struct StoredNotification {
    id: i64,
    incident: i64,
    action_key: String,
    channel: i64,
    body: String,
    status: OutboxStatus,
    attempts: u32,
    next_attempt_at: Timestamp,
    /// Claimed for the delivery queue until then.
    queued_until: Option<Timestamp>,
    /// An attempt is in flight until then.
    sending_until: Option<Timestamp>,
    last_error: Option<String>,
}

/// A ticket's place in the due index: when it is next due (`None`: not
/// until a write changes it) and its schedule's version.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    due_at: Option<Timestamp>,
    version: i64,
}

impl Default for Schedule {
    /// A new ticket is due at once.
    fn default() -> Self {
        Self {
            due_at: Some(Timestamp::from_unix_millis(0)),
            version: 0,
        }
    }
}

/// The escalation tables.
#[derive(Debug, Default)]
pub(crate) struct EscalationTables {
    rotas: Vec<Rota>,
    channels: Vec<StoredChannel>,
    /// Claimed action keys and their incident.
    actions: Vec<(IdempotencyKey, i64)>,
    outbox: Vec<StoredNotification>,
    /// The due index, by incident (a ticket not in it is due at once).
    schedules: HashMap<i64, Schedule>,
}

fn sweep_actor() -> Actor {
    Actor {
        user_id: 0,
        name: SWEEP_ACTOR.into(),
        role: Role::Viewer,
    }
}

impl MemoryStore {
    fn queue(&self, incident: i64, key: &str, at: Timestamp, channel: i64, body: &str) {
        let mut tables = self.escalation.borrow_mut();
        let id = tables.outbox.len() as i64 + 1;
        tables.outbox.push(StoredNotification {
            id,
            incident,
            action_key: key.to_owned(),
            channel,
            body: body.to_owned(),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: at,
            queued_until: None,
            sending_until: None,
            last_error: None,
        });
    }

    /// Makes ticket `incident` due at once, as the D1 trigger does for every
    /// timeline entry that shapes escalation.
    pub fn reschedule(&self, incident: i64) {
        let mut tables = self.escalation.borrow_mut();
        let schedule = tables.schedules.entry(incident).or_default();
        schedule.due_at = Some(Timestamp::from_unix_millis(0));
        schedule.version += 1;
    }

    /// When ticket `incident` is next due in the index (`None`: not until a
    /// write changes it).
    pub fn due_at(&self, incident: i64) -> Option<Timestamp> {
        self.escalation
            .borrow()
            .schedules
            .get(&incident)
            .copied()
            .unwrap_or_default()
            .due_at
    }

    /// Each queued notification's (id, attempts, status as text).
    pub fn outbox_states(&self) -> Vec<(i64, u32, &'static str)> {
        self.escalation
            .borrow()
            .outbox
            .iter()
            .map(|n| {
                let status = match n.status {
                    OutboxStatus::Pending => "pending",
                    OutboxStatus::Delivered => "delivered",
                    OutboxStatus::Failed => "failed",
                };
                (n.id, n.attempts, status)
            })
            .collect()
    }

    fn tickets_where(&self, keep: impl Fn(i64) -> bool) -> Vec<Result<OpenTicket, StoreError>> {
        let mut incidents = self.incidents.borrow().clone();
        incidents.sort_by_key(|i| i.id);
        let tables = self.escalation.borrow();
        let timeline = self.timeline.borrow();
        incidents
            .into_iter()
            .filter(|i| i.state.status.awaits_response() && keep(i.id))
            .map(|i| {
                if self.corrupt_tickets.borrow().contains(&i.id) {
                    return Err(StoreError::Corrupt(format!(
                        "incident {}: unknown priority",
                        i.id
                    )));
                }
                Ok(OpenTicket {
                    id: i.id,
                    title: i.state.title,
                    category: i.state.category,
                    priority: i.state.priority,
                    status: i.state.status,
                    created_at: i.created_at,
                    timeline: timeline
                        .iter()
                        .filter(|(id, e)| *id == i.id && e.event.shapes_escalation())
                        .map(|(_, e)| (e.at, e.event.clone()))
                        .collect(),
                    sent: tables
                        .actions
                        .iter()
                        .filter(|(_, id)| *id == i.id)
                        .map(|(key, _)| key.clone())
                        .collect(),
                    schedule: tables
                        .schedules
                        .get(&i.id)
                        .copied()
                        .unwrap_or_default()
                        .version,
                })
            })
            .collect()
    }

    /// Claims `action`'s key and writes its entry and notifications; `false`
    /// (nothing written) if the key was claimed before.
    fn record_due_action(&self, action: &DueAction) -> bool {
        {
            let mut tables = self.escalation.borrow_mut();
            if tables.actions.iter().any(|(key, _)| *key == action.key) {
                return false;
            }
            tables.actions.push((action.key.clone(), action.incident));
        }
        self.push_timeline(
            action.incident,
            action.recorded_at,
            &sweep_actor(),
            action.timeline.clone(),
        );
        for notification in &action.notifications {
            self.queue(
                action.incident,
                action.key.as_str(),
                action.deliver_from,
                notification.channel,
                &notification.body,
            );
        }
        true
    }

    /// Whether `key` was claimed as an action key.
    pub(super) fn key_claimed(&self, key: &str) -> bool {
        self.escalation
            .borrow()
            .actions
            .iter()
            .any(|(claimed, _)| claimed.as_str() == key)
    }

    /// Claims `key` for `incident` and queues `notifications` under it, as a
    /// problem write does (SPEC R6).
    pub fn queue_under_key(
        &self,
        key: &str,
        incident: i64,
        at: Timestamp,
        notifications: &[crate::stores::QueuedNotification],
    ) -> Result<(), StoreError> {
        if self.key_claimed(key) {
            return Err(StoreError::UniqueViolation("escalation_actions.key".into()));
        }
        self.escalation
            .borrow_mut()
            .actions
            .push((IdempotencyKey::from_stored(key.to_owned()), incident));
        for notification in notifications {
            self.queue(incident, key, at, notification.channel, &notification.body);
        }
        Ok(())
    }

    /// When incident `id` last changed, if it exists and its status passes `status`.
    fn last_change(&self, id: i64, status: impl Fn(IncidentStatus) -> bool) -> Option<Timestamp> {
        self.incidents
            .borrow()
            .iter()
            .find(|i| i.id == id && status(i.state.status))
            .map(|i| i.updated_at)
    }

    /// The bodies queued for channel `channel` so far, delivered or not.
    pub fn queued_bodies(&self, channel: i64) -> Vec<String> {
        self.escalation
            .borrow()
            .outbox
            .iter()
            .filter(|n| n.channel == channel)
            .map(|n| n.body.clone())
            .collect()
    }

    /// Makes ticket `id`'s stored row unreadable to [`EscalationStore::open_tickets`],
    /// as a hand-edited priority would on D1.
    pub fn corrupt_ticket(&self, id: i64) {
        self.corrupt_tickets.borrow_mut().insert(id);
    }
}

impl EscalationStore for MemoryStore {
    async fn rotas(&self) -> Result<Rotas, StoreError> {
        self.check()?;
        Rotas::new(self.escalation.borrow().rotas.clone()).map_err(StoreError::corrupt)
    }

    async fn put_rota(&self, rota: &Rota, at: Timestamp, actor: &Actor) -> Result<(), StoreError> {
        self.check()?;
        {
            let mut tables = self.escalation.borrow_mut();
            tables.rotas.retain(|r| r.role() != rota.role());
            tables.rotas.push(rota.clone());
            tables.rotas.sort_by_key(|r| r.role().as_str());
        }
        self.push_audit(
            at,
            actor,
            "rota.put",
            format!("rota/{}", rota.role().as_str()),
            None,
            serde_json::to_value(rota).ok(),
        );
        Ok(())
    }

    async fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError> {
        self.check()?;
        Ok(self
            .escalation
            .borrow()
            .channels
            .iter()
            .filter(|c| !c.disabled)
            .map(|c| c.record.clone())
            .collect())
    }

    async fn disable_channel(&self, disabling: &ChannelDisabling) -> Result<bool, StoreError> {
        self.check()?;
        {
            let mut tables = self.escalation.borrow_mut();
            let Some(channel) = tables
                .channels
                .iter_mut()
                .find(|c| c.record.id == disabling.id && !c.disabled)
            else {
                return Ok(false);
            };
            channel.disabled = true;
            for row in tables.outbox.iter_mut() {
                if row.channel == disabling.id && row.status == OutboxStatus::Pending {
                    row.status = OutboxStatus::Failed;
                    row.last_error = Some(CHANNEL_DISABLED.into());
                }
            }
        }
        self.push_audit_record(disabling.at, &disabling.actor, &disabling.audit);
        Ok(true)
    }

    async fn create_channel(&self, channel: &NewChannel<'_>) -> Result<i64, StoreError> {
        self.check()?;
        let id = {
            let mut tables = self.escalation.borrow_mut();
            let id = tables.channels.len() as i64 + 1;
            tables.channels.push(StoredChannel {
                record: ChannelRecord {
                    id,
                    owner: channel.owner.clone(),
                    format: channel.format,
                },
                url: channel.url.clone(),
                secret: channel.secret.clone(),
                disabled: false,
            });
            id
        };
        let (kind, owner) = channel.owner.as_row();
        self.push_audit(
            channel.at,
            channel.actor,
            "notification_channel.create",
            format!("channel/{kind}/{owner}"),
            None,
            Some(serde_json::json!({ "format": channel.format, "url": channel.url })),
        );
        Ok(id)
    }

    async fn open_tickets(
        &self,
        only: Option<i64>,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError> {
        self.check()?;
        Ok(self.tickets_where(|id| only.is_none_or(|only| only == id)))
    }

    async fn due_tickets(
        &self,
        at: Timestamp,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError> {
        self.check()?;
        // Resolved, closed or discarded since: out of the index until reopened.
        let settled: Vec<i64> = self
            .incidents
            .borrow()
            .iter()
            .filter(|i| !i.state.status.awaits_response())
            .map(|i| i.id)
            .collect();
        {
            let mut tables = self.escalation.borrow_mut();
            for id in settled {
                let schedule = tables.schedules.entry(id).or_default();
                if schedule.due_at.is_some_and(|due| due <= at) {
                    schedule.due_at = None;
                }
            }
        }
        Ok(self.tickets_where(|id| self.due_at(id).is_some_and(|due| due <= at)))
    }

    async fn record_sweep(
        &self,
        sweep: &str,
        tickets: &[SweptTicket],
    ) -> Result<usize, StoreError> {
        self.check()?;
        let _ = sweep;
        let mut claimed = 0;
        for ticket in tickets {
            for action in &ticket.actions {
                if self.record_due_action(action) {
                    claimed += 1;
                }
            }
            let mut tables = self.escalation.borrow_mut();
            let schedule = tables.schedules.entry(ticket.incident).or_default();
            if schedule.version == ticket.schedule {
                schedule.due_at = ticket.next_due;
            }
        }
        Ok(claimed)
    }

    async fn reschedule_open_tickets(&self) -> Result<(), StoreError> {
        self.check()?;
        let open: Vec<i64> = self
            .incidents
            .borrow()
            .iter()
            .filter(|i| i.state.status.awaits_response())
            .map(|i| i.id)
            .collect();
        for id in open {
            self.reschedule(id);
        }
        Ok(())
    }

    async fn claim_outbox(
        &self,
        at: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError> {
        self.check()?;
        let until = Timestamp::from_unix_millis(now.unix_millis() + CLAIM_LEASE_MS);
        let mut tables = self.escalation.borrow_mut();
        Ok(tables
            .outbox
            .iter_mut()
            .filter(|n| {
                n.status == OutboxStatus::Pending
                    && n.next_attempt_at <= at
                    && n.queued_until.is_none_or(|until| until <= now)
            })
            .take(limit as usize)
            .map(|n| {
                n.queued_until = Some(until);
                n.id
            })
            .collect())
    }

    async fn release_outbox(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.check()?;
        for row in self.escalation.borrow_mut().outbox.iter_mut() {
            if ids.contains(&row.id) {
                row.queued_until = None;
            }
        }
        Ok(())
    }

    async fn begin_attempt(
        &self,
        id: i64,
        now: Timestamp,
    ) -> Result<Option<OutboxItem>, StoreError> {
        self.check()?;
        let mut tables = self.escalation.borrow_mut();
        let tables = &mut *tables;
        let Some(row) = tables.outbox.iter_mut().find(|n| {
            n.id == id
                && n.status == OutboxStatus::Pending
                && n.sending_until.is_none_or(|until| until <= now)
        }) else {
            return Ok(None);
        };
        let Some(channel) = tables.channels.iter().find(|c| c.record.id == row.channel) else {
            return Ok(None);
        };
        let timeout = i64::from(ATTEMPT_TIMEOUT_MS);
        row.attempts += 1;
        row.sending_until = Some(Timestamp::from_unix_millis(
            now.unix_millis() + timeout + 5_000,
        ));
        row.queued_until = Some(Timestamp::from_unix_millis(
            now.unix_millis() + timeout + CLAIM_LEASE_MS,
        ));
        Ok(Some(OutboxItem {
            id: row.id,
            incident: row.incident,
            action_key: row.action_key.clone(),
            channel: row.channel,
            body: row.body.clone(),
            attempts: row.attempts,
            url: channel.url.clone(),
            secret: channel.secret.clone(),
        }))
    }

    async fn finish_attempt(
        &self,
        item: &OutboxItem,
        now: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        self.check()?;
        let mut tables = self.escalation.borrow_mut();
        let Some(row) = tables.outbox.iter_mut().find(|n| n.id == item.id) else {
            return Ok(());
        };
        row.sending_until = None;
        match outcome {
            AttemptOutcome::Delivered => row.status = OutboxStatus::Delivered,
            AttemptOutcome::Failed { error, retry_in_ms } => {
                row.last_error = Some(error.clone());
                row.queued_until = Some(Timestamp::from_unix_millis(
                    now.unix_millis() + retry_in_ms + CLAIM_LEASE_MS,
                ));
            }
        }
        Ok(())
    }

    async fn give_up(&self, id: i64, at: Timestamp) -> Result<bool, StoreError> {
        self.check()?;
        let failure = {
            let mut tables = self.escalation.borrow_mut();
            let Some(row) = tables
                .outbox
                .iter_mut()
                .find(|n| n.id == id && n.status == OutboxStatus::Pending)
            else {
                return Ok(false);
            };
            row.status = OutboxStatus::Failed;
            row.sending_until = None;
            (
                row.incident,
                DeliveryFailure {
                    key: row.action_key.clone(),
                    attempts: row.attempts,
                    error: row
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "never delivered".into()),
                },
            )
        };
        self.push_timeline(
            failure.0,
            at,
            &sweep_actor(),
            TimelineEvent::NotificationFailed(failure.1),
        );
        Ok(true)
    }

    async fn record_acknowledgement(
        &self,
        acknowledgement: &AcknowledgementRecord<'_>,
    ) -> Result<bool, StoreError> {
        self.check()?;
        let id = acknowledgement.incident;
        let Some(updated_at) = self.last_change(id, |s| s.awaits_response()) else {
            return Ok(false);
        };
        if let Some(key) = &acknowledgement.link_key {
            let mut tables = self.escalation.borrow_mut();
            if tables.actions.iter().any(|(k, _)| k == key) {
                return Err(StoreError::UniqueViolation("escalation_actions.key".into()));
            }
            tables.actions.push((key.clone(), id));
        }
        let ack = &acknowledgement.acknowledgement;
        self.push_timeline(
            id,
            acknowledgement.at.max(updated_at),
            acknowledgement.actor,
            TimelineEvent::Acknowledged(ack.clone()),
        );
        self.push_audit(
            acknowledgement.at,
            acknowledgement.actor,
            "incident.acknowledge",
            format!("incident/{id}"),
            None,
            serde_json::to_value(ack).ok(),
        );
        Ok(true)
    }

    async fn pull_in_team(&self, pull_in: &TeamPullIn<'_>) -> Result<(), StoreError> {
        self.check()?;
        let id = pull_in.incident;
        let Some(updated_at) = self.last_change(id, |_| true) else {
            return Ok(());
        };
        {
            let mut tables = self.escalation.borrow_mut();
            let key = IdempotencyKey::from_stored(pull_in.key.clone());
            if tables.actions.iter().any(|(k, _)| *k == key) {
                return Err(StoreError::UniqueViolation("escalation_actions.key".into()));
            }
            tables.actions.push((key, id));
        }
        let event = TimelineEvent::TeamPaged(pull_in.page.clone());
        self.push_timeline(id, pull_in.at.max(updated_at), pull_in.actor, event.clone());
        self.push_audit(
            pull_in.at,
            pull_in.actor,
            "incident.pull_in_team",
            format!("incident/{id}"),
            None,
            Some(event.body_json()),
        );
        for notification in &pull_in.notifications {
            self.queue(
                id,
                &pull_in.key,
                pull_in.at,
                notification.channel,
                &notification.body,
            );
        }
        Ok(())
    }
}
