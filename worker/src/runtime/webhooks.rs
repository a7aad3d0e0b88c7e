//! The Workers glue of the monitoring webhooks (SPEC I1, I2): reads each
//! request's headers and body, calls [`crate::ingest`] with D1, the clock and
//! fresh random bytes, and builds the response, PagerDuty's own shape included.

use super::{json_ok, json_response, now, random_bytes, read_body, D1Store};
use crate::auth::bearer_token;
use crate::error::ApiError;
use crate::ingest::{self, PagerDutyAnswer};
use crate::webhook_signature::{SignedRequest, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use beacon_shared::alert::{DedupKey, IngestFormat};
use serde_json::json;
use worker::{Env, Request, Response};

/// Reads a webhook body: JSON, at most 512 KiB counted on the bytes read.
async fn webhook_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    read_body(req).await
}

/// `POST /api/webhooks/alertmanager` and `/api/webhooks/grafana`, authenticated by
/// the bearer token Alertmanager's `http_config.authorization` sends, before
/// the body is read.
pub(super) async fn notification_webhook(
    req: &mut Request,
    env: &Env,
    store: &D1Store,
    format: IngestFormat,
) -> Result<Response, ApiError> {
    let header = req.headers().get("authorization").ok().flatten();
    let secret = bearer_token(header.as_deref())
        .ok_or(ApiError::Unauthorized)?
        .to_owned();
    // The secret travels in the header: authenticate before reading the body.
    let integration = ingest::notification_sender(store, format, &secret, now()).await?;
    let body = webhook_body(req).await?;
    let receipt =
        ingest::notification_from(store, &integration, &body, now(), &super::public_url(env))
            .await?;
    json_ok(&receipt, 200)
}

/// `POST /api/webhooks/generic/{integration}`: Beacon's own format, signed with
/// HMAC-SHA256 (see [`crate::webhook_signature`]).
pub(super) async fn generic_webhook(
    req: &mut Request,
    env: &Env,
    store: &D1Store,
    integration_name: &str,
) -> Result<Response, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let signed = SignedRequest::from_headers(
        header(TIMESTAMP_HEADER).as_deref(),
        header(SIGNATURE_HEADER).as_deref(),
        now(),
    )
    .map_err(|e| ApiError::BadSignature(e.to_string()))?;
    let body = webhook_body(req).await?;
    let receipt = ingest::generic_delivery(
        store,
        integration_name,
        &signed,
        &body,
        now(),
        &super::public_url(env),
    )
    .await?;
    json_ok(&receipt, 200)
}

/// PagerDuty's error shape: `{"status", "message", "errors": [...]}`.
fn pagerduty_error(status: u16, message: &str, errors: Vec<String>) -> Result<Response, ApiError> {
    json_response(
        &json!({ "status": "invalid event", "message": message, "errors": errors }),
        status,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `POST /v2/enqueue`: PagerDuty Events API v2, with its responses.
pub(super) async fn pagerduty_enqueue(
    req: &mut Request,
    env: &Env,
    store: &D1Store,
) -> Result<Response, ApiError> {
    let body = match webhook_body(req).await {
        Ok(body) => body,
        Err(ApiError::PayloadTooLarge { limit }) => {
            return pagerduty_error(
                413,
                "Request too large",
                vec![format!("the body exceeds {limit} bytes")],
            )
        }
        Err(ApiError::UnsupportedMediaType) => {
            return pagerduty_error(
                400,
                "Event object is invalid",
                vec!["Content-Type must be application/json".into()],
            )
        }
        Err(err) => return Err(err),
    };
    let generated = DedupKey::parse(&hex::encode(random_bytes::<16>()?))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    match ingest::pagerduty_event(store, &body, generated, now(), &super::public_url(env)).await? {
        PagerDutyAnswer::Accepted { dedup_key } => json_response(
            &json!({ "status": "success", "message": "Event processed", "dedup_key": dedup_key }),
            202,
        )
        .map_err(|e| ApiError::Internal(e.to_string())),
        PagerDutyAnswer::Invalid { errors } => {
            pagerduty_error(400, "Event object is invalid", errors)
        }
    }
}
