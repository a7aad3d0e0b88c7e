//! The report API on `wrangler dev` (workerd, local D1) over 10,000 tickets
//! created across the last 180 days: the median latency of
//! `/api/reports/summary?period=month` (all seven or eight months) and of
//! `/api/reports/response-times` over the last month.
//!
//! Two template tickets go through the API (one closed through every step,
//! one open); the 10,000 are copied from them in SQL, with their timeline
//! entries, spread evenly over the 180 days. Copied in SQL, they are all
//! marked stale for the report rows (migration 0015), so the first request
//! rebuilds 10,000 rows from their timelines; its time is printed apart.
//! Prints one line: `reports_wrangler_10000: summary median <ms> ms,
//! response times median <ms> ms over 20 requests; first request (rebuilding
//! 10,000 report rows) <ms> ms`.

use beacon_e2e::{BoxError, LocalWorker};
use serde_json::json;
use std::time::{Duration, Instant};

const TICKETS: i64 = 10_000;
const REQUESTS: usize = 20;
const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn post(
    http: &reqwest::blocking::Client,
    worker: &LocalWorker,
    path: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, BoxError> {
    let response = http
        .post(worker.url(path))
        .bearer_auth(worker.token("sre"))
        .json(&body)
        .send()?;
    let status = response.status();
    let value: serde_json::Value = response.json()?;
    if !status.is_success() {
        return Err(format!("{path}: {status} {value}").into());
    }
    Ok(value)
}

fn populate(worker: &LocalWorker, http: &reqwest::blocking::Client) -> Result<(), BoxError> {
    let closed = post(
        http,
        worker,
        "/api/incidents",
        json!({"title": "template closed"}),
    )?;
    let closed = closed["id"].as_i64().ok_or("id")?;
    for action in [
        json!({"action": "classify_as_problem", "priority": "P2"}),
        json!({"action": "identify"}),
        json!({"action": "monitor"}),
        json!({"action": "resolve"}),
        json!({"action": "close", "confirmation": {"kind": "submitter_confirmed"}}),
    ] {
        post(
            http,
            worker,
            &format!("/api/incidents/{closed}/transitions"),
            action,
        )?;
    }
    let open = post(
        http,
        worker,
        "/api/incidents",
        json!({"title": "template open"}),
    )?;
    let open = open["id"].as_i64().ok_or("id")?;
    post(
        http,
        worker,
        &format!("/api/incidents/{open}/transitions"),
        json!({"action": "classify_as_problem", "priority": "P3"}),
    )?;
    let start = now_ms() - 180 * DAY_MS;
    let step = 180 * DAY_MS / TICKETS;
    // Every third ticket is open; the others are closed.
    worker.query(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
         INSERT INTO incidents (title, priority, rules_priority, status, category, labels, owner_group, \
         facts, created_by, created_at, updated_at) \
         SELECT 'bench ' || i, 'P' || (i % 4), 'P' || (i % 4), \
         CASE WHEN i % 3 = 0 THEN 'investigating' ELSE 'closed' END, NULL, '[]', \
         CASE i % 3 WHEN 0 THEN 'sre' WHEN 1 THEN 'dba' ELSE 'network' END, \
         t.facts, t.created_by, {start} + i * {step}, {start} + i * {step} \
         FROM n JOIN incidents t ON t.id = {closed}",
        last = TICKETS - 1
    ))?;
    for (template, status) in [(closed, "closed"), (open, "investigating")] {
        worker.query(&format!(
            "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
             SELECT i.id, i.created_at + (e.at - t.created_at) + (i.id % 97) * 60000, e.actor, e.kind, e.body \
             FROM incidents i JOIN incidents t ON t.id = {template} \
             JOIN timeline_entries e ON e.incident_id = {template} \
             WHERE i.title LIKE 'bench %' AND i.status = '{status}'"
        ))?;
    }
    Ok(())
}

/// The median latency of `REQUESTS` requests, the first request's, and the
/// last body.
fn median_latency(
    worker: &LocalWorker,
    http: &reqwest::blocking::Client,
    path: &str,
) -> Result<(f64, f64, String), BoxError> {
    let mut times = Vec::with_capacity(REQUESTS);
    let mut body = String::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let response = http
            .get(worker.url(path))
            .bearer_auth(worker.token("management"))
            .send()?;
        let status = response.status();
        body = response.text()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!("{path}: {status} {body}").into());
        }
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    Ok((times[REQUESTS / 2], first, body))
}

fn main() -> Result<(), BoxError> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let worker = LocalWorker::start()?;
    populate(&worker, &http)?;
    let from = chrono::DateTime::from_timestamp_millis(now_ms() - 200 * DAY_MS)
        .ok_or("a date 200 days ago")?
        .date_naive();
    let (summary, first, body) = median_latency(
        &worker,
        &http,
        &format!("/api/reports/summary?period=month&from={from}"),
    )?;
    let rows: serde_json::Value = serde_json::from_str(&body)?;
    let counted: u64 = rows
        .as_array()
        .ok_or("summary rows")?
        .iter()
        .filter_map(|r| r["totals"]["counted"].as_u64())
        .sum();
    // The copies and the two templates.
    if counted != TICKETS as u64 + 2 {
        return Err(format!("the summary counts {counted} of {TICKETS} tickets: {body}").into());
    }
    let (times, _, _) = median_latency(&worker, &http, "/api/reports/response-times?period=month")?;
    println!(
        "reports_wrangler_10000: summary median {summary:.1} ms, response times median {times:.1} ms over {REQUESTS} requests; first request (rebuilding {TICKETS} report rows) {first:.1} ms"
    );
    Ok(())
}
