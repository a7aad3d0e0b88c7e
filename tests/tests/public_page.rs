//! The public status page's HTML, feeds and cache against the real worker:
//! markup stays text, Security incidents stay private, maintenance moves
//! components, and D1 failing still leaves the public the last page.

use crate::{check, post, Env, TestFn};
use beacon_e2e::header_text;
use libtest_mimic::Failed;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "public_page::markup_is_escaped_in_the_html_pages_and_feeds",
        markup_is_escaped_in_the_html_pages_and_feeds,
    ),
    (
        "public_page::security_incidents_reach_no_public_output",
        security_incidents_reach_no_public_output,
    ),
    (
        "public_page::maintenance_is_scheduled_started_and_completed",
        maintenance_is_scheduled_started_and_completed,
    ),
    (
        "public_page::status_is_served_from_the_last_copy_when_d1_fails",
        status_is_served_from_the_last_copy_when_d1_fails,
    ),
];

/// Every public output that is not an incident's own page.
pub const PUBLIC_PATHS: &[&str] = &[
    "/status",
    "/status/history",
    "/history.atom",
    "/history.rss",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
];

/// A public output's body, checked to answer 200 without a token.
pub fn public_text(env: &Env, path: &str) -> Result<String, Failed> {
    let response = env.http.get(env.worker.url(path)).send()?;
    let status = response.status();
    let text = response.text()?;
    check(status == 200, format!("{path}: {status} {text}"))?;
    Ok(text)
}

/// The id of the component for `category`, put on the page if it is not yet.
pub fn component_id(env: &Env, category: &str) -> Result<String, Failed> {
    let components: Value = serde_json::from_str(&public_text(env, "/api/v2/components.json")?)?;
    if let Some(found) = components["components"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == category))
    {
        return Ok(found["id"].as_str().ok_or("id")?.to_owned());
    }
    let (status, body) = post(
        env,
        "customer_support",
        "/api/status/components",
        &json!({"name": category}),
    )?;
    check(status == 201, format!("create {category}: {status} {body}"))?;
    Ok(body["id"].as_str().ok_or("id")?.to_owned())
}

/// SPEC M3: a public incident whose name and update carry markup appears as
/// text on `/status`, `/status/history`, its own page and in both feeds.
fn markup_is_escaped_in_the_html_pages_and_feeds(env: &Env) -> Result<(), Failed> {
    let api = component_id(env, "API")?;
    let name = "<script>alert(1)</script> API <b>errors</b> & \"quotes\"";
    let body = "Requests fail with <img src=x onerror=alert(2)> in the body";
    let (status, published) = post(
        env,
        "customer_support",
        "/api/status/incidents",
        &json!({"name": name, "body": body, "impact": "minor",
                "components": [{"id": api, "status": "degraded_performance"}]}),
    )?;
    check(status == 201, format!("publish: {status} {published}"))?;
    let id = published["incident"]["id"].as_str().ok_or("id")?.to_owned();
    let pages = [
        "/status".to_owned(),
        "/status/history".to_owned(),
        format!("/status/incidents/{id}"),
    ];
    for path in &pages {
        let html = public_text(env, path)?;
        check(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; API &lt;b&gt;errors&lt;/b&gt; &amp; &quot;quotes&quot;"),
            format!("{path} shows the name as text"),
        )?;
        check(
            html.contains("&lt;img src=x onerror=alert(2)&gt;"),
            format!("{path} shows the update as text"),
        )?;
        check(
            !html.contains("<script>alert")
                && !html.contains("<img src=x")
                && !html.contains("<b>errors"),
            format!("{path} has no markup from the incident: {html}"),
        )?;
    }
    for feed in ["/history.atom", "/history.rss"] {
        let xml = public_text(env, feed)?;
        check(
            xml.contains("&lt;script&gt;alert(1)&lt;/script&gt; API &lt;b&gt;errors&lt;/b&gt; &amp; &quot;quotes&quot;")
                || xml.contains("&lt;script&gt;alert(1)&lt;/script&gt; API &lt;b&gt;errors&lt;/b&gt; &amp; \"quotes\""),
            format!("{feed} carries the name as escaped text"),
        )?;
        check(
            xml.contains("&amp;lt;img src=x onerror=alert(2)&amp;gt;"),
            format!("{feed} carries the update as escaped HTML"),
        )?;
        check(
            !xml.contains("<script>") && !xml.contains("<img") && !xml.contains("<b>"),
            format!("{feed} has no markup from the incident: {xml}"),
        )?;
    }
    resolve_public_incident(
        env,
        "customer_support",
        &id,
        &json!({"status": "resolved", "body": "Fixed.", "components": [{"id": api, "status": "operational"}]}),
    )
}

/// SPEC K3: a Security incident's title and details reach no public output,
/// while customer support works on the page; customer support cannot publish
/// from it, and only a deliberate publication by management shows its own,
/// public wording.
fn security_incidents_reach_no_public_output(env: &Env) -> Result<(), Failed> {
    let title = "Credential stuffing against admin accounts from 203.0.113.7";
    let details = "attacker used leaked passwords list xq-7731";
    let (status, ticket) = post(
        env,
        "security",
        "/api/incidents",
        &json!({"title": title, "category": "Security", "priority": "P0"}),
    )?;
    check(status == 201, format!("security P0: {status} {ticket}"))?;
    let ticket_id = ticket["id"].as_i64().ok_or("ticket id")?;
    let (status, body) = post(
        env,
        "security",
        &format!("/api/incidents/{ticket_id}/timeline"),
        &json!({"kind": "work_log", "text": details}),
    )?;
    check(
        status == 201 || status == 200,
        format!("work log: {status} {body}"),
    )?;
    let (status, body) = post(
        env,
        "customer_support",
        "/api/status/incidents",
        &json!({"from_incident": ticket_id, "template": {"template": "identified"}}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "from_incident",
        format!("customer support cannot publish from a Security ticket: {status} {body}"),
    )?;
    let (status, body) = post(
        env,
        "customer_support",
        "/api/status/components",
        &json!({"name": "Security"}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "name",
        format!("Security is never a component: {status} {body}"),
    )?;
    let (status, published) = post(
        env,
        "management",
        "/api/status/incidents",
        &json!({"from_incident": ticket_id, "name": "Sign-in problems for some administrators",
                "body": "Some administrators cannot sign in. We are on it."}),
    )?;
    check(
        status == 201,
        format!("management may publish deliberately, in its own words: {status} {published}"),
    )?;
    let id = published["incident"]["id"].as_str().ok_or("id")?.to_owned();
    let mut paths: Vec<String> = PUBLIC_PATHS.iter().map(|p| (*p).to_owned()).collect();
    paths.push(format!("/status/incidents/{id}"));
    for path in &paths {
        let text = public_text(env, path)?;
        check(
            !text.contains("Credential stuffing")
                && !text.contains("203.0.113.7")
                && !text.contains("xq-7731"),
            format!("{path} shows nothing of the Security ticket"),
        )?;
    }
    check(
        public_text(env, "/status")?.contains("Sign-in problems for some administrators"),
        "the deliberate publication is on the page",
    )?;
    resolve_public_incident(
        env,
        "management",
        &id,
        &json!({"status": "resolved", "body": "Resolved."}),
    )
}

/// The seeded user of `role` resolves the public incident `id` with `update`.
fn resolve_public_incident(env: &Env, role: &str, id: &str, update: &Value) -> Result<(), Failed> {
    let (status, body) = post(
        env,
        role,
        &format!("/api/status/incidents/{id}/updates"),
        update,
    )?;
    check(status == 200, format!("resolve: {status} {body}"))
}

fn component_status(env: &Env, id: &str) -> Result<String, Failed> {
    let components: Value = serde_json::from_str(&public_text(env, "/api/v2/components.json")?)?;
    components["components"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == id))
        .and_then(|c| c["status"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("component {id} is not listed").into())
}

fn listed_ids(env: &Env, path: &str) -> Result<Vec<String>, Failed> {
    let list: Value = serde_json::from_str(&public_text(env, path)?)?;
    Ok(list["scheduled_maintenances"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// SPEC M5: customer support schedules maintenance with a window (previewed
/// first), starts it, which puts its component under maintenance, and
/// completes it, which makes it operational again; the upcoming and active
/// lists, the page and the feeds follow. A window that ends before it starts
/// and an unknown component are refused with their field named.
fn maintenance_is_scheduled_started_and_completed(env: &Env) -> Result<(), Failed> {
    let reporting = component_id(env, "Reporting")?;
    let path = "/api/status/maintenances";
    let (status, body) = post(
        env,
        "customer_support",
        path,
        &json!({"name": "Reporting database upgrade", "scheduled_for": "2031-01-02T03:00:00Z",
                "scheduled_until": "2031-01-02T01:00:00Z", "components": [reporting]}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "scheduled_until",
        format!("a window ending before it starts: {status} {body}"),
    )?;
    let (status, body) = post(
        env,
        "customer_support",
        path,
        &json!({"name": "Reporting database upgrade", "scheduled_for": "2031-01-02T01:00:00Z",
                "scheduled_until": "2031-01-02T03:00:00Z", "components": ["nosuchcomponent"]}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "components[0]",
        format!("an unknown component: {status} {body}"),
    )?;
    let (status, body) = post(
        env,
        "sre",
        path,
        &json!({"name": "x", "scheduled_for": "2031-01-02T01:00:00Z", "scheduled_until": "2031-01-02T03:00:00Z"}),
    )?;
    check(
        status == 403,
        format!("an SRE may not schedule: {status} {body}"),
    )?;

    let request = json!({"name": "Reporting database upgrade", "scheduled_for": "2031-01-02T01:00:00Z",
                         "scheduled_until": "2031-01-02T03:00:00Z", "components": [reporting]});
    let mut preview = request.clone();
    preview["preview"] = json!(true);
    let (status, previewed) = post(env, "customer_support", path, &preview)?;
    check(
        status == 200 && previewed["published"] == false,
        format!("preview: {status} {previewed}"),
    )?;
    let preview_id = previewed["scheduled_maintenance"]["id"]
        .as_str()
        .unwrap_or("");
    check(
        !listed_ids(env, "/api/v2/scheduled-maintenances.json")?.contains(&preview_id.to_owned()),
        "a preview publishes nothing",
    )?;
    let (status, scheduled) = post(env, "customer_support", path, &request)?;
    check(status == 201, format!("schedule: {status} {scheduled}"))?;
    let m = &scheduled["scheduled_maintenance"];
    let id = m["id"].as_str().ok_or("id")?.to_owned();
    check(
        m["status"] == "scheduled"
            && m["impact"] == "maintenance"
            && m["scheduled_for"] == "2031-01-02T01:00:00Z"
            && m["scheduled_until"] == "2031-01-02T03:00:00Z"
            && m["incident_updates"][0]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Reporting") && b.contains("2031-01-02 01:00 UTC")),
        format!("the maintenance template filled in: {m}"),
    )?;
    check(
        listed_ids(env, "/api/v2/scheduled-maintenances/upcoming.json")?.contains(&id),
        "upcoming lists it",
    )?;
    check(
        component_status(env, &reporting)? == "operational",
        "announcing changes no component",
    )?;
    check(
        public_text(env, "/status")?.contains("Reporting database upgrade"),
        "/status shows the planned work",
    )?;

    let updates = format!("/api/status/maintenances/{id}/updates");
    let (status, started) = post(
        env,
        "customer_support",
        &updates,
        &json!({"status": "in_progress"}),
    )?;
    check(status == 200, format!("start: {status} {started}"))?;
    check(
        component_status(env, &reporting)? == "under_maintenance",
        "in progress puts Reporting under maintenance",
    )?;
    check(
        listed_ids(env, "/api/v2/scheduled-maintenances/active.json")?.contains(&id),
        "active lists it",
    )?;
    let status_json: Value = serde_json::from_str(&public_text(env, "/api/v2/status.json")?)?;
    check(
        status_json["status"]["indicator"] != "none",
        format!("the page indicator shows the maintenance or worse: {status_json}"),
    )?;
    let (status, body) = post(
        env,
        "customer_support",
        &updates,
        &json!({"status": "scheduled"}),
    )?;
    check(
        status == 409,
        format!("maintenance never goes back: {status} {body}"),
    )?;
    let (status, completed) = post(
        env,
        "customer_support",
        &updates,
        &json!({"status": "completed", "body": "All done, reports are back."}),
    )?;
    check(status == 200, format!("complete: {status} {completed}"))?;
    check(
        component_status(env, &reporting)? == "operational",
        "completed makes Reporting operational again",
    )?;
    check(
        !listed_ids(env, "/api/v2/scheduled-maintenances/active.json")?.contains(&id)
            && !listed_ids(env, "/api/v2/scheduled-maintenances/upcoming.json")?.contains(&id),
        "a completed maintenance is neither active nor upcoming",
    )?;
    let atom = public_text(env, "/history.atom")?;
    check(
        atom.contains("Reporting database upgrade") && atom.contains("All done, reports are back."),
        "the feed carries the maintenance and its updates",
    )
}

/// SPEC M4: with D1 unreachable (the worker's test fault), `/status` and the
/// public JSON still answer 200 with the last published content, marked
/// stale; the API refuses writes (503) and nothing is stored; once D1 is back
/// the page is rendered from D1 again.
fn status_is_served_from_the_last_copy_when_d1_fails(env: &Env) -> Result<(), Failed> {
    let network = component_id(env, "Network")?;
    let (status, published) = post(
        env,
        "customer_support",
        "/api/status/incidents",
        &json!({"name": "Packet loss in Frankfurt", "body": "We see packet loss.",
                "components": [{"id": network, "status": "major_outage"}]}),
    )?;
    check(status == 201, format!("publish: {status} {published}"))?;
    let id = published["incident"]["id"].as_str().ok_or("id")?.to_owned();
    let faulty = |path: &str| -> Result<(u16, String, String), Failed> {
        let response = env
            .http
            .get(env.worker.url(path))
            .header("x-beacon-test-fault", "d1")
            .send()?;
        let status = response.status().as_u16();
        let cache = header_text(&response, "x-beacon-cache");
        Ok((status, cache, response.text()?))
    };
    let (status, cache, html) = faulty("/status")?;
    check(
        status == 200 && cache == "stale" && html.contains("Packet loss in Frankfurt"),
        format!("/status from the last copy: {status} {cache}"),
    )?;
    let (status, cache, summary) = faulty("/api/v2/summary.json")?;
    check(
        status == 200 && cache == "stale" && summary.contains("Packet loss in Frankfurt"),
        format!("summary.json from the last copy: {status} {cache}"),
    )?;
    let (status, _, page) = faulty(&format!("/status/incidents/{id}"))?;
    check(
        status == 200 && page.contains("We see packet loss."),
        format!("the incident's page from the last copy: {status}"),
    )?;
    let response = env
        .http
        .post(
            env.worker
                .url(&format!("/api/status/incidents/{id}/updates")),
        )
        .bearer_auth(env.worker.token("customer_support"))
        .header("x-beacon-test-fault", "d1")
        .json(&json!({"status": "resolved", "body": "Written while D1 is down"}))
        .send()?;
    check(
        response.status() == 503,
        format!("a write with D1 down: {}", response.status()),
    )?;
    let response = env.http.get(env.worker.url("/status")).send()?;
    let cache = header_text(&response, "x-beacon-cache");
    let html = response.text()?;
    check(
        cache == "miss" && !html.contains("Written while D1 is down"),
        format!("D1 back: rendered from D1 ({cache}), and nothing was stored"),
    )?;
    resolve_public_incident(
        env,
        "customer_support",
        &id,
        &json!({"status": "resolved", "body": "Resolved.", "components": [{"id": network, "status": "operational"}]}),
    )
}
