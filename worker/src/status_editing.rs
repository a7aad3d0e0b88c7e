//! Customer support's editing API of the status page (`/api/status/*`, SPEC
//! M1-M5, K1, K3, L1), generic over the store traits.
//!
//! Customer support, management and admins put K1 categories on the page as
//! components, set their status, publish public incidents (from an internal
//! ticket, from a template) and scheduled maintenance, each update moving
//! forward only; management and admins set the SLOs. What a publication does
//! to the page is decided by `beacon_shared::status_page`; a preview shows
//! it without storing anything. The time, fresh ids and the page's address
//! come in as parameters.

use crate::auth::{require_role, Actor};
use crate::error::ApiError;
use crate::incidents;
use crate::public_page::{load_page, slo_policy};
use crate::request_body::decode_json;
use crate::stores::{
    ComponentReplacement, IncidentStore, NewAuditRecord, PageAudit, Publication, Revised, Setting,
    SettingChange, SettingsStore, StatusPageStore, StoreError, TicketNote,
};
use beacon_shared::category::Category;
use beacon_shared::role::Role;
use beacon_shared::service_level::SloPolicy;
use beacon_shared::status_editing::{
    ComponentSettings, ComponentStatusChange, ComponentUpdate, NewComponentGroup, NewMaintenance,
    NewMaintenanceUpdate, NewPublicIncident, NewPublicUpdate, NewStatusComponent,
    PublishedIncident, PublishedMaintenance, UpdateText,
};
use beacon_shared::status_page::{
    impact_for_priority, maintenance_changes, maintenance_update_text, Component, ComponentChange,
    ComponentGroup, ComponentId, ComponentStatus, IdError, Impact, IncidentId, IncidentUpdate,
    MaintenanceStatus, MaintenanceUpdate, MaintenanceWindow, MessageTemplate, PublicIncident,
    ScheduledMaintenance, StatusPage, TransitionError, UpdateBody, UpdateId,
};
use beacon_shared::statuspage_wire;
use beacon_shared::timeline::{CustomerUpdate, TimelineEvent};
use beacon_shared::triage::Title;
use beacon_shared::Timestamp;
use serde_json::json;

#[cfg(test)]
mod tests;

/// Customer support, management and admins write to the public page (M1, M2).
fn require_publisher(actor: &Actor) -> Result<(), ApiError> {
    require_role(
        actor,
        Role::may_publish_status,
        "change the public status page",
    )
}

/// The next of the fresh ids the caller drew for this request.
fn fresh_id<T>(
    ids: &mut impl Iterator<Item = String>,
    parse: impl Fn(&str) -> Result<T, IdError>,
) -> Result<T, ApiError> {
    let id = ids
        .next()
        .ok_or_else(|| ApiError::Internal("no fresh id left for this request".into()))?;
    parse(&id).map_err(|e| ApiError::Internal(e.to_string()))
}

fn changed_while_editing(what: &str) -> ApiError {
    ApiError::Conflict {
        field: None,
        message: format!("the {what} changed while this request was made; reload and try again"),
    }
}

/// An update that would move an incident or maintenance back (M3, M5).
fn not_forward(err: TransitionError) -> ApiError {
    ApiError::Conflict {
        field: Some("status".into()),
        message: err.to_string(),
    }
}

/// A page that a publication would leave inconsistent: a bug, not the caller's.
fn inconsistent_page(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(err.to_string())
}

fn audit<'a>(
    actor: &'a Actor,
    at: Timestamp,
    action: &str,
    subject: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> PageAudit<'a> {
    PageAudit {
        actor,
        at,
        record: NewAuditRecord {
            action: action.to_owned(),
            subject,
            before,
            after,
        },
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

/// `GET /api/status/page`: the page as customer support edits it, with every
/// incident and maintenance (the public JSON shows only the latest 50).
pub async fn page_for_editing<S: StatusPageStore>(
    store: &S,
    base_url: &str,
) -> Result<StatusPage, ApiError> {
    load_page(store, base_url).await
}

/// `POST /api/status/components`: a category of K1 becomes a component of
/// the page; Security never does (K3).
pub async fn create_component<S: StatusPageStore + IncidentStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    ids: &mut impl Iterator<Item = String>,
) -> Result<Component, ApiError> {
    require_publisher(actor)?;
    let request: NewStatusComponent = decode_json(body)?;
    if !store.known_categories().await?.contains(&request.name) || request.name.is_security() {
        return Err(ApiError::invalid(
            "name",
            format!(
                "{} is not a category that can be shown publicly",
                request.name
            ),
        ));
    }
    let component = Component {
        id: fresh_id(ids, ComponentId::parse)?,
        name: request.name,
        description: request.description.filter(|d| !d.trim().is_empty()),
        status: ComponentStatus::Operational,
        position: request.position.unwrap_or(0),
        group_id: None,
        showcase: request.showcase,
        only_show_if_degraded: request.only_show_if_degraded,
        start_date: Some(now.date()),
        created_at: now,
        updated_at: now,
    };
    let record = audit(
        actor,
        now,
        "status.component.create",
        format!("component/{}", component.id.as_str()),
        None,
        Some(json!({ "name": component.name, "status": component.status })),
    );
    match store.insert_component(&component, &record).await {
        Ok(()) => Ok(component),
        Err(StoreError::UniqueViolation(_)) => Err(ApiError::Conflict {
            field: Some("name".into()),
            message: "this category is on the page already".into(),
        }),
        Err(err) => Err(err.into()),
    }
}

/// A component as stored; 404 if there is none.
async fn stored_component<S: StatusPageStore>(
    store: &S,
    id: &str,
) -> Result<Revised<Component>, ApiError> {
    store
        .component(id)
        .await?
        .ok_or(ApiError::NotFound { what: "component" })
}

/// Stores `replacement`, or 409 if the component changed meanwhile.
async fn replace_component<S: StatusPageStore>(
    store: &S,
    replacement: ComponentReplacement<'_>,
) -> Result<Component, ApiError> {
    if !store.replace_component(&replacement).await? {
        return Err(changed_while_editing("component"));
    }
    Ok(replacement.component)
}

/// `PUT /api/status/components/{id}/status`: the component's public state,
/// kept in its history for the availability figures (L2).
pub async fn set_component_status<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<Component, ApiError> {
    require_publisher(actor)?;
    let request: ComponentStatusChange = decode_json(body)?;
    let Revised {
        value: before,
        revision,
    } = stored_component(store, id).await?;
    let component = Component {
        status: request.status,
        updated_at: now.max(before.updated_at),
        ..before.clone()
    };
    let record = audit(
        actor,
        component.updated_at,
        "status.component.status",
        format!("component/{id}"),
        Some(json!({ "status": before.status })),
        Some(json!({ "status": component.status })),
    );
    let replacement = ComponentReplacement {
        replaces: revision,
        component,
        keep_in_history: true,
        audit: record,
    };
    replace_component(store, replacement).await
}

/// `PUT /api/status/components/{id}`: description, position, group and
/// display options of a component.
pub async fn update_component<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<Component, ApiError> {
    require_publisher(actor)?;
    let request: ComponentSettings = decode_json(body)?;
    let Revised {
        value: before,
        revision,
    } = stored_component(store, id).await?;
    if let Some(Some(group)) = &request.group_id {
        if !store.group_exists(group).await? {
            return Err(ApiError::invalid(
                "group_id",
                format!("there is no group {group}"),
            ));
        }
    }
    let mut component = before.clone();
    if let Some(description) = request.description {
        component.description = Some(description).filter(|d| !d.trim().is_empty());
    }
    if let Some(position) = request.position {
        component.position = position;
    }
    if let Some(group) = request.group_id {
        component.group_id = group;
    }
    if let Some(showcase) = request.showcase {
        component.showcase = showcase;
    }
    if let Some(only) = request.only_show_if_degraded {
        component.only_show_if_degraded = only;
    }
    component.updated_at = now.max(before.updated_at);
    let record = audit(
        actor,
        component.updated_at,
        "status.component.update",
        format!("component/{id}"),
        Some(to_value(&before)?),
        Some(to_value(&component)?),
    );
    let replacement = ComponentReplacement {
        replaces: revision,
        component,
        keep_in_history: false,
        audit: record,
    };
    replace_component(store, replacement).await
}

/// `POST /api/status/groups`: a heading over components.
pub async fn create_group<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    ids: &mut impl Iterator<Item = String>,
) -> Result<ComponentGroup, ApiError> {
    require_publisher(actor)?;
    let request: NewComponentGroup = decode_json(body)?;
    let group = ComponentGroup {
        id: fresh_id(ids, ComponentId::parse)?,
        name: request.name,
        description: request.description.filter(|d| !d.trim().is_empty()),
        position: request.position.unwrap_or(0),
        created_at: now,
        updated_at: now,
    };
    let record = audit(
        actor,
        now,
        "status.group.create",
        format!("group/{}", group.id),
        None,
        Some(to_value(&group)?),
    );
    store.insert_group(&group, &record).await?;
    Ok(group)
}

/// The components an update changes, checked against the page, and their names.
fn component_changes(
    page: &StatusPage,
    updates: &[ComponentUpdate],
) -> Result<(Vec<ComponentChange>, Vec<Category>), ApiError> {
    let mut changes = Vec::new();
    let mut names = Vec::new();
    for (index, update) in updates.iter().enumerate() {
        let component = page.component(&update.id).ok_or_else(|| {
            ApiError::invalid(
                format!("components[{index}].id"),
                format!("there is no component {}", update.id),
            )
        })?;
        changes.push(ComponentChange {
            component: update.id.clone(),
            old_status: component.status,
            new_status: update.status,
        });
        names.push(component.name.clone());
    }
    Ok((changes, names))
}

fn update_body(text: UpdateText, components: &[Category]) -> Result<UpdateBody, ApiError> {
    match text {
        UpdateText::Written { body } => Ok(body),
        UpdateText::Template { template } => template
            .render_body(components)
            .map_err(|e| ApiError::invalid("template", e.to_string())),
    }
}

/// A public incident about to be published: new (`replaces` is `None`) or
/// the next version of a stored one, with the internal ticket it reports on.
struct NextIncident {
    incident: PublicIncident,
    replaces: Option<Revised<PublicIncident>>,
    ticket: Option<i64>,
}

/// Publishes `next` with `changes`, the note on its internal ticket and the
/// audit record; 409 if it changed meanwhile.
async fn publish_incident<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    page: &StatusPage,
    next: NextIncident,
    changes: &[ComponentChange],
) -> Result<(), ApiError> {
    let incident = next.incident;
    let at = incident.updated_at();
    let note = next.ticket.map(|ticket| TicketNote {
        incident: ticket,
        event: TimelineEvent::CustomerUpdate(CustomerUpdate {
            public_incident: incident.id().to_string(),
            status: incident.status(),
            body: incident
                .updates()
                .last()
                .map(|u| u.body.as_str().to_owned()),
        }),
    });
    let publication = Publication {
        replaces: next.replaces.map(|r| r.revision),
        changed_components: page.components_changed(changes, at),
        audit: audit(
            actor,
            at,
            "status.incident.publish",
            format!("public_incident/{}", incident.id()),
            None,
            Some(to_value(&incident)?),
        ),
        entry: incident,
    };
    if !store.publish_incident(&publication, note.as_ref()).await? {
        return Err(changed_while_editing("incident"));
    }
    Ok(())
}

/// The answer to a public incident request: its public JSON on the page as
/// it will be, published unless `preview`.
async fn answer_incident<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    page: &StatusPage,
    next: NextIncident,
    changes: &[ComponentChange],
    preview: bool,
) -> Result<PublishedIncident, ApiError> {
    let after = page
        .with_incident(&next.incident, changes)
        .map_err(inconsistent_page)?;
    let json = statuspage_wire::incident_json(&after, &next.incident);
    if !preview {
        publish_incident(store, actor, page, next, changes).await?;
    }
    Ok(PublishedIncident {
        published: !preview,
        incident: json,
    })
}

/// `POST /api/status/incidents`: a public incident, from an internal one
/// with its title and priority as defaults (M2) and only if the actor may
/// see it (K3), written or from a template, with the components it affects;
/// `"preview": true` shows it without publishing.
pub async fn create_public_incident<S: StatusPageStore + IncidentStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    ids: &mut impl Iterator<Item = String>,
    base_url: &str,
) -> Result<PublishedIncident, ApiError> {
    require_publisher(actor)?;
    let request: NewPublicIncident = decode_json(body)?;
    let source = match request.from_incident {
        Some(id) => Some(
            incidents::get_incident(store, actor, id)
                .await
                .map_err(|err| match err {
                    ApiError::NotFound { .. } => {
                        ApiError::invalid("from_incident", format!("there is no incident {id}"))
                    }
                    other => other,
                })?
                .incident,
        ),
        None => None,
    };
    let name = match (request.name, &source) {
        (Some(name), _) => name,
        (None, Some(source)) => {
            Title::parse(&source.title).map_err(|e| ApiError::Internal(e.to_string()))?
        }
        (None, None) => return Err(ApiError::invalid("name", "a public incident needs a name")),
    };
    let impact = request
        .impact
        .or_else(|| source.as_ref().map(|s| impact_for_priority(s.priority)))
        .unwrap_or(Impact::Minor);
    let page = load_page(store, base_url).await?;
    let (changes, names) = component_changes(&page, &request.components)?;
    let first = IncidentUpdate {
        id: fresh_id(ids, UpdateId::parse)?,
        status: request.status,
        body: update_body(request.text, &names)?,
        at: now,
        affected: changes.clone(),
    };
    let started_at = source.as_ref().map_or(now, |s| s.created_at.min(now));
    let incident = PublicIncident::open(
        fresh_id(ids, IncidentId::parse)?,
        name,
        impact,
        started_at,
        first,
    )
    .map_err(|e| ApiError::invalid("status", e.to_string()))?;
    let next = NextIncident {
        incident,
        replaces: None,
        ticket: source.map(|s| s.id),
    };
    answer_incident(store, actor, &page, next, &changes, request.preview).await
}

/// `POST /api/status/incidents/{id}/updates`: the next timestamped update,
/// its status only moving forward (409 otherwise), with the components it changes.
pub async fn add_public_update<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    body: &[u8],
    now: Timestamp,
    ids: &mut impl Iterator<Item = String>,
    base_url: &str,
) -> Result<PublishedIncident, ApiError> {
    require_publisher(actor)?;
    let request: NewPublicUpdate = decode_json(body)?;
    let stored = store.public_incident(id).await?.ok_or(ApiError::NotFound {
        what: "public incident",
    })?;
    let mut incident = stored.incident.value.clone();
    let page = load_page(store, base_url).await?;
    let (changes, mut names) = component_changes(&page, &request.components)?;
    if names.is_empty() {
        // A template in an update that changes nothing names what the incident affects.
        names = page
            .components_of(incident.components())
            .into_iter()
            .map(|c| c.name.clone())
            .collect();
    }
    let update = IncidentUpdate {
        id: fresh_id(ids, UpdateId::parse)?,
        status: request.status,
        body: update_body(request.text, &names)?,
        at: now.max(incident.updated_at()),
        affected: changes.clone(),
    };
    incident.add_update(update).map_err(not_forward)?;
    let next = NextIncident {
        incident,
        replaces: Some(stored.incident),
        ticket: stored.internal_incident,
    };
    answer_incident(store, actor, &page, next, &changes, request.preview).await
}

/// The components a maintenance touches, checked against the page.
fn maintenance_components(
    page: &StatusPage,
    ids: &[ComponentId],
) -> Result<Vec<Component>, ApiError> {
    ids.iter()
        .enumerate()
        .map(|(index, id)| {
            page.component(id).cloned().ok_or_else(|| {
                ApiError::invalid(
                    format!("components[{index}]"),
                    format!("there is no component {id}"),
                )
            })
        })
        .collect()
}

fn maintenance_body(
    body: Option<UpdateBody>,
    status: MaintenanceStatus,
    window: Option<MaintenanceWindow>,
    names: &[Category],
) -> Result<UpdateBody, ApiError> {
    match (body, window) {
        (Some(body), _) => Ok(body),
        (None, Some(window)) => MessageTemplate::Maintenance { window }
            .render_body(names)
            .map_err(|e| ApiError::invalid("body", e.to_string())),
        (None, None) => UpdateBody::parse(&maintenance_update_text(status, names))
            .map_err(|e| ApiError::invalid("body", e.to_string())),
    }
}

/// The answer to a maintenance request: its public JSON on the page as it
/// will be, published with the statuses it gives its components unless
/// `preview`; 409 if it changed meanwhile.
async fn answer_maintenance<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    page: &StatusPage,
    maintenance: ScheduledMaintenance,
    replaces: Option<Revised<ScheduledMaintenance>>,
    changes: &[ComponentChange],
    preview: bool,
) -> Result<PublishedMaintenance, ApiError> {
    let next = page
        .with_maintenance(&maintenance, changes)
        .map_err(inconsistent_page)?;
    let json = statuspage_wire::maintenance_json(&next, &maintenance);
    if !preview {
        let at = maintenance.updated_at();
        let publication = Publication {
            changed_components: page.components_changed(changes, at),
            audit: audit(
                actor,
                at,
                "status.maintenance.publish",
                format!("maintenance/{}", maintenance.id()),
                None,
                Some(to_value(&maintenance)?),
            ),
            entry: maintenance,
            replaces: replaces.map(|r| r.revision),
        };
        if !store.publish_maintenance(&publication).await? {
            return Err(changed_while_editing("maintenance"));
        }
    }
    Ok(PublishedMaintenance {
        published: !preview,
        scheduled_maintenance: json,
    })
}

/// `POST /api/status/maintenances`: planned work announced with its window (M5).
pub async fn create_maintenance<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    ids: &mut impl Iterator<Item = String>,
    base_url: &str,
) -> Result<PublishedMaintenance, ApiError> {
    require_publisher(actor)?;
    let request: NewMaintenance = decode_json(body)?;
    let window = MaintenanceWindow::new(request.scheduled_for, request.scheduled_until)
        .map_err(|e| ApiError::invalid("scheduled_until", e.to_string()))?;
    let page = load_page(store, base_url).await?;
    let components = maintenance_components(&page, &request.components)?;
    let names: Vec<Category> = components.iter().map(|c| c.name.clone()).collect();
    let refs: Vec<&Component> = components.iter().collect();
    let changes = maintenance_changes(MaintenanceStatus::Scheduled, &refs);
    let first = MaintenanceUpdate {
        id: fresh_id(ids, UpdateId::parse)?,
        status: MaintenanceStatus::Scheduled,
        body: maintenance_body(
            request.body,
            MaintenanceStatus::Scheduled,
            Some(window),
            &names,
        )?,
        at: now,
        affected: changes.clone(),
    };
    let maintenance = ScheduledMaintenance::announce(
        fresh_id(ids, IncidentId::parse)?,
        request.name,
        window,
        first,
    )
    .map_err(|e| ApiError::invalid("scheduled_for", e.to_string()))?;
    answer_maintenance(
        store,
        actor,
        &page,
        maintenance,
        None,
        &changes,
        request.preview,
    )
    .await
}

/// `POST /api/status/maintenances/{id}/updates`: the maintenance moves
/// forward (409 otherwise); its components follow (see
/// `MaintenanceStatus::component_status_after`).
pub async fn add_maintenance_update<S: StatusPageStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    body: &[u8],
    now: Timestamp,
    ids: &mut impl Iterator<Item = String>,
    base_url: &str,
) -> Result<PublishedMaintenance, ApiError> {
    require_publisher(actor)?;
    let request: NewMaintenanceUpdate = decode_json(body)?;
    let stored = store.maintenance(id).await?.ok_or(ApiError::NotFound {
        what: "maintenance",
    })?;
    let mut maintenance = stored.value.clone();
    let page = load_page(store, base_url).await?;
    let components = page.components_of(maintenance.components());
    let names: Vec<Category> = components.iter().map(|c| c.name.clone()).collect();
    let changes = maintenance_changes(request.status, &components);
    let update = MaintenanceUpdate {
        id: fresh_id(ids, UpdateId::parse)?,
        status: request.status,
        body: maintenance_body(request.body, request.status, None, &names)?,
        at: now.max(maintenance.updated_at()),
        affected: changes.clone(),
    };
    maintenance.add_update(update).map_err(not_forward)?;
    answer_maintenance(
        store,
        actor,
        &page,
        maintenance,
        Some(stored),
        &changes,
        request.preview,
    )
    .await
}

/// `PUT /api/status/slo`: management and admins set the targets (SPEC L1),
/// for components on the page only.
pub async fn put_slo_policy<S: StatusPageStore + SettingsStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<SloPolicy, ApiError> {
    require_role(
        actor,
        Role::may_set_service_levels,
        "change availability targets",
    )?;
    let policy: SloPolicy = decode_json(body)?;
    let page = load_page(store, base_url).await?;
    if let Some(unknown) = policy
        .per_component
        .keys()
        .find(|id| page.component(id).is_none())
    {
        return Err(ApiError::invalid(
            format!("per_component.{unknown}"),
            format!("there is no component {unknown}"),
        ));
    }
    let before = slo_policy(store).await?;
    let change = SettingChange {
        setting: Setting::ServiceLevels,
        value: serde_json::to_string(&policy).map_err(|e| ApiError::Internal(e.to_string()))?,
        at: now,
        actor,
        action: "status.slo",
        before: Some(to_value(&before)?),
        after: Some(to_value(&policy)?),
    };
    store.put_setting(&change).await?;
    Ok(policy)
}
