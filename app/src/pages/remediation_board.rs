//! The remediation board (SPEC V8, R4): every remediation item the reader may
//! see, vendors' included, by owner and overdue first
//! (`beacon_shared::remediation::sort_for_board`, applied by `GET /api/remediation`).

use crate::api;
use crate::credentials::use_credentials;
use leptos::prelude::*;

#[component]
pub fn RemediationBoard() -> impl IntoView {
    let credentials = use_credentials();
    let items = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::remediation_board(&token).await.map(|b| Some(b.items)),
                None => Ok(None),
            }
        }
    });
    view! {
        <h1>"Remediation"</h1>
        <p class="muted">"Every item until it is verified or declined, by owner, overdue first."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || items.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the remediation board."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(items)) if items.is_empty() => {
                    view! { <p id="remediation-empty" class="muted">"No remediation items."</p> }.into_any()
                }
                Ok(Some(items)) => view! {
                    <table id="remediation-board" class="remediation">
                        <thead><tr><th>"Owner"</th><th>"Item"</th><th>"Problem"</th><th>"Due"</th><th>"Status"</th></tr></thead>
                        <tbody>
                            {items.into_iter().map(|view_| {
                                let item = view_.item;
                                let owner = match &item.owner {
                                    beacon_shared::remediation::RemediationOwner::Person { name } => name.as_str().to_owned(),
                                    beacon_shared::remediation::RemediationOwner::Vendor { vendor, contact } => format!("{contact} ({vendor})"),
                                };
                                view! {
                                    <tr data-overdue=view_.overdue.to_string() data-status=item.status.as_str()>
                                        <td>{owner}</td>
                                        <td>{item.title.as_str().to_owned()}</td>
                                        <td><a href=format!("/problems/{}", item.problem)>"#"{item.problem}</a></td>
                                        <td>{item.due_at.to_string().chars().take(10).collect::<String>()}
                                            {view_.overdue.then(|| view! { " " <strong class="error">"overdue"</strong> })}</td>
                                        <td>{item.status.as_str().replace('_', " ")}</td>
                                    </tr>
                                }
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
