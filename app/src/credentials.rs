//! The signed-in browser session as the desk bundle's signal: the CSRF
//! token of the session [`crate::browser_session`] keeps, `None` when
//! signed out, so that pages follow a sign-out or a 401 at once.

use crate::browser_session::{
    forget_csrf_cookie, forget_legacy_token, on_session_end, saved_csrf_token,
};
use leptos::prelude::*;
use std::cell::Cell;

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

impl Credentials {
    /// The session of an earlier sign-in, if its CSRF cookie is still there;
    /// an API token an older version left in local storage is deleted.
    pub fn load() -> Self {
        forget_legacy_token();
        let credentials = Self {
            token: RwSignal::new(saved_csrf_token()),
        };
        CURRENT.with(|current| current.set(Some(credentials)));
        on_session_end(|| {
            if let Some(credentials) = CURRENT.with(Cell::get) {
                credentials.token.set(None);
            }
        });
        credentials
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

    /// Forgets the session here: the signal and the readable CSRF cookie.
    pub fn forget(&self) {
        forget_csrf_cookie();
        self.token.set(None);
    }
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
