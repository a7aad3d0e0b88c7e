//! Native tests of customer support's editing API against the in-memory store.

use super::*;
use crate::auth::authenticate;
use crate::incidents::create_incident;
use crate::memory::MemoryStore;
use beacon_shared::role::Role;
use beacon_shared::status_page::PublicIncidentStatus;
use pollster::block_on;
use serde_json::Value;
use std::cell::Cell;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);
const BASE: &str = "https://beacon.example.com";

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn body(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

/// A store with one person per role and a source of fresh ids.
struct Desk {
    store: MemoryStore,
    next_id: Cell<u32>,
}

impl Desk {
    fn new() -> Self {
        Desk {
            store: MemoryStore::default(),
            next_id: Cell::new(0),
        }
    }

    /// A desk and one customer support agent.
    fn with_support() -> (Self, Actor) {
        let desk = Desk::new();
        let csup = desk.actor(Role::CustomerSupport);
        (desk, csup)
    }

    /// A desk, one customer support agent and the API component they added.
    fn with_api() -> (Self, Actor, Component) {
        let (desk, csup) = Desk::with_support();
        let api = desk.component(&csup, "API");
        (desk, csup, api)
    }

    fn actor(&self, role: Role) -> Actor {
        let token = self.store.add_user(role.as_str(), role);
        block_on(authenticate(
            &self.store,
            Some(&format!("Bearer {token}")),
            NOW,
        ))
        .unwrap()
    }

    fn ids(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::from_fn(move || {
            let n = self.next_id.get() + 1;
            self.next_id.set(n);
            Some(format!("id{n:04}"))
        })
    }

    fn component(&self, actor: &Actor, name: &str) -> Component {
        let request = body(json!({ "name": name }));
        self.try_component(actor, &request).unwrap()
    }

    fn try_component(&self, actor: &Actor, request: &[u8]) -> Result<Component, ApiError> {
        block_on(create_component(
            &self.store,
            actor,
            request,
            NOW,
            &mut self.ids(),
        ))
    }

    fn set_status(
        &self,
        actor: &Actor,
        id: &str,
        request: &[u8],
        at: Timestamp,
    ) -> Result<Component, ApiError> {
        block_on(set_component_status(&self.store, actor, id, request, at))
    }

    fn publish(
        &self,
        actor: &Actor,
        request: &[u8],
        at: Timestamp,
    ) -> Result<PublishedIncident, ApiError> {
        block_on(create_public_incident(
            &self.store,
            actor,
            request,
            at,
            &mut self.ids(),
            BASE,
        ))
    }

    fn update(
        &self,
        actor: &Actor,
        id: &str,
        request: &[u8],
        at: Timestamp,
    ) -> Result<PublishedIncident, ApiError> {
        block_on(add_public_update(
            &self.store,
            actor,
            id,
            request,
            at,
            &mut self.ids(),
            BASE,
        ))
    }

    fn announce(
        &self,
        actor: &Actor,
        request: &[u8],
        at: Timestamp,
    ) -> Result<PublishedMaintenance, ApiError> {
        block_on(create_maintenance(
            &self.store,
            actor,
            request,
            at,
            &mut self.ids(),
            BASE,
        ))
    }

    fn page(&self) -> StatusPage {
        block_on(page_for_editing(&self.store, BASE)).unwrap()
    }

    fn status_of(&self, id: &ComponentId) -> ComponentStatus {
        self.page().component(id).unwrap().status
    }

    /// An internal ticket in `category`, opened by someone who may.
    fn ticket(&self, category: &str) -> i64 {
        let opener = self.actor(Role::Security);
        let request = body(json!({
            "title": "Checkout fails",
            "category": category,
            "facts": {"measurements": {"major_function_lost": true}},
        }));
        block_on(create_incident(
            &self.store,
            &opener,
            &request,
            NOW,
            "https://beacon.test",
        ))
        .unwrap()
        .id
    }

    fn customer_updates(&self, ticket: i64) -> Vec<CustomerUpdate> {
        block_on(self.store.timeline(ticket))
            .unwrap()
            .into_iter()
            .filter_map(|entry| match entry.event {
                TimelineEvent::CustomerUpdate(update) => Some(update),
                _ => None,
            })
            .collect()
    }

    fn audit_actions(&self) -> Vec<String> {
        self.store
            .audit
            .borrow()
            .iter()
            .map(|a| a.action.clone())
            .collect()
    }
}

fn field(err: &ApiError) -> Option<String> {
    err.body().error.field
}

/// SPEC M1, I3: only customer support, management and admins edit the page;
/// anyone else gets 403 and nothing is stored.
#[test]
fn only_publishers_edit_the_page() {
    let (desk, _, api) = Desk::with_api();
    let audits = desk.store.audit_count();
    for role in [
        Role::Sre,
        Role::IncidentCommander,
        Role::Viewer,
        Role::Security,
    ] {
        let someone = desk.actor(role);
        let new_component = body(json!({ "name": "Payments" }));
        let err = desk.try_component(&someone, &new_component).unwrap_err();
        assert_eq!(err.status(), 403, "{role:?}");
        let status = body(json!({ "status": "major_outage" }));
        let err = desk
            .set_status(&someone, api.id.as_str(), &status, NOW)
            .unwrap_err();
        assert_eq!(err.status(), 403, "{role:?}");
        let incident = body(json!({ "name": "Errors", "body": "Looking into it." }));
        let err = desk.publish(&someone, &incident, NOW).unwrap_err();
        assert_eq!(err.status(), 403, "{role:?}");
    }
    for role in [Role::Management, Role::Admin] {
        let publisher = desk.actor(role);
        let status = body(json!({ "status": "degraded_performance" }));
        desk.set_status(&publisher, api.id.as_str(), &status, NOW)
            .unwrap();
    }
    assert_eq!(desk.page().components().len(), 1);
    assert_eq!(desk.store.audit_count(), audits + 2);
}

/// SPEC K1, K3: a component is a known category, once; Security never is.
#[test]
fn components_are_public_categories() {
    let (desk, csup, api) = Desk::with_api();
    assert_eq!(api.status, ComponentStatus::Operational);
    assert_eq!(desk.store.status_history_len(), 1);
    assert_eq!(desk.audit_actions(), ["status.component.create"]);
    for name in ["Security", "Mainframe"] {
        let request = body(json!({ "name": name }));
        let err = desk.try_component(&csup, &request).unwrap_err();
        assert_eq!((err.status(), field(&err)), (422, Some("name".into())));
    }
    let again = body(json!({ "name": "API" }));
    let err = desk.try_component(&csup, &again).unwrap_err();
    assert_eq!((err.status(), field(&err)), (409, Some("name".into())));
    assert_eq!(desk.page().components().len(), 1);
    assert_eq!(desk.store.audit_count(), 1);
}

/// SPEC L2: a status set by hand is kept in the component's history; the
/// display settings are not a status change; an unknown group names its field.
#[test]
fn component_status_and_settings() {
    let (desk, csup, api) = Desk::with_api();
    let status = body(json!({ "status": "partial_outage" }));
    let changed = desk
        .set_status(&csup, api.id.as_str(), &status, later(5))
        .unwrap();
    assert_eq!(
        (changed.status, changed.updated_at),
        (ComponentStatus::PartialOutage, later(5))
    );
    assert_eq!(desk.store.status_history_len(), 2);

    let group = body(json!({ "name": "Platform" }));
    let group = block_on(create_group(
        &desk.store,
        &csup,
        &group,
        NOW,
        &mut desk.ids(),
    ))
    .unwrap();
    let settings = body(json!({ "group_id": group.id, "description": "Public API" }));
    let updated = block_on(update_component(
        &desk.store,
        &csup,
        api.id.as_str(),
        &settings,
        later(6),
    ))
    .unwrap();
    assert_eq!(updated.group_id.as_ref(), Some(&group.id));
    assert_eq!(updated.status, ComponentStatus::PartialOutage);
    assert_eq!(desk.store.status_history_len(), 2);
    assert_eq!(desk.page().members(&group.id).len(), 1);

    let stray = body(json!({ "group_id": "nogroup" }));
    let err = block_on(update_component(
        &desk.store,
        &csup,
        api.id.as_str(),
        &stray,
        later(7),
    ))
    .unwrap_err();
    assert_eq!((err.status(), field(&err)), (422, Some("group_id".into())));
    let err = desk
        .set_status(&csup, "nothing", &status, later(7))
        .unwrap_err();
    assert_eq!(err.status(), 404);
    let bad = body(json!({ "status": "on_fire" }));
    let err = desk
        .set_status(&csup, api.id.as_str(), &bad, later(7))
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(field(&err).as_deref(), Some("status"));
}

/// SPEC M1, M2: customer support publishes from a ticket: its title and
/// priority are the defaults, the components change, and the ticket's
/// timeline notes the customer update, all with their audit record.
#[test]
fn csup_publishes_from_a_ticket() {
    let (desk, csup, api) = Desk::with_api();
    let ticket = desk.ticket("Payments");
    let request = body(json!({
        "from_incident": ticket,
        "template": { "template": "identified" },
        "status": "identified",
        "components": [{ "id": api.id, "status": "major_outage" }],
    }));
    let published = desk.publish(&csup, &request, later(1)).unwrap();
    assert!(published.published);
    assert_eq!(published.incident.name, "Checkout fails");
    assert!(published.incident.incident_updates[0].body.contains("API"));
    assert_eq!(desk.status_of(&api.id), ComponentStatus::MajorOutage);
    assert_eq!(desk.store.status_history_len(), 2);
    let notes = desk.customer_updates(ticket);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].public_incident, published.incident.id);
    assert_eq!(notes[0].status, PublicIncidentStatus::Identified);
    assert!(desk
        .audit_actions()
        .contains(&"status.incident.publish".to_owned()));

    let resolve = body(json!({
        "status": "resolved",
        "body": "Fixed.",
        "components": [{ "id": api.id, "status": "operational" }],
    }));
    let updated = desk
        .update(&csup, &published.incident.id, &resolve, later(30))
        .unwrap();
    assert!(updated.published);
    assert_eq!(updated.incident.incident_updates.len(), 2);
    assert_eq!(desk.status_of(&api.id), ComponentStatus::Operational);
    assert_eq!(desk.customer_updates(ticket).len(), 2);
    assert_eq!(desk.page().unresolved_incidents().len(), 0);
}

/// SPEC M4: a ticket that cannot be read because storage is down is a 503,
/// not "there is no incident".
#[test]
fn an_unreadable_ticket_is_a_storage_failure() {
    let (desk, csup) = Desk::with_support();
    let ticket = desk.ticket("API");
    desk.store.failing.set(true);
    let request = body(json!({ "from_incident": ticket, "body": "We are investigating." }));
    let err = desk.publish(&csup, &request, NOW).unwrap_err();
    assert_eq!(err.status(), 503);
}

/// SPEC K3: customer support cannot publish from a Security ticket (it is
/// "no incident" to them); management, who may see it, can.
#[test]
fn security_tickets_are_published_only_by_those_cleared() {
    let (desk, csup) = Desk::with_support();
    let ticket = desk.ticket("Security");
    let request = body(json!({ "from_incident": ticket, "body": "We are investigating." }));
    let err = desk.publish(&csup, &request, NOW).unwrap_err();
    assert_eq!(
        (err.status(), field(&err)),
        (422, Some("from_incident".into()))
    );
    assert!(desk.page().incidents().is_empty());
    assert!(desk.customer_updates(ticket).is_empty());

    let boss = desk.actor(Role::Management);
    let published = desk.publish(&boss, &request, NOW).unwrap();
    assert!(published.published);
    assert_eq!(desk.customer_updates(ticket).len(), 1);
}

/// SPEC M2: a preview shows what would be published and stores nothing.
#[test]
fn a_preview_stores_nothing() {
    let (desk, csup, api) = Desk::with_api();
    let ticket = desk.ticket("Payments");
    let audits = desk.store.audit_count();
    let request = body(json!({
        "from_incident": ticket,
        "body": "Errors on the API.",
        "components": [{ "id": api.id, "status": "major_outage" }],
        "preview": true,
    }));
    let preview = desk.publish(&csup, &request, NOW).unwrap();
    assert!(!preview.published);
    assert_eq!(
        preview.incident.components[0].status,
        ComponentStatus::MajorOutage
    );
    let window = body(json!({
        "name": "Database upgrade",
        "scheduled_for": later(60),
        "scheduled_until": later(120),
        "components": [api.id],
        "preview": true,
    }));
    let maintenance = desk.announce(&csup, &window, NOW).unwrap();
    assert!(!maintenance.published);
    let page = desk.page();
    assert!(page.incidents().is_empty() && page.maintenances().is_empty());
    assert_eq!(desk.status_of(&api.id), ComponentStatus::Operational);
    assert_eq!(desk.store.audit_count(), audits);
    assert_eq!(desk.store.status_history_len(), 1);
    assert!(desk.customer_updates(ticket).is_empty());
}

/// SPEC M3: updates move forward only; going back is 409 on `status` and
/// stores nothing.
#[test]
fn updates_only_move_forward() {
    let (desk, csup) = Desk::with_support();
    let request = body(json!({ "name": "Slow pages", "status": "monitoring", "body": "Fix out." }));
    let published = desk.publish(&csup, &request, NOW).unwrap();
    let audits = desk.store.audit_count();
    let back = body(json!({ "status": "investigating", "body": "Again?" }));
    let err = desk
        .update(&csup, &published.incident.id, &back, later(1))
        .unwrap_err();
    assert_eq!((err.status(), field(&err)), (409, Some("status".into())));
    assert_eq!(desk.page().incidents()[0].updates().len(), 1);
    assert_eq!(desk.store.audit_count(), audits);
    let err = desk.update(&csup, "unknown", &back, later(1)).unwrap_err();
    assert_eq!(err.status(), 404);
}

/// SPEC M5: a maintenance puts its components under maintenance while in
/// progress and gives them back when completed; going back is refused.
#[test]
fn a_maintenance_moves_its_components() {
    let (desk, csup, api) = Desk::with_api();
    let web = desk.component(&csup, "Web application");
    let request = body(json!({
        "name": "Database upgrade",
        "scheduled_for": later(60),
        "scheduled_until": later(120),
        "components": [api.id, web.id],
    }));
    let announced = desk.announce(&csup, &request, NOW).unwrap();
    assert!(announced.published);
    assert_eq!(desk.status_of(&api.id), ComponentStatus::Operational);
    let id = announced.scheduled_maintenance.id.clone();
    let step = |status: &str, minutes: i64| {
        let request = body(json!({ "status": status }));
        block_on(add_maintenance_update(
            &desk.store,
            &csup,
            &id,
            &request,
            later(minutes),
            &mut desk.ids(),
            BASE,
        ))
    };
    step("in_progress", 60).unwrap();
    assert_eq!(desk.status_of(&api.id), ComponentStatus::UnderMaintenance);
    assert_eq!(desk.status_of(&web.id), ComponentStatus::UnderMaintenance);
    let err = step("scheduled", 61).unwrap_err();
    assert_eq!((err.status(), field(&err)), (409, Some("status".into())));
    step("completed", 110).unwrap();
    assert_eq!(desk.status_of(&api.id), ComponentStatus::Operational);
    assert_eq!(desk.status_of(&web.id), ComponentStatus::Operational);
    // Two components created, each under maintenance and back.
    assert_eq!(desk.store.status_history_len(), 6);
    assert_eq!(
        desk.page().maintenances()[0].status(),
        MaintenanceStatus::Completed
    );
}

/// A write that lost its race to another request writes nothing: no
/// entry, no component status, no history, no ticket note, no audit record.
#[test]
fn a_lost_race_writes_nothing() {
    let (desk, csup, api) = Desk::with_api();
    let ticket = desk.ticket("Payments");
    let request = body(json!({ "from_incident": ticket, "body": "Looking into it." }));
    let published = desk.publish(&csup, &request, NOW).unwrap();
    let id = published.incident.id.clone();
    let rival_actor = csup.clone();
    let rival_id = id.clone();
    desk.store.before_next_guarded_write(move |store| {
        let note = body(json!({ "status": "identified", "body": "Found it." }));
        let mut ids = ["rival1".to_owned()].into_iter();
        block_on(add_public_update(
            store,
            &rival_actor,
            &rival_id,
            &note,
            later(2),
            &mut ids,
            BASE,
        ))
        .unwrap();
    });
    let audits = desk.store.audit_count() + 1;
    let history = desk.store.status_history_len();
    let late = body(json!({
        "status": "monitoring",
        "body": "Fix out.",
        "components": [{ "id": api.id, "status": "degraded_performance" }],
    }));
    let err = desk.update(&csup, &id, &late, later(3)).unwrap_err();
    assert_eq!(err.status(), 409);
    let page = desk.page();
    let incident = &page.incidents()[0];
    assert_eq!(incident.status(), PublicIncidentStatus::Identified);
    assert_eq!(incident.updates().len(), 2);
    assert_eq!(desk.status_of(&api.id), ComponentStatus::Operational);
    assert_eq!(desk.store.status_history_len(), history);
    assert_eq!(desk.customer_updates(ticket).len(), 2);
    assert_eq!(desk.store.audit_count(), audits);

    let rival_actor = csup.clone();
    let rival_component = api.id.to_string();
    desk.store.before_next_guarded_write(move |store| {
        let status = body(json!({ "status": "major_outage" }));
        block_on(set_component_status(
            store,
            &rival_actor,
            &rival_component,
            &status,
            later(4),
        ))
        .unwrap();
    });
    let status = body(json!({ "status": "partial_outage" }));
    let err = desk
        .set_status(&csup, api.id.as_str(), &status, later(5))
        .unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(desk.status_of(&api.id), ComponentStatus::MajorOutage);
    assert_eq!(desk.store.status_history_len(), history + 1);
}

/// SPEC L1: only management and admins set the SLOs, for components on the page.
#[test]
fn slos_are_set_by_management() {
    let (desk, csup, api) = Desk::with_api();
    assert_eq!(
        block_on(slo_policy(&desk.store)).unwrap(),
        crate::public_page::default_slo_policy()
    );
    let policy = body(json!({ "default": 99.5, "per_component": { api.id.as_str(): 99.95 } }));
    let err = block_on(put_slo_policy(&desk.store, &csup, &policy, NOW, BASE)).unwrap_err();
    assert_eq!(err.status(), 403);
    let boss = desk.actor(Role::Management);
    let stored = block_on(put_slo_policy(&desk.store, &boss, &policy, NOW, BASE)).unwrap();
    assert_eq!(block_on(slo_policy(&desk.store)).unwrap(), stored);
    assert_eq!(
        desk.audit_actions().last().map(String::as_str),
        Some("status.slo")
    );

    let unknown = body(json!({ "default": 99.5, "per_component": { "mainframe": 99.0 } }));
    let admin = desk.actor(Role::Admin);
    let err = block_on(put_slo_policy(&desk.store, &admin, &unknown, NOW, BASE)).unwrap_err();
    assert_eq!(
        (err.status(), field(&err)),
        (422, Some("per_component.mainframe".into()))
    );
    assert_eq!(block_on(slo_policy(&desk.store)).unwrap(), stored);
}

/// Bad input names its field, and stores nothing.
#[test]
fn bad_input_names_its_field() {
    let (desk, csup) = Desk::with_support();
    desk.component(&csup, "API");
    let audits = desk.store.audit_count();
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "body": "No name." }), "name"),
        (
            json!({ "name": "X", "body": "Y", "components": [{ "id": "nope", "status": "major_outage" }] }),
            "components[0].id",
        ),
        (json!({ "name": "X", "body": "" }), "body"),
    ];
    for (request, expected) in cases {
        let err = desk
            .publish(&csup, &body(request.clone()), NOW)
            .unwrap_err();
        assert_eq!(err.status(), 422, "{request}");
        assert_eq!(field(&err).as_deref(), Some(expected), "{request}");
    }
    let backwards = body(json!({
        "name": "Upgrade",
        "scheduled_for": later(120),
        "scheduled_until": later(60),
    }));
    let err = desk.announce(&csup, &backwards, NOW).unwrap_err();
    assert_eq!(field(&err).as_deref(), Some("scheduled_until"));
    let stray = body(json!({
        "name": "Upgrade",
        "scheduled_for": later(60),
        "scheduled_until": later(120),
        "components": ["nope"],
    }));
    let err = desk.announce(&csup, &stray, NOW).unwrap_err();
    assert_eq!(field(&err).as_deref(), Some("components[0]"));
    assert_eq!(desk.store.audit_count(), audits);
}
