//! The escalation store (SPEC E1-E5): rotas, notification channels, the
//! claimed action keys, the outbox of notifications (claimed by a sweep for
//! the delivery queue, then attempted one by one), the due index of open
//! tickets, and the escalation side of a ticket (what the sweep reads of it,
//! acknowledgements, team pull-ins).

use super::{NewAuditRecord, StoreError};
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

/// The error a pending notification fails with when its channel is disabled.
pub const CHANNEL_DISABLED: &str = "the channel was disabled";

/// A channel disabled by whoever manages the rotas, with its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDisabling {
    pub id: i64,
    pub at: Timestamp,
    pub actor: Actor,
    pub audit: NewAuditRecord,
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
    /// The version of its escalation schedule as read: every write that can
    /// change what falls due (a timeline entry that shapes escalation, a new
    /// time limit) moves it and makes the ticket due at once.
    pub schedule: i64,
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

/// What one sweep decided for one due ticket: the actions it claims and the
/// next instant something falls due, kept only if the ticket's schedule is
/// still the one the sweep read (`schedule`).
#[derive(Debug, Clone, PartialEq)]
pub struct SweptTicket {
    pub incident: i64,
    pub schedule: i64,
    /// `None`: nothing falls due until a write changes the ticket.
    pub next_due: Option<Timestamp>,
    pub actions: Vec<DueAction>,
}

/// A notification being attempted: the body, where it goes and how it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub incident: i64,
    pub action_key: String,
    pub channel: i64,
    pub body: String,
    /// Attempts made so far, this one included.
    pub attempts: u32,
    pub url: String,
    pub secret: String,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// It failed; the queue tries again after `retry_in_ms`.
    Failed {
        error: String,
        retry_in_ms: i64,
    },
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
    /// Every enabled notification channel, oldest first: a disabled one is
    /// never sent to.
    async fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError>;
    /// Creates a channel with its audit record; returns its id.
    async fn create_channel(&self, channel: &NewChannel<'_>) -> Result<i64, StoreError>;
    /// Disables a channel with its audit record; its notifications still
    /// pending fail with [`CHANNEL_DISABLED`]. `false` when no enabled
    /// channel has that id (nothing written).
    async fn disable_channel(&self, disabling: &ChannelDisabling) -> Result<bool, StoreError>;
    /// The tickets that await a response (all, or only ticket `only`), by id.
    /// A ticket whose stored row does not parse is a [`StoreError::Corrupt`]
    /// in its place, so the others are still read.
    async fn open_tickets(
        &self,
        only: Option<i64>,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError>;
    /// The tickets that await a response and are due at `at` (their next
    /// instant has come, or a write changed them since the last sweep), by
    /// id, read through the due index: the others cost nothing.
    async fn due_tickets(
        &self,
        at: Timestamp,
    ) -> Result<Vec<Result<OpenTicket, StoreError>>, StoreError>;
    /// Records what sweep `sweep` decided: for each action, claims its key
    /// and writes its timeline entry and queued notifications together
    /// (nothing of an action whose key was claimed before); then each ticket's
    /// next due instant, unless its schedule moved since it was read (it
    /// stays due, for the next sweep). Returns how many actions it claimed.
    async fn record_sweep(&self, sweep: &str, tickets: &[SweptTicket])
        -> Result<usize, StoreError>;
    /// Makes every ticket that awaits a response due at once (the time
    /// limits changed).
    async fn reschedule_open_tickets(&self) -> Result<(), StoreError>;
    /// Claims up to `limit` pending notifications due at `at` (oldest first)
    /// for the delivery queue until `now` + [`CLAIM_LEASE_MS`]: one write, so
    /// two overlapping sweeps never claim the same one. A claim whose lease
    /// ran out (its message never reached the queue) is claimed again.
    ///
    /// [`CLAIM_LEASE_MS`]: beacon_shared::notification_delivery::CLAIM_LEASE_MS
    async fn claim_outbox(
        &self,
        at: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError>;
    /// Gives the claims of `ids` back (their messages could not be queued).
    async fn release_outbox(&self, ids: &[i64]) -> Result<(), StoreError>;
    /// Starts an attempt at notification `id` at `now`: counts it and marks it
    /// in flight until the attempt's timeout has passed. `None` if it was
    /// delivered or given up already, or another attempt is in flight.
    async fn begin_attempt(
        &self,
        id: i64,
        now: Timestamp,
    ) -> Result<Option<OutboxItem>, StoreError>;
    /// Records how attempt `item` ended at `now`.
    async fn finish_attempt(
        &self,
        item: &OutboxItem,
        now: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError>;
    /// Gives notification `id` up (its retries are exhausted): marks it
    /// failed and writes [`TimelineEvent::NotificationFailed`] on its
    /// incident at `at`; `false` (nothing written) if it was delivered or
    /// given up already.
    async fn give_up(&self, id: i64, at: Timestamp) -> Result<bool, StoreError>;
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
