//! The incident queue: most urgent first, then oldest, with each ticket's age,
//! filtered by priority, status, category, owning group and open/closed. The
//! filters live in the address, so a filtered queue can be bookmarked and shared.

use super::{badge, dom, refusal, Reader};
use crate::api;
use beacon_shared::api::glance::IncidentListGlance;
use beacon_shared::category::Category;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::{format_duration, DurationStyle, Priority};
use maud::{html, Markup};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::Element;

/// The query parameters the queue forwards to `GET /api/incidents`.
pub const FILTER_KEYS: [&str; 5] = ["priority", "status", "category", "owner_group", "open"];

/// `priority=P0&open=true` from the non-empty filters, in a fixed order.
pub fn filter_query(filters: &[(String, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for key in FILTER_KEYS {
        if let Some((_, value)) = filters.iter().find(|(k, v)| k == key && !v.is_empty()) {
            query.append_pair(key, value);
        }
    }
    query.finish()
}

/// The queue's filters as the address has them.
fn filters_in_address() -> Vec<(String, String)> {
    form_urlencoded::parse(dom::query().as_bytes())
        .filter(|(key, _)| FILTER_KEYS.contains(&key.as_ref()))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

struct Queue {
    token: String,
    filters: Vec<(String, String)>,
    categories: Vec<String>,
}

impl Queue {
    fn value(&self, key: &str) -> &str {
        self.filters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    fn set(&mut self, key: &str, value: String) {
        self.filters.retain(|(k, _)| k != key);
        self.filters.push((key.to_owned(), value));
    }
}

pub fn show(page: &Element, reader: &Reader) {
    let Some(token) = reader.csrf.clone() else {
        return dom::write(
            page,
            html! { h1 { "Incident queue" } p { "Sign in to see the queue." } },
        );
    };
    let queue = Rc::new(RefCell::new(Queue {
        token,
        filters: filters_in_address(),
        categories: Vec::new(),
    }));
    dom::write(
        page,
        html! {
            h1 { "Incident queue" }
            form.filters.grid id="queue-filters" aria-label="Filter the queue" {
                (filters(&queue.borrow()))
            }
            div id="queue-list" { p.muted { "Loading…" } }
        },
    );
    load_list(&queue);
    let token = queue.borrow().token.clone();
    let loaded = queue.clone();
    dom::spawn(async move {
        let categories = api::categories(&token)
            .await
            .map(|l| l.categories)
            .unwrap_or_default();
        loaded.borrow_mut().categories = categories;
        let queue = loaded.borrow();
        // Only the category's options: what is being typed elsewhere stays.
        dom::write_into(
            "filter-category",
            options(queue.value("category"), &category_choices(&queue)),
        );
    });
    dom::listen(page, "submit", |event| event.prevent_default());
    let changed = queue.clone();
    dom::listen(page, "change", move |event| {
        let Some(target) = dom::target(&event) else {
            return;
        };
        let Some(key) = target.id().strip_prefix("filter-").map(str::to_owned) else {
            return;
        };
        changed
            .borrow_mut()
            .set(&key, dom::element_value(&target).trim().to_owned());
        let query = filter_query(&changed.borrow().filters);
        dom::replace_address(&if query.is_empty() {
            "/".into()
        } else {
            format!("/?{query}")
        });
        load_list(&changed);
    });
}

fn load_list(queue: &Rc<RefCell<Queue>>) {
    let (token, query) = {
        let queue = queue.borrow();
        (queue.token.clone(), filter_query(&queue.filters))
    };
    dom::spawn(async move {
        let shown = match api::list_incidents(&token, &query).await {
            Ok(list) => table(list),
            Err(err) => html! { p.error role="alert" { (refusal(&err)) } },
        };
        // A later change of the filters may have answered first.
        if filter_query(&filters_in_address()) == query {
            dom::write_into("queue-list", shown);
        }
    });
}

fn options(current: &str, choices: &[(String, String)]) -> Markup {
    html! {
        @for (value, text) in choices {
            option value=(value) selected[current == value] { (text) }
        }
    }
}

fn select(queue: &Queue, key: &str, label: &str, choices: &[(String, String)]) -> Markup {
    html! {
        label { (label)
            select id={ "filter-" (key) } { (options(queue.value(key), choices)) }
        }
    }
}

fn any() -> (String, String) {
    (String::new(), "any".to_owned())
}

/// Any, the status page's components (once known), and Security (K3).
fn category_choices(queue: &Queue) -> Vec<(String, String)> {
    std::iter::once(any())
        .chain(queue.categories.iter().map(|c| (c.clone(), c.clone())))
        .chain(std::iter::once((
            Category::SECURITY.into(),
            Category::SECURITY.into(),
        )))
        .collect()
}

fn filters(queue: &Queue) -> Markup {
    let priorities: Vec<_> = std::iter::once(any())
        .chain(
            Priority::ALL
                .iter()
                .map(|p| (p.as_str().into(), p.as_str().into())),
        )
        .collect();
    let statuses: Vec<_> = std::iter::once(any())
        .chain(
            IncidentStatus::ALL
                .iter()
                .map(|s| (s.as_str().into(), s.as_str().replace('_', " "))),
        )
        .collect();
    let categories = category_choices(queue);
    let open = [
        any(),
        ("true".into(), "open".into()),
        ("false".into(), "closed or discarded".into()),
    ];
    html! {
        (select(queue, "priority", "Priority", &priorities))
        (select(queue, "status", "Status", &statuses))
        (select(queue, "category", "Category", &categories))
        label { "Owning group"
            input id="filter-owner_group" type="text" value=(queue.value("owner_group"));
        }
        (select(queue, "open", "Open or closed", &open))
    }
}

fn table(list: IncidentListGlance) -> Markup {
    if list.incidents.is_empty() {
        return html! { p id="incident-queue-empty" class="muted" { "No incidents match these filters." } };
    }
    let now = dom::now();
    html! {
        table id="incident-queue" class="stacked" {
            thead { tr {
                th { "#" } th { "Priority" } th { "Title" } th { "Status" }
                th { "Category" } th { "Group" } th { "Age" }
            } }
            tbody {
                @for i in &list.incidents {
                    tr data-incident-id=(i.id) {
                        td data-label="#" { (i.id) }
                        td data-label="Priority" { (badge(i.priority, false)) }
                        td data-label="Title" { a href={ "/incidents/" (i.id) } { (i.title) } }
                        td data-label="Status" { (i.status.as_str().replace('_', " ")) }
                        td data-label="Category" { (i.category.as_deref().unwrap_or_default()) }
                        td data-label="Group" { (i.owner_group.as_deref().unwrap_or_default()) }
                        td data-label="Age" {
                            (format_duration(now.millis_since(i.created_at).max(0), DurationStyle::Short))
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_query_skips_empty_filters_and_encodes() {
        let query = filter_query(&[
            ("open".into(), "true".into()),
            ("category".into(), "Web application".into()),
            ("priority".into(), String::new()),
        ]);
        assert_eq!(query, "category=Web+application&open=true");
    }
}
