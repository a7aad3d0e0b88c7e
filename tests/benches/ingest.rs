//! Ingest rate of Alertmanager deliveries against the real worker on `wrangler dev`
//! (workerd with local D1): 10 alerts per request, each alert new, so every request
//! takes the write path (one read of all keys, a new alert and incident per alert,
//! one batch). In the same run, on the same runtime and with the same migrations,
//! the JavaScript yardstick in `benches/yardstick/` does that same work as bare as
//! it gets; Beacon's rate is printed as a ratio of it (goal 0.7 or more).
//!
//! The two are measured in alternating rounds so that a busy machine weighs on
//! both alike. Prints for `cargo xtask bench`:
//! `ingest_alertmanager_10: <req/s> req/s (<alerts/s> alerts/s), p50 <ms> ms, p99 <ms> ms, errors <n> ...`,
//! `ingest_js_yardstick_10: ...` and `ingest_ratio_vs_js: <ratio> ratio (...)`.
//! `BEACON_BENCH_SECONDS` (default 20, split into rounds) and
//! `BEACON_BENCH_SENDERS` (default 4) tune the run.

use beacon_e2e::{free_port, root, BoxError, GroupChild, LocalWorker};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ALERTS_PER_REQUEST: usize = 10;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A firing notification whose alerts all have fingerprints never seen before.
fn notification(sequence: u64) -> Value {
    let alerts: Vec<Value> = (0..ALERTS_PER_REQUEST)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": {"alertname": "HighLatency", "severity": "warning", "job": "checkout",
                           "instance": format!("web-{i}:9100")},
                "annotations": {"summary": format!("p99 latency above 2 s on web-{i}")},
                "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": format!("{sequence:012x}{i:04x}")
            })
        })
        .collect();
    json!({
        "receiver": "beacon", "status": "firing", "version": "4",
        "groupKey": "{}:{alertname=\"HighLatency\"}", "truncatedAlerts": 0,
        "groupLabels": {"alertname": "HighLatency"}, "commonLabels": {"alertname": "HighLatency"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// What one sender loop measured.
#[derive(Default)]
struct Load {
    latencies: Vec<Duration>,
    errors: u64,
    seconds: f64,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.seconds += other.seconds;
    }

    fn succeeded(&self) -> u64 {
        self.latencies.len() as u64 - self.errors
    }

    fn rate(&self) -> f64 {
        self.succeeded() as f64 / self.seconds
    }

    fn line(&mut self, name: &str, senders: u64) -> String {
        self.latencies.sort();
        format!(
            "{name}: {:.1} req/s ({:.0} alerts/s), p50 {:.1} ms, p99 {:.1} ms, errors {} of {} requests over {:.1} s with {} concurrent senders",
            self.rate(),
            self.rate() * ALERTS_PER_REQUEST as f64,
            percentile(&self.latencies, 50.0),
            percentile(&self.latencies, 99.0),
            self.errors,
            self.latencies.len(),
            self.seconds,
            senders
        )
    }
}

/// `senders` threads posting new-alert notifications to `url` for `seconds`.
fn load(
    http: &reqwest::blocking::Client,
    url: &str,
    secret: &str,
    sequence: &Arc<AtomicU64>,
    seconds: u64,
    senders: u64,
) -> Result<Load, BoxError> {
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..senders)
        .map(|_| {
            let (http, url, secret) = (http.clone(), url.to_owned(), secret.to_owned());
            let (sequence, errors) = (sequence.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let body = notification(sequence.fetch_add(1, Ordering::Relaxed)).to_string();
                    let sent = Instant::now();
                    let ok = http
                        .post(&url)
                        .bearer_auth(&secret)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .map(|r| r.status().is_success())
                        .unwrap_or(false);
                    latencies.push(sent.elapsed());
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.join().map_err(|_| "a sender panicked")?);
    }
    Ok(Load {
        latencies,
        errors: errors.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The JavaScript yardstick (`benches/yardstick/`) on its own `wrangler dev`
/// and local D1, migrated like Beacon's, with one integration.
struct Yardstick {
    url: String,
    secret: String,
    state_dir: std::path::PathBuf,
    _process: GroupChild,
}

fn wrangler(config: &std::path::Path) -> Command {
    let mut cmd = Command::new(root().join("node_modules/.bin/wrangler"));
    cmd.current_dir(root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .arg("--config")
        .arg(config);
    cmd
}

fn run(cmd: &mut Command) -> Result<(), BoxError> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into())
    }
}

impl Yardstick {
    fn start() -> Result<Self, BoxError> {
        let config = root().join("tests/benches/yardstick/wrangler.toml");
        let state_dir = std::env::temp_dir().join(format!(
            "beacon-yardstick-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&state_dir)?;
        let persist = state_dir
            .to_str()
            .ok_or("state dir is not UTF-8")?
            .to_owned();
        let d1 = |args: &[&str]| {
            let mut cmd = wrangler(&config);
            cmd.args(["d1"])
                .args(args)
                .args(["--local", "--persist-to", &persist]);
            cmd
        };
        run(&mut d1(&["migrations", "apply", "yardstick"]))?;
        let secret = "bki_yardstick_secret".to_owned();
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()));
        let seed = format!(
            "INSERT INTO users (name, role, created_at, disabled_at) VALUES ('monitoring/bench-js', 'viewer', 0, 0); \
             INSERT INTO integrations (name, format, owner_group, secret_hash, user_id, created_at) \
             SELECT 'bench-js', 'alertmanager', 'web', '{hash}', id, 0 FROM users WHERE name = 'monitoring/bench-js';"
        );
        run(&mut d1(&["execute", "yardstick", "--command", &seed]))?;
        let port = free_port();
        let log = std::fs::File::create(state_dir.join("wrangler.log"))?;
        let process = GroupChild::spawn(
            "wrangler dev (yardstick)",
            wrangler(&config)
                .args([
                    "dev",
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--inspector-port",
                    &free_port().to_string(),
                    "--persist-to",
                    &persist,
                    "--show-interactive-dev-session=false",
                ])
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log),
        )?;
        let url = format!("http://127.0.0.1:{port}/");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(180);
        // Up when it answers an unauthenticated delivery with its 401.
        while !http
            .post(&url)
            .body("{}")
            .send()
            .is_ok_and(|r| r.status().as_u16() == 401)
        {
            if Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(state_dir.join("wrangler.log")).unwrap_or_default();
                return Err(format!("the yardstick did not come up on {url}:\n{log}").into());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(Self {
            url,
            secret,
            state_dir,
            _process: process,
        })
    }

    /// How many alerts it stored.
    fn stored_alerts(&self) -> Result<u64, BoxError> {
        let config = root().join("tests/benches/yardstick/wrangler.toml");
        let persist = self.state_dir.to_str().ok_or("state dir")?;
        let out = wrangler(&config)
            .args([
                "d1",
                "execute",
                "yardstick",
                "--local",
                "--persist-to",
                persist,
                "--json",
            ])
            .args(["--command", "SELECT count(*) AS n FROM alerts"])
            .stdin(Stdio::null())
            .output()?;
        let value: Value = serde_json::from_slice(&out.stdout)?;
        Ok(value[0]["results"][0]["n"].as_u64().unwrap_or(0))
    }
}

impl Drop for Yardstick {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// Checks that every successful delivery stored its alerts.
fn check_stored(what: &str, load: &Load, stored: u64) -> Result<(), BoxError> {
    let expected = load.succeeded() * ALERTS_PER_REQUEST as u64;
    if stored == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: {} deliveries succeeded but {stored} alerts are stored; expected {expected}",
            load.succeeded()
        )
        .into())
    }
}

const ROUNDS: u64 = 2;

fn main() -> Result<(), BoxError> {
    let seconds = setting("BEACON_BENCH_SECONDS", 20);
    let senders = setting("BEACON_BENCH_SENDERS", 4);
    let round_seconds = (seconds / ROUNDS).max(1);
    let worker = LocalWorker::start()?;
    let yardstick = Yardstick::start()?;
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    // One incident per alert and no storm control in reach: the yardstick's work.
    let created: Value = http
        .post(worker.url("/api/integrations"))
        .bearer_auth(worker.token("admin"))
        .json(
            &json!({"name": "bench-am", "format": "alertmanager", "owner_group": "web",
                      "control": {"grouping": "per_alert", "storm_threshold": 1_000_000}}),
        )
        .send()?
        .json()?;
    let secret = created["secret"]
        .as_str()
        .ok_or_else(|| format!("no secret: {created}"))?
        .to_owned();
    let url = worker.url("/api/webhooks/alertmanager");
    let sequence = Arc::new(AtomicU64::new(0));
    let (mut beacon, mut js) = (Load::default(), Load::default());
    for _ in 0..ROUNDS {
        beacon.add(load(
            &http,
            &url,
            &secret,
            &sequence,
            round_seconds,
            senders,
        )?);
        js.add(load(
            &http,
            &yardstick.url,
            &yardstick.secret,
            &sequence,
            round_seconds,
            senders,
        )?);
    }
    let stored = worker.query("SELECT count(*) AS n FROM alerts")?[0]["n"]
        .as_u64()
        .unwrap_or(0);
    check_stored("Beacon", &beacon, stored)?;
    check_stored("the yardstick", &js, yardstick.stored_alerts()?)?;
    println!("{}", beacon.line("ingest_alertmanager_10", senders));
    println!("{}", js.line("ingest_js_yardstick_10", senders));
    println!(
        "ingest_ratio_vs_js: {:.2} ratio (Beacon {:.1} req/s, JavaScript yardstick {:.1} req/s, goal 0.7 or more)",
        beacon.rate() / js.rate(),
        beacon.rate(),
        js.rate()
    );
    Ok(())
}
