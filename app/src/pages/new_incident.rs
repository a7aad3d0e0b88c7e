//! Record a new incident: the triage form with the live priority beside it.

use crate::api;
use crate::components::live_classification::LiveClassification;
use crate::components::triage_form::TriageForm;
use crate::credentials::use_credentials;
use crate::triage_draft::TriageDraft;
use beacon_shared::api::NewIncident as NewIncidentRequest;
use beacon_shared::triage::{check_alert_time, Title};
use beacon_shared::Timestamp;
use leptos::prelude::*;

/// The browser's clock.
fn now() -> Timestamp {
    Timestamp::from_unix_millis(js_sys::Date::now() as i64)
}

#[component]
pub fn NewIncident() -> impl IntoView {
    let credentials = use_credentials();
    let utc_offset_minutes = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    let draft = RwSignal::new(TriageDraft::starting_at(now(), utc_offset_minutes));
    // The status page's components, the categories of K1.
    let categories = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::categories(&token)
                    .await
                    .map(|l| l.categories)
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        }
    });
    let categories = Signal::derive(move || categories.get().unwrap_or_default());
    let submit = Action::new_local(move |request: &NewIncidentRequest| {
        let request = request.clone();
        let token = credentials.token.get_untracked().unwrap_or_default();
        async move { api::create_incident(&token, &request).await }
    });
    let local_error = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (facts, errors) = draft.with_untracked(TriageDraft::to_facts);
        if let Some(first) = errors.first() {
            local_error.set(Some(format!("{}: {}", first.field, first.message)));
            return;
        }
        if let Err(err) = check_alert_time(facts.alerted_at, now()) {
            return local_error.set(Some(format!("alerted_at: {err}")));
        }
        let parts = draft.with_untracked(|d| d.category().and_then(|c| Ok((c, d.labels()?))));
        let (category, labels) = match parts {
            Ok(parts) => parts,
            Err(err) => return local_error.set(Some(format!("{}: {}", err.field, err.message))),
        };
        match Title::parse(&draft.with_untracked(|d| d.title.clone())) {
            Ok(title) => {
                local_error.set(None);
                submit.dispatch(NewIncidentRequest {
                    title,
                    facts,
                    category,
                    labels: labels.as_slice().to_vec(),
                    priority: None,
                    priority_reason: None,
                    owner_group: None,
                });
            }
            Err(err) => local_error.set(Some(format!("title: {err}"))),
        }
    };
    view! {
        <h1>"New incident"</h1>
        <form class="triage" on:submit=on_submit novalidate>
            <div>
                <TriageForm draft=draft categories=categories />
                <p>
                    <button id="submit-incident" type="submit" disabled=move || submit.pending().get()>
                        "Record incident"
                    </button>
                </p>
                <p id="submit-result" role="status">
                    {move || local_error.get().map(|e| view! { <span class="error">{e}</span> })}
                    {move || submit.value().get().map(|result| match result {
                        Ok(view) => view! {
                            <span data-incident-id=view.id>
                                {format!("Recorded incident #{} as {}. ", view.id, view.priority)}
                                <a href=format!("/incidents/{}", view.id) id="open-incident">"Open the incident"</a>
                            </span>
                        }.into_any(),
                        Err(err) => view! { <span class="error">{err.to_string()}</span> }.into_any(),
                    })}
                </p>
            </div>
            <LiveClassification draft=draft />
        </form>
    }
}
