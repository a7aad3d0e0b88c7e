//! Scheduled maintenance (SPEC M5): announcing planned work with its window
//! (UTC) and the components it touches, and moving each maintenance not yet
//! completed forward (`in_progress` puts its components under maintenance,
//! `completed` makes them operational again).

use crate::api;
use crate::components::choice_options::choice_select;
use crate::status_editing_draft::{
    maintenance_update, next_maintenance_status, MaintenanceDraft, MAINTENANCE_UPDATE_CHOICES,
};
use crate::status_editing_state::{RequestState, StatusEditingState};
use beacon_shared::category::Category;
use beacon_shared::format_utc_minutes;
use beacon_shared::status_editing::PublishedMaintenance;
use beacon_shared::status_page::{
    maintenance_update_text, Component, MaintenanceStatus, ScheduledMaintenance,
};
use leptos::prelude::*;

/// A `datetime-local` input for one end of the window, read as UTC.
fn window_input(
    draft: RwSignal<MaintenanceDraft>,
    id: &'static str,
    label: &'static str,
    get: fn(&MaintenanceDraft) -> &String,
    field: fn(&mut MaintenanceDraft) -> &mut String,
) -> impl IntoView {
    view! {
        <div>
            <label for=id>{label} <span class="muted">"(UTC)"</span></label>
            <input id=id type="datetime-local"
                prop:value=move || draft.with(|d| get(d).clone())
                on:input=move |ev| draft.update(|d| *field(d) = event_target_value(&ev))
                on:change=move |ev| draft.update(|d| *field(d) = event_target_value(&ev)) />
        </div>
    }
}

/// The form announcing a maintenance.
#[component]
pub fn ScheduleMaintenanceForm(state: StatusEditingState) -> impl IntoView {
    let draft = RwSignal::new(MaintenanceDraft::default());
    let request = RequestState::default();
    let result = RwSignal::new(None::<String>);
    let schedule = move |_| {
        let components = state.components_untracked();
        let body = match draft.with_untracked(|d| d.to_request(&components, false)) {
            Ok(body) => body,
            Err(err) => return request.refuse(err),
        };
        result.set(None);
        let token = state.token();
        request.send(
            async move { api::schedule_maintenance(&token, &body).await },
            move |answer: PublishedMaintenance| {
                let m = answer.scheduled_maintenance;
                result.set(Some(format!(
                    "Scheduled “{}” from {} to {}.",
                    m.name,
                    format_utc_minutes(m.scheduled_for),
                    format_utc_minutes(m.scheduled_until)
                )));
                draft.set(MaintenanceDraft::default());
                state.reload();
            },
        );
    };
    view! {
        <form id="new-maintenance" class="status-form" on:submit=|ev| ev.prevent_default()>
            <div class="grid">
                <div>
                    <label for="maintenance-name">"Name"</label>
                    <input id="maintenance-name" type="text" autocomplete="off" placeholder="Database upgrade"
                        prop:value=move || draft.with(|d| d.name.clone())
                        on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev)) />
                </div>
                {window_input(draft, "maintenance-start", "Starts ", |d| &d.start, |d| &mut d.start)}
                {window_input(draft, "maintenance-end", "Ends ", |d| &d.end, |d| &mut d.end)}
            </div>
            {move || component_checkboxes(draft, state.components())}
            <label for="maintenance-body">"Your own text " <span class="muted">"(optional; without it the announcement below is used)"</span></label>
            <textarea id="maintenance-body" rows="3"
                prop:value=move || draft.with(|d| d.body.clone())
                on:input=move |ev| draft.update(|d| d.body = event_target_value(&ev))></textarea>
            <div id="maintenance-template-text" class="template-text" aria-live="polite">
                {move || announcement(state, draft)}
            </div>
            <div class="buttons">
                <button type="button" id="schedule-maintenance" disabled=move || request.busy.get() on:click=schedule>
                    "Schedule maintenance"
                </button>
            </div>
            {request.error_view()}
            {move || result.get().map(|text| view! { <p id="maintenance-scheduled" class="success" role="status">{text}</p> })}
        </form>
    }
}

fn component_checkboxes(draft: RwSignal<MaintenanceDraft>, components: Vec<Component>) -> AnyView {
    if components.is_empty() {
        return view! { <p class="muted">"No components on the page yet."</p> }.into_any();
    }
    view! {
        <div class="affect-list">
            <span class="group-label">"Components it touches"</span>
            {components.into_iter().map(|c| {
                let id = c.id.clone();
                let ticked = c.id.clone();
                view! {
                    <label class="check">
                        <input type="checkbox" class="maintenance-component" data-id=c.id.to_string()
                            prop:checked=move || draft.with(|d| d.components.contains(&ticked))
                            on:change=move |ev| draft.update(|d| d.set_component(id.clone(), event_target_checked(&ev))) />
                        {c.name.to_string()}
                    </label>
                }
            }).collect::<Vec<_>>()}
        </div>
    }
    .into_any()
}

fn announcement(state: StatusEditingState, draft: RwSignal<MaintenanceDraft>) -> AnyView {
    let components = state.components();
    let written = draft.with(|d| !d.body.trim().is_empty());
    match draft.with(|d| d.template_text(&components)) {
        Some(text) => view! {
            <span class="muted">"Customers will read:"</span>
            <blockquote>{text}</blockquote>
        }
        .into_any(),
        None if written => {
            view! { <span class="muted">"Your own text is published as typed."</span> }.into_any()
        }
        None => view! {
            <span class="muted">"Pick the start and the end to see the announcement."</span>
        }
        .into_any(),
    }
}

/// The maintenances not completed yet, soonest first, each with its next step.
#[component]
pub fn MaintenanceList(state: StatusEditingState) -> impl IntoView {
    let confirmation = RwSignal::new(None::<String>);
    let list = move || {
        let (open, components) = state.page.with(|page| {
            page.as_ref()
                .map(|p| (open_maintenances(p.maintenances()), p.components().to_vec()))
                .unwrap_or_default()
        });
        if open.is_empty() {
            return view! { <p id="no-maintenances" class="muted">"No maintenance scheduled."</p> }
                .into_any();
        }
        let may_publish = state.may_publish();
        view! {
            <ul id="maintenances" class="entries">
                {open.into_iter().map(|maintenance| {
                    let names = touched_names(&maintenance, &components);
                    view! {
                        <MaintenanceItem state=state maintenance=maintenance names=names
                            confirmation=confirmation may_publish=may_publish />
                    }
                }).collect::<Vec<_>>()}
            </ul>
        }
        .into_any()
    };
    view! {
        {move || confirmation.get().map(|text| view! { <p id="maintenance-result" class="success" role="status">{text}</p> })}
        {list}
    }
}

fn open_maintenances(maintenances: &[ScheduledMaintenance]) -> Vec<ScheduledMaintenance> {
    let mut open: Vec<ScheduledMaintenance> = maintenances
        .iter()
        .filter(|m| m.status() != MaintenanceStatus::Completed)
        .cloned()
        .collect();
    open.sort_by_key(|m| m.window().start());
    open
}

fn touched_names(maintenance: &ScheduledMaintenance, components: &[Component]) -> Vec<Category> {
    maintenance
        .components()
        .into_iter()
        .filter_map(|id| components.iter().find(|c| &c.id == id))
        .map(|c| c.name.clone())
        .collect()
}

#[component]
fn MaintenanceItem(
    state: StatusEditingState,
    maintenance: ScheduledMaintenance,
    names: Vec<Category>,
    confirmation: RwSignal<Option<String>>,
    may_publish: bool,
) -> impl IntoView {
    let id = maintenance.id().clone();
    let current = maintenance.status();
    let window = maintenance.window();
    let touched = match names.is_empty() {
        true => "no component".to_owned(),
        false => names
            .iter()
            .map(Category::as_str)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let latest = maintenance.updates().last().map(|u| u.body.to_string());
    let form = may_publish.then(|| {
        let status = RwSignal::new(next_maintenance_status(current));
        let body = RwSignal::new(String::new());
        let request = RequestState::default();
        let select_id = format!("maintenance-{id}-status");
        let body_id = format!("maintenance-{id}-body");
        let post = {
            let id = id.clone();
            move |_| {
                let update = match maintenance_update(status.get_untracked(), &body.get_untracked()) {
                    Ok(update) => update,
                    Err(err) => return request.refuse(err),
                };
                let token = state.token();
                let id = id.clone();
                request.send(
                    async move { api::post_maintenance_update(&token, &id, &update).await },
                    move |answer: PublishedMaintenance| {
                        let m = answer.scheduled_maintenance;
                        confirmation.set(Some(format!(
                            "Updated “{}”: now {}.",
                            m.name,
                            m.status.as_str().replace('_', " ")
                        )));
                        state.reload();
                    },
                )
            }
        };
        let standard = move || {
            body.with(|b| b.trim().is_empty())
                .then(|| maintenance_update_text(status.get(), &names))
        };
        view! {
            <div class="update-form">
                <label for=select_id.clone()>"Next status"</label>
                {choice_select(select_id, "maintenance-status", status, &MAINTENANCE_UPDATE_CHOICES,
                    MaintenanceStatus::as_str, MaintenanceStatus::label)}
                <label for=body_id.clone()>"Your own text " <span class="muted">"(optional)"</span></label>
                <textarea id=body_id class="maintenance-update-body" rows="2"
                    prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <div class="template-text" aria-live="polite">
                    {move || standard().map(|text| view! {
                        <span class="muted">"Customers will read:"</span>
                        <blockquote>{text}</blockquote>
                    })}
                </div>
                <div class="buttons">
                    <button type="button" class="post-maintenance-update" disabled=move || request.busy.get() on:click=post>
                        "Post maintenance update"
                    </button>
                </div>
                {request.error_view()}
            </div>
        }
    });
    view! {
        <li class="maintenance" data-id=id.to_string() data-status=current.as_str()>
            <div class="entry-head">
                <strong class="entry-name">{maintenance.name().to_string()}</strong>
                <span class="badge-status" data-status=current.as_str()>{current.as_str().replace('_', " ")}</span>
                <span class="muted">
                    {format!("{} to {} · {touched}", format_utc_minutes(window.start()), format_utc_minutes(window.end()))}
                </span>
            </div>
            <p class="latest-update">{latest}</p>
            {form}
        </li>
    }
}
