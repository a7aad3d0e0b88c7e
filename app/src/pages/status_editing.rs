//! Customer support's status-page screen (SPEC M1-M5): the components and
//! their status, publishing a public incident from a ticket, updating the
//! unresolved ones, and scheduled maintenance. Everyone signed in may read
//! it; customer support, management and admins may change it.

use crate::components::maintenance_forms::{MaintenanceList, ScheduleMaintenanceForm};
use crate::components::public_incident_form::NewPublicIncidentForm;
use crate::components::public_incident_list::{ResolvedIncidents, UnresolvedIncidents};
use crate::components::status_editing_components::ComponentsSection;
use crate::credentials::use_credentials;
use crate::status_editing_state::StatusEditingState;
use leptos::prelude::*;

#[component]
pub fn StatusEditing() -> impl IntoView {
    let credentials = use_credentials();
    let state = StatusEditingState::new(credentials);
    Effect::new(move |_| match credentials.token.get() {
        Some(token) => {
            state.load_reader(token);
            state.reload();
        }
        None => state
            .load_error
            .set(Some("Sign in to manage the status page.".into())),
    });
    let loaded = Memo::new(move |_| state.page.with(Option::is_some));
    let publishes = Memo::new(move |_| state.may_publish());
    view! {
        <div class="status-manage">
            <h1>"Status page"</h1>
            <p class="muted">
                "What customers read on the public status page. All times are UTC. "
                <a href="/status" id="public-status-link">"Open the public status page"</a>
            </p>
            {move || state.load_error.get().map(|err| view! { <p class="error" role="alert">{err}</p> })}
            {read_only_note(state)}
            <Show when=move || loaded.get()>
                {page_indicator(state)}
                <section id="components-section" aria-labelledby="components-heading">
                    <h2 id="components-heading">"Components"</h2>
                    <ComponentsSection state=state />
                </section>
                <Show when=move || publishes.get()>
                    <section id="publish-section" aria-labelledby="publish-heading">
                        <h2 id="publish-heading">"Publish a public incident"</h2>
                        <p class="muted">"From an internal ticket: its title and its priority's impact are used unless you change them. Preview first if unsure; nothing is published by a preview."</p>
                        <NewPublicIncidentForm state=state />
                    </section>
                </Show>
                <section id="unresolved-section" aria-labelledby="unresolved-heading">
                    <h2 id="unresolved-heading">"Unresolved public incidents"</h2>
                    <p class="muted">"Statuses only move forward: repeat the status for a progress note."</p>
                    <UnresolvedIncidents state=state />
                    <ResolvedIncidents state=state />
                </section>
                <section id="maintenance-section" aria-labelledby="maintenance-heading">
                    <h2 id="maintenance-heading">"Scheduled maintenance"</h2>
                    <Show when=move || publishes.get()>
                        <ScheduleMaintenanceForm state=state />
                    </Show>
                    <MaintenanceList state=state />
                </section>
            </Show>
        </div>
    }
}

/// What customers see at the top of the public page right now.
fn page_indicator(state: StatusEditingState) -> impl IntoView {
    move || {
        state.page.with(|page| {
            page.as_ref().map(|page| {
                let status = page.status();
                view! {
                    <p id="page-indicator" class="indicator" data-indicator=status.indicator.as_str()>
                        "Customers see: " <strong>{status.description.as_str()}</strong>
                    </p>
                }
            })
        })
    }
}

/// Shown to signed-in readers whose role may not publish.
fn read_only_note(state: StatusEditingState) -> impl IntoView {
    move || {
        state
            .role
            .get()
            .filter(|role| !role.may_publish_status())
            .map(|role| {
                view! {
                    <p id="read-only-note" class="note">
                        {format!(
                            "Read-only: the {} role can see the status page but not change it. Customer support, management and admins publish.",
                            role.as_str().replace('_', " ")
                        )}
                    </p>
                }
            })
    }
}
