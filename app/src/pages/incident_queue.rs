//! The incident queue: most urgent first, then oldest, with each ticket's age.

use crate::api;
use crate::components::priority_badge::PriorityBadge;
use crate::credentials::use_credentials;
use beacon_shared::Timestamp;
use leptos::prelude::*;

/// "3 d 4 h", "2 h 5 min", "12 min": how long a ticket has been open.
pub fn format_age(created: Timestamp, now: Timestamp) -> String {
    let minutes = now.millis_since(created).max(0) / 60_000;
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {mins} min")
    } else {
        format!("{mins} min")
    }
}

#[component]
pub fn IncidentQueue() -> impl IntoView {
    let credentials = use_credentials();
    let incidents = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::list_incidents(&token).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <h1>"Incident queue"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || incidents.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the queue."</p> }.into_any(),
                Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                Ok(Some(list)) => {
                    let now = Timestamp::from_unix_millis(js_sys::Date::now() as i64);
                    view! {
                        <table id="incident-queue">
                            <thead><tr><th>"#"</th><th>"Priority"</th><th>"Title"</th><th>"Status"</th><th>"Age"</th></tr></thead>
                            <tbody>
                                {list.incidents.into_iter().map(|i| view! {
                                    <tr data-incident-id=i.id>
                                        <td>{i.id}</td>
                                        <td><PriorityBadge priority=i.priority /></td>
                                        <td>{i.title}</td>
                                        <td>{i.status.as_str()}</td>
                                        <td>{format_age(i.created_at, now)}</td>
                                    </tr>
                                }).collect::<Vec<_>>()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
