//! The escalation store (SPEC E1-E5): rotas, notification channels, the
//! claimed action keys, the outbox of notifications, and the escalation side
//! of a ticket (what the sweep reads of it, acknowledgements, team pull-ins).

use super::StoreError;
use crate::auth::Actor;
use crate::paging::{ChannelFormat, ChannelOwner};
use beacon_shared::category::Category;
use beacon_shared::escalation::IdempotencyKey;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::rota::{Rota, Rotas};
use beacon_shared::timeline::{Acknowledgement, TeamPage, TimelineEvent};
use beacon_shared::{Priority, Timestamp};

/// The actor name of the sweep's timeline entries.
pub const SWEEP_ACTOR: &str = "beacon/escalation";

/// A notification channel, as the sweep needs it (its URL and secret stay in
/// the store until delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    pub id: i64,
    pub owner: ChannelOwner,
    pub format: ChannelFormat,
}

/// A channel about to be created, with its audit record's actor and time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel<'a> {
    pub owner: ChannelOwner,
    pub format: ChannelFormat,
    pub url: String,
    /// Signs every body sent to the channel.
    pub secret: String,
    pub at: Timestamp,
    pub actor: &'a Actor,
}

/// A ticket that awaits a response, with what escalation reads of it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenTicket {
    pub id: i64,
    pub title: String,
    pub category: Option<Category>,
    pub priority: Priority,
    pub status: IncidentStatus,
    pub created_at: Timestamp,
    /// Its timeline entries that shape escalation
    /// ([`TimelineEvent::shapes_escalation`]), oldest first. Entries that do
    /// not parse are left out, so one bad line never stops a ticket's pages.
    pub timeline: Vec<(Timestamp, TimelineEvent)>,
    /// The keys of the actions already sent for it.
    pub sent: Vec<IdempotencyKey>,
}

/// One notification to queue: the channel and the body it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedNotification {
    pub channel: i64,
    pub body: String,
}

/// A due page, reminder or escalation, recorded only if its key is unclaimed.
#[derive(Debug, Clone, PartialEq)]
pub struct DueAction {
    pub incident: i64,
    pub key: IdempotencyKey,
    pub due_at: Timestamp,
    /// When the sweep recorded it (the timeline entry's time).
    pub recorded_at: Timestamp,
    /// The sweep that claims it.
    pub sweep: String,
    /// The action as JSON, kept with the key.
    pub action: serde_json::Value,
    /// Its timeline entry (`Paged`, `Reminded` or `Escalated`).
    pub timeline: TimelineEvent,
    pub notifications: Vec<QueuedNotification>,
    /// When the notifications are first tried.
    pub deliver_from: Timestamp,
}

/// A notification due for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub incident: i64,
    pub action_key: String,
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    pub url: String,
    pub secret: String,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        at: Timestamp,
    },
    /// Try again at `next_attempt_at`.
    Retry {
        next_attempt_at: Timestamp,
        error: String,
    },
    /// The last attempt failed: the notification is given up and the
    /// incident's timeline says so (at `at`).
    Failed {
        at: Timestamp,
        error: String,
    },
}

/// The result of delivering [`OutboxItem`] `item` for the `attempts`-th time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryResult<'a> {
    pub item: &'a OutboxItem,
    pub attempts: u32,
    pub outcome: DeliveryOutcome,
}

/// An acknowledgement to record, with its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct AcknowledgementRecord<'a> {
    pub incident: i64,
    pub at: Timestamp,
    pub actor: &'a Actor,
    pub acknowledgement: Acknowledgement,
    /// A signed link's one-time key, claimed in the same write: a key claimed
    /// before refuses the whole write ([`StoreError::UniqueViolation`]).
    pub link_key: Option<IdempotencyKey>,
}

/// A team pulled into an incident (SPEC E5): its action key, timeline entry,
/// audit record and one notification per team channel, written together.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamPullIn<'a> {
    pub incident: i64,
    pub key: String,
    pub at: Timestamp,
    pub actor: &'a Actor,
    pub page: TeamPage,
    pub notifications: Vec<QueuedNotification>,
}

/// Rotas, channels, action keys and the outbox. Every write is one atomic
/// unit: an action key is claimed once, and nothing of a refused write stays.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait EscalationStore {
    /// Every role's rota.
    async fn rotas(&self) -> Result<Rotas, StoreError>;
    /// Replaces the rota of `rota`'s role, with its audit record.
    async fn put_rota(&self, rota: &Rota, at: Timestamp, actor: &Actor) -> Result<(), StoreError>;
    /// Every notification channel, oldest first.
    async fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError>;
    /// Creates a channel with its audit record; returns its id.
    async fn create_channel(&self, channel: &NewChannel<'_>) -> Result<i64, StoreError>;
    /// The tickets that await a response (all, or only ticket `only`), by id.
    /// A ticket whose stored row does not parse is a [`StoreError::Corrupt`]
    /// in its place, so the others are still read.
    async fn open_tickets(
        &self,
        only: Option<i64>,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError>;
    /// Claims the action's key and writes its timeline entry and queued
    /// notifications together; `false` (nothing written) if the key was
    /// claimed before.
    async fn record_due_action(&self, action: &DueAction) -> Result<bool, StoreError>;
    /// Pending notifications due at `now`, oldest first, at most `limit`.
    async fn due_outbox(&self, now: Timestamp, limit: u32) -> Result<Vec<OutboxItem>, StoreError>;
    /// Records a delivery attempt (and, when it was the last, the timeline entry).
    async fn record_delivery_result(&self, result: &DeliveryResult<'_>) -> Result<(), StoreError>;
    /// Writes the acknowledgement's timeline entry and audit record, only
    /// while the incident awaits a response
    /// ([`IncidentStatus::awaits_response`]); `false` (nothing written) otherwise.
    /// A used link key is a [`StoreError::UniqueViolation`] (nothing written).
    async fn record_acknowledgement(
        &self,
        acknowledgement: &AcknowledgementRecord<'_>,
    ) -> Result<bool, StoreError>;
    /// Records a team pull-in; a key used before is a [`StoreError::UniqueViolation`].
    async fn pull_in_team(&self, pull_in: &TeamPullIn<'_>) -> Result<(), StoreError>;
}
