//! The status page on D1 (SPEC M1-M5, K1, L2): the page assembled from its
//! stored parts, the components customer support manages, and the public JSON
//! API with Statuspage's paths, field names and values (`/api/v2/*.json`).

use super::{json_response, now, num, parse_err, store_err, text, D1Store};
use crate::auth::Actor;
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::store::{Store, StoreError};
use beacon_shared::category::Category;
use beacon_shared::role::Role;
use beacon_shared::status_page::{
    Component, ComponentGroup, ComponentId, ComponentStatus, PageId, PageInfo, PublicIncident,
    ScheduledMaintenance, StatusPage,
};
use beacon_shared::statuspage_api;
use beacon_shared::triage::{LinkUrl, Name};
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
    let url = env
        .var("BEACON_PUBLIC_URL")
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "http://127.0.0.1:8787".into());
    Ok(PageInfo {
        id: PageId::parse("beacon").map_err(parse_err)?,
        name: Name::parse("Beacon").map_err(parse_err)?,
        url: LinkUrl::parse(&format!("{}/status", url.trim_end_matches('/'))).map_err(parse_err)?,
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
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let id: String = bytes
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
    let changed = store
        .db
        .batch(vec![
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
        ])
        .await
        .map_err(store_err)?
        .first()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|m| m.changes)
        .unwrap_or(0);
    if changed != 1 {
        return Err(ApiError::Conflict {
            field: None,
            message: "the component changed while this request was made; reload and try again"
                .into(),
        });
    }
    Ok(component)
}
