//! Ingest rate of Alertmanager deliveries against the real worker on `wrangler dev`
//! (workerd with local D1): 10 alerts per request, each alert new, so every request
//! takes the write path (key lookups, a new alert and incident per alert, one batch).
//!
//! Prints one line for `cargo xtask bench`:
//! `ingest_alertmanager_10: <req/s> req/s (<alerts/s> alerts/s), p50 <ms> ms, p99 <ms> ms, errors <n> ...`
//! `BEACON_BENCH_SECONDS` (default 20) and `BEACON_BENCH_SENDERS` (default 4) tune the run.

use beacon_e2e::{BoxError, LocalWorker};
use serde_json::{json, Value};
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

fn main() -> Result<(), BoxError> {
    let seconds = setting("BEACON_BENCH_SECONDS", 20);
    let senders = setting("BEACON_BENCH_SENDERS", 4);
    let worker = LocalWorker::start()?;
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let created: Value = http
        .post(worker.url("/api/integrations"))
        .bearer_auth(worker.token("admin"))
        .json(&json!({"name": "bench-am", "format": "alertmanager", "owner_group": "web"}))
        .send()?
        .json()?;
    let secret = created["secret"]
        .as_str()
        .ok_or_else(|| format!("no secret: {created}"))?
        .to_owned();
    let url = worker.url("/api/webhooks/alertmanager");
    let sequence = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..senders)
        .map(|_| {
            let (http, url, secret) = (http.clone(), url.clone(), secret.clone());
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
    let mut latencies: Vec<Duration> = Vec::new();
    for handle in handles {
        latencies.extend(handle.join().map_err(|_| "a sender panicked")?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let errors = errors.load(Ordering::Relaxed);
    let succeeded = latencies.len() as u64 - errors;
    let stored = worker.query("SELECT count(*) AS n FROM alerts")?[0]["n"]
        .as_u64()
        .unwrap_or(0);
    if stored != succeeded * ALERTS_PER_REQUEST as u64 {
        return Err(format!(
            "{succeeded} deliveries succeeded but {stored} alerts are stored; expected {}",
            succeeded * ALERTS_PER_REQUEST as u64
        )
        .into());
    }
    println!(
        "ingest_alertmanager_10: {:.1} req/s ({:.0} alerts/s), p50 {:.1} ms, p99 {:.1} ms, errors {} of {} requests over {:.1} s with {} concurrent senders",
        succeeded as f64 / elapsed,
        stored as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        errors,
        latencies.len(),
        elapsed,
        senders
    );
    Ok(())
}
