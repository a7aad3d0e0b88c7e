//! The public status page's JSON against the real worker: components managed by
//! customer support, served at Statuspage's paths with its field names and values.

use crate::{Env, TestFn};
use libtest_mimic::Failed;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[(
    "public_status::components_are_managed_by_csup_and_served_like_statuspage",
    components_are_managed_by_csup_and_served_like_statuspage,
)];

fn check(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

fn send(
    env: &Env,
    method: reqwest::Method,
    role: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), Failed> {
    let response = env
        .http
        .request(method, env.worker.url(path))
        .bearer_auth(env.worker.token(role))
        .json(body)
        .send()?;
    let status = response.status().as_u16();
    Ok((status, response.json().unwrap_or_default()))
}

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
    let (status, body) = send(
        env,
        reqwest::Method::POST,
        "sre",
        path,
        &json!({"name": "Payments"}),
    )?;
    check(
        status == 403,
        format!("an SRE may not publish: {status} {body}"),
    )?;
    let (status, body) = send(
        env,
        reqwest::Method::POST,
        "customer_support",
        path,
        &json!({"name": "Security"}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "name",
        format!("Security is never a public component (K3): {status} {body}"),
    )?;
    let (status, payments) = send(
        env,
        reqwest::Method::POST,
        "customer_support",
        path,
        &json!({"name": "Payments", "description": "Card and invoice payments", "position": 2}),
    )?;
    check(
        status == 201,
        format!("create Payments: {status} {payments}"),
    )?;
    let (status, web) = send(
        env,
        reqwest::Method::POST,
        "customer_support",
        path,
        &json!({"name": "Web application", "position": 1}),
    )?;
    check(
        status == 201,
        format!("create Web application: {status} {web}"),
    )?;
    let (status, body) = send(
        env,
        reqwest::Method::POST,
        "customer_support",
        path,
        &json!({"name": "Payments"}),
    )?;
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
