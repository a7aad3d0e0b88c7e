//! Beacon's browser app: sign-in, the triage form with live classification,
//! the incident queue, the alert queue, who is on call, the incident page and
//! customer support's status-page screen, after the fire the problems
//! with their RCA and remediation, the remediation board, the reports and
//! the review meeting's page, and for admins people and access.
//!
//! The priority shown while the SRE types comes from `beacon_shared`, the
//! same code the edge runs when the form is submitted.

pub mod api;
pub mod components;
pub mod credentials;
pub mod incident_state;
pub mod pages;
pub mod problem_draft;
pub mod report_draft;
pub mod status_editing_draft;
pub mod status_editing_state;
pub mod timeline_text;
pub mod triage_draft;

use beacon_shared::routes::is_desk_page;
use credentials::Credentials;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

/// The SRE's bundle: sign-in, the queues, the triage form, the incident
/// page, on call, and the problems with their reports.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Shell desk=false>
            <Routes fallback=|| view! { <ElsewhereOrNotFound desk=false /> }>
                <Route path=path!("/") view=pages::incident_queue::IncidentQueue />
                <Route path=path!("/alerts") view=pages::alert_queue::AlertQueue />
                <Route path=path!("/on-call") view=pages::on_call::OnCall />
                <Route path=path!("/incidents/new") view=pages::new_incident::NewIncident />
                <Route path=path!("/incidents/:id") view=pages::incident::IncidentPage />
                <Route path=path!("/problems") view=pages::problem_list::ProblemList />
                <Route path=path!("/problems/:id") view=pages::problem::ProblemPage />
                <Route path=path!("/problems/:id/report") view=pages::incident_report::IncidentReportPage />
                <Route path=path!("/sign-in") view=pages::sign_in::SignIn />
            </Routes>
        </Shell>
    }
}

/// The desk's bundle ([`beacon_shared::routes::DESK_PAGES`]): time limits,
/// the remediation board, reports, the review meeting, publishing to the
/// status page, and people and access.
#[component]
pub fn DeskApp() -> impl IntoView {
    view! {
        <Shell desk=true>
            <Routes fallback=|| view! { <ElsewhereOrNotFound desk=true /> }>
                <Route path=path!("/settings/escalation") view=pages::escalation_settings::EscalationSettings />
                <Route path=path!("/remediation") view=pages::remediation_board::RemediationBoard />
                <Route path=path!("/reports") view=pages::reports::Reports />
                <Route path=path!("/review") view=pages::review::Review />
                <Route path=path!("/publish") view=pages::status_editing::StatusEditing />
                <Route path=path!("/admin/people") view=pages::people::People />
            </Routes>
        </Shell>
    }
}

/// A page of the other bundle is loaded from the server (which serves that
/// bundle for it); anything else is not found.
#[component]
fn ElsewhereOrNotFound(desk: bool) -> impl IntoView {
    let path = window().location().pathname().unwrap_or_default();
    if is_desk_page(&path) != desk {
        let _ = window().location().reload();
        view! { <p class="muted">"Loading…"</p> }.into_any()
    } else {
        view! { <p>"Page not found."</p> }.into_any()
    }
}

/// A navigation entry: routed in this bundle, a page load into the other.
fn nav_link(href: &'static str, label: &'static str, desk: bool) -> AnyView {
    if is_desk_page(href) == desk {
        view! { <A href=href>{label}</A> }.into_any()
    } else {
        view! { <a href=href rel="external">{label}</a> }.into_any()
    }
}

/// Both bundles' frame: the credentials, the navigation and the page.
#[component]
fn Shell(desk: bool, children: Children) -> impl IntoView {
    let credentials = Credentials::load();
    provide_context(credentials);
    // The signed-in person's role, for the entries only some roles use.
    let reader = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::me(&token).await.ok().map(|me| me.role),
                None => None,
            }
        }
    });
    view! {
        <Router>
            <header class="top">
                {nav_link("/", "Queue", desk)}
                {nav_link("/alerts", "Alerts", desk)}
                {nav_link("/on-call", "On call", desk)}
                {nav_link("/settings/escalation", "Time limits", desk)}
                {nav_link("/incidents/new", "New incident", desk)}
                {nav_link("/problems", "Problems", desk)}
                {nav_link("/remediation", "Remediation", desk)}
                {move || reader.get().flatten().is_some_and(|r| r.may_read_reports())
                    .then(|| nav_link("/reports", "Reports", desk))}
                {nav_link("/review", "Review", desk)}
                {nav_link("/publish", "Publish", desk)}
                {move || reader.get().flatten().is_some_and(|r| r.may_administer())
                    .then(|| nav_link("/admin/people", "People", desk))}
                <a href="/status">"Status page"</a>
                <span class="who">
                    {move || match credentials.token.get() {
                        Some(_) => nav_link("/sign-in", "Signed in", desk),
                        None => nav_link("/sign-in", "Sign in", desk),
                    }}
                </span>
            </header>
            <main>{children()}</main>
        </Router>
    }
}
