//! Credentials at rest: what D1 and the audit log keep of a PagerDuty
//! delivery's routing key, a notification channel's webhook URL and secret,
//! the acknowledgement-link key and a generic integration's signing key, and
//! how the cron seals what was stored in clear before sealing existed.

use crate::{check, get, post, Env, TestFn};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "secrets_at_rest::routing_keys_and_webhook_urls_stay_out_of_stored_bodies_and_the_audit_log",
        routing_keys_and_webhook_urls_stay_out_of_stored_bodies_and_the_audit_log,
    ),
    (
        "secrets_at_rest::credentials_are_sealed_and_rows_from_before_are_sealed_by_the_cron",
        credentials_are_sealed_and_rows_from_before_are_sealed_by_the_cron,
    ),
];

const SEALED: &str = "sealed:v1:";

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

/// Whether every value in `values` is sealed (and there is at least one).
fn all_sealed(values: &[&serde_json::Value]) -> bool {
    !values.is_empty()
        && values
            .iter()
            .all(|v| v.as_str().is_some_and(|s| s.starts_with(SEALED)))
}

/// A generic delivery to `integration` signed with `key`: its status.
pub(crate) fn signed_delivery(
    env: &Env,
    integration: &str,
    key: &str,
    dedup: &str,
) -> Result<u16, Failed> {
    let body = json!({"alerts": [{
        "dedup_key": dedup, "action": "trigger", "summary": "Sealed key check",
        "severity": "warning", "source": "vault-1"
    }]})
    .to_string();
    let now = crate::ingest::unix_seconds_now().to_string();
    Ok(env
        .http
        .post(
            env.worker
                .url(&format!("/api/webhooks/generic/{integration}")),
        )
        .header("content-type", "application/json")
        .header("X-Beacon-Timestamp", &now)
        .header(
            "X-Beacon-Signature",
            crate::ingest::generic_signature(key, &now, &body),
        )
        .body(body)
        .send()?
        .status()
        .as_u16())
}

/// SPEC I3: a channel's URL and secret, the acknowledgement-link key and a
/// generic integration's signing key are stored sealed, so a copy of D1
/// holds none of them, and what D1 does hold in clear cannot sign a
/// delivery. Rows stored in clear before sealing existed (written here with
/// SQL, as migration 0022 found them) are sealed by the next cron run and
/// keep working: the legacy sender's deliveries still verify.
fn credentials_are_sealed_and_rows_from_before_are_sealed_by_the_cron(
    env: &Env,
) -> Result<(), Failed> {
    // Made through the API: sealed from the start.
    let url = "https://hooks.slack.example/services/T0SEAL/B0SEAL/fr3shPathToken";
    let (status, channel) = post(
        env,
        "admin",
        "/api/notification-channels",
        &json!({"owner_kind": "team", "owner": "sealed-new", "format": "slack", "url": url}),
    )?;
    check(status == 201, format!("channel: {status} {channel}"))?;
    let channel_secret = channel["secret"].as_str().ok_or("secret")?.to_owned();
    let secret = crate::ingest::integration(env, "sealed-generic", "generic")?;
    let key = crate::ingest::generic_key(&secret);

    // Stored in clear, as rows from before migration 0022 were.
    let legacy_secret = "bki_legacy_generic_secret_from_before_sealing";
    let legacy_key = crate::ingest::generic_key(legacy_secret);
    for sql in [
        "INSERT INTO notification_channels (owner_kind, owner, format, url, secret, created_at) \
         VALUES ('team', 'sealed-legacy', 'slack', \
         'https://hooks.slack.example/services/T0OLD/B0OLD/l3gacyPathToken', 'l3gacyChannelSecret', 0)"
            .to_owned(),
        "INSERT INTO users (name, role, created_at, disabled_at) \
         VALUES ('integration:legacy-generic', 'viewer', 0, 0)"
            .to_owned(),
        format!(
            "INSERT INTO integrations (name, format, owner_group, secret_hash, user_id, created_at) \
             SELECT 'legacy-generic', 'generic', 'web', '{legacy_key}', max(id), 0 FROM users"
        ),
        "INSERT OR IGNORE INTO settings (name, value) \
         VALUES ('ack_link_key', 'a11ce0ffee00000000000000000000000000000000000000000000000000beef')"
            .to_owned(),
    ] {
        env.worker.query(&sql).map_err(|e| e.to_string())?;
    }
    check(
        signed_delivery(env, "legacy-generic", &legacy_key, "sealed/legacy-before")? == 200,
        "a row from before sealing verifies as it did until the cron seals it",
    )?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    env.worker
        .run_scheduled(now_ms)
        .map_err(|e| e.to_string())?;

    let channels = env
        .worker
        .query(
            "SELECT url, secret FROM notification_channels \
             WHERE owner IN ('sealed-new', 'sealed-legacy')",
        )
        .map_err(|e| e.to_string())?;
    let rows = channels.as_array().ok_or("channel rows")?;
    let values: Vec<&serde_json::Value> = rows
        .iter()
        .flat_map(|r| [&r["url"], &r["secret"]])
        .collect();
    check(
        rows.len() == 2 && all_sealed(&values),
        format!("both channels sealed: {channels}"),
    )?;
    let links = env
        .worker
        .query("SELECT value FROM settings WHERE name = 'ack_link_key'")
        .map_err(|e| e.to_string())?;
    check(
        all_sealed(&[&links[0]["value"]]),
        format!("the acknowledgement-link key is sealed: {links}"),
    )?;
    let integrations = env
        .worker
        .query(
            "SELECT name, secret_hash, signing_key FROM integrations \
             WHERE name IN ('sealed-generic', 'legacy-generic') ORDER BY name",
        )
        .map_err(|e| e.to_string())?;
    let rows = integrations.as_array().ok_or("integration rows")?;
    check(
        rows.len() == 2 && all_sealed(&rows.iter().map(|r| &r["signing_key"]).collect::<Vec<_>>()),
        format!("both signing keys sealed: {integrations}"),
    )?;
    let everything = [
        dump(env, "SELECT * FROM notification_channels")?,
        dump(env, "SELECT * FROM integrations")?,
        dump(env, "SELECT * FROM settings")?,
        dump(env, "SELECT action, subject, before, after FROM audit_log")?,
    ]
    .concat();
    for credential in [
        "fr3shPathToken",
        "l3gacyPathToken",
        "l3gacyChannelSecret",
        "a11ce0ffee",
        channel_secret.as_str(),
        secret.as_str(),
        key.as_str(),
        legacy_key.as_str(),
    ] {
        check(
            !everything.contains(credential),
            format!("D1 holds the credential {credential} in clear"),
        )?;
    }

    // The senders still sign as before; what a copy of D1 holds does not sign.
    check(
        signed_delivery(env, "sealed-generic", &key, "sealed/new")? == 200,
        "the new integration's sender",
    )?;
    check(
        signed_delivery(env, "legacy-generic", &legacy_key, "sealed/legacy-after")? == 200,
        "the legacy integration's sender after sealing",
    )?;
    for row in rows {
        let name = row["name"].as_str().ok_or("name")?;
        let stored = row["secret_hash"].as_str().ok_or("secret_hash")?;
        check(
            signed_delivery(env, name, stored, &format!("sealed/forged-{name}"))? == 401,
            format!("a delivery signed with {name}'s stored hash is refused"),
        )?;
    }
    Ok(())
}
