//! Faults: the runtime killed with SIGKILL while deliveries and public
//! incidents are being written, then restarted on the same state. Every
//! write is one D1 batch, so each is whole or absent, never half.
//!
//! The rounds are `BEACON_FAULT_ROUNDS` (20 in `cargo xtask test`, 100 in
//! `cargo xtask soak`); the moments are random, from a seed printed at the
//! start (`BEACON_FAULT_SEED` repeats a run).

use crate::{check, Env, TestFn};
use beacon_e2e::LocalWorker;
use libtest_mimic::Failed;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const TESTS: &[(&str, TestFn)] = &[(
    "faults::killing_workerd_mid_write_leaves_every_write_whole",
    killing_workerd_mid_write_leaves_every_write_whole,
)];

/// A small xorshift generator: the moments of the kills, repeatable from the seed.
struct Moments(u64);

impl Moments {
    fn next_below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Where and as whom the senders write (cloned: the worker itself is
/// restarted while they run).
struct Target {
    base_url: String,
    sre: String,
    customer_support: String,
}

impl Target {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// What the senders were told was stored (2xx answers).
#[derive(Default)]
struct Acknowledged {
    alert_keys: BTreeSet<String>,
    public_incidents: BTreeSet<String>,
    incidents: BTreeSet<i64>,
}

/// SPEC I1, I2, M2, V1 (nothing partial is ever stored): while Alertmanager
/// deliveries of three alerts each, public incidents and triaged incidents
/// are in flight, `workerd` is killed with SIGKILL at a random moment and
/// `wrangler dev` restarted on the same state, `BEACON_FAULT_ROUNDS` times.
/// After every restart: every stored delivery has all of its alerts, every
/// alert's incident exists, every incident has its timeline and exactly its
/// creation in the audit log (and no audit entry lacks its incident), every
/// public incident has its update and its audit entry (and the reverse); and
/// everything a sender was told was stored is there.
fn killing_workerd_mid_write_leaves_every_write_whole(_env: &Env) -> Result<(), Failed> {
    let rounds: u32 = std::env::var("BEACON_FAULT_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("BEACON_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("[faults] {rounds} rounds, BEACON_FAULT_SEED={seed}");
    let mut moments = Moments(seed);
    let mut worker = LocalWorker::start()?;
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let (secret, integration_id) = alertmanager_integration(&worker, &http)?;
    let component = api_component(&worker, &http)?;
    let target = Target {
        base_url: worker.base_url.clone(),
        sre: worker.token("sre").to_owned(),
        customer_support: worker.token("customer_support").to_owned(),
    };
    let acknowledged = Mutex::new(Acknowledged::default());
    let mut killed_total = 0;
    for round in 0..rounds {
        let stop = AtomicBool::new(false);
        let kill_after = Duration::from_millis(100 + moments.next_below(1400));
        std::thread::scope(|scope| -> Result<(), Failed> {
            scope.spawn(|| send_deliveries(&target, &http, &secret, round, &stop, &acknowledged));
            scope.spawn(|| {
                publish_incidents(&target, &http, &component, round, &stop, &acknowledged)
            });
            scope.spawn(|| triage_incidents(&target, &http, round, &stop, &acknowledged));
            std::thread::sleep(kill_after);
            let killed = worker.crash_and_restart();
            stop.store(true, Ordering::Relaxed);
            killed_total += killed.map_err(|e| format!("round {round}: restart: {e}"))?;
            Ok(())
        })?;
        check_whole(&worker, integration_id, &acknowledged.lock().unwrap()).map_err(|e| {
            let why = e.message().unwrap_or("failed");
            format!("round {round} (killed after {kill_after:?}): {why}")
        })?;
    }
    let acknowledged = acknowledged.into_inner().unwrap();
    eprintln!(
        "[faults] {killed_total} workerd processes killed; {} alerts, {} public incidents, {} incidents acknowledged",
        acknowledged.alert_keys.len(),
        acknowledged.public_incidents.len(),
        acknowledged.incidents.len()
    );
    check(
        killed_total >= rounds as usize,
        format!("each round killed a workerd ({killed_total} in {rounds} rounds)"),
    )?;
    check(
        !acknowledged.alert_keys.is_empty()
            && !acknowledged.public_incidents.is_empty()
            && !acknowledged.incidents.is_empty(),
        "writes of every kind were acknowledged between the kills",
    )
}

fn alertmanager_integration(
    worker: &LocalWorker,
    http: &reqwest::blocking::Client,
) -> Result<(String, i64), Failed> {
    let response = http
        .post(worker.url("/api/integrations"))
        .bearer_auth(worker.token("admin"))
        .json(&json!({"name": "am-faults", "format": "alertmanager", "owner_group": "web"}))
        .send()?;
    let status = response.status().as_u16();
    let body: Value = response.json()?;
    check(status == 201, format!("integration: {status} {body}"))?;
    Ok((
        body["secret"].as_str().ok_or("secret")?.to_owned(),
        body["id"].as_i64().ok_or("integration id")?,
    ))
}

fn api_component(worker: &LocalWorker, http: &reqwest::blocking::Client) -> Result<String, Failed> {
    let response = http
        .post(worker.url("/api/status/components"))
        .bearer_auth(worker.token("customer_support"))
        .json(&json!({"name": "API"}))
        .send()?;
    let status = response.status().as_u16();
    let body: Value = response.json()?;
    check(status == 201, format!("component: {status} {body}"))?;
    Ok(body["id"].as_str().ok_or("component id")?.to_owned())
}

/// Sends `request(n)` for n = 0, 1, ... until `stop` is set, handing each
/// answer to `answered`; a request that gets no answer (the runtime is down)
/// is retried after a short pause.
fn send_until_stopped(
    stop: &AtomicBool,
    request: impl Fn(u64) -> reqwest::blocking::RequestBuilder,
    answered: impl Fn(u64, reqwest::blocking::Response),
) {
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match request(n).send() {
            Ok(response) => answered(n, response),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The alerts of delivery `n` of `round`, named by their fingerprints.
fn delivery_keys(round: u32, n: u64) -> Vec<String> {
    (0..3).map(|i| format!("r{round}-d{n}-a{i}")).collect()
}

/// Alertmanager notifications of three alerts each, one group per delivery.
fn send_deliveries(
    target: &Target,
    http: &reqwest::blocking::Client,
    secret: &str,
    round: u32,
    stop: &AtomicBool,
    acknowledged: &Mutex<Acknowledged>,
) {
    let request = |n| {
        let alerts: Vec<Value> = delivery_keys(round, n)
            .iter()
            .map(|key| {
                json!({
                    "status": "firing",
                    "labels": {"alertname": "DiskFull", "instance": key, "severity": "warning"},
                    "annotations": {"summary": format!("Disk full on {key}")},
                    "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph", "fingerprint": key
                })
            })
            .collect();
        let body = json!({
            "receiver": "beacon", "status": "firing", "version": "4",
            "groupKey": format!("{{}}:{{alertname=\"DiskFull\", round=\"{round}-{n}\"}}"),
            "truncatedAlerts": 0, "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull"}, "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093", "alerts": alerts
        });
        http.post(target.url("/api/webhooks/alertmanager"))
            .bearer_auth(secret)
            .json(&body)
    };
    send_until_stopped(stop, request, |n, response| {
        if response.status().is_success() {
            let keys = delivery_keys(round, n);
            acknowledged.lock().unwrap().alert_keys.extend(keys);
        }
    });
}

/// Public incidents on the API component, published by customer support.
fn publish_incidents(
    target: &Target,
    http: &reqwest::blocking::Client,
    component: &str,
    round: u32,
    stop: &AtomicBool,
    acknowledged: &Mutex<Acknowledged>,
) {
    let request = |n| {
        let body = json!({
            "name": format!("Slow API responses ({round}.{n})"),
            "body": "Some requests to the API are slow. We are investigating.",
            "impact": "minor",
            "components": [{"id": component, "status": "degraded_performance"}]
        });
        http.post(target.url("/api/status/incidents"))
            .bearer_auth(&target.customer_support)
            .json(&body)
    };
    send_until_stopped(stop, request, |_, response| {
        if response.status().as_u16() != 201 {
            return;
        }
        if let Ok(answer) = response.json::<Value>() {
            if let Some(id) = answer["incident"]["id"].as_str() {
                acknowledged
                    .lock()
                    .unwrap()
                    .public_incidents
                    .insert(id.to_owned());
            }
        }
    });
}

/// Incidents triaged by an SRE through the API.
fn triage_incidents(
    target: &Target,
    http: &reqwest::blocking::Client,
    round: u32,
    stop: &AtomicBool,
    acknowledged: &Mutex<Acknowledged>,
) {
    let request = |n| {
        let body = json!({
            "title": format!("Checkout slow ({round}.{n})"),
            "category": "API",
            "facts": {"measurements": {"site_wide_degradation": true}}
        });
        http.post(target.url("/api/incidents"))
            .bearer_auth(&target.sre)
            .json(&body)
    };
    send_until_stopped(stop, request, |_, response| {
        if response.status().as_u16() != 201 {
            return;
        }
        if let Ok(answer) = response.json::<Value>() {
            if let Some(id) = answer["id"].as_i64() {
                acknowledged.lock().unwrap().incidents.insert(id);
            }
        }
    });
}

/// Counts of half-written data, each of which must be zero.
const HALF_WRITTEN: &str = "SELECT \
    (SELECT count(*) FROM incidents i WHERE NOT EXISTS \
        (SELECT 1 FROM timeline_entries t WHERE t.incident_id = i.id)) AS incidents_without_timeline, \
    (SELECT count(*) FROM incidents i WHERE (SELECT count(*) FROM audit_log a \
        WHERE a.action = 'incident.create' AND a.subject = 'incident/' || i.id) != 1) AS incidents_without_one_creation_audit, \
    (SELECT count(*) FROM audit_log a WHERE a.action = 'incident.create' AND NOT EXISTS \
        (SELECT 1 FROM incidents i WHERE 'incident/' || i.id = a.subject)) AS creation_audits_without_incident, \
    (SELECT count(*) FROM alerts a WHERE a.incident_id IS NOT NULL AND NOT EXISTS \
        (SELECT 1 FROM incidents i WHERE i.id = a.incident_id)) AS alerts_without_their_incident, \
    (SELECT count(*) FROM public_incidents p WHERE json_array_length(p.doc, '$.updates') < 1 \
        OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'status.incident.publish' \
        AND a.subject = 'public_incident/' || p.id)) AS public_incidents_half_written, \
    (SELECT count(*) FROM audit_log a WHERE a.action = 'status.incident.publish' AND NOT EXISTS \
        (SELECT 1 FROM public_incidents p WHERE 'public_incident/' || p.id = a.subject)) AS publish_audits_without_incident";

fn check_whole(
    worker: &LocalWorker,
    integration_id: i64,
    acknowledged: &Acknowledged,
) -> Result<(), Failed> {
    let counts = worker.query(HALF_WRITTEN)?;
    let counts = counts.get(0).ok_or("no counts")?;
    let broken: Vec<String> = counts
        .as_object()
        .ok_or("counts")?
        .iter()
        .filter(|(_, n)| n.as_i64() != Some(0))
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    check(broken.is_empty(), format!("half-written data: {broken:?}"))?;

    let rows = worker.query(&format!(
        "SELECT 'delivery' AS kind, body AS value FROM alert_events WHERE integration_id = {integration_id} \
         UNION ALL SELECT 'alert', dedup_key FROM alerts WHERE integration_id = {integration_id} \
         UNION ALL SELECT 'public', id FROM public_incidents \
         UNION ALL SELECT 'incident', CAST(id AS TEXT) FROM incidents"
    ))?;
    let of_kind = |kind: &str| -> Vec<&str> {
        rows.as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["kind"] == kind)
            .filter_map(|r| r["value"].as_str())
            .collect()
    };
    let alerts: BTreeSet<&str> = of_kind("alert").into_iter().collect();
    let mut delivered = BTreeSet::new();
    for body in of_kind("delivery") {
        let body: Value = serde_json::from_str(body)?;
        for alert in body["alerts"]
            .as_array()
            .ok_or("stored delivery without alerts")?
        {
            let key = alert["fingerprint"].as_str().ok_or("fingerprint")?;
            check(
                alerts.contains(key),
                format!("a stored delivery's alert {key} is missing"),
            )?;
            delivered.insert(key.to_owned());
        }
    }
    let stray: Vec<&&str> = alerts.iter().filter(|k| !delivered.contains(**k)).collect();
    check(
        stray.is_empty(),
        format!("alerts without their stored delivery: {stray:?}"),
    )?;
    let lost: Vec<&String> = acknowledged
        .alert_keys
        .iter()
        .filter(|k| !alerts.contains(k.as_str()))
        .collect();
    check(
        lost.is_empty(),
        format!("acknowledged alerts lost: {lost:?}"),
    )?;
    let public: BTreeSet<&str> = of_kind("public").into_iter().collect();
    let lost: Vec<&String> = acknowledged
        .public_incidents
        .iter()
        .filter(|id| !public.contains(id.as_str()))
        .collect();
    check(
        lost.is_empty(),
        format!("acknowledged public incidents lost: {lost:?}"),
    )?;
    let incidents: BTreeSet<i64> = of_kind("incident")
        .into_iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let lost: Vec<&i64> = acknowledged
        .incidents
        .iter()
        .filter(|id| !incidents.contains(id))
        .collect();
    check(
        lost.is_empty(),
        format!("acknowledged incidents lost: {lost:?}"),
    )
}
