//! How a notification reaches its receiver (SPEC E1, E4): how long one
//! attempt may take, how many attempts are made, how long to wait between
//! them, and the idempotency key the receiver sees on every attempt.
//!
//! The worker delivers through a queue: each attempt that fails is retried
//! after [`RetryPolicy::delay_after`], and after [`MAX_ATTEMPTS`] the message
//! goes to the dead-letter queue and the incident's timeline says so
//! ([`crate::timeline::TimelineEvent::NotificationFailed`]).

/// A notification is tried this many times before it is given up.
pub const MAX_ATTEMPTS: u32 = 6;

/// How long one attempt may take before it counts as failed: a receiver
/// slower than this is retried, and never holds up anyone else's page.
pub const ATTEMPT_TIMEOUT_MS: u32 = 15_000;

/// How long a claimed notification waits for its queue message before a later
/// sweep may send it again (a sweep that claimed it and stopped before it
/// reached the queue). Each attempt extends it.
pub const CLAIM_LEASE_MS: i64 = 5 * 60 * 1000;

/// The waits between attempts: `base_delay_seconds`, then doubling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_delay_seconds: u32,
}

impl RetryPolicy {
    /// 1, 2, 4, 8 and 16 minutes: 31 minutes from the first attempt to the last.
    pub const PRODUCTION: RetryPolicy = RetryPolicy {
        base_delay_seconds: 60,
    };

    /// How long to wait after `attempts` failed attempts; `None` once
    /// [`MAX_ATTEMPTS`] were made (the notification is given up).
    pub fn delay_after(self, attempts: u32) -> Option<u32> {
        (1..MAX_ATTEMPTS).contains(&attempts).then(|| {
            self.base_delay_seconds
                .saturating_mul(1 << (attempts - 1).min(16))
        })
    }

    /// The longest wait between two attempts.
    pub fn longest_delay(self) -> u32 {
        self.delay_after(MAX_ATTEMPTS - 1).unwrap_or(0)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::PRODUCTION
    }
}

/// The `Idempotency-Key` header of every attempt of one notification: the same
/// for each retry and after a crash, different for each (action, channel).
/// Anything outside printable ASCII (a team's name may have it) is
/// percent-encoded, as a header value must be.
pub fn idempotency_key(action_key: &str, channel: i64) -> String {
    let mut key = String::with_capacity(action_key.len() + 12);
    for byte in action_key.bytes() {
        if byte.is_ascii_graphic() && byte != b'%' {
            key.push(char::from(byte));
        } else {
            key.push_str(&format!("%{byte:02X}"));
        }
    }
    key.push_str(&format!("/channel/{channel}"));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC E4: failed deliveries back off (1, 2, 4, 8, 16 minutes) and stop
    /// after the last attempt.
    #[test]
    fn retries_back_off_then_stop() {
        let delays: Vec<_> = (1..=MAX_ATTEMPTS)
            .map(|n| RetryPolicy::PRODUCTION.delay_after(n))
            .collect();
        assert_eq!(
            delays,
            vec![Some(60), Some(120), Some(240), Some(480), Some(960), None]
        );
        assert_eq!(RetryPolicy::PRODUCTION.delay_after(0), None);
        assert_eq!(RetryPolicy::PRODUCTION.longest_delay(), 960);
    }

    /// A short base (the end-to-end tests use one second) keeps the shape.
    #[test]
    fn the_base_delay_scales_every_wait() {
        let fast = RetryPolicy {
            base_delay_seconds: 1,
        };
        assert_eq!(fast.delay_after(1), Some(1));
        assert_eq!(fast.delay_after(5), Some(16));
        assert_eq!(fast.delay_after(6), None);
    }

    /// A claim outlives the longest wait plus an attempt, so a message that is
    /// only waiting in the queue is never sent a second time by a sweep.
    #[test]
    fn a_claim_is_renewed_for_longer_than_an_attempt() {
        assert!(CLAIM_LEASE_MS > i64::from(ATTEMPT_TIMEOUT_MS) * 2);
    }

    /// SPEC E1: one key per (action, channel), the same on every attempt.
    #[test]
    fn each_action_and_channel_has_its_own_key() {
        let key = idempotency_key("incident/7/page/0/0", 3);
        assert_eq!(key, idempotency_key("incident/7/page/0/0", 3));
        assert_ne!(key, idempotency_key("incident/7/page/0/0", 4));
        assert_ne!(key, idempotency_key("incident/7/page/1/0", 3));
        assert!(key.is_ascii(), "a header value: {key}");
        let team = idempotency_key("incident/7/team/bäckend ops/1", 2);
        assert_eq!(team, "incident/7/team/b%C3%A4ckend%20ops/1/channel/2");
    }
}
