//! Beacon's own JSON webhook format (SPEC I1) for senders that speak none of the
//! others: a list of alerts, each with its own dedup key and action. The README's
//! "Generic webhooks" section documents it together with its HMAC signature.

use crate::alert::{AlertAction, AlertLink, AlertSignal, DedupKey, Severity};
use crate::timestamp::Timestamp;
use crate::triage::bounded_text_type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// At most this many alerts per delivery; a delivery is stored in one batch.
pub const MAX_ALERTS: usize = 100;

bounded_text_type!(
    /// One line about the alert, 1 to 1024 characters (PagerDuty's limit).
    Summary,
    1024
);

/// A delivery: `{"alerts": [...]}` with 1 to [`MAX_ALERTS`] alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    #[serde(deserialize_with = "alert_list")]
    pub alerts: Vec<Alert>,
}

/// One alert of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// What makes two deliveries the same alert; at most 255 characters.
    pub dedup_key: DedupKey,
    /// `trigger` (the default), `acknowledge` or `resolve`.
    #[serde(default = "trigger")]
    pub action: AlertAction,
    pub summary: Summary,
    /// The host or place it happened.
    #[serde(default)]
    pub source: Option<String>,
    /// `critical`, `error`, `warning` or `info`.
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// When the condition started, RFC 3339.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub links: Vec<AlertLink>,
}

fn trigger() -> AlertAction {
    AlertAction::Trigger
}

fn alert_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Alert>, D::Error> {
    let alerts = Vec::<Alert>::deserialize(deserializer)?;
    match alerts.len() {
        0 => Err(serde::de::Error::custom("must hold at least one alert")),
        n if n > MAX_ALERTS => Err(serde::de::Error::custom(format!(
            "must hold at most {MAX_ALERTS} alerts, got {n}"
        ))),
        _ => Ok(alerts),
    }
}

impl Delivery {
    /// Every alert as a signal, in the order sent.
    pub fn signals(&self) -> Vec<AlertSignal> {
        self.alerts.iter().map(Alert::signal).collect()
    }
}

impl Alert {
    pub fn signal(&self) -> AlertSignal {
        AlertSignal {
            dedup_key: self.dedup_key.clone(),
            action: self.action,
            summary: self.summary.to_string(),
            source: self.source.clone().filter(|s| !s.trim().is_empty()),
            severity: self.severity,
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            started_at: self.started_at,
            links: self.links.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENTED_EXAMPLE: &str = r#"{
      "alerts": [
        {
          "dedup_key": "db1-disk-full",
          "action": "trigger",
          "summary": "Disk 95% full on db1",
          "source": "db1.eu-west.example.net",
          "severity": "error",
          "labels": { "service": "orders-db", "region": "eu-west" },
          "annotations": { "runbook": "https://runbooks.example.net/disk" },
          "started_at": "2026-11-23T03:12:00Z",
          "links": [{ "text": "Dashboard", "href": "https://grafana.example.net/d/db1" }]
        },
        { "dedup_key": "web-5xx", "summary": "5xx rate above 2%" }
      ]
    }"#;

    /// SPEC I1, V2: the README's example parses into two signals with the defaults applied.
    #[test]
    fn documented_example_parses() {
        let delivery: Delivery = serde_json::from_str(DOCUMENTED_EXAMPLE).unwrap();
        let signals = delivery.signals();
        assert_eq!(signals.len(), 2);
        assert_eq!(signals[0].dedup_key.as_str(), "db1-disk-full");
        assert_eq!(signals[0].severity, Some(Severity::Error));
        assert_eq!(
            signals[0].started_at,
            Some(Timestamp::parse("2026-11-23T03:12:00Z").unwrap())
        );
        assert_eq!(signals[0].labels["service"], "orders-db");
        assert_eq!(
            signals[0].links[0].href,
            "https://grafana.example.net/d/db1"
        );
        assert_eq!(signals[1].action, AlertAction::Trigger);
        assert_eq!(signals[1].severity, None);
        assert_eq!(signals[1].source, None);
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for (body, expected) in [
            (r#"{"alerts": []}"#, "at least one"),
            (
                r#"{"alerts": [{"dedup_key": "", "summary": "x"}]}"#,
                "empty",
            ),
            (
                r#"{"alerts": [{"dedup_key": "k", "summary": ""}]}"#,
                "empty",
            ),
            (
                r#"{"alerts": [{"dedup_key": "k", "summary": "x", "action": "page"}]}"#,
                "unknown variant",
            ),
            (
                r#"{"alerts": [{"dedup_key": "k", "summary": "x", "severity": "huge"}]}"#,
                "unknown variant",
            ),
            (
                r#"{"alerts": [{"dedup_key": "k", "summary": "x", "started_at": "yesterday"}]}"#,
                "RFC 3339",
            ),
            (
                r#"{"alerts": [{"dedup_key": "k", "summary": "x", "colour": "red"}]}"#,
                "unknown field",
            ),
        ] {
            let err = serde_json::from_str::<Delivery>(body).unwrap_err();
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
        let many = format!(
            r#"{{"alerts": [{}]}}"#,
            vec![r#"{"dedup_key": "k", "summary": "x"}"#; MAX_ALERTS + 1].join(",")
        );
        let err = serde_json::from_str::<Delivery>(&many).unwrap_err();
        assert!(err.to_string().contains("at most 100"), "{err}");
    }
}
