//! Real-browser flows: headless Chromium through chromedriver against the served app.

use crate::{Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source};
use fantoccini::Locator;
use libtest_mimic::Failed;

pub const TESTS: &[(&str, TestFn)] = &[(
    "browser::triage_form_classifies_live_submits_and_shows_on_status",
    triage_form_classifies_live_submits_and_shows_on_status,
)];

/// SPEC P0, P5, T5, M3: sign in, fill the form, see P0 with the region named
/// before submitting, submit, and find the incident through the API and on /status.
fn triage_form_classifies_live_submits_and_shows_on_status(env: &Env) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let title = format!("EU login failures {}", std::process::id());
    let id = runtime.block_on(async {
        let client = env.driver.session().await.map_err(|e| e.to_string())?;
        let result = async {
            client.goto(&env.worker.url("/sign-in")).await?;
            wait_for(&client, "#token")
                .await?
                .send_keys(env.worker.token("sre"))
                .await?;
            client.find(Locator::Css("#sign-in")).await?.click().await?;
            wait_for(&client, "#incident-queue, h1").await?;

            client.goto(&env.worker.url("/incidents/new")).await?;
            wait_for(&client, "#title").await?.send_keys(&title).await?;
            client
                .find(Locator::Css("#category"))
                .await?
                .send_keys("Web application")
                .await?;
            wait_until_source(&client, "P3 before any fact", |s| {
                s.contains(r#"data-priority="P3""#)
            })
            .await?;
            client
                .find(Locator::Css("#availability-region-eu-west"))
                .await?
                .send_keys("97.5")
                .await?;
            wait_until_source(&client, "live P0", |s| s.contains(r#"data-priority="P0""#)).await?;
            let reasons = client
                .find(Locator::Css("#live-reasons"))
                .await?
                .text()
                .await?;
            if !reasons.contains("eu-west") || !reasons.contains("97.5") {
                return Err(format!("reasons should name the region and value: {reasons}").into());
            }

            client
                .find(Locator::Css("#submit-incident"))
                .await?
                .click()
                .await?;
            let created = wait_for(&client, "#submit-result [data-incident-id]").await?;
            let id: i64 = created
                .attr("data-incident-id")
                .await?
                .ok_or("id attribute")?
                .parse()?;

            client.goto(&env.worker.url("/status")).await?;
            let page = client.source().await?;
            if !page.contains(&title) {
                return Err(format!("/status does not show {title}").into());
            }
            Ok::<i64, beacon_e2e::BoxError>(id)
        }
        .await;
        let _ = client.close().await;
        result.map_err(|e| e.to_string())
    })?;

    let list: serde_json::Value = env
        .http
        .get(env.worker.url("/api/incidents"))
        .bearer_auth(env.worker.token("sre"))
        .send()?
        .json()?;
    let incident = list["incidents"]
        .as_array()
        .ok_or("list")?
        .iter()
        .find(|i| i["id"] == id)
        .cloned();
    let incident = incident.ok_or("submitted incident not in the API list")?;
    if incident["priority"] != "P0" || incident["title"] != title.as_str() {
        return Err(format!("stored incident: {incident}").into());
    }
    Ok(())
}
