//! End-to-end tests against the real worker on `wrangler dev` (workerd, local D1 and KV).
//!
//! One `wrangler dev` and one chromedriver serve the whole run; both are
//! process groups killed before the process exits, whatever the outcome.

mod api;
mod body_limits;
mod browser_flows;
mod dev_command;
mod escalation;
mod faults;
mod incident_reports;
mod ingest;
mod people_browser;
mod problems;
mod problems_browser;
mod public_page;
mod reports;
mod reports_browser;
mod review;
mod route_matrix;
mod secrets_at_rest;
mod sessions;
mod statuspage_wire;
mod trust;

use beacon_e2e::browser::ChromeDriver;
use beacon_e2e::LocalWorker;
use libtest_mimic::{Arguments, Failed, Trial};
use std::sync::Arc;

/// Everything a test can use.
pub struct Env {
    pub worker: LocalWorker,
    pub driver: ChromeDriver,
    pub http: reqwest::blocking::Client,
}

pub type TestFn = fn(&Env) -> Result<(), Failed>;

/// Fails the test with `what` unless `cond` holds.
pub fn check(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// A response's status and JSON body; a body that is not JSON fails the test.
pub fn json_of(response: reqwest::blocking::Response) -> Result<(u16, serde_json::Value), Failed> {
    let status = response.status().as_u16();
    let text = response.text()?;
    let value = serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))?;
    Ok((status, value))
}

/// `GET path` without a token: its body as text, whatever its status.
pub fn get_text(env: &Env, path: &str) -> Result<String, Failed> {
    Ok(env.http.get(env.worker.url(path)).send()?.text()?)
}

/// `GET path` as the seeded user of `role`: its status and JSON body.
pub fn get(env: &Env, role: &str, path: &str) -> Result<(u16, serde_json::Value), Failed> {
    json_of(
        env.http
            .get(env.worker.url(path))
            .bearer_auth(env.worker.token(role))
            .send()?,
    )
}

/// `GET path` as the seeded user of `role`: its body read as JSON, whatever its status.
pub fn get_json(env: &Env, role: &str, path: &str) -> Result<serde_json::Value, Failed> {
    Ok(env
        .http
        .get(env.worker.url(path))
        .bearer_auth(env.worker.token(role))
        .send()?
        .json()?)
}

/// The kinds of an incident detail's timeline entries, in order.
pub fn timeline_kinds(detail: &serde_json::Value) -> Result<Vec<&str>, Failed> {
    Ok(detail["timeline"]
        .as_array()
        .ok_or("timeline")?
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect())
}

/// `POST path` as the seeded user of `role`, with a JSON body.
pub fn post(
    env: &Env,
    role: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), Failed> {
    send(env, reqwest::Method::POST, role, path, body)
}

/// `method path` as the seeded user of `role`, with a JSON body.
pub fn send(
    env: &Env,
    method: reqwest::Method,
    role: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), Failed> {
    json_of(
        env.http
            .request(method, env.worker.url(path))
            .bearer_auth(env.worker.token(role))
            .json(body)
            .send()?,
    )
}

fn main() {
    let mut args = Arguments::from_args();
    // Tests share one database and compare counts before and after: run them one by one.
    args.test_threads.get_or_insert(1);
    let tests: Vec<(&'static str, TestFn)> = api::TESTS
        .iter()
        .chain(ingest::TESTS.iter())
        .chain(browser_flows::TESTS.iter())
        .chain(escalation::TESTS.iter())
        .chain(statuspage_wire::TESTS.iter())
        .chain(public_page::TESTS.iter())
        .chain(dev_command::TESTS.iter())
        .chain(trust::TESTS.iter())
        .chain(problems::TESTS.iter())
        .chain(incident_reports::TESTS.iter())
        .chain(problems_browser::TESTS.iter())
        .chain(reports::TESTS.iter())
        .chain(faults::TESTS.iter())
        .chain(reports_browser::TESTS.iter())
        .chain(review::TESTS.iter())
        .chain(sessions::TESTS.iter())
        .chain(route_matrix::TESTS.iter())
        .chain(secrets_at_rest::TESTS.iter())
        .chain(body_limits::TESTS.iter())
        .chain(people_browser::TESTS.iter())
        .copied()
        .collect();
    let env = match start() {
        Ok(env) => Arc::new(env),
        Err(err) => {
            eprintln!("could not start the end-to-end environment: {err}");
            std::process::exit(1);
        }
    };
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            let env = Arc::clone(&env);
            Trial::test(name, move || test(&env))
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if conclusion.has_failed() {
        print_worker_errors(&env.worker);
    }
    // Stop wrangler and chromedriver before exiting: `exit` runs no destructors.
    match Arc::try_unwrap(env) {
        Ok(env) => drop(env),
        Err(_) => eprintln!("[harness] environment still shared at exit"),
    }
    conclusion.exit();
}

/// After a failure: the last lines the worker logged besides its access
/// lines (its errors among them), which say what a 5xx answer kept out of
/// its body.
fn print_worker_errors(worker: &LocalWorker) {
    let Ok(log) = worker.log() else {
        return;
    };
    let errors: Vec<&str> = log
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.contains("[wrangler:info]"))
        .filter(|line| !line.contains("workers.cloudflare.com"))
        .collect();
    eprintln!(
        "[harness] the worker's last log lines ({} in all):",
        errors.len()
    );
    for line in errors.iter().rev().take(40).rev() {
        eprintln!("[worker] {line}");
    }
}

fn start() -> Result<Env, beacon_e2e::BoxError> {
    let worker = LocalWorker::start()?;
    let driver = ChromeDriver::start()?;
    let http = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    Ok(Env {
        worker,
        driver,
        http,
    })
}
