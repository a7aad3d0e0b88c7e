//! A coloured P0..P3 badge.

use beacon_shared::Priority;
use leptos::prelude::*;

#[component]
pub fn PriorityBadge(priority: Priority, #[prop(optional)] big: bool) -> impl IntoView {
    let class = format!(
        "badge {}{}",
        priority.as_str(),
        if big { " big" } else { "" }
    );
    view! { <span class=class>{priority.as_str()}</span> }
}
