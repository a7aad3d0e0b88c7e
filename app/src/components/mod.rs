//! Widgets shared by the pages.

pub mod escalation_panel;
pub mod incident_actions;
pub mod live_classification;
pub mod priority_badge;
pub mod triage_form;
