//! Sign in with an API token (shown once when it was created), typed in or
//! carried by a sign-in link's fragment (`/sign-in#token=...`, what
//! `cargo xtask dev` prints for each demo person). The token is exchanged
//! for a browser session at once and kept nowhere in the browser.

use super::{dom, Reader};
use crate::api;
use crate::browser_session::{forget_csrf_cookie, linked_token};
use maud::html;
use web_sys::Element;

pub fn show(page: &Element, reader: &Reader) {
    dom::write(
        page,
        html! {
            h1 { "Sign in" }
            form id="sign-in-form" {
                label {
                    "API token"
                    input id="token" type="password" autocomplete="current-password" required;
                }
                p id="sign-in-error" class="error" hidden {}
                p {
                    button id="sign-in" type="submit" { "Sign in" }
                    " "
                    button id="sign-out" class="secondary" type="button" { "Sign out" }
                }
            }
        },
    );
    if let Some(linked) = linked_token() {
        open_session(linked);
    }
    dom::listen(page, "submit", |event| {
        event.prevent_default();
        let token = dom::value_of("token").trim().to_owned();
        if !token.is_empty() {
            open_session(token);
        }
    });
    let csrf = reader.csrf.clone();
    dom::listen(page, "click", move |event| {
        if dom::target_id(&event) == "sign-out" {
            let csrf = csrf.clone();
            dom::spawn(async move {
                if let Some(csrf) = csrf {
                    let _ = api::end_session(&csrf).await;
                }
                forget_csrf_cookie();
                dom::go("/sign-in");
            });
        }
    });
}

/// Exchanges `api_token` for a browser session, then opens the queue; a
/// refusal is shown on the page.
fn open_session(api_token: String) {
    dom::spawn(async move {
        let failure = match api::start_session(&api_token).await {
            Ok(_) => return dom::go("/"),
            Err(err) if err.status == 401 => {
                "This token does not open Beacon (unknown, revoked or expired).".to_owned()
            }
            Err(err) => err.to_string(),
        };
        if let Some(shown) = dom::by_id("sign-in-error") {
            shown.set_text_content(Some(&failure));
            let _ = shown.remove_attribute("hidden");
        }
    });
}
