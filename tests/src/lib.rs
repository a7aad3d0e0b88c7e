//! The end-to-end harness: a private `wrangler dev` and a headless Chromium per test run.
//!
//! [`LocalWorker::start`] applies the migrations to a fresh `--persist-to`
//! directory, seeds one user per role, and serves the built worker and app on
//! a free port. Every process is started in its own process group and the
//! whole group is killed on drop, so nothing outlives the run, also when a
//! test fails.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod browser;
pub mod receiver;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response header's value as text; empty when absent or not text.
pub fn header_text(response: &reqwest::blocking::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process in its own process group; the group dies with this value.
pub struct GroupChild {
    child: Child,
    name: &'static str,
}

impl GroupChild {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Result<Self, BoxError> {
        let child = cmd
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        Ok(Self { child, name })
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Its process id, which is also its process group's id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its piped standard output and error, to read them line by line.
    pub fn take_output(
        &mut self,
    ) -> (
        Option<std::process::ChildStdout>,
        Option<std::process::ChildStderr>,
    ) {
        (self.child.stdout.take(), self.child.stderr.take())
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals the process group we created.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Children of the leader (workerd) may outlive it: kill the group for sure.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.wait();
        eprintln!("[harness] stopped {}", self.name);
    }
}

/// A user seeded into the fresh database, with its plain API token.
#[derive(Debug, Clone)]
pub struct SeededUser {
    pub name: &'static str,
    pub role: &'static str,
    pub token: String,
}

/// The roles seeded for every run, one user each.
pub const SEEDED_ROLES: [(&str, &str); 8] = [
    ("ada-admin", "admin"),
    ("sam-sre", "sre"),
    ("ian-ic", "incident_commander"),
    ("cleo-csup", "customer_support"),
    ("eve-engineer", "engineer"),
    ("max-management", "management"),
    ("sec-security", "security"),
    ("vic-viewer", "viewer"),
];

/// `wrangler dev` serving the built worker and app on a private port and state directory.
pub struct LocalWorker {
    pub base_url: String,
    pub users: Vec<SeededUser>,
    state_dir: PathBuf,
    port: u16,
    options: WorkerOptions,
    process: Option<GroupChild>,
}

fn wrangler() -> Command {
    let mut cmd = Command::new(root().join("node_modules/.bin/wrangler"));
    cmd.current_dir(root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true");
    cmd
}

fn run_wrangler(args: &[&str]) -> Result<(), BoxError> {
    let out = wrangler().args(args).stdin(Stdio::null()).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "wrangler {} failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}

fn token_for(name: &str) -> String {
    let mut bytes = [0u8; 24];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    format!("bkn_{name}_{}", hex::encode(bytes))
}

/// How a [`LocalWorker`] is configured beyond the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerOptions {
    /// `BEACON_STATUS_CACHE_SECONDS`: 0 in tests, so every public read renders
    /// from D1 (and the cached copy is only what D1 failures fall back to);
    /// production's 60 in the benchmarks.
    pub status_cache_seconds: u32,
}

impl LocalWorker {
    /// Fresh state, migrations, seeded users, then `wrangler dev` until `/api/health` answers.
    pub fn start() -> Result<Self, BoxError> {
        Self::start_with(WorkerOptions::default())
    }

    /// [`LocalWorker::start`] with `options`.
    pub fn start_with(options: WorkerOptions) -> Result<Self, BoxError> {
        for built in ["worker/build/index.js", "app/dist/index.html"] {
            if !root().join(built).exists() {
                return Err(format!(
                    "{built} is missing: run `cargo xtask build` (or `cargo xtask test`)"
                )
                .into());
            }
        }
        let state_dir =
            std::env::temp_dir().join(format!("beacon-e2e-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&state_dir)?;
        let persist = state_dir
            .to_str()
            .ok_or("temp dir is not UTF-8")?
            .to_owned();
        run_wrangler(&[
            "d1",
            "migrations",
            "apply",
            "beacon",
            "--local",
            "--persist-to",
            &persist,
        ])?;

        let users: Vec<SeededUser> = SEEDED_ROLES
            .iter()
            .map(|(name, role)| SeededUser {
                name,
                role,
                token: token_for(name),
            })
            .collect();
        let mut sql = String::new();
        for user in &users {
            let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                user.token.as_bytes(),
            ));
            sql.push_str(&format!(
                "INSERT INTO users (name, role, created_at) VALUES ('{}', '{}', 0);\n\
                 INSERT INTO api_tokens (user_id, token_hash, label, created_at) \
                 SELECT id, '{hash}', 'e2e', 0 FROM users WHERE name = '{}';\n",
                user.name, user.role, user.name
            ));
        }
        let seed_file = state_dir.join("seed.sql");
        std::fs::write(&seed_file, sql)?;
        run_wrangler(&[
            "d1",
            "execute",
            "beacon",
            "--local",
            "--persist-to",
            &persist,
            "--file",
            seed_file.to_str().ok_or("seed path")?,
        ])?;

        let port = free_port();
        let process = serve(&state_dir, port, options)?;
        let base_url = format!("http://127.0.0.1:{port}");
        eprintln!(
            "[harness] wrangler dev on {base_url}, state in {}",
            state_dir.display()
        );
        Ok(Self {
            base_url,
            users,
            state_dir,
            port,
            options,
            process: Some(process),
        })
    }

    /// Kills the runtime (`workerd`) with SIGKILL, as a crash would, in the
    /// middle of whatever it is doing; then stops what is left of `wrangler
    /// dev` and starts it again on the same state and port. Returns how many
    /// `workerd` processes were killed.
    pub fn crash_and_restart(&mut self) -> Result<usize, BoxError> {
        let group = self.process.as_ref().ok_or("not running")?.id();
        let killed = kill_in_group(group, "workerd");
        drop(self.process.take());
        self.process = Some(serve(&self.state_dir, self.port, self.options)?);
        Ok(killed)
    }

    /// The seeded user with `role`.
    pub fn user(&self, role: &str) -> &SeededUser {
        self.users
            .iter()
            .find(|u| u.role == role)
            .unwrap_or_else(|| panic!("no seeded {role}"))
    }

    pub fn token(&self, role: &str) -> &str {
        &self.user(role).token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Fires the cron trigger (`wrangler dev --test-scheduled`) as if it ran at
    /// `at_ms` (Unix ms): the test clock (`PUT /api/test/clock`, test mode only)
    /// moves the sweep's clock by the difference. Returns once the handler finished.
    pub fn run_scheduled(&self, at_ms: i64) -> Result<(), BoxError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as i64;
        let clock = http
            .put(self.url("/api/test/clock"))
            .bearer_auth(self.token("admin"))
            .json(&serde_json::json!({ "offset_ms": at_ms - now_ms }))
            .send()?;
        if !clock.status().is_success() {
            return Err(format!("test clock: {} {}", clock.status(), clock.text()?).into());
        }
        let response = http.get(self.url("/__scheduled?cron=*+*+*+*+*")).send()?;
        let status = response.status();
        let text = response.text()?;
        if status.is_success() && text.contains("Ran scheduled event") {
            Ok(())
        } else {
            Err(format!("scheduled trigger: {status} {text}").into())
        }
    }

    /// What `wrangler dev` printed so far (the worker's console lines included).
    pub fn log(&self) -> Result<String, BoxError> {
        Ok(std::fs::read_to_string(
            self.state_dir.join("wrangler.log"),
        )?)
    }

    /// Runs SQL against this run's local D1 (for assertions that the API cannot make).
    pub fn query(&self, sql: &str) -> Result<serde_json::Value, BoxError> {
        let persist = self.state_dir.to_str().ok_or("state dir")?;
        let out = wrangler()
            .args([
                "d1",
                "execute",
                "beacon",
                "--local",
                "--persist-to",
                persist,
                "--json",
                "--command",
                sql,
            ])
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(format!("query failed: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        let value: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        Ok(value[0]["results"].clone())
    }
}

/// Starts `wrangler dev` on `state_dir` and `port` and waits until
/// `/api/health` answers.
fn serve(state_dir: &Path, port: u16, options: WorkerOptions) -> Result<GroupChild, BoxError> {
    let persist = state_dir.to_str().ok_or("temp dir is not UTF-8")?;
    let inspector = free_port();
    // Appended: a restart keeps the log of the run before it.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir.join("wrangler.log"))?;
    let mut process = GroupChild::spawn(
        "wrangler dev",
        wrangler()
            .args([
                "dev",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--inspector-port",
                &inspector.to_string(),
                "--persist-to",
                persist,
                "--show-interactive-dev-session=false",
                "--test-scheduled",
                "--var",
                "BEACON_ENV:test",
                // Retries after 1, 2, 4, 8 and 16 s instead of minutes.
                "--var",
                "BEACON_NOTIFY_RETRY_SECONDS:1",
                "--var",
                &format!("BEACON_PUBLIC_URL:http://127.0.0.1:{port}"),
                "--var",
                &format!(
                    "BEACON_STATUS_CACHE_SECONDS:{}",
                    options.status_cache_seconds
                ),
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log),
    )?;
    let base_url = format!("http://127.0.0.1:{port}");
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(r) = http.get(format!("{base_url}/api/health")).send() {
            if r.status().is_success() {
                break;
            }
        }
        if process.has_exited() || Instant::now() > deadline {
            let log = std::fs::read_to_string(state_dir.join("wrangler.log")).unwrap_or_default();
            return Err(format!("wrangler dev did not come up on {base_url}:\n{log}").into());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(process)
}

/// SIGKILLs every process named `name` in process group `group`.
fn kill_in_group(group: u32, name: &str) -> usize {
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`: comm may hold spaces, so split after it.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c);
        let pgrp = rest
            .split_whitespace()
            .nth(2)
            .and_then(|g| g.parse::<u32>().ok());
        if comm == name && pgrp == Some(group) {
            // SAFETY: kill(2) on a process id read from /proc.
            if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                killed += 1;
            }
        }
    }
    killed
}

impl Drop for LocalWorker {
    fn drop(&mut self) {
        drop(self.process.take());
        // `BEACON_E2E_KEEP_STATE=1` keeps the D1 state and wrangler.log for a post-mortem.
        if std::env::var_os("BEACON_E2E_KEEP_STATE").is_some() {
            eprintln!("[harness] kept {}", self.state_dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.state_dir);
        }
    }
}
