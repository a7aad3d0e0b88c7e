//! Problem management against the real worker: a resolved P0 from an
//! Alertmanager delivery opens its problem, its fix is verified, the same
//! fingerprint fires again and management is paged through the sweep; refused
//! changes store nothing; Security problems stay with cleared readers.

use crate::ingest::integration;
use crate::{check, get, post, send, Env, TestFn};
use beacon_e2e::receiver::WebhookReceiver;
use libtest_mimic::Failed;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "problems::a_recurrence_after_a_verified_fix_reopens_the_problem_and_pages_management",
        a_recurrence_after_a_verified_fix_reopens_the_problem_and_pages_management,
    ),
    (
        "problems::refused_changes_store_nothing",
        refused_changes_store_nothing,
    ),
    (
        "problems::security_problems_are_missing_for_readers_without_clearance",
        security_problems_are_missing_for_readers_without_clearance,
    ),
    (
        "problems::rca_vendor_rca_and_links_are_stored_with_the_problem",
        rca_vendor_rca_and_links_are_stored_with_the_problem,
    ),
    (
        "problems::an_overdue_item_reminds_its_owner_then_notifies_management",
        an_overdue_item_reminds_its_owner_then_notifies_management,
    ),
];

const MINUTE_MS: i64 = 60_000;

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

const FINGERPRINT: &str = "0ddba11c0ffee001";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// An Alertmanager notification about the recurrence test's alert.
fn notification(status: &str, severity: &str, summary: &str) -> Value {
    json!({
        "receiver": "beacon", "status": status, "version": "4",
        "groupKey": "{}:{alertname=\"LedgerWritesFailing\"}", "truncatedAlerts": 0,
        "groupLabels": {"alertname": "LedgerWritesFailing"},
        "commonLabels": {"alertname": "LedgerWritesFailing", "severity": severity},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": status,
            "labels": {"alertname": "LedgerWritesFailing", "severity": severity, "job": "ledger-e2e", "instance": "ledger-7.example.com:9100"},
            "annotations": {"summary": summary},
            "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": FINGERPRINT
        }]
    })
}

pub(crate) fn deliver(env: &Env, secret: &str, body: &Value) -> Result<(), Failed> {
    let response = env
        .http
        .post(env.worker.url("/api/webhooks/alertmanager"))
        .bearer_auth(secret)
        .json(body)
        .send()?;
    let status = response.status().as_u16();
    let text = response.text()?;
    check(status == 200, format!("delivery: {status} {text}"))
}

/// The id of the newest incident titled `title`.
pub(crate) fn incident_titled(env: &Env, title: &str) -> Result<i64, Failed> {
    let (_, list) = get(env, "admin", "/api/incidents")?;
    list["incidents"]
        .as_array()
        .ok_or("incident list")?
        .iter()
        .filter(|i| i["title"] == title)
        .filter_map(|i| i["id"].as_i64())
        .max()
        .ok_or_else(|| format!("no incident titled {title}: {list}").into())
}

/// `POST path` as `role`, which must answer `expected`; returns the body.
pub(crate) fn post_ok(
    env: &Env,
    role: &str,
    path: &str,
    body: Value,
    expected: u16,
) -> Result<Value, Failed> {
    let (status, answer) = post(env, role, path, &body)?;
    check(
        status == expected,
        format!("POST {path}: {status} {answer}"),
    )?;
    Ok(answer)
}

/// A count read straight from D1.
fn count(env: &Env, table: &str) -> Result<i64, Failed> {
    let rows = env
        .worker
        .query(&format!("SELECT count(*) AS n FROM {table}"))?;
    rows[0]["n"]
        .as_i64()
        .ok_or_else(|| format!("count of {table}: {rows}").into())
}

/// SPEC R3, R6, V8: a P0 opened by an Alertmanager delivery is resolved and a
/// problem opens by itself; a remediation item is verified with evidence and
/// the problem resolved; the same fingerprint fires again; the new incident
/// is linked to the problem when it is created, raised to P0, the problem
/// reopens, and the management channel receives the page after a sweep.
fn a_recurrence_after_a_verified_fix_reopens_the_problem_and_pages_management(
    env: &Env,
) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    let (status, channel) = post(
        env,
        "admin",
        "/api/notification-channels",
        &json!({"owner_kind": "management", "format": "generic", "url": receiver.url("/management-problems")}),
    )?;
    check(
        status == 201,
        format!("management channel: {status} {channel}"),
    )?;
    let secret = integration(env, "am-recurrence", "alertmanager")?;

    deliver(
        env,
        &secret,
        &notification("firing", "critical", "Ledger writes failing"),
    )?;
    let first = incident_titled(env, "Ledger writes failing")?;
    let (_, detail) = get(env, "sre", &format!("/api/incidents/{first}"))?;
    check(
        detail["incident"]["priority"] == "P0",
        format!("the alert opens a P0: {detail}"),
    )?;
    let path = format!("/api/incidents/{first}/transitions");
    post_ok(env, "sre", &path, json!({"action": "start_triage"}), 200)?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        &format!("/api/incidents/{first}/category"),
        &json!({"category": "Payments", "labels": []}),
    )?;
    check(status == 200, format!("category: {status} {body}"))?;
    post_ok(
        env,
        "sre",
        &path,
        json!({"action": "classify_as_problem", "priority": "P0"}),
        200,
    )?;
    post_ok(env, "sre", &path, json!({"action": "resolve"}), 200)?;

    // The problem opened by itself.
    let (_, list) = get(env, "sre", "/api/problems")?;
    let problem = list["problems"]
        .as_array()
        .ok_or("problem list")?
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .find(|id| {
            get(env, "sre", &format!("/api/problems/{id}")).is_ok_and(|(_, p)| {
                p["problem"]["origin"]["resolved_high_priority"]["incident"] == first
            })
        })
        .ok_or_else(|| format!("no problem opened for incident {first}: {list}"))?;
    let problem_path = format!("/api/problems/{problem}");
    let (_, opened) = get(env, "sre", &problem_path)?;
    check(
        opened["problem"]["status"] == "new"
            && opened["problem"]["priority"] == "P0"
            && opened["problem"]["incidents"][0]["incident"] == first
            && opened["problem"]["signatures"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["alert_key"]["dedup_key"] == FINGERPRINT)),
        format!("the opened problem: {opened}"),
    )?;

    // The fix: one item verified with evidence, the problem resolved.
    let with_item = post_ok(
        env,
        "sre",
        &format!("{problem_path}/remediation"),
        json!({"title": "Retry ledger writes with backoff", "kind": "prevent",
               "owner": {"person": {"name": "sam-sre"}}, "due_at": "2030-01-01T00:00:00Z"}),
        201,
    )?;
    let item = with_item["remediation"][0]["item"]["id"]
        .as_i64()
        .ok_or("item id")?;
    for body in [
        json!({"action": "start"}),
        json!({"action": "complete"}),
        json!({"action": "verify", "evidence": {"link": "https://ci.example/chaos/41"}}),
    ] {
        post_ok(
            env,
            "sre",
            &format!("/api/remediation/{item}/transitions"),
            body,
            200,
        )?;
    }
    for body in [
        json!({"action": "start_investigating"}),
        json!({"action": "start_fix"}),
        json!({"action": "resolve", "verification": {"text": "chaos test dropped the ledger twice, no failed writes"}}),
    ] {
        post_ok(
            env,
            "sre",
            &format!("{problem_path}/transitions"),
            body,
            200,
        )?;
    }
    let (_, resolved) = get(env, "sre", &problem_path)?;
    check(
        resolved["problem"]["status"] == "resolved" && resolved["fix"] == "verified",
        format!("the fix is verified: {resolved}"),
    )?;

    // The alert clears, then the same fingerprint fires again, as a warning.
    deliver(
        env,
        &secret,
        &notification("resolved", "critical", "Ledger writes failing"),
    )?;
    deliver(
        env,
        &secret,
        &notification("firing", "warning", "Ledger writes failing again"),
    )?;
    let again = incident_titled(env, "Ledger writes failing again")?;
    check(again != first, "a new incident")?;
    let (_, detail) = get(env, "sre", &format!("/api/incidents/{again}"))?;
    let kinds = crate::timeline_kinds(&detail)?;
    check(
        detail["incident"]["priority"] == "P0"
            && detail["recurrence"]["problem"] == problem
            && detail["recurrence"]["fix_ineffective"] == true
            && detail["recurrence"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with(&format!("recurrence of problem #{problem}, fix:")))
            && kinds.contains(&"recurrence_of_problem")
            && kinds.contains(&"problem_reopened"),
        format!("the recurrence, raised and linked: {detail}"),
    )?;
    let (_, reopened) = get(env, "sre", &problem_path)?;
    check(
        reopened["problem"]["status"] == "investigating"
            && reopened["problem"]["ineffective_fixes"][0]["recurrence"] == again
            && reopened["problem"]["incidents"]
                .as_array()
                .is_some_and(|l| {
                    l.iter()
                        .any(|l| l["incident"] == again && l["reason"] == "recurrence")
                }),
        format!("the problem reopened: {reopened}"),
    )?;

    // The next sweep delivers management's page.
    env.worker.run_scheduled(now_ms())?;
    let pages: Vec<Value> = receiver
        .settled(|r| r.path == "/management-problems" && r.json()["event"] == "recurrence")
        .into_iter()
        .map(|r| r.json())
        .collect();
    check(
        pages.len() == 1
            && pages[0]["problem"]["id"] == problem
            && pages[0]["incident"]["id"] == again
            && pages[0]["summary"]
                .as_str()
                .is_some_and(|s| s.contains("did not hold")),
        format!("management paged once: {pages:?}"),
    )?;
    Ok(())
}

/// SPEC V7, V8: wont_do by anyone but management is 403, an invalid RCA is
/// 422 naming the field, and neither stores anything.
fn refused_changes_store_nothing(env: &Env) -> Result<(), Failed> {
    let created = post_ok(
        env,
        "sre",
        "/api/problems",
        json!({"title": "Nightly export times out", "priority": "P2",
               "origin": {"report_row": {"report": "repeat cases", "row": "nightly export"}}}),
        201,
    )?;
    let problem = created["problem"]["id"].as_i64().ok_or("problem id")?;
    let with_item = post_ok(
        env,
        "sre",
        &format!("/api/problems/{problem}/remediation"),
        json!({"title": "Split the export", "kind": "mitigate",
               "owner": {"person": {"name": "sam-sre"}}, "due_at": "2030-01-01T00:00:00Z"}),
        201,
    )?;
    let item = with_item["remediation"][0]["item"]["id"]
        .as_i64()
        .ok_or("item id")?;
    let tables = ["audit_log", "problems", "problem_rcas", "remediation_items"];
    let before: Vec<i64> = tables
        .iter()
        .map(|t| count(env, t))
        .collect::<Result<_, _>>()?;
    let item_before = env.worker.query(&format!(
        "SELECT status, body FROM remediation_items WHERE id = {item}"
    ))?;

    let (status, body) = post(
        env,
        "sre",
        &format!("/api/remediation/{item}/transitions"),
        &json!({"action": "decline", "reason": "the export is being rewritten"}),
    )?;
    check(status == 403, format!("wont_do by an SRE: {status} {body}"))?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        &format!("/api/problems/{problem}/rca"),
        &json!({"root_causes": [
            {"id": 1, "summary": "Export query scans the whole table", "class": "software_defect"},
            {"id": 1, "summary": "Table grew tenfold", "class": "capacity"}
        ]}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "root_causes[1].id",
        format!("invalid RCA: {status} {body}"),
    )?;

    let after: Vec<i64> = tables
        .iter()
        .map(|t| count(env, t))
        .collect::<Result<_, _>>()?;
    check(
        before == after,
        format!("rows of {tables:?} before {before:?}, after {after:?}"),
    )?;
    let item_after = env.worker.query(&format!(
        "SELECT status, body FROM remediation_items WHERE id = {item}"
    ))?;
    check(
        item_before == item_after && item_after[0]["status"] == "open",
        format!("the item is unchanged: {item_after}"),
    )?;

    // Management may decline, with its reason.
    let declined = post_ok(
        env,
        "management",
        &format!("/api/remediation/{item}/transitions"),
        json!({"action": "decline", "reason": "the export is being rewritten"}),
        200,
    )?;
    check(
        declined["item"]["status"] == "wont_do",
        format!("declined by management: {declined}"),
    )
}

/// SPEC K3: a Security problem is 404 by id and absent from the list for an
/// SRE, and visible to security and management.
fn security_problems_are_missing_for_readers_without_clearance(env: &Env) -> Result<(), Failed> {
    let created = post_ok(
        env,
        "security",
        "/api/problems",
        json!({"title": "Session tokens logged by the proxy", "priority": "P1", "category": "Security",
               "origin": {"report_row": {"report": "audit findings", "row": "proxy logs"}}}),
        201,
    )?;
    let id = created["problem"]["id"].as_i64().ok_or("problem id")?;
    let path = format!("/api/problems/{id}");
    let (status, body) = get(env, "sre", &path)?;
    let (_, missing) = get(env, "sre", "/api/problems/999999")?;
    check(
        status == 404 && body == missing,
        format!("an SRE gets the answer for a missing problem: {status} {body} vs {missing}"),
    )?;
    let listed = |role: &str| -> Result<bool, Failed> {
        let (_, list) = get(env, role, "/api/problems")?;
        Ok(list["problems"]
            .as_array()
            .ok_or("problem list")?
            .iter()
            .any(|p| p["id"] == id))
    };
    check(!listed("sre")?, "absent from an SRE's list")?;
    for role in ["security", "management"] {
        let (status, body) = get(env, role, &path)?;
        check(
            status == 200 && body["problem"]["title"] == "Session tokens logged by the proxy",
            format!("{role} sees it: {status} {body}"),
        )?;
        check(listed(role)?, format!("in {role}'s list"))?;
    }
    Ok(())
}

/// SPEC V8 (done when 4): with the limits set to remind an hour ahead, an
/// open remediation item reminds its owner's channel an hour before its due
/// instant and notifies management's channel once it has passed, each once,
/// through the cron sweep with the test clock moved forward.
fn an_overdue_item_reminds_its_owner_then_notifies_management(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    for (owner_kind, owner, path) in [
        ("person", Some("sam-sre"), "/sam"),
        ("management", None, "/management"),
    ] {
        let (status, body) = post(
            env,
            "admin",
            "/api/notification-channels",
            &json!({"owner_kind": owner_kind, "owner": owner, "format": "generic", "url": receiver.url(path)}),
        )?;
        check(status == 201, format!("channel: {status} {body}"))?;
    }
    let hourly = json!({"remind_before": 60});
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "management",
        "/api/post-incident/config",
        &json!({"p0": {"report_draft": 4320, "review": 10080, "remind_before": 60},
                "p1": hourly, "p2": hourly, "p3": hourly}),
    )?;
    check(
        status == 200,
        format!("post-incident limits: {status} {body}"),
    )?;

    let incident = post_ok(
        env,
        "sre",
        "/api/incidents",
        json!({"title": "Invoice PDFs render blank", "facts": {}}),
        201,
    )?;
    let incident = incident["id"].as_i64().ok_or("incident id")?;
    let problem = post_ok(
        env,
        "sre",
        "/api/problems",
        json!({"title": "Invoice PDFs render blank", "origin": {"from_incident": {"incident": incident}}}),
        201,
    )?;
    let problem = problem["problem"]["id"].as_i64().ok_or("problem id")?;
    let start = now_ms();
    let due = start + 3 * 60 * MINUTE_MS;
    let with_item = post_ok(
        env,
        "sre",
        &format!("/api/problems/{problem}/remediation"),
        json!({"title": "Pin the PDF renderer version", "kind": "prevent",
               "owner": {"person": {"name": "sam-sre"}}, "due_at": iso(due)}),
        201,
    )?;
    let item = with_item["remediation"][0]["item"]["id"]
        .as_i64()
        .ok_or("item id")?;
    let about = |path: &str, event: &str| -> Vec<Value> {
        receiver
            .settled(|r| {
                let body = r.json();
                r.path == path && body["event"] == event && body["item"] == item
            })
            .into_iter()
            .map(|r| r.json())
            .collect()
    };

    env.worker.run_scheduled(due - 61 * MINUTE_MS)?;
    check(
        about("/sam", "post_incident_reminder").is_empty(),
        "no reminder before the configured hour",
    )?;
    env.worker.run_scheduled(due - 59 * MINUTE_MS)?;
    env.worker.run_scheduled(due - 30 * MINUTE_MS)?;
    let reminders = about("/sam", "post_incident_reminder");
    check(
        reminders.len() == 1
            && reminders[0]["problem"]["id"] == problem
            && reminders[0]["summary"]
                .as_str()
                .is_some_and(|s| s.contains("Pin the PDF renderer version")),
        format!("one reminder to the owner: {reminders:?}"),
    )?;
    check(
        about("/management", "post_incident_missed").is_empty(),
        "management hears nothing before the due instant",
    )?;
    env.worker.run_scheduled(due + MINUTE_MS)?;
    env.worker.run_scheduled(due + 2 * MINUTE_MS)?;
    let missed = about("/management", "post_incident_missed");
    check(
        missed.len() == 1 && missed[0]["problem"]["id"] == problem,
        format!("management notified once: {missed:?}"),
    )?;
    check(
        about("/sam", "post_incident_reminder").len() == 1,
        "still one reminder",
    )?;
    env.worker.run_scheduled(now_ms())?;
    Ok(())
}

/// SPEC V7, R4, R3: the RCA, a vendor's RCA with its vendor-owned items and
/// an incident linked by hand are stored with the problem, each change with
/// its audit record, and the linked incident's timeline says so.
fn rca_vendor_rca_and_links_are_stored_with_the_problem(env: &Env) -> Result<(), Failed> {
    let created = post_ok(
        env,
        "sre",
        "/api/problems",
        json!({"title": "CDN drops EU traffic", "priority": "P2",
               "origin": {"report_row": {"report": "repeat cases", "row": "cdn eu"}}}),
        201,
    )?;
    let problem = created["problem"]["id"].as_i64().ok_or("problem id")?;
    let path = format!("/api/problems/{problem}");
    let audits = count(env, "audit_log")?;
    let rca = json!({
        "root_causes": [{"id": 1, "summary": "A BGP filter withdrew our prefixes", "class": "dependency_or_vendor",
                         "evidence": ["https://status.cdn.example/incidents/77"]}],
        "contributing_factors": [{"id": 2, "summary": "No second CDN", "class": "process"}],
        "trigger": "the vendor's filter change", "detection": "synthetic checks after 3 minutes",
        "resolution": "the vendor rolled back", "went_well": ["fast detection"],
        "went_wrong": ["no failover"], "lucky": ["low traffic hour"]
    });
    let (status, stored) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        &format!("{path}/rca"),
        &rca,
    )?;
    check(
        status == 200
            && stored["root_causes"] == rca["root_causes"]
            && stored["contributing_factors"][0]["class"] == "process"
            && stored["trigger"] == rca["trigger"]
            && stored["lucky"] == rca["lucky"],
        format!("RCA: {status} {stored}"),
    )?;
    let with_vendor = post_ok(
        env,
        "sre",
        &format!("{path}/vendor-rcas"),
        json!({"vendor": "Acme CDN", "received_at": iso(now_ms() - 60 * MINUTE_MS),
               "document": {"link": "https://status.cdn.example/rca/77"},
               "stated_root_cause": "A BGP filter update withdrew customer prefixes",
               "pending_remediations": [{"title": "Two-person review of filter changes", "kind": "process",
                                         "contact": "Bob at Acme", "due_at": "2030-01-01T00:00:00Z"}]}),
        201,
    )?;
    let vendor = &with_vendor["vendor_rcas"][0];
    check(
        vendor["rca"]["vendor"] == "Acme CDN"
            && vendor["items"][0]["item"]["owner"]["vendor"]["contact"] == "Bob at Acme"
            && vendor["items"][0]["item"]["vendor_rca"] == vendor["rca"]["id"]
            && with_vendor["remediation"]
                .as_array()
                .is_some_and(Vec::is_empty),
        format!("the vendor RCA and its item: {with_vendor}"),
    )?;
    let incident = post_ok(
        env,
        "sre",
        "/api/incidents",
        json!({"title": "EU users see timeouts", "facts": {"system": "cdn-edge", "hostname": "edge-eu-1.example.net"}}),
        201,
    )?;
    let incident = incident["id"].as_i64().ok_or("incident id")?;
    let linked = post_ok(
        env,
        "sre",
        &format!("{path}/incidents"),
        json!({"incident": incident}),
        200,
    )?;
    check(
        linked["problem"]["incidents"][0]["incident"] == incident
            && linked["problem"]["incidents"][0]["reason"] == "manual"
            && linked["problem"]["signatures"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|s| s["system_host"]["host"] == "edge-eu-1.example.net")
            }),
        format!("the link and its signature: {linked}"),
    )?;
    let (_, detail) = get(env, "sre", &format!("/api/incidents/{incident}"))?;
    check(
        crate::timeline_kinds(&detail)?.contains(&"linked_to_problem"),
        format!("the incident's timeline: {detail}"),
    )?;
    let (_, read) = get(env, "sre", &path)?;
    check(
        read["rca"] == stored && read["vendor_rcas"] == with_vendor["vendor_rcas"],
        format!("read back: {read}"),
    )?;
    check(
        // The RCA, the vendor RCA, the incident's creation and the link.
        count(env, "audit_log")? == audits + 4,
        "one audit record per change",
    )
}
