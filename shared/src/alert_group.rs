//! How a monitoring delivery's alerts become incidents under pressure (SPEC I1,
//! I2, E1): notification groups, storm control, the size of one delivery and
//! how long raw deliveries are kept. Every integration carries its own
//! [`IngestControl`]; the worker plans each delivery with these rules.
//!
//! - **Grouping** ([`Grouping::ByNotificationGroup`], the default): the alerts
//!   of one Alertmanager or Grafana notification group (its `groupKey`) open
//!   one incident, and later alerts of the group join it while it awaits a
//!   response. [`Grouping::PerAlert`] opens one incident per alert.
//! - **Priority of a group**: the most urgent priority any of its alerts gives
//!   ([`group_priority`]); an incident is raised, never lowered, as alerts join.
//! - **Storm control**: once an integration opened [`IngestControl::storm_threshold`]
//!   incidents within [`STORM_WINDOW_MS`] ([`in_storm`]), alerts that would
//!   open another incident join one storm incident instead, titled with the
//!   number of its alerts ([`storm_title`]) and at least [`STORM_PRIORITY`],
//!   so the duty IC is paged once for the storm.
//! - **Resolution**: a group's incident counts as cleared by its alerts only
//!   when the last of its open alerts resolves ([`group_cleared`]).

use crate::priority::Priority;
use serde::{Deserialize, Serialize};

/// The most alerts one delivery may carry; a larger one is refused whole (413).
pub const MAX_ALERTS_PER_DELIVERY: usize = 1_000;

/// The window storm control counts new incidents in: one minute.
pub const STORM_WINDOW_MS: i64 = 60_000;

/// A storm incident is at least this urgent: its first page goes to the duty IC.
pub const STORM_PRIORITY: Priority = Priority::P1;

/// How an integration turns new alerts into incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One incident per notification group (`groupKey`); formats without
    /// groups (PagerDuty, generic) open one per alert.
    #[default]
    ByNotificationGroup,
    /// One incident per alert, whatever its group.
    PerAlert,
}

impl Grouping {
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::ByNotificationGroup => "by_notification_group",
            Grouping::PerAlert => "per_alert",
        }
    }

    /// The stored name back; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        [Grouping::ByNotificationGroup, Grouping::PerAlert]
            .into_iter()
            .find(|g| g.as_str() == value)
    }
}

display_as_str!(Grouping);

/// An integration's grouping, storm threshold and raw-delivery retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestControl {
    pub grouping: Grouping,
    /// New incidents per minute after which new alerts join the storm incident.
    pub storm_threshold: u32,
    /// Days a raw delivery is kept before the cron prunes it.
    pub delivery_retention_days: u32,
}

impl Default for IngestControl {
    fn default() -> Self {
        Self {
            grouping: Grouping::ByNotificationGroup,
            storm_threshold: 10,
            delivery_retention_days: 30,
        }
    }
}

/// A setting of [`IngestControl`] outside its range, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be between {min} and {max}, got {got}")]
pub struct ControlOutOfRange {
    pub field: &'static str,
    pub min: u32,
    pub max: u32,
    pub got: u32,
}

impl IngestControl {
    pub const STORM_THRESHOLD: (u32, u32) = (1, 1_000_000);
    pub const RETENTION_DAYS: (u32, u32) = (1, 3_650);

    /// Checks each setting against its range.
    pub fn validate(&self) -> Result<(), ControlOutOfRange> {
        let check = |field, (min, max): (u32, u32), got: u32| {
            if (min..=max).contains(&got) {
                Ok(())
            } else {
                Err(ControlOutOfRange {
                    field,
                    min,
                    max,
                    got,
                })
            }
        };
        check(
            "storm_threshold",
            Self::STORM_THRESHOLD,
            self.storm_threshold,
        )?;
        check(
            "delivery_retention_days",
            Self::RETENTION_DAYS,
            self.delivery_retention_days,
        )
    }

    /// How long a raw delivery is kept, in milliseconds.
    pub fn retention_ms(&self) -> i64 {
        i64::from(self.delivery_retention_days) * 24 * 60 * 60 * 1000
    }
}

/// A delivery with more alerts than [`MAX_ALERTS_PER_DELIVERY`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a delivery may carry at most {max} alerts, this one has {got}; split it (Alertmanager: lower max_alerts or group by more labels)")]
pub struct TooManyAlerts {
    pub max: usize,
    pub got: usize,
}

impl TooManyAlerts {
    /// The field of the delivery that is too long.
    pub const FIELD: &'static str = "alerts";
}

/// Refuses a delivery of more than [`MAX_ALERTS_PER_DELIVERY`] alerts.
pub fn check_delivery_size(alerts: usize) -> Result<(), TooManyAlerts> {
    if alerts > MAX_ALERTS_PER_DELIVERY {
        Err(TooManyAlerts {
            max: MAX_ALERTS_PER_DELIVERY,
            got: alerts,
        })
    } else {
        Ok(())
    }
}

/// Whether an integration that opened `opened_in_window` incidents in the
/// last [`STORM_WINDOW_MS`] is in a storm: its next new alert joins the storm
/// incident instead of opening its own.
pub fn in_storm(opened_in_window: u32, control: &IngestControl) -> bool {
    opened_in_window >= control.storm_threshold
}

/// The priority of a group's incident: the most urgent of `current` and what
/// the joining alerts give. `None` when nothing is more urgent than `current`.
pub fn group_priority(
    current: Priority,
    joining: impl IntoIterator<Item = Priority>,
) -> Option<Priority> {
    joining.into_iter().min().filter(|p| *p < current)
}

/// The priority of a storm incident whose alerts give at most `alerts`:
/// never less urgent than [`STORM_PRIORITY`].
pub fn storm_priority(alerts: Priority) -> Priority {
    alerts.min(STORM_PRIORITY)
}

/// The two parts around the number of alerts in a storm incident's title, so
/// a store can count the alerts as it writes: `Alert storm on prod-am: ` and
/// ` alerts`.
pub fn storm_title_parts(integration: &str) -> (String, &'static str) {
    (format!("Alert storm on {integration}: "), " alerts")
}

/// A storm incident's title: `Alert storm on prod-am: 137 alerts`.
pub fn storm_title(integration: &str, alerts: u64) -> String {
    let (before, after) = storm_title_parts(integration);
    format!("{before}{alerts}{after}")
}

/// Whether an incident with `open_alerts` unresolved alerts is cleared once
/// `resolving` of them resolve: only when none is left open.
pub fn group_cleared(open_alerts: u32, resolving: u32) -> bool {
    resolving >= open_alerts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC I1, I2: grouping by notification group, a threshold of 10 new
    /// incidents a minute and 30 days of raw deliveries unless tuned.
    #[test]
    fn defaults_group_and_hold_storms_at_ten() {
        let control = IngestControl::default();
        assert_eq!(control.grouping, Grouping::ByNotificationGroup);
        assert_eq!(control.storm_threshold, 10);
        assert_eq!(control.delivery_retention_days, 30);
        assert_eq!(control.retention_ms(), 30 * 86_400_000);
        let parsed: IngestControl = serde_json::from_str(r#"{"grouping": "per_alert"}"#).unwrap();
        assert_eq!(parsed.grouping, Grouping::PerAlert);
        assert_eq!(parsed.storm_threshold, 10);
        assert!(serde_json::from_str::<IngestControl>(r#"{"storm": 3}"#).is_err());
        for g in [Grouping::ByNotificationGroup, Grouping::PerAlert] {
            assert_eq!(Grouping::parse(g.as_str()), Some(g));
        }
    }

    /// Out-of-range settings name their field.
    #[test]
    fn settings_out_of_range_name_the_field() {
        let zero = IngestControl {
            storm_threshold: 0,
            ..IngestControl::default()
        };
        assert_eq!(zero.validate().unwrap_err().field, "storm_threshold");
        let forever = IngestControl {
            delivery_retention_days: 0,
            ..IngestControl::default()
        };
        assert_eq!(
            forever.validate().unwrap_err().field,
            "delivery_retention_days"
        );
        assert!(IngestControl::default().validate().is_ok());
    }

    /// SPEC I1: 1,000 alerts pass, 1,001 are refused whole.
    #[test]
    fn a_delivery_carries_at_most_a_thousand_alerts() {
        assert!(check_delivery_size(1_000).is_ok());
        let refused = check_delivery_size(1_001).unwrap_err();
        assert_eq!((refused.max, refused.got), (1_000, 1_001));
        assert!(refused.to_string().contains("1001"));
    }

    /// SPEC E1, I2: below the threshold every new alert opens its own
    /// incident; at the threshold the storm begins.
    #[test]
    fn storm_begins_at_the_threshold() {
        let control = IngestControl {
            storm_threshold: 3,
            ..IngestControl::default()
        };
        assert!(!in_storm(0, &control));
        assert!(!in_storm(2, &control));
        assert!(in_storm(3, &control));
        assert!(in_storm(400, &control));
    }

    /// SPEC P0-P3, I2: a group's incident takes the most urgent priority of its
    /// alerts and is never lowered by a quieter one.
    #[test]
    fn group_priority_is_the_most_urgent_of_its_alerts() {
        use Priority::*;
        assert_eq!(group_priority(P2, [P3, P0, P2]), Some(P0));
        assert_eq!(group_priority(P1, [P2, P3]), None);
        assert_eq!(group_priority(P1, [P1]), None);
        assert_eq!(group_priority(P3, []), None);
    }

    /// SPEC E1: a storm pages the duty IC even when its alerts are warnings.
    #[test]
    fn storm_pages_at_least_as_p1() {
        assert_eq!(storm_priority(Priority::P3), Priority::P1);
        assert_eq!(storm_priority(Priority::P0), Priority::P0);
        assert_eq!(
            storm_title("prod-am", 137),
            "Alert storm on prod-am: 137 alerts"
        );
        let (before, after) = storm_title_parts("prod-am");
        assert_eq!(format!("{before}7{after}"), storm_title("prod-am", 7));
    }

    /// SPEC V3, I2: the group clears only with its last open alert.
    #[test]
    fn group_clears_with_its_last_alert() {
        assert!(!group_cleared(50, 49));
        assert!(group_cleared(50, 50));
        assert!(group_cleared(1, 1));
    }
}
