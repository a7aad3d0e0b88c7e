//! One readable line per timeline entry, from the entry's kind and JSON body.
//!
//! The worker writes the bodies (`created`, `status_changed`, `priority_changed`,
//! `category_changed`, `owner_changed`, `work_log`, `link`); anything else is
//! shown by its kind so that a newer worker never breaks an older page.

use beacon_shared::api::TimelineEntryView;
use beacon_shared::triage::LinkUrl;
use serde_json::Value;

/// What the incident page shows for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryText {
    pub summary: String,
    /// A link's title and its checked http(s) address.
    pub link: Option<(String, String)>,
}

fn text<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn or_none(value: Option<&str>) -> &str {
    value.unwrap_or("none")
}

fn status_words(status: Option<&str>) -> String {
    or_none(status).replace('_', " ")
}

/// Describes `entry` in one sentence.
pub fn describe(entry: &TimelineEntryView) -> EntryText {
    let body = &entry.body;
    let plain = |summary: String| EntryText {
        summary,
        link: None,
    };
    match entry.kind.as_str() {
        "created" => {
            let priority = body
                .pointer("/state/priority")
                .and_then(Value::as_str)
                .unwrap_or("?");
            plain(format!("Recorded in triage as {priority}"))
        }
        "status_changed" => {
            let mut summary = format!(
                "Status {} → {}",
                status_words(text(body, "from")),
                status_words(text(body, "to"))
            );
            let transition = body.get("transition").unwrap_or(&Value::Null);
            if let Some(reason) = text(transition, "reason") {
                summary.push_str(&format!(": {reason}"));
            }
            if let Some(priority) = text(transition, "priority") {
                summary.push_str(&format!(" as {priority}"));
            }
            if let Some(reason) = transition
                .pointer("/confirmation/reason")
                .and_then(Value::as_str)
            {
                summary.push_str(&format!(" (commander's override: {reason})"));
            } else if transition
                .pointer("/confirmation/kind")
                .and_then(Value::as_str)
                == Some("submitter_confirmed")
            {
                summary.push_str(" (submitter confirmed)");
            }
            plain(summary)
        }
        "priority_changed" => {
            let mut summary = match text(body, "from") {
                Some(from) => format!("Priority {from} → {}", or_none(text(body, "to"))),
                None => format!("Priority set to {}", or_none(text(body, "to"))),
            };
            if let Some(rules) = text(body, "rules_priority") {
                summary.push_str(&format!(" (rules say {rules})"));
            }
            if let Some(reason) = text(body, "reason") {
                summary.push_str(&format!(": {reason}"));
            }
            plain(summary)
        }
        "category_changed" => plain(format!(
            "Category {} → {}",
            or_none(text(body, "from")),
            or_none(text(body, "to"))
        )),
        "owner_changed" => plain(format!(
            "Owning group {} → {}",
            or_none(text(body, "from")),
            or_none(text(body, "to"))
        )),
        "work_log" => plain(text(body, "text").unwrap_or_default().to_owned()),
        "link" => {
            let title = text(body, "title").unwrap_or("link").to_owned();
            let link = text(body, "url")
                .and_then(|url| LinkUrl::parse(url).ok())
                .map(|url| (title.clone(), url.as_str().to_owned()));
            EntryText {
                summary: format!("Attached: {title}"),
                link,
            }
        }
        "alert_triggered" | "alert_repeated" | "alert_acknowledged" | "alert_resolved"
        | "alert_dropped" => {
            let what = entry.kind.trim_start_matches("alert_");
            let mut summary = format!(
                "Alert {what} by {}: {}",
                text(body, "integration").unwrap_or("monitoring"),
                text(body, "summary").unwrap_or_default()
            );
            if body.get("short_lived").and_then(Value::as_bool) == Some(true) {
                summary.push_str(" (cleared before triage: short-lived)");
            }
            plain(summary)
        }
        "alert_attached" => plain(format!(
            "Alert attached from incident {}: {}",
            body.get("from_incident")
                .map(Value::to_string)
                .unwrap_or_default(),
            text(body, "summary").unwrap_or_default()
        )),
        "alert_detached" => plain(format!(
            "Alert moved to incident {}: {}",
            body.get("to_incident")
                .map(Value::to_string)
                .unwrap_or_default(),
            text(body, "summary").unwrap_or_default()
        )),
        "acknowledged" => plain(format!(
            "Acknowledged by {}{}",
            text(body, "by").unwrap_or("someone"),
            if text(body, "via") == Some("signed_link") {
                " (from the page's link)"
            } else {
                ""
            }
        )),
        "paged" | "reminded" | "escalated" => {
            let to = body.pointer("/kind/to");
            let who = to
                .and_then(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
                .or_else(|| {
                    to.and_then(|t| t.get("kind").and_then(Value::as_str))
                        .map(|k| k.replace('_', " "))
                })
                .unwrap_or_else(|| "nobody".into());
            let channels = body.get("channels").and_then(Value::as_u64).unwrap_or(0);
            let what = match entry.kind.as_str() {
                "paged" => "Paged",
                "reminded" => "Reminded",
                _ => "Escalated to",
            };
            plain(format!(
                "{what} {who} ({channels} channel{})",
                if channels == 1 { "" } else { "s" }
            ))
        }
        "team_paged" => plain(format!(
            "Pulled in the {} team: {}",
            text(body, "team").unwrap_or("?"),
            text(body, "reason").unwrap_or_default()
        )),
        "notification_failed" => plain(format!(
            "A notification could not be delivered after {} attempts: {}",
            body.get("attempts").and_then(Value::as_u64).unwrap_or(0),
            text(body, "error").unwrap_or_default()
        )),
        other => plain(other.replace('_', " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::Timestamp;
    use serde_json::json;

    fn entry(kind: &str, body: Value) -> TimelineEntryView {
        TimelineEntryView {
            id: 1,
            at: Timestamp::from_unix_millis(0),
            actor: "sam".into(),
            kind: kind.into(),
            body,
        }
    }

    #[test]
    fn describes_each_kind() {
        let discard = entry(
            "status_changed",
            json!({"from": "triage", "to": "discarded", "transition": {"action": "discard", "reason": "test alert"}}),
        );
        assert_eq!(
            describe(&discard).summary,
            "Status triage → discarded: test alert"
        );
        let lowered = entry(
            "priority_changed",
            json!({"from": "P1", "to": "P2", "rules_priority": "P1", "reason": "one customer"}),
        );
        assert_eq!(
            describe(&lowered).summary,
            "Priority P1 → P2 (rules say P1): one customer"
        );
        let resolved = entry(
            "alert_resolved",
            json!({"integration": "prod-am", "summary": "Disk full", "short_lived": true}),
        );
        assert_eq!(
            describe(&resolved).summary,
            "Alert resolved by prod-am: Disk full (cleared before triage: short-lived)"
        );
        let attached = entry(
            "alert_attached",
            json!({"from_incident": 7, "summary": "Disk full"}),
        );
        assert_eq!(
            describe(&attached).summary,
            "Alert attached from incident 7: Disk full"
        );
        let paged = entry(
            "paged",
            json!({"kind": {"type": "page", "to": {"kind": "person", "name": "ic-alice"}}, "channels": 1}),
        );
        assert_eq!(describe(&paged).summary, "Paged ic-alice (1 channel)");
        let acked = entry(
            "acknowledged",
            json!({"by": "ic-alice", "via": "signed_link"}),
        );
        assert_eq!(
            describe(&acked).summary,
            "Acknowledged by ic-alice (from the page's link)"
        );
        let link = entry(
            "link",
            json!({"title": "chat", "url": "https://chat.example/x"}),
        );
        assert_eq!(
            describe(&link).link,
            Some(("chat".into(), "https://chat.example/x".into()))
        );
    }

    #[test]
    fn unsafe_links_are_not_linked() {
        let link = entry("link", json!({"title": "x", "url": "javascript:alert(1)"}));
        assert_eq!(describe(&link).link, None);
    }
}
