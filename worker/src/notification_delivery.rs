//! Delivering the outbox through the notification queue (SPEC E1, E4, M1),
//! generic over the store, the queue and the sender.
//!
//! The sweep claims the due notifications in one write
//! ([`EscalationStore::claim_outbox`]) and puts one message per notification
//! on the queue ([`queue_claimed`]); the queue's consumer makes one attempt
//! per message ([`deliver`]), with a timeout, and asks the queue to retry a
//! failed one after the back-off of
//! [`beacon_shared::notification_delivery::RetryPolicy`]. A message whose
//! retries are exhausted goes to the dead-letter queue, whose consumer gives
//! the notification up and says so in the incident's timeline
//! ([`dead_letter`]). A slow or dead receiver holds up only its own message.
//!
//! Delivery is at least once: every attempt carries the same
//! `Idempotency-Key` header
//! ([`beacon_shared::notification_delivery::idempotency_key`]), so a receiver
//! can drop the second copy of a notification sent again after a crash
//! between its delivery and the record of it.

use crate::stores::{AttemptOutcome, EscalationStore, StoreError};
use beacon_shared::notification_delivery::{idempotency_key, RetryPolicy};
use beacon_shared::Timestamp;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// How many notifications one sweep puts on the queue at most.
pub const QUEUE_BATCH: u32 = 1000;

/// Sends one signed notification body; `Err` says why it did not arrive
/// (the timeout included).
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait NotificationSender {
    async fn post_signed(
        &self,
        url: &str,
        secret: &str,
        body: &str,
        idempotency_key: &str,
    ) -> Result<(), String>;
}

/// Puts messages on the notification queue.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait DeliveryQueue {
    async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), String>;
}

/// The body of one queue message: the outbox row to deliver. The row holds the
/// body and the channel, read fresh by each attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub id: i64,
}

/// What the consumer tells the queue about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Done with it: delivered, given up already, or in flight elsewhere.
    Settled,
    /// Try again after `seconds` (the queue counts the attempts).
    RetryAfter { seconds: u32 },
}

/// Claims up to [`QUEUE_BATCH`] notifications due at `at` and puts one message
/// per notification on `queue`. If the queue refuses them, their claims are
/// given back so that the next sweep tries again. Returns how many were queued.
pub async fn queue_due<S: EscalationStore, Q: DeliveryQueue>(
    store: &S,
    queue: &Q,
    at: Timestamp,
    now: Timestamp,
) -> Result<Result<usize, String>, StoreError> {
    let ids = store.claim_outbox(at, now, QUEUE_BATCH).await?;
    if ids.is_empty() {
        return Ok(Ok(0));
    }
    let messages: Vec<DeliveryMessage> = ids.iter().map(|&id| DeliveryMessage { id }).collect();
    match queue.enqueue(&messages).await {
        Ok(()) => Ok(Ok(ids.len())),
        Err(error) => {
            store.release_outbox(&ids).await?;
            Ok(Err(error))
        }
    }
}

/// One attempt at the notification of `message` at `now`.
pub async fn deliver<S: EscalationStore, N: NotificationSender>(
    store: &S,
    sender: &N,
    message: DeliveryMessage,
    now: Timestamp,
    policy: RetryPolicy,
) -> Verdict {
    let retry_soon = Verdict::RetryAfter {
        seconds: policy.base_delay_seconds,
    };
    let item = match store.begin_attempt(message.id, now).await {
        Ok(Some(item)) => item,
        Ok(None) => return Verdict::Settled,
        Err(_) => return retry_soon,
    };
    let key = idempotency_key(&item.action_key, item.channel);
    let outcome = match sender
        .post_signed(&item.url, &item.secret, &item.body, &key)
        .await
    {
        Ok(()) => AttemptOutcome::Delivered,
        Err(error) => AttemptOutcome::Failed {
            error,
            retry_in_ms: i64::from(
                policy
                    .delay_after(item.attempts)
                    .unwrap_or_else(|| policy.longest_delay()),
            ) * 1000,
        },
    };
    // If the record fails after a delivery, the claim runs out and a later
    // sweep sends it again, with the same idempotency key.
    let _ = store.finish_attempt(&item, now, &outcome).await;
    match outcome {
        AttemptOutcome::Delivered => Verdict::Settled,
        AttemptOutcome::Failed { retry_in_ms, .. } => Verdict::RetryAfter {
            seconds: u32::try_from(retry_in_ms / 1000).unwrap_or(u32::MAX),
        },
    }
}

/// The dead-letter queue's consumer: the notification of `message` exhausted
/// its retries; it is given up and the incident's timeline says so at `now`.
/// `false` if it was delivered or given up already.
pub async fn dead_letter<S: EscalationStore>(
    store: &S,
    message: DeliveryMessage,
    now: Timestamp,
) -> Result<bool, StoreError> {
    store.give_up(message.id, now).await
}

/// A queue and a sender in memory, for the native tests of every handler that
/// notifies.
#[cfg(test)]
pub(crate) mod recording {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// One POST as sent.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Sent {
        pub url: String,
        pub body: String,
        pub idempotency_key: String,
    }

    /// Keeps every message put on it; refuses them all while `refusing` is set.
    #[derive(Default)]
    pub struct RecordingQueue {
        pub messages: RefCell<Vec<DeliveryMessage>>,
        pub refusing: Cell<bool>,
    }

    impl DeliveryQueue for RecordingQueue {
        async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), String> {
            if self.refusing.get() {
                return Err("the queue is unavailable".into());
            }
            self.messages.borrow_mut().extend_from_slice(messages);
            Ok(())
        }
    }

    impl RecordingQueue {
        /// Hands every waiting message to the consumer once, at `now`, as the
        /// queue would; a message asked to retry waits in the queue again.
        pub fn deliver_all<S: EscalationStore>(
            &self,
            store: &S,
            sender: &RecordingSender,
            now: Timestamp,
        ) -> Vec<(DeliveryMessage, Verdict)> {
            let waiting = std::mem::take(&mut *self.messages.borrow_mut());
            let mut verdicts = Vec::new();
            for message in waiting {
                let verdict = pollster::block_on(deliver(
                    store,
                    sender,
                    message,
                    now,
                    RetryPolicy::PRODUCTION,
                ));
                if let Verdict::RetryAfter { .. } = verdict {
                    self.messages.borrow_mut().push(message);
                }
                verdicts.push((message, verdict));
            }
            verdicts
        }
    }

    /// Records every POST; fails them all while `failing` is set.
    #[derive(Default)]
    pub struct RecordingSender {
        pub sent: RefCell<Vec<Sent>>,
        pub failing: Cell<bool>,
    }

    impl NotificationSender for RecordingSender {
        async fn post_signed(
            &self,
            url: &str,
            _secret: &str,
            body: &str,
            idempotency_key: &str,
        ) -> Result<(), String> {
            if self.failing.get() {
                return Err("the receiver answered 500".into());
            }
            self.sent.borrow_mut().push(Sent {
                url: url.to_owned(),
                body: body.to_owned(),
                idempotency_key: idempotency_key.to_owned(),
            });
            Ok(())
        }
    }

    impl RecordingSender {
        /// The bodies delivered to `url`, as JSON.
        pub fn bodies_to(&self, url: &str) -> Vec<serde_json::Value> {
            self.sent
                .borrow()
                .iter()
                .filter(|s| s.url == url)
                .map(|s| serde_json::from_str(&s.body).unwrap())
                .collect()
        }
    }
}
