//! Sign in with an API token (shown once when it was created).

use crate::credentials::use_credentials;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn SignIn() -> impl IntoView {
    let credentials = use_credentials();
    let token = RwSignal::new(String::new());
    let navigate = use_navigate();
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
