//! Trust: who may do what, links that cannot be replayed, bodies that cannot
//! outgrow their limit, and the headers every page carries.

use crate::{check, get, json_of, post, Env, TestFn};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "trust::only_the_submitter_confirms_the_closing",
        only_the_submitter_confirms_the_closing,
    ),
    (
        "trust::revoked_expired_and_disabled_access_stops_at_once",
        revoked_expired_and_disabled_access_stops_at_once,
    ),
    (
        "trust::unknown_public_incident_ids_are_answered_from_kv",
        unknown_public_incident_ids_are_answered_from_kv,
    ),
    (
        "trust::the_app_and_every_page_carry_security_headers",
        the_app_and_every_page_carry_security_headers,
    ),
    (
        "trust::integration_secrets_rotate_and_integrations_and_channels_are_disabled",
        integration_secrets_rotate_and_integrations_and_channels_are_disabled,
    ),
];

/// SPEC I3: an admin rotates an integration's secret: with no overlap the
/// old one is refused at once; with one, a generic sender's old key still
/// verifies while the new one already does. A disabled integration's
/// senders are refused (401), and a disabled channel is marked in D1. Each
/// step is in the audit log, without a secret.
fn integration_secrets_rotate_and_integrations_and_channels_are_disabled(
    env: &Env,
) -> Result<(), Failed> {
    use crate::ingest::{generic_key, integration, notification, post_notification};
    use crate::secrets_at_rest::signed_delivery;
    let old = integration(env, "rotating-am", "alertmanager")?;
    let firing = notification("firing", "407a7e0000000001");
    check(
        post_notification(env, &old, &firing)? == 200,
        "before rotation",
    )?;
    let (status, rotated) = post(
        env,
        "admin",
        "/api/integrations/rotating-am/rotate",
        &json!({"overlap_minutes": 0}),
    )?;
    check(status == 200, format!("rotate: {status} {rotated}"))?;
    let new = rotated["secret"].as_str().ok_or("secret")?.to_owned();
    check(
        new != old && post_notification(env, &new, &firing)? == 200,
        "the new secret works at once",
    )?;
    check(
        post_notification(env, &old, &firing)? == 401,
        "with no overlap the old secret is refused at once",
    )?;

    let old_generic = integration(env, "rotating-generic", "generic")?;
    let (status, rotated) = post(
        env,
        "admin",
        "/api/integrations/rotating-generic/rotate",
        &json!({}),
    )?;
    check(status == 200, format!("rotate generic: {status} {rotated}"))?;
    let new_generic = rotated["secret"].as_str().ok_or("secret")?.to_owned();
    for (which, secret) in [("old", &old_generic), ("new", &new_generic)] {
        check(
            signed_delivery(
                env,
                "rotating-generic",
                &generic_key(secret),
                &format!("rotation/{which}"),
            )? == 200,
            format!("the {which} key verifies during the day's overlap"),
        )?;
    }

    let (status, body) = post(
        env,
        "sre",
        "/api/integrations/rotating-am/disable",
        &json!({}),
    )?;
    check(status == 403, format!("an SRE disables: {status} {body}"))?;
    let (status, body) = post(
        env,
        "admin",
        "/api/integrations/rotating-am/disable",
        &json!({}),
    )?;
    check(status == 200, format!("disable: {status} {body}"))?;
    check(
        post_notification(env, &new, &firing)? == 401,
        "a disabled integration's sender is refused",
    )?;
    let (status, _) = post(
        env,
        "admin",
        "/api/integrations/rotating-am/rotate",
        &json!({}),
    )?;
    check(
        status == 404,
        format!("a disabled integration is not rotated: {status}"),
    )?;

    let (status, channel) = post(
        env,
        "admin",
        "/api/notification-channels",
        &json!({"owner_kind": "team", "owner": "rotation", "format": "generic",
                "url": "https://hooks.example/rotation"}),
    )?;
    check(status == 201, format!("channel: {status} {channel}"))?;
    let id = channel["id"].as_i64().ok_or("channel id")?;
    let path = format!("/api/notification-channels/{id}/disable");
    let (status, body) = post(env, "admin", &path, &json!({}))?;
    check(status == 200, format!("disable channel: {status} {body}"))?;
    let (status, _) = post(env, "admin", &path, &json!({}))?;
    check(
        status == 404,
        format!("a channel is disabled once: {status}"),
    )?;
    let (status, listed) = get(env, "admin", "/api/notification-channels")?;
    check(
        status == 200
            && !listed.to_string().contains("hooks.example/rotation")
            && listed["channels"]
                .as_array()
                .is_some_and(|list| list.iter().all(|c| c["id"] != id)),
        format!("the channel list leaves out the disabled one and every URL: {status} {listed}"),
    )?;
    let rows = env
        .worker
        .query(&format!(
            "SELECT disabled_at FROM notification_channels WHERE id = {id}"
        ))
        .map_err(|e| e.to_string())?;
    check(
        rows[0]["disabled_at"].as_i64().is_some(),
        format!("the channel is disabled in D1: {rows}"),
    )?;

    let (status, audit) = crate::get(env, "admin", "/api/audit")?;
    check(status == 200, format!("audit: {status}"))?;
    let text = audit.to_string();
    for action in [
        "integration.rotate",
        "integration.disable",
        "notification_channel.disable",
    ] {
        check(text.contains(action), format!("the audit log has {action}"))?;
    }
    for secret in [&old, &new, &old_generic, &new_generic] {
        check(
            !text.contains(secret.as_str()),
            "no secret in the audit log",
        )?;
    }
    Ok(())
}

/// SPEC I4, M4: the app (its shell on any route, its scripts) and the
/// server-rendered pages carry a strict Content-Security-Policy that forbids
/// framing, plus `nosniff` and no referrer. The app allows only its own
/// script files and its wasm, nothing inline; every browser test runs the app
/// under this policy.
fn the_app_and_every_page_carry_security_headers(env: &Env) -> Result<(), Failed> {
    for (path, app) in [
        ("/", true),
        ("/incidents/1", true),
        ("/reports", true),
        ("/status", false),
        ("/status/history", false),
    ] {
        let response = env.http.get(env.worker.url(path)).send()?;
        let policy = beacon_e2e::header_text(&response, "content-security-policy");
        let nosniff = beacon_e2e::header_text(&response, "x-content-type-options");
        let referrer = beacon_e2e::header_text(&response, "referrer-policy");
        check(
            response.status() == 200
                && policy.contains("frame-ancestors 'none'")
                && nosniff == "nosniff"
                && referrer == "no-referrer",
            format!(
                "{path}: {} csp={policy:?} nosniff={nosniff:?} referrer={referrer:?}",
                response.status()
            ),
        )?;
        if app {
            let scripts = policy
                .split(';')
                .map(str::trim)
                .find(|directive| directive.starts_with("script-src "))
                .unwrap_or("");
            check(
                scripts == "script-src 'self' 'wasm-unsafe-eval'",
                format!("{path}: the app's scripts: {policy}"),
            )?;
        } else {
            check(
                policy.starts_with("default-src 'none'"),
                format!("{path}: a page without scripts: {policy}"),
            )?;
        }
    }
    Ok(())
}

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

/// `GET /api/me` with `token`: its status.
fn me_with(env: &Env, token: &str) -> Result<u16, Failed> {
    Ok(env
        .http
        .get(env.worker.url("/api/me"))
        .bearer_auth(token)
        .send()?
        .status()
        .as_u16())
}

/// SPEC I3: an admin issues tokens (90 days by default), lists them with
/// their last use and never the token, revokes one and disables a person;
/// each stops the token at the next request and is audited. An expired
/// token is refused. Only admins may; a refusal stores nothing.
fn revoked_expired_and_disabled_access_stops_at_once(env: &Env) -> Result<(), Failed> {
    let (status, person) = post(
        env,
        "admin",
        "/api/users",
        &json!({"name": "temp-contractor", "role": "sre"}),
    )?;
    check(status == 201, format!("create user: {status} {person}"))?;
    let user = person["id"].as_i64().ok_or("id")?;
    let issue = |label: &str| -> Result<(String, serde_json::Value), Failed> {
        let (status, body) = post(
            env,
            "admin",
            &format!("/api/users/{user}/tokens"),
            &json!({"label": label}),
        )?;
        check(status == 201, format!("issue: {status} {body}"))?;
        Ok((body["token"].as_str().ok_or("token")?.to_owned(), body))
    };
    let (laptop, issued) = issue("laptop")?;
    let (phone, _) = issue("phone")?;
    let (old, _) = issue("old")?;
    let expires =
        chrono::DateTime::parse_from_rfc3339(issued["expires_at"].as_str().ok_or("expires_at")?)?;
    let days = (expires.timestamp()
        - (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs() as i64))
        / 86_400;
    check(
        (89..=90).contains(&days),
        format!("90 days by default: {issued}"),
    )?;
    for token in [&laptop, &phone, &old] {
        check(me_with(env, token)? == 200, "a fresh token works")?;
    }

    let (status, list) = get(env, "admin", "/api/users")?;
    check(status == 200, format!("list: {status}"))?;
    check(
        !list.to_string().contains(&laptop),
        "the list never shows a token",
    )?;
    let tokens = list["people"]
        .as_array()
        .ok_or("people")?
        .iter()
        .find(|p| p["id"] == user)
        .ok_or("the new person is listed")?["tokens"]
        .clone();
    let token_id = |label: &str| -> Result<i64, Failed> {
        tokens
            .as_array()
            .and_then(|t| t.iter().find(|t| t["label"] == label))
            .and_then(|t| t["id"].as_i64())
            .ok_or_else(|| format!("token {label} in {tokens}").into())
    };
    check(
        tokens.as_array().is_some_and(|t| {
            t.iter()
                .all(|t| t["last_used_at"].is_string() && t["status"] == "active")
        }),
        format!("each token's last use is listed: {tokens}"),
    )?;

    let audits = row_count(env, "audit_log")?;
    let (status, _) = get(env, "incident_commander", "/api/users")?;
    check(status == 403, format!("only admins list people: {status}"))?;
    for path in [
        format!("/api/tokens/{}/revoke", token_id("laptop")?),
        format!("/api/users/{user}/disable"),
    ] {
        let (status, body) = post(env, "management", &path, &json!({}))?;
        check(
            status == 403,
            format!("{path} by management: {status} {body}"),
        )?;
    }
    check(
        row_count(env, "audit_log")? == audits,
        "refusals store nothing",
    )?;

    let (status, body) = post(
        env,
        "admin",
        &format!("/api/tokens/{}/revoke", token_id("laptop")?),
        &json!({}),
    )?;
    check(status == 200, format!("revoke: {status} {body}"))?;
    check(
        me_with(env, &laptop)? == 401,
        "a revoked token stops at once",
    )?;
    check(
        me_with(env, &phone)? == 200,
        "the person's other tokens still work",
    )?;

    env.worker
        .query(&format!(
            "UPDATE api_tokens SET expires_at = 1000 WHERE id = {}",
            token_id("old")?
        ))
        .map_err(|e| e.to_string())?;
    check(me_with(env, &old)? == 401, "an expired token is refused")?;

    let (status, body) = post(
        env,
        "admin",
        &format!("/api/users/{user}/disable"),
        &json!({}),
    )?;
    check(status == 200, format!("disable: {status} {body}"))?;
    check(
        me_with(env, &phone)? == 401,
        "a disabled person's tokens all stop at once",
    )?;
    let write = env
        .http
        .post(env.worker.url("/api/incidents"))
        .bearer_auth(&phone)
        .json(&json!({"title": "should not be stored"}))
        .send()?;
    let (status, _) = json_of(write)?;
    check(
        status == 401,
        format!("a disabled person cannot write: {status}"),
    )?;

    let (_, log) = get(env, "admin", "/api/audit")?;
    let actions: Vec<String> = log["entries"]
        .as_array()
        .ok_or("entries")?
        .iter()
        .take(2)
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap_or(""),
                e["subject"].as_str().unwrap_or("")
            )
        })
        .collect();
    check(
        actions
            == [
                format!("user.disable user/{user}"),
                format!("token.revoke token/{}", token_id("laptop")?),
            ],
        format!("both changes are audited: {actions:?}"),
    )?;
    Ok(())
}

/// SPEC M4, I4: an unknown public incident id is answered 404, then from KV
/// alone for a minute: with D1 unreachable for the request the same id is
/// still 404, while an id never asked for has nothing to serve (503).
fn unknown_public_incident_ids_are_answered_from_kv(env: &Env) -> Result<(), Failed> {
    let status_of = |path: &str, fault: bool| -> Result<u16, Failed> {
        let mut request = env.http.get(env.worker.url(path));
        if fault {
            request = request.header("x-beacon-test-fault", "d1");
        }
        Ok(request.send()?.status().as_u16())
    };
    let unknown = "/status/incidents/no-such-public-incident";
    check(status_of(unknown, false)? == 404, "an unknown id is 404")?;
    let status = status_of(unknown, true)?;
    check(
        status == 404,
        format!("the second answer comes from KV, not D1: {status}"),
    )?;
    let status = status_of("/status/incidents/never-asked-for", true)?;
    check(
        status == 503,
        format!("without D1 an id never asked for has no answer: {status}"),
    )
}
