//! The priority and its reasons, recomputed in the browser on every keystroke
//! and every customer added or removed (SPEC P5), with what K1 still asks for.

use crate::components::priority_badge::PriorityBadge;
use crate::triage_draft::TriageDraft;
use beacon_shared::{check_category, classify_priority};
use leptos::prelude::*;

#[component]
pub fn LiveClassification(draft: RwSignal<TriageDraft>) -> impl IntoView {
    let parsed = Memo::new(move |_| draft.with(TriageDraft::to_facts));
    let classification = Memo::new(move |_| parsed.with(|(facts, _)| classify_priority(facts)));
    // K1: a P0/P1 needs a category; the form offers only known ones.
    let category_needed = move || {
        let priority = classification.with(|c| c.priority);
        let chosen = draft.with(|d| !d.category.trim().is_empty());
        (!chosen)
            .then(|| check_category(priority, None, &[]).err())
            .flatten()
            .map(|err| view! { <p id="live-category-needed" class="hint">{err.to_string()}</p> })
    };
    view! {
        <aside class="live" aria-live="polite" aria-labelledby="live-heading">
            <h2 id="live-heading">"Priority by the SOP"</h2>
            <div id="live-priority" data-priority=move || classification.with(|c| c.priority.as_str())>
                {move || view! { <PriorityBadge priority=classification.with(|c| c.priority) big=true /> }}
            </div>
            <ul id="live-reasons" class="reasons">
                {move || {
                    classification.with(|c| {
                        if c.matched.is_empty() {
                            vec![view! { <li class="muted">"No rule matched yet: P3 is the default."</li> }.into_any()]
                        } else {
                            c.matched
                                .iter()
                                .map(|m| {
                                    let text = m.reason.clone();
                                    let input = m.input.clone();
                                    view! {
                                        <li data-rule=format!("{:?}", m.rule)>
                                            <strong>{m.priority.as_str()}</strong>" "{text}
                                            <div class="muted">{input}</div>
                                        </li>
                                    }
                                    .into_any()
                                })
                                .collect::<Vec<_>>()
                        }
                    })
                }}
            </ul>
            {category_needed}
            <ul id="live-errors" class="field-error">
                {move || parsed.with(|(_, errors)| {
                    errors.iter().map(|e| view! { <li>{format!("{}: {}", e.field, e.message)}</li> }).collect::<Vec<_>>()
                })}
            </ul>
        </aside>
    }
}
