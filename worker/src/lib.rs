//! Beacon's edge function: the JSON API and the public status page.
//!
//! Everything that decides lives in `beacon_shared`; this crate parses
//! requests, checks who is asking, calls the domain, stores through the
//! [`store::Store`] trait and renders. The Workers runtime glue (D1, KV, the
//! fetch entry point) is in `edge`, compiled only for wasm32, so the
//! handlers are unit-tested natively against [`memory_store::MemoryStore`].

pub mod auth;
pub mod error;
pub mod incidents;
pub mod ingest;
pub mod paging;
pub mod request_body;
pub mod status_feed;
pub mod status_page;
pub mod store;
pub mod users;
pub mod webhook_signature;

#[cfg(any(test, not(target_arch = "wasm32")))]
pub mod memory_store;

#[cfg(target_arch = "wasm32")]
mod edge;

/// The version reported by `/api/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
