//! The signed-in API token, kept in the browser's local storage.

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;

const STORAGE_KEY: &str = "beacon.token";

/// The API token shared through context; `None` when signed out.
#[derive(Clone, Copy)]
pub struct Credentials {
    pub token: RwSignal<Option<String>>,
}

impl Credentials {
    /// Reads the token saved by an earlier sign-in, if any.
    pub fn load() -> Self {
        let saved = LocalStorage::get::<String>(STORAGE_KEY)
            .ok()
            .filter(|t| !t.is_empty());
        Self {
            token: RwSignal::new(saved),
        }
    }

    pub fn sign_in(&self, token: String) {
        let _ = LocalStorage::set(STORAGE_KEY, &token);
        self.token.set(Some(token));
    }

    pub fn sign_out(&self) {
        LocalStorage::delete(STORAGE_KEY);
        self.token.set(None);
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
