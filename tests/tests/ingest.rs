//! Monitoring ingestion against the real worker: PagerDuty Events v2 semantics,
//! Alertmanager deliveries, retries and concurrency, and bad input on every endpoint.

use crate::{check, get_json, send, Env, TestFn};
use beacon_e2e::browser::wait_until_source;
use beacon_e2e::receiver::WebhookReceiver;
use beacon_e2e::{free_port, GroupChild};
use libtest_mimic::Failed;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "ingest::real_alertmanager_fires_repeats_and_resolves",
        real_alertmanager_fires_repeats_and_resolves,
    ),
    (
        "ingest::pagerduty_v2_trigger_acknowledge_resolve_and_dedup",
        pagerduty_v2_trigger_acknowledge_resolve_and_dedup,
    ),
    (
        "ingest::same_delivery_twenty_times_ten_concurrently_is_one_alert",
        same_delivery_twenty_times_ten_concurrently_is_one_alert,
    ),
    (
        "ingest::alertmanager_resolve_before_triage_is_short_lived",
        alertmanager_resolve_before_triage_is_short_lived,
    ),
    (
        "ingest::bad_deliveries_are_refused_and_store_nothing",
        bad_deliveries_are_refused_and_store_nothing,
    ),
    (
        "ingest::alert_queue_open_discard_attach",
        alert_queue_open_discard_attach,
    ),
    (
        "ingest::grafana_notification_opens_and_resolves",
        grafana_notification_opens_and_resolves,
    ),
    (
        "ingest::generic_signed_webhook_refuses_stale_replayed_and_forged",
        generic_signed_webhook_refuses_stale_replayed_and_forged,
    ),
    (
        "ingest::real_alertmanager_group_of_fifty_is_one_incident_and_one_page",
        real_alertmanager_group_of_fifty_is_one_incident_and_one_page,
    ),
    (
        "ingest::storm_of_500_alerts_is_held_to_one_storm_incident_and_page",
        storm_of_500_alerts_is_held_to_one_storm_incident_and_page,
    ),
    (
        "ingest::delivery_of_1001_alerts_is_refused_and_stores_nothing",
        delivery_of_1001_alerts_is_refused_and_stores_nothing,
    ),
    (
        "ingest::pagerduty_flood_without_dedup_key_is_held_by_storm_control",
        pagerduty_flood_without_dedup_key_is_held_by_storm_control,
    ),
];

/// A count through raw SQL: only for what the API does not show and only D1
/// guarantees (here: the signature index refusing a replayed delivery).
fn scalar(env: &Env, sql: &str) -> Result<i64, Failed> {
    let rows = env.worker.query(sql).map_err(|e| e.to_string())?;
    rows[0]["n"]
        .as_i64()
        .ok_or_else(|| format!("no count from {sql}: {rows}").into())
}

/// `GET path` as the admin, whom K3 clears for every alert and incident.
fn admin_get(env: &Env, path: &str) -> Result<Value, Failed> {
    let response = env
        .http
        .get(env.worker.url(path))
        .bearer_auth(env.worker.token("admin"))
        .send()?;
    let (status, body) = crate::json_of(response)?;
    check(status == 200, format!("GET {path}: {status} {body}"))?;
    Ok(body)
}

/// Every alert of the queue (`GET /api/alerts`), oldest first.
fn queued_alerts(env: &Env) -> Result<Vec<Value>, Failed> {
    let mut alerts = admin_get(env, "/api/alerts")?["alerts"]
        .as_array()
        .cloned()
        .ok_or("the alert queue has no list")?;
    alerts.sort_by_key(|a| a["id"].as_i64());
    Ok(alerts)
}

fn alert_count(env: &Env) -> Result<usize, Failed> {
    Ok(queued_alerts(env)?.len())
}

fn incident_count(env: &Env) -> Result<usize, Failed> {
    admin_get(env, "/api/incidents")?["incidents"]
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| "the incident list has no list".into())
}

/// Creates an integration as the admin and returns its secret.
pub(crate) fn integration(env: &Env, name: &str, format: &str) -> Result<String, Failed> {
    let response = env
        .http
        .post(env.worker.url("/api/integrations"))
        .bearer_auth(env.worker.token("admin"))
        .json(&json!({ "name": name, "format": format, "owner_group": "web" }))
        .send()?;
    let status = response.status().as_u16();
    let body: Value = response.json()?;
    check(
        status == 201,
        format!("create integration: {status} {body}"),
    )?;
    Ok(body["secret"].as_str().ok_or("secret")?.to_owned())
}

/// `GET /api/incidents/{id}` as the SRE.
pub(crate) fn incident_detail(env: &Env, id: i64) -> Result<Value, Failed> {
    get_json(env, "sre", &format!("/api/incidents/{id}"))
}

pub(crate) fn enqueue(env: &Env, event: &Value) -> Result<(u16, Value), Failed> {
    let response = env
        .http
        .post(env.worker.url("/v2/enqueue"))
        .json(event)
        .send()?;
    let status = response.status().as_u16();
    Ok((status, response.json()?))
}

/// The alerts with dedup key `key` as the queue shows them (`id`, `status`,
/// `deliveries`, `incident_id`, ...), oldest first.
pub(crate) fn alert_rows(env: &Env, key: &str) -> Result<Value, Failed> {
    Ok(Value::Array(
        queued_alerts(env)?
            .into_iter()
            .filter(|a| a["dedup_key"] == key)
            .collect(),
    ))
}

/// The alerts of dedup key `key`, checked to be exactly one.
fn one_alert(env: &Env, key: &str) -> Result<Value, Failed> {
    let rows = alert_rows(env, key)?;
    check(
        rows.as_array().map(Vec::len) == Some(1),
        format!("one alert: {rows}"),
    )?;
    Ok(rows)
}

/// SPEC I1, I2, V2: PagerDuty Events v2: trigger, repeat, acknowledge, resolve,
/// trigger after resolve (new alert), acknowledge after resolve (dropped), a
/// generated dedup key, missing fields listed, a bad routing key refused.
fn pagerduty_v2_trigger_acknowledge_resolve_and_dedup(env: &Env) -> Result<(), Failed> {
    let key = integration(env, "pd-e2e", "pagerduty")?;
    let trigger = json!({
        "routing_key": key, "event_action": "trigger", "dedup_key": "srv01/disk",
        "payload": {"summary": "Disk full on srv01", "source": "srv01.example.com", "severity": "critical",
                    "component": "postgres", "custom_details": {"free": "1%"}},
        "links": [{"href": "https://runbooks.example/disk", "text": "runbook"}]
    });
    let (status, body) = enqueue(env, &trigger)?;
    check(
        status == 202 && body["status"] == "success" && body["dedup_key"] == "srv01/disk",
        format!("trigger: {status} {body}"),
    )?;
    let (status, _) = enqueue(env, &trigger)?;
    check(status == 202, "repeat trigger")?;
    let rows = alert_rows(env, "srv01/disk")?;
    check(
        rows.as_array().map(Vec::len) == Some(1) && rows[0]["deliveries"] == 2,
        format!("a repeat is the same alert: {rows}"),
    )?;
    let incident = rows[0]["incident_id"].as_i64().ok_or("incident")?;
    let detail = incident_detail(env, incident)?;
    check(
        detail["incident"]["status"] == "reported"
            && detail["incident"]["priority"] == "P0"
            && detail["incident"]["facts"]["source"]["system"] == "pagerduty"
            && detail["incident"]["facts"]["hostname"] == "srv01.example.com",
        format!("the alert's incident: {detail}"),
    )?;

    let ack = json!({"routing_key": key, "event_action": "acknowledge", "dedup_key": "srv01/disk"});
    let resolve = json!({"routing_key": key, "event_action": "resolve", "dedup_key": "srv01/disk"});
    check(enqueue(env, &ack)?.0 == 202, "acknowledge")?;
    check(
        alert_rows(env, "srv01/disk")?[0]["status"] == "acknowledged",
        "acknowledged",
    )?;
    check(enqueue(env, &resolve)?.0 == 202, "resolve")?;
    check(
        alert_rows(env, "srv01/disk")?[0]["status"] == "resolved",
        "resolved",
    )?;

    check(enqueue(env, &trigger)?.0 == 202, "trigger after resolve")?;
    let rows = alert_rows(env, "srv01/disk")?;
    check(
        rows.as_array().map(Vec::len) == Some(2) && rows[1]["status"] == "triggered",
        format!("trigger after resolve opens a new alert: {rows}"),
    )?;
    check(enqueue(env, &resolve)?.0 == 202, "second resolve")?;
    let (status, body) = enqueue(env, &ack)?;
    check(
        status == 202,
        format!("acknowledge after resolve is accepted: {body}"),
    )?;
    // That the dropped event is kept with its outcome is tested natively
    // (alerts::tests::pagerduty_events_follow_the_alert_lifecycle).
    let rows = alert_rows(env, "srv01/disk")?;
    check(
        rows.as_array().map(Vec::len) == Some(2)
            && rows[1]["status"] == "resolved"
            && rows[1]["deliveries"] == 2,
        format!("acknowledge after resolve is dropped: {rows}"),
    )?;

    let mut no_key = trigger.clone();
    no_key.as_object_mut().ok_or("object")?.remove("dedup_key");
    let (status, body) = enqueue(env, &no_key)?;
    let generated = body["dedup_key"].as_str().unwrap_or_default();
    check(
        status == 202 && generated.len() == 32 && generated != "srv01/disk",
        format!("generated key: {body}"),
    )?;

    let alerts_before = alert_count(env)?;
    let incidents_before = incident_count(env)?;
    let (status, body) = enqueue(
        env,
        &json!({"routing_key": key, "event_action": "trigger", "payload": {"severity": "fatal"}}),
    )?;
    let errors = body["errors"].to_string();
    check(
        status == 400
            && body["status"] == "invalid event"
            && ["payload.summary", "payload.source", "payload.severity"]
                .iter()
                .all(|f| errors.contains(f)),
        format!("missing fields are each listed: {status} {body}"),
    )?;
    let mut wrong_key = trigger.clone();
    wrong_key["routing_key"] = json!("R0000000000000000000000000000000");
    let (status, body) = enqueue(env, &wrong_key)?;
    check(
        status == 400 && body["errors"].to_string().contains("Invalid routing key"),
        format!("bad routing key: {status} {body}"),
    )?;
    check(
        alert_count(env)? == alerts_before && incident_count(env)? == incidents_before,
        "refused events store nothing",
    )?;
    Ok(())
}

pub(crate) fn notification(status: &str, fingerprint: &str) -> Value {
    json!({
        "receiver": "beacon", "status": status, "version": "4",
        "groupKey": "{}:{alertname=\"CheckoutErrors\"}", "truncatedAlerts": 0,
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "severity": "warning"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": status,
            "labels": {"alertname": "CheckoutErrors", "severity": "warning", "job": "checkout", "instance": "web-3:9100"},
            "annotations": {"summary": "Checkout error rate above 2%"},
            "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": fingerprint
        }]
    })
}

pub(crate) fn post_notification(env: &Env, secret: &str, body: &Value) -> Result<u16, Failed> {
    Ok(env
        .http
        .post(env.worker.url("/api/webhooks/alertmanager"))
        .bearer_auth(secret)
        .json(body)
        .send()?
        .status()
        .as_u16())
}

/// SPEC I2: the same delivery 20 times, 10 of them at once, is one alert and one incident.
fn same_delivery_twenty_times_ten_concurrently_is_one_alert(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-retries", "alertmanager")?;
    let body = notification("firing", "f00dfeed00000001");
    let incidents_before = incident_count(env)?;
    for _ in 0..10 {
        check(
            post_notification(env, &secret, &body)? == 200,
            "sequential delivery",
        )?;
    }
    // Each answer with its body, so that a refusal says why.
    let statuses: Vec<Result<(u16, String), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                scope.spawn(|| {
                    let response = env
                        .http
                        .post(env.worker.url("/api/webhooks/alertmanager"))
                        .bearer_auth(&secret)
                        .json(&body)
                        .send()
                        .map_err(|e| e.to_string())?;
                    let status = response.status().as_u16();
                    Ok((status, response.text().unwrap_or_default()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    check(
        statuses
            .iter()
            .all(|s| s.as_ref().is_ok_and(|(status, _)| *status == 200)),
        format!("concurrent deliveries: {statuses:?}"),
    )?;
    let rows = alert_rows(env, "f00dfeed00000001")?;
    check(
        rows.as_array().map(Vec::len) == Some(1) && rows[0]["deliveries"] == 20,
        format!("one alert with 20 deliveries: {rows}"),
    )?;
    check(
        incident_count(env)? == incidents_before + 1,
        "exactly one incident",
    )?;
    Ok(())
}

/// SPEC V3, T1, T3, T4: an Alertmanager alert opens an incident with its facts;
/// resolving before anyone triaged it marks a short-lived condition.
fn alertmanager_resolve_before_triage_is_short_lived(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-short", "alertmanager")?;
    check(
        post_notification(env, &secret, &notification("firing", "5407711ed0000001"))? == 200,
        "firing",
    )?;
    let rows = alert_rows(env, "5407711ed0000001")?;
    let incident = rows[0]["incident_id"].as_i64().ok_or("incident")?;
    check(
        post_notification(env, &secret, &notification("resolved", "5407711ed0000001"))? == 200,
        "resolved",
    )?;
    let detail = incident_detail(env, incident)?;
    let i = &detail["incident"];
    check(
        i["facts"]["system"] == "checkout"
            && i["facts"]["hostname"] == "web-3"
            && i["facts"]["alerted_at"] == "2026-11-23T03:12:00Z"
            && i["priority"] == "P2"
            && i["labels"] == json!(["short-lived"]),
        format!("incident from the alert: {detail}"),
    )?;
    let kinds = crate::timeline_kinds(&detail)?;
    check(
        kinds == ["created", "alert_triggered", "alert_resolved"],
        format!("timeline: {kinds:?}"),
    )?;
    let queue = get_json(env, "sre", "/api/alerts")?;
    check(
        queue["alerts"].as_array().is_some_and(|a| {
            a.iter()
                .any(|a| a["dedup_key"] == "5407711ed0000001" && a["status"] == "resolved")
        }),
        format!("alert queue: {queue}"),
    )?;
    Ok(())
}

/// SPEC I4: truncated JSON, wrong types, a 600 KB body and missing or wrong
/// secrets get their documented errors on every endpoint, and store nothing.
fn bad_deliveries_are_refused_and_store_nothing(env: &Env) -> Result<(), Failed> {
    let am = integration(env, "am-bad", "alertmanager")?;
    let grafana = integration(env, "grafana-bad", "grafana")?;
    let pd = integration(env, "pd-bad", "pagerduty")?;
    // No raw delivery is kept either: tested natively (alerts::tests).
    let counts = |env: &Env| -> Result<(usize, usize), Failed> {
        Ok((alert_count(env)?, incident_count(env)?))
    };
    let before = counts(env)?;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(600 * 1024));
    let good = notification("firing", "badbadbad0000001").to_string();
    let mut cases: Vec<(&str, &str, Option<&str>, String, u16)> = Vec::new();
    for (path, secret, other) in [
        ("/api/webhooks/alertmanager", &am, &grafana),
        ("/api/webhooks/grafana", &grafana, &am),
    ] {
        cases.extend([
            (
                path,
                "truncated",
                Some(secret.as_str()),
                good[..good.len() / 2].to_owned(),
                400,
            ),
            (
                path,
                "wrong type",
                Some(secret.as_str()),
                json!({"receiver": "x", "status": "firing", "alerts": "none"}).to_string(),
                422,
            ),
            (path, "600 KB", Some(secret.as_str()), big.clone(), 413),
            (path, "no secret", None, good.clone(), 401),
            (path, "wrong secret", Some("bki_nope"), good.clone(), 401),
            (
                path,
                "another format's secret",
                Some(other.as_str()),
                good.clone(),
                401,
            ),
            (
                path,
                "PagerDuty's secret",
                Some(pd.as_str()),
                good.clone(),
                401,
            ),
        ]);
    }
    cases.extend(vec![
        (
            "/v2/enqueue",
            "truncated",
            None,
            "{\"routing_key\":".into(),
            400,
        ),
        (
            "/v2/enqueue",
            "wrong type",
            None,
            json!({"routing_key": pd, "event_action": 7}).to_string(),
            400,
        ),
        ("/v2/enqueue", "600 KB", None, big, 413),
        (
            "/v2/enqueue",
            "no routing key",
            None,
            json!({"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "info"}}).to_string(),
            400,
        ),
        (
            "/v2/enqueue",
            "wrong routing key",
            None,
            json!({"routing_key": "bki_nope", "event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "info"}}).to_string(),
            400,
        ),
    ]);
    for (path, what, secret, body, expected) in cases {
        let mut request = env
            .http
            .post(env.worker.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(secret) = secret {
            request = request.bearer_auth(secret);
        }
        let response = request.send()?;
        let status = response.status().as_u16();
        let text = response.text()?;
        check(
            status == expected,
            format!("{path} {what}: {status} {text}"),
        )?;
        let parsed: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{path} {what}: not JSON ({e}): {text}"))?;
        check(
            parsed.get("error").is_some() || parsed.get("errors").is_some(),
            format!("{path} {what}: error body names the problem: {text}"),
        )?;
    }
    check(counts(env)? == before, "refused deliveries store nothing")?;
    Ok(())
}

/// Polls `probe` every 250 ms for up to 60 s until it returns `Some`.
pub(crate) fn eventually<T>(
    what: &str,
    mut probe: impl FnMut() -> Result<Option<T>, Failed>,
) -> Result<T, Failed> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// SPEC I1, I2, V2, T1, T3, T4: Debian's Prometheus Alertmanager, with a webhook
/// receiver pointed at Beacon and authenticated by `http_config.authorization`,
/// delivers an alert pushed into its own API; its repeated notifications do not
/// duplicate the alert or the incident; resolving it in Alertmanager resolves it
/// in Beacon.
fn real_alertmanager_fires_repeats_and_resolves(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-real", "alertmanager")?;
    let incidents_before = incident_count(env)?;
    let alertmanager = RealAlertmanager::start(env, "am-real", &secret, "['alertname']")?;
    let alert = |ends_at: Option<String>| {
        let mut alert = json!({
            "labels": {"alertname": "BeaconE2EDiskFull", "severity": "critical", "job": "postgres", "instance": "db-1.example.com:9100"},
            "annotations": {"summary": "Disk almost full on db-1"},
            "generatorURL": "http://prometheus.example:9090/graph"
        });
        if let Some(ends_at) = ends_at {
            alert["endsAt"] = json!(ends_at);
        }
        json!([alert])
    };
    let push = |body: &Value| alertmanager.push(env, body);
    let rows = |env: &Env| -> Result<Value, Failed> {
        Ok(Value::Array(
            queued_alerts(env)?
                .into_iter()
                .filter(|a| a["integration"] == "am-real")
                .collect(),
        ))
    };
    push(&alert(None))?;
    // Prometheus re-sends firing alerts on every evaluation; so does this test.
    let repeated = eventually("repeated notifications to reach Beacon", || {
        push(&alert(None))?;
        let rows = rows(env)?;
        Ok(rows[0]["deliveries"]
            .as_i64()
            .filter(|d| *d >= 3)
            .map(|_| rows))
    })?;
    check(
        repeated.as_array().map(Vec::len) == Some(1),
        format!("repeats are one alert: {repeated}"),
    )?;
    let incident = repeated[0]["incident_id"].as_i64().ok_or("incident id")?;
    check(
        incident_count(env)? == incidents_before + 1,
        "repeats open one incident",
    )?;
    let detail = incident_detail(env, incident)?;
    let i = &detail["incident"];
    check(
        i["priority"] == "P0"
            && i["facts"]["source"]["system"] == "alertmanager"
            && i["facts"]["source"]["name"] == "am-real"
            && i["facts"]["system"] == "postgres"
            && i["facts"]["hostname"] == "db-1.example.com"
            && i["title"] == "Disk almost full on db-1",
        format!("incident from Alertmanager: {detail}"),
    )?;

    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let ends_at = chrono::DateTime::from_timestamp_millis(now_ms - 1_000)
        .ok_or("the clock is out of range")?
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    push(&alert(Some(ends_at)))?;
    let resolved = eventually("the resolved notification to reach Beacon", || {
        let rows = rows(env)?;
        Ok((rows[0]["status"] == "resolved").then_some(rows))
    })?;
    check(
        resolved.as_array().map(Vec::len) == Some(1),
        format!("resolving keeps one alert: {resolved}"),
    )?;
    Ok(())
}

/// Debian's Prometheus Alertmanager with one webhook receiver pointed at
/// Beacon, authenticated by `http_config.authorization`, grouping by
/// `group_by` (YAML list) with waits of a second; stopped and its files
/// removed on drop.
struct RealAlertmanager {
    url: String,
    dir: std::path::PathBuf,
    _process: GroupChild,
}

impl RealAlertmanager {
    fn start(env: &Env, name: &str, secret: &str, group_by: &str) -> Result<Self, Failed> {
        let dir =
            std::env::temp_dir().join(format!("beacon-alertmanager-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let url = env.worker.url("/api/webhooks/alertmanager");
        let config = [
            "route:".to_owned(),
            "  receiver: beacon".into(),
            format!("  group_by: {group_by}"),
            "  group_wait: 1s".into(),
            "  group_interval: 1s".into(),
            "  repeat_interval: 2s".into(),
            "receivers:".into(),
            "  - name: beacon".into(),
            "    webhook_configs:".into(),
            format!("      - url: {url}"),
            "        send_resolved: true".into(),
            "        http_config:".into(),
            "          authorization:".into(),
            "            type: Bearer".into(),
            format!("            credentials: {secret}"),
        ]
        .join("\n");
        std::fs::write(dir.join("alertmanager.yml"), config)?;
        let port = free_port();
        let am_url = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("alertmanager.log"))?;
        let process = GroupChild::spawn(
            "alertmanager",
            Command::new("prometheus-alertmanager")
                .arg(format!(
                    "--config.file={}",
                    dir.join("alertmanager.yml").display()
                ))
                .arg(format!("--storage.path={}", dir.join("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--cluster.listen-address=")
                .stdout(Stdio::null())
                .stderr(log),
        )?;
        eventually("alertmanager to be ready", || {
            Ok(env
                .http
                .get(format!("{am_url}/-/ready"))
                .send()
                .ok()
                .filter(|r| r.status().is_success()))
        })
        .map_err(|e| {
            let log = std::fs::read_to_string(dir.join("alertmanager.log")).unwrap_or_default();
            format!("{e:?}\n{log}")
        })?;
        Ok(Self {
            url: am_url,
            dir,
            _process: process,
        })
    }

    /// Pushes alerts into Alertmanager's own API, as Prometheus does.
    fn push(&self, env: &Env, alerts: &Value) -> Result<(), Failed> {
        let status = env
            .http
            .post(format!("{}/api/v2/alerts", self.url))
            .json(alerts)
            .send()?
            .status();
        check(
            status.is_success(),
            format!("alertmanager refused the alerts: {status}"),
        )
    }
}

impl Drop for RealAlertmanager {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Grafana alerting webhook as Grafana 11 sends it (the example of Grafana's
/// webhook notifier documentation, with its Grafana-only fields).
fn grafana_notification(status: &str) -> Value {
    let alert_status = status;
    json!({
        "receiver": "beacon", "status": status, "orgId": 1,
        "alerts": [{
            "status": alert_status,
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1", "service": "billing", "severity": "critical"},
            "annotations": {"description": "The system has high memory usage", "runbook_url": "https://runbooks.example.net/1234", "summary": "Memory above 95% in us-1"},
            "startsAt": "2026-11-23T02:51:03.157076+01:00",
            "endsAt": if status == "resolved" { "2026-11-23T03:05:00Z" } else { "0001-01-01T00:00:00Z" },
            "generatorURL": "https://grafana.example.net/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://grafana.example.net/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2",
            "dashboardURL": "https://grafana.example.net/d/mem",
            "panelURL": "https://grafana.example.net/d/mem?viewPanel=2",
            "values": {"B": 95.23943737541908, "C": 1}
        }],
        "groupLabels": {}, "commonLabels": {"team": "blue"}, "commonAnnotations": {},
        "externalURL": "https://grafana.example.net/", "version": "1", "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "title": format!("[{}:1]  (blue)", status.to_uppercase()),
        "state": if status == "resolved" { "ok" } else { "alerting" },
        "message": "**Firing**\n\nValue: B=95.2, C=1\nLabels:\n - alertname = High memory usage\n"
    })
}

/// SPEC I1, T1, T3, V2: a Grafana delivery with Grafana's own fields opens an
/// alert and an incident (system from `service`, Grafana's links kept); its
/// resolved notification resolves the same alert.
fn grafana_notification_opens_and_resolves(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "grafana-prod", "grafana")?;
    let post = |body: &Value| -> Result<(u16, Value), Failed> {
        let response = env
            .http
            .post(env.worker.url("/api/webhooks/grafana"))
            .bearer_auth(&secret)
            .json(body)
            .send()?;
        Ok((response.status().as_u16(), response.json()?))
    };
    let (status, receipt) = post(&grafana_notification("firing"))?;
    check(status == 200, format!("firing: {status} {receipt}"))?;
    check(
        receipt["alerts"][0]["outcome"] == "opened_with_incident",
        format!("firing opens an incident: {receipt}"),
    )?;
    let rows = one_alert(env, "c6eadffa33fcdf37")?;
    let incident_id = rows[0]["incident_id"].as_i64().ok_or("incident id")?;
    let detail = incident_detail(env, incident_id)?;
    let incident = &detail["incident"];
    check(
        incident["title"] == "Memory above 95% in us-1"
            && incident["status"] == "reported"
            && incident["facts"]["system"] == "billing"
            && incident["facts"]["source"]["name"] == "grafana-prod"
            && incident["facts"]["source"]["system"] == "grafana"
            && incident["facts"]["alerted_at"] == "2026-11-23T01:51:03.157Z",
        format!("incident from the Grafana alert: {incident}"),
    )?;
    let triggered = detail["timeline"]
        .as_array()
        .and_then(|t| t.iter().find(|e| e["kind"] == "alert_triggered"))
        .ok_or_else(|| format!("alert_triggered entry: {detail}"))?;
    let hrefs: Vec<&str> = triggered["body"]["links"]
        .as_array()
        .map(|links| links.iter().filter_map(|l| l["href"].as_str()).collect())
        .unwrap_or_default();
    check(
        hrefs.contains(&"https://grafana.example.net/d/mem")
            && hrefs.iter().any(|h| h.contains("/alerting/silence/new")),
        format!("dashboard and silence links kept: {hrefs:?}"),
    )?;
    let (status, receipt) = post(&grafana_notification("resolved"))?;
    check(
        status == 200 && receipt["alerts"][0]["outcome"] == "resolved",
        format!("resolved: {status} {receipt}"),
    )?;
    let rows = alert_rows(env, "c6eadffa33fcdf37")?;
    check(
        rows[0]["status"] == "resolved" && rows.as_array().map(Vec::len) == Some(1),
        format!("the same alert resolved: {rows}"),
    )?;
    Ok(())
}

/// The generic webhook's signing key: the hex SHA-256 of the integration secret.
pub(crate) fn generic_key(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// `X-Beacon-Signature` for `body` at `timestamp`, computed as the README says.
pub(crate) fn generic_signature(key: &str, timestamp: &str, body: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub(crate) fn unix_seconds_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// SPEC I1, I2: Beacon's generic format, signed with HMAC-SHA256 over the raw body
/// and a timestamp. A fresh signed delivery opens an alert; the same request
/// replayed, a correctly signed request older than 5 minutes, a forged signature,
/// an unknown integration, malformed bodies and a 600 KB body are refused with
/// their documented errors and store nothing.
fn generic_signed_webhook_refuses_stale_replayed_and_forged(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "batch-jobs", "generic")?;
    let key = generic_key(&secret);
    let path = "/api/webhooks/generic/batch-jobs";
    let send = |path: &str,
                timestamp: &str,
                signature: &str,
                body: &str|
     -> Result<(u16, Value), Failed> {
        let response = env
            .http
            .post(env.worker.url(path))
            .header("content-type", "application/json")
            .header("X-Beacon-Timestamp", timestamp)
            .header("X-Beacon-Signature", signature)
            .body(body.to_owned())
            .send()?;
        let status = response.status().as_u16();
        let text = response.text()?;
        let value = serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))?;
        Ok((status, value))
    };
    let trigger = json!({"alerts": [{
        "dedup_key": "nightly-export-failed", "action": "trigger",
        "summary": "Nightly export failed twice", "severity": "error",
        "source": "batch-2.eu-west.example.net", "labels": {"service": "exports"}
    }]})
    .to_string();
    let now = unix_seconds_now().to_string();
    let signature = generic_signature(&key, &now, &trigger);
    let (status, receipt) = send(path, &now, &signature, &trigger)?;
    check(
        status == 200 && receipt["alerts"][0]["outcome"] == "opened_with_incident",
        format!("signed trigger: {status} {receipt}"),
    )?;
    one_alert(env, "nightly-export-failed")?;

    // The raw deliveries are counted in D1: the replay is refused by its
    // signature index (alert_events_signature), and nothing of it is kept.
    let counts = || -> Result<(usize, i64, usize), Failed> {
        Ok((
            alert_count(env)?,
            scalar(env, "SELECT count(*) AS n FROM alert_events")?,
            incident_count(env)?,
        ))
    };
    let before = counts()?;
    let stale = (unix_seconds_now() - 6 * 60).to_string();
    let future = (unix_seconds_now() + 6 * 60).to_string();
    let resolve = json!({"alerts": [{"dedup_key": "nightly-export-failed", "action": "resolve", "summary": "Export ok"}]}).to_string();
    let big = format!(
        r#"{{"alerts":[{{"dedup_key":"big","summary":"{}"}}]}}"#,
        "x".repeat(600 * 1024)
    );
    let truncated = &trigger[..trigger.len() / 2];
    let wrong_type = r#"{"alerts": [{"dedup_key": "k", "summary": 7}]}"#;
    let cases: Vec<(&str, &str, String, String, String, u16, &str)> = vec![
        (
            "replayed inside the window",
            path,
            now.clone(),
            signature.clone(),
            trigger.clone(),
            409,
            "conflict",
        ),
        (
            "stale by 6 minutes, correctly signed",
            path,
            stale.clone(),
            generic_signature(&key, &stale, &resolve),
            resolve.clone(),
            401,
            "bad_signature",
        ),
        (
            "6 minutes in the future",
            path,
            future.clone(),
            generic_signature(&key, &future, &resolve),
            resolve.clone(),
            401,
            "bad_signature",
        ),
        (
            "signed with the secret, not its hash",
            path,
            now.clone(),
            generic_signature(&secret, &now, &resolve),
            resolve.clone(),
            401,
            "bad_signature",
        ),
        (
            "body changed after signing",
            path,
            now.clone(),
            signature.clone(),
            resolve.clone(),
            401,
            "bad_signature",
        ),
        (
            "unknown integration",
            "/api/webhooks/generic/nobody",
            now.clone(),
            generic_signature(&key, &now, &resolve),
            resolve.clone(),
            401,
            "bad_signature",
        ),
        (
            "no signature",
            path,
            now.clone(),
            String::new(),
            resolve.clone(),
            401,
            "bad_signature",
        ),
        (
            "truncated JSON",
            path,
            now.clone(),
            generic_signature(&key, &now, truncated),
            truncated.to_owned(),
            400,
            "malformed_json",
        ),
        (
            "wrong type",
            path,
            now.clone(),
            generic_signature(&key, &now, wrong_type),
            wrong_type.to_owned(),
            422,
            "invalid_field",
        ),
        (
            "600 KB",
            path,
            now.clone(),
            generic_signature(&key, &now, &big),
            big.clone(),
            413,
            "payload_too_large",
        ),
    ];
    let mut messages = std::collections::BTreeMap::new();
    for (what, path, timestamp, signature, body, expected, code) in cases {
        let (status, error) = send(path, &timestamp, &signature, &body)?;
        check(
            status == expected && error["error"]["code"] == code,
            format!("{what}: {status} {error}"),
        )?;
        if what == "wrong type" {
            check(
                error["error"]["field"] == "alerts[0].summary",
                format!("the field is named: {error}"),
            )?;
        }
        messages.insert(what, error["error"]["message"].clone());
    }
    check(
        messages["unknown integration"] == messages["body changed after signing"]
            && messages["stale by 6 minutes, correctly signed"]
                .as_str()
                .is_some_and(|m| m.contains("300 s")),
        format!("an unknown integration answers like a forged signature; staleness is explained: {messages:?}"),
    )?;
    check(counts()? == before, "refused deliveries store nothing")?;

    let later = unix_seconds_now().to_string();
    let (status, receipt) = send(
        path,
        &later,
        &generic_signature(&key, &later, &resolve),
        &resolve,
    )?;
    check(
        status == 200 && receipt["alerts"][0]["outcome"] == "resolved",
        format!("fresh signed resolve: {status} {receipt}"),
    )?;
    Ok(())
}

/// `POST /api/alerts/{id}/{action}` as `role`.
fn alert_action(
    env: &Env,
    role: &str,
    alert: i64,
    action: &str,
    body: &Value,
) -> Result<(u16, Value), Failed> {
    let response = env
        .http
        .post(env.worker.url(&format!("/api/alerts/{alert}/{action}")))
        .bearer_auth(env.worker.token(role))
        .json(body)
        .send()?;
    let status = response.status().as_u16();
    Ok((status, response.json()?))
}

fn timeline_kinds(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|e| e["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// SPEC V10, V2, I2, K3: the alert queue's actions. Untriaged alerts come first;
/// discarding needs a reason and goes through triage; opening takes the incident
/// into triage; attaching moves the alert to an open incident and discards its
/// own untriaged incident as a duplicate; a viewer may do none of it.
fn alert_queue_open_discard_attach(env: &Env) -> Result<(), Failed> {
    let key = integration(env, "pd-queue", "pagerduty")?;
    let mut alerts = Vec::new();
    for name in ["queue-noise", "queue-real", "queue-same-cause"] {
        let (status, body) = enqueue(
            env,
            &json!({"routing_key": key, "event_action": "trigger", "dedup_key": name,
                    "payload": {"summary": format!("{name} on web-1"), "source": "web-1", "severity": "warning"}}),
        )?;
        check(status == 202, format!("trigger {name}: {status} {body}"))?;
        let rows = alert_rows(env, name)?;
        alerts.push((
            rows[0]["id"].as_i64().ok_or("alert id")?,
            rows[0]["incident_id"].as_i64().ok_or("incident id")?,
        ));
    }
    let [(noise, noise_incident), (real, real_incident), (same, same_incident)] = alerts[..] else {
        return Err("three alerts".into());
    };

    let queue = get_json(env, "sre", "/api/alerts")?;
    let first_untriaged = queue["alerts"]
        .as_array()
        .map(|list| {
            list.iter()
                .take_while(|a| a["incident_status"] == "reported")
                .count()
        })
        .unwrap_or(0);
    check(
        first_untriaged >= 3
            && queue["alerts"].as_array().is_some_and(|l| {
                l.iter()
                    .skip(first_untriaged)
                    .all(|a| a["incident_status"] != "reported")
            }),
        format!("untriaged alerts first: {queue}"),
    )?;

    let (status, body) = alert_action(env, "viewer", noise, "discard", &json!({"reason": "test"}))?;
    check(
        status == 403,
        format!("a viewer may not discard: {status} {body}"),
    )?;
    let (status, body) = alert_action(env, "sre", noise, "discard", &json!({"reason": "  "}))?;
    check(
        status == 422 && body["error"]["field"] == "reason",
        format!("a blank reason is refused: {status} {body}"),
    )?;
    check(
        incident_detail(env, noise_incident)?["incident"]["status"] == "reported",
        "refused discards change nothing",
    )?;
    let (status, body) = alert_action(
        env,
        "sre",
        noise,
        "discard",
        &json!({"reason": "load test from the perf team"}),
    )?;
    check(
        status == 200 && body["incident"]["status"] == "discarded",
        format!("discard: {status} {body}"),
    )?;
    let transitions: Vec<&Value> = body["timeline"]
        .as_array()
        .map(|t| t.iter().filter(|e| e["kind"] == "status_changed").collect())
        .unwrap_or_default();
    check(
        transitions.len() == 2
            && transitions[0]["body"]["to"] == "triage"
            && transitions[1]["body"]["to"] == "discarded"
            && transitions[1]["body"]["transition"]["reason"] == "load test from the perf team",
        format!("discarded through triage with the reason (V10): {transitions:?}"),
    )?;

    let (status, body) = alert_action(env, "sre", real, "open", &json!({}))?;
    check(
        status == 200
            && body["incident"]["id"] == real_incident
            && body["incident"]["status"] == "triage",
        format!("open: {status} {body}"),
    )?;

    let attach_same = |incident_id: Value| {
        alert_action(
            env,
            "sre",
            same,
            "attach",
            &json!({ "incident_id": incident_id }),
        )
    };
    for (incident_id, refused) in [
        (
            json!(noise_incident),
            "attaching to a discarded incident is refused",
        ),
        (json!(999_999), "attaching to a missing incident is refused"),
    ] {
        let (status, body) = attach_same(incident_id)?;
        check(
            status == 422 && body["error"]["field"] == "incident_id",
            format!("{refused}: {status} {body}"),
        )?;
    }
    let (status, body) = attach_same(json!(real_incident))?;
    check(
        status == 200 && body["incident"]["id"] == real_incident,
        format!("attach: {status} {body}"),
    )?;
    check(
        timeline_kinds(&body).contains(&"alert_attached".to_owned()),
        format!("the target's timeline shows the alert: {body}"),
    )?;
    check(
        alert_rows(env, "queue-same-cause")?[0]["incident_id"] == real_incident,
        "the alert moved",
    )?;
    let left = incident_detail(env, same_incident)?;
    check(
        left["incident"]["status"] == "discarded"
            && timeline_kinds(&left).contains(&"alert_detached".to_owned()),
        format!("the alert's own incident is discarded as a duplicate: {left}"),
    )?;

    // The next delivery of the moved alert lands on the incident it was attached to.
    let (status, _) = enqueue(
        env,
        &json!({"routing_key": key, "event_action": "trigger", "dedup_key": "queue-same-cause",
                "payload": {"summary": "queue-same-cause on web-1", "source": "web-1", "severity": "warning"}}),
    )?;
    check(status == 202, "repeat of the moved alert")?;
    let target = incident_detail(env, real_incident)?;
    check(
        timeline_kinds(&target).contains(&"alert_repeated".to_owned()),
        format!("repeats follow the alert: {target}"),
    )?;
    Ok(())
}

/// Counts of rows a refused delivery must not change: raw deliveries, alerts, incidents.
fn row_counts(env: &Env) -> Result<(i64, i64, i64), Failed> {
    Ok((
        scalar(env, "SELECT count(*) AS n FROM alert_events")?,
        scalar(env, "SELECT count(*) AS n FROM alerts")?,
        scalar(env, "SELECT count(*) AS n FROM incidents")?,
    ))
}

/// The incidents the alerts of integration `name` are on, with how many alerts each.
fn incidents_of_integration(env: &Env, name: &str) -> Result<Vec<(i64, i64)>, Failed> {
    let rows = env
        .worker
        .query(&format!(
            "SELECT a.incident_id AS incident, count(*) AS n FROM alerts a \
             JOIN integrations g ON g.id = a.integration_id \
             WHERE g.name = '{name}' GROUP BY a.incident_id ORDER BY a.incident_id"
        ))
        .map_err(|e| e.to_string())?;
    Ok(rows
        .as_array()
        .ok_or("no rows")?
        .iter()
        .filter_map(|r| Some((r["incident"].as_i64()?, r["n"].as_i64()?)))
        .collect())
}

fn unix_millis_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn iso_millis(ms: i64) -> Result<String, Failed> {
    Ok(chrono::DateTime::from_timestamp_millis(ms)
        .ok_or("the clock is out of range")?
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// The duty IC `person` (a rota of one, from a minute ago) with a generic
/// channel at `receiver`'s `/{person}`.
fn duty_ic_at(env: &Env, receiver: &WebhookReceiver, person: &str) -> Result<(), Failed> {
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "admin",
        "/api/rotas/incident_commander",
        &json!({"people": [person], "shift": 720, "starts_at": iso_millis(unix_millis_now() - 60_000)?}),
    )?;
    check(status == 200, format!("put rota: {status} {body}"))?;
    let (status, body) = crate::post(
        env,
        "admin",
        "/api/notification-channels",
        &json!({"owner_kind": "person", "owner": person, "format": "generic",
                "url": receiver.url(&format!("/{person}"))}),
    )?;
    check(status == 201, format!("create channel: {status} {body}"))
}

/// The pages `receiver` got at `/{person}` about incident `id`.
fn pages_about(receiver: &WebhookReceiver, person: &str, id: i64) -> usize {
    receiver
        .received()
        .iter()
        .filter(|r| r.path == format!("/{person}") && r.json()["incident"]["id"] == id)
        .count()
}

/// Fires the sweep now and waits until `person` got a page about `id`, then
/// a little longer, and returns how many pages about `id` arrived.
fn sweep_and_count_pages(
    env: &Env,
    receiver: &WebhookReceiver,
    person: &str,
    id: i64,
) -> Result<usize, Failed> {
    env.worker
        .run_scheduled(unix_millis_now())
        .map_err(|e| e.to_string())?;
    eventually("the page to arrive", || {
        Ok((pages_about(receiver, person, id) > 0).then_some(()))
    })?;
    std::thread::sleep(Duration::from_secs(2));
    Ok(pages_about(receiver, person, id))
}

/// SPEC I1, I2, E1, V3: Debian's Alertmanager groups by `[alertname, service]`;
/// one group firing on 50 instances becomes one incident with 50 alerts
/// (listed by `GET /api/alerts?incident=`) and one page to the duty IC; when
/// all 50 resolve in Alertmanager, the group's incident is cleared: every
/// alert resolved and the untriaged incident marked short-lived once; the
/// incident page lists the 50 alerts.
fn real_alertmanager_group_of_fifty_is_one_incident_and_one_page(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-group50", "alertmanager")?;
    let receiver = WebhookReceiver::start().map_err(|e| e.to_string())?;
    duty_ic_at(env, &receiver, "ic-grouping")?;
    let alertmanager =
        RealAlertmanager::start(env, "am-group50", &secret, "['alertname', 'service']")?;
    let alerts = |ends_at: Option<&str>| -> Value {
        (0..50)
            .map(|i| {
                let mut alert = json!({
                    "labels": {"alertname": "BeaconE2ECheckoutDown", "service": "checkout",
                               "severity": "critical", "instance": format!("web-{i}.example.com:9100")},
                    "annotations": {"summary": format!("Checkout down on web-{i}")},
                    "generatorURL": "http://prometheus.example:9090/graph"
                });
                if let Some(ends_at) = ends_at {
                    alert["endsAt"] = json!(ends_at);
                }
                alert
            })
            .collect()
    };
    alertmanager.push(env, &alerts(None))?;
    let grouped = eventually("50 alerts of the group to reach Beacon", || {
        let incidents = incidents_of_integration(env, "am-group50")?;
        Ok((incidents.iter().map(|(_, n)| n).sum::<i64>() == 50).then_some(incidents))
    })?;
    check(
        grouped.len() == 1 && grouped[0].1 == 50,
        format!("one incident with 50 alerts: {grouped:?}"),
    )?;
    let incident = grouped[0].0;
    let listed = admin_get(env, &format!("/api/alerts?incident={incident}"))?;
    check(
        listed["alerts"].as_array().map(Vec::len) == Some(50),
        format!("the incident lists its 50 alerts: {listed}"),
    )?;
    let detail = incident_detail(env, incident)?;
    check(
        detail["incident"]["priority"] == "P0",
        format!("the group's incident: {detail}"),
    )?;
    let pages = sweep_and_count_pages(env, &receiver, "ic-grouping", incident)?;
    check(pages == 1, format!("one page for the group, got {pages}"))?;

    let ends_at = iso_millis(unix_millis_now() - 1_000)?;
    alertmanager.push(env, &alerts(Some(&ends_at)))?;
    eventually("all 50 alerts to resolve", || {
        let resolved = scalar(
            env,
            &format!(
                "SELECT count(*) AS n FROM alerts WHERE incident_id = {incident} AND status = 'resolved'"
            ),
        )?;
        Ok((resolved == 50).then_some(()))
    })?;
    let detail = incident_detail(env, incident)?;
    let kinds = crate::timeline_kinds(&detail)?;
    check(
        detail["incident"]["labels"] == json!(["short-lived"])
            && kinds.iter().filter(|k| **k == "alert_resolved").count() == 50
            && kinds.iter().filter(|k| **k == "alert_triggered").count() == 50,
        format!("the group's incident is cleared by its last alert: {detail}"),
    )?;
    // The incident page lists the group's alerts.
    crate::browser_flows::signed_in_session(env, "sre", async |client| {
        client
            .goto(&env.worker.url(&format!("/incidents/{incident}")))
            .await?;
        wait_until_source(client, "the incident's alerts", |s| {
            s.contains("Alerts: 50 (0 open)") && s.contains("Checkout down on web-49 · resolved")
        })
        .await
    })?;
    Ok(())
}

/// A notification of group `group` with `alerts` new critical alerts.
fn group_notification(group: usize, alerts: usize) -> Value {
    let alerts: Vec<Value> = (0..alerts)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": {"alertname": format!("Storm{group}"), "severity": "critical", "instance": format!("web-{i}:9100")},
                "annotations": {"summary": format!("Storm{group} on web-{i}")},
                "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": format!("storm-{group:04}-{i:04}")
            })
        })
        .collect();
    json!({
        "receiver": "beacon", "status": "firing", "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"Storm{group}\"}}"), "truncatedAlerts": 0,
        "groupLabels": {"alertname": format!("Storm{group}")}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
}

/// SPEC E1, I1, I2: 500 new alerts in a minute from one integration (50
/// groups of 10) open at most N+1 incidents with the default N = 10: ten of
/// their own and one storm incident that counts its 400 alerts, paged to the
/// duty IC once.
fn storm_of_500_alerts_is_held_to_one_storm_incident_and_page(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-storm-e2e", "alertmanager")?;
    let receiver = WebhookReceiver::start().map_err(|e| e.to_string())?;
    duty_ic_at(env, &receiver, "ic-storm")?;
    let started = Instant::now();
    for group in 0..50 {
        let status = post_notification(env, &secret, &group_notification(group, 10))?;
        check(status == 200, format!("group {group}: {status}"))?;
    }
    check(
        started.elapsed() < Duration::from_secs(60),
        format!("500 alerts within a minute, took {:?}", started.elapsed()),
    )?;
    let incidents = incidents_of_integration(env, "am-storm-e2e")?;
    check(
        incidents.len() <= 11 && incidents.iter().map(|(_, n)| n).sum::<i64>() == 500,
        format!("at most N+1 incidents for 500 alerts: {incidents:?}"),
    )?;
    let (storm, storm_alerts) = *incidents
        .iter()
        .max_by_key(|(_, n)| *n)
        .ok_or("no incidents")?;
    let detail = incident_detail(env, storm)?;
    check(
        detail["incident"]["title"]
            == format!("Alert storm on am-storm-e2e: {storm_alerts} alerts")
            && storm_alerts == 400
            && detail["incident"]["priority"] == "P0",
        format!("the storm incident counts its alerts: {detail}"),
    )?;
    let pages = sweep_and_count_pages(env, &receiver, "ic-storm", storm)?;
    check(pages == 1, format!("one storm page, got {pages}"))?;
    let storm_pages: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| r.json())
        .filter(|page| {
            page["incident"]["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Alert storm on am-storm-e2e"))
        })
        .collect();
    check(
        storm_pages.len() == 1,
        format!("the storm's page names its count: {storm_pages:?}"),
    )?;
    // The storm's incident holds 400 alerts; its list shows at most 500 and
    // says whether more match, read through D1's own limit.
    let storm_list = crate::get_json(env, "sre", &format!("/api/alerts?incident={storm}"))?;
    check(
        storm_list["alerts"].as_array().map(Vec::len) == Some(400)
            && storm_list["more"] == false
            && storm_list["limit"] == 500,
        format!("the storm's 400 alerts, all listed: {}", storm_list["more"]),
    )?;
    // One alert more and the queue of everything holds more than 500: it
    // lists the 500 most urgent and says that more match.
    let status = post_notification(env, &secret, &group_notification(50, 1))?;
    check(status == 200, format!("the 501st alert: {status}"))?;
    let stored = env
        .worker
        .query("SELECT count(*) AS n FROM alerts")
        .map_err(|e| e.to_string())?[0]["n"]
        .as_i64()
        .ok_or("alert count")?;
    let queue = crate::get_json(env, "admin", "/api/alerts")?;
    check(
        stored > 500
            && queue["alerts"].as_array().map(Vec::len) == Some(500)
            && queue["more"] == true,
        format!(
            "{stored} alerts stored; the queue lists {:?}, more: {}",
            queue["alerts"].as_array().map(Vec::len),
            queue["more"]
        ),
    )?;
    Ok(())
}

/// SPEC I1, I4: a delivery of 1,001 alerts gets 413 with a JSON error naming
/// `alerts`, and stores no raw delivery, alert or incident.
fn delivery_of_1001_alerts_is_refused_and_stores_nothing(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-too-many", "alertmanager")?;
    let before = row_counts(env)?;
    let response = env
        .http
        .post(env.worker.url("/api/webhooks/alertmanager"))
        .bearer_auth(&secret)
        .json(&group_notification(9_001, 1_001))
        .send()?;
    let (status, body) = crate::json_of(response)?;
    check(
        status == 413 && body["error"]["field"] == "alerts",
        format!("1,001 alerts: {status} {body}"),
    )?;
    check(
        row_counts(env)? == before,
        "the refused delivery stored nothing",
    )?;
    let status = post_notification(env, &secret, &group_notification(9_002, 1_000))?;
    check(
        status == 200,
        format!("1,000 alerts are accepted: {status}"),
    )?;
    Ok(())
}

/// SPEC I1, E1: PagerDuty triggers without `dedup_key` each get a key of
/// their own; a flood of 30 in a minute opens 10 incidents and holds the
/// other 20 in one storm incident.
fn pagerduty_flood_without_dedup_key_is_held_by_storm_control(env: &Env) -> Result<(), Failed> {
    let key = integration(env, "pd-flood", "pagerduty")?;
    for i in 0..30 {
        let (status, body) = enqueue(
            env,
            &json!({"routing_key": key, "event_action": "trigger",
                    "payload": {"summary": format!("Disk full on srv{i}"), "source": format!("srv{i}"), "severity": "critical"}}),
        )?;
        check(status == 202, format!("trigger {i}: {status} {body}"))?;
    }
    let incidents = incidents_of_integration(env, "pd-flood")?;
    check(
        incidents.len() == 11 && incidents.iter().filter(|(_, n)| *n == 1).count() == 10,
        format!("ten incidents and one storm: {incidents:?}"),
    )?;
    let (storm, alerts) = *incidents
        .iter()
        .max_by_key(|(_, n)| *n)
        .ok_or("no incidents")?;
    let detail = incident_detail(env, storm)?;
    check(
        alerts == 20 && detail["incident"]["title"] == "Alert storm on pd-flood: 20 alerts",
        format!("the storm holds the rest: {detail}"),
    )?;
    Ok(())
}
