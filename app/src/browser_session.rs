//! The browser's side of a session, without a UI framework: the readable
//! CSRF cookie the session's answer set, the sign-in link's token, and what
//! happens when the server ends the session. Both bundles use it.
//!
//! Signing in sends the API token once to `POST /api/session`, which
//! answers with an `HttpOnly` session cookie the app cannot read and the
//! session's CSRF token (also in the readable `beacon_csrf` cookie, so a
//! reload stays signed in); the API token is kept nowhere (SPEC I3, I4).

use beacon_shared::session::{cookie_value, CSRF_COOKIE};
use std::cell::Cell;
use wasm_bindgen::JsCast;

/// Where the API token was kept before sessions; removed on every start.
const LEGACY_STORAGE_KEY: &str = "beacon.token";

thread_local! {
    /// What the running bundle does when the server ends the session.
    static ON_END: Cell<Option<fn()>> = const { Cell::new(None) };
}

fn html_document() -> Option<web_sys::HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

/// Deletes an API token an older version left in local storage; each
/// bundle calls it once as it starts.
pub fn forget_legacy_token() {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(LEGACY_STORAGE_KEY);
    }
}

/// The CSRF token of the session an earlier sign-in opened, if its cookie
/// is still there.
pub fn saved_csrf_token() -> Option<String> {
    html_document()
        .and_then(|d| d.cookie().ok())
        .and_then(|cookies| cookie_value(&cookies, CSRF_COOKIE).map(str::to_owned))
}

/// Removes the readable CSRF cookie (the `HttpOnly` one is the server's to end).
pub fn forget_csrf_cookie() {
    if let Some(document) = html_document() {
        let _ = document.set_cookie(&format!(
            "{CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict"
        ));
    }
}

/// Sets what the running bundle does when the server ends the session.
pub fn on_session_end(hook: fn()) {
    ON_END.with(|end| end.set(Some(hook)));
}

/// The server no longer accepts the session (401: signed out elsewhere, its
/// token revoked or expired, its user disabled): the app shows itself
/// signed out.
pub fn session_ended() {
    forget_csrf_cookie();
    if let Some(hook) = ON_END.with(Cell::get) {
        hook();
    }
}

/// The token a sign-in link carries in its fragment (`/sign-in#token=...`):
/// the fragment never reaches a server or its logs, unlike a query string.
/// `None` when the fragment holds no non-empty `token`.
pub fn token_from_fragment(fragment: &str) -> Option<String> {
    form_urlencoded::parse(fragment.trim_start_matches('#').as_bytes())
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|token| !token.is_empty())
}

/// The token of a sign-in link, taken out of the address bar (and the
/// history) at once so that it is not left behind for the next person.
pub fn linked_token() -> Option<String> {
    let window = web_sys::window()?;
    let token = token_from_fragment(&window.location().hash().ok()?)?;
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/sign-in"));
    }
    Some(token)
}

#[cfg(test)]
mod tests {
    use super::token_from_fragment;

    #[test]
    fn a_sign_in_link_carries_its_token_in_the_fragment() {
        assert_eq!(
            token_from_fragment("#token=bkn_0123abcd").as_deref(),
            Some("bkn_0123abcd")
        );
        assert_eq!(
            token_from_fragment("#from=inbox&token=bkn_x%2By").as_deref(),
            Some("bkn_x+y")
        );
        for no_token in [
            "",
            "#",
            "#token=",
            "#token=%20",
            "#tokens=bkn_1",
            "#other=1",
        ] {
            assert_eq!(token_from_fragment(no_token), None, "{no_token:?}");
        }
    }
}
