//! The public status page's JSON against the real worker: components managed by
//! customer support, served at Statuspage's paths with its field names and values.

use crate::public_page::component_id;
use crate::{check, get_text, post, send, Env, TestFn};
use libtest_mimic::Failed;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "statuspage_wire::components_are_managed_by_csup_and_served_like_statuspage",
        components_are_managed_by_csup_and_served_like_statuspage,
    ),
    (
        "statuspage_wire::csup_publishes_an_incident_from_a_p1_ticket_with_templates",
        csup_publishes_an_incident_from_a_p1_ticket_with_templates,
    ),
];

fn public(env: &Env, path: &str) -> Result<Value, Failed> {
    let response = env.http.get(env.worker.url(path)).send()?;
    check(
        response.status() == 200,
        format!("{path}: {}", response.status()),
    )?;
    check(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_some_and(|v| v == "*"),
        format!("{path} is readable from any origin"),
    )?;
    Ok(response.json()?)
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// SPEC K1, M1, M3, K3: customer support puts categories on the page as
/// components and sets their status; an SRE may not, Security is never a
/// component, and a category appears once. The public `/api/v2/components.json`,
/// `status.json` and `summary.json` answer without a token, with Statuspage's
/// field names (the documented example's keys, field by field) and values.
fn components_are_managed_by_csup_and_served_like_statuspage(env: &Env) -> Result<(), Failed> {
    let path = "/api/status/components";
    let (status, body) = post(env, "sre", path, &json!({"name": "Payments"}))?;
    check(
        status == 403,
        format!("an SRE may not publish: {status} {body}"),
    )?;
    let (status, body) = post(env, "customer_support", path, &json!({"name": "Security"}))?;
    check(
        status == 422 && body["error"]["field"] == "name",
        format!("Security is never a public component (K3): {status} {body}"),
    )?;
    let (status, payments) = post(
        env,
        "customer_support",
        path,
        &json!({"name": "Payments", "description": "Card and invoice payments", "position": 2}),
    )?;
    check(
        status == 201,
        format!("create Payments: {status} {payments}"),
    )?;
    let (status, web) = post(
        env,
        "customer_support",
        path,
        &json!({"name": "Web application", "position": 1}),
    )?;
    check(
        status == 201,
        format!("create Web application: {status} {web}"),
    )?;
    let (status, body) = post(env, "customer_support", path, &json!({"name": "Payments"}))?;
    check(
        status == 409,
        format!("a category appears once: {status} {body}"),
    )?;

    let before = public(env, "/api/v2/status.json")?;
    check(
        before["status"]["indicator"] == "none"
            && before["status"]["description"] == "All Systems Operational",
        format!("all operational: {before}"),
    )?;
    let id = payments["id"].as_str().ok_or("id")?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "customer_support",
        &format!("{path}/{id}/status"),
        &json!({"status": "partial_outage"}),
    )?;
    check(
        status == 200 && body["status"] == "partial_outage",
        format!("set status: {status} {body}"),
    )?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "customer_support",
        &format!("{path}/{id}/status"),
        &json!({"status": "broken"}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "status",
        format!("unknown status refused: {status} {body}"),
    )?;

    let components = public(env, "/api/v2/components.json")?;
    check(
        keys(&components) == ["components", "page"]
            && keys(&components["page"]) == ["id", "name", "time_zone", "updated_at", "url"],
        format!("components.json has Statuspage's top-level shape: {components}"),
    )?;
    let list = components["components"].as_array().ok_or("components")?;
    let statuspage_component_keys = [
        "created_at",
        "description",
        "group",
        "group_id",
        "id",
        "name",
        "only_show_if_degraded",
        "page_id",
        "position",
        "showcase",
        "start_date",
        "status",
        "updated_at",
    ];
    for component in list {
        check(
            keys(component) == statuspage_component_keys,
            format!("a component has exactly Statuspage's fields: {component}"),
        )?;
    }
    let shown = list
        .iter()
        .find(|c| c["id"] == id)
        .ok_or("Payments listed")?;
    check(
        shown["name"] == "Payments"
            && shown["status"] == "partial_outage"
            && shown["page_id"] == "beacon"
            && shown["group"] == false
            && shown["group_id"].is_null()
            && shown["description"] == "Card and invoice payments",
        format!("Payments as Statuspage shows it: {shown}"),
    )?;
    let status = public(env, "/api/v2/status.json")?;
    check(
        status["status"]["indicator"] == "minor"
            && status["status"]["description"] == "Minor Service Outage",
        format!("a partial outage makes the page minor: {status}"),
    )?;
    let summary = public(env, "/api/v2/summary.json")?;
    check(
        keys(&summary)
            == [
                "components",
                "incidents",
                "page",
                "scheduled_maintenances",
                "status",
            ]
            && summary["status"] == status["status"],
        format!("summary.json has Statuspage's parts: {summary}"),
    )?;
    Ok(())
}

/// The entry `id` of the array `key` in `list`, if there is one.
fn listed(list: &Value, key: &str, id: &str) -> Option<Value> {
    list[key]
        .as_array()
        .and_then(|l| l.iter().find(|i| i["id"] == id))
        .cloned()
}

/// The component `id` as the public `/api/v2/components.json` lists it.
fn public_component(env: &Env, id: &str) -> Result<Option<Value>, Failed> {
    Ok(listed(
        &public(env, "/api/v2/components.json")?,
        "components",
        id,
    ))
}

/// The incident `id` as the public `path` lists it.
fn public_incident(env: &Env, path: &str, id: &str) -> Result<Option<Value>, Failed> {
    Ok(listed(&public(env, path)?, "incidents", id))
}

/// SPEC M1, M2, M3, K3: customer support publishes a public incident from a P1
/// ticket: previewed first (nothing published), then opened from the
/// "investigating" template with Payments in partial outage, updated twice and
/// resolved with Payments operational again. The public JSON shows each step
/// with Statuspage's fields; statuses never go back; every update is a
/// customer update on the internal ticket; an SRE may not publish, and customer
/// support cannot publish from a Security ticket it may not see.
fn csup_publishes_an_incident_from_a_p1_ticket_with_templates(env: &Env) -> Result<(), Failed> {
    let payments = component_id(env, "Payments")?;
    let (status, ticket) = post(
        env,
        "sre",
        "/api/incidents",
        &json!({"title": "Card payments <script>alert(1)</script> declined", "category": "Payments", "priority": "P1"}),
    )?;
    check(status == 201, format!("internal P1: {status} {ticket}"))?;
    let ticket_id = ticket["id"].as_i64().ok_or("ticket id")?;
    let open = json!({
        "from_incident": ticket_id,
        "template": {"template": "investigating", "since": "2026-11-23T03:12:00Z"},
        "components": [{"id": payments, "status": "partial_outage"}],
    });
    let mut preview_request = open.clone();
    preview_request["preview"] = json!(true);
    let (status, preview) = post(
        env,
        "customer_support",
        "/api/status/incidents",
        &preview_request,
    )?;
    check(
        status == 200 && preview["published"] == false,
        format!("preview: {status} {preview}"),
    )?;
    let previewed = &preview["incident"];
    check(
        previewed["name"] == "Card payments <script>alert(1)</script> declined"
            && previewed["impact"] == "major"
            && previewed["status"] == "investigating"
            && previewed["incident_updates"][0]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Payments") && b.contains("03:12")),
        format!("the template filled in, the P1's impact: {previewed}"),
    )?;
    check(
        public_incident(
            env,
            "/api/v2/incidents.json",
            previewed["id"].as_str().unwrap_or(""),
        )?
        .is_none(),
        "a preview publishes nothing",
    )?;

    let (status, body) = post(env, "sre", "/api/status/incidents", &open)?;
    check(
        status == 403,
        format!("an SRE may not publish: {status} {body}"),
    )?;
    let (status, published) = post(env, "customer_support", "/api/status/incidents", &open)?;
    check(
        status == 201 && published["published"] == true,
        format!("publish: {status} {published}"),
    )?;
    let id = published["incident"]["id"]
        .as_str()
        .ok_or("public id")?
        .to_owned();
    let unresolved = public(env, "/api/v2/incidents/unresolved.json")?;
    let shown = listed(&unresolved, "incidents", &id)
        .ok_or(format!("unresolved lists it: {unresolved}"))?;
    check(
        keys(&shown)
            == [
                "components",
                "created_at",
                "id",
                "impact",
                "incident_updates",
                "monitoring_at",
                "name",
                "page_id",
                "postmortem_body",
                "postmortem_body_last_updated_at",
                "postmortem_published_at",
                "resolved_at",
                "shortlink",
                "started_at",
                "status",
                "updated_at",
            ],
        format!("an incident has Statuspage's fields: {shown}"),
    )?;
    let status_json = public(env, "/api/v2/status.json")?;
    check(
        status_json["status"]["indicator"] == "major",
        format!("a major incident: {status_json}"),
    )?;
    check(
        public_component(env, &payments)?.is_some_and(|c| c["status"] == "partial_outage"),
        "Payments is in partial outage",
    )?;

    let updates = [
        json!({"status": "identified", "body": "A certificate expired at our card processor; it is being replaced."}),
        json!({"status": "monitoring", "template": {"template": "monitoring", "fixed_at": "2026-11-23T04:02:00Z"}, "components": [{"id": payments, "status": "degraded_performance"}]}),
        json!({"status": "resolved", "template": {"template": "resolved", "resolved_at": "2026-11-23T04:30:00Z"}, "components": [{"id": payments, "status": "operational"}]}),
    ];
    for update in &updates {
        let (status, body) = post(
            env,
            "customer_support",
            &format!("/api/status/incidents/{id}/updates"),
            update,
        )?;
        check(status == 200, format!("update {update}: {status} {body}"))?;
        let shown = public_incident(env, "/api/v2/incidents.json", &id)?.ok_or("listed")?;
        check(
            shown["status"] == update["status"],
            format!("the public status follows: {shown}"),
        )?;
    }
    let (status, body) = post(
        env,
        "customer_support",
        &format!("/api/status/incidents/{id}/updates"),
        &json!({"status": "investigating", "body": "back again"}),
    )?;
    check(
        status == 409 && body["error"]["field"] == "status",
        format!("no going back: {status} {body}"),
    )?;
    let resolved = public_incident(env, "/api/v2/incidents.json", &id)?.ok_or("listed")?;
    check(
        resolved["incident_updates"].as_array().map(Vec::len) == Some(4)
            && !resolved["resolved_at"].is_null()
            && !resolved["monitoring_at"].is_null(),
        format!("four timestamped updates, resolved: {resolved}"),
    )?;
    check(
        public_incident(env, "/api/v2/incidents/unresolved.json", &id)?.is_none(),
        "no longer unresolved",
    )?;
    check(
        public_component(env, &payments)?.is_some_and(|c| c["status"] == "operational"),
        "Payments is operational again",
    )?;
    let (_, detail) = send(
        env,
        reqwest::Method::GET,
        "sre",
        &format!("/api/incidents/{ticket_id}"),
        &json!(null),
    )?;
    let customer_updates = detail["timeline"]
        .as_array()
        .map(|t| t.iter().filter(|e| e["kind"] == "customer_update").count())
        .unwrap_or(0);
    check(
        customer_updates == 4,
        format!("each update is a customer update on the ticket (M1): {detail}"),
    )?;

    let (status, secret) = post(
        env,
        "security",
        "/api/incidents",
        &json!({"title": "token leak in partner API", "category": "Security", "priority": "P1"}),
    )?;
    check(status == 201, format!("security ticket: {status} {secret}"))?;
    let (status, body) = post(
        env,
        "customer_support",
        "/api/status/incidents",
        &json!({"from_incident": secret["id"], "body": "x"}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "from_incident",
        format!("customer support cannot publish from a Security ticket (K3): {status} {body}"),
    )?;
    let everything = get_text(env, "/api/v2/summary.json")?;
    check(
        !everything.contains("token leak"),
        "no Security detail in the public JSON",
    )?;
    Ok(())
}
