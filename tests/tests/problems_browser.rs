//! Problem management in a real browser: the problem a resolved P0 opened by
//! itself is reached from its incident, the SRE fills the RCA and adds
//! remediation items, one owned by a vendor, and the remediation board shows
//! them; the incident report is drafted, reviewed, approved by management
//! after acknowledging a tone warning and published as the public incident's
//! postmortem, and an edit voids the approval; a P3 gets a problem opened by
//! hand from its incident page.

use crate::browser_flows::{choose, click, signed_in_session};
use crate::ingest::integration;
use crate::problems::{deliver, incident_titled, post_ok};
use crate::public_page::public_text;
use crate::{check, get, send, Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source};
use beacon_e2e::BoxError;
use fantoccini::Locator;
use libtest_mimic::Failed;
use serde_json::{json, Value};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "problems_browser::sre_fills_the_rca_and_adds_remediation_in_the_browser",
        sre_fills_the_rca_and_adds_remediation_in_the_browser,
    ),
    (
        "problems_browser::a_problem_is_opened_by_hand_from_an_incident_page",
        a_problem_is_opened_by_hand_from_an_incident_page,
    ),
];

const FINGERPRINT: &str = "b10c0ffee0rca002";
const TITLE: &str = "Checkout queue stalled";

/// An Alertmanager notification about this test's alert, distinct from the
/// recurrence test's so that neither matches the other's problem.
fn notification() -> Value {
    json!({
        "receiver": "beacon", "status": "firing", "version": "4",
        "groupKey": "{}:{alertname=\"CheckoutQueueStalled\"}", "truncatedAlerts": 0,
        "groupLabels": {"alertname": "CheckoutQueueStalled"},
        "commonLabels": {"alertname": "CheckoutQueueStalled", "severity": "critical"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "CheckoutQueueStalled", "severity": "critical", "job": "checkout-e2e", "instance": "checkout-3.example.com:9100"},
            "annotations": {"summary": TITLE},
            "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": FINGERPRINT
        }]
    })
}

/// Types `text` into the field `css`, once it is there.
async fn type_into(client: &fantoccini::Client, css: &str, text: &str) -> Result<(), BoxError> {
    wait_for(client, css).await?.send_keys(text).await?;
    Ok(())
}

/// Sets a date input the way a picker does: the value, then an `input` event.
async fn pick_date(client: &fantoccini::Client, css: &str, date: &str) -> Result<(), BoxError> {
    wait_for(client, css).await?;
    client
        .execute(
            "const field = document.querySelector(arguments[0]);
             field.value = arguments[1];
             field.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(css), json!(date)],
        )
        .await?;
    Ok(())
}

/// Fills and submits the "add a remediation item" form; `vendor` empty for ours.
async fn add_item(
    client: &fantoccini::Client,
    title: &str,
    owner: &str,
    vendor: &str,
    rows_after: usize,
) -> Result<(), BoxError> {
    type_into(client, "#remediation-title", title).await?;
    choose(client, "#remediation-kind", "prevent").await?;
    type_into(client, "#remediation-owner", owner).await?;
    if !vendor.is_empty() {
        type_into(client, "#remediation-vendor", vendor).await?;
    }
    type_into(client, "#remediation-group", "payments").await?;
    pick_date(client, "#remediation-due", "2030-06-30").await?;
    click(client, "#remediation-add").await?;
    wait_for(
        client,
        &format!("#remediation-items tbody tr:nth-child({rows_after})"),
    )
    .await?;
    Ok(())
}

/// SPEC R3, V7, V8, R4, V5, V6, R1, R2, R5 (issue 13, done-when 2): a P0
/// opened by an Alertmanager delivery and told to customers is resolved and
/// a problem opens by itself; the incident page links it; the SRE fills the
/// RCA in the browser (a root cause and a contributing factor with class and
/// evidence, trigger, detection, resolution, what went well, wrong, and where
/// we were lucky); two remediation items are added, one owned by a vendor's
/// contact; ours is started, completed and verified with evidence, and the
/// SRE is not offered "won't do"; the API has all of it, and the remediation
/// board lists both. Then, in the browser, the incident report: see
/// [`the_incident_report_is_approved_and_published`].
fn sre_fills_the_rca_and_adds_remediation_in_the_browser(env: &Env) -> Result<(), Failed> {
    let secret = integration(env, "am-rca-browser", "alertmanager")?;
    deliver(env, &secret, &notification())?;
    let incident = incident_titled(env, TITLE)?;
    let path = format!("/api/incidents/{incident}/transitions");
    post_ok(env, "sre", &path, json!({"action": "start_triage"}), 200)?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        &format!("/api/incidents/{incident}/category"),
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
    // Customers were told (setup: the status-editing API), so the report has
    // a public incident to become the postmortem of.
    let published = post_ok(
        env,
        "customer_support",
        "/api/status/incidents",
        json!({"from_incident": incident, "name": "Checkout is slow",
               "body": "We are looking into it."}),
        201,
    )?;
    let public = published["incident"]["id"]
        .as_str()
        .ok_or("public incident id")?
        .to_owned();
    post_ok(env, "sre", &path, json!({"action": "resolve"}), 200)?;

    let problem = signed_in_session(env, "sre", async |client| {
        // The incident page links the problem that opened by itself.
        client
            .goto(&env.worker.url(&format!("/incidents/{incident}")))
            .await?;
        let link = wait_for(client, ".problem-link a").await?;
        let href = link.attr("href").await?.ok_or("problem link href")?;
        let problem: i64 = href
            .rsplit('/')
            .next()
            .ok_or("problem id")?
            .parse()
            .map_err(|e| format!("problem link {href}: {e}"))?;
        link.click().await?;
        wait_for(client, "#problem-summary[data-status=new]").await?;
        wait_for(client, "#problem-incidents li[data-reason=origin]").await?;

        // The RCA, in the browser.
        wait_for(client, "#rca-save").await?;
        click(client, "#rca-add-root_causes").await?;
        choose(client, "#rca-root_causes-class-0", "configuration").await?;
        type_into(
            client,
            "#rca-root_causes-summary-0",
            "The consumer pool was capped at 4 by a stale config",
        )
        .await?;
        type_into(
            client,
            "#rca-root_causes-evidence-0",
            "https://grafana.example/d/checkout https://git.example/ops/pull/812",
        )
        .await?;
        click(client, "#rca-add-contributing_factors").await?;
        choose(
            client,
            "#rca-contributing_factors-class-0",
            "dependency_or_vendor",
        )
        .await?;
        type_into(
            client,
            "#rca-contributing_factors-summary-0",
            "The queue vendor's failover took 9 minutes",
        )
        .await?;
        type_into(client, "#rca-trigger", "Black Friday traffic").await?;
        type_into(
            client,
            "#rca-detection",
            "Alertmanager paged within 2 minutes",
        )
        .await?;
        type_into(client, "#rca-resolution", "Raised the pool to 32").await?;
        type_into(
            client,
            "#rca-went-well",
            "Paging was fast\nRollback plan existed",
        )
        .await?;
        type_into(client, "#rca-went-wrong", "The cap was not documented").await?;
        type_into(client, "#rca-lucky", "It happened before the EU peak").await?;
        click(client, "#rca-save").await?;
        wait_until_source(client, "the RCA saved", |s| s.contains("Saved.")).await?;

        // Two remediation items, the second owned by the vendor's contact.
        add_item(
            client,
            "Alert on consumer pool saturation",
            "sam-sre",
            "",
            1,
        )
        .await?;
        add_item(
            client,
            "Failover under one minute",
            "Dana Ops",
            "QueueCo",
            2,
        )
        .await?;
        wait_for(
            client,
            "#remediation-items tr[data-vendor=true][data-status=open]",
        )
        .await?;
        // Our item is started, completed and verified with evidence; the
        // SRE is not offered "won't do" (management only, SPEC V8).
        let ours = wait_for(client, "#remediation-items tr[data-vendor=false]")
            .await?
            .attr("id")
            .await?
            .ok_or("row id")?;
        let theirs = wait_for(client, "#remediation-items tr[data-vendor=true]")
            .await?
            .attr("id")
            .await?
            .ok_or("row id")?;
        wait_for(client, &format!("#{theirs}-start")).await?;
        if client
            .find(Locator::Css(&format!("#{theirs}-decline")))
            .await
            .is_ok()
        {
            return Err("an SRE is offered won't do".into());
        }
        for (action, status) in [("start", "in_progress"), ("complete", "done")] {
            wait_for(client, &format!("#{ours}-{action}"))
                .await?
                .click()
                .await?;
            wait_for(client, &format!("#{ours}[data-status={status}]")).await?;
        }
        type_into(
            client,
            &format!("#{ours}-note"),
            "https://ci.example/saturation-alert/7",
        )
        .await?;
        click(client, &format!("#{ours}-verify")).await?;
        wait_for(client, &format!("#{ours}[data-status=verified]")).await?;
        let problem_text = client
            .find(Locator::Css("#problem-result"))
            .await?
            .text()
            .await?;
        if !problem_text.trim().is_empty() {
            return Err(format!("the page shows a failure: {problem_text}").into());
        }

        // The board: both items, by owner.
        client.goto(&env.worker.url("/remediation")).await?;
        wait_for(client, "#remediation-board").await?;
        wait_until_source(client, "both items on the board", |s| {
            s.contains("Alert on consumer pool saturation")
                && s.contains("Failover under one minute")
        })
        .await?;
        Ok::<i64, BoxError>(problem)
    })?;

    let (status, detail) = get(env, "sre", &format!("/api/problems/{problem}"))?;
    check(status == 200, format!("problem: {status} {detail}"))?;
    check(
        detail["problem"]["origin"]["resolved_high_priority"]["incident"] == incident,
        format!("the problem opened by itself for #{incident}: {detail}"),
    )?;
    let rca = &detail["rca"];
    check(
        rca["root_causes"][0]["class"] == "configuration"
            && rca["root_causes"][0]["evidence"].as_array().map(Vec::len) == Some(2)
            && rca["contributing_factors"][0]["class"] == "dependency_or_vendor"
            && rca["trigger"] == "Black Friday traffic"
            && rca["went_well"].as_array().map(Vec::len) == Some(2)
            && rca["lucky"][0] == "It happened before the EU peak",
        format!("the RCA as typed: {rca}"),
    )?;
    let items = detail["remediation"].as_array().ok_or("remediation")?;
    check(items.len() == 2, format!("two items: {items:?}"))?;
    check(
        items.iter().any(|i| {
            i["item"]["owner"]["vendor"]["vendor"] == "QueueCo"
                && i["item"]["owner"]["vendor"]["contact"] == "Dana Ops"
        }) && items.iter().any(|i| {
            i["item"]["owner"]["person"]["name"] == "sam-sre"
                && i["item"]["status"] == "verified"
                && i["item"]["evidence"]["link"] == "https://ci.example/saturation-alert/7"
        }),
        format!("one item ours and verified, one the vendor's: {items:?}"),
    )?;
    the_incident_report_is_approved_and_published(env, problem, &public)
}

/// The customer-visible sentence the SRE writes, which the tone check flags.
const BLAMING: &str = "Human error in the queue settings stalled checkout for 40 minutes.";
/// The same section after the edit that voids the approval.
const REVISED: &str = "The queue settings did not allow for the Black Friday peak.";

/// The text of `css`, once it is there.
async fn text_of(client: &fantoccini::Client, css: &str) -> Result<String, BoxError> {
    Ok(wait_for(client, css).await?.text().await?)
}

/// Waits until the text of `css` contains `needle`.
async fn wait_for_text(
    client: &fantoccini::Client,
    css: &str,
    needle: &str,
) -> Result<(), BoxError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = text_of(client, css).await?;
        if text.contains(needle) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{css} never showed {needle:?}: {text}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Replaces the text of the last section of the report editor, shown to
/// customers, and saves it; waits for the edge's answer.
async fn write_last_section(client: &fantoccini::Client, text: &str) -> Result<(), BoxError> {
    let last = "#report-editor fieldset.section:last-of-type";
    let visible = wait_for(client, &format!("{last} input[type=checkbox]")).await?;
    if !visible.is_selected().await? {
        visible.click().await?;
    }
    let area = wait_for(client, &format!("{last} textarea")).await?;
    area.clear().await?;
    area.send_keys(text).await?;
    // The live preview follows the typing, before anything is saved.
    wait_for_text(client, "#report-preview", text).await?;
    let version = wait_for(client, "#report-summary")
        .await?
        .attr("data-version")
        .await?
        .ok_or("report version")?;
    click(client, "#report-save").await?;
    wait_for(
        client,
        &format!("#report-summary:not([data-version=\"{version}\"])"),
    )
    .await?;
    let failure = text_of(client, "#report-result").await?;
    if !failure.trim().is_empty() {
        return Err(format!("saving the report failed: {failure}").into());
    }
    Ok(())
}

/// Management, on the report page: the checklist, each tone warning
/// acknowledged (approving is not offered before; `warned`: there must be
/// one), approve, publish; `expected` then is what customers read.
async fn approve_and_publish(
    client: &fantoccini::Client,
    warned: bool,
    expected: &str,
) -> Result<(), BoxError> {
    if warned {
        wait_for(client, "#tone-warnings li").await?;
    }
    wait_for(client, "#report-approve").await?;
    for check in [
        "#checklist-content",
        "#checklist-commitments",
        "#checklist-tone",
    ] {
        click(client, check).await?;
    }
    let acks = client
        .find_all(Locator::Css("#tone-warnings input[type=checkbox]"))
        .await?;
    if warned && acks.is_empty() {
        return Err("no tone warning to acknowledge".into());
    }
    for ack in acks {
        if client
            .find(Locator::Css("#report-approve:disabled"))
            .await
            .is_err()
        {
            return Err("approving is offered before every warning is acknowledged".into());
        }
        ack.click().await?;
    }
    wait_for(client, "#report-approve:enabled")
        .await?
        .click()
        .await?;
    wait_for(client, "#report-summary[data-approved=true]").await?;
    wait_for(client, "#report-publish").await?.click().await?;
    wait_for(client, "#report-summary[data-status=published]").await?;
    wait_for_text(client, "#report-published", expected).await?;
    Ok(())
}

/// SPEC V5, V6, R1, R2, R5 (issue 13, done-when 2, in the browser): the SRE
/// drafts the report from the problem page (composed by the edge from the
/// ticket), writes a customer-visible sentence that the tone check flags,
/// watching the live preview, records the review meeting (its accepted
/// action becomes a remediation item) and submits the report for engineering
/// and management review; management, signed in, finds it from the problem
/// page, may approve only once each tone warning is acknowledged and the
/// checklist ticked, approves and publishes: the public incident's page,
/// `incidents.json` and both feeds carry the postmortem. An edit voids the
/// approval and the public outputs keep the approved text until management
/// approves and publishes again.
fn the_incident_report_is_approved_and_published(
    env: &Env,
    problem: i64,
    public: &str,
) -> Result<(), Failed> {
    let report_page = format!("/problems/{problem}/report");
    let items_before = get(env, "sre", &format!("/api/problems/{problem}"))?.1["remediation"]
        .as_array()
        .map(Vec::len)
        .ok_or("remediation")?;
    signed_in_session(env, "sre", async |client| {
        client
            .goto(&env.worker.url(&format!("/problems/{problem}")))
            .await?;
        wait_for(client, "#draft-report").await?.click().await?;
        wait_for(client, "#report-summary[data-status=draft]").await?;
        let url = client.current_url().await?;
        if url.path() != report_page {
            return Err(format!("the draft opened at {url}").into());
        }
        // Composed from the ticket: the RCA's root cause is in the draft.
        wait_for_text(
            client,
            "#report-preview",
            "The consumer pool was capped at 4 by a stale config",
        )
        .await?;
        click(client, "#report-add-section").await?;
        write_last_section(client, BLAMING).await?;
        wait_for(client, "#tone-warnings li").await?;

        // The review meeting, with an accepted action.
        pick_date(client, "#review-date", "2026-11-30").await?;
        type_into(
            client,
            "#review-attendees",
            "sam-sre, engineering\nmax-management, management",
        )
        .await?;
        type_into(
            client,
            "#review-decisions",
            "Load-test the queue before peaks",
        )
        .await?;
        type_into(client, "#review-action-title", "Black Friday load test").await?;
        type_into(client, "#review-action-owner", "sam-sre").await?;
        pick_date(client, "#review-action-due", "2030-10-01").await?;
        click(client, "#review-record").await?;
        wait_for_text(client, "#review-result", "1 remediation item(s) added").await?;

        for (action, status) in [
            ("submit_for_engineering_review", "engineering_review"),
            ("submit_for_management_review", "management_review"),
        ] {
            wait_for(client, &format!("#report-{action}"))
                .await?
                .click()
                .await?;
            wait_for(client, &format!("#report-summary[data-status={status}]")).await?;
        }
        // An SRE is not offered approving or publishing (SPEC R5).
        for css in ["#report-approve", "#report-publish"] {
            if client.find(Locator::Css(css)).await.is_ok() {
                return Err(format!("an SRE is offered {css}").into());
            }
        }
        Ok::<(), BoxError>(())
    })?;
    let (_, detail) = get(env, "sre", &format!("/api/problems/{problem}"))?;
    check(
        detail["remediation"].as_array().map(Vec::len) == Some(items_before + 1),
        format!("the review's accepted action is an item: {detail}"),
    )?;
    check(
        !public_text(env, &format!("/status/incidents/{public}"))?.contains("Postmortem"),
        "nothing unapproved is public",
    )?;

    signed_in_session(env, "management", async |client| {
        client
            .goto(&env.worker.url(&format!("/problems/{problem}")))
            .await?;
        wait_for(client, "#report-link a").await?.click().await?;
        wait_for(client, "#report-summary[data-status=management_review]").await?;
        approve_and_publish(client, true, "stalled checkout for 40 minutes").await
    })?;
    let postmortem_shown = |revised: bool| -> Result<(), Failed> {
        let (shown, hidden) = if revised {
            ("did not allow for the Black Friday peak", "Human error")
        } else {
            ("stalled checkout for 40 minutes", "did not allow for")
        };
        let page = public_text(env, &format!("/status/incidents/{public}"))?;
        check(
            page.contains("Postmortem") && page.contains(shown) && !page.contains(hidden),
            format!("the incident page shows the approved postmortem: {page}"),
        )?;
        let incidents: Value = serde_json::from_str(&public_text(env, "/api/v2/incidents.json")?)?;
        let ours = incidents["incidents"]
            .as_array()
            .ok_or("incidents")?
            .iter()
            .find(|i| i["id"] == public)
            .ok_or("the public incident in incidents.json")?
            .clone();
        check(
            ours["postmortem_body"]
                .as_str()
                .is_some_and(|b| b.contains(shown) && !b.contains(hidden))
                && ours["postmortem_published_at"].is_string(),
            format!("incidents.json carries the approved postmortem: {ours}"),
        )?;
        for (feed, tag) in [("/history.atom", "<entry>"), ("/history.rss", "<item>")] {
            let text = public_text(env, feed)?;
            // Only this incident's entry: other tests publish postmortems too.
            let link = format!("/status/incidents/{public}");
            let entry = text
                .split(tag)
                .find(|entry| entry.contains(&link))
                .ok_or_else(|| format!("{feed} has no entry for {link}: {text}"))?;
            check(
                entry.contains("Postmortem") && entry.contains(shown) && !entry.contains(hidden),
                format!("{feed} carries the approved postmortem: {entry}"),
            )?;
        }
        Ok(())
    };
    postmortem_shown(false)?;

    // An edit voids the approval; customers keep the approved text.
    signed_in_session(env, "sre", async |client| {
        client.goto(&env.worker.url(&report_page)).await?;
        wait_for(client, "#report-summary[data-status=published]").await?;
        write_last_section(client, REVISED).await?;
        wait_for(
            client,
            "#report-summary[data-status=revised][data-approved=false]",
        )
        .await?;
        wait_for_text(
            client,
            "#report-published",
            "stalled checkout for 40 minutes",
        )
        .await
    })?;
    postmortem_shown(false)?;

    // A new approval publishes the revised text.
    signed_in_session(env, "management", async |client| {
        client.goto(&env.worker.url(&report_page)).await?;
        wait_for(client, "#report-summary[data-status=revised]").await?;
        wait_for_text(client, "#report-preview", "Black Friday peak").await?;
        approve_and_publish(client, false, "did not allow for the Black Friday peak").await
    })?;
    postmortem_shown(true)
}

/// SPEC R3: any incident, a P3 too, gets a problem opened by hand from its
/// page; the incident page then links it.
fn a_problem_is_opened_by_hand_from_an_incident_page(env: &Env) -> Result<(), Failed> {
    let title = format!("Slow invoice exports {}", std::process::id());
    let created = post_ok(
        env,
        "sre",
        "/api/incidents",
        json!({"title": title, "category": "Reporting"}),
        201,
    )?;
    let incident = created["id"].as_i64().ok_or("incident id")?;
    let problem = signed_in_session(env, "sre", async |client| {
        client
            .goto(&env.worker.url(&format!("/incidents/{incident}")))
            .await?;
        wait_for(client, "#open-problem").await?.click().await?;
        wait_for(client, "#problem-summary").await?;
        let url = client.current_url().await?;
        let problem: i64 = url.path().rsplit('/').next().ok_or("problem id")?.parse()?;
        client
            .goto(&env.worker.url(&format!("/incidents/{incident}")))
            .await?;
        wait_for(client, ".problem-link a").await?;
        if client.find(Locator::Css("#open-problem")).await.is_ok() {
            return Err("a linked incident still offers to open a problem".into());
        }
        Ok::<i64, BoxError>(problem)
    })?;
    let (_, detail) = get(env, "sre", &format!("/api/problems/{problem}"))?;
    check(
        detail["problem"]["origin"]["from_incident"]["incident"] == incident
            && detail["problem"]["title"] == title.as_str(),
        format!("the problem opened from #{incident}: {detail}"),
    )
}
