//! The status-page management screen's shared state: the page as the edge
//! last sent it, the K1 categories, the reader's role, and how each form
//! sends a request and shows its error.

use crate::api::{self, ApiFailure};
use crate::credentials::Credentials;
use beacon_shared::role::Role;
use beacon_shared::status_page::{Component, StatusPage};
use beacon_shared::Timestamp;
use leptos::prelude::*;
use std::fmt::Display;
use std::future::Future;

/// Everything the screen's sections read; `Copy`, so each takes it by value.
#[derive(Clone, Copy)]
pub struct StatusEditingState {
    credentials: Credentials,
    pub page: RwSignal<Option<StatusPage>>,
    pub categories: RwSignal<Vec<String>>,
    /// The signed-in user's role, once `/api/me` answered.
    pub role: RwSignal<Option<Role>>,
    pub load_error: RwSignal<Option<String>>,
}

impl StatusEditingState {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            page: RwSignal::new(None),
            categories: RwSignal::new(Vec::new()),
            role: RwSignal::new(None),
            load_error: RwSignal::new(None),
        }
    }

    /// The signed-in token, or empty (the edge then answers 401).
    pub fn token(&self) -> String {
        self.credentials.token.get_untracked().unwrap_or_default()
    }

    /// Whether the reader may change the public page.
    pub fn may_publish(&self) -> bool {
        self.role.get().is_some_and(Role::may_publish_status)
    }

    /// The page's components in display order (tracked).
    pub fn components(&self) -> Vec<Component> {
        self.page.with(|page| {
            page.as_ref()
                .map(|p| p.components().to_vec())
                .unwrap_or_default()
        })
    }

    /// The page's components in display order, for building a request.
    pub fn components_untracked(&self) -> Vec<Component> {
        self.page.with_untracked(|page| {
            page.as_ref()
                .map(|p| p.components().to_vec())
                .unwrap_or_default()
        })
    }

    /// Reads the reader's role and the categories once.
    pub fn load_reader(self, token: String) {
        leptos::task::spawn_local(async move {
            if let Ok(me) = api::me(&token).await {
                self.role.set(Some(me.role));
            }
            if let Ok(list) = api::categories(&token).await {
                self.categories.set(list.categories);
            }
        });
    }

    /// Reads the page again, after a change or on first view.
    pub fn reload(self) {
        let token = self.token();
        leptos::task::spawn_local(async move {
            match api::status_page(&token).await {
                Ok(page) => {
                    self.page.set(Some(page));
                    self.load_error.set(None);
                }
                Err(err) => self.load_error.set(Some(err.to_string())),
            }
        });
    }
}

/// One form's request in flight and its last error, shown next to the form.
#[derive(Clone, Copy)]
pub struct RequestState {
    pub busy: RwSignal<bool>,
    pub failure: RwSignal<Option<String>>,
}

impl Default for RequestState {
    fn default() -> Self {
        Self {
            busy: RwSignal::new(false),
            failure: RwSignal::new(None),
        }
    }
}

impl RequestState {
    /// Shows why the form cannot be sent as it is.
    pub fn refuse(&self, reason: impl Display) {
        self.failure.set(Some(reason.to_string()));
    }

    /// Sends one request; `on_ok` gets the edge's answer, a failure is shown
    /// with the field it names. The form's buttons are disabled meanwhile.
    pub fn send<T, F>(self, request: F, on_ok: impl FnOnce(T) + 'static)
    where
        T: 'static,
        F: Future<Output = Result<T, ApiFailure>> + 'static,
    {
        self.busy.set(true);
        self.failure.set(None);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(answer) => on_ok(answer),
                Err(err) => self.failure.set(Some(err.to_string())),
            }
            self.busy.set(false);
        });
    }

    /// The error paragraph, present only while there is an error.
    pub fn error_view(self) -> impl IntoView {
        move || {
            self.failure
                .get()
                .map(|err| view! { <p class="error" role="alert">{err}</p> })
        }
    }
}

/// The browser's clock: templates are filled with the moment of sending.
pub fn now() -> Timestamp {
    Timestamp::from_unix_millis(js_sys::Date::now() as i64)
}
