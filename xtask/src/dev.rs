//! `cargo xtask dev`: everything needed to run Beacon locally, then `wrangler dev`.
//!
//! Setup, build, local D1 migrations and the admin token, one line each;
//! then `wrangler dev` (with `--test-scheduled`), the demo team seeded
//! through `POST /api/dev/seed` on an empty database, the cron trigger
//! fired every minute (wrangler dev never fires it by itself), and a short
//! box with the addresses and one sign-in link per demo person.

use crate::shell::{captured_step, command, output, root, set_quiet, Result, Step};
use crate::{build, setup};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo xtask dev [--port N] [--persist-to DIR] [--empty] [--reset] [--no-build] [--verbose]";

/// The local state when `--persist-to` is not given: wrangler's own default.
const DEFAULT_STATE: &str = ".wrangler/state";
/// Where earlier versions kept the admin token; `--reset` removes it too.
const LEGACY_ADMIN_TOKEN_FILE: &str = ".wrangler/beacon-admin-token";
/// In the state directory: the local admin's token.
const ADMIN_TOKEN_FILE: &str = "beacon-admin-token";
/// In the state directory: the demo people and their tokens, as seeded.
const DEMO_PEOPLE_FILE: &str = "beacon-demo-people.json";

/// What `cargo xtask dev` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub port: u16,
    /// The local D1/KV state, the admin token and the demo tokens.
    pub state: PathBuf,
    /// No demo team.
    pub empty: bool,
    /// Remove the local state first.
    pub reset: bool,
    /// Serve what `worker/build` and `app/dist` hold.
    pub no_build: bool,
    pub verbose: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut options = Options {
            port: 8787,
            state: root().join(DEFAULT_STATE),
            empty: false,
            reset: false,
            no_build: false,
            verbose: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--port" => {
                    options.port = args
                        .next()
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| format!("--port needs a port number\n{USAGE}"))?;
                }
                "--persist-to" => {
                    let dir = args
                        .next()
                        .ok_or_else(|| format!("--persist-to needs a directory\n{USAGE}"))?;
                    options.state = root().join(dir);
                }
                "--empty" => options.empty = true,
                "--reset" => options.reset = true,
                "--no-build" => options.no_build = true,
                "--verbose" => options.verbose = true,
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        Ok(options)
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn state_arg(&self) -> Result<&str> {
        self.state
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", self.state.display()))
    }
}

pub fn run(args: &[String]) -> Result {
    let options = Options::parse(args)?;
    set_quiet(!options.verbose);
    if options.reset {
        reset(&options)?;
    }
    setup::run(setup::Needs::Build)?;
    if options.no_build {
        eprintln!("build: skipped (--no-build)");
    } else {
        build::run()?;
    }
    crate::local_secrets::ensure()?;
    migrate(&options)?;
    let admin = admin_token(&options)?;
    let mut wrangler = Wrangler::start(&options)?;
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    wrangler.wait_until_healthy(&http, &options)?;
    let people = if options.empty {
        eprintln!("demo team: none (--empty)");
        Vec::new()
    } else {
        demo_team(&http, &options, &admin)?
    };
    fire_cron_every_minute(http, options.base_url());
    eprintln!(
        "cron: the escalation sweep runs every minute (xtask fires wrangler's scheduled handler)"
    );
    print_box(&options, &admin, &people);
    wrangler.wait()
}

/// `--reset`: the local D1 and KV, the saved admin and demo tokens.
fn reset(options: &Options) -> Result {
    let mut step = Step::start("reset");
    let mut removed = Vec::new();
    if options.state.exists() {
        std::fs::remove_dir_all(&options.state)
            .map_err(|e| format!("removing {}: {e}", options.state.display()))?;
        removed.push(options.state.display().to_string());
    }
    let legacy = root().join(LEGACY_ADMIN_TOKEN_FILE);
    if legacy.exists() {
        std::fs::remove_file(&legacy).map_err(|e| format!("removing {}: {e}", legacy.display()))?;
        removed.push(legacy.display().to_string());
    }
    step.outcome(if removed.is_empty() {
        "nothing to remove".to_owned()
    } else {
        format!("removed {}", removed.join(", "))
    });
    Ok(())
}

fn migrate(options: &Options) -> Result {
    let mut step = Step::start("migrations");
    let out = captured_step(
        "wrangler d1 migrations apply",
        command("wrangler")
            .args([
                "d1",
                "migrations",
                "apply",
                "beacon",
                "--local",
                "--persist-to",
            ])
            .arg(options.state_arg()?)
            .env("CI", "true"),
    )?;
    let applied = migration_names()
        .iter()
        .filter(|name| out.contains(name.as_str()))
        .count();
    step.outcome(match applied {
        0 => "up to date".to_owned(),
        n => format!("{n} applied"),
    });
    Ok(())
}

/// The migration files' names without `.sql`.
fn migration_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("migrations"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter_map(|n| n.strip_suffix(".sql").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn d1_execute(options: &Options) -> Result<std::process::Command> {
    let mut cmd = command("wrangler");
    cmd.args(["d1", "execute", "beacon", "--local", "--persist-to"])
        .arg(options.state_arg()?);
    Ok(cmd)
}

/// Reuses the saved admin token if D1 still knows it; creates one otherwise.
fn admin_token(options: &Options) -> Result<String> {
    let path = options.state.join(ADMIN_TOKEN_FILE);
    if let Ok(saved) = std::fs::read_to_string(&path) {
        let saved = saved.trim().to_owned();
        let query = format!(
            "SELECT count(*) AS n FROM api_tokens WHERE token_hash = '{}'",
            hash(&saved)
        );
        let known = output(d1_execute(options)?.args(["--json", "--command", &query]))
            .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            .and_then(|v| v[0]["results"][0]["n"].as_i64())
            .unwrap_or(0);
        if known > 0 {
            eprintln!("admin token: kept ({})", path.display());
            return Ok(saved);
        }
    }
    let _step = Step::start("admin token: created");
    let token = new_token()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let sql = format!(
        "INSERT OR IGNORE INTO users (name, role, created_at) VALUES ('admin', 'admin', {now}); \
         INSERT INTO api_tokens (user_id, token_hash, label, created_at) \
         SELECT id, '{hash}', 'local admin (cargo xtask dev)', {now} FROM users WHERE name = 'admin';",
        hash = hash(&token)
    );
    captured_step(
        "seeding the admin token",
        d1_execute(options)?.args(["--command", &sql]),
    )?;
    std::fs::create_dir_all(&options.state)
        .and_then(|()| std::fs::write(&path, &token))
        .map_err(|e| format!("saving {}: {e}", path.display()))?;
    Ok(token)
}

/// `wrangler dev` with its output read line by line: shown in full with
/// `--verbose`, otherwise only errors (request logs and the sweep's
/// reports stay out); the last lines are kept for a failed start.
struct Wrangler {
    child: Child,
    recent: Arc<Mutex<VecDeque<String>>>,
}

impl Wrangler {
    fn start(options: &Options) -> Result<Self> {
        let _step = Step::start(format!("wrangler dev: starting on port {}", options.port));
        let inspector = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port for the inspector: {e}"))?;
        let mut child = command("wrangler")
            .args([
                "dev",
                "--ip",
                "127.0.0.1",
                "--port",
                &options.port.to_string(),
            ])
            .args(["--inspector-port", &inspector.to_string()])
            .args(["--persist-to", options.state_arg()?])
            .args(["--show-interactive-dev-session=false", "--test-scheduled"])
            .args(["--var", "BEACON_ENV:development"])
            .args([
                "--var",
                &format!("BEACON_PUBLIC_URL:{}", options.base_url()),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start wrangler dev: {e}"))?;
        let recent = Arc::new(Mutex::new(VecDeque::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for stream in streams {
            let recent = Arc::clone(&recent);
            let verbose = options.verbose;
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                    if verbose || is_error_line(&line) {
                        eprintln!("{line}");
                    }
                    let mut recent = recent.lock().unwrap_or_else(|p| p.into_inner());
                    if recent.len() == 200 {
                        recent.pop_front();
                    }
                    recent.push_back(line);
                }
            });
        }
        Ok(Self { child, recent })
    }

    fn wait_until_healthy(
        &mut self,
        http: &reqwest::blocking::Client,
        options: &Options,
    ) -> Result {
        let health = format!("{}/api/health", options.base_url());
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if http
                .get(&health)
                .timeout(Duration::from_secs(5))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                let _ = self.child.kill();
                let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
                let log: Vec<&str> = recent.iter().map(String::as_str).collect();
                return Err(format!(
                    "wrangler dev did not come up on {}:\n{}",
                    options.base_url(),
                    log.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn wait(mut self) -> Result {
        let status = self
            .child
            .wait()
            .map_err(|e| format!("waiting for wrangler dev: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("wrangler dev stopped ({status})"))
        }
    }
}

/// A `wrangler dev` line worth showing without `--verbose`: errors and
/// warnings, but not the sweep's routine report (whose JSON counts `failed`).
fn is_error_line(line: &str) -> bool {
    if line.starts_with("escalation sweep at ") && line.contains(": {\"incidents\"") {
        return false;
    }
    let lower = line.to_ascii_lowercase();
    [
        "✘", "error", "uncaught", "panicked", "failed", "warning", "▲",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// A demo person as `POST /api/dev/seed` answers and as kept for later runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct DemoPerson {
    name: String,
    role: String,
    token: String,
}

/// Seeds the demo team into an empty database and keeps its tokens; on a
/// database that is not empty, the tokens kept by the run that seeded it.
fn demo_team(
    http: &reqwest::blocking::Client,
    options: &Options,
    admin: &str,
) -> Result<Vec<DemoPerson>> {
    let mut step = Step::start("demo team");
    let saved = options.state.join(DEMO_PEOPLE_FILE);
    let response = http
        .post(format!("{}/api/dev/seed", options.base_url()))
        .bearer_auth(admin)
        .send()
        .map_err(|e| format!("seeding the demo team: {e}"))?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response
        .json()
        .map_err(|e| format!("seeding the demo team: {status}, not JSON: {e}"))?;
    match status {
        201 => {
            let people: Vec<DemoPerson> = serde_json::from_value(body["people"].clone())
                .map_err(|e| format!("the demo team's answer: {e}"))?;
            let json = serde_json::to_string_pretty(&people).map_err(|e| e.to_string())?;
            std::fs::write(&saved, json).map_err(|e| format!("saving {}: {e}", saved.display()))?;
            step.outcome(format!(
                "{} people, {} past incidents, live P1 #{} seeded",
                people.len(),
                body["history"],
                body["live_incident"]
            ));
            Ok(people)
        }
        409 => {
            let people = std::fs::read_to_string(&saved)
                .ok()
                .and_then(|text| serde_json::from_str::<Vec<DemoPerson>>(&text).ok())
                .unwrap_or_default();
            step.outcome(if people.is_empty() {
                "not seeded: the database holds data already (--reset starts afresh)"
            } else {
                "kept from an earlier run"
            });
            Ok(people)
        }
        _ => Err(format!("seeding the demo team: {status} {body}")),
    }
}

/// `wrangler dev` runs no cron triggers by itself: fire the scheduled
/// handler now (so the demo P1's page arrives at once) and at the start of
/// every minute, for as long as xtask runs.
fn fire_cron_every_minute(http: reqwest::blocking::Client, base_url: String) {
    std::thread::spawn(move || loop {
        let url = format!("{base_url}/__scheduled?cron=*+*+*+*+*");
        match http.get(&url).send() {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => eprintln!("cron: the scheduled handler answered {}", r.status()),
            Err(e) => eprintln!("cron: could not reach the scheduled handler: {e}"),
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        std::thread::sleep(Duration::from_millis(60_000 - now_ms % 60_000 + 500));
    });
}

fn print_box(options: &Options, admin: &str, people: &[DemoPerson]) {
    let base = options.base_url();
    let sign_in = |token: &str| format!("{base}/sign-in#token={token}");
    let mut lines = vec![
        format!(
            "Beacon{} on {base}/  (Ctrl-C stops it)",
            if people.is_empty() {
                ""
            } else {
                " with its demo team"
            }
        ),
        format!("local inbox:  {base}/dev/inbox"),
        format!("status page:  {base}/status"),
        "sign in (the token is in the link's #fragment, never sent to a server):".to_owned(),
    ];
    for person in people {
        lines.push(format!("  {:<20} {}", person.name, sign_in(&person.token)));
    }
    lines.push(format!("  {:<20} {}", "admin", sign_in(admin)));
    let rule = "─".repeat(72);
    println!("┌{rule}");
    for line in lines {
        println!("│ {line}");
    }
    println!("└{rule}");
}

/// 256 random bits, hex, with a recognisable prefix.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(format!("bkn_{}", hex::encode(bytes)))
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flags_are_read_and_unknown_ones_refused() {
        let options = Options::parse(&args(&[
            "--port",
            "9000",
            "--persist-to",
            "/tmp/x",
            "--empty",
            "--reset",
            "--no-build",
            "--verbose",
        ]))
        .unwrap();
        assert_eq!(options.port, 9000);
        assert_eq!(options.state, PathBuf::from("/tmp/x"));
        assert!(options.empty && options.reset && options.no_build && options.verbose);
        let defaults = Options::parse(&[]).unwrap();
        assert_eq!(defaults.port, 8787);
        assert_eq!(defaults.state, root().join(DEFAULT_STATE));
        assert!(!defaults.empty && !defaults.reset && !defaults.no_build && !defaults.verbose);
        for bad in [
            &["--port"][..],
            &["--port", "x"],
            &["--persist-to"],
            &["--demo"],
        ] {
            assert!(Options::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_errors_of_wrangler_dev_are_shown_without_verbose() {
        for shown in [
            "✘ [ERROR] Could not resolve \"worker\"",
            "GET /api/incidents 500 Internal Server Error (12ms)",
            "escalation sweep at 2026-12-01T16:00:00Z failed: store unavailable",
            "Uncaught TypeError: x is undefined",
        ] {
            assert!(is_error_line(shown), "{shown}");
        }
        for hidden in [
            "[wrangler:info] GET /api/health 200 OK (3ms)",
            "escalation sweep at 2026-12-01T16:00:00Z: {\"incidents\":1,\"actions\":1,\"delivered\":1,\"retrying\":0,\"failed\":0,\"skipped\":[]}",
            "Ready on http://127.0.0.1:8787",
        ] {
            assert!(!is_error_line(hidden), "{hidden}");
        }
    }
}
