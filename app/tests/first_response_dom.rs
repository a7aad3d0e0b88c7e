//! Browser tests of the first-response screens' DOM helpers: a region
//! written again (when a late answer arrives) keeps what was typed into it.
#![cfg(target_arch = "wasm32")]

use beacon_app::first_response::dom;
use maud::html;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn region(id: &str) -> web_sys::Element {
    let document = dom::document();
    let element = document.create_element("div").unwrap();
    element.set_id(id);
    document.body().unwrap().append_child(&element).unwrap();
    element
}

/// A work log half typed when the reader's role arrives is not lost; a
/// control the new markup leaves out is simply gone, and a new one starts
/// empty.
#[wasm_bindgen_test]
fn a_rewritten_region_keeps_what_was_typed() {
    let forms = region("typed-region");
    dom::write(
        &forms,
        html! {
            textarea id="typed-log" {}
            input id="typed-reason" type="text";
            select id="typed-choice" { option value="P1" { "P1" } option value="P0" { "P0" } }
            input id="typed-gone" type="text";
        },
    );
    dom::set_value("typed-log", "Rolled back release 42");
    dom::set_value("typed-reason", "no impact");
    dom::set_value("typed-choice", "P0");
    dom::set_value("typed-gone", "x");
    dom::rewrite_keeping_typed(
        "typed-region",
        html! {
            textarea id="typed-log" {}
            input id="typed-reason" type="text";
            select id="typed-choice" { option value="P1" { "P1" } option value="P0" { "P0" } }
            input id="typed-new" type="text";
        },
    );
    assert_eq!(dom::value_of("typed-log"), "Rolled back release 42");
    assert_eq!(dom::value_of("typed-reason"), "no impact");
    assert_eq!(dom::value_of("typed-choice"), "P0");
    assert!(dom::by_id("typed-gone").is_none());
    assert_eq!(dom::value_of("typed-new"), "");
    forms.remove();
}

/// Whatever a region is given is written as text: markup in a title stays text.
#[wasm_bindgen_test]
fn markup_in_data_is_written_as_text() {
    let shown = region("escaped-region");
    let title = "<img src=x onerror=alert(1)>";
    dom::write(&shown, html! { span id="escaped-title" { (title) } });
    let span = dom::by_id("escaped-title").unwrap();
    assert_eq!(span.text_content().unwrap(), title);
    assert_eq!(span.child_element_count(), 0);
    shown.remove();
}
