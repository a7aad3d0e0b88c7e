//! Credentials at rest: what D1 and the audit log keep of a PagerDuty
//! delivery's routing key and a notification channel's webhook URL.

use crate::{check, get, post, Env, TestFn};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[(
    "secrets_at_rest::routing_keys_and_webhook_urls_stay_out_of_stored_bodies_and_the_audit_log",
    routing_keys_and_webhook_urls_stay_out_of_stored_bodies_and_the_audit_log,
)];

/// Every row of `sql`'s answer as one text, to search for a credential.
fn dump(env: &Env, sql: &str) -> Result<String, Failed> {
    Ok(env
        .worker
        .query(sql)
        .map_err(|e| e.to_string())?
        .to_string())
}

/// SPEC I3: after a PagerDuty delivery, D1's stored delivery holds the
/// event without its routing key (the integration's secret); after a Slack
/// channel is created, neither D1's audit log nor `GET /api/audit` holds the
/// webhook URL (the credential) or the channel's secret, only its host.
fn routing_keys_and_webhook_urls_stay_out_of_stored_bodies_and_the_audit_log(
    env: &Env,
) -> Result<(), Failed> {
    let key = crate::ingest::integration(env, "pd-at-rest", "pagerduty")?;
    let event = json!({
        "routing_key": key, "event_action": "trigger", "dedup_key": "at-rest/1",
        "payload": {"summary": "Queue backlog at rest", "source": "mq-1", "severity": "warning"}
    });
    let (status, body) = crate::ingest::enqueue(env, &event)?;
    check(status == 202, format!("enqueue: {status} {body}"))?;
    let stored = dump(
        env,
        "SELECT e.body FROM alert_events e JOIN integrations i ON i.id = e.integration_id \
         WHERE i.name = 'pd-at-rest'",
    )?;
    check(
        stored.contains("Queue backlog at rest") && !stored.contains(&key),
        format!("the stored delivery: {stored}"),
    )?;
    check(
        !stored.contains("routing_key"),
        format!("no routing key stored: {stored}"),
    )?;

    let slack_path = "/services/T0AT/B0REST/s3cr3tPathToken";
    let url = format!("https://hooks.slack.example{slack_path}");
    let (status, channel) = post(
        env,
        "admin",
        "/api/notification-channels",
        &json!({"owner_kind": "team", "owner": "at-rest", "format": "slack", "url": url}),
    )?;
    check(status == 201, format!("channel: {status} {channel}"))?;
    let secret = channel["secret"].as_str().ok_or("secret")?.to_owned();
    let audit_rows = dump(env, "SELECT action, subject, before, after FROM audit_log")?;
    let (status, audit) = get(env, "admin", "/api/audit")?;
    check(status == 200, format!("audit: {status}"))?;
    let audit = audit.to_string();
    for (what, text) in [("D1's audit_log", &audit_rows), ("GET /api/audit", &audit)] {
        check(
            !text.contains("s3cr3tPathToken") && !text.contains(&secret) && !text.contains(&key),
            format!("{what} holds a credential: {text}"),
        )?;
    }
    check(
        audit.contains("https://hooks.slack.example/[redacted]"),
        format!("the audit log names the channel's host: {audit}"),
    )?;
    Ok(())
}
