//! The status page on D1 (SPEC M1-M5, K1, L2): the page assembled from its
//! stored parts, the components customer support manages, and the public JSON
//! API with Statuspage's paths, field names and values (`/api/v2/*.json`).

use super::escalation::{put_setting, setting};
use super::public_pages::{default_slo_policy, SLO_SETTING};
use super::{
    batch_first_changed_one, now, num, parse_err, public_url, random_bytes, store_err, text,
    D1Store,
};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::incidents;
use crate::request_body::decode_json;
use crate::stores::{IncidentStore, StoreError};
use beacon_shared::category::Category;
use beacon_shared::role::Role;
use beacon_shared::service_level::SloPolicy;
use beacon_shared::status_editing::{
    ComponentSettings, ComponentStatusChange, ComponentUpdate, NewComponentGroup, NewMaintenance,
    NewMaintenanceUpdate, NewPublicIncident, NewPublicUpdate, NewStatusComponent,
    PublishedIncident, PublishedMaintenance, UpdateText,
};
use beacon_shared::status_page::{
    impact_for_priority, maintenance_update_text, Component, ComponentChange, ComponentGroup,
    ComponentId, ComponentStatus, Impact, IncidentId, IncidentUpdate, MaintenanceStatus,
    MaintenanceUpdate, MaintenanceWindow, MessageTemplate, PageId, PageInfo, PublicIncident,
    ScheduledMaintenance, StatusPage, UpdateBody, UpdateId,
};
use beacon_shared::statuspage_wire;
use beacon_shared::triage::{LinkUrl, Name, Title};
use beacon_shared::Timestamp;
use serde::Deserialize;
use serde_json::json;
use worker::Env;

#[derive(Deserialize)]
struct DocRow {
    doc: String,
}

async fn docs<T: serde::de::DeserializeOwned>(
    store: &D1Store,
    sql: &str,
) -> Result<Vec<T>, StoreError> {
    store
        .db
        .prepare(sql)
        .all()
        .await
        .map_err(store_err)?
        .results::<DocRow>()
        .map_err(store_err)?
        .iter()
        .map(|row| serde_json::from_str(&row.doc).map_err(parse_err))
        .collect()
}

/// The page's own facts: Beacon's public address and UTC.
fn page_info(env: &Env) -> Result<PageInfo, StoreError> {
    Ok(PageInfo {
        id: PageId::parse("beacon").map_err(parse_err)?,
        name: Name::parse("Beacon").map_err(parse_err)?,
        url: LinkUrl::parse(&format!("{}/status", public_url(env))).map_err(parse_err)?,
        time_zone: "Etc/UTC".into(),
        updated_at: Timestamp::from_unix_millis(0),
    })
}

/// The whole page from D1, checked by [`StatusPage::new`].
pub(super) async fn load_page(env: &Env, store: &D1Store) -> Result<StatusPage, StoreError> {
    let groups: Vec<ComponentGroup> = docs(
        store,
        "SELECT doc FROM public_component_groups ORDER BY position, id",
    )
    .await?;
    let components: Vec<Component> = docs(
        store,
        "SELECT doc FROM public_components ORDER BY position, id",
    )
    .await?;
    let incidents: Vec<PublicIncident> = docs(
        store,
        "SELECT doc FROM public_incidents ORDER BY created_at DESC, id",
    )
    .await?;
    let maintenances: Vec<ScheduledMaintenance> = docs(
        store,
        "SELECT doc FROM scheduled_maintenances ORDER BY created_at DESC, id",
    )
    .await?;
    StatusPage::new(page_info(env)?, groups, components, incidents, maintenances).map_err(parse_err)
}

/// Customer support, management and admins write to the public page (M1, M2).
fn may_publish(actor: &Actor) -> Result<(), ApiError> {
    match actor.role {
        Role::CustomerSupport | Role::Management | Role::Admin => Ok(()),
        other => Err(ApiError::Forbidden(format!(
            "the {} role may not change the public status page",
            other.as_str()
        ))),
    }
}

/// A fresh id in Statuspage's style: 12 lowercase letters and digits.
fn fresh_id() -> Result<ComponentId, ApiError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let id: String = random_bytes::<12>()?
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    ComponentId::parse(&id).map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

fn history_statement(
    store: &D1Store,
    component: &Component,
) -> Result<worker::D1PreparedStatement, StoreError> {
    store
        .db
        .prepare(
            "INSERT INTO public_component_history (component_id, at, status) VALUES (?1, ?2, ?3)",
        )
        .bind(&[
            text(component.id.as_str()),
            num(component.updated_at.unix_millis()),
            text(component.status.as_str()),
        ])
        .map_err(store_err)
}

/// `POST /api/status/components`: a category of K1 becomes a component of the page.
pub(super) async fn create_component(
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<Component, ApiError> {
    may_publish(actor)?;
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
    let at = now();
    let component = Component {
        id: fresh_id()?,
        name: request.name,
        description: request.description.filter(|d| !d.trim().is_empty()),
        status: ComponentStatus::Operational,
        position: request.position.unwrap_or(0),
        group_id: None,
        showcase: request.showcase,
        only_show_if_degraded: request.only_show_if_degraded,
        start_date: Some(at.date()),
        created_at: at,
        updated_at: at,
    };
    let doc = serde_json::to_string(&component).map_err(parse_err)?;
    let result = store
        .db
        .batch(vec![
            store
                .db
                .prepare("INSERT INTO public_components (id, name, doc, position) VALUES (?1, ?2, ?3, ?4)")
                .bind(&[
                    text(component.id.as_str()),
                    text(component.name.as_str()),
                    text(&doc),
                    num(i64::from(component.position)),
                ])
                .map_err(store_err)?,
            history_statement(store, &component)?,
            store.audit_statement(
                at,
                actor,
                "status.component.create",
                &format!("component/{}", component.id.as_str()),
                None,
                Some(&json!({ "name": component.name, "status": component.status })),
            )?,
        ])
        .await;
    match result {
        Ok(_) => Ok(component),
        Err(err) if err.to_string().contains("UNIQUE") => Err(ApiError::Conflict {
            field: Some("name".into()),
            message: "this category is on the page already".into(),
        }),
        Err(err) => Err(store_err(err).into()),
    }
}

/// `PUT /api/status/components/{id}/status`: the component's public state, kept
/// in its history for the availability figures (L2).
pub(super) async fn set_component_status(
    store: &D1Store,
    actor: &Actor,
    id: &str,
    body: &[u8],
) -> Result<Component, ApiError> {
    may_publish(actor)?;
    let request: ComponentStatusChange = decode_json(body)?;
    let (row_doc, before) = component_row(store, id).await?;
    let mut component = before.clone();
    component.status = request.status;
    component.updated_at = now().max(before.updated_at);
    let doc = serde_json::to_string(&component).map_err(parse_err)?;
    let statements = vec![
        store
            .db
            .prepare("UPDATE public_components SET doc = ?1 WHERE id = ?2 AND doc = ?3")
            .bind(&[text(&doc), text(id), text(&row_doc)])
            .map_err(store_err)?,
        store
            .db
            .prepare(
                "INSERT INTO public_component_history (component_id, at, status) \
                 SELECT ?1, ?2, ?3 WHERE changes() = 1",
            )
            .bind(&[
                text(id),
                num(component.updated_at.unix_millis()),
                text(component.status.as_str()),
            ])
            .map_err(store_err)?,
        store.audit_statement(
            component.updated_at,
            actor,
            "status.component.status",
            &format!("component/{id}"),
            Some(&json!({ "status": before.status })),
            Some(&json!({ "status": component.status })),
        )?,
    ];
    if !batch_first_changed_one(&store.db, statements).await? {
        return Err(ApiError::Conflict {
            field: None,
            message: "the component changed while this request was made; reload and try again"
                .into(),
        });
    }
    Ok(component)
}

fn fresh_public_id<T>(
    parse: impl Fn(&str) -> Result<T, beacon_shared::status_page::IdError>,
) -> Result<T, ApiError> {
    let id = fresh_id()?;
    parse(id.as_str()).map_err(|e| ApiError::StoreUnavailable(e.to_string()))
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

/// The statements that give components their new statuses at `at`, each
/// change kept in the history (L2).
fn component_statements(
    store: &D1Store,
    page: &StatusPage,
    changes: &[ComponentChange],
    at: Timestamp,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let mut statements = Vec::new();
    for change in changes {
        let Some(before) = page.component(&change.component) else {
            continue;
        };
        if before.status == change.new_status {
            continue;
        }
        let mut component = before.clone();
        component.status = change.new_status;
        component.updated_at = at.max(before.updated_at);
        statements.push(
            store
                .db
                .prepare("UPDATE public_components SET doc = ?1 WHERE id = ?2")
                .bind(&[
                    text(&serde_json::to_string(&component).map_err(parse_err)?),
                    text(component.id.as_str()),
                ])
                .map_err(store_err)?,
        );
        statements.push(history_statement(store, &component)?);
    }
    Ok(statements)
}

/// Stores `incident` and the new statuses of the components it changes, and
/// notes the customer update on the internal incident (M1: the update clock).
async fn publish(
    store: &D1Store,
    actor: &Actor,
    page: &StatusPage,
    incident: &PublicIncident,
    internal: Option<i64>,
    changes: &[ComponentChange],
    expected_doc: Option<&str>,
) -> Result<(), ApiError> {
    let at = incident.updated_at();
    let doc = serde_json::to_string(incident).map_err(parse_err)?;
    let mut statements = vec![match expected_doc {
        None => store
            .db
            .prepare(
                "INSERT INTO public_incidents (id, doc, internal_incident_id, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .bind(&[
                text(incident.id().as_str()),
                text(&doc),
                internal.map_or(wasm_bindgen::JsValue::NULL, num),
                num(at.unix_millis()),
            ])
            .map_err(store_err)?,
        Some(expected) => store
            .db
            .prepare("UPDATE public_incidents SET doc = ?1, updated_at = ?2 WHERE id = ?3 AND doc = ?4")
            .bind(&[
                text(&doc),
                num(at.unix_millis()),
                text(incident.id().as_str()),
                text(expected),
            ])
            .map_err(store_err)?,
    }];
    statements.extend(component_statements(store, page, changes, at)?);
    if let Some(internal) = internal {
        statements.push(
            store
                .db
                .prepare(
                    "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                     SELECT ?1, max(?2, updated_at), ?3, 'customer_update', ?4 FROM incidents WHERE id = ?1",
                )
                .bind(&[
                    num(internal),
                    num(at.unix_millis()),
                    text(&actor.name),
                    text(
                        &json!({
                            "public_incident": incident.id(),
                            "status": incident.status(),
                            "body": incident.updates().last().map(|u| u.body.as_str()),
                        })
                        .to_string(),
                    ),
                ])
                .map_err(store_err)?,
        );
    }
    statements.push(store.audit_statement(
        at,
        actor,
        "status.incident.publish",
        &format!("public_incident/{}", incident.id()),
        None,
        Some(&serde_json::to_value(incident).map_err(parse_err)?),
    )?);
    if !batch_first_changed_one(&store.db, statements).await? {
        return Err(ApiError::Conflict {
            field: None,
            message: "the incident changed while this request was made; reload and try again"
                .into(),
        });
    }
    Ok(())
}

/// The page's components with `changes` made at `at`.
fn components_after(
    page: &StatusPage,
    changes: &[ComponentChange],
    at: Timestamp,
) -> Vec<Component> {
    page.components()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(change) = changes.iter().find(|ch| ch.component == c.id) {
                c.status = change.new_status;
                c.updated_at = at.max(c.updated_at);
            }
            c
        })
        .collect()
}

/// The page as it will be once `incident` is published with `changes`.
fn page_with(
    page: &StatusPage,
    incident: &PublicIncident,
    changes: &[ComponentChange],
) -> Result<StatusPage, ApiError> {
    let components = components_after(page, changes, incident.updated_at());
    let mut incidents: Vec<PublicIncident> = page
        .incidents()
        .iter()
        .filter(|i| i.id() != incident.id())
        .cloned()
        .collect();
    incidents.insert(0, incident.clone());
    StatusPage::new(
        page.info().clone(),
        page.groups().to_vec(),
        components,
        incidents,
        page.maintenances().to_vec(),
    )
    .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

/// `POST /api/status/incidents`: a public incident, from an internal one with its
/// title and priority as defaults (M2), written or from a template, with the
/// components it affects; `"preview": true` shows it without publishing.
pub(super) async fn create_public_incident(
    env: &Env,
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<PublishedIncident, ApiError> {
    may_publish(actor)?;
    let request: NewPublicIncident = decode_json(body)?;
    let source = match request.from_incident {
        Some(id) => Some(
            incidents::get_incident(store, actor, id)
                .await
                .map_err(|_| {
                    ApiError::invalid("from_incident", format!("there is no incident {id}"))
                })?
                .incident,
        ),
        None => None,
    };
    let name = match (request.name, &source) {
        (Some(name), _) => name,
        (None, Some(source)) => Title::parse(&source.title).map_err(parse_err)?,
        (None, None) => return Err(ApiError::invalid("name", "a public incident needs a name")),
    };
    let impact = request
        .impact
        .or_else(|| source.as_ref().map(|s| impact_for_priority(s.priority)))
        .unwrap_or(Impact::Minor);
    let page = load_page(env, store).await?;
    let (changes, names) = component_changes(&page, &request.components)?;
    let at = now();
    let first = IncidentUpdate {
        id: fresh_public_id(UpdateId::parse)?,
        status: request.status,
        body: update_body(request.text, &names)?,
        at,
        affected: changes.clone(),
    };
    let started_at = source.as_ref().map_or(at, |s| s.created_at.min(at));
    let incident = PublicIncident::open(
        fresh_public_id(IncidentId::parse)?,
        name,
        impact,
        started_at,
        first,
    )
    .map_err(|e| ApiError::invalid("status", e.to_string()))?;
    let preview = page_with(&page, &incident, &changes)?;
    let json = statuspage_wire::incident_json(&preview, &incident);
    if request.preview {
        return Ok(PublishedIncident {
            published: false,
            incident: json,
        });
    }
    publish(
        store,
        actor,
        &page,
        &incident,
        source.map(|s| s.id),
        &changes,
        None,
    )
    .await?;
    Ok(PublishedIncident {
        published: true,
        incident: json,
    })
}

#[derive(Deserialize)]
struct PublicIncidentRow {
    doc: String,
    internal_incident_id: Option<f64>,
}

/// `POST /api/status/incidents/{id}/updates`: the next timestamped update, its
/// status only moving forward, with the components it changes.
pub(super) async fn add_public_update(
    env: &Env,
    store: &D1Store,
    actor: &Actor,
    id: &str,
    body: &[u8],
) -> Result<PublishedIncident, ApiError> {
    may_publish(actor)?;
    let request: NewPublicUpdate = decode_json(body)?;
    let row: PublicIncidentRow = row_by_id(
        store,
        "SELECT doc, internal_incident_id FROM public_incidents WHERE id = ?1",
        id,
        "public incident",
    )
    .await?;
    let mut incident: PublicIncident = serde_json::from_str(&row.doc).map_err(parse_err)?;
    let page = load_page(env, store).await?;
    let (changes, mut names) = component_changes(&page, &request.components)?;
    if names.is_empty() {
        // A template in an update that changes nothing names what the incident affects.
        names = incident
            .components()
            .into_iter()
            .filter_map(|id| page.component(id))
            .map(|c| c.name.clone())
            .collect();
    }
    let update = IncidentUpdate {
        id: fresh_public_id(UpdateId::parse)?,
        status: request.status,
        body: update_body(request.text, &names)?,
        at: now().max(incident.updated_at()),
        affected: changes.clone(),
    };
    incident
        .add_update(update)
        .map_err(|e| ApiError::Conflict {
            field: Some("status".into()),
            message: e.to_string(),
        })?;
    let preview = page_with(&page, &incident, &changes)?;
    let json = statuspage_wire::incident_json(&preview, &incident);
    if request.preview {
        return Ok(PublishedIncident {
            published: false,
            incident: json,
        });
    }
    let internal = row.internal_incident_id.map(|i| i as i64);
    publish(
        store,
        actor,
        &page,
        &incident,
        internal,
        &changes,
        Some(&row.doc),
    )
    .await?;
    Ok(PublishedIncident {
        published: true,
        incident: json,
    })
}

/// `GET /api/status/page`: the page as customer support edits it, with every
/// incident and maintenance (the public JSON shows only the latest 50).
pub(super) async fn page_for_editing(env: &Env, store: &D1Store) -> Result<StatusPage, ApiError> {
    Ok(load_page(env, store).await?)
}

/// The row `sql` selects for `id` (bound as `?1`); 404 naming `what` if none.
async fn row_by_id<T: serde::de::DeserializeOwned>(
    store: &D1Store,
    sql: &str,
    id: &str,
    what: &'static str,
) -> Result<T, ApiError> {
    store
        .db
        .prepare(sql)
        .bind(&[text(id)])
        .map_err(store_err)?
        .first::<T>(None)
        .await
        .map_err(store_err)?
        .ok_or(ApiError::NotFound { what })
}

/// A component and the stored JSON it was read from (for the guarded update).
async fn component_row(store: &D1Store, id: &str) -> Result<(String, Component), ApiError> {
    let row: DocRow = row_by_id(
        store,
        "SELECT doc FROM public_components WHERE id = ?1",
        id,
        "component",
    )
    .await?;
    let component = serde_json::from_str(&row.doc).map_err(parse_err)?;
    Ok((row.doc, component))
}

fn changed_while_editing(what: &str) -> ApiError {
    ApiError::Conflict {
        field: None,
        message: format!("the {what} changed while this request was made; reload and try again"),
    }
}

/// `PUT /api/status/components/{id}`: description, position, group and display
/// options of a component.
pub(super) async fn update_component(
    store: &D1Store,
    actor: &Actor,
    id: &str,
    body: &[u8],
) -> Result<Component, ApiError> {
    may_publish(actor)?;
    let request: ComponentSettings = decode_json(body)?;
    let (doc_before, before) = component_row(store, id).await?;
    if let Some(Some(group)) = &request.group_id {
        let exists = store
            .db
            .prepare("SELECT id FROM public_component_groups WHERE id = ?1")
            .bind(&[text(group.as_str())])
            .map_err(store_err)?
            .first::<serde_json::Value>(None)
            .await
            .map_err(store_err)?
            .is_some();
        if !exists {
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
    component.updated_at = now().max(before.updated_at);
    let doc = serde_json::to_string(&component).map_err(parse_err)?;
    let statements = vec![
        store
            .db
            .prepare(
                "UPDATE public_components SET doc = ?1, position = ?2 WHERE id = ?3 AND doc = ?4",
            )
            .bind(&[
                text(&doc),
                num(i64::from(component.position)),
                text(id),
                text(&doc_before),
            ])
            .map_err(store_err)?,
        store.audit_statement(
            component.updated_at,
            actor,
            "status.component.update",
            &format!("component/{id}"),
            Some(&serde_json::to_value(&before).map_err(parse_err)?),
            Some(&serde_json::to_value(&component).map_err(parse_err)?),
        )?,
    ];
    if !batch_first_changed_one(&store.db, statements).await? {
        return Err(changed_while_editing("component"));
    }
    Ok(component)
}

/// `POST /api/status/groups`: a heading over components.
pub(super) async fn create_group(
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<ComponentGroup, ApiError> {
    may_publish(actor)?;
    let request: NewComponentGroup = decode_json(body)?;
    let at = now();
    let group = ComponentGroup {
        id: fresh_id()?,
        name: request.name,
        description: request.description.filter(|d| !d.trim().is_empty()),
        position: request.position.unwrap_or(0),
        created_at: at,
        updated_at: at,
    };
    store
        .db
        .batch(vec![
            store
                .db
                .prepare(
                    "INSERT INTO public_component_groups (id, doc, position) VALUES (?1, ?2, ?3)",
                )
                .bind(&[
                    text(group.id.as_str()),
                    text(&serde_json::to_string(&group).map_err(parse_err)?),
                    num(i64::from(group.position)),
                ])
                .map_err(store_err)?,
            store.audit_statement(
                at,
                actor,
                "status.group.create",
                &format!("group/{}", group.id),
                None,
                Some(&serde_json::to_value(&group).map_err(parse_err)?),
            )?,
        ])
        .await
        .map_err(store_err)?;
    Ok(group)
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

/// What a maintenance update in `status` does to its components:
/// `in_progress` puts them under maintenance, `completed` makes those still
/// under maintenance operational; the other statuses only name them.
fn maintenance_changes(
    status: MaintenanceStatus,
    components: &[&Component],
) -> Vec<ComponentChange> {
    components
        .iter()
        .map(|c| ComponentChange {
            component: c.id.clone(),
            old_status: c.status,
            new_status: match status {
                MaintenanceStatus::InProgress => ComponentStatus::UnderMaintenance,
                MaintenanceStatus::Completed if c.status == ComponentStatus::UnderMaintenance => {
                    ComponentStatus::Operational
                }
                _ => c.status,
            },
        })
        .collect()
}

/// Stores a maintenance (new or updated from `expected_doc`) with the
/// statuses its latest update gives its components.
async fn publish_maintenance(
    store: &D1Store,
    actor: &Actor,
    page: &StatusPage,
    maintenance: &ScheduledMaintenance,
    changes: &[ComponentChange],
    expected_doc: Option<&str>,
) -> Result<(), ApiError> {
    let at = maintenance.updated_at();
    let doc = serde_json::to_string(maintenance).map_err(parse_err)?;
    let mut statements = vec![match expected_doc {
        None => store
            .db
            .prepare("INSERT INTO scheduled_maintenances (id, doc, created_at) VALUES (?1, ?2, ?3)")
            .bind(&[
                text(maintenance.id().as_str()),
                text(&doc),
                num(maintenance.created_at().unix_millis()),
            ])
            .map_err(store_err)?,
        Some(expected) => store
            .db
            .prepare("UPDATE scheduled_maintenances SET doc = ?1 WHERE id = ?2 AND doc = ?3")
            .bind(&[text(&doc), text(maintenance.id().as_str()), text(expected)])
            .map_err(store_err)?,
    }];
    statements.extend(component_statements(store, page, changes, at)?);
    statements.push(store.audit_statement(
        at,
        actor,
        "status.maintenance.publish",
        &format!("maintenance/{}", maintenance.id()),
        None,
        Some(&serde_json::to_value(maintenance).map_err(parse_err)?),
    )?);
    if !batch_first_changed_one(&store.db, statements).await? {
        return Err(changed_while_editing("maintenance"));
    }
    Ok(())
}

/// The page as it will be once `maintenance` is published with `changes`.
fn page_with_maintenance(
    page: &StatusPage,
    maintenance: &ScheduledMaintenance,
    changes: &[ComponentChange],
) -> Result<StatusPage, ApiError> {
    let components = components_after(page, changes, maintenance.updated_at());
    let mut maintenances: Vec<ScheduledMaintenance> = page
        .maintenances()
        .iter()
        .filter(|m| m.id() != maintenance.id())
        .cloned()
        .collect();
    maintenances.insert(0, maintenance.clone());
    StatusPage::new(
        page.info().clone(),
        page.groups().to_vec(),
        components,
        page.incidents().to_vec(),
        maintenances,
    )
    .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
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

/// `POST /api/status/maintenances`: planned work announced with its window (M5).
pub(super) async fn create_maintenance(
    env: &Env,
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<PublishedMaintenance, ApiError> {
    may_publish(actor)?;
    let request: NewMaintenance = decode_json(body)?;
    let window = MaintenanceWindow::new(request.scheduled_for, request.scheduled_until)
        .map_err(|e| ApiError::invalid("scheduled_until", e.to_string()))?;
    let page = load_page(env, store).await?;
    let components = maintenance_components(&page, &request.components)?;
    let names: Vec<Category> = components.iter().map(|c| c.name.clone()).collect();
    let refs: Vec<&Component> = components.iter().collect();
    let changes = maintenance_changes(MaintenanceStatus::Scheduled, &refs);
    let first = MaintenanceUpdate {
        id: fresh_public_id(UpdateId::parse)?,
        status: MaintenanceStatus::Scheduled,
        body: maintenance_body(
            request.body,
            MaintenanceStatus::Scheduled,
            Some(window),
            &names,
        )?,
        at: now(),
        affected: changes.clone(),
    };
    let maintenance = ScheduledMaintenance::announce(
        fresh_public_id(IncidentId::parse)?,
        request.name,
        window,
        first,
    )
    .map_err(|e| ApiError::invalid("scheduled_for", e.to_string()))?;
    let preview = page_with_maintenance(&page, &maintenance, &changes)?;
    let json = statuspage_wire::maintenance_json(&preview, &maintenance);
    if !request.preview {
        publish_maintenance(store, actor, &page, &maintenance, &changes, None).await?;
    }
    Ok(PublishedMaintenance {
        published: !request.preview,
        scheduled_maintenance: json,
    })
}

/// `POST /api/status/maintenances/{id}/updates`: the maintenance moves forward;
/// its components follow (see [`maintenance_changes`]).
pub(super) async fn add_maintenance_update(
    env: &Env,
    store: &D1Store,
    actor: &Actor,
    id: &str,
    body: &[u8],
) -> Result<PublishedMaintenance, ApiError> {
    may_publish(actor)?;
    let request: NewMaintenanceUpdate = decode_json(body)?;
    let row: DocRow = row_by_id(
        store,
        "SELECT doc FROM scheduled_maintenances WHERE id = ?1",
        id,
        "maintenance",
    )
    .await?;
    let mut maintenance: ScheduledMaintenance =
        serde_json::from_str(&row.doc).map_err(parse_err)?;
    let page = load_page(env, store).await?;
    let components: Vec<&Component> = maintenance
        .components()
        .into_iter()
        .filter_map(|id| page.component(id))
        .collect();
    let names: Vec<Category> = components.iter().map(|c| c.name.clone()).collect();
    let changes = maintenance_changes(request.status, &components);
    let update = MaintenanceUpdate {
        id: fresh_public_id(UpdateId::parse)?,
        status: request.status,
        body: maintenance_body(request.body, request.status, None, &names)?,
        at: now().max(maintenance.updated_at()),
        affected: changes.clone(),
    };
    maintenance
        .add_update(update)
        .map_err(|e| ApiError::Conflict {
            field: Some("status".into()),
            message: e.to_string(),
        })?;
    let preview = page_with_maintenance(&page, &maintenance, &changes)?;
    let json = statuspage_wire::maintenance_json(&preview, &maintenance);
    if !request.preview {
        publish_maintenance(store, actor, &page, &maintenance, &changes, Some(&row.doc)).await?;
    }
    Ok(PublishedMaintenance {
        published: !request.preview,
        scheduled_maintenance: json,
    })
}

/// `GET /api/status/slo`: the availability targets (SPEC L1).
pub(super) async fn slo_policy(store: &D1Store) -> Result<SloPolicy, ApiError> {
    match setting(store, SLO_SETTING).await? {
        Some(json) => Ok(serde_json::from_str(&json).map_err(parse_err)?),
        None => Ok(default_slo_policy()),
    }
}

/// `PUT /api/status/slo`: management and admins set the targets (SPEC L1).
pub(super) async fn put_slo_policy(
    env: &Env,
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<SloPolicy, ApiError> {
    if !matches!(actor.role, Role::Management | Role::Admin) {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not change availability targets",
            actor.role.as_str()
        )));
    }
    let policy: SloPolicy = decode_json(body)?;
    let page = load_page(env, store).await?;
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
    let json = serde_json::to_string(&policy).map_err(parse_err)?;
    store
        .db
        .batch(vec![
            put_setting(store, SLO_SETTING, &json)?,
            store.audit_statement(
                now(),
                actor,
                "status.slo",
                "settings/status.slo",
                Some(&serde_json::to_value(&before).map_err(parse_err)?),
                Some(&serde_json::to_value(&policy).map_err(parse_err)?),
            )?,
        ])
        .await
        .map_err(store_err)?;
    Ok(policy)
}
