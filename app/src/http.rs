//! The browser's `fetch`, as the API client needs it: a method, a path on
//! Beacon's own origin (so the session cookie goes along), headers, a JSON
//! body, and the answer's status and body (as text or as a blob).

use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a request got no answer, or its answer could not be read.
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn from_js(value: JsValue) -> Error {
    let message = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "the browser gave no reason".to_owned());
    Error(message)
}

/// A request to be sent.
pub struct Request {
    init: web_sys::RequestInit,
    headers: web_sys::Headers,
    path: String,
}

impl Request {
    fn new(method: &str, path: &str) -> Self {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        Self {
            init,
            headers: web_sys::Headers::new().expect("headers"),
            path: path.to_owned(),
        }
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    pub fn put(path: &str) -> Self {
        Self::new("PUT", path)
    }

    pub fn delete(path: &str) -> Self {
        Self::new("DELETE", path)
    }

    pub fn header(self, name: &str, value: &str) -> Self {
        let _ = self.headers.set(name, value);
        self
    }

    /// `body` as JSON, with its content type.
    pub fn json<B: Serialize>(self, body: &B) -> Result<Self, Error> {
        let text = serde_json::to_string(body).map_err(|e| Error(e.to_string()))?;
        self.init.set_body(&JsValue::from_str(&text));
        Ok(self.header("content-type", "application/json"))
    }

    pub async fn send(self) -> Result<Response, Error> {
        self.init.set_headers(&self.headers);
        let window = web_sys::window().ok_or_else(|| Error("no window".into()))?;
        let answer = JsFuture::from(window.fetch_with_str_and_init(&self.path, &self.init))
            .await
            .map_err(from_js)?;
        Ok(Response(answer.unchecked_into()))
    }
}

/// An answer.
pub struct Response(web_sys::Response);

impl Response {
    pub fn status(&self) -> u16 {
        self.0.status()
    }

    pub async fn text(self) -> Result<String, Error> {
        Ok(JsFuture::from(self.0.text().map_err(from_js)?)
            .await
            .map_err(from_js)?
            .as_string()
            .unwrap_or_default())
    }

    pub async fn blob(self) -> Result<web_sys::Blob, Error> {
        let blob = JsFuture::from(self.0.blob().map_err(from_js)?)
            .await
            .map_err(from_js)?;
        Ok(blob.unchecked_into())
    }
}
