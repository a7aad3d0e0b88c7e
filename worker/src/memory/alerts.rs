//! [`AlertStore`] in memory, with the guarantees D1's indexes and guards give:
//! one open alert per integration and key, a signature received once, a
//! delivery written all or nothing, an attachment only while the alert is
//! where it was read.

use super::MemoryStore;
use crate::ingest::{AlertPlan, DeliveryPlan, IncidentTarget, PriorityRaise};
use crate::stores::{
    AlertAttachment, AlertFilter, AlertIncident, AlertRecord, AlertStatus, AlertStore,
    DeliveryHistory, IncidentRecord, IngestControlChange, Integration, IntegrationDisabling,
    IntegrationRotation, KeyHistory, LinkedIncident, NewIncidentRecord, NewIntegrationRecord,
    SigningKeys, StoreError, REPLAYED_SIGNATURE,
};
use beacon_shared::alert::{DedupKey, Severity};
use beacon_shared::alert_group::storm_title;
use beacon_shared::api::{AuditEntryView, TimelineEntryView, UserView};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::role::Role;
use beacon_shared::Timestamp;
use std::collections::HashMap;

/// An alert as the memory store keeps it.
#[derive(Debug, Clone)]
pub(super) struct StoredAlert {
    id: i64,
    integration_id: i64,
    dedup_key: DedupKey,
    status: AlertStatus,
    summary: String,
    severity: Option<String>,
    incident_id: Option<i64>,
    deliveries: i64,
    first_seen: Timestamp,
    last_seen: Timestamp,
    group_key: Option<String>,
    /// 1: opened its own incident; 2: opened a storm incident.
    opened_incident: u8,
}

/// A delivery as received, with what Beacon did with it.
#[derive(Debug, Clone)]
pub(super) struct StoredDelivery {
    integration_id: i64,
    received_at: Timestamp,
    signature: Option<String>,
    /// The body as stored (D1's `alert_events.body`).
    body: Vec<u8>,
    /// Kept like D1's `alert_events.outcome`, for tests that read it.
    outcome: serde_json::Value,
}

/// What a delivery may change, kept to put back when it fails halfway.
struct SavedState {
    incidents: Vec<IncidentRecord>,
    timeline: Vec<(i64, TimelineEntryView)>,
    audit: Vec<AuditEntryView>,
    alerts: Vec<StoredAlert>,
    deliveries: Vec<StoredDelivery>,
    storms: HashMap<i64, i64>,
}

fn open_key_violation() -> StoreError {
    StoreError::UniqueViolation(
        "UNIQUE constraint failed: alerts.integration_id, alerts.dedup_key".into(),
    )
}

impl MemoryStore {
    /// The stored body of every delivery received, oldest first, as text.
    pub fn delivery_bodies(&self) -> Vec<String> {
        self.deliveries
            .borrow()
            .iter()
            .map(|d| String::from_utf8_lossy(&d.body).into_owned())
            .collect()
    }

    /// The outcome column of every delivery received, oldest first.
    pub fn delivery_outcomes(&self) -> Vec<serde_json::Value> {
        self.deliveries
            .borrow()
            .iter()
            .map(|d| d.outcome.clone())
            .collect()
    }

    fn saved_state(&self) -> SavedState {
        SavedState {
            incidents: self.incidents.borrow().clone(),
            timeline: self.timeline.borrow().clone(),
            audit: self.audit.borrow().clone(),
            alerts: self.alerts.borrow().clone(),
            deliveries: self.deliveries.borrow().clone(),
            storms: self.storms.borrow().clone(),
        }
    }

    fn restore(&self, saved: SavedState) {
        *self.incidents.borrow_mut() = saved.incidents;
        *self.timeline.borrow_mut() = saved.timeline;
        *self.audit.borrow_mut() = saved.audit;
        *self.alerts.borrow_mut() = saved.alerts;
        *self.deliveries.borrow_mut() = saved.deliveries;
        *self.storms.borrow_mut() = saved.storms;
    }

    /// How many raw deliveries are kept.
    pub fn delivery_count(&self) -> usize {
        self.deliveries.borrow().len()
    }

    /// How many unresolved alerts the incident has.
    fn open_alerts_on(&self, incident_id: i64) -> u32 {
        self.alerts
            .borrow()
            .iter()
            .filter(|a| a.incident_id == Some(incident_id) && a.status != AlertStatus::Resolved)
            .count() as u32
    }

    /// The incident of the open alert with `key`: one an earlier alert of
    /// the same delivery opened.
    fn opened_with(&self, integration_id: i64, key: &DedupKey) -> Result<i64, StoreError> {
        self.alerts
            .borrow()
            .iter()
            .find(|a| {
                a.integration_id == integration_id
                    && a.dedup_key == *key
                    && a.status != AlertStatus::Resolved
            })
            .and_then(|a| a.incident_id)
            .ok_or_else(|| StoreError::Corrupt(format!("no open alert {key} in this delivery")))
    }

    /// Raises the incident's priority if it is still what the plan read.
    fn raise(
        &self,
        raise: &PriorityRaise,
        at: Timestamp,
        actor: &crate::auth::Actor,
    ) -> Result<(), StoreError> {
        {
            let mut incidents = self.incidents.borrow_mut();
            let incident = incidents
                .iter_mut()
                .find(|i| i.id == raise.incident_id && i.state.priority == raise.from)
                .ok_or(StoreError::LostGuard)?;
            incident.state.priority = raise.to;
            incident.updated_at = incident.updated_at.max(at);
        }
        self.push_timeline(raise.incident_id, at, actor, raise.timeline.clone());
        self.push_audit_record(at, actor, &raise.audit);
        Ok(())
    }

    /// `updated_at = max(updated_at, at)`: an alert's line counts as activity.
    fn touch_incident(&self, id: i64, at: Timestamp) {
        if let Some(incident) = self.incidents.borrow_mut().iter_mut().find(|i| i.id == id) {
            incident.updated_at = incident.updated_at.max(at);
        }
    }

    fn linked_incident(&self, id: Option<i64>) -> Option<LinkedIncident> {
        let incidents = self.incidents.borrow();
        let incident = incidents.iter().find(|i| Some(i.id) == id)?;
        let linked = LinkedIncident {
            id: incident.id,
            status: incident.state.status,
            labels: incident.state.labels.clone(),
            priority: incident.state.priority,
            rules_priority: incident.state.rules_priority,
            open_alerts: 0,
        };
        drop(incidents);
        Some(LinkedIncident {
            open_alerts: self.open_alerts_on(linked.id),
            ..linked
        })
    }

    fn alert_record(&self, alert: &StoredAlert) -> AlertRecord {
        let integration = self
            .integrations
            .borrow()
            .iter()
            .find(|i| i.integration.id == alert.integration_id)
            .map(|i| i.integration.name.to_string())
            .unwrap_or_default();
        let incident = self
            .incidents
            .borrow()
            .iter()
            .find(|i| Some(i.id) == alert.incident_id)
            .map(|i| AlertIncident {
                id: i.id,
                status: i.state.status,
                category: i.state.category.clone(),
            });
        AlertRecord {
            id: alert.id,
            integration,
            dedup_key: alert.dedup_key.to_string(),
            status: alert.status,
            summary: alert.summary.clone(),
            severity: alert.severity.clone(),
            incident,
            deliveries: alert.deliveries,
            first_seen: alert.first_seen,
            last_seen: alert.last_seen,
        }
    }

    /// Every write of a delivery, in the order of D1's batch; the caller puts
    /// the state back if this fails.
    fn write_delivery(&self, delivery: &DeliveryPlan<'_>) -> Result<(), StoreError> {
        let integration = delivery.integration;
        let actor = integration.actor();
        let at = delivery.at;
        let signature = delivery.received.signature.map(str::to_owned);
        let replayed = signature.is_some()
            && self
                .deliveries
                .borrow()
                .iter()
                .any(|d| d.integration_id == integration.id && d.signature == signature);
        if replayed {
            return Err(StoreError::UniqueViolation(format!(
                "UNIQUE constraint failed: alert_events.integration_id, {REPLAYED_SIGNATURE}"
            )));
        }
        self.deliveries.borrow_mut().push(StoredDelivery {
            integration_id: integration.id,
            received_at: at,
            signature,
            body: delivery.received.body.to_vec(),
            outcome: delivery.outcome_json(),
        });
        for plan in &delivery.plans {
            let entry = plan.timeline_entry(integration);
            if let AlertPlan::Open { signal, incident } = plan {
                let mut opened = 0;
                let incident_id = match incident {
                    IncidentTarget::New(new) => {
                        let id = self.add_incident(&NewIncidentRecord {
                            state: new.state.clone(),
                            at,
                            actor: actor.clone(),
                            timeline: vec![new.created.clone()],
                        });
                        opened = if new.storm { 2 } else { 1 };
                        if new.storm {
                            let mut storms = self.storms.borrow_mut();
                            let previous = delivery.storm_start.as_ref().and_then(|s| s.previous);
                            if storms.get(&integration.id).copied() != previous {
                                return Err(StoreError::LostGuard);
                            }
                            storms.insert(integration.id, id);
                        }
                        id
                    }
                    IncidentTarget::Existing(id) => {
                        self.touch_incident(*id, at);
                        *id
                    }
                    IncidentTarget::OpenedWith(key) => self.opened_with(integration.id, key)?,
                };
                let mut alerts = self.alerts.borrow_mut();
                let taken = alerts.iter().any(|a| {
                    a.integration_id == integration.id
                        && a.dedup_key == signal.dedup_key
                        && a.status != AlertStatus::Resolved
                });
                if taken {
                    return Err(open_key_violation());
                }
                let id = alerts.len() as i64 + 1;
                alerts.push(StoredAlert {
                    id,
                    integration_id: integration.id,
                    dedup_key: signal.dedup_key.clone(),
                    status: AlertStatus::Triggered,
                    summary: signal.summary.clone(),
                    severity: signal.severity.map(Severity::as_str).map(str::to_owned),
                    incident_id: Some(incident_id),
                    deliveries: 1,
                    first_seen: at,
                    last_seen: at,
                    group_key: delivery.group_key.map(str::to_owned),
                    opened_incident: opened,
                });
                drop(alerts);
                self.push_timeline(incident_id, at, &actor, entry);
                continue;
            }
            let Some(update) = plan.alert_update() else {
                continue;
            };
            if let Some(alert) = self
                .alerts
                .borrow_mut()
                .iter_mut()
                .find(|a| a.id == update.alert_id)
            {
                alert.deliveries += 1;
                alert.last_seen = at;
                alert.status = update.status.unwrap_or(alert.status);
            }
            let Some(incident_id) = update.incident_id else {
                continue;
            };
            self.push_timeline(incident_id, at, &actor, entry);
            self.touch_incident(incident_id, at);
            if let Some(change) = plan.label_change() {
                let mut incidents = self.incidents.borrow_mut();
                let incident = incidents
                    .iter_mut()
                    .find(|i| i.id == change.incident_id)
                    .filter(|i| {
                        i.state.labels == change.expected_labels
                            && i.state.status == change.expected_status
                    })
                    .ok_or(StoreError::LostGuard)?;
                incident.state.labels = change.labels.clone();
            }
            if let Some(audit) = plan.audit_record() {
                self.push_audit_record(at, &actor, &audit);
            }
        }
        for raise in &delivery.raises {
            self.raise(raise, at, &actor)?;
        }
        if let Some(storm) = &delivery.storm_recount {
            let id = match storm {
                IncidentTarget::Existing(id) => *id,
                IncidentTarget::OpenedWith(key) => self.opened_with(integration.id, key)?,
                IncidentTarget::New(_) => {
                    return Err(StoreError::Corrupt(
                        "a storm recount of a new incident".into(),
                    ))
                }
            };
            let count = self
                .alerts
                .borrow()
                .iter()
                .filter(|a| a.incident_id == Some(id))
                .count() as u64;
            if let Some(incident) = self.incidents.borrow_mut().iter_mut().find(|i| i.id == id) {
                incident.state.title = storm_title(integration.name.as_str(), count);
            }
        }
        if delivery.opens_own_incidents {
            let window_start = delivery.window_start();
            let opened = self
                .alerts
                .borrow()
                .iter()
                .filter(|a| {
                    a.integration_id == integration.id
                        && a.opened_incident == 1
                        && a.first_seen > window_start
                })
                .count() as u32;
            if opened > integration.control.storm_threshold {
                return Err(StoreError::LostGuard);
            }
        }
        Ok(())
    }
}

/// An integration as the memory twin keeps it.
#[derive(Debug, Clone)]
pub(crate) struct StoredIntegration {
    integration: Integration,
    secret_hash: String,
    signing_key: Option<String>,
    /// The secret hash and signing key before the last rotation, and until
    /// when they are accepted.
    previous: Option<(String, Option<String>, Timestamp)>,
}

impl StoredIntegration {
    /// Whether a sender presenting a secret with this hash is this
    /// integration at `now`.
    fn answers_to(&self, secret_hash: &str, now: Timestamp) -> bool {
        self.secret_hash == secret_hash
            || self
                .previous
                .as_ref()
                .is_some_and(|(hash, _, until)| hash == secret_hash && now < *until)
    }

    /// The signing keys; a generic integration made before signing keys
    /// were kept is signed with its secret's hash, as D1's legacy rows are.
    fn signing_keys(&self) -> SigningKeys {
        SigningKeys {
            current: self
                .signing_key
                .clone()
                .unwrap_or_else(|| self.secret_hash.clone()),
            previous: self
                .previous
                .as_ref()
                .map(|(hash, key, until)| (key.clone().unwrap_or_else(|| hash.clone()), *until)),
        }
    }
}

impl MemoryStore {
    /// Applies `change` to the enabled integration called `name`; `false`
    /// when there is none (nothing changed).
    fn change_enabled_integration(
        &self,
        name: &beacon_shared::triage::Name,
        change: impl FnOnce(&mut StoredIntegration),
    ) -> bool {
        let mut integrations = self.integrations.borrow_mut();
        match integrations
            .iter_mut()
            .find(|i| i.integration.name == *name && i.integration.disabled_at.is_none())
        {
            Some(stored) => {
                change(stored);
                true
            }
            None => false,
        }
    }
}

impl AlertStore for MemoryStore {
    async fn create_integration(
        &self,
        integration: &NewIntegrationRecord,
    ) -> Result<i64, StoreError> {
        self.check()?;
        let user_name = crate::stores::integration_user_name(&integration.name);
        let taken = self.integrations.borrow().iter().any(|i| {
            i.integration.name == integration.name || i.secret_hash == integration.secret_hash
        }) || self.users.borrow().iter().any(|u| u.name == user_name);
        if taken {
            return Err(StoreError::UniqueViolation("integrations.name".into()));
        }
        let user_id = self.users.borrow().len() as i64 + 1;
        self.users.borrow_mut().push(UserView {
            id: user_id,
            name: user_name,
            role: Role::Viewer,
        });
        let id = self.integrations.borrow().len() as i64 + 1;
        self.integrations.borrow_mut().push(StoredIntegration {
            integration: Integration {
                id,
                name: integration.name.clone(),
                format: integration.format,
                owner_group: integration.owner_group.clone(),
                user_id,
                mapping: integration.mapping.clone().unwrap_or_default(),
                control: integration.control,
                disabled_at: None,
            },
            secret_hash: integration.secret_hash.clone(),
            signing_key: integration.signing_key.clone(),
            previous: None,
        });
        self.push_audit_record(integration.at, &integration.actor, &integration.audit);
        Ok(id)
    }

    async fn integration_for_secret_hash(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Integration>, StoreError> {
        self.check()?;
        Ok(self
            .integrations
            .borrow()
            .iter()
            .find(|i| i.answers_to(secret_hash, now))
            .map(|i| i.integration.clone()))
    }

    async fn rotate_integration_secret(
        &self,
        rotation: &IntegrationRotation,
    ) -> Result<bool, StoreError> {
        self.check()?;
        let changed = self.change_enabled_integration(&rotation.name, |stored| {
            stored.previous = Some((
                std::mem::replace(&mut stored.secret_hash, rotation.secret_hash.clone()),
                std::mem::replace(&mut stored.signing_key, rotation.signing_key.clone()),
                rotation.previous_valid_until,
            ));
        });
        if changed {
            self.push_audit_record(rotation.at, &rotation.actor, &rotation.audit);
        }
        Ok(changed)
    }

    async fn disable_integration(
        &self,
        disabling: &IntegrationDisabling,
    ) -> Result<bool, StoreError> {
        self.check()?;
        let changed = self.change_enabled_integration(&disabling.name, |stored| {
            stored.integration.disabled_at = Some(disabling.at);
        });
        if changed {
            self.push_audit_record(disabling.at, &disabling.actor, &disabling.audit);
        }
        Ok(changed)
    }

    async fn integration_named(
        &self,
        name: &str,
    ) -> Result<Option<(Integration, SigningKeys)>, StoreError> {
        self.check()?;
        Ok(self
            .integrations
            .borrow()
            .iter()
            .find(|i| i.integration.name.as_str() == name)
            .map(|i| (i.integration.clone(), i.signing_keys())))
    }

    async fn key_history(
        &self,
        integration_id: i64,
        key: &DedupKey,
    ) -> Result<KeyHistory, StoreError> {
        self.check()?;
        let newest = self
            .alerts
            .borrow()
            .iter()
            .filter(|a| a.integration_id == integration_id && a.dedup_key == *key)
            .max_by_key(|a| a.id)
            .cloned();
        let Some(alert) = newest else {
            return Ok(KeyHistory::default());
        };
        let incident = self.linked_incident(alert.incident_id);
        Ok(KeyHistory {
            open_alert: (alert.status != AlertStatus::Resolved)
                .then(|| (alert.id, incident.clone())),
            latest_incident: incident,
        })
    }

    async fn delivery_history(
        &self,
        integration_id: i64,
        keys: &[DedupKey],
        group_key: Option<&str>,
        window_start: Timestamp,
    ) -> Result<DeliveryHistory, StoreError> {
        self.check()?;
        let mut history = DeliveryHistory::default();
        for key in keys {
            let key_history = self.key_history(integration_id, key).await?;
            if key_history != KeyHistory::default() {
                history.keys.push((key.clone(), key_history));
            }
        }
        let group_incident = group_key.and_then(|group| {
            self.alerts
                .borrow()
                .iter()
                .filter(|a| {
                    a.integration_id == integration_id && a.group_key.as_deref() == Some(group)
                })
                .max_by_key(|a| a.id)
                .and_then(|a| a.incident_id)
        });
        history.group = self.linked_incident(group_incident);
        let storm = self.storms.borrow().get(&integration_id).copied();
        history.storm = self.linked_incident(storm);
        history.opened_in_window = self
            .alerts
            .borrow()
            .iter()
            .filter(|a| {
                a.integration_id == integration_id
                    && a.opened_incident == 1
                    && a.first_seen > window_start
            })
            .count() as u32;
        history.problems_may_recur = self.has_problem_signatures();
        Ok(history)
    }

    async fn set_ingest_control(&self, change: &IngestControlChange) -> Result<bool, StoreError> {
        self.check()?;
        let mut integrations = self.integrations.borrow_mut();
        let Some(stored) = integrations
            .iter_mut()
            .find(|i| i.integration.name == change.integration)
        else {
            return Ok(false);
        };
        stored.integration.control = change.control;
        drop(integrations);
        self.push_audit_record(change.at, &change.actor, &change.audit);
        Ok(true)
    }

    async fn prune_deliveries(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.check()?;
        let retention: HashMap<i64, i64> = self
            .integrations
            .borrow()
            .iter()
            .map(|i| (i.integration.id, i.integration.control.retention_ms()))
            .collect();
        let mut deliveries = self.deliveries.borrow_mut();
        let before = deliveries.len();
        deliveries.retain(|d| {
            let keep_ms = retention
                .get(&d.integration_id)
                .copied()
                .unwrap_or(i64::MAX);
            now.millis_since(d.received_at) <= keep_ms
        });
        Ok((before - deliveries.len()) as u64)
    }

    async fn store_delivery(&self, delivery: &DeliveryPlan<'_>) -> Result<(), StoreError> {
        self.check()?;
        let dropped = self.dropped_delivery_writes.get();
        if dropped > 0 {
            self.dropped_delivery_writes.set(dropped - 1);
            return Err(StoreError::Unavailable("connection dropped".into()));
        }
        let saved = self.saved_state();
        let written = self.write_delivery(delivery);
        if written.is_err() {
            self.restore(saved);
        }
        written
    }

    async fn get_alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        self.check()?;
        let alert = self.alerts.borrow().iter().find(|a| a.id == id).cloned();
        Ok(alert.map(|a| self.alert_record(&a)))
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        self.check()?;
        let alerts = self.alerts.borrow().clone();
        let mut records: Vec<AlertRecord> = alerts
            .iter()
            .filter(|a| !filter.open_only || a.status != AlertStatus::Resolved)
            .filter(|a| filter.incident.is_none() || a.incident_id == filter.incident)
            .map(|a| self.alert_record(a))
            .collect();
        records.sort_by_key(|r| {
            let reported = r
                .incident
                .as_ref()
                .is_some_and(|i| i.status == IncidentStatus::Reported);
            (
                std::cmp::Reverse(reported),
                std::cmp::Reverse(r.first_seen),
                std::cmp::Reverse(r.id),
            )
        });
        records.truncate(AlertFilter::FETCH);
        Ok(records)
    }

    async fn attach_alert(&self, attachment: &AlertAttachment) -> Result<bool, StoreError> {
        self.check()?;
        {
            let mut alerts = self.alerts.borrow_mut();
            let Some(alert) = alerts
                .iter_mut()
                .find(|a| a.id == attachment.alert_id)
                .filter(|a| a.incident_id == Some(attachment.from_incident))
            else {
                return Ok(false);
            };
            alert.incident_id = Some(attachment.to_incident);
        }
        let (at, actor) = (attachment.at, &attachment.actor);
        self.push_timeline(
            attachment.to_incident,
            at,
            actor,
            attachment.attached.clone(),
        );
        self.push_timeline(
            attachment.from_incident,
            at,
            actor,
            attachment.detached.clone(),
        );
        self.touch_incident(attachment.to_incident, at);
        self.touch_incident(attachment.from_incident, at);
        self.push_audit_record(at, actor, &attachment.audit);
        Ok(true)
    }

    async fn alerts_on_incident(&self, incident_id: i64) -> Result<u64, StoreError> {
        self.check()?;
        Ok(self
            .alerts
            .borrow()
            .iter()
            .filter(|a| a.incident_id == Some(incident_id))
            .count() as u64)
    }
}
