//! Builds the app (trunk) and the worker (worker-build), both release and wasm-opt'ed.

use crate::shell::{command, root, run_step, Result, Step};
use std::path::PathBuf;

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
    )
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
