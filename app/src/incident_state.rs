//! The incident page's shared state: the loaded ticket, the reader's role, and
//! how a change is sent so that the page shows the edge's answer.

use crate::api::ApiFailure;
use crate::credentials::Credentials;
use beacon_shared::api::IncidentDetail;
use beacon_shared::role::Role;
use leptos::prelude::*;
use std::future::Future;

/// Everything the incident page's parts read and write; `Copy`, so each part takes it by value.
#[derive(Clone, Copy)]
pub struct IncidentState {
    pub id: i64,
    credentials: Credentials,
    pub detail: RwSignal<Option<IncidentDetail>>,
    /// The signed-in user's role, once `/api/me` answered.
    pub role: RwSignal<Option<Role>>,
    /// The signed-in user's name, once `/api/me` answered (E3: only the submitter confirms).
    pub reader: RwSignal<Option<String>>,
    /// The last change's error, shown in one place with the field it names.
    pub failure: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
}

impl IncidentState {
    pub fn new(id: i64, credentials: Credentials) -> Self {
        Self {
            id,
            credentials,
            detail: RwSignal::new(None),
            role: RwSignal::new(None),
            reader: RwSignal::new(None),
            failure: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Whether the reader may change the ticket at all.
    pub fn can_write(&self) -> bool {
        self.role.get().is_some_and(Role::can_write)
    }

    /// The signed-in token, or empty (the edge then answers 401).
    pub fn token(&self) -> String {
        self.credentials.token.get_untracked().unwrap_or_default()
    }

    /// Sends one change; on success the page shows the ticket the edge returned.
    pub fn send<F>(self, request: F)
    where
        F: Future<Output = Result<IncidentDetail, ApiFailure>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(detail) => {
                    self.detail.set(Some(detail));
                    self.failure.set(None);
                }
                Err(err) => self.failure.set(Some(err.to_string())),
            }
            self.busy.set(false);
        });
    }
}
