//! Alerts from monitoring systems (SPEC V2, I1, I2): the one shape every webhook
//! format ends in, and the documented mapping from an alert onto triage facts.

use crate::timestamp::Timestamp;
use crate::triage::{parsed_text_type, Hostname, Measurements, Name, Source, Title, TriageFacts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The webhook formats Beacon accepts (SPEC I1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestFormat {
    Alertmanager,
    Grafana,
    Pagerduty,
    Generic,
}

impl IngestFormat {
    pub const ALL: [IngestFormat; 4] = [
        IngestFormat::Alertmanager,
        IngestFormat::Grafana,
        IngestFormat::Pagerduty,
        IngestFormat::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IngestFormat::Alertmanager => "alertmanager",
            IngestFormat::Grafana => "grafana",
            IngestFormat::Pagerduty => "pagerduty",
            IngestFormat::Generic => "generic",
        }
    }
}

display_as_str!(IngestFormat);

impl std::str::FromStr for IngestFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IngestFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format {s:?}"))
    }
}

/// Why a dedup key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DedupKeyError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters, got {got}")]
    TooLong { max: usize, got: usize },
}

parsed_text_type!(
    /// What makes two deliveries the same alert within one integration (SPEC V2, I2):
    /// Alertmanager's and Grafana's fingerprint, PagerDuty's `dedup_key`.
    DedupKey,
    DedupKeyError
);

impl DedupKey {
    /// PagerDuty's limit, used for every format.
    pub const MAX_CHARS: usize = 255;

    pub fn parse(value: &str) -> Result<Self, DedupKeyError> {
        let got = value.chars().count();
        if value.trim().is_empty() {
            Err(DedupKeyError::Empty)
        } else if got > Self::MAX_CHARS {
            Err(DedupKeyError::TooLong {
                max: Self::MAX_CHARS,
                got,
            })
        } else {
            Ok(Self(value.to_owned()))
        }
    }
}

/// What a delivery says about an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    /// Firing (Alertmanager/Grafana `firing`, PagerDuty `trigger`).
    Trigger,
    /// Someone is on it (PagerDuty `acknowledge`).
    Acknowledge,
    /// The condition cleared (Alertmanager/Grafana `resolved`, PagerDuty `resolve`).
    Resolve,
}

/// How bad the sender says it is (PagerDuty's four levels; Alertmanager's `severity` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Info,
    ];

    /// The snake_case name, as on the wire (PagerDuty's `payload.severity`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Reads common spellings (`critical`, `page`, `high`, `warn`, ...); `None` if unknown.
    pub fn from_label(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "page" | "p1" | "fatal" | "emergency" => Some(Severity::Critical),
            "error" | "err" | "high" | "major" => Some(Severity::Error),
            "warning" | "warn" | "medium" | "minor" => Some(Severity::Warning),
            "info" | "informational" | "low" | "none" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// One alert as a monitoring system reported it, whatever the wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSignal {
    pub dedup_key: DedupKey,
    pub action: AlertAction,
    /// One line: Alertmanager's `summary` annotation or `alertname`, PagerDuty's `payload.summary`.
    pub summary: String,
    /// Where it happened (PagerDuty `payload.source`, Alertmanager `instance`).
    pub source: Option<String>,
    pub severity: Option<Severity>,
    /// Labels, plus PagerDuty's component/group/class; annotations are kept apart.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// When the condition started (T4), if the sender said.
    pub started_at: Option<Timestamp>,
    /// Links the sender gave: generator, dashboard, runbook, silence.
    pub links: Vec<AlertLink>,
}

/// A link that came with an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertLink {
    pub text: String,
    pub href: String,
}

/// How an integration turns an alert into triage facts (SPEC T1, T3, T4), documented
/// in the README. The defaults suit Prometheus conventions; a team can replace them
/// per integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertMapping {
    /// Labels that name the system or application (T3), first present wins.
    pub system_labels: Vec<String>,
    /// Labels that name the host (T3), first present wins; a `:port` suffix is dropped.
    pub hostname_labels: Vec<String>,
    /// Labels and annotations starting with this prefix set the measurement of
    /// the same name: `beacon_availability_global="97.5"`,
    /// `beacon_critical_system_degraded="true"`.
    pub measurement_prefix: String,
    /// Measurement flags a severity sets. By default `critical` sets
    /// `critical_system_degraded` (P0: a critical alert pages the IC until a person
    /// triages it), `error` sets `sporadic_or_local_problem` and `warning` sets
    /// `not_visible_to_clients` (both P2); `info` sets nothing (P3).
    pub severity_flags: BTreeMap<Severity, Vec<String>>,
}

impl Default for AlertMapping {
    fn default() -> Self {
        Self {
            system_labels: ["service", "app", "application", "job", "component"]
                .map(String::from)
                .to_vec(),
            hostname_labels: ["hostname", "host", "instance", "node"]
                .map(String::from)
                .to_vec(),
            measurement_prefix: "beacon_".into(),
            severity_flags: BTreeMap::from([
                (Severity::Critical, vec!["critical_system_degraded".into()]),
                (Severity::Error, vec!["sporadic_or_local_problem".into()]),
                (Severity::Warning, vec!["not_visible_to_clients".into()]),
            ]),
        }
    }
}

/// The facts an alert gives, and what in it could not be used (for the timeline).
#[derive(Debug, Clone, PartialEq)]
pub struct MappedAlert {
    pub title: Title,
    pub facts: TriageFacts,
    pub ignored: Vec<String>,
}

impl AlertMapping {
    /// The triage facts for a new incident from `signal`, sent by `integration`
    /// (a monitoring system of kind `format`), received at `received_at`.
    pub fn map(
        &self,
        signal: &AlertSignal,
        format: IngestFormat,
        integration: &Name,
        received_at: Timestamp,
    ) -> MappedAlert {
        let mut ignored = Vec::new();
        let first_label = |keys: &[String]| {
            keys.iter()
                .find_map(|k| signal.labels.get(k).filter(|v| !v.trim().is_empty()))
                .cloned()
        };
        let system = first_label(&self.system_labels).and_then(|s| Name::parse(&s).ok());
        let hostname = first_label(&self.hostname_labels)
            .or_else(|| signal.source.clone())
            .and_then(|h| {
                let host = strip_port(&h);
                Hostname::parse(host).ok()
            });

        let mut measurements = serde_json::Map::new();
        if let Some(flags) = signal.severity.and_then(|s| self.severity_flags.get(&s)) {
            for flag in flags {
                measurements.insert(flag.clone(), serde_json::Value::Bool(true));
            }
        }
        for (key, value) in signal.labels.iter().chain(&signal.annotations) {
            if let Some(field) = key.strip_prefix(&self.measurement_prefix) {
                measurements.insert(field.to_owned(), measurement_value(value));
            }
        }
        let measurements = self.checked_measurements(measurements, &mut ignored);

        let facts = TriageFacts {
            source: Some(Source::Monitoring {
                system: Name::parse(format.as_str()).expect("format names are valid names"),
                name: Some(integration.clone()),
            }),
            system,
            hostname,
            alerted_at: Some(signal.started_at.unwrap_or(received_at)),
            measurements,
            ..TriageFacts::default()
        };
        let title = Title::parse(&signal.summary)
            .or_else(|_| Title::parse(&format!("Alert {}", signal.dedup_key)))
            .or_else(|_| Title::parse("Alert"))
            .expect("a fixed title is valid");
        MappedAlert {
            title,
            facts,
            ignored,
        }
    }

    /// Keeps the measurements that parse, one by one, and names the rest.
    fn checked_measurements(
        &self,
        candidates: serde_json::Map<String, serde_json::Value>,
        ignored: &mut Vec<String>,
    ) -> Measurements {
        let mut accepted = serde_json::Map::new();
        for (key, value) in candidates {
            let mut trial = accepted.clone();
            trial.insert(key.clone(), value.clone());
            match serde_json::from_value::<Measurements>(serde_json::Value::Object(trial)) {
                Ok(_) => {
                    accepted.insert(key, value);
                }
                Err(err) => {
                    ignored.push(format!("{}{key}={value}: {err}", self.measurement_prefix))
                }
            }
        }
        serde_json::from_value(serde_json::Value::Object(accepted)).unwrap_or_default()
    }
}

/// `"true"` and numbers become JSON booleans and numbers; anything else stays text.
fn measurement_value(value: &str) -> serde_json::Value {
    let value = value.trim();
    match value {
        "true" | "yes" => serde_json::Value::Bool(true),
        "false" | "no" => serde_json::Value::Bool(false),
        _ => value
            .trim_end_matches('%')
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(
                || serde_json::Value::String(value.to_owned()),
                serde_json::Value::Number,
            ),
    }
}

/// `db-1:9100` -> `db-1`; IPv6 literals in brackets keep their address.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{classify_priority, Priority};

    fn signal(labels: &[(&str, &str)], severity: Option<Severity>) -> AlertSignal {
        AlertSignal {
            dedup_key: DedupKey::parse("abc").unwrap(),
            action: AlertAction::Trigger,
            summary: "API error rate above 5%".into(),
            source: None,
            severity,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: BTreeMap::new(),
            started_at: Some(Timestamp::from_unix_millis(1_000)),
            links: Vec::new(),
        }
    }

    /// SPEC T1, T3, T4: source, system, host and alert time come from the alert.
    #[test]
    fn default_mapping_fills_source_system_host_and_time() {
        let mapped = AlertMapping::default().map(
            &signal(&[("job", "api"), ("instance", "api-1.eu:9100")], None),
            IngestFormat::Alertmanager,
            &Name::parse("prod-am").unwrap(),
            Timestamp::from_unix_millis(5_000),
        );
        let facts = &mapped.facts;
        assert_eq!(facts.system.as_ref().unwrap().as_str(), "api");
        assert_eq!(facts.hostname.as_ref().unwrap().as_str(), "api-1.eu");
        assert_eq!(facts.alerted_at, Some(Timestamp::from_unix_millis(1_000)));
        assert!(matches!(
            &facts.source,
            Some(Source::Monitoring { system, name: Some(name) })
                if system.as_str() == "alertmanager" && name.as_str() == "prod-am"
        ));
        assert_eq!(mapped.title.as_str(), "API error rate above 5%");
    }

    /// SPEC P0, P2, P3: measurement labels and severity feed the SOP's rules; bad ones are named.
    #[test]
    fn measurement_labels_and_severity_classify() {
        let mapping = AlertMapping::default();
        let name = Name::parse("prod").unwrap();
        let at = Timestamp::from_unix_millis(0);
        let cases = [
            (
                signal(&[("beacon_availability_global", "97.5%")], None),
                IngestFormat::Alertmanager,
                Priority::P0,
            ),
            (
                signal(&[], Some(Severity::Critical)),
                IngestFormat::Pagerduty,
                Priority::P0,
            ),
            (
                signal(&[], Some(Severity::Warning)),
                IngestFormat::Pagerduty,
                Priority::P2,
            ),
            (
                signal(&[], Some(Severity::Info)),
                IngestFormat::Pagerduty,
                Priority::P3,
            ),
        ];
        for (signal, format, priority) in cases {
            let mapped = mapping.map(&signal, format, &name, at);
            assert_eq!(
                classify_priority(&mapped.facts).priority,
                priority,
                "{signal:?}"
            );
        }
        let bad = mapping.map(
            &signal(
                &[
                    ("beacon_availability_global", "120"),
                    ("beacon_colour", "red"),
                ],
                None,
            ),
            IngestFormat::Alertmanager,
            &name,
            at,
        );
        assert_eq!(bad.ignored.len(), 2, "{:?}", bad.ignored);
        assert_eq!(classify_priority(&bad.facts).priority, Priority::P3);
    }

    #[test]
    fn dedup_keys_are_bounded() {
        assert_eq!(DedupKey::parse(" "), Err(DedupKeyError::Empty));
        assert!(DedupKey::parse(&"k".repeat(256)).is_err());
        assert!(DedupKey::parse(&"k".repeat(255)).is_ok());
    }
}
