//! The status page's components (SPEC M1, K1): adding a K1 category as a
//! component and setting each component's public status by hand.

use crate::api;
use crate::components::choice_options::choice_select;
use crate::status_editing_draft::{
    available_categories, category_to_add, COMPONENT_STATUS_CHOICES,
};
use crate::status_editing_state::{RequestState, StatusEditingState};
use beacon_shared::category::Category;
use beacon_shared::status_editing::{ComponentStatusChange, NewStatusComponent};
use beacon_shared::status_page::{Component, ComponentStatus, StatusPage};
use leptos::prelude::*;

/// The add form (for those who publish) and one row per component.
#[component]
pub fn ComponentsSection(state: StatusEditingState) -> impl IntoView {
    let result = RwSignal::new(None::<String>);
    let rows = move || {
        let may_publish = state.may_publish();
        state.page.with(|page| {
            let Some(page) = page else {
                return ().into_any();
            };
            if page.components().is_empty() {
                return view! { <p id="no-components" class="muted">"No components yet: customers see an empty page."</p> }
                    .into_any();
            }
            view! {
                <ul id="components" class="component-list">
                    {page.components().iter().map(|c| {
                        let group = group_name(page, c);
                        view! { <ComponentRow state=state component=c.clone() group=group result=result may_publish=may_publish /> }
                    }).collect::<Vec<_>>()}
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <Show when=move || state.may_publish()>
            <AddComponent state=state result=result />
        </Show>
        {move || result.get().map(|text| view! { <p id="component-result" class="success" role="status">{text}</p> })}
        {rows}
    }
}

fn group_name(page: &StatusPage, component: &Component) -> Option<String> {
    let group = component.group_id.as_ref()?;
    page.groups()
        .iter()
        .find(|g| &g.id == group)
        .map(|g| g.name.to_string())
}

#[component]
fn AddComponent(state: StatusEditingState, result: RwSignal<Option<String>>) -> impl IntoView {
    let chosen = RwSignal::new(String::new());
    let request = RequestState::default();
    let available = move || {
        let components = state.components();
        state
            .categories
            .with(|categories| available_categories(categories, &components))
    };
    let add = move |_| {
        let Some(name) = category_to_add(&untrack(available), &chosen.get_untracked()) else {
            return request.refuse("Every category is already on the page.");
        };
        let token = state.token();
        let component = NewStatusComponent {
            name,
            description: None,
            position: None,
            showcase: true,
            only_show_if_degraded: false,
        };
        request.send(
            async move { api::add_status_component(&token, &component).await },
            move |added| {
                result.set(Some(format!("Added “{}” to the page.", added.name)));
                state.reload();
            },
        );
    };
    view! {
        <div class="add-component">
            <label for="component-category">"Add a category as a component"</label>
            <div class="inline">
                <select id="component-category" on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {move || category_options(available(), chosen)}
                </select>
                <button type="button" id="add-component" disabled=move || request.busy.get() on:click=add>
                    "Add component"
                </button>
            </div>
            {request.error_view()}
        </div>
    }
}

fn category_options(available: Vec<Category>, chosen: RwSignal<String>) -> AnyView {
    if available.is_empty() {
        return view! { <option value="" disabled=true>"Every category is on the page"</option> }
            .into_any();
    }
    let selected = category_to_add(&available, &chosen.get_untracked());
    available
        .into_iter()
        .map(|category| {
            let is_selected = selected.as_ref() == Some(&category);
            view! { <option value=category.as_str().to_owned() selected=is_selected>{category.to_string()}</option> }
        })
        .collect::<Vec<_>>()
        .into_any()
}

#[component]
fn ComponentRow(
    state: StatusEditingState,
    component: Component,
    group: Option<String>,
    result: RwSignal<Option<String>>,
    may_publish: bool,
) -> impl IntoView {
    let id = component.id.clone();
    let current = component.status;
    let name = component.name.to_string();
    let controls = may_publish.then(|| {
        let status = RwSignal::new(current);
        let request = RequestState::default();
        let select_id = format!("component-{id}-status");
        let save = {
            let id = id.clone();
            let name = name.clone();
            move |_| {
                let token = state.token();
                let id = id.clone();
                let name = name.clone();
                let change = ComponentStatusChange {
                    status: status.get_untracked(),
                };
                request.send(
                    async move { api::set_component_status(&token, &id, &change).await },
                    move |saved| {
                        result.set(Some(format!(
                            "{name} is now {}.",
                            saved.status.label().to_lowercase()
                        )));
                        state.reload();
                    },
                );
            }
        };
        view! {
            <label for=select_id.clone() class="sr-only">{format!("New status of {name}")}</label>
            {choice_select(select_id, "component-status", status, &COMPONENT_STATUS_CHOICES,
                ComponentStatus::as_str, ComponentStatus::label)}
            <button type="button" class="save-component-status secondary" disabled=move || request.busy.get() on:click=save>
                "Save status"
            </button>
            {request.error_view()}
        }
    });
    view! {
        <li class="component-row" data-id=id.to_string() data-status=current.as_str()>
            <span class="status-dot" data-status=current.as_str() aria-hidden="true"></span>
            <span class="component-name">
                <strong>{name.clone()}</strong>
                {group.map(|g| view! { <span class="muted">{format!(" in {g}")}</span> })}
            </span>
            <span class="component-current">{current.label()}</span>
            {controls}
        </li>
    }
}
