//! The Workers runtime glue: the fetch and scheduled entry points, routing,
//! request bodies and responses, KV, outbound fetch and randomness.

mod escalation;
mod public_page_cache;
mod webhooks;

use crate::auth::{authenticate_request, Actor, Presented};
use crate::d1::D1Store;
use crate::error::ApiError;
use crate::request_body::{check_declared_length, CountedBody};
use crate::stores::StoreError;
use crate::{
    alerts, dev_inbox, dev_seed, incident_reports, incidents, metrics, problems, public_page,
    reports, review, sessions, status_editing, users,
};
use beacon_shared::alert::IngestFormat;
use beacon_shared::routes;
use beacon_shared::Timestamp;
use worker::{console_error, console_log, event, Context, Env, Headers, Method, Request, Response};

fn now() -> Timestamp {
    Timestamp::from_unix_millis(worker::Date::now().as_millis() as i64)
}

/// Report rows the cron rebuilds per run (SPEC Q1-Q5).
const REPORT_ROWS_PER_RUN: usize = 2_000;

/// The cron trigger: credentials stored before sealing existed are sealed
/// (SPEC I3, migration 0022); the escalation sweep runs at the trigger's
/// scheduled time; then, after the handler has answered (nothing of it pages anyone), the
/// problems of resolved P0/P1 incidents that were missed (SPEC R3), the raw
/// deliveries past their retention, the sessions that ended a day ago, the report rows that changes left stale,
/// and the public status outputs rendered again (their bars and figures move
/// with time).
#[event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: Env, ctx: worker::ScheduleContext) {
    match D1Store::from_env(&env).map_err(|e| e.to_string()) {
        Ok(store) => match store.seal_stored_secrets().await {
            Ok(0) => {}
            Ok(sealed) => console_log!("sealed {sealed} credentials stored in clear"),
            Err(error) => console_error!("sealing stored credentials failed: {error}"),
        },
        Err(error) => console_error!("sealing stored credentials failed: {error}"),
    }
    escalation::scheduled(&env, Timestamp::from_unix_millis(event.schedule() as i64)).await;
    ctx.wait_until(async move {
        if let Ok(store) = D1Store::from_env(&env) {
            if let Err(error) = problems::open_missing_problems(&store, now()).await {
                console_error!("problems sweep failed: {error}");
            }
            if let Err(error) = alerts::prune_deliveries(&store, now()).await {
                console_error!("pruning raw deliveries failed: {error}");
            }
            if let Err(error) = crate::sessions::prune_sessions(&store, now()).await {
                console_error!("pruning ended sessions failed: {error}");
            }
            if let Err(error) = reports::refresh_stale_rows(&store, REPORT_ROWS_PER_RUN).await {
                console_error!("report rows refresh failed: {error}");
            }
            public_page_cache::refresh(&env, &store, &[]).await;
        }
    });
}

/// The notification queue and its dead-letter queue (SPEC E1, E4): one
/// delivery attempt per message.
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<crate::notification_delivery::DeliveryMessage>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    escalation::consume(batch, &env).await;
    Ok(())
}

/// `BEACON_ENV=test` (set by the end-to-end harness only) enables `PUT
/// /api/test/clock`, which moves the sweep's clock so that tests can fire the
/// cron trigger "16 minutes later" without waiting.
fn test_mode(env: &Env) -> bool {
    env.var("BEACON_ENV").is_ok_and(|v| v.to_string() == "test")
}

/// `BEACON_ENV=development` (set by `cargo xtask dev` only; `wrangler.toml`
/// says `production`) enables the demo seed (`POST /api/dev/seed`) and the local inbox
/// (`/dev/inbox`); with any other value they answer 404.
fn development_mode(env: &Env) -> bool {
    env.var("BEACON_ENV")
        .is_ok_and(|v| v.to_string() == "development")
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    let method = req.method();
    let result = route(&mut req, &env, &method, &path).await;
    match result {
        Ok(response) => Ok(response),
        Err(err) => {
            if let ApiError::StoreUnavailable(detail) | ApiError::Internal(detail) = &err {
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
    if matches!(method, Method::Get | Method::Head) && public_page::is_public_path(path) {
        return public_page_cache::serve(env, store_for_request(env, req), path).await;
    }
    if matches!(method, Method::Get | Method::Head) && routes::is_desk_page_with_id(path) {
        return desk_page(env).await;
    }
    let store = store_for_request(env, req)?;
    let segments = routes::segments(path);
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    match (method, segments.as_slice()) {
        (Method::Get, ["api", "health"]) => {
            json_ok(&users::health(&store, store.has_secrets_key()).await, 200)
        }
        (Method::Post, ["api", "session"]) => sign_in(req, env, &store).await,
        (Method::Delete, ["api", "session"]) => sign_out(req, env, &store).await,
        (Method::Post, ["v2", "enqueue"]) => webhooks::pagerduty_enqueue(req, env, &store).await,
        (Method::Post, ["api", "webhooks", "alertmanager"]) => {
            webhooks::notification_webhook(req, env, &store, IngestFormat::Alertmanager).await
        }
        (Method::Post, ["api", "webhooks", "grafana"]) => {
            webhooks::notification_webhook(req, env, &store, IngestFormat::Grafana).await
        }
        (Method::Get | Method::Post, ["ack", id]) => {
            escalation::ack_link(&store, method, id, &query).await
        }
        (Method::Post, ["api", "webhooks", "generic", name]) => {
            webhooks::generic_webhook(req, env, &store, name).await
        }
        (Method::Get, ["dev", "inbox"]) if development_mode(env) => {
            let html = dev_inbox::inbox_page(&store).await?;
            Ok(html_response(html)?.with_headers(no_store()?))
        }
        (Method::Post, ["dev", "inbox", channel]) if development_mode(env) => {
            let body = read_body(req).await?;
            dev_inbox::receive(&store, channel, &body, now()).await?;
            json_ok(&serde_json::json!({ "ok": true }), 200)
        }
        // Prometheus' scrape (SPEC Q2): a bearer token of a report reader.
        (Method::Get, ["metrics"]) => {
            let actor = authorize(req, &store).await?;
            require_route_permission(&actor, method, &segments)?;
            let text = metrics::metrics(&store, &actor, now()).await?;
            let headers = Headers::new();
            let set = |name: &str, value: &str| {
                headers
                    .set(name, value)
                    .map_err(|e| ApiError::Internal(e.to_string()))
            };
            set("content-type", metrics::CONTENT_TYPE)?;
            set("cache-control", "no-store")?;
            Ok(Response::ok(text)
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .with_headers(headers))
        }
        (_, ["api", ..]) => api(req, env, &store, method, &segments[1..], &query).await,
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

fn problem_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::NotFound { what: "problem" })
}

fn incident_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| ApiError::NOT_VISIBLE)
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
    let path: Vec<&str> = std::iter::once("api")
        .chain(segments.iter().copied())
        .collect();
    require_route_permission(&actor, method, &path)?;
    match (method, segments) {
        (Method::Get, ["me"]) => json_ok(&users::me(&actor), 200),
        (Method::Get, ["categories"]) => json_ok(&incidents::categories(store).await?, 200),
        (Method::Get, ["incidents"]) => {
            json_ok(&incidents::list_incidents(store, &actor, query).await?, 200)
        }
        (Method::Post, ["incidents"]) => {
            let body = read_body(req).await?;
            let view =
                incidents::create_incident(store, &actor, &body, now(), &public_url(env)).await?;
            json_ok(&view, 201)
        }
        (Method::Get, ["incidents", id]) => json_ok(
            &incidents::get_incident_with_recurrence(store, &actor, incident_id(id)?, now())
                .await?,
            200,
        ),
        (Method::Get, ["problems"]) => {
            json_ok(&problems::list_problems(store, &actor, now()).await?, 200)
        }
        (Method::Post, ["problems"]) => {
            let body = read_body(req).await?;
            json_ok(
                &problems::create_problem(store, &actor, &body, now()).await?,
                201,
            )
        }
        (Method::Get, ["problems", id]) => json_ok(
            &problems::get_problem(store, &actor, problem_id(id)?, now()).await?,
            200,
        ),
        (Method::Put, ["problems", id, "rca"]) => {
            let body = read_body(req).await?;
            json_ok(
                &problems::put_rca(store, &actor, problem_id(id)?, &body, now()).await?,
                200,
            )
        }
        (Method::Get, ["problems", id, "report"]) => json_ok(
            &incident_reports::get_report(store, &actor, problem_id(id)?).await?,
            200,
        ),
        (Method::Post, ["problems", id, "report", "publish"]) => {
            let published =
                incident_reports::publish_report(store, &actor, problem_id(id)?, now()).await?;
            let touched: Vec<&str> = published
                .public_incident
                .iter()
                .map(String::as_str)
                .collect();
            public_page_cache::refresh(env, store, &touched).await;
            json_ok(&published.page, 200)
        }
        (
            Method::Post | Method::Put,
            ["problems", id, "report", ..] | ["problems", id, "reviews"],
        ) => {
            let id = problem_id(id)?;
            let body = read_body_allow_empty(req).await?;
            match (method, &segments[2..]) {
                (Method::Post, ["report"]) => json_ok(
                    &incident_reports::draft_report(store, &actor, id, &body, now()).await?,
                    201,
                ),
                (Method::Put, ["report"]) => json_ok(
                    &incident_reports::edit_report(store, &actor, id, &body, now()).await?,
                    200,
                ),
                (Method::Post, ["report", "transitions"]) => json_ok(
                    &incident_reports::transition_report(store, &actor, id, &body, now()).await?,
                    200,
                ),
                (Method::Post, ["report", "approve"]) => json_ok(
                    &incident_reports::approve_report(store, &actor, id, &body, now()).await?,
                    200,
                ),
                (Method::Post, ["reviews"]) => json_ok(
                    &incident_reports::record_review(store, &actor, id, &body, now()).await?,
                    201,
                ),
                _ => Err(ApiError::NotFound { what: "route" }),
            }
        }
        (Method::Post | Method::Put, ["problems", id, action]) => {
            let id = problem_id(id)?;
            let body = read_body(req).await?;
            let (detail, status) = match (method, *action) {
                (Method::Post, "transitions") => (
                    problems::transition_problem(store, &actor, id, &body, now()).await?,
                    200,
                ),
                (Method::Put, "signatures") => (
                    problems::put_signatures(store, &actor, id, &body, now()).await?,
                    200,
                ),
                (Method::Post, "incidents") => (
                    problems::link_incident(store, &actor, id, &body, now()).await?,
                    200,
                ),
                (Method::Post, "remediation") => (
                    problems::add_remediation_item(store, &actor, id, &body, now()).await?,
                    201,
                ),
                (Method::Post, "vendor-rcas") => (
                    problems::add_vendor_rca(store, &actor, id, &body, now()).await?,
                    201,
                ),
                _ => return Err(ApiError::NotFound { what: "route" }),
            };
            json_ok(&detail, status)
        }
        (Method::Get, ["remediation"]) => json_ok(
            &problems::remediation_board(store, &actor, now()).await?,
            200,
        ),
        (Method::Post, ["remediation", id, "transitions"]) => {
            let id = id.parse::<i64>().map_err(|_| ApiError::NotFound {
                what: "remediation item",
            })?;
            let body = read_body(req).await?;
            json_ok(
                &problems::transition_remediation(store, &actor, id, &body, now()).await?,
                200,
            )
        }
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
                (Method::Put, "impact-start") => {
                    incidents::set_impact_start(store, &actor, id, &body, now()).await?
                }
                (Method::Post, "timeline") => {
                    incidents::add_timeline_entry(store, &actor, id, &body, now()).await?
                }
                (Method::Post, "acknowledge") => {
                    crate::escalation::acknowledge(store, &actor, id, now()).await?
                }
                (Method::Post, "teams") => {
                    let base_url = public_url(env);
                    crate::escalation::pull_in_team(store, &actor, id, &body, now(), &base_url)
                        .await?
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
        (Method::Get, ["users"]) => json_ok(&users::people(store, &actor, now()).await?, 200),
        (Method::Post, ["users", id, "disable"]) => {
            let id = id
                .parse::<i64>()
                .map_err(|_| ApiError::NotFound { what: "user" })?;
            json_ok(&users::disable_user(store, &actor, id, now()).await?, 200)
        }
        (Method::Post, ["tokens", id, "revoke"]) => {
            let id = id
                .parse::<i64>()
                .map_err(|_| ApiError::NotFound { what: "token" })?;
            json_ok(&users::revoke_token(store, &actor, id, now()).await?, 200)
        }
        (Method::Get, ["audit"]) => json_ok(&users::audit_log(store, &actor).await?, 200),
        // Report charts (SPEC Q2): SVG drawn from the same query and clearance.
        (Method::Get, ["reports", "charts", file]) => {
            let svg = reports::charts::chart(store, &actor, file, query, now()).await?;
            chart_response(svg)
        }
        // Reports (SPEC Q1-Q5): JSON or CSV.
        (Method::Get, ["reports", "close-targets"]) => {
            json_ok(&reports::get_close_targets(store, &actor).await?, 200)
        }
        (Method::Put, ["reports", "close-targets"]) => {
            let body = read_body(req).await?;
            let targets = reports::put_close_targets(store, &actor, &body, now()).await?;
            json_ok(&targets, 200)
        }
        // The review meeting (SPEC Q5); snapshots are never changed.
        (Method::Get, ["review"]) => {
            json_ok(&review::review(store, &actor, query, now()).await?, 200)
        }
        (Method::Get, ["review", "snapshots"]) => {
            json_ok(&review::list_snapshots(store, &actor).await?, 200)
        }
        (Method::Post, ["review", "snapshots"]) => {
            let body = read_body(req).await?;
            json_ok(
                &review::save_snapshot(store, &actor, &body, now()).await?,
                201,
            )
        }
        (Method::Get, ["review", "snapshots", id]) => {
            let id = id.parse::<i64>().map_err(|_| ApiError::NotFound {
                what: "review snapshot",
            })?;
            json_ok(&review::get_snapshot(store, &actor, id).await?, 200)
        }
        (_, ["review", "snapshots", ..]) => Err(ApiError::MethodNotAllowed),
        (Method::Get, ["reports", table]) => {
            let accept = req.headers().get("accept").ok().flatten();
            let answer =
                reports::report(store, &actor, table, query, accept.as_deref(), now()).await?;
            report_response(answer)
        }
        (Method::Post, ["dev", "seed"]) if development_mode(env) => {
            let base_url = public_url(env);
            let inbox_url = format!("{base_url}/dev/inbox");
            let run = dev_seed::SeedRun {
                now: now(),
                base_url: &base_url,
                inbox_url: &inbox_url,
            };
            let mut fresh = std::iter::from_fn(|| escalation::random_hex().ok());
            let team =
                dev_seed::seed_demo(store, &actor, &run, &mut fresh, &mut fresh_ids()).await?;
            public_page_cache::refresh(env, store, &[]).await;
            json_ok(&team, 201)
        }
        (Method::Put, ["test", "clock"]) if test_mode(env) => {
            let body = read_body(req).await?;
            crate::escalation::set_test_clock(store, &actor, &body, now()).await?;
            json_ok(&serde_json::json!({ "ok": true }), 200)
        }
        (Method::Get, ["post-incident", "config"]) => {
            json_ok(&problems::get_post_incident_config(store).await?, 200)
        }
        (Method::Put, ["post-incident", "config"]) => {
            let body = read_body(req).await?;
            let config = problems::put_post_incident_config(store, &actor, &body, now()).await?;
            json_ok(&config, 200)
        }
        (Method::Get, ["escalation", "config"]) => {
            json_ok(&crate::escalation::get_config(store).await?, 200)
        }
        (Method::Put, ["escalation", "config"]) => {
            let body = read_body(req).await?;
            let config = crate::escalation::put_config(store, &actor, &body, now()).await?;
            json_ok(&config, 200)
        }
        (Method::Get, ["status", "page"]) => json_ok(
            &status_editing::page_for_editing(store, &public_url(env)).await?,
            200,
        ),
        (Method::Get, ["status", "slo"]) => json_ok(&public_page::slo_policy(store).await?, 200),
        (Method::Put, ["status", "slo"]) => {
            let body = read_body(req).await?;
            let policy =
                status_editing::put_slo_policy(store, &actor, &body, now(), &public_url(env))
                    .await?;
            public_page_cache::refresh(env, store, &[]).await;
            json_ok(&policy, 200)
        }
        (Method::Post, ["status", "components"]) => {
            let body = read_body(req).await?;
            let component =
                status_editing::create_component(store, &actor, &body, now(), &mut fresh_ids())
                    .await?;
            public_page_cache::refresh(env, store, &[]).await;
            json_ok(&component, 201)
        }
        (Method::Put, ["status", "components", id]) => {
            let body = read_body(req).await?;
            let component =
                status_editing::update_component(store, &actor, id, &body, now()).await?;
            public_page_cache::refresh(env, store, &[]).await;
            json_ok(&component, 200)
        }
        (Method::Put, ["status", "components", id, "status"]) => {
            let body = read_body(req).await?;
            let component =
                status_editing::set_component_status(store, &actor, id, &body, now()).await?;
            public_page_cache::refresh(env, store, &[]).await;
            json_ok(&component, 200)
        }
        (Method::Post, ["status", "groups"]) => {
            let body = read_body(req).await?;
            let group =
                status_editing::create_group(store, &actor, &body, now(), &mut fresh_ids()).await?;
            public_page_cache::refresh(env, store, &[]).await;
            json_ok(&group, 201)
        }
        (Method::Post, ["status", "incidents"]) => {
            let body = read_body(req).await?;
            let published = status_editing::create_public_incident(
                store,
                &actor,
                &body,
                now(),
                &mut fresh_ids(),
                &public_url(env),
            )
            .await?;
            let entry = &published.incident.id;
            published_response(env, store, &published, published.published, entry, true).await
        }
        (Method::Post, ["status", "incidents", id, "updates"]) => {
            let body = read_body(req).await?;
            let published = status_editing::add_public_update(
                store,
                &actor,
                id,
                &body,
                now(),
                &mut fresh_ids(),
                &public_url(env),
            )
            .await?;
            published_response(env, store, &published, published.published, id, false).await
        }
        (Method::Post, ["status", "maintenances"]) => {
            let body = read_body(req).await?;
            let published = status_editing::create_maintenance(
                store,
                &actor,
                &body,
                now(),
                &mut fresh_ids(),
                &public_url(env),
            )
            .await?;
            let entry = &published.scheduled_maintenance.id;
            published_response(env, store, &published, published.published, entry, true).await
        }
        (Method::Post, ["status", "maintenances", id, "updates"]) => {
            let body = read_body(req).await?;
            let published = status_editing::add_maintenance_update(
                store,
                &actor,
                id,
                &body,
                now(),
                &mut fresh_ids(),
                &public_url(env),
            )
            .await?;
            published_response(env, store, &published, published.published, id, false).await
        }
        (Method::Get, ["on-call"]) => {
            json_ok(&crate::escalation::on_call(store, now()).await?, 200)
        }
        (Method::Put, ["rotas", role]) => {
            let body = read_body(req).await?;
            let on_call = crate::escalation::put_rota(store, &actor, role, &body, now()).await?;
            json_ok(&on_call, 200)
        }
        (Method::Post, ["notification-channels"]) => {
            let body = read_body(req).await?;
            let secret = format!("bks_{}", escalation::random_hex()?);
            let created =
                crate::escalation::create_channel(store, &actor, &body, now(), secret).await?;
            json_ok(&created, 201)
        }
        (Method::Get, ["incidents", id, "escalation"]) => {
            let id = incident_id(id)?;
            let view = crate::escalation::escalation_view(store, &actor, id, now()).await?;
            json_ok(&view, 200)
        }
        (Method::Get, ["alerts"]) => {
            json_ok(&alerts::list_alerts(store, &actor, query).await?, 200)
        }
        (Method::Post, ["alerts", id, action]) => {
            let id = id.parse::<i64>().map_err(|_| ApiError::NOT_VISIBLE)?;
            let body = read_body_allow_empty(req).await?;
            let detail = alerts::alert_action(store, &actor, id, action, &body, now()).await?;
            json_ok(&detail, 200)
        }
        (Method::Post, ["integrations"]) => {
            let body = read_body(req).await?;
            let secret = fresh_token()?.replacen("bkn_", "bki_", 1);
            json_ok(
                &alerts::create_integration(store, &actor, &body, now(), secret).await?,
                201,
            )
        }
        (Method::Post, ["integrations", name, "rotate"]) => {
            let body = read_body_allow_empty(req).await?;
            let secret = fresh_token()?.replacen("bkn_", "bki_", 1);
            json_ok(
                &alerts::rotate_integration_secret(store, &actor, name, &body, now(), secret)
                    .await?,
                200,
            )
        }
        (Method::Post, ["integrations", name, "disable"]) => json_ok(
            &alerts::disable_integration(store, &actor, name, now()).await?,
            200,
        ),
        (Method::Get, ["notification-channels"]) => {
            json_ok(&crate::escalation::list_channels(store, &actor).await?, 200)
        }
        (Method::Post, ["notification-channels", id, "disable"]) => json_ok(
            &crate::escalation::disable_channel(store, &actor, id, now()).await?,
            200,
        ),
        (Method::Put, ["integrations", name, "control"]) => {
            let body = read_body(req).await?;
            json_ok(
                &alerts::set_ingest_control(store, &actor, name, &body, now()).await?,
                200,
            )
        }
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

/// The store for one request. In test mode (`BEACON_ENV=test`), the header
/// `x-beacon-test-fault: d1` makes D1 unreachable for that request, so the
/// end-to-end tests can prove what the public sees when D1 fails (M4).
fn store_for_request(env: &Env, req: &Request) -> Result<D1Store, ApiError> {
    let fault = req.headers().get("x-beacon-test-fault").ok().flatten();
    if test_mode(env) && fault.as_deref() == Some("d1") {
        return Err(ApiError::StoreUnavailable(
            "D1 is unreachable (test fault)".into(),
        ));
    }
    D1Store::from_env(env)
}

/// `N` random bytes from the runtime's CSPRNG: tokens, secrets, keys and ids.
fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(bytes)
}

/// Fresh public ids in Statuspage's style, 12 lowercase letters and digits
/// each, drawn as a handler takes them (none if the CSPRNG fails).
fn fresh_ids() -> impl Iterator<Item = String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    std::iter::from_fn(|| {
        let bytes = random_bytes::<12>().ok()?;
        Some(
            bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect(),
        )
    })
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

/// A body that may be empty (no content type needed then), otherwise JSON
/// within the limit ([`read_body`]).
async fn read_body_allow_empty(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten();
    check_declared_length(declared.as_deref())?;
    let body = read_counted(req).await?;
    if body.is_empty() {
        return Ok(body);
    }
    require_json(req)?;
    Ok(body)
}

/// Reads the whole request body, counting the bytes actually read (also
/// for a chunked body without `Content-Length`): 413 beyond the limit. The
/// stream is always read to its end, so the answer never leaves it open.
async fn read_counted(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let mut body = CountedBody::default();
    // No body at all is an empty one.
    if let Ok(mut stream) = req.stream() {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::MalformedJson(e.to_string()))?;
            body.push(&chunk);
        }
    }
    body.finish()
}

/// 415 unless the request says it carries JSON.
fn require_json(req: &Request) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Who sends `req`: a bearer token, or a browser session whose writes carry
/// its CSRF token (`auth::authenticate_request`).
async fn authorize(req: &Request, store: &D1Store) -> Result<Actor, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (authorization, cookie, csrf) = (
        header("authorization"),
        header("cookie"),
        header(beacon_shared::session::CSRF_HEADER),
    );
    let method = req.method().to_string();
    let presented = Presented {
        method: &method,
        authorization: authorization.as_deref(),
        cookie: cookie.as_deref(),
        csrf: csrf.as_deref(),
    };
    authenticate_request(store, &presented, now()).await
}

/// 403 unless the actor's role has the permission the route table
/// (`shared::routes::ROUTES`) gives this route, checked before any body is
/// read; routes the table does not list are left to their handlers.
fn require_route_permission(actor: &Actor, method: &Method, path: &[&str]) -> Result<(), ApiError> {
    match beacon_shared::routes::required_permission(method.as_ref(), path) {
        Some(permission) if !permission.allows(actor.role) => Err(ApiError::Forbidden(format!(
            "the {} role may not {}",
            actor.role.as_str(),
            permission.describe()
        ))),
        _ => Ok(()),
    }
}

/// Whether this request's session cookies carry `Secure`
/// (`shared::session::secure_cookies`).
fn secure_cookies(env: &Env, req: &Request) -> bool {
    let beacon_env = env
        .var("BEACON_ENV")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let scheme = req.url().map(|u| u.scheme().to_owned()).unwrap_or_default();
    beacon_shared::session::secure_cookies(&beacon_env, &scheme)
}

/// `cookies` added to a JSON answer as `Set-Cookie` headers.
fn with_cookies(response: Response, cookies: &[String]) -> Result<Response, ApiError> {
    let mut response = response;
    for cookie in cookies {
        response
            .headers_mut()
            .append("set-cookie", cookie)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    Ok(response)
}

/// `POST /api/session`: the token in the body opens a browser session; the
/// answer sets its cookies and carries the CSRF token.
async fn sign_in(req: &mut Request, env: &Env, store: &D1Store) -> Result<Response, ApiError> {
    let body = read_body(req).await?;
    let fresh = sessions::SessionSecrets {
        secret: format!("bks_{}", hex::encode(random_bytes::<32>()?)),
        csrf_token: hex::encode(random_bytes::<32>()?),
    };
    let started = sessions::start_session(store, &body, now(), fresh).await?;
    let cookies = beacon_shared::session::session_cookies(
        &started.secret,
        &started.view.csrf_token,
        started.max_age_seconds,
        secure_cookies(env, req),
    );
    with_cookies(json_ok(&started.view, 201)?, &cookies)
}

/// `DELETE /api/session`: ends the cookie's session (with its CSRF token)
/// and removes the cookies.
async fn sign_out(req: &mut Request, env: &Env, store: &D1Store) -> Result<Response, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (cookie, csrf) = (
        header("cookie"),
        header(beacon_shared::session::CSRF_HEADER),
    );
    let presented = Presented {
        method: "DELETE",
        authorization: None,
        cookie: cookie.as_deref(),
        csrf: csrf.as_deref(),
    };
    sessions::end_session(store, &presented, now()).await?;
    let cookies = beacon_shared::session::cleared_cookies(secure_cookies(env, req));
    with_cookies(json_ok(&serde_json::json!({ "ok": true }), 200)?, &cookies)
}

/// A JSON body within the limit: refused by its declared `Content-Length`
/// before reading, and by the bytes actually read ([`read_counted`]).
async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten();
    check_declared_length(declared.as_deref())?;
    require_json(req)?;
    read_counted(req).await
}

/// The answer to a publishing request: once published, the public outputs are
/// rendered again for `entry`, and a `created` entry is 201; otherwise 200.
async fn published_response<T: serde::Serialize>(
    env: &Env,
    store: &D1Store,
    answer: &T,
    published: bool,
    entry: &str,
    created: bool,
) -> Result<Response, ApiError> {
    if !published {
        return json_ok(answer, 200);
    }
    public_page_cache::refresh(env, store, &[entry]).await;
    json_ok(answer, if created { 201 } else { 200 })
}

/// A report as sent: its content type, a download name for CSV, never cached.
fn report_response(answer: reports::ReportAnswer) -> Result<Response, ApiError> {
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", answer.content_type)?;
        headers.set("cache-control", "no-store")?;
        if let Some(name) = &answer.filename {
            headers.set(
                "content-disposition",
                &format!("attachment; filename=\"{name}\""),
            )?;
        }
        Ok(Response::ok(answer.body)?.with_headers(headers))
    };
    build().map_err(|e| ApiError::Internal(e.to_string()))
}

/// A report chart as sent: SVG, never cached, and inert if opened on its
/// own (no script, no outside resources).
fn chart_response(svg: String) -> Result<Response, ApiError> {
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", "image/svg+xml; charset=utf-8")?;
        headers.set("cache-control", "no-store")?;
        set_page_security(&headers)?;
        Ok(Response::ok(svg)?.with_headers(headers))
    };
    build().map_err(|e| ApiError::Internal(e.to_string()))
}

fn json_ok<T: serde::Serialize>(value: &T, status: u16) -> Result<Response, ApiError> {
    json_response(value, status).map_err(|e| ApiError::Internal(e.to_string()))
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

/// Headers that keep a response out of every cache.
fn no_store() -> Result<Headers, ApiError> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    set("content-type", "text/html; charset=utf-8")?;
    set("cache-control", "no-store")?;
    set_page_security(&headers).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(headers)
}

/// The security headers of every HTML page the worker renders (the status
/// page, the acknowledgement page, the local inbox): no script at all, its
/// own inline style only, never framed, no sniffing, no referrer.
pub(crate) fn set_page_security(headers: &Headers) -> worker::Result<()> {
    headers.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
    )?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")
}

/// A desk page with an id in its path (`/problems/3`), which no static file
/// matches: the desk's page from the static assets, with the headers the
/// assets' own pages carry.
async fn desk_page(env: &Env) -> Result<Response, ApiError> {
    let internal = |e: worker::Error| ApiError::Internal(format!("the desk's page: {e}"));
    let assets = env.assets("ASSETS").map_err(internal)?;
    let mut page = assets
        .fetch(
            format!("https://assets.invalid{}", routes::DESK_PAGE_FILE),
            None,
        )
        .await
        .map_err(internal)?;
    if page.status_code() != 200 {
        return Err(ApiError::Internal(format!(
            "the desk's page answered {}",
            page.status_code()
        )));
    }
    let html = page.text().await.map_err(internal)?;
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", "text/html; charset=utf-8")?;
        headers.set("cache-control", "no-cache")?;
        for (name, value) in routes::APP_PAGE_HEADERS {
            headers.set(name, value)?;
        }
        Ok(Response::from_html(html)?.with_headers(headers))
    };
    build().map_err(internal)
}

fn html_response(html: String) -> Result<Response, ApiError> {
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", "text/html; charset=utf-8")?;
        headers.set("cache-control", "public, max-age=15")?;
        set_page_security(&headers)?;
        Ok(Response::from_html(html)?.with_headers(headers))
    };
    build().map_err(|e| ApiError::Internal(e.to_string()))
}
