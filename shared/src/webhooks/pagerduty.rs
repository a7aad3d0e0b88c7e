//! PagerDuty Events API v2 (`POST /v2/enqueue`): the same fields, the same
//! validation and the same error list, so that existing senders need no change.

use crate::alert::{AlertAction, AlertLink, AlertSignal, DedupKey, Severity};
use crate::timestamp::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;

/// A validated event; `dedup_key` is `None` only for a trigger (the caller generates one).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub routing_key: String,
    pub action: AlertAction,
    pub dedup_key: Option<DedupKey>,
    /// Present for a trigger.
    pub payload: Option<Payload>,
    pub links: Vec<AlertLink>,
    pub client: Option<String>,
    pub client_url: Option<String>,
}

/// `payload` of a trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub summary: String,
    pub source: String,
    pub severity: Severity,
    pub timestamp: Option<Timestamp>,
    pub component: Option<String>,
    pub group: Option<String>,
    pub class: Option<String>,
    pub custom_details: Option<Value>,
}

/// PagerDuty truncates longer summaries; so does Beacon.
pub const MAX_SUMMARY_CHARS: usize = 1024;

fn text_field<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// `object[key]` as a non-blank string, or an error naming `path`.
fn required_string(
    object: &Value,
    key: &str,
    path: &str,
    errors: &mut Vec<String>,
) -> Option<String> {
    match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            errors.push(format!("'{path}' is missing or blank"));
            None
        }
        Some(_) => {
            errors.push(format!("'{path}' must be a string"));
            None
        }
    }
}

/// `object[key]` as a string when present, or an error naming `path`.
fn optional_string(
    object: &Value,
    key: &str,
    path: &str,
    errors: &mut Vec<String>,
) -> Option<String> {
    match object.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(format!("'{path}' must be a string"));
            None
        }
    }
}

/// Reads an event, collecting every problem the way PagerDuty lists them
/// (`"'payload.summary' is missing or blank"`).
pub fn parse_event(body: &Value) -> Result<Event, Vec<String>> {
    let mut errors = Vec::new();
    let Some(object) = body.as_object() else {
        return Err(vec!["Event object is not a JSON object".into()]);
    };
    let routing_key = required_string(body, "routing_key", "routing_key", &mut errors);
    let action = match text_field(body, "event_action") {
        Some("trigger") => Some(AlertAction::Trigger),
        Some("acknowledge") => Some(AlertAction::Acknowledge),
        Some("resolve") => Some(AlertAction::Resolve),
        Some(other) => {
            errors.push(format!(
                "'event_action' must be one of trigger, acknowledge, resolve; got {other:?}"
            ));
            None
        }
        None => {
            errors.push("'event_action' is missing or blank".into());
            None
        }
    };
    let dedup_key = match object.get("dedup_key") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match DedupKey::parse(s) {
            Ok(key) => Some(key),
            Err(err) => {
                errors.push(format!("'dedup_key' {err}"));
                None
            }
        },
        Some(_) => {
            errors.push("'dedup_key' must be a string".into());
            None
        }
    };
    if matches!(
        action,
        Some(AlertAction::Acknowledge | AlertAction::Resolve)
    ) && dedup_key.is_none()
        && !errors.iter().any(|e| e.starts_with("'dedup_key'"))
    {
        errors.push("'dedup_key' is required for acknowledge and resolve".into());
    }
    let payload = if action == Some(AlertAction::Trigger) {
        match object.get("payload") {
            Some(payload @ Value::Object(_)) => parse_payload(payload, &mut errors),
            _ => {
                errors.push("'payload' is missing or not an object".into());
                None
            }
        }
    } else {
        None
    };
    let links = parse_links(object.get("links"), &mut errors);
    if let Some(images) = object.get("images") {
        match images.as_array() {
            Some(images) => {
                for (i, image) in images.iter().enumerate() {
                    if text_field(image, "src").is_none_or(|s| s.trim().is_empty()) {
                        errors.push(format!("'images[{i}].src' is missing or blank"));
                    }
                }
            }
            None => errors.push("'images' must be an array".into()),
        }
    }
    let client = optional_string(body, "client", "client", &mut errors);
    let client_url = optional_string(body, "client_url", "client_url", &mut errors);
    match (routing_key, action, errors.is_empty()) {
        (Some(routing_key), Some(action), true) => Ok(Event {
            routing_key,
            action,
            dedup_key,
            payload,
            links,
            client,
            client_url,
        }),
        _ => Err(errors),
    }
}

fn parse_payload(payload: &Value, errors: &mut Vec<String>) -> Option<Payload> {
    let required = |key: &str, errors: &mut Vec<String>| {
        required_string(payload, key, &format!("payload.{key}"), errors)
    };
    let summary = required("summary", errors);
    let source = required("source", errors);
    let severity = required("severity", errors).and_then(|s| {
        let severity = Severity::ALL.into_iter().find(|v| v.as_str() == s);
        if severity.is_none() {
            errors.push(format!(
                "'payload.severity' must be one of critical, error, warning, info; got {s:?}"
            ));
        }
        severity
    });
    let timestamp = match payload.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => match Timestamp::parse(t) {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push("'payload.timestamp' must be an ISO 8601 date-time".into());
                None
            }
        },
        Some(_) => {
            errors.push("'payload.timestamp' must be a string".into());
            None
        }
    };
    let optional = |key: &str, errors: &mut Vec<String>| {
        optional_string(payload, key, &format!("payload.{key}"), errors)
    };
    let component = optional("component", errors);
    let group = optional("group", errors);
    let class = optional("class", errors);
    Some(Payload {
        summary: summary?.chars().take(MAX_SUMMARY_CHARS).collect(),
        source: source?,
        severity: severity?,
        timestamp,
        component,
        group,
        class,
        custom_details: payload.get("custom_details").cloned(),
    })
}

fn parse_links(links: Option<&Value>, errors: &mut Vec<String>) -> Vec<AlertLink> {
    let Some(links) = links else {
        return Vec::new();
    };
    let Some(links) = links.as_array() else {
        errors.push("'links' must be an array".into());
        return Vec::new();
    };
    links
        .iter()
        .enumerate()
        .filter_map(|(i, link)| match text_field(link, "href") {
            Some(href) if !href.trim().is_empty() => Some(AlertLink {
                text: text_field(link, "text").unwrap_or(href).to_owned(),
                href: href.to_owned(),
            }),
            _ => {
                errors.push(format!("'links[{i}].href' is missing or blank"));
                None
            }
        })
        .collect()
}

impl Event {
    /// The signal, keyed by `dedup_key` or, for a trigger without one, by `generated`.
    pub fn signal(&self, generated: DedupKey) -> AlertSignal {
        let mut labels = BTreeMap::new();
        let mut links = self.links.clone();
        if let Some(url) = &self.client_url {
            links.push(AlertLink {
                text: self.client.clone().unwrap_or_else(|| "client".into()),
                href: url.clone(),
            });
        }
        let payload = self.payload.as_ref();
        if let Some(p) = payload {
            for (key, value) in [
                ("component", &p.component),
                ("group", &p.group),
                ("class", &p.class),
            ] {
                if let Some(value) = value {
                    labels.insert(key.to_owned(), value.clone());
                }
            }
            labels.insert("source".into(), p.source.clone());
            if let Some(Value::Object(details)) = &p.custom_details {
                for (key, value) in details {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    labels.entry(key.clone()).or_insert(text);
                }
            }
        }
        AlertSignal {
            dedup_key: self.dedup_key.clone().unwrap_or(generated),
            action: self.action,
            summary: payload.map(|p| p.summary.clone()).unwrap_or_default(),
            source: payload.map(|p| p.source.clone()),
            severity: payload.map(|p| p.severity),
            labels,
            annotations: BTreeMap::new(),
            started_at: payload.and_then(|p| p.timestamp),
            links,
        }
    }
}

/// An event as Beacon stores it with the delivery: without its
/// `routing_key`, the integration's secret, which is never kept in clear
/// (SPEC I3); everything else as received.
pub fn event_for_storage(event: &serde_json::Value) -> serde_json::Value {
    let mut stored = event.clone();
    if let Some(fields) = stored.as_object_mut() {
        fields.remove("routing_key");
    }
    stored
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// SPEC I1: a complete trigger as PagerDuty documents it.
    #[test]
    fn trigger_with_every_field() {
        let event = parse_event(&json!({
            "routing_key": "R0123456789abcdef0123456789abcdef",
            "event_action": "trigger",
            "dedup_key": "srv01/disk",
            "payload": {
                "summary": "Disk full on srv01", "source": "srv01.example.com",
                "severity": "critical", "timestamp": "2026-11-23T03:12:00Z",
                "component": "postgres", "group": "prod-db", "class": "disk",
                "custom_details": {"free_space": "1%"}
            },
            "images": [{"src": "https://chart.example/x.png", "href": "https://x", "alt": "chart"}],
            "links": [{"href": "https://runbook.example/disk", "text": "runbook"}],
            "client": "Monitoring", "client_url": "https://monitoring.example"
        }))
        .unwrap();
        let signal = event.signal(DedupKey::parse("unused").unwrap());
        assert_eq!(signal.dedup_key.as_str(), "srv01/disk");
        assert_eq!(signal.severity, Some(Severity::Critical));
        assert_eq!(signal.labels["component"], "postgres");
        assert_eq!(signal.links.len(), 2);
    }

    /// SPEC I4: every missing field is listed, as PagerDuty does.
    #[test]
    fn missing_fields_are_each_listed() {
        let errors =
            parse_event(&json!({"event_action": "trigger", "payload": {"severity": "fatal"}}))
                .unwrap_err();
        for field in [
            "'routing_key'",
            "'payload.summary'",
            "'payload.source'",
            "'payload.severity'",
        ] {
            assert!(
                errors.iter().any(|e| e.starts_with(field)),
                "{field} in {errors:?}"
            );
        }
        let errors =
            parse_event(&json!({"routing_key": "r", "event_action": "resolve"})).unwrap_err();
        assert_eq!(
            errors,
            ["'dedup_key' is required for acknowledge and resolve"]
        );
    }

    /// SPEC I3: the routing key is the integration's secret; it is not stored.
    #[test]
    fn the_stored_event_has_no_routing_key() {
        let event =
            json!({"routing_key": "R0123", "event_action": "trigger", "payload": {"summary": "x"}});
        let stored = event_for_storage(&event);
        assert_eq!(
            stored,
            json!({"event_action": "trigger", "payload": {"summary": "x"}})
        );
        assert!(!stored.to_string().contains("R0123"));
    }
}
