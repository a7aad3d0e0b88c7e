//! The public page's outputs in KV (SPEC M4): every output is a KV entry
//! with the instant it was rendered (`crate::public_page` renders them).
//!
//! A read serves the entry while it is younger than
//! `BEACON_STATUS_CACHE_SECONDS` (60 by default); an older or missing one is
//! rendered from D1 together with all the others. Every write that changes
//! the page, and the cron trigger every minute, renders them again. When D1
//! cannot be read, the last rendered copy is served, however old; only with
//! no copy at all does `/status` say it is unavailable (503). An unknown
//! public incident id is remembered in KV for a minute, so it is answered
//! 404 without rendering from D1 on every request.

use super::{now, public_url, D1Store};
use crate::error::ApiError;
use crate::public_page::{incident_pages, PageData, RenderedOutput, INCIDENT_PAGE};
use worker::{console_error, Env, Headers, KvStore, Response};

fn cache_key(path: &str) -> String {
    format!("public:{path}")
}

fn max_age_millis(env: &Env) -> i64 {
    env.var("BEACON_STATUS_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<i64>().ok())
        .unwrap_or(60)
        .max(0)
        * 1000
}

async fn cached(kv: &KvStore, path: &str) -> Option<RenderedOutput> {
    kv.get(&cache_key(path))
        .json::<RenderedOutput>()
        .await
        .ok()
        .flatten()
}

/// Stores the outputs in KV, all at once; a failed write is only logged.
async fn keep(kv: &KvStore, outputs: Vec<(String, RenderedOutput)>) {
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

/// Renders every public output again after a write; `touched` are the
/// incidents and maintenances whose own pages changed.
pub(super) async fn refresh(env: &Env, store: &D1Store, touched: &[&str]) {
    let Ok(kv) = env.kv("CACHE") else { return };
    let base_url = public_url(env);
    match PageData::load(store, &base_url, now()).await {
        Ok(data) => keep(&kv, data.render_all(&base_url, &incident_pages(touched))).await,
        Err(e) => console_error!("status page refresh skipped: {e}"),
    }
}

/// How long an unknown public incident id is answered 404 from KV alone
/// (KV's shortest expiry): the page bundle is not rendered from D1 for it on
/// every request. A public incident created meanwhile has its page kept by
/// [`refresh`], which is read first.
const MISSING_TTL_SECONDS: u64 = 60;

fn missing_key(path: &str) -> String {
    format!("public-missing:{path}")
}

async fn is_known_missing(kv: &KvStore, path: &str) -> bool {
    path.starts_with(INCIDENT_PAGE)
        && matches!(kv.get(&missing_key(path)).text().await, Ok(Some(_)))
}

/// Remembers that `path` names no public incident; a failed write is only logged.
async fn remember_missing(kv: &KvStore, path: &str) {
    if !path.starts_with(INCIDENT_PAGE) {
        return;
    }
    let result = match kv.put(&missing_key(path), "404") {
        Ok(put) => put.expiration_ttl(MISSING_TTL_SECONDS).execute().await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        console_error!("status cache write for missing {path} failed: {e}");
    }
}

fn respond(output: &RenderedOutput, cache: &str, status: u16) -> Result<Response, ApiError> {
    let build = || -> worker::Result<Response> {
        let headers = Headers::new();
        headers.set("content-type", &output.content_type)?;
        headers.set("cache-control", "public, max-age=15")?;
        headers.set("x-beacon-cache", cache)?;
        if output.is_html() {
            super::set_page_security(&headers)?;
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
/// kept), else the last kept copy if D1 cannot be read (M4).
pub(super) async fn serve(
    env: &Env,
    store: Result<D1Store, ApiError>,
    path: &str,
) -> Result<Response, ApiError> {
    let kv = env
        .kv("CACHE")
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let last = cached(&kv, path).await;
    let at = now();
    if let Some(output) = &last {
        if output.is_fresh(at, max_age_millis(env)) {
            return respond(output, "hit", 200);
        }
    }
    if last.is_none() && is_known_missing(&kv, path).await {
        return Err(ApiError::NotFound { what: "incident" });
    }
    let base_url = public_url(env);
    let data = match store {
        Ok(store) => PageData::load(&store, &base_url, at).await,
        Err(e) => Err(e),
    };
    match data {
        Ok(data) => {
            let (requested, outputs) = match data.render_for_request(&base_url, path) {
                Ok(rendered) => rendered,
                Err(missing @ ApiError::NotFound { .. }) => {
                    remember_missing(&kv, path).await;
                    return Err(missing);
                }
                Err(other) => return Err(other),
            };
            keep(&kv, outputs).await;
            respond(&requested, "miss", 200)
        }
        Err(e) => {
            console_error!("status page read from D1 failed, serving the last copy: {e}");
            match &last {
                Some(output) => respond(output, "stale", 200),
                None if path.starts_with("/api/") => Err(e),
                None => respond(&RenderedOutput::unavailable(), "none", 503),
            }
        }
    }
}
