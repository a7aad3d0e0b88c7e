//! The report API on `wrangler dev` against the `shared` report engine run
//! on the same incidents, read through the API (SPEC Q1, Q3, Q5, K3).

use crate::ingest::eventually;
use crate::{check, get_json, post, Env, TestFn};
use beacon_e2e::header_text;
use beacon_e2e::{free_port, GroupChild};
use beacon_shared::api::{IncidentDetail, IncidentList};
use beacon_shared::clearance::Reader;
use beacon_shared::report::{
    redact_for, Dimension, DimensionRow, PeriodKind, Report, ReportFilter, ReportTicket,
    ResponseTimes, SummaryRow, RESTRICTED,
};
use beacon_shared::role::Role;
use beacon_shared::service_level::Period;
use beacon_shared::Timestamp;
use libtest_mimic::Failed;
use serde_json::json;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "reports::api_figures_match_the_engine_and_csv",
        api_figures_match_the_engine_and_csv,
    ),
    (
        "reports::security_is_a_restricted_count_without_clearance",
        security_is_a_restricted_count_without_clearance,
    ),
    (
        "reports::prometheus_scrapes_open_incidents_by_priority",
        prometheus_scrapes_open_incidents_by_priority,
    ),
];

/// The wall clock.
fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_unix_millis(millis)
}

/// Today in UTC: the query's `from` and `to` and the day as a period.
fn today() -> (String, String, Period) {
    let now = now().date();
    let day = PeriodKind::Day.containing(Timestamp::start_of_day(now));
    let next = now.succ_opt().unwrap_or(now);
    (now.to_string(), next.to_string(), day)
}

/// Three tickets today as the SRE (one closed, one open, one discarded) and
/// one Security ticket by the security team.
fn seed(env: &Env) -> Result<(), Failed> {
    let mut ids = Vec::new();
    for title in ["report: queue slow", "report: search stale", "report: blip"] {
        let (status, created) = post(env, "sre", "/api/incidents", &json!({ "title": title }))?;
        check(status == 201, format!("create: {status} {created}"))?;
        ids.push(created["id"].as_i64().ok_or("id")?);
    }
    let steps: [(i64, &[serde_json::Value]); 3] = [
        (
            ids[0],
            &[
                json!({"action": "classify_as_problem", "priority": "P2"}),
                json!({"action": "identify"}),
                json!({"action": "monitor"}),
                json!({"action": "resolve"}),
                json!({"action": "close", "confirmation": {"kind": "submitter_confirmed"}}),
            ],
        ),
        (
            ids[1],
            &[json!({"action": "classify_as_problem", "priority": "P3"})],
        ),
        (
            ids[2],
            &[json!({"action": "discard", "reason": "no impact"})],
        ),
    ];
    for (id, actions) in steps {
        for action in actions {
            let path = format!("/api/incidents/{id}/transitions");
            let (status, body) = post(env, "sre", &path, action)?;
            check(status == 200, format!("{action}: {status} {body}"))?;
        }
    }
    let secret = json!({"title": "report: token theft", "category": "Security"});
    let (status, created) = post(env, "security", "/api/incidents", &secret)?;
    check(
        status == 201,
        format!("security creates: {status} {created}"),
    )?;
    Ok(())
}

/// `GET path` as `role`, read straight from the text into `T` (a timeline
/// entry's `kind` must precede its `body`, which a generic JSON value's
/// sorted keys would not keep).
fn get_as<T: serde::de::DeserializeOwned>(env: &Env, role: &str, path: &str) -> Result<T, Failed> {
    let text = env
        .http
        .get(env.worker.url(path))
        .bearer_auth(env.worker.token(role))
        .send()?
        .text()?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}: {text}").into())
}

/// Every incident with its timeline, read through the API by management.
fn tickets_through_the_api(env: &Env) -> Result<Vec<ReportTicket>, Failed> {
    let list: IncidentList =
        serde_json::from_value(get_json(env, "management", "/api/incidents")?)?;
    let mut tickets = Vec::new();
    for incident in &list.incidents {
        let detail: IncidentDetail = get_as(
            env,
            "management",
            &format!("/api/incidents/{}", incident.id),
        )?;
        tickets.push(ReportTicket::from_incident(
            &detail.incident,
            &detail.timeline,
        ));
    }
    Ok(tickets)
}

fn report_text(
    env: &Env,
    role: &str,
    path: &str,
    accept: &str,
) -> Result<(u16, String, String, String), Failed> {
    let response = env
        .http
        .get(env.worker.url(path))
        .bearer_auth(env.worker.token(role))
        .header("accept", accept)
        .send()?;
    let status = response.status().as_u16();
    let content_type = header_text(&response, "content-type");
    let disposition = header_text(&response, "content-disposition");
    Ok((status, content_type, disposition, response.text()?))
}

/// SPEC Q1, Q5: the API's summary, counts by category and response times
/// for today equal the engine's over the incidents read through the API,
/// for a cleared and an uncleared reader; the CSV reads back to the same
/// numbers.
fn api_figures_match_the_engine_and_csv(env: &Env) -> Result<(), Failed> {
    seed(env)?;
    let (from, to, day) = today();
    let tickets = tickets_through_the_api(env)?;
    // Response times and counts by category do not depend on the clock.
    let now = now();
    for (role_name, role) in [("management", Role::Management), ("sre", Role::Sre)] {
        let visible = redact_for(Reader::Person(role), tickets.clone());
        let engine = Report::new(&visible, &ReportFilter::default(), now);
        let query = format!("period=day&from={from}&to={to}");
        let summary: Vec<SummaryRow> = serde_json::from_value(get_json(
            env,
            role_name,
            &format!("/api/reports/summary?{query}"),
        )?)?;
        let expected = engine.summary(PeriodKind::Day, day);
        check(
            summary.len() == 1 && summary[0].totals == expected[0].totals,
            format!("{role_name}: summary {summary:?} vs the engine's {expected:?}"),
        )?;
        check(
            summary[0].totals.counted >= 3 && summary[0].totals.discarded >= 1,
            format!("the seeded tickets are counted: {summary:?}"),
        )?;
        let by_category: Vec<DimensionRow> = serde_json::from_value(get_json(
            env,
            role_name,
            &format!("/api/reports/by-dimension?{query}&dimension=category"),
        )?)?;
        let expected = engine.by_dimension(Dimension::Category, PeriodKind::Day, day);
        check(
            by_category == expected,
            format!("{role_name}: by category {by_category:?} vs {expected:?}"),
        )?;
        let times: ResponseTimes = serde_json::from_value(get_json(
            env,
            role_name,
            &format!("/api/reports/response-times?{query}"),
        )?)?;
        let expected = engine.response_times(day);
        check(
            times == expected,
            format!("{role_name}: response times {times:?} vs {expected:?}"),
        )?;

        let (status, content_type, disposition, text) = report_text(
            env,
            role_name,
            &format!("/api/reports/summary?{query}"),
            "text/csv",
        )?;
        check(status == 200, format!("csv: {status} {text}"))?;
        check(
            content_type.starts_with("text/csv"),
            format!("content type {content_type}"),
        )?;
        check(
            disposition == format!("attachment; filename=\"beacon-summary-{from}-{to}.csv\""),
            format!("disposition {disposition}"),
        )?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers()?.clone();
        let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
        check(records.len() == 1, format!("one CSV row: {text}"))?;
        let cell = |name: &str| -> Result<u32, Failed> {
            let index = header
                .iter()
                .position(|h| h == name)
                .ok_or(name.to_owned())?;
            Ok(records[0][index].parse::<u32>()?)
        };
        let t = summary[0].totals;
        check(
            (cell("counted")?, cell("open")?, cell("closed")?) == (t.counted, t.open, t.closed)
                && (cell("restricted")?, cell("discarded")?, cell("duplicates")?)
                    == (t.restricted, t.discarded, t.duplicates),
            format!("CSV {text} vs JSON {t:?}"),
        )?;
    }
    Ok(())
}

/// SPEC K3: an SRE sees Security tickets only as a restricted count, never
/// by name or title; management sees them as Security.
fn security_is_a_restricted_count_without_clearance(env: &Env) -> Result<(), Failed> {
    let (from, to, day) = today();
    let secret = json!({"title": "report: badge cloning", "category": "Security"});
    let (status, created) = post(env, "security", "/api/incidents", &secret)?;
    check(
        status == 201,
        format!("security creates: {status} {created}"),
    )?;
    let tickets = tickets_through_the_api(env)?;
    let security_today = tickets
        .iter()
        .filter(|t| {
            t.category.as_deref() == Some("Security")
                && day.from() <= t.created_at
                && t.created_at < day.to()
        })
        .count() as u32;
    check(security_today >= 1, "a Security ticket today")?;
    let path =
        format!("/api/reports/by-dimension?period=day&from={from}&to={to}&dimension=category");
    for accept in ["application/json", "text/csv"] {
        let (status, _, _, text) = report_text(env, "sre", &path, accept)?;
        check(status == 200, format!("{accept}: {status} {text}"))?;
        check(
            !text.contains("Security") && !text.contains("badge cloning"),
            format!("an SRE must not see Security by name: {text}"),
        )?;
    }
    let rows: Vec<DimensionRow> = serde_json::from_value(get_json(env, "sre", &path)?)?;
    let restricted = rows
        .iter()
        .find(|r| r.period == day && r.value == RESTRICTED)
        .map(|r| r.count);
    check(
        restricted == Some(security_today),
        format!("restricted {restricted:?}, Security today {security_today}"),
    )?;
    let rows: Vec<DimensionRow> = serde_json::from_value(get_json(env, "management", &path)?)?;
    let security = rows
        .iter()
        .find(|r| r.period == day && r.value == "Security")
        .map(|r| r.count);
    check(
        security == Some(security_today),
        format!("management sees Security: {security:?}"),
    )?;
    let (status, _, _, body) = report_text(env, "viewer", &path, "application/json")?;
    check(
        status == 403,
        format!("a viewer may not read reports: {status} {body}"),
    )
}

/// Open incidents per priority, as management reads them through the API.
fn open_by_priority(env: &Env) -> Result<BTreeMap<String, u64>, Failed> {
    let list: IncidentList =
        serde_json::from_value(get_json(env, "management", "/api/incidents")?)?;
    let mut counts = BTreeMap::new();
    for incident in list.incidents.iter().filter(|i| i.status.is_open()) {
        *counts
            .entry(incident.priority.as_str().to_owned())
            .or_default() += 1;
    }
    Ok(counts)
}

/// SPEC Q2: Debian's Prometheus, started here with a 1 s scrape of
/// `/metrics` authenticated by a report reader's token, answers the number
/// of open incidents per priority the test created, through its query API.
/// Prometheus is stopped (its process group killed) however the test ends.
fn prometheus_scrapes_open_incidents_by_priority(env: &Env) -> Result<(), Failed> {
    for (title, priority) in [
        ("metrics: P2 one", "P2"),
        ("metrics: P2 two", "P2"),
        ("metrics: P3", "P3"),
    ] {
        let (status, created) = post(env, "sre", "/api/incidents", &json!({ "title": title }))?;
        check(status == 201, format!("create: {status} {created}"))?;
        let id = created["id"].as_i64().ok_or("id")?;
        let path = format!("/api/incidents/{id}/transitions");
        let classify = json!({"action": "classify_as_problem", "priority": priority});
        let (status, body) = post(env, "sre", &path, &classify)?;
        check(status == 200, format!("classify: {status} {body}"))?;
    }
    let expected = open_by_priority(env)?;
    check(
        expected.get("P2").copied().unwrap_or(0) >= 2,
        format!("two open P2 at least: {expected:?}"),
    )?;

    let dir = std::env::temp_dir().join(format!("beacon-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let target = env
        .worker
        .base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let config = [
        "global:".to_owned(),
        "  scrape_interval: 1s".into(),
        "  evaluation_interval: 1s".into(),
        "scrape_configs:".into(),
        "  - job_name: beacon".into(),
        "    scrape_interval: 1s".into(),
        "    scrape_timeout: 1s".into(),
        "    metrics_path: /metrics".into(),
        "    authorization:".into(),
        "      type: Bearer".into(),
        format!(
            "      credentials: {}",
            env.worker.token("incident_commander")
        ),
        "    static_configs:".into(),
        format!("      - targets: ['{target}']"),
    ]
    .join("\n");
    std::fs::write(dir.join("prometheus.yml"), config)?;
    let port = free_port();
    let prometheus_url = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("prometheus.log"))?;
    let prometheus = GroupChild::spawn(
        "prometheus",
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log),
    )?;
    let log_text = || std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
    let query = |promql: &str| -> Result<serde_json::Value, Failed> {
        Ok(env
            .http
            .get(format!("{prometheus_url}/api/v1/query"))
            .query(&[("query", promql)])
            .send()?
            .json()?)
    };
    let outcome = eventually("Prometheus to scrape Beacon", || {
        let answer = match query("sum by (priority) (beacon_open_incidents)") {
            Ok(answer) => answer,
            Err(_) => return Ok(None),
        };
        let mut got = BTreeMap::new();
        for series in answer["data"]["result"].as_array().into_iter().flatten() {
            let priority = series["metric"]["priority"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            let value: u64 = series["value"][1]
                .as_str()
                .unwrap_or("")
                .parse()
                .unwrap_or(0);
            got.insert(priority, value);
        }
        Ok((got == expected).then_some(got))
    })
    .map_err(|e| format!("{e:?}; expected {expected:?}\n{}", log_text()));
    let up = query("up{job=\"beacon\"}").map_err(|e| format!("{e:?}"));
    drop(prometheus);
    outcome?;
    let up = up?;
    check(
        up["data"]["result"][0]["value"][1] == "1",
        format!("the scrape target is up: {up}"),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
