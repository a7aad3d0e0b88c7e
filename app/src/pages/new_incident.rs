//! Record a new incident: the triage form with the live priority beside it.

use crate::api;
use crate::components::live_classification::LiveClassification;
use crate::components::triage_form::TriageForm;
use crate::credentials::use_credentials;
use crate::triage_draft::TriageDraft;
use beacon_shared::api::NewIncident as NewIncidentRequest;
use beacon_shared::category::Category;
use beacon_shared::triage::Title;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NewIncident() -> impl IntoView {
    let credentials = use_credentials();
    let draft = RwSignal::new(TriageDraft::default());
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
        let category_text = draft.with_untracked(|d| d.category.trim().to_owned());
        let category = match category_text.as_str() {
            "" => None,
            text => match Category::parse(text) {
                Ok(category) => Some(category),
                Err(err) => return local_error.set(Some(format!("category: {err}"))),
            },
        };
        match Title::parse(&draft.with_untracked(|d| d.title.clone())) {
            Ok(title) => {
                local_error.set(None);
                submit.dispatch(NewIncidentRequest {
                    title,
                    facts,
                    category,
                    labels: Vec::new(),
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
                <TriageForm draft=draft />
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
                                <A href=format!("/incidents/{}", view.id) attr:id="open-incident">"Open the incident"</A>
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
