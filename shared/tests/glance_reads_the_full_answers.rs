//! The first-response screens' projections ([`beacon_shared::api::glance`])
//! read the JSON of the full answers the worker writes, field for field.

use beacon_shared::api::glance::{AlertListGlance, IncidentDetailGlance, IncidentListGlance};
use beacon_shared::api::post_incident::RecurrenceBanner;
use beacon_shared::api::{
    AlertList, AlertView, IncidentDetail, IncidentList, IncidentView, TimelineEntryView,
};
use beacon_shared::lifecycle::{IncidentStatus, TransitionKind};
use beacon_shared::problem::LinkReason;
use beacon_shared::recurrence::{FixStatus, MatchStrength, RecurrenceSignature};
use beacon_shared::samples::sample_facts;
use beacon_shared::timeline::{Link, ProblemLinkNote, RecurrenceNote, TimelineEvent, WorkLog};
use beacon_shared::timeline_text::describe;
use beacon_shared::{classify_priority, Priority, Timestamp};

fn incident(id: i64) -> IncidentView {
    let facts = sample_facts()
        .into_iter()
        .find(|facts| !classify_priority(facts).matched.is_empty())
        .expect("a sample that fires a rule");
    IncidentView {
        id,
        title: format!("Checkout <fails> #{id}"),
        priority: Priority::P0,
        rules_priority: Priority::P1,
        status: IncidentStatus::Investigating,
        category: Some("Payments".into()),
        labels: vec!["eu".into(), "checkout".into()],
        owner_group: Some("payments".into()),
        classification: classify_priority(&facts),
        facts,
        created_at: Timestamp::from_unix_millis(1_795_403_520_000),
        updated_at: Timestamp::from_unix_millis(1_795_403_580_000),
        created_by: "sam".into(),
    }
}

fn entry(id: i64, event: TimelineEvent) -> TimelineEntryView {
    TimelineEntryView {
        id,
        at: Timestamp::from_unix_millis(1_795_403_520_000 + id * 60_000),
        actor: format!("actor-{id}"),
        event,
    }
}

/// SPEC V11, R3, R6: the incident page's reading of a ticket holds what the
/// full answer says, the timeline as the lines `describe` writes.
#[test]
fn the_incident_page_reads_the_ticket_its_timeline_and_its_problems() {
    let timeline = vec![
        entry(
            1,
            TimelineEvent::WorkLog(WorkLog {
                text: "Rolled back".into(),
            }),
        ),
        entry(
            2,
            TimelineEvent::Link(Link {
                title: "chat".into(),
                url: "https://chat.example/x".into(),
            }),
        ),
        entry(
            3,
            TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
                problem: 7,
                strength: MatchStrength::AlertKey,
                fix: FixStatus::Verified,
                raised_from: Some(Priority::P2),
            }),
        ),
        entry(
            4,
            TimelineEvent::LinkedToProblem(ProblemLinkNote {
                problem: 7,
                reason: LinkReason::Recurrence,
            }),
        ),
        entry(
            5,
            TimelineEvent::LinkedToProblem(ProblemLinkNote {
                problem: 3,
                reason: LinkReason::Manual,
            }),
        ),
    ];
    let mut full = IncidentDetail::new(
        incident(9),
        timeline.clone(),
        vec![TransitionKind::Discard, TransitionKind::ClassifyAsProblem],
    );
    full.recurrence = Some(RecurrenceBanner {
        problem: 7,
        fix: FixStatus::Verified,
        text: "Recurrence of problem #7".into(),
        signature: RecurrenceSignature::AlertRule {
            integration: beacon_shared::triage::Name::parse("am").unwrap(),
            alertname: "HighLatency".into(),
            service: Some("checkout".into()),
        },
        fix_ineffective: true,
    });
    let json = serde_json::to_string(&full).unwrap();
    let glance: IncidentDetailGlance = serde_json::from_str(&json).unwrap();

    let ticket = &glance.incident;
    let view = &full.incident;
    assert_eq!(
        (
            ticket.id,
            &ticket.title,
            ticket.priority,
            ticket.rules_priority,
            ticket.status
        ),
        (
            view.id,
            &view.title,
            view.priority,
            view.rules_priority,
            view.status
        )
    );
    assert_eq!(
        (&ticket.category, &ticket.labels, &ticket.owner_group),
        (&view.category, &view.labels, &view.owner_group)
    );
    assert_eq!(
        (ticket.created_at, &ticket.created_by),
        (view.created_at, &view.created_by)
    );
    let reasons: Vec<_> = ticket
        .classification
        .matched
        .iter()
        .map(|m| (m.priority, m.reason.clone()))
        .collect();
    let expected: Vec<_> = view
        .classification
        .matched
        .iter()
        .map(|m| (m.priority, m.reason.clone()))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(reasons, expected);

    assert_eq!(glance.timeline.len(), timeline.len());
    for (line, entry) in glance.timeline.iter().zip(&timeline) {
        assert_eq!((line.at, &line.actor), (entry.at, &entry.actor));
        assert_eq!(line.kind, entry.event.kind());
        assert_eq!(line.text, describe(entry));
    }
    assert_eq!(
        glance.timeline[1]
            .text
            .link
            .as_ref()
            .map(|l| l.url.as_str()),
        Some("https://chat.example/x")
    );
    assert_eq!(glance.allowed_transitions, full.allowed_transitions);
    // Each problem once, in the order linked.
    assert_eq!(glance.linked_problems, vec![7, 3]);
    assert_eq!(glance.impact_started_at, full.impact_started_at);
    let banner = glance.recurrence.expect("the banner");
    assert_eq!(
        (
            banner.problem,
            banner.fix,
            banner.text.as_str(),
            banner.fix_ineffective
        ),
        (7, FixStatus::Verified, "Recurrence of problem #7", true)
    );
}

/// SPEC V1: the queue reads every ticket of the list.
#[test]
fn the_queue_reads_every_ticket() {
    let full = IncidentList {
        incidents: vec![incident(1), incident(2)],
    };
    let glance: IncidentListGlance =
        serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
    let ids: Vec<_> = glance
        .incidents
        .iter()
        .map(|i| (i.id, i.title.clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (1, "Checkout <fails> #1".into()),
            (2, "Checkout <fails> #2".into())
        ]
    );
}

/// SPEC I2: the incident page reads its alerts and whether more exist.
#[test]
fn the_incident_page_reads_its_alerts() {
    let alert = |id: i64, status: &str, severity: Option<&str>| AlertView {
        id,
        integration: "am".into(),
        dedup_key: format!("key-{id}"),
        status: status.into(),
        summary: format!("HighLatency on web-{id}"),
        severity: severity.map(str::to_owned),
        incident_id: Some(9),
        incident_status: Some(IncidentStatus::Triage),
        deliveries: 2,
        first_seen: Timestamp::from_unix_millis(0),
        last_seen: Timestamp::from_unix_millis(60_000),
    };
    let full = AlertList {
        alerts: vec![
            alert(1, "triggered", Some("critical")),
            alert(2, "resolved", None),
        ],
        limit: 500,
        more: true,
    };
    let glance: AlertListGlance =
        serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
    assert!(glance.more);
    let read: Vec<_> = glance
        .alerts
        .iter()
        .map(|a| (a.summary.as_str(), a.status.as_str(), a.severity.as_deref()))
        .collect();
    assert_eq!(
        read,
        vec![
            ("HighLatency on web-1", "triggered", Some("critical")),
            ("HighLatency on web-2", "resolved", None)
        ]
    );
}
