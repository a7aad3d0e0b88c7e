//! Builds the app (trunk) and the worker (worker-build), both release and wasm-opt'ed.

use crate::shell::{command, root, run_step, Result, Step};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub fn run() -> Result {
    app()?;
    worker()
}

pub fn app() -> Result {
    let _step = Step::start("building the app (trunk, release, wasm-opt -Oz)");
    run_step(
        "trunk build",
        command("trunk")
            .args(["build", "--release"])
            .current_dir(root().join("app")),
    )?;
    write_asset_headers(&root().join("app").join("dist"))
}

/// The security headers of every static asset (`_headers`, read by Workers
/// static assets): a Content-Security-Policy that allows the app's own
/// scripts, its wasm and trunk's inline start-up script by its hash, images
/// from `blob:` URLs it made itself (the report charts), and nothing from
/// elsewhere; no framing, no sniffing, no referrer.
fn write_asset_headers(dist: &Path) -> Result {
    let index = dist.join("index.html");
    let html =
        std::fs::read_to_string(&index).map_err(|e| format!("reading {}: {e}", index.display()))?;
    let hashes: Vec<String> = inline_scripts(&html)
        .map(|script| {
            format!(
                "'sha256-{}'",
                BASE64.encode(Sha256::digest(script.as_bytes()))
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        hashes.join(" ")
    );
    let headers = format!(
        "/*\n  Content-Security-Policy: {policy}\n  X-Content-Type-Options: nosniff\n  \
         Referrer-Policy: no-referrer\n  X-Frame-Options: DENY\n"
    );
    let path = dist.join("_headers");
    std::fs::write(&path, headers).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The text of each inline `<script>` (one without `src`) in `html`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, body) = rest.split_once('>')?;
        if attributes.contains("src=") {
            return None;
        }
        body.split_once("</script>").map(|(script, _)| script)
    })
}

pub fn worker() -> Result {
    let _step = Step::start("building the worker (worker-build, release)");
    run_step(
        "worker-build",
        command("worker-build")
            .arg("--release")
            .current_dir(root().join("worker")),
    )
}

/// The optimized app wasm in `app/dist`.
pub fn app_wasm() -> Result<PathBuf> {
    let dist = root().join("app").join("dist");
    std::fs::read_dir(&dist)
        .map_err(|e| format!("{}: {e}; run `cargo xtask build`", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wasm"))
        .ok_or_else(|| "no .wasm in app/dist; run `cargo xtask build`".into())
}

/// The optimized worker wasm in `worker/build`.
pub fn worker_wasm() -> Result<PathBuf> {
    let build = root().join("worker").join("build");
    find_wasm(&build).ok_or_else(|| "no .wasm in worker/build; run `cargo xtask build`".into())
}

fn find_wasm(dir: &std::path::Path) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_wasm(&path) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|x| x == "wasm") {
            return Some(path);
        }
    }
    None
}
