//! The status page on D1 (SPEC M1-M5, K1, L2): the page assembled from its
//! stored parts, the components customer support manages, and the public JSON
//! API with Statuspage's paths, field names and values (`/api/v2/*.json`).

use super::{
    batch_first_changed_one, json_response, now, num, parse_err, public_url, random_bytes,
    store_err, text, D1Store,
};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::incidents;
use crate::request_body::decode_json;
use crate::store::{Store, StoreError};
use beacon_shared::category::Category;
use beacon_shared::role::Role;
use beacon_shared::status_page::{
    impact_for_priority, Component, ComponentChange, ComponentGroup, ComponentId, ComponentStatus,
    Impact, IncidentId, IncidentUpdate, MessageTemplate, PageId, PageInfo, PublicIncident,
    PublicIncidentStatus, ScheduledMaintenance, StatusPage, UpdateBody, UpdateId,
};
use beacon_shared::statuspage_api;
use beacon_shared::triage::{LinkUrl, Name, Title};
use beacon_shared::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Env, Response};

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

/// A JSON answer the public may cache briefly, readable from any origin (as Statuspage's).
fn public_json<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let response =
        json_response(value, 200).map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let headers = response.headers().clone();
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
    };
    set("cache-control", "public, max-age=15")?;
    set("access-control-allow-origin", "*")?;
    Ok(response.with_headers(headers))
}

/// `GET /api/v2/{name}.json`: Statuspage's public API, from the page in D1.
pub(super) async fn public_api(
    env: &Env,
    store: &D1Store,
    path: &[&str],
) -> Result<Response, ApiError> {
    let page = load_page(env, store).await?;
    match path {
        ["summary.json"] => public_json(&statuspage_api::summary(&page)),
        ["status.json"] => public_json(&statuspage_api::status(&page)),
        ["components.json"] => public_json(&statuspage_api::components(&page)),
        ["incidents.json"] => public_json(&statuspage_api::incidents(&page)),
        ["incidents", "unresolved.json"] => {
            public_json(&statuspage_api::unresolved_incidents(&page))
        }
        ["scheduled-maintenances.json"] => {
            public_json(&statuspage_api::scheduled_maintenances(&page))
        }
        ["scheduled-maintenances", "upcoming.json"] => {
            public_json(&statuspage_api::upcoming_maintenances(&page))
        }
        ["scheduled-maintenances", "active.json"] => {
            public_json(&statuspage_api::active_maintenances(&page))
        }
        _ => Err(ApiError::NotFound { what: "route" }),
    }
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

/// The body of `POST /api/status/components`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewComponent {
    /// A category of K1.
    name: Category,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    position: Option<u32>,
    #[serde(default = "yes")]
    showcase: bool,
    #[serde(default)]
    only_show_if_degraded: bool,
}

fn yes() -> bool {
    true
}

/// The body of `PUT /api/status/components/{id}/status`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentStatusChange {
    status: ComponentStatus,
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
    let request: NewComponent = decode_json(body)?;
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
        start_date: Some(at.to_datetime().date()),
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
    let row = store
        .db
        .prepare("SELECT doc FROM public_components WHERE id = ?1")
        .bind(&[text(id)])
        .map_err(store_err)?
        .first::<DocRow>(None)
        .await
        .map_err(store_err)?
        .ok_or(ApiError::NotFound { what: "component" })?;
    let before: Component = serde_json::from_str(&row.doc).map_err(parse_err)?;
    let mut component = before.clone();
    component.status = request.status;
    component.updated_at = now().max(before.updated_at);
    let doc = serde_json::to_string(&component).map_err(parse_err)?;
    let statements = vec![
        store
            .db
            .prepare("UPDATE public_components SET doc = ?1 WHERE id = ?2 AND doc = ?3")
            .bind(&[text(&doc), text(id), text(&row.doc)])
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

/// What a public update says: written text, or a CSUP template (M2) filled in
/// with the affected components' names.
#[derive(Deserialize)]
#[serde(untagged)]
enum UpdateText {
    Written { body: UpdateBody },
    Template { template: MessageTemplate },
}

/// A component's new status, published with an update.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentUpdate {
    id: ComponentId,
    status: ComponentStatus,
}

/// The body of `POST /api/status/incidents`.
#[derive(Deserialize)]
struct NewPublicIncident {
    /// The internal incident it reports on: its title and priority are the defaults.
    #[serde(default)]
    from_incident: Option<i64>,
    #[serde(default)]
    name: Option<Title>,
    #[serde(default)]
    impact: Option<Impact>,
    #[serde(default = "investigating")]
    status: PublicIncidentStatus,
    #[serde(flatten)]
    text: UpdateText,
    #[serde(default)]
    components: Vec<ComponentUpdate>,
    /// Only show what would be published.
    #[serde(default)]
    preview: bool,
}

fn investigating() -> PublicIncidentStatus {
    PublicIncidentStatus::Investigating
}

/// The body of `POST /api/status/incidents/{id}/updates`.
#[derive(Deserialize)]
struct NewPublicUpdate {
    status: PublicIncidentStatus,
    #[serde(flatten)]
    text: UpdateText,
    #[serde(default)]
    components: Vec<ComponentUpdate>,
    #[serde(default)]
    preview: bool,
}

/// What a publication answers: the incident as the public JSON shows it.
#[derive(Serialize)]
pub(super) struct Published {
    pub(super) published: bool,
    incident: statuspage_api::IncidentJson,
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
    for change in changes {
        let Some(before) = page.component(&change.component) else {
            continue;
        };
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

/// The page as it will be once `incident` is published with `changes`.
fn page_with(
    page: &StatusPage,
    incident: &PublicIncident,
    changes: &[ComponentChange],
) -> Result<StatusPage, ApiError> {
    let components = page
        .components()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(change) = changes.iter().find(|ch| ch.component == c.id) {
                c.status = change.new_status;
                c.updated_at = incident.updated_at().max(c.updated_at);
            }
            c
        })
        .collect();
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
) -> Result<Published, ApiError> {
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
    let json = statuspage_api::incident_json(&preview, &incident);
    if request.preview {
        return Ok(Published {
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
    Ok(Published {
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
) -> Result<Published, ApiError> {
    may_publish(actor)?;
    let request: NewPublicUpdate = decode_json(body)?;
    let row = store
        .db
        .prepare("SELECT doc, internal_incident_id FROM public_incidents WHERE id = ?1")
        .bind(&[text(id)])
        .map_err(store_err)?
        .first::<PublicIncidentRow>(None)
        .await
        .map_err(store_err)?
        .ok_or(ApiError::NotFound {
            what: "public incident",
        })?;
    let mut incident: PublicIncident = serde_json::from_str(&row.doc).map_err(parse_err)?;
    let page = load_page(env, store).await?;
    let (changes, names) = component_changes(&page, &request.components)?;
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
    let json = statuspage_api::incident_json(&preview, &incident);
    if request.preview {
        return Ok(Published {
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
    Ok(Published {
        published: true,
        incident: json,
    })
}
