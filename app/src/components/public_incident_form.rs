//! Publishing a public incident from an internal ticket (SPEC M2): the
//! ticket's number, optional name and impact overrides, the status, a
//! template or written text and the components it changes. "Preview" shows
//! what customers would see without publishing anything.

use crate::api;
use crate::components::choice_options::choice_options;
use crate::components::public_message::{
    AffectedSelects, IncidentStatusSelect, MessageText, TextFieldIds,
};
use crate::status_editing_draft::{
    new_public_incident, published_impact, MessageDraft, TextChoice, TicketFields,
};
use crate::status_editing_state::{now, RequestState, StatusEditingState};
use beacon_shared::format_utc_minutes;
use beacon_shared::status_editing::PublishedIncident;
use beacon_shared::status_page::{Impact, PublicIncidentStatus};
use beacon_shared::statuspage_wire::{AffectedComponentJson, IncidentJson};
use leptos::prelude::*;

fn first_message() -> MessageDraft {
    MessageDraft::new(
        PublicIncidentStatus::Investigating,
        TextChoice::Investigating,
    )
}

/// The form; what the edge answered (a preview or the published incident)
/// is shown below the buttons.
#[component]
pub fn NewPublicIncidentForm(state: StatusEditingState) -> impl IntoView {
    let ticket = RwSignal::new(TicketFields::default());
    let message = RwSignal::new(first_message());
    let request = RequestState::default();
    let preview = RwSignal::new(None::<IncidentJson>);
    let published = RwSignal::new(None::<IncidentJson>);
    let on_answer = move |answer: PublishedIncident| {
        if !answer.published {
            return preview.set(Some(answer.incident));
        }
        preview.set(None);
        published.set(Some(answer.incident));
        ticket.set(TicketFields::default());
        message.set(first_message());
        state.reload();
    };
    let send = move |as_preview: bool| {
        let components = state.components_untracked();
        let built = ticket.with_untracked(|t| {
            message.with_untracked(|m| new_public_incident(t, m, &components, now(), as_preview))
        });
        let body = match built {
            Ok(body) => body,
            Err(err) => return request.refuse(err),
        };
        published.set(None);
        let token = state.token();
        request.send(
            async move { api::publish_incident(&token, &body).await },
            on_answer,
        );
    };
    let ids = TextFieldIds {
        select_id: "public-template".into(),
        select_class: None,
        body_id: "public-body".into(),
        body_class: None,
        rendered_id: "public-template-text".into(),
    };
    view! {
        <form id="new-public-incident" class="status-form" on:submit=|ev| ev.prevent_default()>
            <div class="grid">
                <div>
                    <label for="from-incident">"Internal ticket #"</label>
                    <input id="from-incident" type="text" inputmode="numeric" autocomplete="off" placeholder="42"
                        prop:value=move || ticket.with(|t| t.from_incident.clone())
                        on:input=move |ev| ticket.update(|t| t.from_incident = event_target_value(&ev)) />
                </div>
                <div>
                    <label for="public-name">"Public name " <span class="muted">"(optional)"</span></label>
                    <input id="public-name" type="text" autocomplete="off" placeholder="ticket's title"
                        prop:value=move || ticket.with(|t| t.name.clone())
                        on:input=move |ev| ticket.update(|t| t.name = event_target_value(&ev)) />
                </div>
                <div>{impact_select(ticket)}</div>
                <div><IncidentStatusSelect message=message id="public-status".to_owned() /></div>
            </div>
            <MessageText state=state message=message ids=ids />
            <AffectedSelects state=state message=message scope="new".to_owned() />
            <div class="buttons">
                <button type="button" id="preview-incident" class="secondary"
                    disabled=move || request.busy.get() on:click=move |_| send(true)>"Preview"</button>
                <button type="button" id="publish-incident"
                    disabled=move || request.busy.get() on:click=move |_| send(false)>"Publish to the status page"</button>
            </div>
            {request.error_view()}
            {move || published.get().map(published_view)}
            {move || preview.get().map(preview_view)}
        </form>
    }
}

fn impact_select(ticket: RwSignal<TicketFields>) -> impl IntoView {
    let choose = move |ev: leptos::ev::Event| {
        let impact = event_target_value(&ev).parse::<Impact>().ok();
        ticket.update(|t| t.impact = impact);
    };
    view! {
        <label for="public-impact">"Impact"</label>
        <select id="public-impact" on:change=choose>
            <option value="" prop:selected=move || ticket.with(|t| t.impact.is_none())>
                "from the ticket's priority"
            </option>
            {choice_options(Impact::ALL, Impact::as_str, Impact::label,
                move |impact| ticket.with(|t| t.impact == Some(impact)))}
        </select>
    }
}

fn published_view(incident: IncidentJson) -> impl IntoView {
    let link = format!("/status/incidents/{}", incident.id);
    view! {
        <p id="publish-result" class="success" role="status">
            {format!("Published “{}” ({}). ", incident.name, incident.status)}
            <a href=link>"See it on the status page"</a>
        </p>
    }
}

/// The incident as the edge would publish it: name, impact, status and the
/// newest update's text and component changes.
fn preview_view(incident: IncidentJson) -> impl IntoView {
    let newest = incident.incident_updates.into_iter().next();
    let at = newest.as_ref().map(|u| format_utc_minutes(u.display_at));
    let body = newest.as_ref().map(|u| u.body.clone());
    let changes = newest
        .and_then(|u| u.affected_components)
        .unwrap_or_default();
    view! {
        <div id="preview" class="preview" aria-live="polite">
            <p class="muted">"Preview, not published: customers would see"</p>
            <h3 class="preview-name">{incident.name}</h3>
            <p>
                "impact " <strong class="preview-impact">{published_impact(incident.impact)}</strong>
                " · status " <strong class="preview-status">{incident.status.as_str()}</strong>
                {at.map(|at| view! { <span class="muted">{format!(" · {at}")}</span> })}
            </p>
            <blockquote class="preview-body">{body}</blockquote>
            {(!changes.is_empty()).then(|| view! {
                <ul class="preview-changes">{changes.into_iter().map(change_view).collect::<Vec<_>>()}</ul>
            })}
        </div>
    }
}

fn change_view(change: AffectedComponentJson) -> impl IntoView {
    view! {
        <li>
            {change.name}": "
            {change.old_status.label()}" → "
            <strong>{change.new_status.label()}</strong>
        </li>
    }
}
