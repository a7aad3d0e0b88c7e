//! The parts of a public message shared by a new incident and an update
//! (SPEC M2, M3): its status, its text (a template, shown live as customers
//! will read it, or written text) and the components it changes.

use crate::components::choice_options::choice_options;
use crate::status_editing_draft::{MessageDraft, TextChoice, COMPONENT_STATUS_CHOICES};
use crate::status_editing_state::{now, StatusEditingState};
use beacon_shared::status_page::{Component, ComponentId, ComponentStatus, PublicIncidentStatus};
use leptos::prelude::*;

/// The status select; its options follow the draft.
#[component]
pub fn IncidentStatusSelect(
    message: RwSignal<MessageDraft>,
    id: String,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    let choose = move |ev: leptos::ev::Event| {
        if let Ok(status) = event_target_value(&ev).parse::<PublicIncidentStatus>() {
            message.update(|m| m.status = status);
        }
    };
    view! {
        <label for=id.clone()>"Status"</label>
        <select id=id class=class on:change=choose>
            {choice_options(PublicIncidentStatus::ALL, PublicIncidentStatus::as_str, PublicIncidentStatus::label,
                move |status| message.with(|m| m.status == status))}
        </select>
    }
}

/// Where the message's text and its live rendering go.
pub struct TextFieldIds {
    pub select_id: String,
    pub select_class: Option<&'static str>,
    pub body_id: String,
    pub body_class: Option<&'static str>,
    /// The element showing the template's text as it will be published.
    pub rendered_id: String,
}

/// The template select, the template's text as the edge will render it, and
/// the written text (typing switches to "Written").
#[component]
pub fn MessageText(
    state: StatusEditingState,
    message: RwSignal<MessageDraft>,
    ids: TextFieldIds,
) -> impl IntoView {
    let choose = move |ev: leptos::ev::Event| {
        if let Some(choice) = TextChoice::from_value(&event_target_value(&ev)) {
            message.update(|m| m.choose_text(choice));
        }
    };
    view! {
        <label for=ids.select_id.clone()>"Text"</label>
        <select id=ids.select_id class=ids.select_class on:change=choose>
            {choice_options(&TextChoice::ALL, TextChoice::value, TextChoice::label,
                move |choice| message.with(|m| m.text == choice))}
        </select>
        <div id=ids.rendered_id class="template-text" aria-live="polite">
            {move || rendered_text(state, message)}
        </div>
        {move || status_mismatch(message)}
        <label for=ids.body_id.clone()>"Your own text " <span class="muted">"(published with “Written”)"</span></label>
        <textarea id=ids.body_id class=ids.body_class rows="4"
            placeholder="What customers notice, what we are doing, when we post next."
            prop:value=move || message.with(|m| m.body.clone())
            on:input=move |ev| message.update(|m| m.write(event_target_value(&ev)))></textarea>
    }
}

fn rendered_text(state: StatusEditingState, message: RwSignal<MessageDraft>) -> AnyView {
    let components = state.components();
    match message.with(|m| m.template_text(&components, now())) {
        Some(text) => view! {
            <span class="muted">"Customers will read:"</span>
            <blockquote>{text}</blockquote>
        }
        .into_any(),
        None => view! {
            <span class="muted">"Your own text below is published as typed."</span>
        }
        .into_any(),
    }
}

fn status_mismatch(message: RwSignal<MessageDraft>) -> Option<impl IntoView> {
    let (text, status) = message.with(|m| (m.text, m.status));
    message
        .with(MessageDraft::template_disagrees_with_status)
        .then(|| {
            view! {
                <p class="hint">
                    {format!(
                        "The text speaks of “{}” but the status is “{}”. Check that this is what customers should read.",
                        text.value(),
                        status.label().to_lowercase()
                    )}
                </p>
            }
        })
}

/// One `select.affect` per component: its new status, or unchanged.
#[component]
pub fn AffectedSelects(
    state: StatusEditingState,
    message: RwSignal<MessageDraft>,
    /// Keeps the element ids unique on the page.
    scope: String,
) -> impl IntoView {
    move || {
        let components = state.components();
        if components.is_empty() {
            return view! { <p class="muted">"No components on the page yet."</p> }.into_any();
        }
        view! {
            <div class="affect-list">
                <span class="group-label">"Components this changes"</span>
                {components.into_iter().map(|c| affect_select(message, &scope, c)).collect::<Vec<_>>()}
            </div>
        }
        .into_any()
    }
}

fn affect_select(
    message: RwSignal<MessageDraft>,
    scope: &str,
    component: Component,
) -> impl IntoView {
    let select_id = format!("affect-{scope}-{}", component.id);
    let id = component.id.clone();
    let choose = move |ev: leptos::ev::Event| {
        let status = event_target_value(&ev).parse::<ComponentStatus>().ok();
        message.update(|m| m.set_affected(id.clone(), status));
    };
    let now = component.status.label().to_lowercase();
    view! {
        <label for=select_id.clone()>
            {component.name.to_string()}
            <span class="muted">{format!(" (now {now})")}</span>
        </label>
        <select id=select_id class="affect" data-id=component.id.to_string() on:change=choose>
            <option value="" prop:selected=is_chosen(message, component.id.clone(), None)>"Unchanged"</option>
            {COMPONENT_STATUS_CHOICES.iter().map(|&status| view! {
                <option value=status.as_str() prop:selected=is_chosen(message, component.id.clone(), Some(status))>
                    {status.label()}
                </option>
            }).collect::<Vec<_>>()}
        </select>
    }
}

fn is_chosen(
    message: RwSignal<MessageDraft>,
    id: ComponentId,
    status: Option<ComponentStatus>,
) -> impl Fn() -> bool + Send + Sync + 'static {
    move || message.with(|m| m.affected.get(&id).copied() == status)
}
