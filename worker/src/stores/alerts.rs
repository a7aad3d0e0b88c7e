//! The alert store: integrations (the senders), every delivery as received,
//! the deduplicated alerts and the incidents they open (SPEC I1, I2, V2, V3, T7).

use super::{NewAuditRecord, StoreError};
use crate::auth::Actor;
use crate::ingest::DeliveryPlan;
use beacon_shared::alert::{AlertMapping, DedupKey, IngestFormat};
use beacon_shared::alert_group::IngestControl;
use beacon_shared::api::AlertView;
use beacon_shared::category::{Category, Labels};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::role::Role;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::triage::Name;
use beacon_shared::{Priority, Timestamp};

/// Part of the name of the unique index that refuses a signed delivery received
/// twice; a [`StoreError::UniqueViolation`] naming it is a replay, not a race.
pub const REPLAYED_SIGNATURE: &str = "alert_events.signature";

/// A configured sender, found by the hash of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: i64,
    pub name: Name,
    pub format: IngestFormat,
    pub owner_group: Option<Name>,
    /// The disabled user that authors this integration's incidents and entries.
    pub user_id: i64,
    pub mapping: AlertMapping,
    /// Grouping, storm threshold and raw-delivery retention.
    pub control: IngestControl,
    /// When an admin disabled it: from then on its senders are refused as
    /// unknown ones are.
    pub disabled_at: Option<Timestamp>,
}

/// The keys a generic integration's deliveries may be signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeys {
    pub current: String,
    /// The key before the last rotation, and until when it is still accepted.
    pub previous: Option<(String, Timestamp)>,
}

impl SigningKeys {
    /// The keys that verify a delivery at `now`: the current one, and the
    /// one before it inside its overlap window.
    pub fn valid_at(&self, now: Timestamp) -> Vec<&str> {
        let mut keys = vec![self.current.as_str()];
        if let Some((previous, until)) = &self.previous {
            if now < *until {
                keys.push(previous);
            }
        }
        keys
    }
}

/// A new secret for an integration. The secret before it keeps working
/// until `previous_valid_until` (the overlap in which senders are moved).
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationRotation {
    pub name: Name,
    /// As in [`NewIntegrationRecord`].
    pub secret_hash: String,
    pub signing_key: Option<String>,
    pub previous_valid_until: Timestamp,
    pub at: Timestamp,
    pub actor: Actor,
    pub audit: NewAuditRecord,
}

/// An integration disabled by an admin, with its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationDisabling {
    pub name: Name,
    pub at: Timestamp,
    pub actor: Actor,
    pub audit: NewAuditRecord,
}

impl Integration {
    /// How this integration appears as an actor in timelines and the audit log.
    pub fn actor_name(&self) -> String {
        integration_user_name(&self.name)
    }

    /// The integration as the author of what its deliveries write.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id,
            name: self.actor_name(),
            role: Role::Viewer,
        }
    }
}

/// The name of the disabled user that stands for an integration.
pub fn integration_user_name(name: &Name) -> String {
    format!("monitoring/{name}")
}

/// A new integration: its disabled user is created with it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntegrationRecord {
    pub name: Name,
    pub format: IngestFormat,
    pub owner_group: Option<Name>,
    /// The hex SHA-256 of the secret, by which a sender that presents the
    /// secret is found; the secret itself is never stored.
    pub secret_hash: String,
    /// The generic format's HMAC key, derived from the secret
    /// ([`crate::webhook_signature::signing_key_of`]); the D1 store keeps it
    /// sealed ([`crate::sealed_secret`]). `None` for the other formats.
    pub signing_key: Option<String>,
    /// `None`: the documented default mapping.
    pub mapping: Option<AlertMapping>,
    pub control: IngestControl,
    pub at: Timestamp,
    pub actor: Actor,
    pub audit: NewAuditRecord,
}

/// An incident an alert points to, and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedIncident {
    pub id: i64,
    pub status: IncidentStatus,
    pub labels: Labels,
    pub priority: Priority,
    pub rules_priority: Priority,
    /// How many of its alerts are not resolved.
    pub open_alerts: u32,
}

/// What the store knows about one key of one integration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyHistory {
    /// The alert with this key that is not resolved, if any (at most one, by index).
    pub open_alert: Option<(i64, Option<LinkedIncident>)>,
    /// The incident of the newest alert with this key, open or not.
    pub latest_incident: Option<LinkedIncident>,
}

/// What the store knows before planning a delivery, read at once: every key's
/// history, the newest incident of the notification group, the incidents the
/// integration opened in the storm window and its storm incident.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryHistory {
    pub keys: Vec<(DedupKey, KeyHistory)>,
    /// The incident of the group's newest alert, if the delivery has a group.
    pub group: Option<LinkedIncident>,
    /// Incidents the integration opened (not storm incidents) since the window start.
    pub opened_in_window: u32,
    /// The integration's storm incident, if it ever had one.
    pub storm: Option<LinkedIncident>,
    /// Some problem has recurrence signatures: only then are the incidents a
    /// delivery opens matched against problems (SPEC R6), an extra query.
    pub problems_may_recur: bool,
}

impl DeliveryHistory {
    /// The history of `key`; empty for a key never seen.
    pub fn key(&self, key: &DedupKey) -> KeyHistory {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, history)| history.clone())
            .unwrap_or_default()
    }
}

/// A change of an integration's [`IngestControl`], with its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestControlChange {
    pub integration: Name,
    pub control: IngestControl,
    pub at: Timestamp,
    pub actor: Actor,
    pub audit: NewAuditRecord,
}

/// Where an alert stands in its sender's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    Triggered,
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Triggered => "triggered",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
        }
    }

    /// The stored name back as a status; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        [
            AlertStatus::Triggered,
            AlertStatus::Acknowledged,
            AlertStatus::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// The incident an alert is on, with what the clearance decision needs (K3).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertIncident {
    pub id: i64,
    pub status: IncidentStatus,
    pub category: Option<Category>,
}

/// A stored alert with its integration's name and its incident.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub id: i64,
    pub integration: String,
    pub dedup_key: String,
    pub status: AlertStatus,
    pub summary: String,
    pub severity: Option<String>,
    pub incident: Option<AlertIncident>,
    pub deliveries: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

impl AlertRecord {
    /// The category of the alert's incident: what decides who may see the alert (K3).
    pub fn category(&self) -> Option<&Category> {
        self.incident.as_ref().and_then(|i| i.category.as_ref())
    }

    pub fn to_view(&self) -> AlertView {
        AlertView {
            id: self.id,
            integration: self.integration.clone(),
            dedup_key: self.dedup_key.clone(),
            status: self.status.as_str().to_owned(),
            summary: self.summary.clone(),
            severity: self.severity.clone(),
            incident_id: self.incident.as_ref().map(|i| i.id),
            incident_status: self.incident.as_ref().map(|i| i.status),
            deliveries: self.deliveries,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
        }
    }
}

/// Filters of the alert queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Only alerts that are not resolved.
    pub open_only: bool,
    /// Only the alerts of this incident.
    pub incident: Option<i64>,
}

impl AlertFilter {
    /// How many alerts the queue shows at the most.
    pub const LIMIT: usize = 500;
    /// How many rows the store reads: one more than [`AlertFilter::LIMIT`],
    /// to tell whether more alerts match than the queue shows.
    pub const FETCH: usize = Self::LIMIT + 1;
}

/// A move of an alert from one incident to another, with the line each
/// timeline gets and the audit record; applied only if the alert is still on
/// `from_incident`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertAttachment {
    pub alert_id: i64,
    pub from_incident: i64,
    pub to_incident: i64,
    pub at: Timestamp,
    pub actor: Actor,
    /// The line on `to_incident`.
    pub attached: TimelineEvent,
    /// The line on `from_incident`.
    pub detached: TimelineEvent,
    pub audit: NewAuditRecord,
}

/// Integrations, deliveries and alerts. A delivery and an attachment are
/// each one atomic unit with the incidents, timeline entries and audit
/// records they write.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait AlertStore {
    /// Stores the integration, its disabled user and its audit record; returns
    /// its id. A name or secret taken already is a [`StoreError::UniqueViolation`].
    async fn create_integration(
        &self,
        integration: &NewIntegrationRecord,
    ) -> Result<i64, StoreError>;
    /// The integration whose secret hashes to `secret_hash` at `now`: its
    /// current secret, or the one before a rotation inside its overlap.
    async fn integration_for_secret_hash(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Integration>, StoreError>;
    /// The integration called `name`, with the generic format's signing keys
    /// (opened, if stored sealed).
    async fn integration_named(
        &self,
        name: &str,
    ) -> Result<Option<(Integration, SigningKeys)>, StoreError>;
    /// Gives the integration a new secret, keeping the one before it until
    /// the rotation's overlap ends, with the audit record; `false` when no
    /// enabled integration has that name (nothing written).
    async fn rotate_integration_secret(
        &self,
        rotation: &IntegrationRotation,
    ) -> Result<bool, StoreError>;
    /// Disables the integration with the audit record; `false` when no
    /// enabled integration has that name (nothing written).
    async fn disable_integration(
        &self,
        disabling: &IntegrationDisabling,
    ) -> Result<bool, StoreError>;
    /// What is known about `key` of the integration: its open alert and the
    /// newest alert's incident.
    async fn key_history(
        &self,
        integration_id: i64,
        key: &DedupKey,
    ) -> Result<KeyHistory, StoreError>;
    /// Everything a delivery is planned from, in one read: the history of
    /// every key, the newest incident of `group_key`, the incidents the
    /// integration opened since `window_start` and its storm incident.
    async fn delivery_history(
        &self,
        integration_id: i64,
        keys: &[DedupKey],
        group_key: Option<&str>,
        window_start: Timestamp,
    ) -> Result<DeliveryHistory, StoreError>;
    /// Sets an integration's grouping, storm threshold and retention with its
    /// audit record; `false` when no integration has that name.
    async fn set_ingest_control(&self, change: &IngestControlChange) -> Result<bool, StoreError>;
    /// Deletes the raw deliveries older than their integration's retention at
    /// `now`; returns how many.
    async fn prune_deliveries(&self, now: Timestamp) -> Result<u64, StoreError>;
    /// Stores the raw delivery and every plan (alerts, new incidents, timeline
    /// entries, labels, audit records) all or nothing. A second open alert for
    /// a key and a signature received before are each a
    /// [`StoreError::UniqueViolation`] (the latter naming [`REPLAYED_SIGNATURE`]);
    /// an incident whose labels or status changed since planning is a
    /// [`StoreError::LostGuard`].
    async fn store_delivery(&self, delivery: &DeliveryPlan<'_>) -> Result<(), StoreError>;
    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError>;
    /// The queue: alerts whose incident is still `reported` first, then newest
    /// first, at most [`AlertFilter::FETCH`] (one more than the queue shows,
    /// so that it can say that more match).
    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError>;
    /// Moves the alert with its timeline lines and audit record; `false` if it
    /// is no longer on `from_incident` (nothing written).
    async fn attach_alert(&self, attachment: &AlertAttachment) -> Result<bool, StoreError>;
    /// How many alerts point at the incident.
    async fn alerts_on_incident(&self, incident_id: i64) -> Result<u64, StoreError>;
}
