//! The public incidents still open, each with its latest update and a form
//! for the next one (SPEC M3: statuses only move forward), and the last few
//! resolved ones, read-only.

use crate::api;
use crate::components::public_message::{
    AffectedSelects, IncidentStatusSelect, MessageText, TextFieldIds,
};
use crate::status_editing_draft::{MessageDraft, TextChoice};
use crate::status_editing_state::{now, RequestState, StatusEditingState};
use beacon_shared::format_utc_minutes;
use beacon_shared::status_editing::PublishedIncident;
use beacon_shared::status_page::{IncidentUpdate, PublicIncident};
use leptos::prelude::*;

/// How many resolved incidents are listed below the open ones.
const RESOLVED_SHOWN: usize = 5;

/// The unresolved incidents, most recently started first.
#[component]
pub fn UnresolvedIncidents(state: StatusEditingState) -> impl IntoView {
    let confirmation = RwSignal::new(None::<String>);
    let list = move || {
        let incidents: Vec<PublicIncident> = state.page.with(|page| {
            page.as_ref()
                .map(|p| p.unresolved_incidents().into_iter().cloned().collect())
                .unwrap_or_default()
        });
        if incidents.is_empty() {
            return view! { <p id="no-unresolved-incidents" class="muted">"No unresolved public incidents."</p> }
                .into_any();
        }
        let may_publish = state.may_publish();
        view! {
            <ul id="unresolved-incidents" class="entries">
                {incidents.into_iter().map(|incident| view! {
                    <PublicIncidentItem state=state incident=incident confirmation=confirmation may_publish=may_publish />
                }).collect::<Vec<_>>()}
            </ul>
        }
        .into_any()
    };
    view! {
        {move || confirmation.get().map(|text| view! { <p id="update-result" class="success" role="status">{text}</p> })}
        {list}
    }
}

#[component]
fn PublicIncidentItem(
    state: StatusEditingState,
    incident: PublicIncident,
    confirmation: RwSignal<Option<String>>,
    may_publish: bool,
) -> impl IntoView {
    let id = incident.id().clone();
    let status = incident.status();
    let head = entry_head(&incident);
    let latest = incident.updates().last().map(latest_update);
    let form = may_publish.then(|| {
        let affects = incident.components().into_iter().cloned().collect();
        let message = RwSignal::new(MessageDraft::for_update(status, TextChoice::Written, affects));
        let request = RequestState::default();
        let scope = format!("update-{id}");
        let post = {
            let id = id.clone();
            move |_| {
                let components = state.components_untracked();
                let body = match message.with_untracked(|m| m.to_update(&components, now(), false)) {
                    Ok(body) => body,
                    Err(err) => return request.refuse(err),
                };
                let token = state.token();
                let id = id.clone();
                request.send(
                    async move { api::post_public_update(&token, &id, &body).await },
                    move |answer: PublishedIncident| {
                        confirmation.set(Some(format!(
                            "Posted an update to “{}”: now {}.",
                            answer.incident.name, answer.incident.status
                        )));
                        state.reload();
                    },
                )
            }
        };
        let ids = TextFieldIds {
            select_id: format!("{scope}-template"),
            select_class: Some("update-template"),
            body_id: format!("{scope}-body"),
            body_class: Some("update-body"),
            rendered_id: format!("{scope}-text"),
        };
        view! {
            <div class="update-form">
                <IncidentStatusSelect message=message id=format!("{scope}-status") class="update-status" />
                <MessageText state=state message=message ids=ids />
                <AffectedSelects state=state message=message scope=scope />
                <div class="buttons">
                    <button type="button" class="post-update" disabled=move || request.busy.get() on:click=post>
                        "Post update"
                    </button>
                </div>
                {request.error_view()}
            </div>
        }
    });
    view! {
        <li class="public-incident" data-id=id.to_string() data-status=status.as_str()>
            {head}
            {latest}
            {form}
        </li>
    }
}

fn entry_head(incident: &PublicIncident) -> impl IntoView {
    let status = incident.status().as_str();
    view! {
        <div class="entry-head">
            <strong class="entry-name">{incident.name().to_string()}</strong>
            <span class="badge-status" data-status=status>{status}</span>
            <span class="muted">
                {format!("impact {} · started {}", incident.impact(), format_utc_minutes(incident.started_at()))}
            </span>
        </div>
    }
}

fn latest_update(update: &IncidentUpdate) -> impl IntoView {
    view! {
        <p class="latest-update">
            <span class="muted">{format!("{} · {}", format_utc_minutes(update.at), update.status)}</span>
            <br />
            {update.body.to_string()}
        </p>
    }
}

/// The most recently resolved incidents, read-only.
#[component]
pub fn ResolvedIncidents(state: StatusEditingState) -> impl IntoView {
    move || {
        let resolved = state.page.with(|page| {
            page.as_ref()
                .map(|p| recently_resolved(p.incidents()))
                .unwrap_or_default()
        });
        (!resolved.is_empty()).then(|| {
            view! {
                <h3>"Recently resolved"</h3>
                <ol id="resolved-incidents" class="entries">
                    {resolved.into_iter().map(|incident| view! {
                        <li class="resolved-incident" data-id=incident.id().to_string()>
                            {entry_head(&incident)}
                            {incident.updates().last().map(latest_update)}
                        </li>
                    }).collect::<Vec<_>>()}
                </ol>
            }
        })
    }
}

fn recently_resolved(incidents: &[PublicIncident]) -> Vec<PublicIncident> {
    let mut resolved: Vec<&PublicIncident> =
        incidents.iter().filter(|i| !i.is_unresolved()).collect();
    resolved.sort_by_key(|i| std::cmp::Reverse(i.resolved_at()));
    resolved.into_iter().take(RESOLVED_SHOWN).cloned().collect()
}
