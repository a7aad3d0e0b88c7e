//! `cargo xtask dev` end to end: the built xtask started on a free port with
//! its own state directory (and no build), its output, the demo team, the
//! escalation sweep it fires by itself, the local inbox and the sign-in
//! links; and the development routes answering 404 in the harness's
//! `BEACON_ENV=test`.

use crate::{check, json_of, post, Env, TestFn};
use beacon_e2e::browser::wait_for;
use beacon_e2e::{free_port, root, BoxError, GroupChild};
use libtest_mimic::Failed;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "dev_command::the_development_routes_are_missing_outside_development",
        the_development_routes_are_missing_outside_development,
    ),
    (
        "dev_command::xtask_dev_seeds_the_demo_team_and_pages_the_duty_ic_by_itself",
        xtask_dev_seeds_the_demo_team_and_pages_the_duty_ic_by_itself,
    ),
    (
        "dev_command::xtask_dev_empty_then_reset",
        xtask_dev_empty_then_reset,
    ),
];

/// The demo seed and the local inbox exist only with
/// `BEACON_ENV=development`: with the harness's `test` they are 404 (and not
/// the app's page either), and nothing is stored.
fn the_development_routes_are_missing_outside_development(env: &Env) -> Result<(), Failed> {
    let inbox = env.http.get(env.worker.url("/dev/inbox")).send()?;
    let status = inbox.status().as_u16();
    let text = inbox.text()?;
    check(
        status == 404 && !text.contains("Local inbox"),
        format!("GET /dev/inbox: {status} {text}"),
    )?;
    let (status, body) = json_of(
        env.http
            .post(env.worker.url("/dev/inbox/demo-ian-ic"))
            .json(&json!({"summary": "You are paged."}))
            .send()?,
    )?;
    check(
        status == 404 && body["error"]["code"] == "not_found",
        format!("POST /dev/inbox/...: {status} {body}"),
    )?;
    let (status, body) = post(env, "admin", "/api/dev/seed", &json!({}))?;
    check(
        status == 404,
        format!("POST /api/dev/seed: {status} {body}"),
    )?;
    let stored = env.worker.query("SELECT count(*) AS n FROM dev_inbox")?;
    check(stored[0]["n"] == 0, format!("nothing kept: {stored}"))?;
    let demo = env
        .worker
        .query("SELECT count(*) AS n FROM users WHERE name LIKE 'demo-%'")?;
    check(demo[0]["n"] == 0, format!("no demo people: {demo}"))
}

/// `target/debug/xtask`, built now (a no-op when it is fresh).
fn xtask_binary() -> Result<PathBuf, BoxError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "xtask"])
        .current_dir(root())
        .status()?;
    if !status.success() {
        return Err(format!("building xtask: {status}").into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    Ok(target.join("debug").join("xtask"))
}

/// A running `xtask dev --no-build` and every line it printed.
struct DevCommand {
    process: Option<GroupChild>,
    pgid: u32,
    lines: Arc<Mutex<Vec<String>>>,
    base_url: String,
}

impl DevCommand {
    fn start(state: &Path, flags: &[&str]) -> Result<Self, BoxError> {
        let port = free_port();
        let mut cmd = Command::new(xtask_binary()?);
        cmd.args([
            "dev",
            "--no-build",
            "--port",
            &port.to_string(),
            "--persist-to",
        ])
        .arg(state)
        .args(flags)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut process = GroupChild::spawn("xtask dev", &mut cmd)?;
        let pgid = process.id();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (stdout, stderr) = process.take_output();
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(stdout.ok_or("stdout")?),
            Box::new(stderr.ok_or("stderr")?),
        ];
        for stream in streams {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                    lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
                }
            });
        }
        Ok(Self {
            process: Some(process),
            pgid,
            lines,
            base_url: format!("http://127.0.0.1:{port}"),
        })
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every line up to the end of the closing box.
    fn wait_for_box(&mut self) -> Result<Vec<String>, BoxError> {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let lines = self.lines();
            if let Some(end) = lines.iter().position(|l| l.starts_with('└')) {
                return Ok(lines[..=end].to_vec());
            }
            let exited = self.process.as_mut().is_none_or(GroupChild::has_exited);
            if exited || Instant::now() > deadline {
                return Err(format!("xtask dev printed no box:\n{}", lines.join("\n")).into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Stops it (the whole process group) and says which of its processes
    /// outlived that, if any.
    fn stop(&mut self) -> Result<(), BoxError> {
        drop(self.process.take());
        std::thread::sleep(Duration::from_millis(300));
        let left = processes_in_group(self.pgid);
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("xtask dev left processes behind: {left:?}").into())
        }
    }
}

impl Drop for DevCommand {
    fn drop(&mut self) {
        drop(self.process.take());
    }
}

/// The command lines of the live processes in process group `pgid`.
fn processes_in_group(pgid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .filter_map(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after ')'.
            let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
            // A zombie ("Z") has exited already; only its parent's reaping is left.
            let alive = fields.first().is_some_and(|state| *state != "Z");
            (alive && fields.get(2)?.parse::<u32>().ok()? == pgid).then(|| {
                let raw = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                String::from_utf8_lossy(&raw).replace('\0', " ")
            })
        })
        .collect()
}

/// The sign-in links of the box, by name.
fn sign_in_links(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|line| {
            let line = line.trim_start_matches('│').trim();
            let (name, link) = line.split_once(' ')?;
            let link = link.trim();
            link.contains("/sign-in#token=")
                .then(|| (name.to_owned(), link.to_owned()))
        })
        .collect()
}

fn token_of(link: &str) -> &str {
    link.split_once("#token=").map_or("", |(_, t)| t)
}

fn state_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("beacon-xtask-dev-{name}-{}", std::process::id()))
}

fn api_get(
    http: &reqwest::blocking::Client,
    dev: &DevCommand,
    token: &str,
    path: &str,
) -> Result<(u16, Value), Failed> {
    json_of(http.get(dev.url(path)).bearer_auth(token).send()?)
}

/// SPEC E1, E2, I3: from a state directory that does not exist (a fresh
/// clone), `xtask dev` prints at most 40 lines ending with one sign-in link
/// per demo person (token in the fragment); the demo team exists with
/// someone on call; within 90 seconds, with nobody acting, the local inbox
/// shows the duty IC's page for the demo P1; its acknowledgement link stops
/// the escalation; a sign-in link opens the app signed in, the token gone
/// from the address. `wrangler dev`'s request log stays out of the output,
/// and no process outlives the command.
fn xtask_dev_seeds_the_demo_team_and_pages_the_duty_ic_by_itself(env: &Env) -> Result<(), Failed> {
    let state = state_dir("demo");
    let _ = std::fs::remove_dir_all(&state);
    let mut dev = DevCommand::start(&state, &[])?;
    let outcome = demo_flow(env, &mut dev);
    let stopped = dev.stop();
    let _ = std::fs::remove_dir_all(&state);
    outcome?;
    Ok(stopped?)
}

fn demo_flow(env: &Env, dev: &mut DevCommand) -> Result<(), Failed> {
    let started = Instant::now();
    let printed = dev.wait_for_box()?;
    check(
        printed.len() <= 40,
        format!("{} lines:\n{}", printed.len(), printed.join("\n")),
    )?;
    check(
        !printed.iter().any(|l| l.contains("?token=")),
        "no token in a query string",
    )?;
    let links = sign_in_links(&printed);
    let box_start = printed
        .iter()
        .position(|l| l.starts_with('┌'))
        .ok_or("box")?;
    let first_link = printed
        .iter()
        .position(|l| l.contains("/sign-in#token="))
        .ok_or("no sign-in link")?;
    check(
        first_link > box_start
            && printed[first_link..printed.len() - 1]
                .iter()
                .all(|l| l.contains("/sign-in#token=")),
        format!(
            "the output ends with the sign-in links:\n{}",
            printed.join("\n")
        ),
    )?;
    check(
        printed[box_start..]
            .iter()
            .any(|l| l.contains("/dev/inbox"))
            && printed[box_start..].iter().any(|l| l.contains("/status")),
        "the box names the inbox and the status page",
    )?;
    let names: Vec<&str> = links.iter().map(|(n, _)| n.as_str()).collect();
    check(
        names.iter().filter(|n| n.starts_with("demo-")).count() == 8,
        format!("one link per demo person: {names:?}"),
    )?;
    let link = |name: &str| {
        links
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.clone())
            .ok_or_else(|| format!("no link for {name}"))
    };
    let ic_link = link("demo-ian-ic")?;
    let ic = token_of(&ic_link).to_owned();
    let sre = token_of(&link("demo-sam-sre")?).to_owned();

    let http = &env.http;
    let (status, me) = api_get(http, dev, &ic, "/api/me")?;
    check(
        status == 200 && me["role"] == "incident_commander",
        format!("the IC's token: {status} {me}"),
    )?;
    let (_, on_call) = api_get(http, dev, &sre, "/api/on-call")?;
    let rotas = on_call["rotas"].as_array().ok_or("rotas")?;
    check(
        rotas.len() == 4 && rotas.iter().all(|r| !r["now"].is_null()),
        format!("someone on call for every rota: {on_call}"),
    )?;
    let (_, incidents) = api_get(http, dev, &sre, "/api/incidents")?;
    let list = incidents["incidents"].as_array().ok_or("incidents")?;
    let live = list
        .iter()
        .find(|i| i["priority"] == "P1" && i["status"] == "investigating")
        .ok_or_else(|| format!("a live P1: {incidents}"))?;
    let live_id = live["id"].as_i64().ok_or("id")?;
    check(
        list.iter().filter(|i| i["status"] == "closed").count() >= 8,
        format!("a history of closed incidents: {incidents}"),
    )?;
    let status_page = http.get(dev.url("/status")).send()?.text()?;
    check(
        status_page.contains("d-major_outage") && status_page.contains("d-partial_outage"),
        "the 90-day bars show the published history",
    )?;

    // Nobody acts: the sweep xtask fires pages the duty IC through the inbox.
    let ack = loop {
        let inbox = http.get(dev.url("/dev/inbox")).send()?.text()?;
        let prefix = format!("{}/ack/{live_id}?by=demo-ian-ic", dev.base_url);
        if let Some(start) = inbox.find(&format!("href=\"{prefix}")) {
            let rest = &inbox[start + 6..];
            break rest[..rest.find('"').ok_or("href")?].replace("&amp;", "&");
        }
        check(
            started.elapsed() < Duration::from_secs(90),
            format!("no page for the duty IC within 90 s:\n{inbox}"),
        )?;
        std::thread::sleep(Duration::from_secs(2));
    };
    let shown = http.get(&ack).send()?.text()?;
    check(
        shown.contains(&format!("Acknowledge incident #{live_id}?")),
        format!("the link shows what it acknowledges: {shown}"),
    )?;
    let confirmed = http.post(&ack).send()?;
    check(
        confirmed.status().as_u16() == 200,
        format!("acknowledged: {}", confirmed.status()),
    )?;
    let (_, view) = api_get(
        http,
        dev,
        &ic,
        &format!("/api/incidents/{live_id}/escalation"),
    )?;
    check(
        view["acknowledged_by"] == "demo-ian-ic"
            && view["deadlines"]
                .as_array()
                .is_some_and(|d| d.iter().all(|d| d["kind"] != "acknowledge")),
        format!("the acknowledgement stops the escalation: {view}"),
    )?;

    sign_in_with_link(env, dev, &ic_link)?;

    let after: Vec<String> = dev.lines().split_off(printed.len());
    check(
        !after
            .iter()
            .any(|l| l.contains("GET /") || l.contains("POST /")),
        format!("no request log after the box:\n{}", after.join("\n")),
    )
}

/// The sign-in link opens the queue signed in; the token leaves the address.
fn sign_in_with_link(env: &Env, dev: &DevCommand, link: &str) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let base = dev.base_url.clone();
    runtime.block_on(async {
        let client = env.driver.session().await.map_err(|e| e.to_string())?;
        let result: Result<(), BoxError> = async {
            client.goto(link).await?;
            wait_for(&client, "#incident-queue").await?;
            let url = client.current_url().await?;
            if url.as_str() != format!("{base}/") || url.fragment().is_some() {
                return Err(format!("signed in at {url}").into());
            }
            beacon_e2e::browser::wait_until_source(&client, "the demo P1 in the queue", |s| {
                s.contains("Card payments failing")
            })
            .await?;
            client.back().await?;
            let back = client.current_url().await?;
            if back.as_str().contains("token=") {
                return Err(format!("the token is still in the history: {back}").into());
            }
            Ok(())
        }
        .await;
        let _ = client.close().await;
        result.map_err(|e| Failed::from(e.to_string()))
    })
}

/// `--empty` starts without the demo team (only the admin's link); `--reset`
/// on the same state removes it (the old admin token stops working) and
/// seeds the demo team.
fn xtask_dev_empty_then_reset(env: &Env) -> Result<(), Failed> {
    let state = state_dir("reset");
    let _ = std::fs::remove_dir_all(&state);
    let outcome = empty_then_reset(env, &state);
    let _ = std::fs::remove_dir_all(&state);
    outcome
}

fn empty_then_reset(env: &Env, state: &Path) -> Result<(), Failed> {
    let http = &env.http;
    let mut empty = DevCommand::start(state, &["--empty"])?;
    let printed = empty.wait_for_box()?;
    let links = sign_in_links(&printed);
    check(
        links.len() == 1 && links[0].0 == "admin",
        format!("only the admin: {links:?}"),
    )?;
    let admin = token_of(&links[0].1).to_owned();
    let (status, incidents) = api_get(http, &empty, &admin, "/api/incidents")?;
    check(
        status == 200 && incidents["incidents"].as_array().is_some_and(Vec::is_empty),
        format!("no incidents: {status} {incidents}"),
    )?;
    let inbox = http.get(empty.url("/dev/inbox")).send()?.text()?;
    check(inbox.contains("Nothing has arrived yet"), "an empty inbox")?;
    empty.stop()?;

    let mut reset = DevCommand::start(state, &["--reset"])?;
    let printed = reset.wait_for_box()?;
    let links = sign_in_links(&printed);
    check(
        links.iter().filter(|(n, _)| n.starts_with("demo-")).count() == 8,
        format!("the demo team again: {links:?}"),
    )?;
    let (status, _) = api_get(http, &reset, &admin, "/api/me")?;
    check(
        status == 401,
        format!("the old admin token is gone: {status}"),
    )?;
    let sre = links
        .iter()
        .find(|(n, _)| n == "demo-sam-sre")
        .map(|(_, l)| token_of(l).to_owned())
        .ok_or("sre")?;
    let (_, incidents) = api_get(http, &reset, &sre, "/api/incidents")?;
    check(
        incidents["incidents"]
            .as_array()
            .is_some_and(|l| l.len() >= 10),
        format!("seeded again: {incidents}"),
    )?;
    Ok(reset.stop()?)
}
