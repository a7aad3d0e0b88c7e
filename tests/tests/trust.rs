//! Trust: who may do what, links that cannot be replayed, bodies that cannot
//! outgrow their limit, and the headers every page carries.

use crate::{check, get, post, Env, TestFn};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[(
    "trust::only_the_submitter_confirms_the_closing",
    only_the_submitter_confirms_the_closing,
)];

/// How many rows `table` holds.
fn row_count(env: &Env, table: &str) -> Result<u64, Failed> {
    let rows = env
        .worker
        .query(&format!("SELECT count(*) AS n FROM {table}"))
        .map_err(|e| e.to_string())?;
    Ok(rows[0]["n"].as_u64().ok_or("count missing")?)
}

/// SPEC E3, I3: a resolved incident submitted by the SRE cannot be closed as
/// "the submitter confirmed" by anyone else (403, nothing stored); the
/// incident commander closes it only with a recorded override and its reason.
fn only_the_submitter_confirms_the_closing(env: &Env) -> Result<(), Failed> {
    let new = json!({"title": "Search slow", "category": "API", "facts": {"measurements": {"site_wide_degradation": true}}});
    let (status, created) = post(env, "sre", "/api/incidents", &new)?;
    check(status == 201, format!("create: {status} {created}"))?;
    let id = created["id"].as_i64().ok_or("id")?;
    let path = format!("/api/incidents/{id}/transitions");
    for step in [
        json!({"action": "classify_as_problem", "priority": "P1"}),
        json!({"action": "resolve"}),
    ] {
        let (status, body) = post(env, "sre", &path, &step)?;
        check(status == 200, format!("{step}: {status} {body}"))?;
    }
    let confirmed = json!({"action": "close", "confirmation": {"kind": "submitter_confirmed"}});
    let (audits, entries) = (
        row_count(env, "audit_log")?,
        row_count(env, "timeline_entries")?,
    );
    for role in ["incident_commander", "customer_support", "management"] {
        let (status, body) = post(env, role, &path, &confirmed)?;
        check(
            status == 403
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("submitter")),
            format!("{role}'s \"submitter confirmed\" must be 403: {status} {body}"),
        )?;
    }
    let overridden = json!({"action": "close", "confirmation": {"kind": "commander_override", "reason": "submitter on leave"}});
    let (status, body) = post(env, "sre", &path, &overridden)?;
    check(
        status == 403,
        format!("an SRE's override must be 403: {status} {body}"),
    )?;
    check(
        (
            row_count(env, "audit_log")?,
            row_count(env, "timeline_entries")?,
        ) == (audits, entries),
        "a refused close stored something",
    )?;
    let (_, detail) = get(env, "sre", &format!("/api/incidents/{id}"))?;
    check(
        detail["incident"]["status"] == "resolved",
        format!("still resolved: {detail}"),
    )?;
    let (status, body) = post(env, "incident_commander", &path, &overridden)?;
    check(
        status == 200 && body["incident"]["status"] == "closed",
        format!("the commander's override: {status} {body}"),
    )?;
    let last = &body["timeline"]
        .as_array()
        .ok_or("timeline")?
        .last()
        .cloned()
        .unwrap_or_default();
    check(
        last.to_string().contains("submitter on leave"),
        format!("the override's reason is recorded: {last}"),
    )?;

    // A second incident: its submitter's own confirmation closes it.
    let (_, created) = post(env, "sre", "/api/incidents", &new)?;
    let id = created["id"].as_i64().ok_or("id")?;
    let path = format!("/api/incidents/{id}/transitions");
    for step in [
        json!({"action": "classify_as_problem", "priority": "P1"}),
        json!({"action": "resolve"}),
        confirmed,
    ] {
        let (status, body) = post(env, "sre", &path, &step)?;
        check(status == 200, format!("{step}: {status} {body}"))?;
    }
    Ok(())
}
