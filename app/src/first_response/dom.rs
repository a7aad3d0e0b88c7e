//! The few DOM operations the first-response screens need: regions written
//! from `maud` markup (which escapes every interpolated string), form values
//! read by element id, and one delegated listener per event kind.

use maud::Markup;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, Window};

pub fn window() -> Window {
    web_sys::window().expect("a browser window")
}

pub fn document() -> Document {
    window().document().expect("a document")
}

pub fn by_id(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

/// Writes `markup` as the content of `element`.
pub fn write(element: &Element, markup: Markup) {
    element.set_inner_html(&markup.into_string());
}

/// Writes `markup` as the content of the element `id`, if it is there.
pub fn write_into(id: &str, markup: Markup) {
    if let Some(element) = by_id(id) {
        write(&element, markup);
    }
}

/// Writes `markup` into the element `id` as [`write_into`] does, keeping
/// what was typed into its text fields, text areas and selects (matched by
/// their ids), so that an answer arriving while someone types loses nothing.
pub fn rewrite_keeping_typed(id: &str, markup: Markup) {
    let Some(element) = by_id(id) else { return };
    let typed: Vec<(String, String)> = element
        .query_selector_all("input[id]:not([type=checkbox]), textarea[id], select[id]")
        .map(|found| {
            (0..found.length())
                .filter_map(|index| found.item(index)?.dyn_into::<Element>().ok())
                .map(|control| (control.id(), element_value(&control)))
                .collect()
        })
        .unwrap_or_default();
    write(&element, markup);
    for (control, value) in typed {
        set_value(&control, &value);
    }
}

/// The value of the input, select or text area `id`; empty when absent.
pub fn value_of(id: &str) -> String {
    by_id(id)
        .map(|element| element_value(&element))
        .unwrap_or_default()
}

/// Sets the value of the input, select or text area `id`.
pub fn set_value(id: &str, value: &str) {
    if let Some(element) = by_id(id) {
        let _ = js_sys::Reflect::set(&element, &"value".into(), &value.into());
    }
}

/// The value of `element`, the target of an input or change event.
pub fn element_value(element: &Element) -> String {
    js_sys::Reflect::get(element, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Whether `element` (a check box) is ticked.
pub fn element_checked(element: &Element) -> bool {
    js_sys::Reflect::get(element, &"checked".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// The element an event happened on.
pub fn target(event: &Event) -> Option<Element> {
    event.target()?.dyn_into().ok()
}

/// The id of the nearest element with one at or around the event's target
/// (a click on a button's text is a click on the button).
pub fn target_id(event: &Event) -> String {
    target(event)
        .and_then(|element| element.closest("[id]").ok().flatten())
        .map(|element| element.id())
        .unwrap_or_default()
}

/// Calls `handler` for every `kind` event on or inside `element`, for as
/// long as the page lives. It listens in the capture phase, so events that
/// do not bubble (a script's `change`) reach it too.
pub fn listen(element: &web_sys::EventTarget, kind: &str, handler: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    let _ = element.add_event_listener_with_callback_and_bool(
        kind,
        closure.as_ref().unchecked_ref(),
        true,
    );
    closure.forget();
}

/// Runs `tick` every `millis` for as long as the page lives.
pub fn every(millis: i32, tick: impl FnMut() + 'static) {
    let closure = Closure::<dyn FnMut()>::new(tick);
    let _ = window().set_interval_with_callback_and_timeout_and_arguments_0(
        closure.as_ref().unchecked_ref(),
        millis,
    );
    closure.forget();
}

/// Disables or enables every button inside the element `id`.
pub fn set_buttons_disabled(id: &str, disabled: bool) {
    let Some(region) = by_id(id) else { return };
    let Ok(buttons) = region.query_selector_all("button") else {
        return;
    };
    for index in 0..buttons.length() {
        if let Some(button) = buttons.item(index) {
            let _ = js_sys::Reflect::set(&button, &"disabled".into(), &disabled.into());
        }
    }
}

/// Loads `path` from the server (the page for it, in whichever bundle).
pub fn go(path: &str) {
    let _ = window().location().assign(path);
}

/// The address's path.
pub fn path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".into())
}

/// The address's query, without its `?`.
pub fn query() -> String {
    let search = window().location().search().unwrap_or_default();
    search.trim_start_matches('?').to_owned()
}

/// Replaces the address bar's entry with `path`, without loading it (a
/// queue's filters: Back leaves the queue rather than undoing a filter).
pub fn replace_address(path: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(path));
    }
}

/// Runs `future` on the browser's event loop. Boxed, so that every task
/// shares one copy of the spawning code.
pub fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    let future: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> = Box::pin(future);
    wasm_bindgen_futures::spawn_local(future);
}

/// The browser's clock.
pub fn now() -> beacon_shared::Timestamp {
    beacon_shared::Timestamp::from_unix_millis(js_sys::Date::now() as i64)
}
