//! Beacon's domain: the incident-management SOP as pure, deterministic code.
//!
//! Nothing in this crate does IO, reads a clock or draws random numbers: the
//! caller passes the current time in. The same code runs natively in the
//! worker's tests, as wasm in the browser (the triage form) and as wasm at
//! the edge (the authoritative check).

/// `Display` as the value's `as_str()`: for the closed sets whose text is
/// their name as stored and sent.
macro_rules! display_as_str {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod alert;
pub mod alert_group;
pub mod api;
pub mod audit_redaction;
pub mod category;
pub mod clearance;
pub mod escalation;
pub mod incident_report;
pub mod lifecycle;
pub mod measure;
pub mod notification_delivery;
pub mod post_incident_deadlines;
pub mod post_incident_review;
pub mod priority;
pub mod priority_override;
pub mod problem;
pub mod rca;
pub mod recurrence;
pub mod refusal;
pub mod remediation;
pub mod report;
pub mod review;
pub mod role;
pub mod rota;
pub mod routes;
pub mod samples;
pub mod service_level;
pub mod session;
pub mod status_editing;
pub mod status_page;
pub mod statuspage_wire;
pub mod time_format;
pub mod timeline;
pub mod timeline_text;
pub mod timestamp;
pub mod triage;
pub mod vendor_rca;
pub mod webhooks;

pub use category::{check_category, Category, Labels};
pub use clearance::{clearance, may_see_incident, Clearance, Reader};
pub use lifecycle::{
    allowed_transitions, apply_transition, IncidentStatus, Transition, TransitionKind,
};
pub use measure::{Count, Percent};
pub use priority::{classify_priority, Classification, MatchedRule, Priority, RuleId};
pub use priority_override::{check_priority_change, PriorityDecision};
pub use role::Role;
pub use time_format::{format_duration, format_utc_minutes, DurationStyle};
pub use timestamp::Timestamp;
pub use triage::TriageFacts;
