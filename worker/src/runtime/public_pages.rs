//! The public outputs of the status page (SPEC M3, M4, L1, L2): the HTML
//! pages, the Atom and RSS feeds and the Statuspage-compatible JSON, rendered
//! from one read of D1 and cached in KV.
//!
//! Every output is a KV entry with the instant it was rendered. A read serves
//! the entry while it is younger than `BEACON_STATUS_CACHE_SECONDS` (60 by
//! default); an older or missing one is rendered from D1 together with all
//! the others. Every write that changes the page, and the cron trigger every
//! minute, renders them again. When D1 cannot be read, the last rendered copy
//! is served, however old (M4); only with no copy at all does `/status` say
//! it is unavailable (503).

use super::public_status::load_page;
use super::{now, parse_err, public_url, store_err, D1Store};
use crate::error::ApiError;
use crate::public_page_feed;
use crate::public_page_html::{
    render_history, render_incident, render_status, render_unavailable, PageView,
};
use beacon_shared::service_level::{
    DowntimeWeights, Slo, SloPolicy, StatusChange, StatusHistory, BAR_DAYS, MILLIS_PER_DAY,
};
use beacon_shared::status_page::{ComponentId, ComponentStatus, IncidentId, StatusPage};
use beacon_shared::statuspage_wire;
use beacon_shared::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use worker::{console_error, Env, Headers, Response};

const HTML: &str = "text/html; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const RSS: &str = "application/rss+xml; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The outputs rendered together from one read of the page.
const BUNDLE: &[(&str, &str)] = &[
    ("/status", HTML),
    ("/status/history", HTML),
    ("/history.atom", ATOM),
    ("/history.rss", RSS),
    ("/api/v2/summary.json", JSON),
    ("/api/v2/status.json", JSON),
    ("/api/v2/components.json", JSON),
    ("/api/v2/incidents.json", JSON),
    ("/api/v2/incidents/unresolved.json", JSON),
    ("/api/v2/scheduled-maintenances.json", JSON),
    ("/api/v2/scheduled-maintenances/upcoming.json", JSON),
    ("/api/v2/scheduled-maintenances/active.json", JSON),
];

const INCIDENT_PAGE: &str = "/status/incidents/";

/// The settings key of the SLO policy (SPEC L1).
pub(super) const SLO_SETTING: &str = "status.slo";

/// The SLO of components without their own: 99.9 %.
pub(super) fn default_slo_policy() -> SloPolicy {
    SloPolicy::new(Slo::from_percent(99.9).expect("99.9 % is a valid SLO"))
}

/// An output as cached in KV.
#[derive(Serialize, Deserialize)]
struct CachedOutput {
    rendered_at: i64,
    content_type: String,
    body: String,
}

/// Whether `path` is one of the public outputs.
pub(super) fn is_public_path(path: &str) -> bool {
    BUNDLE.iter().any(|(p, _)| *p == path)
        || path
            .strip_prefix(INCIDENT_PAGE)
            .is_some_and(|id| IncidentId::parse(id).is_ok())
}

fn cache_key(path: &str) -> String {
    format!("public:{path}")
}

/// What the public outputs are rendered from.
struct PageData {
    page: StatusPage,
    histories: BTreeMap<ComponentId, StatusHistory>,
    slo: SloPolicy,
    weights: DowntimeWeights,
    now: Timestamp,
}

impl PageData {
    fn view(&self) -> PageView<'_> {
        PageView {
            page: &self.page,
            histories: &self.histories,
            slo: &self.slo,
            weights: &self.weights,
            now: self.now,
        }
    }
}

#[derive(Deserialize)]
struct HistoryRow {
    component_id: String,
    at: f64,
    status: String,
}

/// The first instant the pages look at: the earlier of the first bar's day
/// and the start of the year.
fn history_start(now: Timestamp) -> Timestamp {
    let today = now.date();
    let bars_start =
        Timestamp::start_of_day(today).unix_millis() - (BAR_DAYS as i64 - 1) * MILLIS_PER_DAY;
    let year_start = chrono::NaiveDate::from_yo_opt(chrono::Datelike::year(&today), 1)
        .map(|d| Timestamp::start_of_day(d).unix_millis())
        .unwrap_or(bars_start);
    Timestamp::from_unix_millis(bars_start.min(year_start))
}

async fn history_rows(
    store: &D1Store,
    sql: &str,
    from: Timestamp,
) -> Result<Vec<HistoryRow>, ApiError> {
    Ok(store
        .db
        .prepare(sql)
        .bind(&[super::num(from.unix_millis())])
        .map_err(store_err)?
        .all()
        .await
        .map_err(store_err)?
        .results::<HistoryRow>()
        .map_err(store_err)?)
}

/// Each component's status history since [`history_start`]: the status it
/// had then, and every change after.
async fn load_histories(
    store: &D1Store,
    page: &StatusPage,
    now: Timestamp,
) -> Result<BTreeMap<ComponentId, StatusHistory>, ApiError> {
    let from = history_start(now);
    let before = history_rows(
        store,
        "SELECT component_id, max(at) AS at, status FROM public_component_history \
         WHERE at < ?1 GROUP BY component_id",
        from,
    )
    .await?;
    let after = history_rows(
        store,
        "SELECT component_id, at, status FROM public_component_history \
         WHERE at >= ?1 ORDER BY component_id, at, id",
        from,
    )
    .await?;
    let parse = |row: &HistoryRow| -> Result<StatusChange, ApiError> {
        Ok(StatusChange {
            at: Timestamp::from_unix_millis(row.at as i64),
            status: row.status.parse::<ComponentStatus>().map_err(parse_err)?,
        })
    };
    let mut histories = BTreeMap::new();
    for component in page.components() {
        let id = component.id.as_str();
        let changes = after
            .iter()
            .filter(|r| r.component_id == id)
            .map(parse)
            .collect::<Result<Vec<_>, _>>()?;
        let initial = match before.iter().find(|r| r.component_id == id) {
            Some(row) => parse(row)?.status,
            None => changes.first().map_or(component.status, |c| c.status),
        };
        let history = StatusHistory::new(initial, changes).map_err(parse_err)?;
        histories.insert(component.id.clone(), history);
    }
    Ok(histories)
}

async fn load_data(env: &Env, store: &D1Store) -> Result<PageData, ApiError> {
    let at = now();
    let page = load_page(env, store).await?;
    let histories = load_histories(store, &page, at).await?;
    let slo = super::public_status::slo_policy(store).await?;
    Ok(PageData {
        page,
        histories,
        slo,
        weights: DowntimeWeights::default(),
        now: at,
    })
}

fn to_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// Renders one output; `None` for an incident page of an unknown id.
fn render(data: &PageData, path: &str, base: &str) -> Option<(&'static str, String)> {
    let page = &data.page;
    let view = data.view();
    let body = match path {
        "/status" => (HTML, render_status(&view)),
        "/status/history" => (HTML, render_history(&view)),
        "/history.atom" => (ATOM, public_page_feed::atom(page, base, data.now)),
        "/history.rss" => (RSS, public_page_feed::rss(page, base, data.now)),
        "/api/v2/summary.json" => (JSON, to_json(&statuspage_wire::summary(page))?),
        "/api/v2/status.json" => (JSON, to_json(&statuspage_wire::status(page))?),
        "/api/v2/components.json" => (JSON, to_json(&statuspage_wire::components(page))?),
        "/api/v2/incidents.json" => (JSON, to_json(&statuspage_wire::incidents(page))?),
        "/api/v2/incidents/unresolved.json" => {
            (JSON, to_json(&statuspage_wire::unresolved_incidents(page))?)
        }
        "/api/v2/scheduled-maintenances.json" => (
            JSON,
            to_json(&statuspage_wire::scheduled_maintenances(page))?,
        ),
        "/api/v2/scheduled-maintenances/upcoming.json" => (
            JSON,
            to_json(&statuspage_wire::upcoming_maintenances(page))?,
        ),
        "/api/v2/scheduled-maintenances/active.json" => {
            (JSON, to_json(&statuspage_wire::active_maintenances(page))?)
        }
        other => {
            let id = IncidentId::parse(other.strip_prefix(INCIDENT_PAGE)?).ok()?;
            (HTML, render_incident(&view, &id)?)
        }
    };
    Some(body)
}

fn max_age_millis(env: &Env) -> i64 {
    env.var("BEACON_STATUS_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<i64>().ok())
        .unwrap_or(60)
        .max(0)
        * 1000
}

async fn cached(kv: &worker::KvStore, path: &str) -> Option<CachedOutput> {
    kv.get(&cache_key(path))
        .json::<CachedOutput>()
        .await
        .ok()
        .flatten()
}

/// Stores the outputs in KV, all at once; a failed write is only logged.
async fn store_outputs(kv: &worker::KvStore, outputs: Vec<(String, CachedOutput)>) {
    let writes = outputs.into_iter().map(|(path, output)| async move {
        let result = match kv.put(&cache_key(&path), &output) {
            Ok(put) => put.execute().await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            console_error!("status cache write for {path} failed: {e}");
        }
    });
    futures_util::future::join_all(writes).await;
}

/// Renders the bundle and `extra` pages from `data` for caching.
fn render_all(data: &PageData, base: &str, extra: &[String]) -> Vec<(String, CachedOutput)> {
    BUNDLE
        .iter()
        .map(|(path, _)| (*path).to_owned())
        .chain(extra.iter().cloned())
        .filter_map(|path| {
            let (content_type, body) = render(data, &path, base)?;
            Some((
                path,
                CachedOutput {
                    rendered_at: data.now.unix_millis(),
                    content_type: content_type.to_owned(),
                    body,
                },
            ))
        })
        .collect()
}

/// Renders every public output again after a write; `touched` are the
/// incidents and maintenances whose own pages changed.
pub(super) async fn refresh(env: &Env, store: &D1Store, touched: &[&str]) {
    let Ok(kv) = env.kv("CACHE") else { return };
    match load_data(env, store).await {
        Ok(data) => {
            let extra: Vec<String> = touched
                .iter()
                .map(|id| format!("{INCIDENT_PAGE}{id}"))
                .collect();
            store_outputs(&kv, render_all(&data, &public_url(env), &extra)).await;
        }
        Err(e) => console_error!("status page refresh skipped: {e}"),
    }
}

fn respond(output: &CachedOutput, cache: &str, status: u16) -> Result<Response, ApiError> {
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", &output.content_type)?;
        headers.set("cache-control", "public, max-age=15")?;
        headers.set("x-beacon-cache", cache)?;
        if output.content_type == HTML {
            headers.set(
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'",
            )?;
        } else {
            headers.set("access-control-allow-origin", "*")?;
        }
        Ok(Response::ok(output.body.clone())?
            .with_status(status)
            .with_headers(headers))
    };
    build().map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

/// Serves a public output: from KV while fresh, else rendered from D1 (and
/// cached), else the last cached copy if D1 cannot be read (M4).
pub(super) async fn serve(
    env: &Env,
    store: Result<D1Store, ApiError>,
    path: &str,
) -> Result<Response, ApiError> {
    let kv = env
        .kv("CACHE")
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let last = cached(&kv, path).await;
    if let Some(output) = &last {
        if now().unix_millis() - output.rendered_at < max_age_millis(env) {
            return respond(output, "hit", 200);
        }
    }
    let data = match store {
        Ok(store) => load_data(env, &store).await,
        Err(e) => Err(e),
    };
    match data {
        Ok(data) => {
            let extra = if path.starts_with(INCIDENT_PAGE) {
                vec![path.to_owned()]
            } else {
                Vec::new()
            };
            let mut outputs = render_all(&data, &public_url(env), &extra);
            let index = outputs.iter().position(|(p, _)| p == path);
            let response = match index {
                Some(i) => respond(&outputs[i].1, "miss", 200),
                None => Err(ApiError::NotFound { what: "incident" }),
            };
            if index.is_none() {
                outputs.clear();
            }
            store_outputs(&kv, outputs).await;
            response
        }
        Err(e) => {
            console_error!("status page read from D1 failed, serving the last copy: {e}");
            match &last {
                Some(output) => respond(output, "stale", 200),
                None if path.starts_with("/api/") => Err(e),
                None => respond(
                    &CachedOutput {
                        rendered_at: 0,
                        content_type: HTML.into(),
                        body: render_unavailable(),
                    },
                    "none",
                    503,
                ),
            }
        }
    }
}
