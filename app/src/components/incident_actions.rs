//! What may happen to a ticket next, offered by its state and the reader's role:
//! lifecycle actions, priority and category changes, work logs and links.

use crate::api;
use crate::incident_state::IncidentState;
use beacon_shared::api::{
    CategoryChange, NewTimelineEntry, PriorityChange, TimelineEntryKind, TransitionRequest,
};
use beacon_shared::category::{Category, Label};
use beacon_shared::lifecycle::{ClosingConfirmation, TransitionKind};
use beacon_shared::priority_override::check_priority_change;
use beacon_shared::role::Role;
use beacon_shared::triage::{LinkUrl, Name, WorkLogText};
use beacon_shared::Priority;
use leptos::prelude::*;

fn input_value(ev: &leptos::ev::Event) -> String {
    event_target_value(ev)
}

fn priority_options(selected: Priority) -> impl IntoView {
    Priority::ALL
        .into_iter()
        .map(|p| view! { <option value=p.as_str() selected=p == selected>{p.as_str()}</option> })
        .collect::<Vec<_>>()
}

/// Sends a transition with what its action needs.
fn send_transition(state: IncidentState, request: TransitionRequest) {
    let token = state.token();
    state.send(async move { api::transition(&token, state.id, &request).await });
}

fn bare(action: TransitionKind) -> TransitionRequest {
    TransitionRequest {
        action,
        reason: None,
        priority: None,
        confirmation: None,
    }
}

/// One control per allowed transition (V10, E3).
#[component]
pub fn TransitionActions(state: IncidentState) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let close_reason = RwSignal::new(String::new());
    let classify_as = RwSignal::new(None::<Priority>);
    move || {
        let Some(detail) = state.detail.get() else {
            return ().into_any();
        };
        let role = state.role.get();
        let current = detail.incident.priority;
        detail
            .allowed_transitions
            .iter()
            .map(|&kind| match kind {
                TransitionKind::Discard => view! {
                    <div class="action">
                        <label>"Reason (no impact found)"
                            <input id="discard-reason" type="text" prop:value=move || reason.get()
                                on:input=move |ev| reason.set(input_value(&ev)) />
                        </label>
                        <button id="action-discard" class="secondary" disabled=move || state.busy.get()
                            on:click=move |_| send_transition(state, TransitionRequest {
                                reason: Some(reason.get_untracked()),
                                ..bare(TransitionKind::Discard)
                            })>"Discard as event without impact"</button>
                    </div>
                }.into_any(),
                TransitionKind::ClassifyAsProblem => view! {
                    <div class="action">
                        <label>"Priority"
                            <select id="classify-priority"
                                on:change=move |ev| classify_as.set(input_value(&ev).parse().ok())>
                                {priority_options(current)}
                            </select>
                        </label>
                        <button id="action-classify_as_problem" disabled=move || state.busy.get()
                            on:click=move |_| send_transition(state, TransitionRequest {
                                priority: Some(classify_as.get_untracked().unwrap_or(current)),
                                ..bare(TransitionKind::ClassifyAsProblem)
                            })>"Classify as problem"</button>
                    </div>
                }.into_any(),
                TransitionKind::Close => {
                    let commander = role.is_some_and(Role::may_close_without_confirmation);
                    let submitter = state.reader.get().as_deref() == Some(detail.incident.created_by.as_str());
                    view! {
                        <div class="action">
                            <Show when=move || submitter>
                                <button id="action-close" disabled=move || state.busy.get()
                                    on:click=move |_| send_transition(state, TransitionRequest {
                                        confirmation: Some(ClosingConfirmation::SubmitterConfirmed),
                                        ..bare(TransitionKind::Close)
                                    })>"Close: I submitted this and confirm it is resolved"</button>
                            </Show>
                            <Show when=move || commander>
                                <label>"Or close without confirmation, because"
                                    <input id="close-reason" type="text" prop:value=move || close_reason.get()
                                        on:input=move |ev| close_reason.set(input_value(&ev)) />
                                </label>
                                <button id="action-close-override" class="secondary" disabled=move || state.busy.get()
                                    on:click=move |_| send_transition(state, TransitionRequest {
                                        confirmation: Some(ClosingConfirmation::CommanderOverride { reason: close_reason.get_untracked() }),
                                        ..bare(TransitionKind::Close)
                                    })>"Close as incident commander"</button>
                            </Show>
                        </div>
                    }.into_any()
                }
                other => view! {
                    <div class="action">
                        <button id=format!("action-{}", other.as_str()) disabled=move || state.busy.get()
                            on:click=move |_| send_transition(state, bare(other))>
                            {capitalised(other.label())}
                        </button>
                    </div>
                }.into_any(),
            })
            .collect::<Vec<_>>()
            .into_any()
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Raise freely; lower below the rules only as management with a reason (P6),
/// checked here with the same rule the edge applies.
#[component]
pub fn PriorityEditor(state: IncidentState) -> impl IntoView {
    let chosen = RwSignal::new(None::<Priority>);
    let reason = RwSignal::new(String::new());
    let current = move || {
        state
            .detail
            .with(|d| d.as_ref().map(|d| d.incident.priority))
    };
    let verdict = move || {
        let detail = state.detail.get()?;
        let role = state.role.get()?;
        let requested = chosen.get().unwrap_or(detail.incident.priority);
        let reason = reason.get();
        let reason = (!reason.trim().is_empty()).then_some(reason);
        Some(check_priority_change(
            detail.incident.rules_priority,
            requested,
            role,
            reason.as_deref(),
        ))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(priority) = chosen.get_untracked().or_else(current) else {
            return;
        };
        let reason = reason.get_untracked();
        let change = PriorityChange {
            priority,
            reason: (!reason.trim().is_empty()).then_some(reason),
        };
        let token = state.token();
        state.send(async move { api::change_priority(&token, state.id, &change).await });
    };
    view! {
        <form class="editor" on:submit=submit>
            <h3>"Priority"</h3>
            <label>"New priority"
                <select id="priority-select" on:change=move |ev| chosen.set(input_value(&ev).parse().ok())>
                    {move || current().map(priority_options)}
                </select>
            </label>
            <label>"Reason (needed to go below the rules' result)"
                <input id="priority-reason" type="text" prop:value=move || reason.get()
                    on:input=move |ev| reason.set(input_value(&ev)) />
            </label>
            <p id="priority-check" class="field-error" role="status">
                {move || verdict().and_then(Result::err).map(|e| e.to_string())}
            </p>
            <button id="change-priority" type="submit"
                disabled=move || state.busy.get() || verdict().is_none_or(|v| v.is_err())>
                "Change priority"
            </button>
        </form>
    }
}

/// A status-page category (K1) and free labels (K2).
#[component]
pub fn CategoryEditor(state: IncidentState, categories: Vec<String>) -> impl IntoView {
    let initial = state.detail.with_untracked(|d| {
        d.as_ref()
            .map(|d| {
                (
                    d.incident.category.clone().unwrap_or_default(),
                    d.incident.labels.join(", "),
                )
            })
            .unwrap_or_default()
    });
    let category = RwSignal::new(initial.0);
    let labels = RwSignal::new(initial.1);
    let local_error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = match category.get_untracked().trim() {
            "" => None,
            text => match Category::parse(text) {
                Ok(c) => Some(c),
                Err(e) => return local_error.set(Some(format!("category: {e}"))),
            },
        };
        let mut parsed = Vec::new();
        for text in labels
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            match Label::parse(text) {
                Ok(label) => parsed.push(label),
                Err(e) => return local_error.set(Some(format!("labels: {text}: {e}"))),
            }
        }
        local_error.set(None);
        let change = CategoryChange {
            category: chosen,
            labels: parsed,
        };
        let token = state.token();
        state.send(async move { api::change_category(&token, state.id, &change).await });
    };
    let selected = category.get_untracked();
    view! {
        <form class="editor" on:submit=submit>
            <h3>"Category"</h3>
            <label>"Status-page category"
                <select id="category-select" on:change=move |ev| category.set(input_value(&ev))>
                    <option value="" selected=selected.is_empty()>"none (P2/P3 only)"</option>
                    {categories.into_iter().map(|name| {
                        let is_selected = name == selected;
                        view! { <option value=name.clone() selected=is_selected>{name.clone()}</option> }
                    }).collect::<Vec<_>>()}
                    <option value="Security" selected=selected == "Security">"Security (restricted)"</option>
                </select>
            </label>
            <label>"Labels, comma separated"
                <input id="labels" type="text" prop:value=move || labels.get()
                    on:input=move |ev| labels.set(input_value(&ev)) />
            </label>
            <p class="field-error">{move || local_error.get()}</p>
            <button id="change-category" type="submit" disabled=move || state.busy.get()>"Change category"</button>
        </form>
    }
}

/// A work log line or a link to an attachment, screenshot or chat log (T7).
#[component]
pub fn TimelineEntryForm(state: IncidentState) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let local_error = RwSignal::new(None::<String>);
    let add_work_log = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match WorkLogText::parse(&text.get_untracked()) {
            Ok(parsed) => {
                local_error.set(None);
                text.set(String::new());
                let entry = NewTimelineEntry {
                    kind: TimelineEntryKind::WorkLog,
                    text: Some(parsed),
                    title: None,
                    url: None,
                };
                let token = state.token();
                state.send(async move { api::add_timeline_entry(&token, state.id, &entry).await });
            }
            Err(e) => local_error.set(Some(format!("work log: {e}"))),
        }
    };
    let add_link = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = Name::parse(&title.get_untracked())
            .map_err(|e| format!("title: {e}"))
            .and_then(|t| {
                LinkUrl::parse(&url.get_untracked())
                    .map(|u| (t, u))
                    .map_err(|e| format!("url: {e}"))
            });
        match parsed {
            Ok((t, u)) => {
                local_error.set(None);
                title.set(String::new());
                url.set(String::new());
                let entry = NewTimelineEntry {
                    kind: TimelineEntryKind::Link,
                    text: None,
                    title: Some(t),
                    url: Some(u),
                };
                let token = state.token();
                state.send(async move { api::add_timeline_entry(&token, state.id, &entry).await });
            }
            Err(e) => local_error.set(Some(e)),
        }
    };
    view! {
        <form class="editor" on:submit=add_work_log>
            <h3>"Work log"</h3>
            <label class="sr-only" for="worklog-text">"Work log entry"</label>
            <textarea id="worklog-text" rows="3" prop:value=move || text.get()
                on:input=move |ev| text.set(input_value(&ev))></textarea>
            <button id="add-worklog" type="submit" disabled=move || state.busy.get()>"Add to timeline"</button>
        </form>
        <form class="editor" on:submit=add_link>
            <h3>"Attach a link"</h3>
            <label>"Title" <input id="link-title" type="text" prop:value=move || title.get()
                on:input=move |ev| title.set(input_value(&ev)) /></label>
            <label>"Address (http or https)" <input id="link-url" type="text" prop:value=move || url.get()
                on:input=move |ev| url.set(input_value(&ev)) /></label>
            <button id="add-link" type="submit" disabled=move || state.busy.get()>"Attach"</button>
        </form>
        <p class="field-error">{move || local_error.get()}</p>
    }
}
