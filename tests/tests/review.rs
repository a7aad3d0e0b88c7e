//! The review meeting on `wrangler dev` (SPEC Q5, Q4, K3): the page of this
//! month, a snapshot saved with its minutes, read back by clearance, and
//! never changed, neither through the API nor in the database; and in a real
//! browser, the review page saves a snapshot and opens a problem from a row.

use crate::browser_flows::signed_in_session;
use crate::{check, get, post, send, Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source};
use beacon_e2e::BoxError;
use beacon_shared::review::{ReviewPage, ReviewSnapshotSummary, ReviewSnapshotView};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "review::a_snapshot_is_saved_and_never_changes",
        a_snapshot_is_saved_and_never_changes,
    ),
    (
        "review::the_review_page_saves_a_snapshot_and_opens_a_problem",
        the_review_page_saves_a_snapshot_and_opens_a_problem,
    ),
];

/// Today in UTC, `YYYY-MM-DD`.
fn today() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    beacon_shared::Timestamp::from_unix_millis(millis)
        .date()
        .to_string()
}

/// An open P0 on the API (SRE) and an open Security P0 (security team),
/// created now; their ids.
fn seed(env: &Env) -> Result<(i64, i64), Failed> {
    let (status, api) = post(
        env,
        "sre",
        "/api/incidents",
        &json!({"title": "review: checkout down", "category": "API",
                "facts": {"measurements": {"complete_loss_of_access": true}}}),
    )?;
    check(status == 201, format!("create: {status} {api}"))?;
    let (status, security) = post(
        env,
        "security",
        "/api/incidents",
        &json!({"title": "review: leaked signing key", "category": "Security",
                "facts": {"measurements": {"complete_loss_of_access": true}}}),
    )?;
    check(status == 201, format!("create: {status} {security}"))?;
    Ok((
        api["id"].as_i64().ok_or("id")?,
        security["id"].as_i64().ok_or("id")?,
    ))
}

/// SPEC Q5, K3: management saves this month's review with minutes and a
/// decision; the snapshot reads back with the same SHA-256; an SRE reads the
/// version where the Security P0 is only counted; PUT, PATCH and DELETE are
/// 405 and change nothing; D1 itself refuses an UPDATE or DELETE.
fn a_snapshot_is_saved_and_never_changes(env: &Env) -> Result<(), Failed> {
    let (api, security) = seed(env)?;
    let query = format!("/api/review?period=month&date={}", today());
    let (status, page) = get(env, "management", &query)?;
    check(status == 200, format!("review: {status} {page}"))?;
    let page: ReviewPage = serde_json::from_value(page)?;
    let urgent: Vec<i64> = page.open_urgent.rows.iter().map(|i| i.id).collect();
    check(
        urgent.contains(&api) && urgent.contains(&security),
        format!("management's open P0/P1: {urgent:?}"),
    )?;
    let (_, sre_page) = get(env, "sre", &query)?;
    let sre_page: ReviewPage = serde_json::from_value(sre_page)?;
    check(
        !sre_page.open_urgent.rows.iter().any(|i| i.id == security)
            && sre_page.open_urgent.restricted >= 1,
        format!("the SRE's open P0/P1: {:?}", sre_page.open_urgent),
    )?;

    let request = json!({"period": "month", "date": today(),
        "minutes": "Went through the open P0s.", "decisions": ["Open a problem for checkout"]});
    let (status, refused) = post(env, "sre", "/api/review/snapshots", &request)?;
    check(status == 403, format!("an SRE saves: {status} {refused}"))?;
    let (status, saved) = post(env, "management", "/api/review/snapshots", &request)?;
    check(status == 201, format!("save: {status} {saved}"))?;
    let saved: ReviewSnapshotView = serde_json::from_value(saved)?;
    check(
        saved.sha256.len() == 64 && saved.content.decisions == ["Open a problem for checkout"],
        format!("saved: {} {:?}", saved.sha256, saved.content.decisions),
    )?;
    let path = format!("/api/review/snapshots/{}", saved.id);

    let (status, sre_view) = get(env, "sre", &path)?;
    check(status == 200, format!("SRE reads: {status} {sre_view}"))?;
    check(
        !sre_view.to_string().contains("leaked signing key"),
        "the SRE's version names the Security incident",
    )?;
    let sre_view: ReviewSnapshotView = serde_json::from_value(sre_view)?;
    check(
        sre_view.sha256 != saved.sha256 && sre_view.content.minutes == saved.content.minutes,
        "the SRE's version has its own hash and the same minutes",
    )?;

    for method in [
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let (status, body) = send(
            env,
            method.clone(),
            "management",
            &path,
            &json!({"minutes": "rewritten"}),
        )?;
        check(status == 405, format!("{method}: {status} {body}"))?;
    }
    let update = env.worker.query(&format!(
        "UPDATE review_snapshots SET full_content = 'x' WHERE id = {}",
        saved.id
    ));
    check(update.is_err(), "D1 let an UPDATE change a snapshot")?;
    let delete = env.worker.query(&format!(
        "DELETE FROM review_snapshots WHERE id = {}",
        saved.id
    ));
    check(delete.is_err(), "D1 let a DELETE remove a snapshot")?;

    let (status, again) = get(env, "management", &path)?;
    check(status == 200, format!("read back: {status} {again}"))?;
    let again: ReviewSnapshotView = serde_json::from_value(again)?;
    check(again == saved, "the snapshot changed")?;
    let (_, list) = get(env, "management", "/api/review/snapshots")?;
    let list: Vec<ReviewSnapshotSummary> = serde_json::from_value(list)?;
    check(
        list.iter()
            .any(|s| s.id == saved.id && s.sha256 == saved.sha256),
        format!("listed: {list:?}"),
    )?;
    Ok(())
}

/// Sets a field's value as a person would, with its `input` and `change` events.
async fn set_value(client: &fantoccini::Client, css: &str, value: &str) -> Result<(), BoxError> {
    wait_for(client, css).await?;
    client
        .execute(
            "const field = document.querySelector(arguments[0]);
             field.value = arguments[1];
             field.dispatchEvent(new Event('input', { bubbles: true }));
             field.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![json!(css), json!(value)],
        )
        .await?;
    Ok(())
}

/// SPEC Q5, Q4: management opens `/review` for this month in the browser,
/// opens a problem ticket from the row of an open P0, writes the minutes and
/// a decision and saves the snapshot; the saved snapshot is listed, shown
/// with its minutes, and the API returns the same; the problem was opened
/// from that incident.
fn the_review_page_saves_a_snapshot_and_opens_a_problem(env: &Env) -> Result<(), Failed> {
    let title = format!("review browser: payments down {}", std::process::id());
    let (status, created) = post(
        env,
        "sre",
        "/api/incidents",
        &json!({"title": title, "category": "Payments",
                "facts": {"measurements": {"complete_loss_of_access": true}}}),
    )?;
    check(status == 201, format!("create: {status} {created}"))?;
    let incident = created["id"].as_i64().ok_or("id")?;
    let minutes = format!("Minutes {}: payments outage discussed.", std::process::id());
    let (problem, snapshot) = signed_in_session(env, "management", async |client| {
        client.goto(&env.worker.url("/review")).await?;
        set_value(client, "#review-period", "month").await?;
        set_value(client, "#review-date", &today()).await?;
        let row = format!("#review-urgent tr[data-incident=\"{incident}\"]");
        wait_for(client, &format!("{row} button.open-review-problem"))
            .await?
            .click()
            .await?;
        let link = wait_for(client, &format!("{row} a.review-problem-link")).await?;
        let href = link.attr("href").await?.ok_or("problem link")?;
        let problem: i64 = href.rsplit('/').next().ok_or("problem id")?.parse()?;
        set_value(client, "#review-minutes", &minutes).await?;
        set_value(client, "#review-decisions", "Fund the payments failover\n").await?;
        wait_for(client, "#save-review-snapshot")
            .await?
            .click()
            .await?;
        let saved = wait_for(client, "#review-saved").await?.text().await?;
        let snapshot: i64 = saved
            .split_whitespace()
            .nth(1)
            .and_then(|id| id.trim_start_matches('#').parse().ok())
            .ok_or_else(|| format!("saved: {saved}"))?;
        wait_for(
            client,
            &format!("#review-snapshot-list li[data-snapshot=\"{snapshot}\"] button"),
        )
        .await?
        .click()
        .await?;
        wait_until_source(client, "the snapshot's minutes", |source| {
            source.contains("id=\"review-snapshot\"") && source.contains(&minutes)
        })
        .await?;
        Ok::<(i64, i64), BoxError>((problem, snapshot))
    })?;
    let (status, detail) = get(env, "management", &format!("/api/problems/{problem}"))?;
    check(
        status == 200 && detail["problem"]["origin"]["from_incident"]["incident"] == incident,
        format!("the problem opened from #{incident}: {status} {detail}"),
    )?;
    let (status, view) = get(
        env,
        "management",
        &format!("/api/review/snapshots/{snapshot}"),
    )?;
    check(status == 200, format!("snapshot: {status} {view}"))?;
    let view: ReviewSnapshotView = serde_json::from_value(view)?;
    check(
        view.content.minutes == minutes
            && view.content.decisions == ["Fund the payments failover"]
            && view
                .content
                .page
                .open_urgent
                .rows
                .iter()
                .any(|i| i.id == incident),
        format!("the saved snapshot: {:?}", view.content.decisions),
    )
}
