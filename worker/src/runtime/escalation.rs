//! Escalation's Workers glue: the cron entry of the sweep, the notification
//! queue (producer and the consumers of it and of its dead-letter queue),
//! outbound signed POSTs with fetch and a timeout, fresh randomness, and the
//! acknowledgement link's response. Everything that decides is in
//! [`crate::escalation`] and [`crate::notification_delivery`].

use super::{html_response, incident_id, no_store, now, public_url, test_mode, D1Store};
use crate::error::ApiError;
use crate::escalation::{self, AckLinkRequest, SweepRun};
use crate::notification_delivery::{
    self, DeliveryMessage, DeliveryQueue, NotificationSender, Verdict,
};
use crate::stores::StoreError;
use crate::webhook_signature::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use beacon_shared::notification_delivery::{RetryPolicy, ATTEMPT_TIMEOUT_MS};
use beacon_shared::Timestamp;
use futures_util::future::{join_all, select, Either};
use std::time::Duration;
use worker::{
    console_error, console_log, AbortController, BatchMessageBuilder, Delay, Env, Fetch, Headers,
    Message, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder, Request, RequestInit,
    Response,
};

/// The producer binding of the notification queue (`wrangler.toml`).
const QUEUE_BINDING: &str = "NOTIFICATIONS";
/// The dead-letter queue's name (`wrangler.toml`): its batches are given up.
const DEAD_LETTER_QUEUE: &str = "beacon-notifications-dead";
/// How many messages one `sendBatch` carries at most (the Queues limit).
const SEND_BATCH_LIMIT: usize = 100;

/// 256 random bits, hex: sweep ids, link keys and channel secrets.
pub(super) fn random_hex() -> Result<String, StoreError> {
    Ok(hex::encode(super::random_bytes::<32>()?))
}

/// Outbound notifications through the Workers `fetch`, each given up after
/// [`ATTEMPT_TIMEOUT_MS`].
struct FetchSender;

impl NotificationSender for FetchSender {
    async fn post_signed(
        &self,
        url: &str,
        secret: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<(), String> {
        let timestamp = (now().unix_millis() / 1000).to_string();
        let headers = Headers::new();
        let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
        set("content-type", "application/json")?;
        set("user-agent", "Beacon-Escalation/1")?;
        set("idempotency-key", idempotency_key)?;
        set(TIMESTAMP_HEADER, &timestamp)?;
        set(SIGNATURE_HEADER, &sign(secret, &timestamp, body.as_bytes()))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(request);
        let sending = fetch.send_with_signal(&signal);
        let timeout = Delay::from(Duration::from_millis(u64::from(ATTEMPT_TIMEOUT_MS)));
        futures_util::pin_mut!(sending);
        let response = match select(sending, timeout).await {
            Either::Left((response, _)) => response.map_err(|e| e.to_string())?,
            Either::Right(((), _)) => {
                controller.abort();
                return Err(format!(
                    "the receiver did not answer within {} s",
                    ATTEMPT_TIMEOUT_MS / 1000
                ));
            }
        };
        match response.status_code() {
            200..=299 => Ok(()),
            status => Err(format!("the receiver answered {status}")),
        }
    }
}

/// The notification queue's producer binding.
struct NotificationQueue<'e>(&'e Env);

impl DeliveryQueue for NotificationQueue<'_> {
    async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), String> {
        let queue = self.0.queue(QUEUE_BINDING).map_err(|e| e.to_string())?;
        for chunk in messages.chunks(SEND_BATCH_LIMIT) {
            let batch = BatchMessageBuilder::new()
                .messages(chunk.iter().copied())
                .build();
            queue.send_batch(batch).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// The waits between attempts: `BEACON_NOTIFY_RETRY_SECONDS` doubling
/// (60 s unless set; the end-to-end tests use 1).
fn retry_policy(env: &Env) -> RetryPolicy {
    env.var("BEACON_NOTIFY_RETRY_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<u32>().ok())
        .filter(|seconds| *seconds > 0)
        .map_or(RetryPolicy::PRODUCTION, |base_delay_seconds| RetryPolicy {
            base_delay_seconds,
        })
}

/// The consumer of the notification queue and of its dead-letter queue: the
/// messages of a batch are attempted side by side, so a slow receiver holds
/// up only its own.
pub(super) async fn consume(batch: MessageBatch<DeliveryMessage>, env: &Env) {
    let store = match D1Store::from_env(env) {
        Ok(store) => store,
        Err(e) => {
            console_error!("notification queue: no database: {e}");
            return batch.retry_all();
        }
    };
    let messages: Vec<Message<DeliveryMessage>> = match batch.messages() {
        Ok(messages) => messages,
        Err(e) => {
            console_error!("notification queue: unreadable batch: {e}");
            return batch.ack_all();
        }
    };
    if batch.queue() == DEAD_LETTER_QUEUE {
        for message in &messages {
            match notification_delivery::dead_letter(&store, *message.body(), now()).await {
                Ok(_) => message.ack(),
                Err(e) => {
                    console_error!("dead-letter notification {}: {e}", message.body().id);
                    message.retry();
                }
            }
        }
        return;
    }
    let policy = retry_policy(env);
    let attempts = messages.iter().map(|message| {
        let store = &store;
        async move {
            let verdict =
                notification_delivery::deliver(store, &FetchSender, *message.body(), now(), policy)
                    .await;
            match verdict {
                Verdict::Settled => message.ack(),
                Verdict::RetryAfter { seconds } => message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(seconds)
                        .build(),
                ),
            }
        }
    });
    join_all(attempts).await;
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
    let started = now();
    let at = escalation::sweep_clock(&store, scheduled_at, test_mode(env)).await;
    let base_url = public_url(env);
    // Queued first, so that this sweep delivers them.
    match crate::problems::post_incident_sweep(&store, at, &base_url).await {
        Ok(queued) => console_log!(
            "post-incident deadlines at {at}: {queued} queued ({} ms)",
            now().unix_millis() - started.unix_millis()
        ),
        Err(error) => console_error!("post-incident deadlines at {at} failed: {error}"),
    }
    let sweep_started = now();
    let run = SweepRun {
        at,
        now: now(),
        sweep_id: &sweep_id,
        base_url: &base_url,
        link_key_candidate: &link_key,
    };
    match escalation::sweep(&store, &NotificationQueue(env), &run).await {
        Ok(report) => {
            for skipped in &report.skipped {
                console_error!("escalation sweep at {at}: skipped {skipped}");
            }
            console_log!(
                "escalation sweep at {at}: {} ({} ms)",
                serde_json::to_string(&report).unwrap_or_default(),
                now().unix_millis() - sweep_started.unix_millis()
            )
        }
        Err(error) => console_error!("escalation sweep at {at} failed: {}", error),
    }
}

/// `GET|POST /ack/{id}?by&ep&exp&sig`: the signed acknowledgement link's page.
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
    let page = escalation::ack_link(store, request, incident_id(raw_id)?, query, now()).await?;
    // A personal, single-use page: never kept by a cache.
    Ok(html_response(page.html)?
        .with_headers(no_store()?)
        .with_status(page.status))
}
