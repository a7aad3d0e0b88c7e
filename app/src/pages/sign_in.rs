//! Sign in with an API token (shown once when it was created), typed in or
//! carried by a sign-in link's fragment (`/sign-in#token=...`, what
//! `cargo xtask dev` prints for each demo person). The token is exchanged
//! for a browser session at once and kept nowhere in the browser.

use crate::api;
use crate::credentials::{token_from_fragment, use_credentials, Credentials};
use crate::navigation::use_address;
use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    let credentials = use_credentials();
    let token = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let address = use_address();
    if let Some(linked) = linked_token() {
        open_session(credentials, linked, failure, move || address.go("/"));
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = token.get_untracked().trim().to_owned();
        if !value.is_empty() {
            open_session(credentials, value, failure, move || {
                token.set(String::new());
                address.go("/")
            });
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
            {move || failure.get().map(|message| view! { <p id="sign-in-error" class="error">{message}</p> })}
            <p>
                <button id="sign-in" type="submit">"Sign in"</button>
                " "
                <button id="sign-out" class="secondary" type="button" on:click=move |_| credentials.sign_out()>
                    "Sign out"
                </button>
            </p>
        </form>
    }
}

/// Exchanges `api_token` for a browser session, then runs `then`; a refusal
/// is shown on the page.
fn open_session(
    credentials: Credentials,
    api_token: String,
    failure: RwSignal<Option<String>>,
    then: impl FnOnce() + 'static,
) {
    leptos::task::spawn_local(async move {
        match api::start_session(&api_token).await {
            Ok(session) => {
                failure.set(None);
                credentials.signed_in(session.csrf_token);
                then();
            }
            Err(err) if err.status == 401 => failure.set(Some(
                "This token does not open Beacon (unknown, revoked or expired).".into(),
            )),
            Err(err) => failure.set(Some(err.to_string())),
        }
    });
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
