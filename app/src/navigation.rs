//! Moving between the desk's pages without page loads: the address as
//! signals, one click listener that turns links to the desk's pages into
//! history entries, and the filters a page keeps in its address.
//!
//! A link to a first-response page (not
//! [`beacon_shared::routes::is_desk_page`]) is left to the browser, which
//! loads that bundle's page from the server.

use beacon_shared::routes::is_desk_page;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The address the page shows: its path and its query (without `?`).
#[derive(Clone, Copy)]
pub struct Address {
    path: RwSignal<String>,
    query: RwSignal<String>,
}

fn window_path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".into())
}

fn window_query() -> String {
    let search = window().location().search().unwrap_or_default();
    search.trim_start_matches('?').to_owned()
}

impl Address {
    /// The window's address, kept current on back and forward, with the
    /// click listener that routes the desk's links; the pages reach it
    /// with [`use_address`], also from event handlers.
    pub fn follow_window() -> Self {
        let address = Address {
            path: RwSignal::new(window_path()),
            query: RwSignal::new(window_query()),
        };
        let on_history = Closure::<dyn Fn()>::new(move || {
            address.path.set(window_path());
            address.query.set(window_query());
        });
        let _ = window()
            .add_event_listener_with_callback("popstate", on_history.as_ref().unchecked_ref());
        on_history.forget();
        let on_click =
            Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
                address.follow_link(&ev);
            });
        let _ =
            document().add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
        on_click.forget();
        CURRENT.with(|current| current.set(Some(address)));
        address
    }

    /// The path, tracked.
    pub fn path(self) -> String {
        self.path.get()
    }

    /// The path, untracked.
    pub fn path_untracked(self) -> String {
        self.path.get_untracked()
    }

    /// The value of `key` in the query (empty when absent), tracked.
    pub fn query_value(self, key: &str) -> String {
        self.query.with(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
    }

    /// Goes to `href`: a new history entry in this bundle, or a page load
    /// into the other one.
    pub fn go(self, href: &str) {
        self.change(href, false);
    }

    /// Shows `href` in place of the current entry (a filter changed).
    pub fn replace(self, href: &str) {
        self.change(href, true);
    }

    fn change(self, href: &str, replace: bool) {
        let (path, query) = href.split_once('?').unwrap_or((href, ""));
        if !self.is_own_page(path) {
            let _ = window().location().assign(href);
            return;
        }
        let Ok(history) = window().history() else {
            let _ = window().location().assign(href);
            return;
        };
        let state = wasm_bindgen::JsValue::NULL;
        let changed = if replace {
            history.replace_state_with_url(&state, "", Some(href))
        } else {
            history.push_state_with_url(&state, "", Some(href))
        };
        if changed.is_err() {
            let _ = window().location().assign(href);
            return;
        }
        if !replace {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
        if self.path.get_untracked() != path {
            self.path.set(path.to_owned());
        }
        self.query.set(query.to_owned());
    }

    /// Whether `path` is a desk page (not a first-response page, nor one
    /// the worker renders).
    fn is_own_page(self, path: &str) -> bool {
        is_desk_page(path)
    }

    /// A plain left click on a link to a desk page becomes a
    /// history entry; anything else (a modifier key, another window, a
    /// download, another origin or bundle) stays the browser's.
    fn follow_link(self, ev: &web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(anchor) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        let same_window = matches!(anchor.target().as_str(), "" | "_self");
        let origin = window().location().origin().unwrap_or_default();
        let web = matches!(anchor.protocol().as_str(), "http:" | "https:");
        if !same_window || !web || anchor.has_attribute("download") || anchor.origin() != origin {
            return;
        }
        let path = anchor.pathname();
        if !self.is_own_page(&path) {
            return;
        }
        ev.prevent_default();
        self.go(&format!("{path}{}", anchor.search()));
    }
}

thread_local! {
    /// The window's one address, once the shell follows it.
    static CURRENT: std::cell::Cell<Option<Address>> = const { std::cell::Cell::new(None) };
}

/// The address the bundle's shell follows.
///
/// # Panics
/// Before the shell has started (a page outside the app's shell).
pub fn use_address() -> Address {
    CURRENT
        .with(std::cell::Cell::get)
        .expect("the shell follows the window's address")
}

/// Filters a page keeps in its address (`/?status=open`), so that a reload,
/// a bookmark or a shared link shows the same selection.
#[derive(Clone, Copy)]
pub struct AddressFilters {
    address: Address,
    keys: &'static [&'static str],
    values: Memo<Vec<(&'static str, String)>>,
    to_query: fn(&[(&'static str, String)]) -> String,
    path: &'static str,
}

impl AddressFilters {
    /// The filters `keys` of the page at `path`, written into its query by
    /// `to_query`.
    pub fn new(
        path: &'static str,
        keys: &'static [&'static str],
        to_query: fn(&[(&'static str, String)]) -> String,
    ) -> Self {
        let address = use_address();
        let values = Memo::new(move |_| {
            keys.iter()
                .map(|&key| (key, address.query_value(key)))
                .collect::<Vec<_>>()
        });
        Self {
            address,
            keys,
            values,
            to_query,
            path,
        }
    }

    /// Every filter with its value (empty when unset), tracked.
    pub fn values(self) -> Vec<(&'static str, String)> {
        self.values.get()
    }

    /// The query of the current filters, tracked.
    pub fn query(self) -> String {
        self.values.with(|values| (self.to_query)(values))
    }

    /// The value of `key`, tracked.
    pub fn value(self, key: &str) -> String {
        self.values.with(|values| {
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
    }

    /// Sets `key` to `value` in the address (in place of the current entry).
    pub fn set(self, key: &'static str, value: String) {
        debug_assert!(self.keys.contains(&key), "{key} is not a filter");
        let mut current = self.values.get_untracked();
        if let Some(entry) = current.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = value;
        }
        let query = (self.to_query)(&current);
        if query.is_empty() {
            self.address.replace(self.path);
        } else {
            self.address.replace(&format!("{}?{query}", self.path));
        }
    }
}
