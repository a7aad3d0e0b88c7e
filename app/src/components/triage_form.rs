//! The triage form's fields (SPEC T1-T6, K1, K2), grouped for speed under stress.

use crate::triage_draft::{utc_offset_name, TriageDraft, MAIN_REGIONS, OBSERVATIONS};
use beacon_shared::category::Category;
use beacon_shared::format_utc_minutes;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

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

/// The reader's offset from UTC in minutes (east positive) on the wall-clock
/// time `local` (`2026-11-23T04:12`), which the browser reads in its own time
/// zone; the offset of now when `local` is not a time.
fn reader_offset_minutes(local: &str) -> i32 {
    let minutes_west = js_sys::Date::new(&JsValue::from_str(local)).get_timezone_offset();
    let minutes_west = if minutes_west.is_finite() {
        minutes_west
    } else {
        js_sys::Date::new_0().get_timezone_offset()
    };
    -(minutes_west as i32)
}

/// The category, chosen from the status page's components (K1): none (P2/P3
/// only), one of `categories`, or Security (K3).
fn category_select(draft: RwSignal<TriageDraft>, categories: Signal<Vec<String>>) -> impl IntoView {
    view! {
        <label>
            "Category (status-page component; required for P0/P1)"
            <select
                id="category"
                on:change=move |ev| draft.update(|d| d.category = event_target_value(&ev))
            >
                <option value="">"none yet (P2/P3 only)"</option>
                {move || {
                    categories
                        .get()
                        .into_iter()
                        .chain(std::iter::once(Category::SECURITY.to_owned()))
                        .map(|name| {
                            let (value, chosen) = (name.clone(), name.clone());
                            view! {
                                <option value=value prop:selected=move || draft.with(|d| d.category == chosen)>
                                    {name}
                                </option>
                            }
                        })
                        .collect::<Vec<_>>()
                }}
            </select>
        </label>
    }
}

/// The alert time (T4) on the reader's wall clock, with its UTC time beside it.
fn alert_time_input(draft: RwSignal<TriageDraft>) -> impl IntoView {
    let utc = move || {
        draft.with(|d| match d.alerted_at() {
            Ok(Some(at)) => format!("= {}", format_utc_minutes(at)),
            Ok(None) => "not recorded".to_owned(),
            Err(_) => "not a time".to_owned(),
        })
    };
    view! {
        <div class="alert-time">
            <label>
                {move || format!("Time of the alert (your time, {})", draft.with(|d| utc_offset_name(d.utc_offset_minutes)))}
                <input
                    id="alerted-at"
                    name="alerted-at"
                    type="datetime-local"
                    prop:defaultValue=draft.with_untracked(|d| d.alerted_at_local.clone())
                    on:input=move |ev| {
                        let local = event_target_value(&ev);
                        let offset = reader_offset_minutes(&local);
                        draft.update(|d| {
                            d.alerted_at_local = local;
                            d.utc_offset_minutes = offset;
                        })
                    }
                />
            </label>
            <output id="alerted-at-utc" for="alerted-at">{utc}</output>
        </div>
    }
}

/// One affected customer's row (T2): its name, its enterprise / partner flag
/// and a button that removes it.
fn customer_row(draft: RwSignal<TriageDraft>, key: u32) -> impl IntoView {
    let name = draft.with_untracked(|d| {
        d.customers
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    });
    view! {
        <li class="customer-row" data-key=key>
            <label>
                "Affected customer"
                <input
                    id=format!("customer-name-{key}")
                    class="customer-name"
                    type="text"
                    autocomplete="off"
                    prop:defaultValue=name
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|d| if let Some(c) = d.customer_mut(key) { c.name = value; })
                    }
                />
            </label>
            <label class="check">
                <input
                    id=format!("customer-enterprise-{key}")
                    class="customer-enterprise"
                    type="checkbox"
                    prop:checked=move || draft.with(|d| d.customers.iter().any(|c| c.key == key && c.enterprise_or_partner))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        draft.update(|d| if let Some(c) = d.customer_mut(key) { c.enterprise_or_partner = on; })
                    }
                />
                "Enterprise customer or distribution partner"
            </label>
            <button
                type="button"
                id=format!("remove-customer-{key}")
                class="secondary remove-customer"
                on:click=move |_| draft.update(|d| d.remove_customer(key))
            >
                "Remove"
            </button>
        </li>
    }
}

/// The affected customers (T2), one row each. The rows are drawn again only
/// when one is added or removed; what each holds lives in the draft, so
/// nothing typed is lost.
fn customer_rows(draft: RwSignal<TriageDraft>) -> impl IntoView {
    let keys =
        Memo::new(move |_| draft.with(|d| d.customers.iter().map(|c| c.key).collect::<Vec<_>>()));
    view! {
        <ul id="customers" class="customers">
            {move || keys.get().into_iter().map(|key| customer_row(draft, key)).collect::<Vec<_>>()}
        </ul>
        <button type="button" id="add-customer" class="secondary" on:click=move |_| draft.update(TriageDraft::add_customer)>
            "Add a customer"
        </button>
    }
}

/// Every triage field; the live classification sits beside it. `categories`
/// are the status page's components (K1), as the worker serves them.
#[component]
pub fn TriageForm(
    draft: RwSignal<TriageDraft>,
    #[prop(into)] categories: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"What is happening"</legend>
            {text_input(draft, "title", "Title", "text", |d| &d.title, |d, v| d.title = v)}
            {alert_time_input(draft)}
            {category_select(draft, categories)}
            {text_input(draft, "labels", "Labels (free, any team; separated by commas)", "text", |d| &d.labels, |d, v| d.labels = v)}
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
            </div>
            {customer_rows(draft)}
        </fieldset>
    }
}
