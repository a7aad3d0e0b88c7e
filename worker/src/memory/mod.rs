//! Every store trait in memory, for fast native tests of the handlers: one
//! [`MemoryStore`] holding each concept's data, one file per concept
//! implementing that concept's trait.

mod alerts;
mod dev_inbox;
mod escalation;
mod incident_reports;
mod incidents;
mod problems;
mod reports;
mod review;
mod settings;
mod status_page;
mod users;

use crate::auth::{hash_token, Actor};
use crate::stores::{
    InboxMessage, IncidentRecord, NewAuditRecord, Setting, StoreError, TokenRecord,
};
use beacon_shared::api::{AuditEntryView, TimelineEntryView, UserView};
use beacon_shared::category::Category;
use beacon_shared::role::Role;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::Timestamp;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};

/// See [`MemoryStore::before_next_guarded_write`].
type RivalWrite = Box<dyn FnOnce(&MemoryStore)>;

/// A single-threaded store holding every concept's data in memory: users,
/// incidents, timelines, the audit trail, settings, integrations, deliveries,
/// alerts, escalation and the status page.
pub struct MemoryStore {
    pub(super) users: RefCell<Vec<UserView>>,
    /// Each token with its hash.
    pub(super) tokens: RefCell<Vec<(String, TokenRecord)>>,
    /// Disabled users and when they were disabled.
    pub(super) disabled_users: RefCell<HashMap<i64, Timestamp>>,
    /// Browser sessions, with the hash of their secret.
    pub(super) sessions: RefCell<Vec<users::StoredSession>>,
    pub(super) incidents: RefCell<Vec<IncidentRecord>>,
    pub(super) timeline: RefCell<Vec<(i64, TimelineEntryView)>>,
    pub(super) audit: RefCell<Vec<AuditEntryView>>,
    pub(super) categories: Vec<Category>,
    pub(super) settings: RefCell<HashMap<Setting, String>>,
    /// Each integration with its secret hash.
    integrations: RefCell<Vec<alerts::StoredIntegration>>,
    alerts: RefCell<Vec<alerts::StoredAlert>>,
    deliveries: RefCell<Vec<alerts::StoredDelivery>>,
    /// Each integration's storm incident, like D1's `alert_storms`.
    storms: RefCell<HashMap<i64, i64>>,
    pub(super) escalation: RefCell<escalation::EscalationTables>,
    /// Tickets whose stored row reads as corrupt (see [`MemoryStore::corrupt_ticket`]).
    pub(super) corrupt_tickets: RefCell<BTreeSet<i64>>,
    pub(super) status_page: RefCell<status_page::MemoryStatusPage>,
    /// The local inbox (development only), in arrival order.
    pub(super) inbox: RefCell<Vec<InboxMessage>>,
    pub(super) problems: RefCell<problems::ProblemTables>,
    pub(super) reports: RefCell<incident_reports::ReportTables>,
    /// The reports' rows per incident, each with the version it was built from.
    pub(super) report_rows: RefCell<reports::ReportRowTable>,
    /// The review meeting's snapshots, oldest first.
    pub(super) review_snapshots: RefCell<Vec<crate::stores::SnapshotRecord>>,
    /// A write made by "someone else" just before the next guarded write.
    pub(super) rival_write: RefCell<Option<RivalWrite>>,
    /// When set, every call fails as if the database were down.
    pub failing: Cell<bool>,
    /// How many of the next delivery writes fail as a dropped connection
    /// would, writing nothing: a passing fault, unlike [`Self::failing`].
    pub dropped_delivery_writes: Cell<u32>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        let categories = ["API", "Web application", "Payments", "Reporting", "Network"]
            .iter()
            .map(|c| Category::parse(c).expect("valid category"))
            .collect();
        Self {
            users: RefCell::default(),
            tokens: RefCell::default(),
            disabled_users: RefCell::default(),
            sessions: RefCell::default(),
            incidents: RefCell::default(),
            timeline: RefCell::default(),
            audit: RefCell::default(),
            categories,
            settings: RefCell::default(),
            integrations: RefCell::default(),
            alerts: RefCell::default(),
            deliveries: RefCell::default(),
            storms: RefCell::default(),
            escalation: RefCell::default(),
            corrupt_tickets: RefCell::default(),
            status_page: RefCell::default(),
            inbox: RefCell::default(),
            problems: RefCell::default(),
            reports: RefCell::default(),
            report_rows: RefCell::default(),
            review_snapshots: RefCell::default(),
            rival_write: RefCell::default(),
            failing: Cell::new(false),
            dropped_delivery_writes: Cell::new(0),
        }
    }
}

impl MemoryStore {
    /// Adds a user with `role` and returns the plain token that authenticates it.
    pub fn add_user(&self, name: &str, role: Role) -> String {
        let mut users = self.users.borrow_mut();
        let id = users.len() as i64 + 1;
        users.push(UserView {
            id,
            name: name.to_owned(),
            role,
        });
        let token = format!("test-token-{name}-{id}");
        let mut tokens = self.tokens.borrow_mut();
        let record = TokenRecord {
            id: tokens.len() as i64 + 1,
            user_id: id,
            label: String::new(),
            created_at: Timestamp::from_unix_millis(0),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
        };
        tokens.push((hash_token(&token), record));
        token
    }

    /// Adds a user with `role` and returns it as the actor of a request.
    pub fn add_actor(&self, name: &str, role: Role) -> Actor {
        self.add_user(name, role);
        let users = self.users.borrow();
        Actor::from(users.last().expect("just added").clone())
    }

    pub fn incident_count(&self) -> usize {
        self.incidents.borrow().len()
    }

    pub fn audit_count(&self) -> usize {
        self.audit.borrow().len()
    }

    pub(super) fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() {
            Err(StoreError::Unavailable("memory store set to fail".into()))
        } else {
            Ok(())
        }
    }

    pub(super) fn push_audit(
        &self,
        at: Timestamp,
        actor: &Actor,
        action: &str,
        subject: String,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) {
        let redacted = |snapshot: Option<serde_json::Value>| {
            snapshot.map(|mut value| {
                beacon_shared::audit_redaction::redact_snapshot(action, &mut value);
                value
            })
        };
        let (before, after) = (redacted(before), redacted(after));
        let mut audit = self.audit.borrow_mut();
        let id = audit.len() as i64 + 1;
        audit.push(AuditEntryView {
            id,
            at,
            actor: actor.name.clone(),
            action: action.into(),
            subject,
            before,
            after,
        });
    }

    pub(super) fn push_audit_record(&self, at: Timestamp, actor: &Actor, record: &NewAuditRecord) {
        self.push_audit(
            at,
            actor,
            &record.action,
            record.subject.clone(),
            record.before.clone(),
            record.after.clone(),
        );
    }

    pub(super) fn push_timeline(
        &self,
        incident: i64,
        at: Timestamp,
        actor: &Actor,
        event: TimelineEvent,
    ) {
        if event.shapes_escalation() {
            self.reschedule(incident);
        }
        let mut timeline = self.timeline.borrow_mut();
        let id = timeline.len() as i64 + 1;
        timeline.push((
            incident,
            TimelineEntryView {
                id,
                at,
                actor: actor.name.clone(),
                event,
            },
        ));
    }
}
