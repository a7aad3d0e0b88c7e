//! The `<option>`s of a select over a closed set of values, such as the
//! statuses of a component, an incident or a maintenance.

use leptos::prelude::*;

/// One `<option>` per choice, with its `value` and `label`, selected while
/// `selected(choice)` holds.
pub fn choice_options<T: Copy + Send + Sync + 'static>(
    choices: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    selected: impl Fn(T) -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    choices
        .iter()
        .map(|&choice| {
            view! {
                <option value=value(choice) prop:selected=move || selected(choice)>
                    {label(choice)}
                </option>
            }
        })
        .collect::<Vec<_>>()
}

/// A `<select>` over `choices` that sets `chosen` to the option picked.
pub fn choice_select<T>(
    id: String,
    class: &'static str,
    chosen: RwSignal<T>,
    choices: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> impl IntoView
where
    T: Copy + PartialEq + std::str::FromStr + Send + Sync + 'static,
{
    view! {
        <select id=id class=class on:change=move |ev| {
            if let Ok(next) = event_target_value(&ev).parse::<T>() {
                chosen.set(next);
            }
        }>
            {choice_options(choices, value, label, move |choice| chosen.get() == choice)}
        </select>
    }
}
