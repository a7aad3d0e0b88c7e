//! `/status` on `wrangler dev` (workerd, local D1 and KV) for a page with 12
//! components, 3 active incidents and 90 days of status history: its size raw
//! and gzipped, and its median latency served from KV (production's cache
//! setting, 60 s) and rendered from D1 (cache 0 s: what a read costs after a
//! write, and what the cron trigger pays every minute).
//!
//! The components and incidents go through the API; the history is written
//! into `public_component_history` directly, a few outages and maintenance
//! windows a week per component, because the API can only record it as it
//! happens. Prints one line:
//! `status_page_12c_3i_90d: <kB> raw, <kB> gzip; median <ms> ms from KV, <ms> ms rendered from D1 over 50 requests`.

use beacon_e2e::{header_text, BoxError, LocalWorker, WorkerOptions};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use std::io::Write;
use std::time::{Duration, Instant};

const EXTRA_CATEGORIES: [&str; 7] = [
    "Search",
    "Notifications",
    "Mobile app",
    "Checkout",
    "Identity",
    "Storage",
    "Webhooks",
];
const BASE_CATEGORIES: [&str; 5] = ["API", "Web application", "Payments", "Reporting", "Network"];
const REQUESTS: usize = 50;
const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A small deterministic generator, so every run stores the same history.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn post(
    http: &reqwest::blocking::Client,
    worker: &LocalWorker,
    path: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, BoxError> {
    let response = http
        .post(worker.url(path))
        .bearer_auth(worker.token("customer_support"))
        .json(&body)
        .send()?;
    let status = response.status();
    let value: serde_json::Value = response.json()?;
    if !status.is_success() {
        return Err(format!("{path}: {status} {value}").into());
    }
    Ok(value)
}

/// 12 components, 90 days of history, 3 active incidents with 3 updates each.
fn populate(worker: &LocalWorker, http: &reqwest::blocking::Client) -> Result<(), BoxError> {
    let categories: String = EXTRA_CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, name)| format!("('{name}', 'Bench', {})", 10 + i))
        .collect::<Vec<_>>()
        .join(", ");
    worker.query(&format!(
        "INSERT INTO categories (name, group_name, position) VALUES {categories}"
    ))?;
    let mut ids = Vec::new();
    for (position, name) in BASE_CATEGORIES
        .iter()
        .chain(EXTRA_CATEGORIES.iter())
        .enumerate()
    {
        let component = post(
            http,
            worker,
            "/api/status/components",
            json!({"name": name, "position": position}),
        )?;
        ids.push(component["id"].as_str().ok_or("component id")?.to_owned());
    }
    let now = now_ms();
    let mut random = Lcg(7);
    let mut rows = Vec::new();
    for id in &ids {
        let mut at = now - 95 * DAY_MS;
        rows.push(format!("('{id}', {at}, 'operational')"));
        loop {
            at += (random.next(3 * DAY_MS as u64) as i64) + DAY_MS / 2;
            if at >= now - DAY_MS {
                break;
            }
            let status = [
                "major_outage",
                "partial_outage",
                "degraded_performance",
                "under_maintenance",
            ][random.next(4) as usize];
            rows.push(format!("('{id}', {at}, '{status}')"));
            at += random.next(3 * 3_600_000) as i64 + 60_000;
            rows.push(format!("('{id}', {at}, 'operational')"));
        }
    }
    for chunk in rows.chunks(400) {
        worker.query(&format!(
            "INSERT INTO public_component_history (component_id, at, status) VALUES {}",
            chunk.join(", ")
        ))?;
    }
    for (n, id) in ids.iter().take(3).enumerate() {
        let published = post(
            http,
            worker,
            "/api/status/incidents",
            json!({"name": format!("Elevated error rates on component {n}"),
                   "template": {"template": "investigating", "since": "2026-11-24T10:00:00Z"},
                   "components": [{"id": id, "status": "partial_outage"}]}),
        )?;
        let incident = published["incident"]["id"].as_str().ok_or("incident id")?;
        for status in ["identified", "monitoring"] {
            post(
                http,
                worker,
                &format!("/api/status/incidents/{incident}/updates"),
                json!({"status": status, "body": format!("We are {status} the errors; the next update follows within 30 minutes.")}),
            )?;
        }
    }
    Ok(())
}

fn median_latency(
    worker: &LocalWorker,
    http: &reqwest::blocking::Client,
    expected_cache: &str,
) -> Result<(f64, String), BoxError> {
    let mut times = Vec::with_capacity(REQUESTS);
    let mut body = String::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let response = http.get(worker.url("/status")).send()?;
        let cache = header_text(&response, "x-beacon-cache");
        if response.status() != 200 {
            return Err(format!("/status: {}", response.status()).into());
        }
        body = response.text()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if cache != expected_cache && !(expected_cache == "hit" && cache == "miss") {
            return Err(format!("/status came from `{cache}`, expected `{expected_cache}`").into());
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((times[REQUESTS / 2], body))
}

fn main() -> Result<(), BoxError> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let cached = LocalWorker::start_with(WorkerOptions {
        status_cache_seconds: 60,
    })?;
    populate(&cached, &http)?;
    let (from_kv, body) = median_latency(&cached, &http, "hit")?;
    drop(cached);
    let rendered = LocalWorker::start_with(WorkerOptions {
        status_cache_seconds: 0,
    })?;
    populate(&rendered, &http)?;
    let (from_d1, _) = median_latency(&rendered, &http, "miss")?;
    let bars = body.matches("<li class=\"d-").count();
    if bars != 12 * 90 || body.matches("class=\"card\" id=\"incident-").count() != 3 {
        return Err(
            format!("the page does not show 12 × 90 bars and 3 incidents ({bars} bars)").into(),
        );
    }
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(body.as_bytes())?;
    let gzipped = gzip.finish()?.len();
    println!(
        "status_page_12c_3i_90d: {:.1} kB raw, {:.1} kB gzip; median {from_kv:.1} ms from KV, {from_d1:.1} ms rendered from D1 over {REQUESTS} requests",
        body.len() as f64 / 1000.0,
        gzipped as f64 / 1000.0
    );
    Ok(())
}
