//! `cargo xtask test`: every check, in the order that fails fastest.

use crate::processes::{kill, runtime_processes};
use crate::scratch::Scratch;
use crate::shell::{command, run_step as run_cmd, Result, Step};
use crate::{build, setup};

pub fn run() -> Result {
    let _scratch = Scratch::enter()?;
    if std::env::var_os("CI").is_some() {
        // A one-off build gains nothing from incremental caches, which would
        // take gigabytes of a CI machine's disk.
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    setup::run(setup::Needs::Everything)?;
    cargo_step("cargo fmt --check", &["fmt", "--all", "--check"])?;
    cargo_step(
        "clippy (native)",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    cargo_step(
        "clippy (wasm32)",
        &[
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "beacon-shared",
            "-p",
            "beacon-app",
            "-p",
            "beacon-worker",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    {
        let _step = Step::start("native unit and property tests");
        run_cmd(
            "native tests",
            command("cargo").args(["test", "--workspace", "--exclude", "beacon-e2e"]),
        )?;
    }
    {
        let _step = Step::start("browser tests (wasm-bindgen-test in headless Chromium)");
        for package in ["beacon-shared", "beacon-app"] {
            run_cmd(
                &format!("wasm tests of {package}"),
                command("cargo")
                    .args(["test", "--target", "wasm32-unknown-unknown", "-p", package])
                    .env(
                        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                        "wasm-bindgen-test-runner",
                    )
                    .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
            )?;
        }
    }
    crate::fuzz::run_targets(&crate::fuzz::TARGETS, crate::fuzz::SHORT_RUN_SECONDS)?;
    build::run()?;
    end_to_end()
}

/// `cargo xtask e2e`: build, then only the end-to-end suite.
/// Runs `cargo <args>` as one named step.
fn cargo_step(name: &str, args: &[&str]) -> Result {
    let _step = Step::start(name);
    run_cmd(name, command("cargo").args(args))
}

pub fn end_to_end_only() -> Result {
    let _scratch = Scratch::enter()?;
    setup::run(setup::Needs::Everything)?;
    build::run()?;
    end_to_end()
}

/// Rounds of the crash test in `cargo xtask soak` (20 in `cargo xtask test`).
const SOAK_FAULT_ROUNDS: &str = "100";

/// `cargo xtask soak`: build, then the crash test (`workerd` killed with
/// SIGKILL mid-write and restarted on the same state) for 100 rounds.
pub fn soak() -> Result {
    let _scratch = Scratch::enter()?;
    setup::run(setup::Needs::Everything)?;
    build::run()?;
    let _step = Step::start(format!(
        "soak: {SOAK_FAULT_ROUNDS} crashes of workerd mid-write"
    ));
    run_cmd(
        "soak",
        command("cargo")
            .args([
                "test",
                "-p",
                "beacon-e2e",
                "--test",
                "e2e",
                "--",
                "faults::",
            ])
            .env("BEACON_FAULT_ROUNDS", SOAK_FAULT_ROUNDS),
    )
}

/// Runs the end-to-end suite and fails if it left any runtime process behind.
fn end_to_end() -> Result {
    let _step = Step::start("end-to-end tests (wrangler dev, local D1 and KV, Chromium)");
    let before = runtime_processes();
    let outcome = run_cmd(
        "end-to-end tests",
        command("cargo").args(["test", "-p", "beacon-e2e"]),
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let leftovers: Vec<(u32, String)> = runtime_processes()
        .into_iter()
        .filter(|(pid, _)| !before.contains_key(pid))
        .collect();
    for (pid, _) in &leftovers {
        kill(*pid);
    }
    outcome?;
    if leftovers.is_empty() {
        eprintln!("    no wrangler/workerd/chromedriver/alertmanager processes left behind");
        Ok(())
    } else {
        let list: Vec<String> = leftovers
            .iter()
            .map(|(pid, cmd)| format!("{pid}: {cmd}"))
            .collect();
        Err(format!(
            "the end-to-end tests left processes behind (now killed):\n{}",
            list.join("\n")
        ))
    }
}
