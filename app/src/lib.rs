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

use credentials::Credentials;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

/// The application shell: navigation and routes.
#[component]
pub fn App() -> impl IntoView {
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
                <A href="/">"Queue"</A>
                <A href="/alerts">"Alerts"</A>
                <A href="/on-call">"On call"</A>
                <A href="/settings/escalation">"Time limits"</A>
                <A href="/incidents/new">"New incident"</A>
                <A href="/problems">"Problems"</A>
                <A href="/remediation">"Remediation"</A>
                {move || reader.get().flatten().is_some_and(|r| r.may_read_reports()).then(|| view! {
                    <A href="/reports">"Reports"</A>
                })}
                <A href="/review">"Review"</A>
                <A href="/publish">"Publish"</A>
                {move || reader.get().flatten().is_some_and(|r| r.may_administer()).then(|| view! {
                    <A href="/admin/people">"People"</A>
                })}
                <a href="/status">"Status page"</a>
                <span class="who">
                    {move || match credentials.token.get() {
                        Some(_) => view! { <A href="/sign-in">"Signed in"</A> }.into_any(),
                        None => view! { <A href="/sign-in">"Sign in"</A> }.into_any(),
                    }}
                </span>
            </header>
            <main>
                <Routes fallback=|| view! { <p>"Page not found."</p> }>
                    <Route path=path!("/") view=pages::incident_queue::IncidentQueue />
                    <Route path=path!("/alerts") view=pages::alert_queue::AlertQueue />
                    <Route path=path!("/on-call") view=pages::on_call::OnCall />
                    <Route path=path!("/settings/escalation") view=pages::escalation_settings::EscalationSettings />
                    <Route path=path!("/incidents/new") view=pages::new_incident::NewIncident />
                    <Route path=path!("/incidents/:id") view=pages::incident::IncidentPage />
                    <Route path=path!("/problems") view=pages::problem_list::ProblemList />
                    <Route path=path!("/problems/:id") view=pages::problem::ProblemPage />
                    <Route path=path!("/problems/:id/report") view=pages::incident_report::IncidentReportPage />
                    <Route path=path!("/remediation") view=pages::remediation_board::RemediationBoard />
                    <Route path=path!("/reports") view=pages::reports::Reports />
                    <Route path=path!("/review") view=pages::review::Review />
                    <Route path=path!("/publish") view=pages::status_editing::StatusEditing />
                    <Route path=path!("/admin/people") view=pages::people::People />
                    <Route path=path!("/sign-in") view=pages::sign_in::SignIn />
                </Routes>
            </main>
        </Router>
    }
}
