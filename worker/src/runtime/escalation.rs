//! Escalation's Workers glue: the cron entry of the sweep, outbound signed
//! POSTs with fetch, fresh randomness, and the acknowledgement link's
//! response. Everything that decides is in [`crate::escalation`].

use super::{html_response, incident_id, now, public_url, test_mode, D1Store};
use crate::error::ApiError;
use crate::escalation::{self, AckLinkRequest, NotificationSender, SweepRun};
use crate::stores::StoreError;
use crate::webhook_signature::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use beacon_shared::Timestamp;
use worker::{
    console_error, console_log, Env, Fetch, Headers, Method, Request, RequestInit, Response,
};

/// 256 random bits, hex: sweep ids, link keys and channel secrets.
pub(super) fn random_hex() -> Result<String, StoreError> {
    Ok(hex::encode(super::random_bytes::<32>()?))
}

/// Outbound notifications through the Workers `fetch`.
struct FetchSender;

impl NotificationSender for FetchSender {
    async fn post_signed(&self, url: &str, secret: &str, body: &str) -> Result<(), String> {
        let timestamp = (now().unix_millis() / 1000).to_string();
        let headers = Headers::new();
        let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
        set("content-type", "application/json")?;
        set("user-agent", "Beacon-Escalation/1")?;
        set(TIMESTAMP_HEADER, &timestamp)?;
        set(SIGNATURE_HEADER, &sign(secret, &timestamp, body.as_bytes()))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let response = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match response.status_code() {
            200..=299 => Ok(()),
            status => Err(format!("the receiver answered {status}")),
        }
    }
}

/// Runs the sweep for the cron trigger and logs what it did.
pub(super) async fn scheduled(env: &Env, scheduled_at: Timestamp) {
    let store = match D1Store::from_env(env) {
        Ok(store) => store,
        Err(e) => return console_error!("escalation sweep: no database: {e}"),
    };
    let (sweep_id, link_key) = match (random_hex(), random_hex()) {
        (Ok(sweep_id), Ok(link_key)) => (sweep_id, link_key),
        (Err(e), _) | (_, Err(e)) => return console_error!("escalation sweep: {e}"),
    };
    let at = escalation::sweep_clock(&store, scheduled_at, test_mode(env)).await;
    let base_url = public_url(env);
    // Queued first, so that this sweep delivers them.
    match crate::problems::post_incident_sweep(&store, at, &base_url).await {
        Ok(queued) => console_log!("post-incident deadlines at {at}: {queued} queued"),
        Err(error) => console_error!("post-incident deadlines at {at} failed: {error}"),
    }
    let run = SweepRun {
        at,
        now: now(),
        sweep_id: &sweep_id,
        base_url: &base_url,
        link_key_candidate: &link_key,
    };
    match escalation::sweep(&store, &FetchSender, &run).await {
        Ok(report) => {
            for skipped in &report.skipped {
                console_error!("escalation sweep at {at}: skipped {skipped}");
            }
            console_log!(
                "escalation sweep at {at}: {}",
                serde_json::to_string(&report).unwrap_or_default()
            )
        }
        Err(error) => console_error!("escalation sweep at {at} failed: {}", error),
    }
}

/// `GET|POST /ack/{id}?by&exp&sig`: the signed acknowledgement link's page.
pub(super) async fn ack_link(
    store: &D1Store,
    method: &Method,
    raw_id: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let request = match method {
        Method::Post => AckLinkRequest::Confirm,
        _ => AckLinkRequest::Show,
    };
    let page = escalation::ack_link(
        store,
        request,
        incident_id(raw_id)?,
        query,
        now(),
        &random_hex()?,
    )
    .await?;
    Ok(html_response(page.html)?.with_status(page.status))
}
