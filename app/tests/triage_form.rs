//! Browser tests of the triage form: the live classification reacts to typing.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn mount_form() -> web_sys::HtmlElement {
    let container: web_sys::HtmlElement =
        document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    beacon_app::first_response::triage::mount(&container);
    container
}

fn type_into(container: &web_sys::HtmlElement, css: &str, value: &str) {
    let input: web_sys::HtmlInputElement = container
        .query_selector(css)
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value(value);
    let event = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    input.dispatch_event(&event).unwrap();
}

fn live_priority(container: &web_sys::HtmlElement) -> String {
    container
        .query_selector("#live-priority")
        .unwrap()
        .unwrap()
        .get_attribute("data-priority")
        .unwrap()
}

/// The text of the element `css` selects in `container`.
fn text_of(container: &web_sys::HtmlElement, css: &str) -> String {
    container
        .query_selector(css)
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap()
}

async fn next_tick() {
    let promise = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// SPEC P0, P3, P5: the form starts at the P3 default and shows P0 with the
/// region named as soon as 97.5 % availability in eu-west is typed.
#[wasm_bindgen_test]
async fn typing_a_regional_availability_shows_p0_with_the_region() {
    let form = mount_form();
    assert_eq!(live_priority(&form), "P3");
    type_into(&form, "#availability-region-eu-west", "97.5");
    next_tick().await;
    assert_eq!(live_priority(&form), "P0");
    let reasons = text_of(&form, "#live-reasons");
    assert!(reasons.contains("eu-west"), "{reasons}");
    assert!(reasons.contains("97.5"), "{reasons}");
    form.remove();
}

/// Ticks or clears a checkbox in `container` as a click would.
fn set_checked(container: &web_sys::HtmlElement, css: &str, on: bool) {
    let input: web_sys::HtmlInputElement = container
        .query_selector(css)
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_checked(on);
    input
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
}

/// Clicks the button `css` selects in `container`.
fn click(container: &web_sys::HtmlElement, css: &str) {
    let button: web_sys::HtmlElement = container
        .query_selector(css)
        .unwrap()
        .unwrap()
        .unchecked_into();
    button.click();
}

/// SPEC T2, P1, K1: adding a second customer marked enterprise with a total
/// loss of access turns the live priority to P1 and asks for a category;
/// removing that customer turns it back to P3 at once.
#[wasm_bindgen_test]
async fn adding_and_removing_an_enterprise_customer_updates_the_priority() {
    let form = mount_form();
    set_checked(&form, "#impact-total-loss", true);
    type_into(&form, "#customer-name-0", "Initech");
    click(&form, "#add-customer");
    next_tick().await;
    type_into(&form, "#customer-name-1", "Globex");
    set_checked(&form, "#customer-enterprise-1", true);
    next_tick().await;
    assert_eq!(live_priority(&form), "P1");
    let reasons = text_of(&form, "#live-reasons");
    assert!(reasons.contains("Globex"), "{reasons}");
    assert!(text_of(&form, "#live-category-needed").contains("category"));
    click(&form, "#remove-customer-1");
    next_tick().await;
    assert_eq!(live_priority(&form), "P3");
    assert!(form.query_selector("#customer-name-1").unwrap().is_none());
    assert!(form
        .query_selector("#live-category-needed")
        .unwrap()
        .is_none());
    form.remove();
}

/// SPEC T4: the alert time shows its UTC time beside it as it is typed.
#[wasm_bindgen_test]
async fn the_alert_time_shows_its_utc_time() {
    let form = mount_form();
    type_into(&form, "#alerted-at", "2026-11-23T03:12");
    next_tick().await;
    let utc = text_of(&form, "#alerted-at-utc");
    let offset = -(js_sys::Date::new(&"2026-11-23T03:12".into()).get_timezone_offset() as i64);
    let expected = beacon_shared::format_utc_minutes(beacon_shared::Timestamp::from_unix_millis(
        1_795_403_520_000 - offset * 60_000,
    ));
    assert!(utc.contains(&expected), "{utc} should show {expected}");
    form.remove();
}

/// SPEC I4: an out-of-range percentage is reported on the field and not used.
#[wasm_bindgen_test]
async fn out_of_range_percentages_are_flagged_not_classified() {
    let form = mount_form();
    type_into(&form, "#availability-global", "120");
    next_tick().await;
    assert_eq!(live_priority(&form), "P3");
    let errors = text_of(&form, "#live-errors");
    assert!(errors.contains("availability_global"), "{errors}");
    form.remove();
}
