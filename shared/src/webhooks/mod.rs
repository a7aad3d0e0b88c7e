//! Monitoring webhook formats (SPEC I1), each its own module ending in
//! [`crate::alert::AlertSignal`]s.

pub mod alertmanager;
pub mod generic;
pub mod pagerduty;
