//! The desk bundle's frame (Leptos, built with the `desk` feature, which
//! the first-response bundle leaves out so that it links no view
//! framework): the navigation, the session and the desk's pages by path.

use crate::credentials::{self, Credentials};
use crate::navigation::Address;
use beacon_shared::routes::{segments, NAVIGATION};
use leptos::prelude::*;

/// The path's id segment as a number (`/incidents/7`), if it is one.
fn id_of(segment: &str) -> Option<i64> {
    segment.parse().ok()
}

/// The desk's bundle ([`beacon_shared::routes::DESK_PAGES`]): the alert
/// queue, who is on call, the problems with their reports, time limits,
/// the remediation board, reports, the review meeting, publishing to the
/// status page, and people and access.
#[component]
pub fn DeskApp() -> impl IntoView {
    view! {
        <Shell page=|path: &str| {
            use crate::pages::*;
            match segments(path).as_slice() {
                ["alerts"] => view! { <alert_queue::AlertQueue /> }.into_any(),
                ["on-call"] => view! { <on_call::OnCall /> }.into_any(),
                ["problems"] => view! { <problem_list::ProblemList /> }.into_any(),
                ["problems", id] => view! { <problem::ProblemPage id=id_of(id) /> }.into_any(),
                ["problems", id, "report"] => view! { <incident_report::IncidentReportPage id=id_of(id) /> }.into_any(),
                ["settings", "escalation"] => view! { <escalation_settings::EscalationSettings /> }.into_any(),
                ["remediation"] => view! { <remediation_board::RemediationBoard /> }.into_any(),
                ["reports"] => view! { <reports::Reports /> }.into_any(),
                ["review"] => view! { <review::Review /> }.into_any(),
                ["publish"] => view! { <status_editing::StatusEditing /> }.into_any(),
                ["admin", "people"] => view! { <people::People /> }.into_any(),
                _ => elsewhere_or_not_found(path),
            }
        } />
    }
}

/// A page of the first-response bundle is loaded from the server (which
/// serves that bundle for it); anything else is not found.
fn elsewhere_or_not_found(path: &str) -> AnyView {
    if !beacon_shared::routes::is_desk_page(path) {
        let _ = window().location().reload();
        view! { <p class="muted">"Loading…"</p> }.into_any()
    } else {
        view! { <p>"Page not found."</p> }.into_any()
    }
}

/// A navigation entry, marked as the current page where it is.
fn nav_link(address: Address, href: &'static str, label: &'static str) -> impl IntoView {
    let current = move || (address.path() == href).then_some("page");
    view! { <a href=href aria-current=current>{label}</a> }
}

/// The desk's frame: the credentials, the address, the navigation and
/// the page `page` shows for the path (drawn anew when the path changes,
/// not when only the query does).
#[component]
fn Shell(page: fn(&str) -> AnyView) -> impl IntoView {
    let credentials = Credentials::load();
    provide_context(credentials);
    let address = Address::follow_window();
    let path = Memo::new(move |_| address.path());
    // The signed-in person's role, for the entries only some roles use.
    let reader = credentials::ReaderRole::load(credentials);
    provide_context(reader);
    let link = move |href, label| nav_link(address, href, label);
    let entries = move || {
        let role = reader.get();
        NAVIGATION
            .iter()
            .filter(|entry| entry.is_shown_to(role))
            .map(|entry| link(entry.path, entry.label))
            .collect::<Vec<_>>()
    };
    view! {
        <header class="top">
            {entries}
            <a href="/status">"Status page"</a>
            <span class="who">
                {move || match credentials.token.get() {
                    Some(_) => link("/sign-in", "Signed in"),
                    None => link("/sign-in", "Sign in"),
                }}
            </span>
        </header>
        <main>{move || path.with(|path| page(path))}</main>
    }
}
