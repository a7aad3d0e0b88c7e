//! Installs what is missing, skipping every tool already present at the right version.

use crate::shell::{command, output, root, run_step, Result, Step};
use std::path::Path;

/// Which tools a command needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Building and serving: wasm target, wasm-bindgen, worker-build, npm packages.
    Build,
    /// Build plus Chromium and chromedriver for the browser tests.
    Everything,
}

const WORKER_BUILD_VERSION: &str = "0.8.7";
const CARGO_FUZZ_VERSION: &str = "0.13.2";
const TWIGGY_VERSION: &str = "0.8.0";

pub fn run(needs: Needs) -> Result {
    let _step = Step::start("setup: checking tools");
    wasm_target()?;
    let bindgen = wasm_bindgen_version()?;
    cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &bindgen)?;
    cargo_tool("worker-build", "worker-build", WORKER_BUILD_VERSION)?;
    npm_packages()?;
    if needs == Needs::Everything {
        debian_packages()?;
        fuzzing_tools()?;
    }
    Ok(())
}

/// `twiggy`, which `cargo xtask bench` reads the app bundles' contributors with.
pub fn analysis_tools() -> Result {
    cargo_tool("twiggy", "twiggy", TWIGGY_VERSION)
}

/// `cargo fuzz` (libFuzzer driver) for `cargo xtask fuzz` and the short run in `test`.
pub fn fuzzing_tools() -> Result {
    cargo_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)
}

fn wasm_target() -> Result {
    let installed =
        output(command("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    let _step = Step::start("installing the wasm32-unknown-unknown target");
    run_step(
        "rustup target add",
        command("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
    )
}

/// The `wasm-bindgen` version locked in Cargo.lock; the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

/// Installs `krate` at `version` unless `binary --version` already reports it.
///
/// Every tool is compiled into one target directory (`target/tools`), so the
/// dependencies the tools share are compiled once, and with a quick release
/// profile (no LTO, parallel code generation, light optimisation): the tools
/// run for seconds in a build, while compiling them fully optimised took
/// most of a fresh machine's setup. Each install prints what it took.
fn cargo_tool(krate: &str, binary: &str, version: &str) -> Result {
    let current = output(command(binary).arg("--version")).unwrap_or_default();
    if current
        .split_whitespace()
        .any(|word| word.trim_start_matches('v') == version)
    {
        return Ok(());
    }
    let _step = Step::start(format!(
        "installing {krate} {version} (compiles once, a few minutes)"
    ));
    let exact = format!("={version}");
    let install = |locked: bool| {
        let mut cmd = command("cargo");
        cmd.args(["install", krate, "--version", &exact])
            .env("CARGO_TARGET_DIR", root().join("target").join("tools"))
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
            .env("CARGO_PROFILE_RELEASE_STRIP", "true");
        if locked {
            cmd.arg("--locked");
        }
        run_step(&format!("cargo install {krate}"), &mut cmd)
    };
    if install(true).is_ok() {
        return Ok(());
    }
    // A lock file can name a version the registry has since yanked; resolve afresh.
    eprintln!("    --locked install failed; retrying with a fresh resolution");
    install(false)
}

fn npm_packages() -> Result {
    let root = root();
    let marker = root.join("node_modules").join(".package-lock.json");
    let lock = root.join("package-lock.json");
    let fresh = match (std::fs::metadata(&marker), std::fs::metadata(&lock)) {
        (Ok(m), Ok(l)) => m.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh && root.join("node_modules/.bin/wrangler").exists() {
        return Ok(());
    }
    let _step = Step::start("installing npm packages (wrangler, binaryen, esbuild)");
    run_step(
        "npm ci",
        command("npm").args(["ci", "--no-audit", "--no-fund"]),
    )
}

/// Debian packages the tests drive: the browser, its driver, a real
/// Prometheus Alertmanager for the ingestion tests, and a real Prometheus
/// that scrapes `/metrics` (started by the test itself, never as a service).
const TEST_PACKAGES: [(&str, &str); 4] = [
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    (
        "prometheus-alertmanager",
        "/usr/bin/prometheus-alertmanager",
    ),
    ("prometheus", "/usr/bin/prometheus"),
];

fn debian_packages() -> Result {
    let missing: Vec<&str> = TEST_PACKAGES
        .iter()
        .filter(|(_, binary)| !Path::new(binary).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let _step = Step::start(format!(
        "installing {} from Debian's packages",
        missing.join(", ")
    ));
    run_step("apt-get update", command("apt-get").args(["update", "-qq"]))?;
    run_step(
        "apt-get install",
        command("apt-get")
            .args(["install", "-y", "-qq"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
