//! The Workers runtime glue: the fetch entry point, routing, D1 and KV.

mod alerts;
mod escalation;
mod public_pages;
mod public_status;

use crate::auth::{authenticate, Actor};
use crate::error::ApiError;
use crate::request_body::check_declared_length;
use crate::store::{
    IncidentChange, IncidentFilter, IncidentRecord, IncidentState, NewIncidentRecord, Store,
    StoreError,
};
use crate::{incidents, users};
use beacon_shared::alert::IngestFormat;
use beacon_shared::api::{AuditEntryView, Health, TimelineEntryView, UserView};
use beacon_shared::category::{Category, Labels};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::role::Role;
use beacon_shared::triage::Name;
use beacon_shared::{Priority, Timestamp};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{console_error, event, Context, D1Database, Env, Headers, Method, Request, Response};

fn now() -> Timestamp {
    Timestamp::from_unix_millis(worker::Date::now().as_millis() as i64)
}

/// The cron trigger: the escalation sweep at the trigger's scheduled time, then
/// the public status outputs rendered again (their bars and figures move with time).
#[event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    escalation::scheduled(&env, Timestamp::from_unix_millis(event.schedule() as i64)).await;
    if let Ok(store) = D1Store::from_env(&env) {
        public_pages::refresh(&env, &store, &[]).await;
    }
}

/// `BEACON_ENV=test` (set by the end-to-end harness only) enables `PUT
/// /api/test/clock`, which moves the sweep's clock so that tests can fire the
/// cron trigger "16 minutes later" without waiting.
fn test_mode(env: &Env) -> bool {
    env.var("BEACON_ENV").is_ok_and(|v| v.to_string() == "test")
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
    if matches!(method, Method::Get | Method::Head) && public_pages::is_public_path(path) {
        return public_pages::serve(env, D1Store::for_request(env, req), path).await;
    }
    let store = D1Store::for_request(env, req)?;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    match (method, segments.as_slice()) {
        (Method::Get, ["api", "health"]) => {
            let health = Health {
                service: "beacon".into(),
                version: crate::VERSION.into(),
                d1: store.ping().await,
            };
            json_ok(&health, 200)
        }
        (Method::Post, ["v2", "enqueue"]) => alerts::pagerduty_enqueue(req, &store).await,
        (Method::Post, ["api", "webhooks", "alertmanager"]) => {
            alerts::notification_webhook(req, &store, IngestFormat::Alertmanager).await
        }
        (Method::Post, ["api", "webhooks", "grafana"]) => {
            alerts::notification_webhook(req, &store, IngestFormat::Grafana).await
        }
        (Method::Get | Method::Post, ["ack", id]) => {
            escalation::ack_link(&store, method, id, &query).await
        }
        (Method::Post, ["api", "webhooks", "generic", name]) => {
            alerts::generic_webhook(req, &store, name).await
        }
        (_, ["api", ..]) => api(req, env, &store, method, &segments[1..], &query).await,
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

fn incident_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::NotFound { what: "incident" })
}

/// The authenticated JSON API under `/api/`.
async fn api(
    req: &mut Request,
    env: &Env,
    store: &D1Store,
    method: &Method,
    segments: &[&str],
    query: &str,
) -> Result<Response, ApiError> {
    let actor = authorize(req, store).await?;
    match (method, segments) {
        (Method::Get, ["me"]) => json_ok(&users::me(&actor), 200),
        (Method::Get, ["categories"]) => {
            let categories = store
                .known_categories()
                .await?
                .iter()
                .map(|c| c.to_string())
                .collect();
            json_ok(&beacon_shared::api::CategoryList { categories }, 200)
        }
        (Method::Get, ["incidents"]) => {
            json_ok(&incidents::list_incidents(store, &actor, query).await?, 200)
        }
        (Method::Post, ["incidents"]) => {
            let body = read_body(req).await?;
            let view = incidents::create_incident(store, &actor, &body, now()).await?;
            json_ok(&view, 201)
        }
        (Method::Get, ["incidents", id]) => json_ok(
            &incidents::get_incident(store, &actor, incident_id(id)?).await?,
            200,
        ),
        (Method::Post | Method::Put, ["incidents", id, action]) => {
            let id = incident_id(id)?;
            let body = read_body_allow_empty(req).await?;
            let detail = match (method, *action) {
                (Method::Post, "transitions") => {
                    incidents::transition(store, &actor, id, &body, now()).await?
                }
                (Method::Put, "priority") => {
                    incidents::change_priority(store, &actor, id, &body, now()).await?
                }
                (Method::Put, "category") => {
                    incidents::change_category(store, &actor, id, &body, now()).await?
                }
                (Method::Put, "owner") => {
                    incidents::assign_owner(store, &actor, id, &body, now()).await?
                }
                (Method::Post, "timeline") => {
                    incidents::add_timeline_entry(store, &actor, id, &body, now()).await?
                }
                (Method::Post, "acknowledge") => escalation::acknowledge(store, &actor, id).await?,
                (Method::Post, "teams") => {
                    escalation::pull_in_team(env, store, &actor, id, &body).await?
                }
                _ => return Err(ApiError::NotFound { what: "route" }),
            };
            json_ok(&detail, 200)
        }
        (Method::Post, ["users"]) => {
            let body = read_body(req).await?;
            json_ok(&users::create_user(store, &actor, &body, now()).await?, 201)
        }
        (Method::Post, ["users", id, "tokens"]) => {
            let id = id
                .parse::<i64>()
                .map_err(|_| ApiError::NotFound { what: "user" })?;
            let body = read_body_allow_empty(req).await?;
            let created =
                users::create_token(store, &actor, id, &body, now(), fresh_token()?).await?;
            json_ok(&created, 201)
        }
        (Method::Get, ["audit"]) => json_ok(&users::audit_log(store, &actor).await?, 200),
        (Method::Put, ["test", "clock"]) if test_mode(env) => {
            let body = read_body(req).await?;
            escalation::set_test_clock(store, &actor, &body).await?;
            json_ok(&serde_json::json!({ "ok": true }), 200)
        }
        (Method::Get, ["escalation", "config"]) => {
            json_ok(&escalation::get_config(store).await?, 200)
        }
        (Method::Put, ["escalation", "config"]) => {
            let body = read_body(req).await?;
            json_ok(&escalation::put_config(store, &actor, &body).await?, 200)
        }
        (Method::Get, ["status", "page"]) => {
            json_ok(&public_status::page_for_editing(env, store).await?, 200)
        }
        (Method::Get, ["status", "slo"]) => json_ok(&public_status::slo_policy(store).await?, 200),
        (Method::Put, ["status", "slo"]) => {
            let body = read_body(req).await?;
            let policy = public_status::put_slo_policy(env, store, &actor, &body).await?;
            public_pages::refresh(env, store, &[]).await;
            json_ok(&policy, 200)
        }
        (Method::Post, ["status", "components"]) => {
            let body = read_body(req).await?;
            let component = public_status::create_component(store, &actor, &body).await?;
            public_pages::refresh(env, store, &[]).await;
            json_ok(&component, 201)
        }
        (Method::Put, ["status", "components", id]) => {
            let body = read_body(req).await?;
            let component = public_status::update_component(store, &actor, id, &body).await?;
            public_pages::refresh(env, store, &[]).await;
            json_ok(&component, 200)
        }
        (Method::Put, ["status", "components", id, "status"]) => {
            let body = read_body(req).await?;
            let component = public_status::set_component_status(store, &actor, id, &body).await?;
            public_pages::refresh(env, store, &[]).await;
            json_ok(&component, 200)
        }
        (Method::Post, ["status", "groups"]) => {
            let body = read_body(req).await?;
            let group = public_status::create_group(store, &actor, &body).await?;
            public_pages::refresh(env, store, &[]).await;
            json_ok(&group, 201)
        }
        (Method::Post, ["status", "incidents"]) => {
            let body = read_body(req).await?;
            let published =
                public_status::create_public_incident(env, store, &actor, &body).await?;
            if !published.published {
                return json_ok(&published, 200);
            }
            public_pages::refresh(env, store, &[&published.incident.id]).await;
            json_ok(&published, 201)
        }
        (Method::Post, ["status", "incidents", id, "updates"]) => {
            let body = read_body(req).await?;
            let published = public_status::add_public_update(env, store, &actor, id, &body).await?;
            if published.published {
                public_pages::refresh(env, store, &[id]).await;
            }
            json_ok(&published, 200)
        }
        (Method::Post, ["status", "maintenances"]) => {
            let body = read_body(req).await?;
            let published = public_status::create_maintenance(env, store, &actor, &body).await?;
            if !published.published {
                return json_ok(&published, 200);
            }
            public_pages::refresh(env, store, &[&published.scheduled_maintenance.id]).await;
            json_ok(&published, 201)
        }
        (Method::Post, ["status", "maintenances", id, "updates"]) => {
            let body = read_body(req).await?;
            let published =
                public_status::add_maintenance_update(env, store, &actor, id, &body).await?;
            if published.published {
                public_pages::refresh(env, store, &[id]).await;
            }
            json_ok(&published, 200)
        }
        (Method::Get, ["on-call"]) => json_ok(&escalation::on_call(store).await?, 200),
        (Method::Put, ["rotas", role]) => {
            let body = read_body(req).await?;
            json_ok(
                &escalation::put_rota(store, &actor, role, &body).await?,
                200,
            )
        }
        (Method::Post, ["notification-channels"]) => {
            let body = read_body(req).await?;
            json_ok(
                &escalation::create_channel(store, &actor, &body).await?,
                201,
            )
        }
        (Method::Get, ["incidents", id, "escalation"]) => json_ok(
            &escalation::escalation_view(store, &actor, incident_id(id)?).await?,
            200,
        ),
        (Method::Get, ["alerts"]) => {
            json_ok(&alerts::list_alerts(store, &actor, query).await?, 200)
        }
        (Method::Post, ["alerts", id, action]) => {
            let id = id
                .parse::<i64>()
                .map_err(|_| ApiError::NotFound { what: "alert" })?;
            let body = read_body_allow_empty(req).await?;
            let detail = alerts::alert_action(store, &actor, id, action, &body).await?;
            json_ok(&detail, 200)
        }
        (Method::Post, ["integrations"]) => {
            let body = read_body(req).await?;
            json_ok(
                &alerts::create_integration(store, &actor, &body).await?,
                201,
            )
        }
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

/// `N` random bytes from the runtime's CSPRNG: tokens, secrets, keys and ids.
fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| StoreError(e.to_string()))?;
    Ok(bytes)
}

/// 256 random bits from the runtime's CSPRNG, hex, with a recognisable prefix.
fn fresh_token() -> Result<String, ApiError> {
    Ok(format!("bkn_{}", hex::encode(random_bytes::<32>()?)))
}

/// Where people reach Beacon (`BEACON_PUBLIC_URL`), without a trailing slash:
/// links in notifications and the status page's own address start with it.
fn public_url(env: &Env) -> String {
    env.var("BEACON_PUBLIC_URL")
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "http://127.0.0.1:8787".into())
        .trim_end_matches('/')
        .to_owned()
}

/// Runs `statements` as one batch and says whether its first statement changed
/// exactly one row: the optimistic check of every guarded write. A guard
/// (migration 0007) right after the first statement aborts the whole batch when
/// it changed nothing, so the statements after it are written only if it did.
async fn batch_first_changed_one(
    db: &D1Database,
    mut statements: Vec<worker::D1PreparedStatement>,
) -> Result<bool, StoreError> {
    if statements.is_empty() {
        return Ok(false);
    }
    statements.insert(
        1,
        db.prepare("INSERT INTO write_guards (changed) VALUES (changes())"),
    );
    match db.batch(statements).await {
        Ok(_) => Ok(true),
        Err(err) if err.to_string().contains("CHECK constraint failed") => Ok(false),
        Err(err) => Err(store_err(err)),
    }
}

async fn read_body_allow_empty(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten();
    if declared.as_deref().is_none_or(|l| l.trim() == "0") {
        let bytes = req.bytes().await.unwrap_or_default();
        if bytes.is_empty() {
            return Ok(bytes);
        }
    }
    read_body(req).await
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

/// [`Store`] on Cloudflare D1.
struct D1Store {
    db: D1Database,
}

impl D1Store {
    /// The store for one request. In test mode (`BEACON_ENV=test`), the header
    /// `x-beacon-test-fault: d1` makes D1 unreachable for that request, so the
    /// end-to-end tests can prove what the public sees when D1 fails (M4).
    fn for_request(env: &Env, req: &Request) -> Result<Self, ApiError> {
        let fault = req.headers().get("x-beacon-test-fault").ok().flatten();
        if test_mode(env) && fault.as_deref() == Some("d1") {
            return Err(ApiError::StoreUnavailable(
                "D1 is unreachable (test fault)".into(),
            ));
        }
        Self::from_env(env)
    }

    fn from_env(env: &Env) -> Result<Self, ApiError> {
        env.d1("DB")
            .map(|db| Self { db })
            .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
    }
}

fn store_err(e: worker::Error) -> StoreError {
    StoreError(e.to_string())
}

fn parse_err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn num(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

fn text(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn opt_text(v: Option<&str>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from_str)
}

fn json_text(v: &serde_json::Value) -> JsValue {
    JsValue::from_str(&v.to_string())
}

#[derive(Deserialize)]
struct IdRow {
    id: f64,
}

#[derive(Deserialize)]
struct NameRow {
    name: String,
}

const INCIDENT_COLUMNS: &str =
    "i.id, i.title, i.priority, i.rules_priority, i.status, i.category, i.labels, \
     i.owner_group, i.facts, i.created_at, i.updated_at, u.name AS created_by";

#[derive(Deserialize)]
struct IncidentRow {
    id: f64,
    title: String,
    priority: String,
    rules_priority: String,
    status: String,
    category: Option<String>,
    labels: String,
    owner_group: Option<String>,
    facts: String,
    created_at: f64,
    updated_at: f64,
    created_by: String,
}

impl TryFrom<IncidentRow> for IncidentRecord {
    type Error = StoreError;
    fn try_from(row: IncidentRow) -> Result<Self, StoreError> {
        let labels: Vec<String> = serde_json::from_str(&row.labels).map_err(parse_err)?;
        Ok(IncidentRecord {
            id: row.id as i64,
            state: IncidentState {
                title: row.title,
                priority: row.priority.parse::<Priority>().map_err(parse_err)?,
                rules_priority: row.rules_priority.parse::<Priority>().map_err(parse_err)?,
                status: row.status.parse::<IncidentStatus>().map_err(parse_err)?,
                category: row
                    .category
                    .as_deref()
                    .map(Category::parse)
                    .transpose()
                    .map_err(parse_err)?,
                labels: Labels::try_from(labels).map_err(parse_err)?,
                owner_group: row
                    .owner_group
                    .as_deref()
                    .map(Name::parse)
                    .transpose()
                    .map_err(parse_err)?,
                facts: serde_json::from_str(&row.facts).map_err(parse_err)?,
            },
            created_at: Timestamp::from_unix_millis(row.created_at as i64),
            updated_at: Timestamp::from_unix_millis(row.updated_at as i64),
            created_by: row.created_by,
        })
    }
}

#[derive(Deserialize)]
struct TimelineRow {
    id: f64,
    at: f64,
    actor: String,
    kind: String,
    body: String,
}

#[derive(Deserialize)]
struct AuditRow {
    id: f64,
    at: f64,
    actor: String,
    action: String,
    subject: String,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Deserialize)]
struct UserRow {
    id: f64,
    name: String,
    role: String,
}

impl TryFrom<UserRow> for UserView {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(UserView {
            id: r.id as i64,
            name: r.name,
            role: r.role.parse::<Role>().map_err(parse_err)?,
        })
    }
}

fn labels_json(labels: &Labels) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "[]".into())
}

impl D1Store {
    /// The audit INSERT that follows a write, for one batch.
    fn audit_statement(
        &self,
        at: Timestamp,
        actor: &Actor,
        action: &str,
        subject: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<worker::D1PreparedStatement, StoreError> {
        self.db
            .prepare(
                "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(&[
                num(at.unix_millis()),
                num(actor.user_id),
                text(&actor.name),
                text(action),
                text(subject),
                before.map_or(JsValue::NULL, json_text),
                after.map_or(JsValue::NULL, json_text),
            ])
            .map_err(store_err)
    }
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
            .bind(&[text(token_hash)])
            .map_err(store_err)?
            .first::<UserRow>(None)
            .await
            .map_err(store_err)?;
        let user = row.map(UserView::try_from).transpose()?;
        Ok(user.map(|u| Actor {
            user_id: u.id,
            name: u.name,
            role: u.role,
        }))
    }

    async fn known_categories(&self) -> Result<Vec<Category>, StoreError> {
        let rows = self
            .db
            .prepare("SELECT name FROM status_components ORDER BY position, name")
            .all()
            .await
            .map_err(store_err)?
            .results::<NameRow>()
            .map_err(store_err)?;
        rows.iter()
            .map(|r| Category::parse(&r.name).map_err(parse_err))
            .collect()
    }

    async fn insert_incident(&self, incident: &NewIncidentRecord) -> Result<i64, StoreError> {
        let s = &incident.state;
        let facts = serde_json::to_string(&s.facts).map_err(parse_err)?;
        let at = num(incident.at.unix_millis());
        let mut statements = vec![self
            .db
            .prepare(
                "INSERT INTO incidents (title, priority, rules_priority, status, category, labels, owner_group, \
                 facts, created_by, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id",
            )
            .bind(&[
                text(&s.title),
                text(s.priority.as_str()),
                text(s.rules_priority.as_str()),
                text(s.status.as_str()),
                opt_text(s.category.as_ref().map(|c| c.as_str())),
                text(&labels_json(&s.labels)),
                opt_text(s.owner_group.as_ref().map(|g| g.as_str())),
                text(&facts),
                num(incident.actor.user_id),
                at.clone(),
            ])
            .map_err(store_err)?];
        // Later statements find the new id as the newest incident of this batch's transaction.
        for entry in &incident.timeline {
            statements.push(
                self.db
                    .prepare(
                        "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                         SELECT max(id), ?1, ?2, ?3, ?4 FROM incidents",
                    )
                    .bind(&[
                        at.clone(),
                        text(&incident.actor.name),
                        text(&entry.kind),
                        json_text(&entry.body),
                    ])
                    .map_err(store_err)?,
            );
        }
        statements.push(
            self.db
                .prepare(
                    "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                     SELECT ?1, ?2, ?3, 'incident.create', 'incident/' || max(id), NULL, ?4 FROM incidents",
                )
                .bind(&[at, num(incident.actor.user_id), text(&incident.actor.name), json_text(&s.snapshot())])
                .map_err(store_err)?,
        );
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

    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN users u ON u.id = i.created_by WHERE 1 = 1");
        let mut args: Vec<JsValue> = Vec::new();
        let mut bind = |clause: &str, value: JsValue, sql: &mut String| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(p) = filter.priority {
            bind(" AND i.priority = ?", text(p.as_str()), &mut sql);
        }
        if let Some(st) = filter.status {
            bind(" AND i.status = ?", text(st.as_str()), &mut sql);
        }
        if let Some(c) = &filter.category {
            bind(
                " AND i.category = ? COLLATE NOCASE",
                text(c.as_str()),
                &mut sql,
            );
        }
        if let Some(g) = &filter.owner_group {
            bind(" AND i.owner_group = ?", text(g.as_str()), &mut sql);
        }
        match filter.open {
            Some(true) => sql.push_str(" AND i.status NOT IN ('closed', 'discarded')"),
            Some(false) => sql.push_str(" AND i.status IN ('closed', 'discarded')"),
            None => {}
        }
        sql.push_str(" ORDER BY i.priority ASC, i.created_at ASC, i.id ASC LIMIT 1000");
        let result = self
            .db
            .prepare(sql)
            .bind(&args)
            .map_err(store_err)?
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

    async fn get_incident(&self, id: i64) -> Result<Option<IncidentRecord>, StoreError> {
        let row = self
            .db
            .prepare(format!("SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN users u ON u.id = i.created_by WHERE i.id = ?1"))
            .bind(&[num(id)])
            .map_err(store_err)?
            .first::<IncidentRow>(None)
            .await
            .map_err(store_err)?;
        row.map(IncidentRecord::try_from).transpose()
    }

    async fn timeline(&self, id: i64) -> Result<Vec<TimelineEntryView>, StoreError> {
        let rows = self
            .db
            .prepare("SELECT id, at, actor, kind, body FROM timeline_entries WHERE incident_id = ?1 ORDER BY at, id")
            .bind(&[num(id)])
            .map_err(store_err)?
            .all()
            .await
            .map_err(store_err)?
            .results::<TimelineRow>()
            .map_err(store_err)?;
        rows.into_iter()
            .map(|r| {
                Ok(TimelineEntryView {
                    id: r.id as i64,
                    at: Timestamp::from_unix_millis(r.at as i64),
                    actor: r.actor,
                    kind: r.kind,
                    body: serde_json::from_str(&r.body).map_err(parse_err)?,
                })
            })
            .collect()
    }

    async fn apply_change(&self, change: &IncidentChange) -> Result<bool, StoreError> {
        let s = &change.state;
        let at = num(change.at.unix_millis());
        let update = self
            .db
            .prepare(
                "UPDATE incidents SET title = ?1, priority = ?2, rules_priority = ?3, status = ?4, category = ?5, \
                 labels = ?6, owner_group = ?7, updated_at = ?8 WHERE id = ?9 AND updated_at = ?10",
            )
            .bind(&[
                text(&s.title),
                text(s.priority.as_str()),
                text(s.rules_priority.as_str()),
                text(s.status.as_str()),
                opt_text(s.category.as_ref().map(|c| c.as_str())),
                text(&labels_json(&s.labels)),
                opt_text(s.owner_group.as_ref().map(|g| g.as_str())),
                at.clone(),
                num(change.id),
                num(change.expected_updated_at.unix_millis()),
            ])
            .map_err(store_err)?;
        // Written only if the UPDATE matched (changes() = 1), so a lost race writes nothing.
        let timeline = self
            .db
            .prepare(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1",
            )
            .bind(&[
                num(change.id),
                at.clone(),
                text(&change.actor.name),
                text(&change.timeline.kind),
                json_text(&change.timeline.body),
            ])
            .map_err(store_err)?;
        let a = &change.audit;
        let audit = self
            .db
            .prepare(
                "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1",
            )
            .bind(&[
                at,
                num(change.actor.user_id),
                text(&change.actor.name),
                text(&a.action),
                text(&a.subject),
                a.before.as_ref().map_or(JsValue::NULL, json_text),
                a.after.as_ref().map_or(JsValue::NULL, json_text),
            ])
            .map_err(store_err)?;
        batch_first_changed_one(&self.db, vec![update, timeline, audit]).await
    }

    async fn create_user(
        &self,
        name: &Name,
        role: Role,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<UserView, StoreError> {
        let insert = self
            .db
            .prepare("INSERT INTO users (name, role, created_at) VALUES (?1, ?2, ?3) RETURNING id, name, role")
            .bind(&[text(name.as_str()), text(role.as_str()), num(at.unix_millis())])
            .map_err(store_err)?;
        let after = serde_json::json!({ "name": name, "role": role });
        let audit = self.audit_statement(
            at,
            actor,
            "user.create",
            &format!("user/{name}"),
            None,
            Some(&after),
        )?;
        let results = self
            .db
            .batch(vec![insert, audit])
            .await
            .map_err(store_err)?;
        let row = results
            .first()
            .map(|r| r.results::<UserRow>())
            .transpose()
            .map_err(store_err)?
            .and_then(|rows| rows.into_iter().next())
            .ok_or_else(|| StoreError("insert returned no user".into()))?;
        UserView::try_from(row)
    }

    async fn get_user(&self, id: i64) -> Result<Option<UserView>, StoreError> {
        let row = self
            .db
            .prepare("SELECT id, name, role FROM users WHERE id = ?1")
            .bind(&[num(id)])
            .map_err(store_err)?
            .first::<UserRow>(None)
            .await
            .map_err(store_err)?;
        row.map(UserView::try_from).transpose()
    }

    async fn create_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let insert = self
            .db
            .prepare("INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(&[num(user_id), text(token_hash), text(label), num(at.unix_millis())])
            .map_err(store_err)?;
        let after = serde_json::json!({ "label": label });
        let audit = self.audit_statement(
            at,
            actor,
            "token.create",
            &format!("user/{user_id}"),
            None,
            Some(&after),
        )?;
        self.db
            .batch(vec![insert, audit])
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntryView>, StoreError> {
        let rows = self
            .db
            .prepare("SELECT id, at, actor, action, subject, before, after FROM audit_log ORDER BY id DESC LIMIT ?1")
            .bind(&[num(i64::from(limit))])
            .map_err(store_err)?
            .all()
            .await
            .map_err(store_err)?
            .results::<AuditRow>()
            .map_err(store_err)?;
        rows.into_iter()
            .map(|r| {
                let parse = |v: Option<String>| {
                    v.map(|t| serde_json::from_str(&t))
                        .transpose()
                        .map_err(parse_err)
                };
                Ok(AuditEntryView {
                    id: r.id as i64,
                    at: Timestamp::from_unix_millis(r.at as i64),
                    actor: r.actor,
                    action: r.action,
                    subject: r.subject,
                    before: parse(r.before)?,
                    after: parse(r.after)?,
                })
            })
            .collect()
    }
}
