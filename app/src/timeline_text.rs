//! One readable line per timeline entry, from its typed [`TimelineEvent`].

use beacon_shared::api::TimelineEntryView;
use beacon_shared::lifecycle::{ClosingConfirmation, Transition};
use beacon_shared::timeline::{
    AcknowledgedVia, AlertNote, EscalationNote, RecipientKind, TimelineEvent,
};
use beacon_shared::triage::LinkUrl;

/// What the incident page shows for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryText {
    pub summary: String,
    /// A link's title and its checked http(s) address.
    pub link: Option<(String, String)>,
}

fn or_none(value: Option<&str>) -> &str {
    value.unwrap_or("none")
}

fn status_words(status: impl std::fmt::Display) -> String {
    status.to_string().replace('_', " ")
}

fn alert_line(what: &str, note: &AlertNote) -> String {
    let mut summary = format!("Alert {what} by {}: {}", note.integration, note.summary);
    if note.short_lived == Some(true) {
        summary.push_str(" (cleared before triage: short-lived)");
    }
    summary
}

fn escalation_line(what: &str, note: &EscalationNote) -> String {
    let to = &note.kind.to;
    let who = match (&to.kind, &to.name) {
        (_, Some(name)) => name.clone(),
        (RecipientKind::Management, None) => "management".into(),
        _ => "nobody on the rota".into(),
    };
    format!(
        "{what} {who} ({} channel{})",
        note.channels,
        if note.channels == 1 { "" } else { "s" }
    )
}

/// Describes `entry` in one sentence.
pub fn describe(entry: &TimelineEntryView) -> EntryText {
    let plain = |summary: String| EntryText {
        summary,
        link: None,
    };
    match &entry.event {
        TimelineEvent::Created(created) => {
            plain(format!("Recorded in triage as {}", created.state.priority))
        }
        TimelineEvent::StatusChanged(change) => {
            let mut summary = format!(
                "Status {} → {}",
                status_words(change.from),
                status_words(change.to)
            );
            match &change.transition {
                Transition::Discard { reason } => summary.push_str(&format!(": {reason}")),
                Transition::ClassifyAsProblem { priority } => {
                    summary.push_str(&format!(" as {priority}"))
                }
                Transition::Close {
                    confirmation: ClosingConfirmation::CommanderOverride { reason },
                } => summary.push_str(&format!(" (commander's override: {reason})")),
                Transition::Close {
                    confirmation: ClosingConfirmation::SubmitterConfirmed,
                } => summary.push_str(" (submitter confirmed)"),
                _ => {}
            }
            plain(summary)
        }
        TimelineEvent::PriorityChanged(change) => {
            let mut summary = match change.from {
                Some(from) => format!("Priority {from} → {}", change.to),
                None => format!("Priority set to {}", change.to),
            };
            summary.push_str(&format!(" (rules say {})", change.rules_priority));
            if let Some(reason) = &change.reason {
                summary.push_str(&format!(": {reason}"));
            }
            plain(summary)
        }
        TimelineEvent::CategoryChanged(change) => plain(format!(
            "Category {} → {}",
            or_none(change.from.as_deref()),
            or_none(change.to.as_deref())
        )),
        TimelineEvent::OwnerChanged(change) => plain(format!(
            "Owning group {} → {}",
            or_none(change.from.as_deref()),
            or_none(change.to.as_deref())
        )),
        TimelineEvent::WorkLog(log) => plain(log.text.clone()),
        TimelineEvent::Link(link) => EntryText {
            summary: format!("Attached: {}", link.title),
            link: LinkUrl::parse(&link.url)
                .ok()
                .map(|url| (link.title.clone(), url.as_str().to_owned())),
        },
        TimelineEvent::AlertTriggered(note) => plain(alert_line("triggered", note)),
        TimelineEvent::AlertRepeated(note) => plain(alert_line("repeated", note)),
        TimelineEvent::AlertAcknowledged(note) => plain(alert_line("acknowledged", note)),
        TimelineEvent::AlertResolved(note) => plain(alert_line("resolved", note)),
        TimelineEvent::AlertDropped(note) => plain(alert_line("dropped", note)),
        TimelineEvent::AlertAttached(moved) => plain(format!(
            "Alert attached from incident {}: {}",
            moved
                .from_incident
                .map(|i| i.to_string())
                .unwrap_or_default(),
            moved.summary
        )),
        TimelineEvent::AlertDetached(moved) => plain(format!(
            "Alert moved to incident {}: {}",
            moved.to_incident.map(|i| i.to_string()).unwrap_or_default(),
            moved.summary
        )),
        TimelineEvent::Acknowledged(ack) => plain(format!(
            "Acknowledged by {}{}",
            ack.by,
            if ack.via == AcknowledgedVia::SignedLink {
                " (from the page's link)"
            } else {
                ""
            }
        )),
        TimelineEvent::Paged(note) => plain(escalation_line("Paged", note)),
        TimelineEvent::Reminded(note) => plain(escalation_line("Reminded", note)),
        TimelineEvent::Escalated(note) => plain(escalation_line("Escalated to", note)),
        TimelineEvent::TeamPaged(page) => {
            plain(format!("Pulled in the {} team: {}", page.team, page.reason))
        }
        TimelineEvent::NotificationFailed(failure) => plain(format!(
            "A notification could not be delivered after {} attempts: {}",
            failure.attempts, failure.error
        )),
        TimelineEvent::CustomerUpdate(update) => plain(format!(
            "Customer update on the status page ({}){}",
            status_words(update.status),
            update
                .body
                .as_deref()
                .map(|b| format!(": {b}"))
                .unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::Timestamp;
    use serde_json::{json, Value};

    fn entry(kind: &str, body: Value) -> TimelineEntryView {
        TimelineEntryView {
            id: 1,
            at: Timestamp::from_unix_millis(0),
            actor: "sam".into(),
            event: TimelineEvent::from_stored(kind, &body.to_string()).expect("a valid entry"),
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
            json!({"from": "P1", "to": "P2", "rules_priority": "P1", "decision": "lowered_by_management", "reason": "one customer"}),
        );
        assert_eq!(
            describe(&lowered).summary,
            "Priority P1 → P2 (rules say P1): one customer"
        );
        let resolved = entry(
            "alert_resolved",
            json!({"integration": "prod-am", "format": "alertmanager", "dedup_key": "k1", "summary": "Disk full", "short_lived": true}),
        );
        assert_eq!(
            describe(&resolved).summary,
            "Alert resolved by prod-am: Disk full (cleared before triage: short-lived)"
        );
        let attached = entry(
            "alert_attached",
            json!({"alert_id": 3, "integration": "prod-am", "dedup_key": "k1", "from_incident": 7, "summary": "Disk full"}),
        );
        assert_eq!(
            describe(&attached).summary,
            "Alert attached from incident 7: Disk full"
        );
        let paged = entry(
            "paged",
            json!({"action": "page", "key": "incident/1/page/0", "due_at": "2026-11-23T03:12:00Z",
                   "kind": {"type": "remind", "to": {"kind": "person", "name": "ic-alice", "on_call": null},
                            "deadline": "acknowledge", "deadline_at": "2026-11-23T03:27:00Z"},
                   "channels": 1}),
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
