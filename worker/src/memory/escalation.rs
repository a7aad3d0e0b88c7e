//! [`EscalationStore`] in memory, with D1's guarantees: a key is claimed once,
//! and a refused write leaves nothing behind.

use super::MemoryStore;
use crate::auth::Actor;
use crate::stores::{
    AcknowledgementRecord, ChannelRecord, DeliveryOutcome, DeliveryResult, DueAction,
    EscalationStore, NewChannel, OpenTicket, OutboxItem, StoreError, TeamPullIn, SWEEP_ACTOR,
};
use beacon_shared::escalation::IdempotencyKey;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::role::Role;
use beacon_shared::rota::{Rota, Rotas};
use beacon_shared::timeline::{DeliveryFailure, TimelineEvent};
use beacon_shared::Timestamp;

/// A channel with where it delivers and its signing secret.
#[derive(Debug, Clone)]
pub(super) struct StoredChannel {
    record: ChannelRecord,
    url: String,
    secret: String,
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
}

/// The escalation tables.
#[derive(Debug, Default)]
pub(crate) struct EscalationTables {
    rotas: Vec<Rota>,
    channels: Vec<StoredChannel>,
    /// Claimed action keys and their incident.
    actions: Vec<(IdempotencyKey, i64)>,
    outbox: Vec<StoredNotification>,
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
        });
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
    pub(super) fn queue_under_key(
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
            .map(|c| c.record.clone())
            .collect())
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
        let mut incidents = self.incidents.borrow().clone();
        incidents.sort_by_key(|i| i.id);
        let tables = self.escalation.borrow();
        let timeline = self.timeline.borrow();
        Ok(incidents
            .into_iter()
            .filter(|i| i.state.status.awaits_response() && only.is_none_or(|id| id == i.id))
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
                })
            })
            .collect())
    }

    async fn record_due_action(&self, action: &DueAction) -> Result<bool, StoreError> {
        self.check()?;
        {
            let mut tables = self.escalation.borrow_mut();
            if tables.actions.iter().any(|(key, _)| *key == action.key) {
                return Ok(false);
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
        Ok(true)
    }

    async fn due_outbox(&self, now: Timestamp, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        self.check()?;
        let tables = self.escalation.borrow();
        Ok(tables
            .outbox
            .iter()
            .filter(|n| n.status == OutboxStatus::Pending && n.next_attempt_at <= now)
            .filter_map(|n| {
                let channel = tables.channels.iter().find(|c| c.record.id == n.channel)?;
                Some(OutboxItem {
                    id: n.id,
                    incident: n.incident,
                    action_key: n.action_key.clone(),
                    body: n.body.clone(),
                    attempts: n.attempts,
                    url: channel.url.clone(),
                    secret: channel.secret.clone(),
                })
            })
            .take(limit as usize)
            .collect())
    }

    async fn record_delivery_result(&self, result: &DeliveryResult<'_>) -> Result<(), StoreError> {
        self.check()?;
        {
            let mut tables = self.escalation.borrow_mut();
            let Some(row) = tables.outbox.iter_mut().find(|n| n.id == result.item.id) else {
                return Ok(());
            };
            row.attempts = result.attempts;
            match &result.outcome {
                DeliveryOutcome::Delivered { .. } => row.status = OutboxStatus::Delivered,
                DeliveryOutcome::Retry {
                    next_attempt_at, ..
                } => row.next_attempt_at = *next_attempt_at,
                DeliveryOutcome::Failed { .. } => row.status = OutboxStatus::Failed,
            }
        }
        if let DeliveryOutcome::Failed { at, error } = &result.outcome {
            self.push_timeline(
                result.item.incident,
                *at,
                &sweep_actor(),
                TimelineEvent::NotificationFailed(DeliveryFailure {
                    key: result.item.action_key.clone(),
                    attempts: result.attempts,
                    error: error.clone(),
                }),
            );
        }
        Ok(())
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
