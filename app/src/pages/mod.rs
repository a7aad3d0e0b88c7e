//! One module per page.

pub mod alert_queue;
pub mod escalation_settings;
pub mod incident_report;
pub mod on_call;
pub mod people;
pub mod problem;
pub mod problem_list;
pub mod remediation_board;
pub mod reports;
pub mod review;
pub mod status_editing;
