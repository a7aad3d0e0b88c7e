//! Widgets shared by the pages.

pub mod choice_options;
pub mod maintenance_forms;
pub mod priority_badge;
pub mod public_incident_form;
pub mod public_incident_list;
pub mod public_message;
pub mod status_editing_components;
