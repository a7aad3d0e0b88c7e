//! The SRE's first-response bundle, written against the DOM without a view
//! framework so that a phone at night loads it at once: sign-in, the
//! incident queue, the triage form (classifying with `beacon_shared` as the
//! SRE types) and the incident page with its acknowledgement. Every page is
//! a page load; the bundle's files are cached, so moving between them costs
//! one small HTML answer.
//!
//! Markup is written with `maud`, which escapes every interpolated string,
//! and each page listens once, on its own region, for the events of all of
//! its controls; a region written again keeps what was typed into it.

pub mod dom;
pub mod incident;
pub mod queue;
pub mod sign_in;
pub mod triage;

use beacon_shared::api::UserView;
use beacon_shared::role::Role;
use beacon_shared::routes::{is_desk_page, segments, NAVIGATION};
use beacon_shared::Priority;
use maud::{html, Markup};
use std::cell::RefCell;

/// Who reads the page: the session's CSRF token (`None` signed out) and,
/// once `/api/me` answered, the person with their role.
#[derive(Clone, Default)]
pub struct Reader {
    pub csrf: Option<String>,
    pub person: Option<UserView>,
}

impl Reader {
    pub fn role(&self) -> Option<Role> {
        self.person.as_ref().map(|p| p.role)
    }

    /// The CSRF token, or empty (the edge then answers 401).
    pub fn token(&self) -> String {
        self.csrf.clone().unwrap_or_default()
    }

    /// Whether the reader may change tickets.
    pub fn can_write(&self) -> bool {
        self.role().is_some_and(Role::can_write)
    }
}

type Waiting = Vec<Box<dyn FnOnce(&Reader)>>;

thread_local! {
    /// The reader once `/api/me` answered, or who waits for it.
    static READER: RefCell<Result<Reader, Waiting>> = const { RefCell::new(Err(Vec::new())) };
}

/// Runs `then` with the reader, now if `/api/me` has answered, else when it does.
pub fn with_reader(then: impl FnOnce(&Reader) + 'static) {
    let mut then = Some(Box::new(then) as Box<dyn FnOnce(&Reader)>);
    let known = READER.with(|cell| match &mut *cell.borrow_mut() {
        Ok(known) => Some(known.clone()),
        Err(waiting) => {
            waiting.extend(then.take());
            None
        }
    });
    // The borrow has ended before `then` runs, so it may ask again.
    if let (Some(reader), Some(then)) = (known, then) {
        then(&reader);
    }
}

/// Starts the bundle on the page the address names.
pub fn start() {
    crate::browser_session::on_session_end(signed_out_by_the_server);
    crate::browser_session::forget_legacy_token();
    let csrf = crate::browser_session::saved_csrf_token();
    let path = dom::path();
    let body = dom::document().body().expect("a body");
    dom::write(
        &body,
        html! {
            header.top id="navigation" { (navigation(&path, csrf.is_some(), None)) }
            main id="page" {}
        },
    );
    let Some(page) = dom::by_id("page") else {
        return;
    };
    let reader = Reader {
        csrf: csrf.clone(),
        person: None,
    };
    match segments(&path).as_slice() {
        [""] => queue::show(&page, &reader),
        ["incidents", "new"] => triage::show(&page, &reader),
        ["incidents", id] => incident::show(&page, &reader, id.parse().ok()),
        ["sign-in"] => sign_in::show(&page, &reader),
        _ if is_desk_page(&path) => {
            dom::write(&page, html! { p.muted { "Loading…" } });
            let _ = dom::window().location().reload();
        }
        _ => dom::write(&page, html! { p { "Page not found." } }),
    }
    match csrf {
        Some(token) => dom::spawn(async move {
            let person = crate::api::me(&token).await.ok();
            let reader = Reader {
                csrf: Some(token),
                person,
            };
            // A 401 has removed the session's cookie by now.
            let signed_in = crate::browser_session::saved_csrf_token().is_some();
            dom::write_into(
                "navigation",
                navigation(&dom::path(), signed_in, reader.role()),
            );
            reader_known(reader);
        }),
        None => reader_known(reader),
    }
}

/// Keeps the reader and runs what waited for it.
fn reader_known(reader: Reader) {
    let waiting =
        READER.with(
            |cell| match std::mem::replace(&mut *cell.borrow_mut(), Ok(reader.clone())) {
                Err(waiting) => waiting,
                Ok(_) => Vec::new(),
            },
        );
    for then in waiting {
        then(&reader);
    }
}

/// A 401 after signing in: the navigation says so at once. The page keeps
/// what is on it (a triage form half filled in is not lost) and shows the
/// refusal where the request was made.
fn signed_out_by_the_server() {
    dom::write_into("navigation", navigation(&dom::path(), false, None));
}

/// The navigation ([`NAVIGATION`]), the current page marked, then the status
/// page and signing in.
fn navigation(path: &str, signed_in: bool, role: Option<Role>) -> Markup {
    let link = |href: &str, label: &str| {
        html! { a href=(href) aria-current=[(path == href).then_some("page")] { (label) } }
    };
    html! {
        @for entry in NAVIGATION.iter().filter(|e| e.is_shown_to(role)) {
            (link(entry.path, entry.label))
        }
        a href="/status" { "Status page" }
        span.who { (link("/sign-in", if signed_in { "Signed in" } else { "Sign in" })) }
    }
}

/// What a page says when the edge refused a request: the refusal with the
/// field it names, or, when the session has ended, how to go on.
pub fn refusal(err: &crate::api::ApiFailure) -> Markup {
    if err.status == 401 {
        html! { "Your session has ended: " a href="/sign-in" { "sign in" } " again." }
    } else {
        html! { (err) }
    }
}

/// A coloured P0..P3 badge.
pub fn badge(priority: Priority, big: bool) -> Markup {
    html! {
        span class={ "badge " (priority.as_str()) @if big { " big" } } { (priority.as_str()) }
    }
}
