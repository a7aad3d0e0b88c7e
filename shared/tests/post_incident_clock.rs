//! Post-incident deadlines walked with a simulated clock (SPEC R1, R2, V8):
//! the sweep is called hour by hour, records what it sent, and the log of
//! reminders and management notifications is compared with the expected one.

use beacon_shared::escalation::{IdempotencyKey, Minutes, Recipient};
use beacon_shared::post_incident_deadlines::{
    evaluate_post_incident, DueAction, DueActionKind, PostIncidentConfig, PostIncidentLimits,
    PostIncidentState,
};
use beacon_shared::remediation::{
    NewRemediationItem, RemediationItem, RemediationKind, RemediationOwner, RemediationStatus,
};
use beacon_shared::triage::{Name, Title};
use beacon_shared::{Priority, Timestamp};
use std::collections::BTreeSet;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const RESOLVED: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const HOUR: i64 = 3_600_000;

fn hour(h: i64) -> Timestamp {
    Timestamp::from_unix_millis(RESOLVED.unix_millis() + h * HOUR)
}

fn name(text: &str) -> Name {
    Name::parse(text).unwrap()
}

fn item(
    id: i64,
    owner: RemediationOwner,
    group: Option<&str>,
    created: i64,
    due: i64,
) -> RemediationItem {
    RemediationItem::new(
        id,
        1,
        NewRemediationItem {
            title: Title::parse("remediation").unwrap(),
            kind: RemediationKind::Prevent,
            owner,
            owning_group: group.map(name),
            due_at: hour(due),
        },
        None,
        hour(created),
    )
    .unwrap()
}

/// The problem as it stands at `now`: item 1 (alice's) is added at hour 24,
/// due at hour 120 and done at hour 110; item 2 (the vendor's, chased by the
/// network team) is due at hour 96 and never done; the report is submitted
/// for review at hour 96 and the review is held at hour 156.
fn state_at(now: Timestamp) -> PostIncidentState {
    let mut items = vec![item(
        2,
        RemediationOwner::Vendor {
            vendor: name("Acme CDN"),
            contact: name("noc@acme"),
        },
        Some("network"),
        0,
        96,
    )];
    if now >= hour(24) {
        let mut own = item(
            1,
            RemediationOwner::Person {
                name: name("alice"),
            },
            None,
            24,
            120,
        );
        if now >= hour(110) {
            own.status = RemediationStatus::Done;
        }
        items.push(own);
    }
    PostIncidentState {
        problem: 1,
        priority: Priority::P0,
        owner: Recipient::Person {
            name: name("ic-bob"),
            on_call: None,
        },
        resolved_at: Some(RESOLVED),
        report_submitted_at: Some(hour(96)),
        reviewed_at: Some(hour(156)),
        items,
    }
}

fn describe(action: &DueAction) -> String {
    let what = |deadline: &dyn std::fmt::Display| match action.item {
        Some(item) => format!("{deadline} #{item}"),
        None => deadline.to_string(),
    };
    match &action.kind {
        DueActionKind::Remind { to, deadline, .. } => {
            let to = match to {
                Recipient::Person { name, .. } | Recipient::Team { name } => name.to_string(),
                Recipient::Management => "management".into(),
                Recipient::Unstaffed { .. } => "nobody".into(),
            };
            format!("remind {to} of {}", what(deadline))
        }
        DueActionKind::NotifyManagement { missed, .. } => {
            format!("tell management {} was missed", what(missed))
        }
    }
}

/// Walks the clock from `from` to `to` hours in steps of `step` hours and
/// returns `hour: action` lines, recording each key as the sweep would.
fn walk(config: &PostIncidentConfig, from: i64, to: i64, step: i64) -> Vec<String> {
    let mut sent = BTreeSet::<IdempotencyKey>::new();
    let mut log = Vec::new();
    let mut h = from;
    while h <= to {
        let now = hour(h);
        let state = state_at(now);
        let evaluation = evaluate_post_incident(&state, config, &sent, now);
        for action in &evaluation.actions {
            assert!(action.due_at <= now);
            assert!(
                sent.insert(action.key.clone()),
                "sent twice: {}",
                action.key
            );
            log.push(format!("{h}: {}", describe(action)));
        }
        if let Some(next) = evaluation.next_due {
            assert!(next > now);
        }
        let again = evaluate_post_incident(&state, config, &sent, now);
        assert!(
            again.actions.is_empty(),
            "repeated at {h}: {:?}",
            again.actions
        );
        h += step;
    }
    log
}

/// SPEC R1, R2, V8: with the default P0 limits (draft 3 d, review 7 d,
/// reminders a day ahead) the owner is reminded before each deadline and
/// management is told of each one missed, exactly once.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn deadlines_walked_hour_by_hour() {
    assert_eq!(
        walk(&PostIncidentConfig::default(), 0, 240, 1),
        [
            "48: remind ic-bob of report_draft",
            "72: tell management report_draft was missed",
            "72: remind network of remediation #2",
            "96: remind alice of remediation #1",
            "96: tell management remediation #2 was missed",
            "144: remind ic-bob of review",
        ]
    );
}

/// SPEC R1, V8: a sweep that comes late sends no reminder for a deadline
/// already passed, only the notification; a deadline met before the sweep
/// saw it is not reported (alice's item, reminded at 96 and done at 110,
/// is never seen pending at a reminder time).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_late_sweep_skips_passed_reminders() {
    assert_eq!(
        walk(&PostIncidentConfig::default(), 90, 240, 30),
        [
            "90: tell management report_draft was missed",
            "90: remind network of remediation #2",
            "120: tell management remediation #2 was missed",
            "150: remind ic-bob of review",
        ]
    );
}

/// SPEC R2, V8: limits are configurable per priority: a P0 with a 2-day
/// review limit, no report deadline and 6-hour reminders (alice's item is
/// done at 110, before its reminder at 114).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn configured_limits_move_the_deadlines() {
    let limits = PostIncidentLimits::new(None, Some(Minutes::days(2)), Minutes::hours(6)).unwrap();
    let config = PostIncidentConfig::default().with(Priority::P0, limits);
    assert_eq!(
        walk(&config, 0, 240, 1),
        [
            "42: remind ic-bob of review",
            "48: tell management review was missed",
            "90: remind network of remediation #2",
            "96: tell management remediation #2 was missed",
        ]
    );
}

/// SPEC V8: a new due date is a new deadline with new keys; lower
/// priorities have no report or review deadline by default.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_new_due_date_is_chased_again() {
    let config = PostIncidentConfig::default();
    let mut state = state_at(hour(0));
    state.priority = Priority::P2;
    let mut sent = BTreeSet::new();
    let first = evaluate_post_incident(&state, &config, &sent, hour(100));
    let lines: Vec<String> = first.actions.iter().map(describe).collect();
    assert_eq!(lines, ["tell management remediation #2 was missed"]);
    sent.extend(first.actions.into_iter().map(|a| a.key));
    assert!(evaluate_post_incident(&state, &config, &sent, hour(100))
        .actions
        .is_empty());
    state.items[0].due_at = hour(130);
    let rescheduled = evaluate_post_incident(&state, &config, &sent, hour(110));
    let lines: Vec<String> = rescheduled.actions.iter().map(describe).collect();
    assert_eq!(lines, ["remind network of remediation #2"]);
    assert_eq!(rescheduled.next_due, Some(hour(130)));
}
