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

/// The credentials provided by [`crate::App`].
pub fn use_credentials() -> Credentials {
    use_context::<Credentials>().unwrap_or_else(Credentials::load)
}
