//! One readable line per timeline entry, from its typed [`TimelineEvent`]:
//! sent with every entry on the wire (`"text"`), so that a reader (the SRE's
//! incident page, an API client) shows it without knowing every event kind.

use crate::api::TimelineEntryView;
use crate::lifecycle::{ClosingConfirmation, Transition};
use crate::timeline::{AcknowledgedVia, AlertNote, EscalationNote, RecipientKind, TimelineEvent};
use crate::triage::LinkUrl;
use serde::{Deserialize, Serialize};

/// What a reader shows for one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryText {
    pub summary: String,
    /// An attached link, when its address is a checked http(s) one.
    pub link: Option<EntryLink>,
}

/// An attachment's title and its checked http(s) address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryLink {
    pub title: String,
    pub url: String,
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
            link: LinkUrl::parse(&link.url).ok().map(|url| EntryLink {
                title: link.title.clone(),
                url: url.as_str().to_owned(),
            }),
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
        TimelineEvent::LinkedToProblem(link) => {
            plain(format!("Linked to problem #{}", link.problem))
        }
        TimelineEvent::RecurrenceOfProblem(note) => plain(format!(
            "Recurrence of problem #{}, fix: {}{}",
            note.problem,
            note.fix.label(),
            note.raised_from
                .map(|from| format!(" (priority raised from {from})"))
                .unwrap_or_default()
        )),
        TimelineEvent::ProblemReopened(note) => plain(if note.fix_ineffective {
            format!("Problem #{} reopened: fix ineffective", note.problem)
        } else {
            format!("Problem #{} reopened", note.problem)
        }),
        TimelineEvent::ImpactStartSet(start) => plain(match start.previous {
            Some(previous) => format!(
                "Impact start {} → {}",
                crate::format_utc_minutes(previous),
                crate::format_utc_minutes(start.impact_started_at)
            ),
            None => format!(
                "Impact started at {}",
                crate::format_utc_minutes(start.impact_started_at)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::IngestFormat;
    use crate::escalation::IdempotencyKey;
    use crate::lifecycle::{IncidentStatus, Transition};
    use crate::timeline::{
        Acknowledgement, AlertMove, Link, NotifiedAction, NotifiedRecipient, PriorityChangeKind,
        PriorityChanged, StatusChanged,
    };
    use crate::Priority;
    use crate::Timestamp;

    fn entry(event: TimelineEvent) -> TimelineEntryView {
        TimelineEntryView {
            id: 1,
            at: Timestamp::from_unix_millis(0),
            actor: "sam".into(),
            event,
        }
    }

    fn link(url: &str) -> TimelineEntryView {
        entry(TimelineEvent::Link(Link {
            title: "chat".into(),
            url: url.into(),
        }))
    }

    /// SPEC R6: the recurrence lines name the problem and its fix.
    #[test]
    fn describes_problem_links_and_recurrences() {
        use crate::problem::LinkReason;
        use crate::recurrence::{FixStatus, MatchStrength};
        use crate::timeline::{ProblemLinkNote, ProblemReopenedNote, RecurrenceNote};
        let cases = [
            (
                TimelineEvent::LinkedToProblem(ProblemLinkNote {
                    problem: 12,
                    reason: LinkReason::Manual,
                }),
                "Linked to problem #12",
            ),
            (
                TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
                    problem: 12,
                    strength: MatchStrength::AlertKey,
                    fix: FixStatus::Verified,
                    raised_from: Some(Priority::P2),
                }),
                "Recurrence of problem #12, fix: verified (priority raised from P2)",
            ),
            (
                TimelineEvent::ProblemReopened(ProblemReopenedNote {
                    problem: 12,
                    fix_ineffective: true,
                }),
                "Problem #12 reopened: fix ineffective",
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(describe(&entry(event)).summary, expected);
        }
    }

    #[test]
    fn describes_each_kind() {
        let note = AlertNote {
            integration: "prod-am".into(),
            format: IngestFormat::Alertmanager,
            dedup_key: "k1".into(),
            summary: "Disk full".into(),
            severity: None,
            links: Vec::new(),
            short_lived: Some(true),
        };
        let cases = [
            (
                TimelineEvent::StatusChanged(StatusChanged {
                    from: IncidentStatus::Triage,
                    to: IncidentStatus::Discarded,
                    transition: Transition::Discard {
                        reason: "test alert".into(),
                    },
                    priority_decision: None,
                }),
                "Status triage → discarded: test alert",
            ),
            (
                TimelineEvent::PriorityChanged(PriorityChanged {
                    from: Some(Priority::P1),
                    to: Priority::P2,
                    rules_priority: Priority::P1,
                    decision: PriorityChangeKind::LoweredByManagement,
                    reason: Some("one customer".into()),
                }),
                "Priority P1 → P2 (rules say P1): one customer",
            ),
            (
                TimelineEvent::AlertResolved(note.clone()),
                "Alert resolved by prod-am: Disk full (cleared before triage: short-lived)",
            ),
            (
                TimelineEvent::AlertAttached(AlertMove {
                    alert_id: 3,
                    integration: "prod-am".into(),
                    dedup_key: "k1".into(),
                    summary: "Disk full".into(),
                    from_incident: Some(7),
                    to_incident: None,
                }),
                "Alert attached from incident 7: Disk full",
            ),
            (
                TimelineEvent::Paged(EscalationNote {
                    action: "page".into(),
                    key: IdempotencyKey::from_stored("incident/1/page/0".into()),
                    due_at: Timestamp::from_unix_millis(0),
                    kind: NotifiedAction {
                        to: NotifiedRecipient {
                            kind: RecipientKind::Person,
                            name: Some("ic-alice".into()),
                        },
                    },
                    channels: 1,
                    unstaffed: false,
                }),
                "Paged ic-alice (1 channel)",
            ),
            (
                TimelineEvent::Acknowledged(Acknowledgement {
                    by: "ic-alice".into(),
                    via: AcknowledgedVia::SignedLink,
                }),
                "Acknowledged by ic-alice (from the page's link)",
            ),
        ];
        for (event, summary) in cases {
            assert_eq!(describe(&entry(event)).summary, summary);
        }
        assert_eq!(
            describe(&link("https://chat.example/x")).link,
            Some(EntryLink {
                title: "chat".into(),
                url: "https://chat.example/x".into()
            })
        );
    }

    #[test]
    fn unsafe_links_are_not_linked() {
        assert_eq!(describe(&link("javascript:alert(1)")).link, None);
    }
}
