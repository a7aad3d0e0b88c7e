//! The incident queue: most urgent first, then oldest, with each ticket's age,
//! filtered by priority, status, category, owning group and open/closed. The
//! filters live in the address, so a filtered queue can be bookmarked and shared.

use crate::api;
use crate::components::priority_badge::PriorityBadge;
use crate::credentials::use_credentials;
use crate::navigation::AddressFilters;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::{format_duration, DurationStyle, Priority, Timestamp};
use leptos::prelude::*;

/// The query parameters the queue forwards to `GET /api/incidents`.
pub const FILTER_KEYS: [&str; 5] = ["priority", "status", "category", "owner_group", "open"];

/// `priority=P0&open=true` from the non-empty filters, in a fixed order.
pub fn filter_query(filters: &[(&'static str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for key in FILTER_KEYS {
        if let Some((_, value)) = filters.iter().find(|(k, v)| *k == key && !v.is_empty()) {
            query.append_pair(key, value);
        }
    }
    query.finish()
}

#[component]
pub fn IncidentQueue() -> impl IntoView {
    let credentials = use_credentials();
    let filters = AddressFilters::new("/", &FILTER_KEYS, filter_query);
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
    let incidents = LocalResource::new(move || {
        let token = credentials.token.get();
        let query = filters.query();
        async move {
            match token {
                Some(token) => api::list_incidents(&token, &query).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let set_filter = move |key: &'static str, value: String| filters.set(key, value);
    let current = move |key: &str| filters.value(key);
    let select = move |key: &'static str, label: &'static str, options: Vec<(String, String)>| {
        view! {
            <label>{label}
                <select id=format!("filter-{key}") on:change=move |ev| set_filter(key, event_target_value(&ev))>
                    {options.into_iter().map(|(value, text)| {
                        let option_value = value.clone();
                        let selected = move || current(key) == value;
                        view! { <option value=option_value selected=selected>{text}</option> }
                    }).collect::<Vec<_>>()}
                </select>
            </label>
        }
    };
    let any = || (String::new(), "any".to_owned());
    let priority_options: Vec<_> = std::iter::once(any())
        .chain(
            Priority::ALL
                .iter()
                .map(|p| (p.as_str().to_owned(), p.as_str().to_owned())),
        )
        .collect();
    let status_options: Vec<_> = std::iter::once(any())
        .chain(
            IncidentStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), s.as_str().replace('_', " "))),
        )
        .collect();
    let open_options = vec![
        any(),
        ("true".to_owned(), "open".to_owned()),
        ("false".to_owned(), "closed or discarded".to_owned()),
    ];
    let owner_input = move || {
        view! {
            <label>"Owning group"
                <input id="filter-owner_group" type="text" prop:value=move || current("owner_group")
                    on:change=move |ev| set_filter("owner_group", event_target_value(&ev).trim().to_owned()) />
            </label>
        }
    };
    view! {
        <h1>"Incident queue"</h1>
        <form class="filters grid" aria-label="Filter the queue" on:submit=|ev| ev.prevent_default()>
            {select("priority", "Priority", priority_options)}
            {select("status", "Status", status_options)}
            {move || {
                let options: Vec<_> = std::iter::once(any())
                    .chain(categories.get().unwrap_or_default().into_iter().map(|c| (c.clone(), c)))
                    .chain(std::iter::once(("Security".to_owned(), "Security".to_owned())))
                    .collect();
                select("category", "Category", options)
            }}
            {owner_input()}
            {select("open", "Open or closed", open_options)}
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || incidents.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the queue."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(list)) if list.incidents.is_empty() => {
                    view! { <p id="incident-queue-empty" class="muted">"No incidents match these filters."</p> }.into_any()
                }
                Ok(Some(list)) => {
                    let now = Timestamp::from_unix_millis(js_sys::Date::now() as i64);
                    view! {
                        <table id="incident-queue" class="stacked">
                            <thead><tr><th>"#"</th><th>"Priority"</th><th>"Title"</th><th>"Status"</th><th>"Category"</th><th>"Group"</th><th>"Age"</th></tr></thead>
                            <tbody>
                                {list.incidents.into_iter().map(|i| view! {
                                    <tr data-incident-id=i.id>
                                        <td data-label="#">{i.id}</td>
                                        <td data-label="Priority"><PriorityBadge priority=i.priority /></td>
                                        <td data-label="Title"><a href=format!("/incidents/{}", i.id)>{i.title}</a></td>
                                        <td data-label="Status">{i.status.as_str().replace('_', " ")}</td>
                                        <td data-label="Category">{i.category.unwrap_or_default()}</td>
                                        <td data-label="Group">{i.owner_group.unwrap_or_default()}</td>
                                        <td data-label="Age">{format_duration(now.millis_since(i.created_at).max(0), DurationStyle::Short)}</td>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_query_skips_empty_filters_and_encodes() {
        let query = filter_query(&[
            ("open", "true".into()),
            ("category", "Web application".into()),
            ("priority", String::new()),
        ]);
        assert_eq!(query, "category=Web+application&open=true");
    }
}
