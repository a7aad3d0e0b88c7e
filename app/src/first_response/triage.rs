//! Record a new incident: the triage form's fields (SPEC T1-T6, K1, K2),
//! grouped for speed under stress, with the priority and its reasons beside
//! it, recomputed by `beacon_shared` on every keystroke and every customer
//! added or removed (SPEC P5), and what K1 still asks for.

use super::{badge, dom, refusal, Reader};
use crate::api;
use crate::triage_draft::{utc_offset_name, TriageDraft, MAIN_REGIONS, OBSERVATIONS};
use beacon_shared::api::NewIncident;
use beacon_shared::category::Category;
use beacon_shared::triage::{check_alert_time, Title};
use beacon_shared::{check_category, classify_priority, format_utc_minutes};
use maud::{html, Markup};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::Element;

type Draft = Rc<RefCell<TriageDraft>>;

/// The form's text fields and selects by their element id, each with the
/// draft's field it fills.
fn text_field<'a>(draft: &'a mut TriageDraft, id: &str) -> Option<&'a mut String> {
    Some(match id {
        "title" => &mut draft.title,
        "category" => &mut draft.category,
        "labels" => &mut draft.labels,
        "system" => &mut draft.system,
        "hostname" => &mut draft.hostname,
        "availability-global" => &mut draft.availability_global,
        "packet-loss-global" => &mut draft.packet_loss_global,
        "tier1-datacenter" => &mut draft.tier1_datacenter,
        "scope-systems" => &mut draft.scope_systems,
        "scope-users" => &mut draft.scope_users,
        "scope-regions" => &mut draft.scope_regions,
        "source-kind" => &mut draft.source_kind,
        "source-name" => &mut draft.source_name,
        _ => {
            if let Some(region) = id.strip_prefix("availability-region-") {
                draft.availability_by_region.text_mut(region)
            } else if let Some(region) = id.strip_prefix("packet-loss-region-") {
                draft.packet_loss_by_region.text_mut(region)
            } else {
                let key = id.strip_prefix("customer-name-")?.parse().ok()?;
                &mut draft.customer_mut(key)?.name
            }
        }
    })
}

/// The form's check boxes by their element id.
fn check_field<'a>(draft: &'a mut TriageDraft, id: &str) -> Option<&'a mut bool> {
    Some(match id {
        "impact-total-loss" => &mut draft.total_loss_of_access,
        "impact-performance" => &mut draft.performance_degradation,
        "impact-dependent" => &mut draft.dependent_applications_degraded,
        _ => {
            let key = id.strip_prefix("customer-enterprise-")?.parse().ok()?;
            &mut draft.customer_mut(key)?.enterprise_or_partner
        }
    })
}

/// Takes what the control `element` now holds into the draft.
fn take_input(draft: &mut TriageDraft, element: &Element) {
    let id = element.id();
    if id == "alerted-at" {
        let local = dom::element_value(element);
        draft.utc_offset_minutes = reader_offset_minutes(&local);
        draft.alerted_at_local = local;
    } else if let Some(key) = id.strip_prefix("obs-") {
        draft.observations.retain(|o| o != key);
        if dom::element_checked(element) {
            draft.observations.push(key.to_owned());
        }
    } else if let Some(field) = check_field(draft, &id) {
        *field = dom::element_checked(element);
    } else if let Some(field) = text_field(draft, &id) {
        *field = dom::element_value(element);
    }
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

pub fn show(page: &Element, reader: &Reader) {
    let draft = mount(page);
    let Some(token) = reader.csrf.clone() else {
        // Never sent as a plain form: its text would land in the address.
        dom::listen(page, "submit", |event| {
            event.prevent_default();
            dom::write_into(
                "submit-result",
                html! { span.error { "Sign in to record an incident." } },
            );
        });
        return;
    };
    let categories_token = token.clone();
    let chosen = draft.clone();
    dom::spawn(async move {
        if let Ok(list) = api::categories(&categories_token).await {
            let category = chosen.borrow().category.clone();
            dom::write_into("category", category_options(&list.categories, &category));
        }
    });
    dom::listen(page, "submit", move |event| {
        event.prevent_default();
        submit(&draft.borrow(), token.clone());
    });
}

/// Writes the empty form into `page` with the live classification beside
/// it, and keeps both in step with what is typed; answers the draft.
pub fn mount(page: &Element) -> Draft {
    let now = dom::now();
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    let draft = Rc::new(RefCell::new(TriageDraft::starting_at(now, offset)));
    dom::write(page, form(&draft.borrow()));
    let typed = draft.clone();
    let on_input = move |event: web_sys::Event| {
        let Some(element) = dom::target(&event) else {
            return;
        };
        take_input(&mut typed.borrow_mut(), &element);
        let draft = typed.borrow();
        if element.id() == "alerted-at" {
            dom::write_into("alerted-at-zone", alert_zone(&draft));
            dom::write_into("alerted-at-utc", html! { (alert_utc(&draft)) });
        }
        dom::write_into("live", live(&draft));
    };
    dom::listen(page, "input", on_input.clone());
    dom::listen(page, "change", on_input);
    let clicked = draft.clone();
    dom::listen(page, "click", move |event| {
        let id = dom::target_id(&event);
        {
            let mut draft = clicked.borrow_mut();
            if id == "add-customer" {
                draft.add_customer();
            } else if let Some(key) = id.strip_prefix("remove-customer-") {
                let Ok(key) = key.parse() else { return };
                draft.remove_customer(key);
            } else {
                return;
            }
        }
        let draft = clicked.borrow();
        dom::write_into("customers", customer_rows(&draft));
        dom::write_into("live", live(&draft));
    });
    draft
}

/// Checks the draft as the edge will, then records it; the answer (or
/// the first problem) is shown under the button.
fn submit(draft: &TriageDraft, token: String) {
    let show = |markup: Markup| dom::write_into("submit-result", markup);
    let refused = |message: String| html! { span.error { (message) } };
    let (facts, errors) = draft.to_facts();
    if let Some(first) = errors.first() {
        return show(refused(format!("{}: {}", first.field, first.message)));
    }
    if let Err(err) = check_alert_time(facts.alerted_at, dom::now()) {
        return show(refused(format!("alerted_at: {err}")));
    }
    let parts = draft.category().and_then(|c| Ok((c, draft.labels()?)));
    let (category, labels) = match parts {
        Ok(parts) => parts,
        Err(err) => return show(refused(format!("{}: {}", err.field, err.message))),
    };
    let title = match Title::parse(&draft.title) {
        Ok(title) => title,
        Err(err) => return show(refused(format!("title: {err}"))),
    };
    let request = NewIncident {
        title,
        facts,
        category,
        labels: labels.as_slice().to_vec(),
        priority: None,
        priority_reason: None,
        owner_group: None,
    };
    show(html! {});
    dom::set_buttons_disabled("submit-row", true);
    dom::spawn(async move {
        let answer = api::create_incident(&token, &request).await;
        dom::set_buttons_disabled("submit-row", false);
        show(match answer {
            Ok(created) => html! {
                span data-incident-id=(created.id) {
                    "Recorded incident #" (created.id) " as " (created.priority.as_str()) ". "
                    a href={ "/incidents/" (created.id) } id="open-incident" { "Open the incident" }
                }
            },
            Err(err) => html! { span.error { (refusal(&err)) } },
        });
    });
}

fn form(draft: &TriageDraft) -> Markup {
    html! {
        h1 { "New incident" }
        form.triage id="triage-form" novalidate {
            div {
                (fields(draft))
                p id="submit-row" { button id="submit-incident" type="submit" { "Record incident" } }
                p id="submit-result" role="status" {}
            }
            aside.live id="live" aria-live="polite" aria-labelledby="live-heading" { (live(draft)) }
        }
    }
}

fn text_input(id: &str, label: &str, kind: &str, value: &str) -> Markup {
    html! {
        label { (label)
            input id=(id) name=(id) type=(kind) step=[(kind == "number").then_some("any")]
                autocomplete="off" value=(value);
        }
    }
}

fn regional_inputs(prefix: &str, what: &str) -> Markup {
    html! {
        @for region in MAIN_REGIONS {
            label { (what) " from " (region) " (%)"
                input id={ (prefix) "-" (region) } name={ (prefix) "-" (region) } type="number"
                    step="any" min="0" max="100";
            }
        }
    }
}

fn select_input(id: &str, label: &str, choices: &[(&str, &str)]) -> Markup {
    html! {
        label { (label)
            select id=(id) {
                @for (value, text) in choices { option value=(value) { (text) } }
            }
        }
    }
}

fn check_input(id: &str, label: &str) -> Markup {
    html! { label.check { input id=(id) type="checkbox"; (label) } }
}

/// The category's options (K1): none (P2/P3 only), the status page's
/// components, or Security (K3).
fn category_options(categories: &[String], chosen: &str) -> Markup {
    html! {
        option value="" { "none yet (P2/P3 only)" }
        @for name in categories.iter().map(String::as_str).chain([Category::SECURITY]) {
            option value=(name) selected[name == chosen] { (name) }
        }
    }
}

fn alert_zone(draft: &TriageDraft) -> Markup {
    html! { "Time of the alert (your time, " (utc_offset_name(draft.utc_offset_minutes)) ")" }
}

fn alert_utc(draft: &TriageDraft) -> String {
    match draft.alerted_at() {
        Ok(Some(at)) => format!("= {}", format_utc_minutes(at)),
        Ok(None) => "not recorded".to_owned(),
        Err(_) => "not a time".to_owned(),
    }
}

/// The affected customers (T2), one row each: name, enterprise / partner
/// flag, and a button that removes it.
fn customer_rows(draft: &TriageDraft) -> Markup {
    html! {
        @for customer in &draft.customers {
            @let key = customer.key;
            li.customer-row data-key=(key) {
                label { "Affected customer"
                    input id={ "customer-name-" (key) } class="customer-name" type="text"
                        autocomplete="off" value=(customer.name);
                }
                label.check {
                    input id={ "customer-enterprise-" (key) } class="customer-enterprise"
                        type="checkbox" checked[customer.enterprise_or_partner];
                    "Enterprise customer or distribution partner"
                }
                button type="button" id={ "remove-customer-" (key) } class="secondary remove-customer" {
                    "Remove"
                }
            }
        }
    }
}

fn fields(draft: &TriageDraft) -> Markup {
    html! {
        fieldset {
            legend { "What is happening" }
            (text_input("title", "Title", "text", &draft.title))
            div.alert-time {
                label {
                    span id="alerted-at-zone" { (alert_zone(draft)) }
                    input id="alerted-at" name="alerted-at" type="datetime-local"
                        value=(draft.alerted_at_local);
                }
                output id="alerted-at-utc" for="alerted-at" { (alert_utc(draft)) }
            }
            label { "Category (status-page component; required for P0/P1)"
                select id="category" { (category_options(&[], &draft.category)) }
            }
            (text_input("labels", "Labels (free, any team; separated by commas)", "text", ""))
            div.grid {
                (text_input("system", "System or application", "text", ""))
                (text_input("hostname", "Hostname", "text", ""))
            }
        }
        fieldset {
            legend { "Measurements" }
            div.grid {
                (text_input("availability-global", "Availability globally (%)", "number", ""))
                (regional_inputs("availability-region", "Availability"))
                (text_input("packet-loss-global", "Transit packet loss globally (%)", "number", ""))
                (regional_inputs("packet-loss-region", "Transit packet loss"))
                (select_input("tier1-datacenter", "Tier-1 data center",
                    &[("", "not affected"), ("degraded", "significantly degraded"), ("lost", "lost")]))
            }
        }
        fieldset {
            legend { "Observations" }
            div.grid {
                @for (key, label) in OBSERVATIONS { (check_input(&format!("obs-{key}"), label)) }
            }
        }
        fieldset {
            legend { "Type and scope of impact" }
            div.grid {
                (check_input("impact-total-loss", "Total loss of access"))
                (check_input("impact-performance", "Performance degradation"))
                (check_input("impact-dependent", "Dependent applications degraded"))
            }
            div.grid {
                (text_input("scope-systems", "Systems affected (estimate)", "number", ""))
                (text_input("scope-users", "Users affected (estimate)", "number", ""))
                (text_input("scope-regions", "Regions affected (estimate)", "number", ""))
            }
        }
        fieldset {
            legend { "Who reported it, who is affected" }
            div.grid {
                (select_input("source-kind", "Source", &[("", "not recorded"), ("monitoring", "monitoring system"),
                    ("person", "person"), ("customer", "customer"), ("third_party", "third party")]))
                (text_input("source-name", "Source name", "text", ""))
            }
            ul id="customers" class="customers" { (customer_rows(draft)) }
            button type="button" id="add-customer" class="secondary" { "Add a customer" }
        }
    }
}

/// The priority by the SOP for what the draft holds, its reasons, what K1
/// still asks for, and the fields that do not parse.
fn live(draft: &TriageDraft) -> Markup {
    let (facts, errors) = draft.to_facts();
    let classification = classify_priority(&facts);
    let priority = classification.priority;
    let category_needed = draft
        .category
        .trim()
        .is_empty()
        .then(|| check_category(priority, None, &[]).err())
        .flatten();
    html! {
        h2 id="live-heading" { "Priority by the SOP" }
        div id="live-priority" data-priority=(priority.as_str()) { (badge(priority, true)) }
        ul id="live-reasons" class="reasons" {
            @if classification.matched.is_empty() {
                li.muted { "No rule matched yet: P3 is the default." }
            }
            @for m in &classification.matched {
                li {
                    strong { (m.priority.as_str()) } " " (m.reason)
                    div.muted { (m.input) }
                }
            }
        }
        @if let Some(needed) = category_needed {
            p id="live-category-needed" class="hint" { (needed) }
        }
        ul id="live-errors" class="field-error" {
            @for e in &errors { li { (e.field) ": " (e.message) } }
        }
    }
}
