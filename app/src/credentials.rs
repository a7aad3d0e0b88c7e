//! The signed-in browser session. Signing in sends the API token once to
//! `POST /api/session`, which answers with an `HttpOnly` session cookie the
//! app cannot read and the session's CSRF token; the app keeps only that
//! CSRF token (in memory, and in the readable `beacon_csrf` cookie so a
//! reload stays signed in), never the API token (SPEC I3, I4).

use beacon_shared::session::{cookie_value, CSRF_COOKIE};
use leptos::prelude::*;
use std::cell::Cell;
use wasm_bindgen::JsCast;

/// Where the API token was kept before sessions; removed on every start.
const LEGACY_STORAGE_KEY: &str = "beacon.token";

thread_local! {
    /// The app's one session signal, so that any 401 can sign the app out.
    static CURRENT: Cell<Option<Credentials>> = const { Cell::new(None) };
}

/// The session shared through context: `token` is the session's CSRF token,
/// which every request sends ([`crate::api`]); `None` when signed out.
#[derive(Clone, Copy)]
pub struct Credentials {
    pub token: RwSignal<Option<String>>,
}

fn html_document() -> Option<web_sys::HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

impl Credentials {
    /// The session of an earlier sign-in, if its CSRF cookie is still there.
    /// An API token left in local storage by an older version is deleted.
    pub fn load() -> Self {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.remove_item(LEGACY_STORAGE_KEY);
        }
        let saved = html_document()
            .and_then(|d| d.cookie().ok())
            .and_then(|cookies| cookie_value(&cookies, CSRF_COOKIE).map(str::to_owned));
        let credentials = Self {
            token: RwSignal::new(saved),
        };
        CURRENT.with(|current| current.set(Some(credentials)));
        credentials
    }

    /// The session `POST /api/session` opened, with its CSRF token.
    pub fn signed_in(&self, csrf_token: String) {
        self.token.set(Some(csrf_token));
    }

    /// Ends the session on the server, then forgets it here.
    pub fn sign_out(&self) {
        let credentials = *self;
        if let Some(csrf) = self.token.get_untracked() {
            leptos::task::spawn_local(async move {
                let _ = crate::api::end_session(&csrf).await;
                credentials.forget();
            });
        } else {
            credentials.forget();
        }
    }

    /// Forgets the session here: the signal and the readable CSRF cookie
    /// (the `HttpOnly` one is the server's to end).
    pub fn forget(&self) {
        if let Some(document) = html_document() {
            let _ = document.set_cookie(&format!(
                "{CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict"
            ));
        }
        self.token.set(None);
    }
}

/// The server no longer accepts the session (401: signed out elsewhere, its
/// token revoked or expired, its user disabled): the app shows itself
/// signed out.
pub fn session_ended() {
    if let Some(credentials) = CURRENT.with(Cell::get) {
        credentials.forget();
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

/// The signed-in reader's role (`None` signed out or until known), asked
/// once by the bundle's shell, for its navigation and its pages.
#[derive(Clone, Copy)]
pub struct ReaderRole(LocalResource<Option<beacon_shared::role::Role>>);

impl ReaderRole {
    /// Asks the edge for the role whenever the credentials change.
    pub fn load(credentials: Credentials) -> Self {
        Self(LocalResource::new(move || {
            let token = credentials.token.get();
            async move {
                match token {
                    Some(token) => crate::api::me(&token).await.ok().map(|me| me.role),
                    None => None,
                }
            }
        }))
    }

    /// The role, tracked.
    pub fn get(self) -> Option<beacon_shared::role::Role> {
        self.0.get().flatten()
    }
}

/// The reader's role provided by the bundle's shell.
pub fn use_reader_role() -> ReaderRole {
    use_context::<ReaderRole>().unwrap_or_else(|| ReaderRole::load(use_credentials()))
}

/// The credentials provided by [`crate::App`].
pub fn use_credentials() -> Credentials {
    use_context::<Credentials>().unwrap_or_else(Credentials::load)
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
