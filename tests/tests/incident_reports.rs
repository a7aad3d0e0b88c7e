//! Incident reports against the real worker: a resolved P0's problem gets
//! its RCA and remediation items, the report is drafted, reviewed, approved
//! by management and published as the public incident's postmortem on its
//! page, in `incidents.json` and in both feeds; an edit voids the approval
//! while the public outputs keep the approved text; refusals store nothing;
//! a Security problem's report stays with cleared readers.

use crate::public_page::public_text;
use crate::{check, get, post, send, Env, TestFn};
use libtest_mimic::Failed;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "incident_reports::an_approved_report_becomes_the_public_postmortem",
        an_approved_report_becomes_the_public_postmortem,
    ),
    (
        "incident_reports::a_security_report_is_missing_for_an_sre_and_never_public",
        a_security_report_is_missing_for_an_sre_and_never_public,
    ),
];

/// `method path` as `role`, which must answer `expected`; returns the body.
fn expect(
    env: &Env,
    method: reqwest::Method,
    role: &str,
    path: &str,
    body: Value,
    expected: u16,
) -> Result<Value, Failed> {
    let (status, answer) = send(env, method.clone(), role, path, &body)?;
    check(
        status == expected,
        format!("{method} {path} as {role}: {status} {answer}"),
    )?;
    Ok(answer)
}

/// `POST path` with no body (the report composed from the ticket).
fn post_empty(env: &Env, role: &str, path: &str) -> Result<(u16, Value), Failed> {
    crate::json_of(
        env.http
            .post(env.worker.url(path))
            .bearer_auth(env.worker.token(role))
            .send()?,
    )
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

/// What a refusal must leave alone: the row counts and the stored report.
fn snapshot(env: &Env, problem: i64) -> Result<(Vec<i64>, Value), Failed> {
    let counts = [
        "audit_log",
        "incident_reports",
        "post_incident_reviews",
        "remediation_items",
    ]
    .iter()
    .map(|t| count(env, t))
    .collect::<Result<_, _>>()?;
    let rows = env.worker.query(&format!(
        "SELECT status, revision, body FROM incident_reports WHERE problem_id = {problem}"
    ))?;
    Ok((counts, rows))
}

/// Creates a P0 as `role` in `category`, publishes it on the status page as
/// `publisher` (if any) and resolves it; the public incident's id and the
/// problem Beacon opened.
fn resolved_p0(
    env: &Env,
    role: &str,
    title: &str,
    category: &str,
    publisher: Option<(&str, &str)>,
) -> Result<(Option<String>, i64), Failed> {
    let (status, ticket) = post(
        env,
        role,
        "/api/incidents",
        &json!({"title": title, "category": category,
                "facts": {"measurements": {"major_function_lost": true}}}),
    )?;
    check(status == 201, format!("P0: {status} {ticket}"))?;
    let ticket = ticket["id"].as_i64().ok_or("ticket id")?;
    let path = format!("/api/incidents/{ticket}/transitions");
    expect(
        env,
        reqwest::Method::POST,
        role,
        &path,
        json!({"action": "classify_as_problem", "priority": "P0"}),
        200,
    )?;
    let public = match publisher {
        Some((who, name)) => {
            let published = expect(
                env,
                reqwest::Method::POST,
                who,
                "/api/status/incidents",
                json!({"from_incident": ticket, "name": name,
                       "body": "We are looking into it."}),
                201,
            )?;
            Some(
                published["incident"]["id"]
                    .as_str()
                    .ok_or("public id")?
                    .to_owned(),
            )
        }
        None => None,
    };
    expect(
        env,
        reqwest::Method::POST,
        role,
        &path,
        json!({"action": "resolve"}),
        200,
    )?;
    let rows = env.worker.query(&format!(
        "SELECT problem_id FROM problem_incidents WHERE incident_id = {ticket}"
    ))?;
    let problem = rows[0]["problem_id"]
        .as_i64()
        .ok_or_else(|| format!("no problem opened for {ticket}: {rows}"))?;
    Ok((public, problem))
}

const ROOT_CAUSE: &str = "The ledger connection pool was too small for the month-end peak";

/// SPEC V5, V6, R1, R2, R5: a resolved P0's problem with an RCA and two
/// remediation items (one a vendor's) gets its report drafted from the
/// ticket, reviewed, approved by management after acknowledging a tone
/// warning and published: the public incident's page, `incidents.json` and
/// both feeds show the postmortem. Publishing an unapproved report (409), a
/// commitment without a remediation item (422 naming the section) and an SRE
/// approving (403) store nothing. An edit voids the approval and the public
/// outputs keep the approved text.
fn an_approved_report_becomes_the_public_postmortem(env: &Env) -> Result<(), Failed> {
    let (public, problem) = resolved_p0(
        env,
        "sre",
        "Ledger writes fail at month end",
        "Payments",
        Some(("customer_support", "Payments are failing")),
    )?;
    let public = public.ok_or("public incident")?;
    let base = format!("/api/problems/{problem}");
    let post_ = reqwest::Method::POST;
    let put = reqwest::Method::PUT;
    expect(
        env,
        put.clone(),
        "sre",
        &format!("{base}/rca"),
        json!({"root_causes": [{"id": 1, "summary": ROOT_CAUSE, "class": "capacity"}],
               "contributing_factors": [],
               "resolution": "The pool was doubled and the ledger restarted"}),
        200,
    )?;
    expect(
        env,
        post_.clone(),
        "sre",
        &format!("{base}/remediation"),
        json!({"title": "Alert on pool saturation", "kind": "detect",
               "owner": {"person": {"name": "sam-sre"}}, "due_at": "2030-01-01T00:00:00Z"}),
        201,
    )?;
    expect(
        env,
        post_.clone(),
        "sre",
        &format!("{base}/vendor-rcas"),
        json!({"vendor": "Acme DB", "received_at": "2026-11-20T12:00:00Z",
               "document": {"link": "https://acme.example/rca/9"},
               "stated_root_cause": "A firmware bug dropped connections",
               "pending_remediations": [{"title": "Firmware 2.1 rollout", "kind": "prevent",
                                         "contact": "Bob", "due_at": "2030-02-01T00:00:00Z"}]}),
        201,
    )?;

    let report_path = format!("{base}/report");
    let (status, drafted) = post_empty(env, "sre", &report_path)?;
    check(status == 201, format!("draft: {status} {drafted}"))?;
    let mut content = drafted["report"]["report"]["content"].clone();
    let sections = content["sections"].as_array().ok_or("sections")?;
    let plan = sections
        .iter()
        .position(|s| s["title"] == "What we are doing about it")
        .ok_or_else(|| format!("no remediation plan: {content}"))?;
    check(
        sections[plan]["commitments"].as_array().map(Vec::len) == Some(2)
            && drafted["report"]["customer_preview"]
                .to_string()
                .contains(ROOT_CAUSE),
        format!("the draft is composed from the ticket: {drafted}"),
    )?;

    // A customer-visible commitment without a remediation item: 422 naming
    // the section's field, nothing stored.
    let before = snapshot(env, problem)?;
    let mut bad = content.clone();
    bad["sections"][plan]["commitments"]
        .as_array_mut()
        .ok_or("commitments")?
        .push(json!({"text": "We will never let this happen again"}));
    let (status, body) = send(
        env,
        put.clone(),
        "sre",
        &report_path,
        &json!({"content": bad}),
    )?;
    check(
        status == 422
            && body["error"]["field"]
                == format!("sections[{plan}].commitments[2].remediation_item"),
        format!("commitment without an item: {status} {body}"),
    )?;
    check(
        snapshot(env, problem)? == before,
        "the refused edit stored nothing",
    )?;

    // A blaming sentence in a customer-visible section, then the reviews.
    content["sections"]
        .as_array_mut()
        .ok_or("sections")?
        .push(json!({"id": 90, "title": "What happened", "customer_visible": true,
                     "content": {"free": {"text": "Human error in the pool settings took the ledger down."}}}));
    expect(
        env,
        put.clone(),
        "sre",
        &report_path,
        json!({"content": content}),
        200,
    )?;
    for action in [
        "submit_for_engineering_review",
        "submit_for_management_review",
    ] {
        expect(
            env,
            post_.clone(),
            "sre",
            &format!("{report_path}/transitions"),
            json!({"action": action}),
            200,
        )?;
    }
    let (_, view) = get(env, "management", &report_path)?;
    let version = view["report"]["report"]["version"].clone();
    let warnings: Vec<Value> = view["report"]["tone_warnings"]
        .as_array()
        .ok_or("tone warnings")?
        .iter()
        .map(|w| w["id"].clone())
        .collect();
    check(
        !warnings.is_empty(),
        format!("the tone check warns: {view}"),
    )?;
    let approval = json!({"version": version,
        "checklist": {"content": true, "commitments": true, "tone": true},
        "acknowledged_warnings": warnings});

    // Refusals: unapproved publishing 409, an SRE approving 403.
    let before = snapshot(env, problem)?;
    let public_before = public_text(env, &format!("/status/incidents/{public}"))?;
    let (status, body) = post(
        env,
        "management",
        &format!("{report_path}/publish"),
        &json!({}),
    )?;
    check(
        status == 409,
        format!("publishing unapproved: {status} {body}"),
    )?;
    let (status, body) = post(env, "sre", &format!("{report_path}/approve"), &approval)?;
    check(status == 403, format!("an SRE approving: {status} {body}"))?;
    check(
        snapshot(env, problem)? == before,
        "the refusals stored nothing",
    )?;
    check(
        !public_before.contains("Postmortem"),
        "nothing unapproved is public",
    )?;

    // The review meeting: its accepted action becomes a remediation item.
    let items_before = count(env, "remediation_items")?;
    let recorded = expect(
        env,
        post_.clone(),
        "sre",
        &format!("{base}/reviews"),
        json!({"held_at": "2026-11-30T10:00:00Z",
               "attendees": [{"name": "sam-sre", "side": "engineering"},
                             {"name": "max-management", "side": "management"}],
               "root_causes": [{"cause": 1, "verdict": "agreed"}],
               "decisions": ["Capacity reviews before every month end"],
               "actions": [{"accepted": true, "item": {"title": "Month-end capacity review",
                  "kind": "process", "owner": {"person": {"name": "max-management"}},
                  "due_at": "2030-03-01T00:00:00Z"}}]}),
        201,
    )?;
    check(
        recorded["items"].as_array().map(Vec::len) == Some(1)
            && count(env, "remediation_items")? == items_before + 1
            && count(env, "post_incident_reviews")? >= 1,
        format!("the review's action is an item: {recorded}"),
    )?;

    // Management approves after acknowledging the warning; publishing.
    expect(
        env,
        post_.clone(),
        "management",
        &format!("{report_path}/approve"),
        approval,
        200,
    )?;
    let published = expect(
        env,
        post_.clone(),
        "management",
        &format!("{report_path}/publish"),
        json!({}),
        200,
    )?;
    check(
        published["report"]["report"]["status"] == "published",
        format!("published: {published}"),
    )?;
    let page = public_text(env, &format!("/status/incidents/{public}"))?;
    check(
        page.contains("Postmortem") && page.contains(ROOT_CAUSE),
        format!("the incident page shows the postmortem: {page}"),
    )?;
    let incidents: Value = serde_json::from_str(&public_text(env, "/api/v2/incidents.json")?)?;
    let ours = incidents["incidents"]
        .as_array()
        .ok_or("incidents")?
        .iter()
        .find(|i| i["id"] == public.as_str())
        .ok_or("the public incident in incidents.json")?
        .clone();
    check(
        ours["postmortem_body"]
            .as_str()
            .is_some_and(|b| b.contains(ROOT_CAUSE) && b.contains("Firmware 2.1 rollout"))
            && ours["postmortem_published_at"].is_string()
            && ours["postmortem_body_last_updated_at"].is_string()
            && ours["status"] == "postmortem"
            && ours["incident_updates"][0]["status"] == "postmortem"
            && ours["incident_updates"][0]["body"] == ours["postmortem_body"],
        format!("incidents.json carries the postmortem as its status and newest update: {ours}"),
    )?;
    for feed in ["/history.atom", "/history.rss"] {
        let text = public_text(env, feed)?;
        check(
            text.contains(ROOT_CAUSE) && text.contains("Postmortem"),
            format!("{feed} carries the postmortem"),
        )?;
    }

    // An edit voids the approval; the public outputs keep the approved text.
    let (_, current) = get(env, "sre", &report_path)?;
    let mut edited = current["report"]["report"]["content"].clone();
    let last = edited["sections"].as_array().ok_or("sections")?.len() - 1;
    edited["sections"][last]["content"]["free"]["text"] =
        json!("The pool settings did not allow for the month-end peak (revised wording).");
    let after_edit = expect(
        env,
        put,
        "sre",
        &report_path,
        json!({"content": edited}),
        200,
    )?;
    check(
        after_edit["report"]["approved"] == false
            && after_edit["report"]["report"]["status"] == "revised",
        format!("the edit voided the approval: {after_edit}"),
    )?;
    let (status, body) = post(
        env,
        "management",
        &format!("{report_path}/publish"),
        &json!({}),
    )?;
    check(
        status == 409,
        format!("publishing the voided approval: {status} {body}"),
    )?;
    for path in [
        format!("/status/incidents/{public}"),
        "/api/v2/incidents.json".to_owned(),
        "/history.atom".to_owned(),
        "/history.rss".to_owned(),
    ] {
        let text = public_text(env, &path)?;
        check(
            text.contains(ROOT_CAUSE) && !text.contains("revised wording"),
            format!("{path} keeps the approved text"),
        )?;
    }
    Ok(())
}

/// SPEC K3: a Security problem's report is 404 for an SRE and its text
/// reaches no public output, even once approved and published and with a
/// public incident published from the ticket.
fn a_security_report_is_missing_for_an_sre_and_never_public(env: &Env) -> Result<(), Failed> {
    let secret_cause = "Token signing key exposed in build log zz-4410";
    let (_, problem) = resolve_security(env)?;
    let base = format!("/api/problems/{problem}");
    expect(
        env,
        reqwest::Method::PUT,
        "security",
        &format!("{base}/rca"),
        json!({"root_causes": [{"id": 1, "summary": secret_cause, "class": "security"}],
               "contributing_factors": []}),
        200,
    )?;
    let report_path = format!("{base}/report");
    let (status, drafted) = post_empty(env, "security", &report_path)?;
    check(status == 201, format!("draft: {status} {drafted}"))?;
    let (status, body) = get(env, "sre", &report_path)?;
    check(
        status == 404,
        format!("an SRE reads the report: {status} {body}"),
    )?;
    for action in [
        "submit_for_engineering_review",
        "submit_for_management_review",
    ] {
        expect(
            env,
            reqwest::Method::POST,
            "security",
            &format!("{report_path}/transitions"),
            json!({"action": action}),
            200,
        )?;
    }
    let (_, view) = get(env, "management", &report_path)?;
    let warnings: Vec<Value> = view["report"]["tone_warnings"]
        .as_array()
        .ok_or("tone warnings")?
        .iter()
        .map(|w| w["id"].clone())
        .collect();
    expect(
        env,
        reqwest::Method::POST,
        "management",
        &format!("{report_path}/approve"),
        json!({"version": view["report"]["report"]["version"],
               "checklist": {"content": true, "commitments": true, "tone": true},
               "acknowledged_warnings": warnings}),
        200,
    )?;
    expect(
        env,
        reqwest::Method::POST,
        "management",
        &format!("{report_path}/publish"),
        json!({}),
        200,
    )?;
    let mut paths: Vec<String> = [
        "/status",
        "/status/history",
        "/history.atom",
        "/history.rss",
        "/api/v2/incidents.json",
        "/api/v2/summary.json",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    let public: Value = serde_json::from_str(&public_text(env, "/api/v2/incidents.json")?)?;
    for incident in public["incidents"].as_array().ok_or("incidents")? {
        paths.push(format!(
            "/status/incidents/{}",
            incident["id"].as_str().ok_or("id")?
        ));
    }
    for path in &paths {
        let text = public_text(env, path)?;
        check(
            !text.contains("zz-4410"),
            format!("{path} shows nothing of the Security report"),
        )?;
    }
    Ok(())
}

/// A Security P0, published deliberately by management and resolved.
fn resolve_security(env: &Env) -> Result<(Option<String>, i64), Failed> {
    resolved_p0(
        env,
        "security",
        "Signing key leaked",
        "Security",
        Some(("management", "Sign-in problems for some customers")),
    )
}
