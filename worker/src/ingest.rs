//! Monitoring ingestion (SPEC I1, I2, V2, V3, T1, T3, T4, T7, E1): who sent a
//! delivery, and what each alert in it does to Beacon's alerts and incidents.
//!
//! [`plan_signal`] is pure: given what the store knows about an alert's key it
//! decides whether the delivery opens an alert (and an incident), repeats,
//! acknowledges or resolves one, or is dropped as PagerDuty drops it.
//! [`plan_delivery`] plans a whole delivery with the rules of
//! [`beacon_shared::alert_group`]: the alerts of one notification group share
//! an incident whose priority is the most urgent of theirs, and past the
//! integration's storm threshold new alerts join one storm incident.
//!
//! Per delivery the store is asked three times: the integration by its
//! secret's hash, [`AlertStore::delivery_history`] for all of its keys at once,
//! and [`AlertStore::store_delivery`], which writes the raw event and every
//! plan as one unit. A delivery that loses a race (the open-alert unique
//! index, an incident's labels or priority, the storm window) is planned again.

use crate::auth::hash_token;
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{
    AlertStatus, AlertStore, DeliveryHistory, EscalationStore, IncidentState, IncidentStore,
    Integration, KeyHistory, LinkedIncident, NewAuditRecord, ProblemStore, StoreError,
    REPLAYED_SIGNATURE,
};
use crate::webhook_signature::{SignatureError, SignedRequest};
use beacon_shared::alert::{AlertAction, AlertSignal, DedupKey, IngestFormat};
use beacon_shared::alert_group::{
    check_delivery_size, group_cleared, group_priority, in_storm, storm_priority, storm_title,
    Grouping, TooManyAlerts, STORM_WINDOW_MS,
};
use beacon_shared::category::Labels;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::recurrence::{AlertIdentity, RecurrenceFacts};
use beacon_shared::timeline::{
    AlertNote, AlertOrigin, Created, PriorityChangeKind, PriorityChanged, TimelineEvent,
};
use beacon_shared::webhooks::{alertmanager, generic, pagerduty};
use beacon_shared::{classify_priority, Priority, Timestamp};
use serde::{Deserialize, Serialize};

/// The label an untriaged incident gets when its alert cleared by itself (V3).
pub const SHORT_LIVED_LABEL: &str = "short-lived";

/// The incident a new alert opens: in the SOP's first state, classified by the mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertIncident {
    pub state: IncidentState,
    /// Its first timeline entry.
    pub created: TimelineEvent,
    /// A storm incident (storm control), not the alert's own.
    pub storm: bool,
}

/// Where a new alert's incident comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentTarget {
    New(Box<NewAlertIncident>),
    /// An open incident the alert joins: its key's, its group's or the storm's.
    Existing(i64),
    /// The incident an earlier alert of the same delivery opens (that alert's key).
    OpenedWith(DedupKey),
}

/// An untriaged incident's labels with [`SHORT_LIVED_LABEL`] added, written
/// only if its labels and status are still those the plan was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelChange {
    pub incident_id: i64,
    pub expected_labels: Labels,
    pub expected_status: IncidentStatus,
    pub labels: Labels,
}

impl LabelChange {
    /// The change that labels `incident` short-lived; `None` when it carries
    /// the label already or has no room left for it ([`Labels::MAX_LABELS`]).
    pub fn short_lived(incident: &LinkedIncident) -> Option<Self> {
        let current = incident.labels.as_slice().iter().map(|l| l.as_str());
        let labels = Labels::parse(current.chain([SHORT_LIVED_LABEL])).ok()?;
        (labels != incident.labels).then(|| LabelChange {
            incident_id: incident.id,
            expected_labels: incident.labels.clone(),
            expected_status: incident.status,
            labels,
        })
    }
}

/// What one signal of a delivery does.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertPlan {
    Open {
        signal: AlertSignal,
        incident: IncidentTarget,
    },
    Repeat {
        alert_id: i64,
        incident_id: Option<i64>,
        signal: AlertSignal,
    },
    Acknowledge {
        alert_id: i64,
        incident_id: Option<i64>,
        signal: AlertSignal,
    },
    Resolve {
        alert_id: i64,
        incident_id: Option<i64>,
        /// The incident was never triaged: a short-lived condition (V3).
        short_lived: bool,
        /// The short-lived label to write, when the incident has room for it.
        label: Option<LabelChange>,
        signal: AlertSignal,
    },
    /// Acknowledge/resolve for a key with no open alert: PagerDuty drops these.
    Dropped { signal: AlertSignal },
}

impl AlertPlan {
    pub fn signal(&self) -> &AlertSignal {
        match self {
            AlertPlan::Open { signal, .. }
            | AlertPlan::Repeat { signal, .. }
            | AlertPlan::Acknowledge { signal, .. }
            | AlertPlan::Resolve { signal, .. }
            | AlertPlan::Dropped { signal } => signal,
        }
    }

    /// One word for the delivery's outcome and the API response.
    pub fn outcome(&self) -> &'static str {
        match self {
            AlertPlan::Open {
                incident: IncidentTarget::New(new),
                ..
            } if new.storm => "opened_storm_incident",
            AlertPlan::Open {
                incident: IncidentTarget::New(_),
                ..
            } => "opened_with_incident",
            AlertPlan::Open { .. } => "opened_on_open_incident",
            AlertPlan::Repeat { .. } => "repeated",
            AlertPlan::Acknowledge { .. } => "acknowledged",
            AlertPlan::Resolve { .. } => "resolved",
            AlertPlan::Dropped { .. } => "dropped",
        }
    }

    /// The timeline entry this plan adds to its incident.
    pub fn timeline_entry(&self, integration: &Integration) -> TimelineEvent {
        let signal = self.signal();
        let note = |short_lived: Option<bool>| AlertNote {
            integration: integration.name.to_string(),
            format: integration.format,
            dedup_key: signal.dedup_key.to_string(),
            summary: signal.summary.clone(),
            severity: signal.severity,
            links: signal.links.clone(),
            short_lived,
        };
        match self {
            AlertPlan::Open { .. } => TimelineEvent::AlertTriggered(note(None)),
            AlertPlan::Repeat { .. } => TimelineEvent::AlertRepeated(note(None)),
            AlertPlan::Acknowledge { .. } => TimelineEvent::AlertAcknowledged(note(None)),
            AlertPlan::Resolve { short_lived, .. } => {
                TimelineEvent::AlertResolved(note(Some(*short_lived)))
            }
            AlertPlan::Dropped { .. } => TimelineEvent::AlertDropped(note(None)),
        }
    }
}

/// What a plan does to an alert that exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertUpdate {
    pub alert_id: i64,
    pub incident_id: Option<i64>,
    /// The alert's new status; `None` keeps it (a repeat).
    pub status: Option<AlertStatus>,
}

impl AlertPlan {
    /// The change to an existing alert: one more delivery, maybe a new
    /// status. `None` for a plan that opens an alert or drops the signal.
    pub fn alert_update(&self) -> Option<AlertUpdate> {
        let (alert_id, incident_id, status) = match self {
            AlertPlan::Repeat {
                alert_id,
                incident_id,
                ..
            } => (alert_id, incident_id, None),
            AlertPlan::Acknowledge {
                alert_id,
                incident_id,
                ..
            } => (alert_id, incident_id, Some(AlertStatus::Acknowledged)),
            AlertPlan::Resolve {
                alert_id,
                incident_id,
                ..
            } => (alert_id, incident_id, Some(AlertStatus::Resolved)),
            AlertPlan::Open { .. } | AlertPlan::Dropped { .. } => return None,
        };
        Some(AlertUpdate {
            alert_id: *alert_id,
            incident_id: *incident_id,
            status,
        })
    }

    /// The short-lived label this plan writes, if any.
    pub fn label_change(&self) -> Option<&LabelChange> {
        match self {
            AlertPlan::Resolve { label, .. } => label.as_ref(),
            _ => None,
        }
    }

    /// The audit record this plan writes besides its timeline entry: a
    /// resolution that marks its untriaged incident short-lived (V3).
    pub fn audit_record(&self) -> Option<NewAuditRecord> {
        let AlertPlan::Resolve {
            incident_id: Some(incident_id),
            short_lived: true,
            label,
            signal,
            ..
        } = self
        else {
            return None;
        };
        Some(NewAuditRecord {
            action: "incident.short_lived".into(),
            subject: format!("incident/{incident_id}"),
            before: None,
            after: Some(serde_json::json!({
                "label": SHORT_LIVED_LABEL,
                "dedup_key": signal.dedup_key,
                "label_added": label.is_some(),
            })),
        })
    }
}

/// Decides what `signal` does, given the key's `history` (SPEC I2, V3).
pub fn plan_signal(
    integration: &Integration,
    signal: AlertSignal,
    history: &KeyHistory,
    now: Timestamp,
) -> AlertPlan {
    let open_alert = history.open_alert.as_ref();
    let alert_id = open_alert.map(|(id, _)| *id);
    let incident = open_alert.and_then(|(_, incident)| incident.as_ref());
    let incident_id = incident.map(|i| i.id);
    match (signal.action, alert_id) {
        (AlertAction::Trigger, Some(alert_id)) => AlertPlan::Repeat {
            alert_id,
            incident_id,
            signal,
        },
        (AlertAction::Trigger, None) => {
            let joined = history
                .latest_incident
                .as_ref()
                .filter(|i| i.status.awaits_response());
            let incident = match joined {
                Some(open) => IncidentTarget::Existing(open.id),
                None => IncidentTarget::New(Box::new(new_incident(integration, &signal, now))),
            };
            AlertPlan::Open { signal, incident }
        }
        (AlertAction::Acknowledge, Some(alert_id)) => AlertPlan::Acknowledge {
            alert_id,
            incident_id,
            signal,
        },
        (AlertAction::Resolve, Some(alert_id)) => {
            let untriaged = incident.filter(|i| i.status.is_untriaged());
            AlertPlan::Resolve {
                alert_id,
                incident_id,
                short_lived: untriaged.is_some(),
                label: untriaged.and_then(LabelChange::short_lived),
                signal,
            }
        }
        (AlertAction::Acknowledge | AlertAction::Resolve, None) => AlertPlan::Dropped { signal },
    }
}

fn new_incident(
    integration: &Integration,
    signal: &AlertSignal,
    now: Timestamp,
) -> NewAlertIncident {
    let mapped = integration
        .mapping
        .map(signal, integration.format, &integration.name, now);
    let classification = classify_priority(&mapped.facts);
    let state = IncidentState {
        title: mapped.title.to_string(),
        priority: classification.priority,
        rules_priority: classification.priority,
        status: IncidentStatus::Reported,
        category: None,
        labels: Labels::default(),
        owner_group: integration.owner_group.clone(),
        facts: mapped.facts,
    };
    let created = TimelineEvent::Created(Created {
        state: state.snapshot(),
        classification,
        from_alert: Some(AlertOrigin {
            integration: integration.name.to_string(),
            dedup_key: signal.dedup_key.to_string(),
        }),
        mapping_ignored: Some(mapped.ignored),
    });
    NewAlertIncident {
        state,
        created,
        storm: false,
    }
}

/// The priority `signal` gives by the integration's mapping (SPEC P0-P3).
fn signal_priority(integration: &Integration, signal: &AlertSignal, now: Timestamp) -> Priority {
    let mapped = integration
        .mapping
        .map(signal, integration.format, &integration.name, now);
    classify_priority(&mapped.facts).priority
}

/// `new` with its priority raised to `priority` (the most urgent of the
/// alerts it opens with) and, for a storm, titled and at least
/// [`beacon_shared::alert_group::STORM_PRIORITY`]; its first timeline entry
/// shows the state it is created in.
fn settle_new_incident(
    mut new: NewAlertIncident,
    integration: &Integration,
    priority: Priority,
    alerts: u64,
    storm: bool,
) -> NewAlertIncident {
    let priority = if storm {
        storm_priority(priority)
    } else {
        priority
    };
    new.state.priority = new.state.priority.most_urgent(priority);
    if storm {
        new.state.title = storm_title(integration.name.as_str(), alerts);
    }
    new.storm = storm;
    if let TimelineEvent::Created(created) = &mut new.created {
        created.state = new.state.snapshot();
    }
    new
}

/// An open incident's priority raised by alerts that joined it (SPEC I2, P0-P3),
/// written only if its priority is still `from`.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityRaise {
    pub incident_id: i64,
    pub from: Priority,
    pub to: Priority,
    pub timeline: TimelineEvent,
    pub audit: NewAuditRecord,
}

impl PriorityRaise {
    fn new(incident: &LinkedIncident, to: Priority, why: &str) -> Self {
        PriorityRaise {
            incident_id: incident.id,
            from: incident.priority,
            to,
            timeline: TimelineEvent::PriorityChanged(PriorityChanged {
                from: Some(incident.priority),
                to,
                rules_priority: incident.rules_priority,
                decision: PriorityChangeKind::Raised,
                reason: Some(why.to_owned()),
            }),
            audit: NewAuditRecord {
                action: "incident.priority".into(),
                subject: format!("incident/{}", incident.id),
                before: Some(serde_json::json!({ "priority": incident.priority })),
                after: Some(serde_json::json!({ "priority": to, "reason": why })),
            },
        }
    }
}

/// A storm incident this delivery opens: it becomes the integration's storm
/// incident in place of `previous` (guarded: a concurrent storm start loses).
#[derive(Debug, Clone, PartialEq)]
pub struct StormStart {
    pub previous: Option<i64>,
    /// The key of the alert that opens it.
    pub opener: DedupKey,
}

/// A whole delivery planned: what each alert does and what the delivery does
/// to incidents beyond its alerts' lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlannedDelivery {
    pub plans: Vec<AlertPlan>,
    /// Open incidents raised by alerts that joined them.
    pub raises: Vec<PriorityRaise>,
    pub storm_start: Option<StormStart>,
    /// The storm incident the delivery's alerts joined, whose title counts them anew.
    pub storm_recount: Option<IncidentTarget>,
    /// The delivery opens incidents of its own: the store checks that the
    /// storm window still holds at most the threshold.
    pub opens_own_incidents: bool,
}

/// Where a new alert's incident is decided to come from, before new
/// incidents are settled.
enum Pending {
    Plan(AlertPlan),
    Open {
        signal: AlertSignal,
        priority: Priority,
        target: PendingTarget,
    },
}

#[derive(Clone)]
enum PendingTarget {
    NewOwn,
    NewStorm,
    /// The key's own open incident (a re-fire): joined as today, never raised.
    Key(i64),
    /// The group's or the storm's open incident: raised by what joins it.
    Joined(LinkedIncident),
    OpenedWith(DedupKey),
}

/// Where the next new alert of a group or of the storm goes.
fn join_target(incident: &LinkedIncident) -> PendingTarget {
    PendingTarget::Joined(incident.clone())
}

/// Plans a whole delivery from what the store knew (SPEC I1, I2, V3, E1):
/// per alert [`plan_signal`], then grouping, storm control, the priority of
/// each group and the short-lived mark only on a group's last open alert.
pub fn plan_delivery(
    integration: &Integration,
    signals: Vec<AlertSignal>,
    group_key: Option<&str>,
    history: &DeliveryHistory,
    now: Timestamp,
) -> PlannedDelivery {
    let control = &integration.control;
    let grouped = group_key.is_some() && control.grouping == Grouping::ByNotificationGroup;
    let open = |incident: &&LinkedIncident| incident.status.awaits_response();
    let mut group = grouped
        .then(|| history.group.as_ref().filter(open).map(join_target))
        .flatten();
    let mut storm = history.storm.as_ref().filter(open).map(join_target);
    let mut opened = history.opened_in_window;
    let mut pending = Vec::with_capacity(signals.len());
    for signal in signals {
        let key_history = history.key(&signal.dedup_key);
        let plan = plan_signal(integration, signal, &key_history, now);
        let AlertPlan::Open { signal, incident } = plan else {
            pending.push(Pending::Plan(plan));
            continue;
        };
        let target = match incident {
            IncidentTarget::Existing(id) => PendingTarget::Key(id),
            _ => match (&group, in_storm(opened, control), &storm) {
                (Some(joined), _, _) => joined.clone(),
                (None, true, Some(joined)) => joined.clone(),
                (None, true, None) => {
                    storm = Some(PendingTarget::OpenedWith(signal.dedup_key.clone()));
                    PendingTarget::NewStorm
                }
                (None, false, _) => {
                    opened += 1;
                    if grouped {
                        group = Some(PendingTarget::OpenedWith(signal.dedup_key.clone()));
                    }
                    PendingTarget::NewOwn
                }
            },
        };
        let priority = signal_priority(integration, &signal, now);
        pending.push(Pending::Open {
            signal,
            priority,
            target,
        });
    }
    settle(integration, pending, history, now)
}

/// Turns the pending decisions into plans: new incidents take the most urgent
/// priority of the alerts they open with, joined incidents are raised, and a
/// resolution marks its incident short-lived only when it clears the last
/// open alert.
fn settle(
    integration: &Integration,
    pending: Vec<Pending>,
    history: &DeliveryHistory,
    now: Timestamp,
) -> PlannedDelivery {
    // Per opener key: the most urgent priority and the number of its alerts.
    let mut openers: Vec<(DedupKey, Priority, u64)> = Vec::new();
    let mut joined: Vec<(LinkedIncident, Priority)> = Vec::new();
    for item in &pending {
        let Pending::Open {
            signal,
            priority,
            target,
        } = item
        else {
            continue;
        };
        match target {
            PendingTarget::NewOwn | PendingTarget::NewStorm => {
                openers.push((signal.dedup_key.clone(), *priority, 1))
            }
            PendingTarget::OpenedWith(key) => {
                if let Some(opener) = openers.iter_mut().find(|(k, _, _)| k == key) {
                    opener.1 = opener.1.most_urgent(*priority);
                    opener.2 += 1;
                }
            }
            PendingTarget::Joined(incident) => {
                match joined.iter_mut().find(|(i, _)| i.id == incident.id) {
                    Some(entry) => entry.1 = entry.1.most_urgent(*priority),
                    None => joined.push((incident.clone(), *priority)),
                }
            }
            PendingTarget::Key(_) => {}
        }
    }
    let storm_id = history.storm.as_ref().map(|s| s.id);
    let mut planned = PlannedDelivery::default();
    for (incident, priority) in &joined {
        let is_storm = Some(incident.id) == storm_id;
        let to = if is_storm {
            storm_priority(*priority)
        } else {
            *priority
        };
        let why = if is_storm {
            "an alert of the storm is more urgent"
        } else {
            "an alert of its notification group is more urgent"
        };
        if let Some(to) = group_priority(incident.priority, [to]) {
            planned.raises.push(PriorityRaise::new(incident, to, why));
        }
        if is_storm {
            planned.storm_recount = Some(IncidentTarget::Existing(incident.id));
        }
    }
    for item in pending {
        let plan = match item {
            Pending::Plan(plan) => plan,
            Pending::Open { signal, target, .. } => {
                let incident = match target {
                    PendingTarget::NewOwn | PendingTarget::NewStorm => {
                        let storm = matches!(target, PendingTarget::NewStorm);
                        let (priority, alerts) = openers
                            .iter()
                            .find(|(k, _, _)| *k == signal.dedup_key)
                            .map_or((Priority::P3, 1), |(_, p, n)| (*p, *n));
                        let new = settle_new_incident(
                            new_incident(integration, &signal, now),
                            integration,
                            priority,
                            alerts,
                            storm,
                        );
                        if storm {
                            planned.storm_start = Some(StormStart {
                                previous: storm_id,
                                opener: signal.dedup_key.clone(),
                            });
                            planned.storm_recount =
                                Some(IncidentTarget::OpenedWith(signal.dedup_key.clone()));
                        } else {
                            planned.opens_own_incidents = true;
                        }
                        IncidentTarget::New(Box::new(new))
                    }
                    PendingTarget::Key(id) => IncidentTarget::Existing(id),
                    PendingTarget::Joined(incident) => IncidentTarget::Existing(incident.id),
                    PendingTarget::OpenedWith(key) => IncidentTarget::OpenedWith(key),
                };
                AlertPlan::Open { signal, incident }
            }
        };
        planned.plans.push(plan);
    }
    clear_groups_on_their_last_alert(&mut planned.plans, history);
    one_label_change_per_incident(&mut planned.plans);
    planned
}

/// A resolution marks its untriaged incident short-lived (SPEC V3) only when
/// it is the last of the delivery's resolutions of that incident and no other
/// alert of the incident stays open.
fn clear_groups_on_their_last_alert(plans: &mut [AlertPlan], history: &DeliveryHistory) {
    let open_alerts = |incident_id: i64| {
        history
            .keys
            .iter()
            .filter_map(|(_, h)| h.open_alert.as_ref())
            .filter_map(|(_, incident)| incident.as_ref())
            .find(|i| i.id == incident_id)
            .map_or(0, |i| i.open_alerts)
    };
    let mut resolving: Vec<(i64, u32)> = Vec::new();
    for plan in plans.iter() {
        if let AlertPlan::Resolve {
            incident_id: Some(id),
            ..
        } = plan
        {
            match resolving.iter_mut().find(|(i, _)| i == id) {
                Some(entry) => entry.1 += 1,
                None => resolving.push((*id, 1)),
            }
        }
    }
    let mut seen: Vec<(i64, u32)> = Vec::new();
    for plan in plans.iter_mut() {
        let AlertPlan::Resolve {
            incident_id: Some(id),
            short_lived,
            label,
            ..
        } = plan
        else {
            continue;
        };
        let count = match seen.iter_mut().find(|(i, _)| i == id) {
            Some(entry) => {
                entry.1 += 1;
                entry.1
            }
            None => {
                seen.push((*id, 1));
                1
            }
        };
        let total = resolving
            .iter()
            .find(|(i, _)| i == id)
            .map_or(0, |(_, n)| *n);
        let last = count == total && group_cleared(open_alerts(*id), total);
        if !last {
            *short_lived = false;
            *label = None;
        }
    }
}

/// Keeps the first short-lived label change per incident: two alerts of one
/// incident resolving in the same delivery were planned from the same labels,
/// and the second change would find them changed by the first and lose its guard.
pub fn one_label_change_per_incident(plans: &mut [AlertPlan]) {
    let mut labelled = Vec::new();
    for plan in plans {
        if let AlertPlan::Resolve { label, .. } = plan {
            match label {
                Some(change) if labelled.contains(&change.incident_id) => *label = None,
                Some(change) => labelled.push(change.incident_id),
                None => {}
            }
        }
    }
}

/// Keeps the last signal per key, in the order keys first appear: one
/// delivery changes each alert once.
pub fn last_signal_per_key(signals: Vec<AlertSignal>) -> Vec<AlertSignal> {
    let mut index: std::collections::HashMap<DedupKey, usize> =
        std::collections::HashMap::with_capacity(signals.len());
    let mut kept: Vec<AlertSignal> = Vec::with_capacity(signals.len());
    for signal in signals {
        match index.get(&signal.dedup_key) {
            Some(&at) => kept[at] = signal,
            None => {
                index.insert(signal.dedup_key.clone(), kept.len());
                kept.push(signal);
            }
        }
    }
    kept
}

/// One alert's outcome in a webhook response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertOutcome {
    pub dedup_key: DedupKey,
    pub outcome: String,
}

/// The answer to an Alertmanager or Grafana delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReceipt {
    pub status: String,
    pub alerts: Vec<AlertOutcome>,
}

/// How often a delivery is planned again after it lost a race (on the
/// open-alert index, or on an incident's labels) or the database failed to
/// answer its write. Planning again reads the history anew, so a write that
/// did land is seen as such: a retry here is what the sender's own retry
/// after a 503 would be, only sooner.
const ATTEMPTS: usize = 4;

/// A delivery as received: the raw body and, for signed formats, its signature.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedDelivery<'a> {
    pub body: &'a [u8],
    pub signature: Option<&'a str>,
}

/// A delivery with what each of its alerts does: what the store writes as one unit.
#[derive(Debug, Clone)]
pub struct DeliveryPlan<'a> {
    pub integration: &'a Integration,
    pub received: ReceivedDelivery<'a>,
    /// The notification group of its alerts (Alertmanager's and Grafana's `groupKey`).
    pub group_key: Option<&'a str>,
    pub plans: Vec<AlertPlan>,
    pub raises: Vec<PriorityRaise>,
    pub storm_start: Option<StormStart>,
    pub storm_recount: Option<IncidentTarget>,
    pub opens_own_incidents: bool,
    pub at: Timestamp,
}

impl DeliveryPlan<'_> {
    /// Where storm control counts from: one window before the delivery.
    pub fn window_start(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.at.unix_millis() - STORM_WINDOW_MS)
    }
}

/// The 413 for a delivery of too many alerts, naming the field.
fn too_many(refused: TooManyAlerts) -> ApiError {
    ApiError::TooMany {
        field: TooManyAlerts::FIELD.into(),
        message: refused.to_string(),
    }
}

impl DeliveryPlan<'_> {
    /// What Beacon did with each alert, as kept with the raw delivery.
    pub fn outcome_json(&self) -> serde_json::Value {
        self.plans
            .iter()
            .map(|p| serde_json::json!({ "dedup_key": p.signal().dedup_key, "outcome": p.outcome() }))
            .collect()
    }
}

/// Plans and stores one delivery as one unit, planning again if a concurrent
/// delivery got there first (SPEC I2). A signed delivery received before is refused.
#[allow(clippy::too_many_arguments)]
pub async fn ingest<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration: &Integration,
    received: ReceivedDelivery<'_>,
    signals: Vec<AlertSignal>,
    group_key: Option<&str>,
    now: Timestamp,
    base_url: &str,
) -> Result<Vec<AlertPlan>, ApiError> {
    check_delivery_size(signals.len()).map_err(too_many)?;
    let signals = last_signal_per_key(signals);
    let keys: Vec<DedupKey> = signals.iter().map(|s| s.dedup_key.clone()).collect();
    let window_start = Timestamp::from_unix_millis(now.unix_millis() - STORM_WINDOW_MS);
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let history = store
            .delivery_history(integration.id, &keys, group_key, window_start)
            .await?;
        let planned = plan_delivery(integration, signals.clone(), group_key, &history, now);
        let delivery = DeliveryPlan {
            integration,
            received,
            group_key,
            plans: planned.plans,
            raises: planned.raises,
            storm_start: planned.storm_start,
            storm_recount: planned.storm_recount,
            opens_own_incidents: planned.opens_own_incidents,
            at: now,
        };
        match store.store_delivery(&delivery).await {
            Ok(()) => {
                if history.problems_may_recur {
                    link_recurrences(store, integration, &delivery.plans, now, base_url).await?;
                }
                return Ok(delivery.plans);
            }
            Err(StoreError::UniqueViolation(constraint))
                if constraint.contains(REPLAYED_SIGNATURE) =>
            {
                return Err(ApiError::Conflict {
                    field: None,
                    message: "this signed delivery was already received; sign each delivery anew"
                        .into(),
                })
            }
            Err(
                err @ (StoreError::UniqueViolation(_)
                | StoreError::LostGuard
                | StoreError::Unavailable(_)),
            ) => last_error = Some(err),
            Err(err) => return Err(err.into()),
        }
    }
    Err(last_error
        .map(ApiError::from)
        .unwrap_or_else(|| ApiError::StoreUnavailable("delivery not stored".into())))
}

/// Links the incidents a stored delivery opened that recur a problem (SPEC
/// R6): one query reads the candidate problems of all of them; only a match
/// costs more.
async fn link_recurrences<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration: &Integration,
    plans: &[AlertPlan],
    now: Timestamp,
    base_url: &str,
) -> Result<(), ApiError> {
    let opened: Vec<(&AlertSignal, &NewAlertIncident)> = plans
        .iter()
        .filter_map(|plan| match plan {
            AlertPlan::Open {
                signal,
                incident: IncidentTarget::New(new),
            } if !new.storm => Some((signal, new.as_ref())),
            _ => None,
        })
        .collect();
    if opened.is_empty() {
        return Ok(());
    }
    let facts: Vec<RecurrenceFacts> = opened
        .iter()
        .map(|(signal, new)| {
            crate::problems::state_recurrence_facts(
                &new.state,
                Some(AlertIdentity::of(&integration.name, signal)),
            )
        })
        .collect();
    let found = crate::problems::find_recurrences(store, &facts, now).await?;
    for ((signal, _), found) in opened.iter().zip(found) {
        let Some(found) = found else { continue };
        let history = store.key_history(integration.id, &signal.dedup_key).await?;
        let incident = history
            .open_alert
            .and_then(|(_, incident)| incident)
            .map(|incident| incident.id);
        if let Some(incident) = incident {
            let actor = crate::problems::system_actor();
            crate::problems::apply_recurrence(store, incident, &found, &actor, now, base_url)
                .await?;
        }
    }
    Ok(())
}

fn receipt(plans: &[AlertPlan]) -> DeliveryReceipt {
    DeliveryReceipt {
        status: "ok".into(),
        alerts: plans
            .iter()
            .map(|p| AlertOutcome {
                dedup_key: p.signal().dedup_key.clone(),
                outcome: p.outcome().into(),
            })
            .collect(),
    }
}

/// `POST /api/webhooks/alertmanager` and `/api/webhooks/grafana`: `secret` is
/// the bearer token Alertmanager's `http_config.authorization` sends; a secret
/// of another format's integration is as unknown as a wrong one.
pub async fn notification_delivery<
    S: AlertStore + IncidentStore + ProblemStore + EscalationStore,
>(
    store: &S,
    format: IngestFormat,
    secret: &str,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<DeliveryReceipt, ApiError> {
    let integration = notification_sender(store, format, secret, now).await?;
    notification_from(store, &integration, body, now, base_url).await
}

/// The enabled integration of `format` whose secret (or, inside a
/// rotation's overlap, previous secret) the sender presented in its
/// `Authorization` header, or 401: checked before the body is read.
pub async fn notification_sender<S: AlertStore>(
    store: &S,
    format: IngestFormat,
    secret: &str,
    now: Timestamp,
) -> Result<Integration, ApiError> {
    store
        .integration_for_secret_hash(&hash_token(secret), now)
        .await?
        .filter(|i| i.format == format && i.disabled_at.is_none())
        .ok_or(ApiError::Unauthorized)
}

/// An Alertmanager or Grafana notification from an authenticated sender
/// ([`notification_sender`]), stored as one delivery.
pub async fn notification_from<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration: &Integration,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<DeliveryReceipt, ApiError> {
    let notification: alertmanager::Notification = decode_json(body)?;
    check_delivery_size(notification.alerts.len()).map_err(too_many)?;
    let received = ReceivedDelivery {
        body,
        signature: None,
    };
    let plans = ingest(
        store,
        integration,
        received,
        notification.signals(),
        notification.group_key.as_deref(),
        now,
        base_url,
    )
    .await?;
    Ok(receipt(&plans))
}

/// `POST /api/webhooks/generic/{integration}`: Beacon's own format, signed with
/// HMAC-SHA256 (see [`crate::webhook_signature`]); `signed` holds the checked
/// signature headers.
pub async fn generic_delivery<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    integration_name: &str,
    signed: &SignedRequest,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<DeliveryReceipt, ApiError> {
    // An unknown name and a wrong signature get the same answer.
    let mismatch = || ApiError::BadSignature(SignatureError::Mismatch.to_string());
    let (integration, keys) = store
        .integration_named(integration_name)
        .await?
        .filter(|(i, _)| i.format == IngestFormat::Generic && i.disabled_at.is_none())
        .ok_or_else(mismatch)?;
    keys.valid_at(now)
        .into_iter()
        .find(|key| signed.verify(key, body).is_ok())
        .ok_or_else(mismatch)?;
    let parsed: generic::Delivery = decode_json(body)?;
    let fingerprint = signed.fingerprint();
    let received = ReceivedDelivery {
        body,
        signature: Some(&fingerprint),
    };
    let plans = ingest(
        store,
        &integration,
        received,
        parsed.signals(),
        None,
        now,
        base_url,
    )
    .await?;
    Ok(receipt(&plans))
}

/// What `POST /v2/enqueue` answers, in PagerDuty's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum PagerDutyAnswer {
    /// 202 "Event processed", with the event's dedup key.
    Accepted { dedup_key: DedupKey },
    /// 400 "Event object is invalid", listing every problem.
    Invalid { errors: Vec<String> },
}

/// `POST /v2/enqueue`: a PagerDuty Events API v2 event, authenticated by its
/// `routing_key`; `generated_key` is the dedup key of an event that has none
/// (16 random bytes, hex).
pub async fn pagerduty_event<S: AlertStore + IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    body: &[u8],
    generated_key: DedupKey,
    now: Timestamp,
    base_url: &str,
) -> Result<PagerDutyAnswer, ApiError> {
    let invalid = |errors| Ok(PagerDutyAnswer::Invalid { errors });
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => return invalid(vec![format!("Invalid JSON: {err}")]),
    };
    let event = match pagerduty::parse_event(&value) {
        Ok(event) => event,
        Err(errors) => return invalid(errors),
    };
    let Some(integration) = store
        .integration_for_secret_hash(&hash_token(&event.routing_key), now)
        .await?
        .filter(|i| i.format == IngestFormat::Pagerduty && i.disabled_at.is_none())
    else {
        return invalid(vec!["Invalid routing key".into()]);
    };
    let signal = event.signal(generated_key);
    let dedup_key = signal.dedup_key.clone();
    let stored = pagerduty::event_for_storage(&value).to_string();
    let received = ReceivedDelivery {
        body: stored.as_bytes(),
        signature: None,
    };
    ingest(
        store,
        &integration,
        received,
        vec![signal],
        None,
        now,
        base_url,
    )
    .await?;
    Ok(PagerDutyAnswer::Accepted { dedup_key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::alert::{AlertMapping, Severity};
    use beacon_shared::alert_group::IngestControl;
    use beacon_shared::triage::Name;
    use std::collections::BTreeMap;

    fn integration() -> Integration {
        Integration {
            id: 1,
            name: Name::parse("prod-am").unwrap(),
            format: IngestFormat::Alertmanager,
            owner_group: Some(Name::parse("web").unwrap()),
            user_id: 9,
            mapping: AlertMapping::default(),
            control: IngestControl::default(),
            disabled_at: None,
        }
    }

    fn signal(action: AlertAction) -> AlertSignal {
        AlertSignal {
            dedup_key: DedupKey::parse("fp1").unwrap(),
            action,
            summary: "Checkout errors".into(),
            source: None,
            severity: Some(Severity::Critical),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            started_at: None,
            links: Vec::new(),
        }
    }

    const NOW: Timestamp = Timestamp::from_unix_millis(1_000_000);

    fn linked(id: i64, status: IncidentStatus) -> Option<LinkedIncident> {
        Some(LinkedIncident {
            id,
            status,
            labels: Labels::default(),
            priority: Priority::P2,
            rules_priority: Priority::P2,
            open_alerts: 1,
        })
    }

    /// An alert open on incident 7, which is in `status`.
    fn alert_open_on(status: IncidentStatus) -> KeyHistory {
        KeyHistory {
            open_alert: Some((4, linked(7, status))),
            latest_incident: linked(7, status),
        }
    }

    /// No open alert; the key's latest incident is 7, in `status`.
    fn no_alert_since(status: IncidentStatus) -> KeyHistory {
        KeyHistory {
            open_alert: None,
            latest_incident: linked(7, status),
        }
    }

    /// The plan for a delivery of `action` from the test integration.
    fn plan_for(action: AlertAction, history: &KeyHistory) -> AlertPlan {
        plan_signal(&integration(), signal(action), history, NOW)
    }

    /// SPEC V2, T1, T4, V9: a new firing alert opens an incident in the SOP's first
    /// state, classified by the mapping, owned by the integration's group.
    #[test]
    fn first_trigger_opens_an_incident() {
        let plan = plan_for(AlertAction::Trigger, &KeyHistory::default());
        let AlertPlan::Open {
            incident: IncidentTarget::New(incident),
            ..
        } = plan
        else {
            panic!("expected a new incident, got {plan:?}");
        };
        assert_eq!(incident.state.status, IncidentStatus::Reported);
        assert_eq!(incident.state.priority, Priority::P0);
        assert_eq!(incident.state.facts.alerted_at, Some(NOW));
        assert_eq!(incident.state.owner_group.unwrap().as_str(), "web");
    }

    /// SPEC I2: a repeat of an open alert changes no count of alerts or incidents.
    #[test]
    fn repeat_trigger_is_the_same_alert() {
        let history = alert_open_on(IncidentStatus::Investigating);
        let plan = plan_for(AlertAction::Trigger, &history);
        assert_eq!(plan.outcome(), "repeated");
    }

    /// SPEC I2: after resolve, a trigger opens a new alert; while the old incident is
    /// open it joins it, once closed it opens a new one.
    #[test]
    fn trigger_after_resolve_opens_a_new_alert() {
        let open_incident = no_alert_since(IncidentStatus::Monitoring);
        let plan = plan_for(AlertAction::Trigger, &open_incident);
        assert!(matches!(
            plan,
            AlertPlan::Open {
                incident: IncidentTarget::Existing(7),
                ..
            }
        ));
        let closed = no_alert_since(IncidentStatus::Closed);
        let plan = plan_for(AlertAction::Trigger, &closed);
        assert_eq!(plan.outcome(), "opened_with_incident");
    }

    /// SPEC V3: an alert that clears before triage marks a short-lived condition;
    /// acknowledge/resolve without an open alert are dropped.
    #[test]
    fn resolve_before_triage_is_short_lived() {
        for (status, expected) in [
            (IncidentStatus::Reported, true),
            (IncidentStatus::Investigating, false),
        ] {
            let plan = plan_for(AlertAction::Resolve, &alert_open_on(status));
            assert!(
                matches!(plan, AlertPlan::Resolve { short_lived, .. } if short_lived == expected),
                "{status:?}: {plan:?}"
            );
        }
        for action in [AlertAction::Acknowledge, AlertAction::Resolve] {
            let plan = plan_for(action, &KeyHistory::default());
            assert_eq!(plan.outcome(), "dropped");
        }
    }

    fn untriaged_with_labels(labels: &[String]) -> KeyHistory {
        let incident = LinkedIncident {
            id: 7,
            status: IncidentStatus::Reported,
            labels: Labels::parse(labels.iter().map(String::as_str)).unwrap(),
            priority: Priority::P2,
            rules_priority: Priority::P2,
            open_alerts: 1,
        };
        KeyHistory {
            open_alert: Some((4, Some(incident.clone()))),
            latest_incident: Some(incident),
        }
    }

    /// SPEC V3, K2: the short-lived label is added through [`Labels`], guarded by
    /// the labels and status it was planned from; an incident that has the
    /// label already or no room left keeps its labels and is still short-lived.
    #[test]
    fn short_lived_label_respects_the_label_limit() {
        let resolve = |history: &KeyHistory| {
            let plan = plan_for(AlertAction::Resolve, history);
            let AlertPlan::Resolve {
                short_lived, label, ..
            } = &plan
            else {
                panic!("expected a resolution, got {plan:?}");
            };
            assert!(short_lived);
            assert!(plan.audit_record().is_some());
            label.clone()
        };
        let change = resolve(&untriaged_with_labels(&["dba".into()])).unwrap();
        assert_eq!(change.expected_labels.len(), 1);
        assert_eq!(change.expected_status, IncidentStatus::Reported);
        let labels: Vec<&str> = change
            .labels
            .as_slice()
            .iter()
            .map(|l| l.as_str())
            .collect();
        assert_eq!(labels, ["dba", SHORT_LIVED_LABEL]);

        assert_eq!(
            resolve(&untriaged_with_labels(&[SHORT_LIVED_LABEL.into()])),
            None
        );
        let full: Vec<String> = (0..Labels::MAX_LABELS).map(|i| format!("l{i}")).collect();
        assert_eq!(resolve(&untriaged_with_labels(&full)), None);
    }

    #[test]
    fn one_change_per_key_per_delivery() {
        let kept = last_signal_per_key(vec![
            signal(AlertAction::Trigger),
            signal(AlertAction::Resolve),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].action, AlertAction::Resolve);
    }
}

#[cfg(test)]
mod grouping_tests;
