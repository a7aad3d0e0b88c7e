//! The triage form's fields (SPEC T1-T6), grouped for speed under stress.

use crate::triage_draft::{TriageDraft, MAIN_REGIONS, OBSERVATIONS};
use leptos::prelude::*;

type Getter = fn(&TriageDraft) -> &String;
type Setter = fn(&mut TriageDraft, String);

fn text_input(
    draft: RwSignal<TriageDraft>,
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    get: Getter,
    set: Setter,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                id=id
                name=id
                type=kind
                step=(kind == "number").then_some("any")
                autocomplete="off"
                // Uncontrolled on purpose: writing the value back while the SRE
                // types would wipe partial numbers such as "97." mid-keystroke.
                prop:defaultValue=draft.with_untracked(|d| get(d).clone())
                on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
            />
        </label>
    }
}

/// A choice from a fixed list; `choices` are (value, label) pairs.
fn select_input(
    draft: RwSignal<TriageDraft>,
    id: &'static str,
    label: &'static str,
    get: Getter,
    set: Setter,
    choices: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <label>
            {label}
            <select
                id=id
                prop:value=move || draft.with(|d| get(d).clone())
                on:change=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
            >
                {choices
                    .iter()
                    .map(|(value, text)| view! { <option value=*value>{*text}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

fn check_input(
    draft: RwSignal<TriageDraft>,
    id: &'static str,
    label: &'static str,
    get: fn(&TriageDraft) -> bool,
    set: fn(&mut TriageDraft, bool),
) -> impl IntoView {
    view! {
        <label class="check">
            <input
                id=id
                type="checkbox"
                prop:checked=move || draft.with(get)
                on:change=move |ev| draft.update(|d| set(d, event_target_checked(&ev)))
            />
            {label}
        </label>
    }
}

fn regional_inputs(
    draft: RwSignal<TriageDraft>,
    prefix: &'static str,
    what: &'static str,
    availability: bool,
) -> impl IntoView {
    MAIN_REGIONS
        .iter()
        .map(|region| {
            let region = *region;
            let id = format!("{prefix}-{region}");
            view! {
                <label>
                    {format!("{what} from {region} (%)")}
                    <input
                        id=id.clone()
                        name=id
                        type="number"
                        step="any"
                        min="0"
                        max="100"
                        prop:defaultValue=draft.with_untracked(|d| {
                            let map = if availability { &d.availability_by_region } else { &d.packet_loss_by_region };
                            map.get(region).cloned().unwrap_or_default()
                        })
                        on:input=move |ev| draft.update(|d| {
                            let map = if availability { &mut d.availability_by_region } else { &mut d.packet_loss_by_region };
                            map.insert(region.to_owned(), event_target_value(&ev));
                        })
                    />
                </label>
            }
        })
        .collect::<Vec<_>>()
}

/// Every triage field; the live classification sits beside it.
#[component]
pub fn TriageForm(draft: RwSignal<TriageDraft>) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"What is happening"</legend>
            {text_input(draft, "title", "Title", "text", |d| &d.title, |d, v| d.title = v)}
            {text_input(draft, "category", "Category (status-page component; required for P0/P1)", "text", |d| &d.category, |d, v| d.category = v)}
            <div class="grid">
                {text_input(draft, "system", "System or application", "text", |d| &d.system, |d, v| d.system = v)}
                {text_input(draft, "hostname", "Hostname", "text", |d| &d.hostname, |d, v| d.hostname = v)}
            </div>
        </fieldset>
        <fieldset>
            <legend>"Measurements"</legend>
            <div class="grid">
                {text_input(draft, "availability-global", "Availability globally (%)", "number", |d| &d.availability_global, |d, v| d.availability_global = v)}
                {regional_inputs(draft, "availability-region", "Availability", true)}
                {text_input(draft, "packet-loss-global", "Transit packet loss globally (%)", "number", |d| &d.packet_loss_global, |d, v| d.packet_loss_global = v)}
                {regional_inputs(draft, "packet-loss-region", "Transit packet loss", false)}
                {select_input(draft, "tier1-datacenter", "Tier-1 data center", |d| &d.tier1_datacenter, |d, v| d.tier1_datacenter = v,
                    &[("", "not affected"), ("degraded", "significantly degraded"), ("lost", "lost")])}
            </div>
        </fieldset>
        <fieldset>
            <legend>"Observations"</legend>
            <div class="grid">
                {OBSERVATIONS
                    .iter()
                    .map(|(key, label)| {
                        let key = *key;
                        view! {
                            <label class="check">
                                <input
                                    id=format!("obs-{key}")
                                    type="checkbox"
                                    prop:checked=move || draft.with(|d| d.observations.contains(key))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        draft.update(|d| {
                                            if on { d.observations.insert(key.to_owned()); } else { d.observations.remove(key); }
                                        })
                                    }
                                />
                                {*label}
                            </label>
                        }
                    })
                    .collect::<Vec<_>>()}
            </div>
        </fieldset>
        <fieldset>
            <legend>"Type and scope of impact"</legend>
            <div class="grid">
                {check_input(draft, "impact-total-loss", "Total loss of access", |d| d.total_loss_of_access, |d, v| d.total_loss_of_access = v)}
                {check_input(draft, "impact-performance", "Performance degradation", |d| d.performance_degradation, |d, v| d.performance_degradation = v)}
                {check_input(draft, "impact-dependent", "Dependent applications degraded", |d| d.dependent_applications_degraded, |d, v| d.dependent_applications_degraded = v)}
            </div>
            <div class="grid">
                {text_input(draft, "scope-systems", "Systems affected (estimate)", "number", |d| &d.scope_systems, |d, v| d.scope_systems = v)}
                {text_input(draft, "scope-users", "Users affected (estimate)", "number", |d| &d.scope_users, |d, v| d.scope_users = v)}
                {text_input(draft, "scope-regions", "Regions affected (estimate)", "number", |d| &d.scope_regions, |d, v| d.scope_regions = v)}
            </div>
        </fieldset>
        <fieldset>
            <legend>"Who reported it, who is affected"</legend>
            <div class="grid">
                {select_input(draft, "source-kind", "Source", |d| &d.source_kind, |d, v| d.source_kind = v,
                    &[("", "not recorded"), ("monitoring", "monitoring system"), ("person", "person"), ("customer", "customer"), ("third_party", "third party")])}
                {text_input(draft, "source-name", "Source name", "text", |d| &d.source_name, |d, v| d.source_name = v)}
                {text_input(draft, "customer-name", "Affected customer", "text", |d| &d.customer_name, |d, v| d.customer_name = v)}
                {check_input(draft, "customer-enterprise", "Enterprise customer or distribution partner", |d| d.customer_enterprise, |d, v| d.customer_enterprise = v)}
            </div>
        </fieldset>
    }
}
