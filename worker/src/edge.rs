//! The Workers runtime glue: the fetch entry point, routing, D1 and KV.

use crate::auth::{authenticate, Actor};
use crate::error::ApiError;
use crate::incidents::{create_incident, list_incidents};
use crate::request_body::check_declared_length;
use crate::status_page::render_status_page;
use crate::store::{IncidentRecord, NewIncidentRecord, Store, StoreError};
use beacon_shared::api::Health;
use beacon_shared::role::Role;
use beacon_shared::{Priority, Timestamp};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{console_error, event, Context, D1Database, Env, Headers, Method, Request, Response};

/// KV key of the last rendered status page.
const STATUS_PAGE_KEY: &str = "status-page:html";

fn now() -> Timestamp {
    Timestamp::from_unix_millis(worker::Date::now().as_millis() as i64)
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    let method = req.method();
    let result = route(&mut req, &env, &method, &path).await;
    match result {
        Ok(response) => Ok(response),
        Err(err) => {
            if let ApiError::StoreUnavailable(detail) = &err {
                console_error!("{} {}: {}", method, path, detail);
            }
            json_response(&err.body(), err.status())
        }
    }
}

async fn route(
    req: &mut Request,
    env: &Env,
    method: &Method,
    path: &str,
) -> Result<Response, ApiError> {
    let store = D1Store::from_env(env)?;
    match (method, path.trim_end_matches('/')) {
        (Method::Get, "/api/health") => {
            let health = Health {
                service: "beacon".into(),
                version: crate::VERSION.into(),
                d1: store.ping().await,
            };
            json_ok(&health, 200)
        }
        (Method::Get, "/api/incidents") => {
            let actor = authorize(req, &store).await?;
            json_ok(&list_incidents(&store, &actor).await?, 200)
        }
        (Method::Post, "/api/incidents") => {
            let actor = authorize(req, &store).await?;
            let body = read_body(req).await?;
            let view = create_incident(&store, &actor, &body, now()).await?;
            refresh_status_page(env, &store).await;
            json_ok(&view, 201)
        }
        (_, "/api/health" | "/api/incidents") => Err(ApiError::MethodNotAllowed),
        (Method::Get | Method::Head, "/status") => status_page(env, &store).await,
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

async fn authorize(req: &Request, store: &D1Store) -> Result<Actor, ApiError> {
    let header = req.headers().get("authorization").ok().flatten();
    authenticate(store, header.as_deref()).await
}

async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten();
    check_declared_length(declared.as_deref())?;
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    req.bytes()
        .await
        .map_err(|e| ApiError::MalformedJson(e.to_string()))
}

fn json_ok<T: serde::Serialize>(value: &T, status: u16) -> Result<Response, ApiError> {
    json_response(value, status).map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

fn json_response<T: serde::Serialize>(value: &T, status: u16) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("cache-control", "no-store")?;
    Ok(Response::from_json(value)?
        .with_status(status)
        .with_headers({
            headers.set("content-type", "application/json; charset=utf-8")?;
            headers
        }))
}

fn html_response(html: String) -> Result<Response, ApiError> {
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", "text/html; charset=utf-8")?;
        headers.set("cache-control", "public, max-age=15")?;
        headers.set(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        )?;
        Ok(Response::from_html(html)?.with_headers(headers))
    };
    build().map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

/// `/status`: the cached page from KV; rendered from D1 when the cache is empty.
/// If D1 fails, the last cached copy is what the public sees (SPEC M4).
async fn status_page(env: &Env, store: &D1Store) -> Result<Response, ApiError> {
    let kv = env
        .kv("CACHE")
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    if let Ok(Some(cached)) = kv.get(STATUS_PAGE_KEY).text().await {
        return html_response(cached);
    }
    let incidents = store.list_incidents().await?;
    let html = render_status_page(&incidents, now());
    if let Ok(put) = kv.put(STATUS_PAGE_KEY, html.clone()) {
        if let Err(e) = put.execute().await {
            console_error!("status page cache write failed: {e}");
        }
    }
    html_response(html)
}

/// Re-renders the cached status page after a write that changes it.
async fn refresh_status_page(env: &Env, store: &D1Store) {
    let Ok(kv) = env.kv("CACHE") else { return };
    match store.list_incidents().await {
        Ok(incidents) => {
            let html = render_status_page(&incidents, now());
            match kv.put(STATUS_PAGE_KEY, html) {
                Ok(put) => {
                    if let Err(e) = put.execute().await {
                        console_error!("status page cache write failed: {e}");
                    }
                }
                Err(e) => console_error!("status page cache write failed: {e}"),
            }
        }
        Err(e) => console_error!("status page refresh skipped: {e}"),
    }
}

/// [`Store`] on Cloudflare D1.
struct D1Store {
    db: D1Database,
}

impl D1Store {
    fn from_env(env: &Env) -> Result<Self, ApiError> {
        env.d1("DB")
            .map(|db| Self { db })
            .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
    }
}

fn store_err(e: worker::Error) -> StoreError {
    StoreError(e.to_string())
}

#[derive(Deserialize)]
struct IdRow {
    id: f64,
}

#[derive(Deserialize)]
struct ActorRow {
    id: f64,
    name: String,
    role: String,
}

#[derive(Deserialize)]
struct IncidentRow {
    id: f64,
    title: String,
    priority: String,
    status: String,
    facts: String,
    created_at: f64,
    created_by: String,
}

impl TryFrom<IncidentRow> for IncidentRecord {
    type Error = StoreError;
    fn try_from(row: IncidentRow) -> Result<Self, StoreError> {
        Ok(IncidentRecord {
            id: row.id as i64,
            title: row.title,
            priority: row
                .priority
                .parse::<Priority>()
                .map_err(|e| StoreError(e.to_string()))?,
            status: row.status,
            facts: serde_json::from_str(&row.facts).map_err(|e| StoreError(e.to_string()))?,
            created_at: Timestamp::from_unix_millis(row.created_at as i64),
            created_by: row.created_by,
        })
    }
}

fn num(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

impl Store for D1Store {
    async fn ping(&self) -> bool {
        self.db
            .prepare("SELECT 1 AS ok")
            .first::<serde_json::Value>(None)
            .await
            .is_ok()
    }

    async fn actor_for_token_hash(&self, token_hash: &str) -> Result<Option<Actor>, StoreError> {
        let row = self
            .db
            .prepare(
                "SELECT u.id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
            )
            .bind(&[token_hash.into()])
            .map_err(store_err)?
            .first::<ActorRow>(None)
            .await
            .map_err(store_err)?;
        row.map(|r| {
            let role = r
                .role
                .parse::<Role>()
                .map_err(|e| StoreError(e.to_string()))?;
            Ok(Actor {
                user_id: r.id as i64,
                name: r.name,
                role,
            })
        })
        .transpose()
    }

    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError> {
        let facts =
            serde_json::to_string(&incident.facts).map_err(|e| StoreError(e.to_string()))?;
        let at = num(incident.created_at.unix_millis());
        let actor_name: JsValue = incident.created_by.name.as_str().into();
        let snapshot = serde_json::json!({
            "title": incident.title,
            "priority": incident.priority,
            "status": incident.status,
        })
        .to_string();
        let statements = vec![
            self.db
                .prepare(
                    "INSERT INTO incidents (title, priority, rules_priority, status, facts, created_by, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
                )
                .bind(&[
                    incident.title.as_str().into(),
                    incident.priority.as_str().into(),
                    incident.rules_priority.as_str().into(),
                    incident.status.as_str().into(),
                    facts.into(),
                    num(incident.created_by.user_id),
                    at.clone(),
                ])
                .map_err(store_err)?,
            self.db
                .prepare(
                    "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                     VALUES (last_insert_rowid(), ?1, ?2, 'created', ?3)",
                )
                .bind(&[at.clone(), actor_name.clone(), snapshot.as_str().into()])
                .map_err(store_err)?,
            self.db
                .prepare(
                    "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                     SELECT ?1, ?2, ?3, 'incident.create', 'incident/' || incident_id, NULL, ?4 \
                     FROM timeline_entries WHERE id = last_insert_rowid()",
                )
                .bind(&[at, num(incident.created_by.user_id), actor_name, snapshot.as_str().into()])
                .map_err(store_err)?,
        ];
        let results = self.db.batch(statements).await.map_err(store_err)?;
        let id = results
            .first()
            .map(|r| r.results::<IdRow>())
            .transpose()
            .map_err(store_err)?
            .and_then(|rows| rows.first().map(|r| r.id))
            .ok_or_else(|| StoreError("insert returned no id".into()))?;
        Ok(id as i64)
    }

    async fn list_incidents(&self) -> Result<Vec<IncidentRecord>, StoreError> {
        let result = self
            .db
            .prepare(
                "SELECT i.id, i.title, i.priority, i.status, i.facts, i.created_at, u.name AS created_by \
                 FROM incidents i JOIN users u ON u.id = i.created_by \
                 ORDER BY i.priority ASC, i.created_at ASC, i.id ASC",
            )
            .all()
            .await
            .map_err(store_err)?;
        result
            .results::<IncidentRow>()
            .map_err(store_err)?
            .into_iter()
            .map(IncidentRecord::try_from)
            .collect()
    }
}
