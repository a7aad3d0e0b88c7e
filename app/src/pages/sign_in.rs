//! Sign in with an API token (shown once when it was created), typed in or
//! carried by a sign-in link's fragment (`/sign-in#token=...`, what
//! `cargo xtask dev` prints for each demo person).

use crate::credentials::{token_from_fragment, use_credentials};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn SignIn() -> impl IntoView {
    let credentials = use_credentials();
    let token = RwSignal::new(String::new());
    let navigate = use_navigate();
    if let Some(linked) = linked_token() {
        credentials.sign_in(linked);
        let go = navigate.clone();
        // After the first render: the router must be ready to navigate.
        request_animation_frame(move || go("/", Default::default()));
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = token.get_untracked().trim().to_owned();
        if !value.is_empty() {
            credentials.sign_in(value);
            navigate("/", Default::default());
        }
    };
    view! {
        <h1>"Sign in"</h1>
        <form on:submit=submit>
            <label>
                "API token"
                <input
                    id="token"
                    type="password"
                    autocomplete="current-password"
                    required
                    prop:value=move || token.get()
                    on:input=move |ev| token.set(event_target_value(&ev))
                />
            </label>
            <p>
                <button id="sign-in" type="submit">"Sign in"</button>
                " "
                <button class="secondary" type="button" on:click=move |_| credentials.sign_out()>
                    "Sign out"
                </button>
            </p>
        </form>
    }
}

/// The token of a sign-in link, taken out of the address bar (and the
/// history) at once so that it is not left behind for the next person.
fn linked_token() -> Option<String> {
    let window = web_sys::window()?;
    let token = token_from_fragment(&window.location().hash().ok()?)?;
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/sign-in"));
    }
    Some(token)
}
