//! The incident page's escalation panel (SPEC E3, E4): the duty incident
//! commander, whether the current episode was acknowledged, and a live
//! countdown to the next time limit, with the acknowledge action and pulling
//! in a team (E5).

use crate::api;
use crate::incident_state::IncidentState;
use beacon_shared::api::EscalationView;
use beacon_shared::escalation::{Deadline, DeadlineKind};
use beacon_shared::{format_duration, DurationStyle, Timestamp};
use leptos::prelude::*;

/// "within 14 min 05 s", "overdue by 1 h 02 min": time left to a limit, or
/// past it, in words.
pub fn countdown_text(left: i64) -> String {
    let text = format_duration(left.saturating_abs(), DurationStyle::Countdown);
    if left >= 0 {
        format!("within {text}")
    } else {
        format!("overdue by {text}")
    }
}

/// What meeting the limit means, for the countdown's label.
pub fn deadline_label(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Acknowledge => "Acknowledge",
        DeadlineKind::FirstUpdate => "First customer update",
        DeadlineKind::Update => "Next customer update",
        DeadlineKind::Resolve => "Resolve",
    }
}

/// The limit to show first: the earliest one.
pub fn next_deadline(view: &EscalationView) -> Option<Deadline> {
    view.deadlines.iter().min_by_key(|d| d.at).copied()
}

/// Whether the panel offers to acknowledge: nobody acknowledged the current
/// episode (an acknowledgement before an upgrade to P0 does not count) and a
/// limit is still running.
pub fn offers_acknowledgement(view: &EscalationView) -> bool {
    view.acknowledged_by.is_none() && !view.deadlines.is_empty()
}

fn now() -> Timestamp {
    Timestamp::from_unix_millis(js_sys::Date::now() as i64)
}

#[component]
pub fn EscalationPanel(state: IncidentState) -> impl IntoView {
    let escalation = RwSignal::new(None::<EscalationView>);
    let clock = RwSignal::new(now());
    let load = move || {
        let token = state.token();
        leptos::task::spawn_local(async move {
            if let Ok(view) = api::escalation(&token, state.id).await {
                escalation.set(Some(view));
            }
        });
    };
    // Reload whenever the ticket changes (priority, status, acknowledgement).
    Effect::new(move |_| {
        state.detail.track();
        load();
    });
    if let Ok(handle) =
        set_interval_with_handle(move || clock.set(now()), std::time::Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    let acknowledge = move |_| {
        let token = state.token();
        state.send(async move { api::acknowledge(&token, state.id).await });
    };
    let team = RwSignal::new(String::new());
    let team_reason = RwSignal::new(String::new());
    let pull_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let token = state.token();
        let request = serde_json::json!({
            "team": team.get_untracked().trim(),
            "reason": team_reason.get_untracked(),
        });
        state.send(async move { api::pull_in_team(&token, state.id, &request).await });
    };
    view! {
        <section aria-labelledby="escalation-heading" id="escalation">
            <h2 id="escalation-heading">"Escalation"</h2>
            {move || escalation.get().map(|view| {
                let deadline = next_deadline(&view);
                view! {
                    <dl class="facts">
                        <dt>"Duty IC"</dt>
                        <dd id="duty-commander">{view.commander.map(|n| n.to_string()).unwrap_or_else(|| "nobody on the rota".into())}</dd>
                        <dt>"Acknowledged"</dt>
                        <dd id="acknowledged-by">{match view.acknowledged_by.clone() {
                            Some(by) => format!("by {by}"),
                            None => format!("not yet ({} pages sent)", view.pages_sent),
                        }}</dd>
                    </dl>
                    {match deadline {
                        Some(deadline) => view! {
                            <p id="next-deadline" data-kind=deadline.kind.as_str() data-at=deadline.at.to_string() aria-live="off">
                                <strong>{deadline_label(deadline.kind)}</strong>" "
                                <span class="countdown">{move || countdown_text(deadline.at.millis_since(clock.get()))}</span>
                            </p>
                        }.into_any(),
                        None => view! { <p id="next-deadline" class="muted">"No time limit is running."</p> }.into_any(),
                    }}
                    <Show when=move || state.can_write() && escalation.with(|e| e.as_ref().is_some_and(offers_acknowledgement))>
                        <button id="acknowledge" on:click=acknowledge disabled=move || state.busy.get()>"Acknowledge"</button>
                    </Show>
                    <Show when=move || state.can_write()>
                        <form id="pull-in-team" on:submit=pull_in aria-label="Pull in a team">
                            <label>"Team"
                                <input id="team-name" type="text" placeholder="dba" prop:value=move || team.get()
                                    on:input=move |ev| team.set(event_target_value(&ev)) />
                            </label>
                            <label>"Needed for"
                                <input id="team-reason" type="text" prop:value=move || team_reason.get()
                                    on:input=move |ev| team_reason.set(event_target_value(&ev)) />
                            </label>
                            <button type="submit" disabled=move || state.busy.get()>"Pull in team"</button>
                        </form>
                    </Show>
                }
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown_text(14 * 60_000 + 5_000), "within 14 min 05 s");
        assert_eq!(countdown_text(-(61 * 60_000)), "overdue by 1 h 01 min");
        assert_eq!(
            countdown_text(3 * 86_400_000 + 4 * 3_600_000),
            "within 3 d 4 h"
        );
        assert_eq!(countdown_text(999), "within 0 min 00 s");
    }

    /// SPEC E4: the button follows the current episode's acknowledgement, as
    /// the worker's view reports it after an upgrade to P0.
    #[test]
    fn acknowledge_is_offered_until_the_current_episode_is_acknowledged() {
        let at = Timestamp::from_unix_millis(1_795_403_520_000);
        let running = Deadline {
            kind: DeadlineKind::Acknowledge,
            at,
            overdue: false,
        };
        let view = |acknowledged_by: Option<&str>, deadlines: Vec<Deadline>| EscalationView {
            at,
            acknowledged_by: acknowledged_by.map(str::to_owned),
            commander: None,
            deadlines,
            next_due: None,
            pages_sent: 2,
        };
        assert!(offers_acknowledgement(&view(None, vec![running])));
        assert!(!offers_acknowledgement(&view(Some("sam"), vec![running])));
        assert!(!offers_acknowledgement(&view(None, Vec::new())));
    }
}
