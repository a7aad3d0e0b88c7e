//! The JSON API and the status page over plain HTTP.

use crate::{check, get, get_json, get_text, json_of, post, send, Env, TestFn};
use beacon_e2e::header_text;
use libtest_mimic::Failed;
use reqwest::blocking::Response;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "api::health_reports_version_and_d1",
        health_reports_version_and_d1,
    ),
    ("api::root_serves_the_app", root_serves_the_app),
    (
        "api::status_page_is_html_without_javascript",
        status_page_is_html_without_javascript,
    ),
    (
        "api::writes_without_a_valid_token_are_401_and_store_nothing",
        writes_without_a_valid_token_are_401_and_store_nothing,
    ),
    ("api::viewer_cannot_create", viewer_cannot_create),
    (
        "api::bad_input_is_refused_with_the_field_named",
        bad_input_is_refused_with_the_field_named,
    ),
    (
        "api::created_incident_is_listed_and_escaped_on_status",
        created_incident_is_listed_and_escaped_on_status,
    ),
    (
        "api::sop_refusals_store_nothing",
        sop_refusals_store_nothing,
    ),
    (
        "api::security_incidents_are_hidden_from_sres",
        security_incidents_are_hidden_from_sres,
    ),
    ("api::lifecycle_and_audit_log", lifecycle_and_audit_log),
];

/// How many rows `table` holds.
fn row_count(env: &Env, table: &str) -> Result<usize, Failed> {
    let rows = env
        .worker
        .query(&format!("SELECT count(*) AS n FROM {table}"))
        .map_err(|e| e.to_string())?;
    Ok(rows[0]["n"].as_u64().ok_or("count missing")? as usize)
}

fn incident_count(env: &Env) -> Result<usize, Failed> {
    row_count(env, "incidents")
}

fn post_incident(env: &Env, token: Option<&str>, body: &str) -> Result<Response, Failed> {
    let mut request = env
        .http
        .post(env.worker.url("/api/incidents"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(request.send()?)
}

fn health_reports_version_and_d1(env: &Env) -> Result<(), Failed> {
    let (status, body) = json_of(env.http.get(env.worker.url("/api/health")).send()?)?;
    check(status == 200, format!("status {status}"))?;
    check(
        body["version"] == env!("CARGO_PKG_VERSION"),
        format!("version in {body}"),
    )?;
    check(
        body["d1"] == true,
        format!("d1 should have answered: {body}"),
    )?;
    // SPEC I3: `cargo xtask` generated the sealing key into `.dev.vars`.
    check(
        body["secrets_key"] == true,
        format!("the key that seals credentials should be bound: {body}"),
    )
}

fn root_serves_the_app(env: &Env) -> Result<(), Failed> {
    let response = env.http.get(env.worker.url("/")).send()?;
    check(response.status().as_u16() == 200, "GET / is 200")?;
    let html = response.text()?;
    check(
        html.contains(".wasm") && html.contains("<title>Beacon</title>"),
        format!("app shell: {html}"),
    )?;
    // The content-hashed files are cached for a year without asking again
    // (a phone that loaded Beacon once starts from its cache); the page is
    // not, so a new build is seen at once.
    let wasm = html
        .split('"')
        .find(|part| part.starts_with("/beacon-app-") && part.ends_with(".wasm"))
        .ok_or_else(|| format!("no wasm in the page: {html}"))?
        .to_owned();
    let asset = env.http.get(env.worker.url(&wasm)).send()?;
    let caching = header_text(&asset, "cache-control");
    check(
        asset.status().as_u16() == 200 && caching.contains("immutable"),
        format!("{wasm}: {} {caching}", asset.status()),
    )?;
    let page = env.http.get(env.worker.url("/")).send()?;
    let caching = header_text(&page, "cache-control");
    check(
        !caching.contains("immutable"),
        format!("the page must not be cached for good: {caching}"),
    )?;
    // Client-side routes fall back to the app too: the SRE's bundle for its
    // screens, the desk's for every desk page (SPEC I1, the triage form loads
    // without the management screens).
    for path in ["/", "/incidents/new", "/incidents/7", "/sign-in"] {
        let page = get_text(env, path)?;
        check(
            page.contains("<title>Beacon</title>")
                && page.contains("/beacon-app-")
                && !page.contains("beacon-desk"),
            format!("the SRE bundle for {path}: {page}"),
        )?;
    }
    // The static desk pages, and those with an id that the worker answers.
    let with_id = ["/problems/3", "/problems/3/report"];
    for path in beacon_shared::routes::DESK_PAGES.iter().chain(&with_id) {
        let page = get_text(env, path)?;
        check(
            page.contains("/beacon-desk-") && !page.contains("beacon-app-"),
            format!("the desk bundle for {path}: {page}"),
        )?;
    }
    let response = env.http.get(env.worker.url("/problems/3")).send()?;
    let policy = header_text(&response, "content-security-policy");
    check(
        policy.starts_with("default-src 'self'") && policy.contains("'wasm-unsafe-eval'"),
        format!("the app's policy on a desk page the worker serves: {policy}"),
    )?;
    Ok(())
}

/// SPEC M3: the public page is HTML for phones and dark mode, with no JavaScript
/// and a policy that would refuse any.
fn status_page_is_html_without_javascript(env: &Env) -> Result<(), Failed> {
    let response = env.http.get(env.worker.url("/status")).send()?;
    check(response.status().as_u16() == 200, "GET /status is 200")?;
    let content_type = response.headers()["content-type"].to_str()?.to_owned();
    check(content_type.starts_with("text/html"), content_type)?;
    let csp = header_text(&response, "content-security-policy");
    check(csp.starts_with("default-src 'none'"), format!("CSP: {csp}"))?;
    let html = response.text()?;
    check(html.contains("<h1>Beacon status</h1>"), "status heading")?;
    check(
        html.contains("name=\"viewport\"") && html.contains("prefers-color-scheme:dark"),
        "readable on a phone and in dark mode",
    )?;
    check(
        !html.contains("<script"),
        "no JavaScript on the status page",
    )
}

/// SPEC I3, I4: a write without a valid token is 401 with a JSON body, and stores nothing.
fn writes_without_a_valid_token_are_401_and_store_nothing(env: &Env) -> Result<(), Failed> {
    let before = incident_count(env)?;
    let body = r#"{"title":"should not be stored"}"#;
    for token in [None, Some("bkn_not_a_real_token")] {
        let (status, json) = json_of(post_incident(env, token, body)?)?;
        check(status == 401, format!("{token:?}: status {status}"))?;
        check(
            json["error"]["code"] == "unauthorized",
            format!("error body {json}"),
        )?;
    }
    let (status, _) = json_of(env.http.get(env.worker.url("/api/incidents")).send()?)?;
    check(status == 401, "reading the internal list needs a token too")?;
    check(incident_count(env)? == before, "nothing stored")
}

/// SPEC I3: a viewer may read but not create.
fn viewer_cannot_create(env: &Env) -> Result<(), Failed> {
    let before = incident_count(env)?;
    let (status, json) = json_of(post_incident(
        env,
        Some(env.worker.token("viewer")),
        r#"{"title":"x"}"#,
    )?)?;
    check(status == 403, format!("status {status}: {json}"))?;
    check(json["error"]["code"] == "forbidden", json.to_string())?;
    check(incident_count(env)? == before, "nothing stored")
}

/// SPEC I4, T2, T4: each bad input gets 4xx naming the field (an alert time
/// an hour ahead, a customer without a name among several); nothing is stored.
fn bad_input_is_refused_with_the_field_named(env: &Env) -> Result<(), Failed> {
    let before = incident_count(env)?;
    let sre = Some(env.worker.token("sre"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let in_an_hour = chrono::DateTime::from_timestamp(now.as_secs() as i64 + 3600, 0)
        .ok_or("the clock is out of range")?
        .format("%Y-%m-%dT%H:%M:%SZ");
    let cases: Vec<(String, u16, Option<&str>)> = vec![
        (r#"{"title":""}"#.into(), 422, Some("title")),
        (
            format!(r#"{{"title":"x","facts":{{"alerted_at":"{in_an_hour}"}}}}"#),
            422,
            Some("facts.alerted_at"),
        ),
        (
            r#"{"title":"x","facts":{"customers":[{"name":"Globex"},{"name":"  ","enterprise_or_partner":true}]}}"#.into(),
            422,
            Some("facts.customers[1].name"),
        ),
        (
            r#"{"title":"x","facts":{"measurements":{"availability_global":120}}}"#.into(),
            422,
            Some("facts.measurements.availability_global"),
        ),
        (
            r#"{"title":"x","facts":{"scope":{"users":-5}}}"#.into(),
            422,
            Some("facts.scope.users"),
        ),
        (r#"{"title":42}"#.into(), 422, Some("title")),
        (
            r#"{"title":"x","colour":"red"}"#.into(),
            422,
            Some("colour"),
        ),
        (r#"{"title":"x""#.into(), 400, None),
        (
            format!(r#"{{"title":"{}"}}"#, "x".repeat(1024 * 1024)),
            413,
            None,
        ),
    ];
    for (body, expected, field) in cases {
        let (status, json) = json_of(post_incident(env, sre, &body)?)?;
        let shown: String = body.chars().take(80).collect();
        check(
            status == expected,
            format!("{shown}: status {status}, wanted {expected}: {json}"),
        )?;
        if let Some(field) = field {
            check(
                json["error"]["field"] == field,
                format!("{shown}: field in {json}"),
            )?;
        }
        check(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "a message",
        )?;
    }
    check(incident_count(env)? == before, "nothing stored")
}

/// SPEC P0, P5, M1: the edge classifies and lists; the public page stays silent until customer support publishes.
fn created_incident_is_listed_and_escaped_on_status(env: &Env) -> Result<(), Failed> {
    let title = "Checkout <script>alert(1)</script> failing";
    let body = json!({
        "title": title,
        "category": "Network",
        "facts": {"measurements": {"packet_loss_by_region": [{"region": "eu-west", "percent": 30}]}}
    });
    let (status, created) = json_of(post_incident(
        env,
        Some(env.worker.token("sre")),
        &body.to_string(),
    )?)?;
    check(status == 201, format!("status {status}: {created}"))?;
    check(created["priority"] == "P0", created.to_string())?;
    let id = created["id"].as_i64().ok_or("id")?;

    let (status, list) = get(env, "viewer", "/api/incidents")?;
    check(status == 200, "viewer may list")?;
    let found = list["incidents"]
        .as_array()
        .ok_or("incidents array")?
        .iter()
        .find(|i| i["id"] == id)
        .cloned();
    let found = found.ok_or("created incident not listed")?;
    check(
        found["title"] == title && found["priority"] == "P0",
        found.to_string(),
    )?;
    check(
        found["classification"]["matched"][0]["input"]
            == "measurements.packet_loss_by_region[eu-west]",
        found.to_string(),
    )?;

    let html = env.http.get(env.worker.url("/status")).send()?.text()?;
    check(
        !html.contains("<script>alert(1)") && !html.contains("Checkout &lt;script&gt;"),
        "an internal ticket is not on the public page until customer support publishes it (M1)",
    )
}

fn audit_count(env: &Env) -> Result<usize, Failed> {
    row_count(env, "audit_log")
}

/// SPEC P6, K1, I3, I4: each refusal gets 4xx with the field named and stores nothing.
fn sop_refusals_store_nothing(env: &Env) -> Result<(), Failed> {
    let (incidents, audits) = (incident_count(env)?, audit_count(env)?);
    let lowered = json!({"title": "reporting down", "category": "Reporting", "priority": "P3",
        "facts": {"measurements": {"major_function_lost": true}}});
    let (status, body) = post(env, "sre", "/api/incidents", &lowered)?;
    check(
        status == 422 && body["error"]["field"] == "priority",
        format!("lowering by an SRE: {status} {body}"),
    )?;
    let no_category =
        json!({"title": "all down", "facts": {"measurements": {"complete_loss_of_access": true}}});
    let (status, body) = post(env, "sre", "/api/incidents", &no_category)?;
    check(
        status == 422 && body["error"]["field"] == "category",
        format!("P0 without category: {status} {body}"),
    )?;
    let (status, body) = post(env, "viewer", "/api/incidents", &json!({"title": "x"}))?;
    check(status == 403, format!("viewer: {status} {body}"))?;
    check(
        incident_count(env)? == incidents && audit_count(env)? == audits,
        "refusals stored something",
    )
}

/// SPEC K3: a Security incident is not visible to an SRE, in lists or by id.
fn security_incidents_are_hidden_from_sres(env: &Env) -> Result<(), Failed> {
    let secret = json!({"title": "credential stuffing on login", "category": "Security"});
    let (status, created) = post(env, "security", "/api/incidents", &secret)?;
    check(
        status == 201,
        format!("security creates: {status} {created}"),
    )?;
    let id = created["id"].as_i64().ok_or("id")?;
    let list = get_json(env, "sre", "/api/incidents")?;
    let listed = list["incidents"]
        .as_array()
        .ok_or("list")?
        .iter()
        .any(|i| i["id"] == id);
    check(
        !listed,
        "an SRE must not see the Security incident in the list",
    )?;
    let by_id = |role: &str| -> Result<u16, Failed> {
        let url = env.worker.url(&format!("/api/incidents/{id}"));
        Ok(env
            .http
            .get(url)
            .bearer_auth(env.worker.token(role))
            .send()?
            .status()
            .as_u16())
    };
    check(by_id("sre")? == 404, "by id for an SRE must be 404")?;
    check(by_id("management")? == 200, "management sees it")?;
    let html = env.http.get(env.worker.url("/status")).send()?.text()?;
    check(
        !html.contains("credential stuffing"),
        "never on the public page",
    )
}

/// SPEC V10, V11, I3, T7: valid transitions move the ticket and land in the
/// timeline; an invalid one is refused; every change is audited with actor and
/// time; the audit log cannot be edited or deleted.
fn lifecycle_and_audit_log(env: &Env) -> Result<(), Failed> {
    let new = json!({"title": "API latency", "category": "API", "facts": {"measurements": {"site_wide_degradation": true}}});
    let (status, created) = post(env, "sre", "/api/incidents", &new)?;
    check(
        status == 201 && created["priority"] == "P1",
        format!("{status} {created}"),
    )?;
    let id = created["id"].as_i64().ok_or("id")?;
    let path = format!("/api/incidents/{id}/transitions");
    let audits = audit_count(env)?;
    let close = json!({"action": "close", "confirmation": {"kind": "submitter_confirmed"}});
    let (status, body) = post(env, "sre", &path, &close)?;
    check(
        status == 409,
        format!("triage -> closed must be refused: {status} {body}"),
    )?;
    check(audit_count(env)? == audits, "refused transition audited")?;
    let classify = json!({"action": "classify_as_problem", "priority": "P1"});
    let (status, body) = post(env, "sre", &path, &classify)?;
    check(
        status == 200 && body["incident"]["status"] == "investigating",
        format!("classify: {status} {body}"),
    )?;
    let link = json!({"kind": "link", "title": "chat log", "url": "https://chat.example/r/123"});
    let (status, body) = post(env, "sre", &format!("/api/incidents/{id}/timeline"), &link)?;
    check(status == 200, format!("link: {status} {body}"))?;
    let kinds: Vec<String> = body["timeline"]
        .as_array()
        .ok_or("timeline")?
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    check(
        kinds == ["created", "status_changed", "link"],
        format!("timeline kinds {kinds:?}"),
    )?;

    let (status, log) = get(env, "management", "/api/audit")?;
    check(status == 200, format!("audit: {status}"))?;
    let subject = format!("incident/{id}");
    let entries: Vec<&Value> = log["entries"]
        .as_array()
        .ok_or("entries")?
        .iter()
        .filter(|e| e["subject"] == subject.as_str())
        .collect();
    check(
        entries.len() == 3,
        format!("3 audited changes for {subject}: {entries:?}"),
    )?;
    check(
        entries
            .iter()
            .all(|e| e["actor"] == "sam-sre" && e["at"].as_str().is_some()),
        "actor and time on each",
    )?;
    let (status, _) = get(env, "sre", "/api/audit")?;
    check(status == 403, "an SRE cannot read the audit log")?;
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
    ] {
        let (status, _) = send(env, method.clone(), "admin", "/api/audit", &json!({}))?;
        check(
            status == 404,
            format!("{method} /api/audit must not exist: {status}"),
        )?;
    }
    let tampered = env.worker.query("UPDATE audit_log SET actor = 'mallory'");
    check(
        tampered.is_err(),
        "the database must refuse to edit the audit log",
    )
}
