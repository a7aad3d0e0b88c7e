//! Beacon's browser app, in two bundles. The SRE's first response
//! ([`first_response`], written against the DOM so that it loads at once):
//! sign-in, the incident queue, the triage form with live classification and
//! the incident page. The desk ([`DeskApp`], Leptos): the alert queue, who is
//! on call, customer support's status-page screen, after the fire the
//! problems with their RCA and remediation, the remediation board, the
//! reports and the review meeting's page, and for admins people and access.
//!
//! The priority shown while the SRE types comes from `beacon_shared`, the
//! same code the edge runs when the form is submitted.

pub mod api;
pub mod browser_session;
#[cfg(feature = "desk")]
pub mod components;
#[cfg(feature = "desk")]
pub mod credentials;
#[cfg(feature = "desk")]
mod desk;
pub mod first_response;
pub mod http;
#[cfg(feature = "desk")]
pub mod navigation;
#[cfg(feature = "desk")]
pub mod pages;
pub mod problem_draft;
pub mod report_draft;
#[cfg(feature = "desk")]
pub mod status_editing_draft;
#[cfg(feature = "desk")]
pub mod status_editing_state;
pub mod triage_draft;

#[cfg(feature = "desk")]
pub use desk::DeskApp;
