//! `cargo xtask <command>`: the only entry points a contributor needs.
//!
//! - `setup`: install every missing tool (wasm target, wasm-bindgen CLI at the
//!   Cargo.lock version, worker-build, npm packages; Chromium and
//!   chromedriver for tests).
//! - `build`: build the app (release wasm, wasm-bindgen, wasm-opt -Oz) and the worker
//!   (worker-build, release, wasm-opt).
//! - `dev`: setup + build + local D1 migrations + admin token, then
//!   `wrangler dev` on http://127.0.0.1:8787 with the demo team seeded on an
//!   empty database and the cron trigger fired every minute
//!   (`--port N`, `--persist-to DIR`, `--empty`, `--reset`, `--no-build`, `--verbose`).
//! - `test`: setup + every check: fmt, clippy (native and wasm32), native
//!   tests, browser tests in headless Chromium, end-to-end tests.
//! - `e2e`: setup + build + only the end-to-end tests (the slow part of `test`).
//! - `bench`: the figures the issues ask for (`--only reports` builds and
//!   runs only the report API's benchmark, `--only sizes` only prints the
//!   bundles' sizes and their largest crates).
//! - `soak`: the crash test (workerd killed mid-write, restarted on the same
//!   state) for 100 rounds; `test` runs 20.
//! - `fuzz`: every parser of outside input under libFuzzer, 10 minutes per
//!   target (`--seconds N`, or name targets); `test` runs each briefly.

mod bench;
mod build;
mod dev;
mod fuzz;
mod local_secrets;
mod processes;
mod scratch;
mod setup;
mod shell;
mod test;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(setup::Needs::Everything),
        Some("build") => setup::run(setup::Needs::Build).and_then(|()| build::run()),
        Some("dev") => dev::run(&args[1..]),
        Some("test") => test::run(),
        Some("e2e") => test::end_to_end_only(),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("soak") => test::soak(),
        _ => {
            eprintln!("usage: cargo xtask <setup | build | dev [--port N] [--persist-to DIR] [--empty] [--reset] [--no-build] [--verbose] | test | e2e | bench [--only reports | --only sizes] | soak | fuzz [--seconds N] [target...]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: {err}");
            ExitCode::FAILURE
        }
    }
}
