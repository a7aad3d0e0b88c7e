//! The incident page's escalation panel (SPEC E3, E4): the duty incident
//! commander, whether the page was acknowledged, and a live countdown to the
//! next time limit, with the acknowledge action and pulling in a team (E5).

use crate::api;
use crate::incident_state::IncidentState;
use beacon_shared::api::EscalationView;
use beacon_shared::escalation::{Deadline, DeadlineKind};
use beacon_shared::Timestamp;
use leptos::prelude::*;

/// "14 min 05 s", "1 h 02 min", "3 d 4 h": time left (or overdue) in words.
pub fn format_countdown(millis: i64) -> String {
    let seconds = millis.unsigned_abs() / 1000;
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        (seconds % 86_400) / 3600,
        (seconds % 3600) / 60,
        seconds % 60,
    );
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else {
        format!("{minutes} min {secs:02} s")
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
                                <span class="countdown">{move || {
                                    let left = deadline.at.millis_since(clock.get());
                                    if left >= 0 {
                                        format!("within {}", format_countdown(left))
                                    } else {
                                        format!("overdue by {}", format_countdown(left))
                                    }
                                }}</span>
                            </p>
                        }.into_any(),
                        None => view! { <p id="next-deadline" class="muted">"No time limit is running."</p> }.into_any(),
                    }}
                    <Show when=move || state.can_write() && escalation.with(|e| e.as_ref().is_some_and(|e| e.acknowledged_by.is_none() && !e.deadlines.is_empty()))>
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
        assert_eq!(format_countdown(14 * 60_000 + 5_000), "14 min 05 s");
        assert_eq!(format_countdown(-(61 * 60_000)), "1 h 01 min");
        assert_eq!(format_countdown(3 * 86_400_000 + 4 * 3_600_000), "3 d 4 h");
        assert_eq!(format_countdown(999), "0 min 00 s");
    }
}
