//! Prometheus Alertmanager's webhook payload (version 4) and Grafana alerting's
//! superset of it: one [`AlertSignal`] per alert, keyed by its fingerprint.
//!
//! Unknown fields are accepted: monitoring systems add fields between releases
//! and a page must never be lost to a stricter parser.

use crate::alert::{AlertAction, AlertLink, AlertSignal, DedupKey, Severity};
use crate::timestamp::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole notification Alertmanager (or Grafana) posts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub version: Option<String>,
    pub group_key: Option<String>,
    #[serde(default)]
    pub truncated_alerts: u64,
    pub status: GroupStatus,
    pub receiver: String,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: Option<String>,
    pub alerts: Vec<Alert>,
    /// Grafana only.
    pub org_id: Option<i64>,
    /// Grafana only.
    pub title: Option<String>,
    /// Grafana only.
    pub message: Option<String>,
    /// Grafana only: `alerting` or `ok`.
    pub state: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    Firing,
    Resolved,
}

/// One alert of a notification.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: GroupStatus,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    pub generator_url: Option<String>,
    pub fingerprint: Option<String>,
    /// Grafana only.
    #[serde(rename = "silenceURL")]
    pub silence_url: Option<String>,
    /// Grafana only.
    #[serde(rename = "dashboardURL")]
    pub dashboard_url: Option<String>,
    /// Grafana only.
    #[serde(rename = "panelURL")]
    pub panel_url: Option<String>,
    /// Grafana only: the query values that fired.
    pub values: Option<serde_json::Value>,
}

impl Notification {
    /// One signal per alert; an alert without a fingerprint is keyed by its labels.
    pub fn signals(&self) -> Vec<AlertSignal> {
        self.alerts.iter().map(|alert| alert.signal()).collect()
    }
}

impl Alert {
    fn signal(&self) -> AlertSignal {
        let key = self
            .fingerprint
            .as_deref()
            .and_then(|f| DedupKey::parse(f).ok())
            .unwrap_or_else(|| label_fingerprint(&self.labels));
        let summary = ["summary", "title", "description", "message"]
            .iter()
            .find_map(|k| self.annotations.get(*k))
            .or_else(|| self.labels.get("alertname"))
            .cloned()
            .unwrap_or_default();
        let links = [
            ("source", &self.generator_url),
            ("dashboard", &self.dashboard_url),
            ("panel", &self.panel_url),
            ("silence", &self.silence_url),
        ]
        .into_iter()
        .chain(std::iter::once((
            "runbook",
            &self.annotations.get("runbook_url").cloned(),
        )))
        .filter_map(|(text, href)| {
            href.as_ref().filter(|h| !h.is_empty()).map(|h| AlertLink {
                text: text.into(),
                href: h.clone(),
            })
        })
        .collect();
        AlertSignal {
            dedup_key: key,
            action: match self.status {
                GroupStatus::Firing => AlertAction::Trigger,
                GroupStatus::Resolved => AlertAction::Resolve,
            },
            summary,
            source: self.labels.get("instance").cloned(),
            severity: self
                .labels
                .get("severity")
                .and_then(|s| Severity::from_label(s)),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            started_at: self
                .starts_at
                .as_deref()
                .and_then(|t| Timestamp::parse(t).ok())
                .filter(|t| t.unix_millis() > 0),
            links,
        }
    }
}

/// FNV-1a over the sorted labels: stable across deliveries, like Alertmanager's own.
fn label_fingerprint(labels: &BTreeMap<String, String>) -> DedupKey {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (key, value) in labels {
        for byte in key.bytes().chain([0xff]).chain(value.bytes()).chain([0xfe]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    DedupKey::parse(&format!("labels-{hash:016x}")).expect("a fixed-format key is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notification as Alertmanager 0.25 sends it.
    const FIRING: &str = r#"{
      "receiver": "beacon", "status": "firing", "version": "4",
      "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
      "groupLabels": {"alertname": "HighErrorRate"},
      "commonLabels": {"alertname": "HighErrorRate", "severity": "critical"},
      "commonAnnotations": {}, "externalURL": "http://am:9093",
      "alerts": [{
        "status": "firing",
        "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "api-1:9100", "job": "api"},
        "annotations": {"summary": "API 5xx above 5%", "runbook_url": "https://runbooks.example/api"},
        "startsAt": "2026-11-23T03:12:00.123Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prom:9090/graph?g0.expr=x", "fingerprint": "a1b2c3d4e5f60718"
      }]
    }"#;

    /// SPEC I1, V2: an Alertmanager v4 notification becomes one signal per alert.
    #[test]
    fn alertmanager_v4_firing() {
        let n: Notification = serde_json::from_str(FIRING).unwrap();
        let signals = n.signals();
        assert_eq!(signals.len(), 1);
        let s = &signals[0];
        assert_eq!(s.dedup_key.as_str(), "a1b2c3d4e5f60718");
        assert_eq!(s.action, AlertAction::Trigger);
        assert_eq!(s.summary, "API 5xx above 5%");
        assert_eq!(s.severity, Some(Severity::Critical));
        assert_eq!(
            s.started_at,
            Timestamp::parse("2026-11-23T03:12:00.123Z").ok()
        );
        assert_eq!(s.links.len(), 2);
    }

    /// SPEC I2: without a fingerprint the key is the labels', stable and order-free.
    #[test]
    fn label_fingerprint_is_stable() {
        let a = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".into(), "2".into())]);
        let b = BTreeMap::from([("b".to_string(), "2".to_string()), ("a".into(), "1".into())]);
        assert_eq!(label_fingerprint(&a), label_fingerprint(&b));
        let c = BTreeMap::from([("a".to_string(), "12".to_string())]);
        assert_ne!(label_fingerprint(&a), label_fingerprint(&c));
    }
}
