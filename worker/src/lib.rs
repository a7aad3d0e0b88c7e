//! Beacon's edge function: the JSON API, the monitoring webhooks and the public status page.
//!
//! Everything that decides lives in `beacon_shared`; this crate parses
//! requests, checks who is asking, calls the domain, stores through one
//! store trait per concept ([`stores`]) and renders. Handlers are plain async
//! functions generic over those traits, with the time and fresh ids passed
//! in, unit-tested natively against [`memory::MemoryStore`]. The D1
//! implementation of every store (`d1`, the only module with SQL) and the
//! Workers runtime glue (`runtime`: entry points, router, KV cache, outbound
//! fetch, randomness) are compiled only for wasm32.

pub mod alerts;
pub mod auth;
pub mod dev_inbox;
pub mod dev_seed;
pub mod error;
pub mod escalation;
pub mod incident_reports;
pub mod incidents;
pub mod ingest;
pub mod metrics;
pub mod notification_delivery;
pub mod paging;
pub mod problems;
pub mod public_page;
pub mod public_page_feed;
pub mod public_page_html;
pub mod reports;
pub mod request_body;
pub mod review;
pub mod sealed_secret;
pub mod sessions;
pub mod status_editing;
pub mod stores;
pub mod users;
pub mod webhook_signature;

#[cfg(any(test, not(target_arch = "wasm32")))]
pub mod memory;

#[cfg(target_arch = "wasm32")]
mod d1;
#[cfg(target_arch = "wasm32")]
mod runtime;

/// The version reported by `/api/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
