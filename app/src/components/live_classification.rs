//! The priority and its reasons, recomputed in the browser on every keystroke (SPEC P5).

use crate::components::priority_badge::PriorityBadge;
use crate::triage_draft::TriageDraft;
use beacon_shared::classify_priority;
use leptos::prelude::*;

#[component]
pub fn LiveClassification(draft: RwSignal<TriageDraft>) -> impl IntoView {
    let parsed = Memo::new(move |_| draft.with(TriageDraft::to_facts));
    let classification = Memo::new(move |_| parsed.with(|(facts, _)| classify_priority(facts)));
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
            <ul id="live-errors" class="field-error">
                {move || parsed.with(|(_, errors)| {
                    errors.iter().map(|e| view! { <li>{format!("{}: {}", e.field, e.message)}</li> }).collect::<Vec<_>>()
                })}
            </ul>
        </aside>
    }
}
