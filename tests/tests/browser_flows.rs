//! Real-browser flows: headless Chromium through chromedriver against the served app.

use crate::{get_json, get_text, timeline_kinds, Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source, BROWSER_TIME_ZONE, PHONE_WIDTH};
use beacon_e2e::BoxError;
use fantoccini::Locator;
use libtest_mimic::Failed;

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "browser::triage_form_classifies_live_submits_and_shows_on_status",
        triage_form_classifies_live_submits_and_shows_on_status,
    ),
    (
        "browser::queue_filters_and_read_only_viewer",
        queue_filters_and_read_only_viewer,
    ),
    (
        "browser::alert_queue_discards_with_reason_and_opens_an_incident",
        alert_queue_discards_with_reason_and_opens_an_incident,
    ),
    (
        "browser::on_call_now_and_next_and_the_incident_countdown",
        on_call_now_and_next_and_the_incident_countdown,
    ),
    (
        "browser::time_limits_page_saves_the_teams_limits",
        time_limits_page_saves_the_teams_limits,
    ),
    (
        "browser::csup_publishes_updates_and_resolves_a_public_incident",
        csup_publishes_updates_and_resolves_a_public_incident,
    ),
    (
        "browser::phone_triage_form_records_customers_alert_time_and_category",
        phone_triage_form_records_customers_alert_time_and_category,
    ),
    (
        "browser::phone_queue_incident_alerts_and_status_page_fit_360_px",
        phone_queue_incident_alerts_and_status_page_fit_360_px,
    ),
];

pub(crate) async fn sign_in(
    client: &fantoccini::Client,
    env: &Env,
    role: &str,
) -> Result<(), BoxError> {
    client.goto(&env.worker.url("/sign-in")).await?;
    wait_for(client, "#token")
        .await?
        .send_keys(env.worker.token(role))
        .await?;
    client.find(Locator::Css("#sign-in")).await?.click().await?;
    // The sign-in opens a session, then shows the queue.
    wait_for(client, "#incident-queue, #incident-queue-empty").await?;
    Ok(())
}

/// Runs `flow` in a new browser session signed in as `role`, then closes the
/// session whatever the outcome.
pub(crate) fn signed_in_session<T>(
    env: &Env,
    role: &str,
    flow: impl AsyncFnOnce(&fantoccini::Client) -> Result<T, BoxError>,
) -> Result<T, Failed> {
    signed_in_session_on(env, Screen::Desktop, role, flow)
}

/// The screen a browser session emulates.
#[derive(Clone, Copy)]
enum Screen {
    Desktop,
    /// A phone [`PHONE_WIDTH`] px wide.
    Phone,
}

/// [`signed_in_session`] on `screen`.
fn signed_in_session_on<T>(
    env: &Env,
    screen: Screen,
    role: &str,
    flow: impl AsyncFnOnce(&fantoccini::Client) -> Result<T, BoxError>,
) -> Result<T, Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(async {
        let session = match screen {
            Screen::Desktop => env.driver.session().await,
            Screen::Phone => env.driver.phone_session().await,
        };
        let client = session.map_err(|e| e.to_string())?;
        let result = async {
            sign_in(&client, env, role).await?;
            flow(&client).await
        }
        .await;
        let _ = client.close().await;
        result.map_err(|e| e.to_string())
    })?)
}

/// SPEC P0, P5, T5, V10, T7, M3: sign in, fill the form, see P0 with the region
/// named before submitting, submit; on the incident page classify it as a problem
/// and add a work log; find the ticket with P0 and those timeline entries through
/// the API. /status does not show it: only customer support publishes (M1).
fn triage_form_classifies_live_submits_and_shows_on_status(env: &Env) -> Result<(), Failed> {
    let title = format!("EU login failures {}", std::process::id());
    let id = signed_in_session(env, "sre", async |client| {
        client.goto(&env.worker.url("/incidents/new")).await?;
        wait_for(client, "#title").await?.send_keys(&title).await?;
        wait_for(client, "#category option[value='Web application']").await?;
        choose(client, "#category", "Web application").await?;
        wait_until_source(client, "P3 before any fact", |s| {
            s.contains(r#"data-priority="P3""#)
        })
        .await?;
        client
            .find(Locator::Css("#availability-region-eu-west"))
            .await?
            .send_keys("97.5")
            .await?;
        wait_until_source(client, "live P0", |s| s.contains(r#"data-priority="P0""#)).await?;
        let reasons = client
            .find(Locator::Css("#live-reasons"))
            .await?
            .text()
            .await?;
        if !reasons.contains("eu-west") || !reasons.contains("97.5") {
            return Err(format!("reasons should name the region and value: {reasons}").into());
        }

        click(client, "#submit-incident").await?;
        let created = wait_for(client, "#submit-result [data-incident-id]").await?;
        let id: i64 = created
            .attr("data-incident-id")
            .await?
            .ok_or("id attribute")?
            .parse()?;

        click(client, "#open-incident").await?;
        wait_for(client, "#timeline li[data-kind=created]").await?;
        // The actions appear once the reader's role has loaded, after the ticket.
        wait_for(client, "#action-classify_as_problem")
            .await?
            .click()
            .await?;
        wait_for(client, "#incident-summary[data-status=investigating]").await?;
        wait_for(client, "#worklog-text")
            .await?
            .send_keys("Rolled back release 42 on eu-west")
            .await?;
        click(client, "#add-worklog").await?;
        wait_for(client, "#timeline li[data-kind=work_log]").await?;

        client.goto(&env.worker.url("/status")).await?;
        let page = client.source().await?;
        if page.contains(&title) {
            return Err(format!("/status shows the internal ticket {title} unpublished").into());
        }
        Ok::<i64, BoxError>(id)
    })?;

    let list = get_json(env, "sre", "/api/incidents")?;
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
    let detail = get_json(env, "sre", &format!("/api/incidents/{id}"))?;
    let kinds = timeline_kinds(&detail)?;
    if kinds != ["created", "status_changed", "work_log"] {
        return Err(format!("timeline kinds {kinds:?} in {detail}").into());
    }
    let created = &detail["timeline"][0]["body"]["state"];
    let classified = &detail["timeline"][1]["body"];
    if created["priority"] != "P0"
        || classified["to"] != "investigating"
        || classified["transition"]["priority"] != "P0"
        || detail["timeline"][2]["body"]["text"] != "Rolled back release 42 on eu-west"
    {
        return Err(format!("timeline bodies: {detail}").into());
    }
    Ok(())
}

/// SPEC K1, P6: the queue filters by priority through the address; a viewer sees
/// the ticket but is offered no action on it.
fn queue_filters_and_read_only_viewer(env: &Env) -> Result<(), Failed> {
    let title = format!("Payments latency {}", std::process::id());
    let body = serde_json::json!({
        "title": title,
        "category": "Payments",
        "priority": "P2",
    });
    let created: serde_json::Value = env
        .http
        .post(env.worker.url("/api/incidents"))
        .bearer_auth(env.worker.token("sre"))
        .json(&body)
        .send()?
        .json()?;
    let id = created["id"]
        .as_i64()
        .ok_or(format!("created: {created}"))?;
    let row = format!("tr[data-incident-id=\"{id}\"]");
    signed_in_session(env, "sre", async |client| {
        client.goto(&env.worker.url("/?priority=P2")).await?;
        wait_for(client, &row).await?;
        click(client, "#filter-priority option[value=P0]").await?;
        wait_until_source(client, "a P0 queue without the P2 ticket", |s| {
            (s.contains(r#"id="incident-queue""#) || s.contains("incident-queue-empty"))
                && !s.contains(&title)
        })
        .await?;
        let url = client.current_url().await?;
        if !url.as_str().contains("priority=P0") {
            return Err(format!("filter not in the address: {url}").into());
        }

        sign_in(client, env, "viewer").await?;
        client
            .goto(&env.worker.url(&format!("/incidents/{id}")))
            .await?;
        wait_for(client, "#timeline li[data-kind=created]").await?;
        wait_until_source(client, "the read-only notice", |s| {
            s.contains("can read this ticket but not change it")
        })
        .await?;
        if client
            .find(Locator::Css(
                "#action-classify_as_problem, #change-priority",
            ))
            .await
            .is_ok()
        {
            return Err("a viewer is offered actions".into());
        }
        Ok::<(), BoxError>(())
    })?;
    Ok(())
}

/// SPEC V10, V2, I1: the on-call SRE works the alert queue in the browser. A
/// discard without a reason is refused on the page; with a reason the alert's
/// incident is discarded through triage. "Open incident" takes the other alert's
/// incident into triage and shows its page.
fn alert_queue_discards_with_reason_and_opens_an_incident(env: &Env) -> Result<(), Failed> {
    let key = crate::ingest::integration(env, "pd-browser-queue", "pagerduty")?;
    let tag = std::process::id();
    let mut alerts = Vec::new();
    for name in ["noise", "real"] {
        let dedup_key = format!("browser-{name}-{tag}");
        let (status, body) = crate::ingest::enqueue(
            env,
            &serde_json::json!({"routing_key": key, "event_action": "trigger", "dedup_key": dedup_key,
                "payload": {"summary": format!("Browser queue {name} {tag}"), "source": "web-2", "severity": "error"}}),
        )?;
        if status != 202 {
            return Err(format!("trigger: {status} {body}").into());
        }
        let rows = crate::ingest::alert_rows(env, &dedup_key)?;
        alerts.push((
            rows[0]["id"].as_i64().ok_or("alert id")?,
            rows[0]["incident_id"].as_i64().ok_or("incident id")?,
        ));
    }
    let [(noise, noise_incident), (real, real_incident)] = alerts[..] else {
        return Err("two alerts".into());
    };
    signed_in_session(env, "sre", async |client| {
        client.goto(&env.worker.url("/alerts")).await?;
        let row = format!("tr[data-alert-id=\"{noise}\"][data-awaits-triage=\"true\"]");
        wait_for(client, &row).await?;

        click(client, &format!("#alert-discard-{noise}")).await?;
        wait_until_source(client, "the reason is asked for", |s| {
            s.contains("Say why this alert has no impact")
        })
        .await?;

        client
            .find(Locator::Css(&format!("#alert-discard-reason-{noise}")))
            .await?
            .send_keys("synthetic check from the load test")
            .await?;
        click(client, &format!("#alert-discard-{noise}")).await?;
        wait_until_source(client, "the discard confirmed", |s| {
            s.contains(&format!(
                "Alert {noise} discarded: incident {noise_incident} is discarded."
            ))
        })
        .await?;
        // That it no longer awaits triage is read through the API below: the
        // queue lists alerts awaiting triage first, 500 at most, and the other
        // tests leave more than that, so a discarded one may be past its end.

        wait_for(client, &format!("#alert-open-{real}"))
            .await?
            .click()
            .await?;
        wait_for(client, "#incident-summary[data-status=triage]").await?;
        let url = client.current_url().await?;
        if !url.path().ends_with(&format!("/incidents/{real_incident}")) {
            return Err(format!("opened the wrong page: {url}").into());
        }
        Ok::<(), BoxError>(())
    })?;

    let noise_detail = crate::ingest::incident_detail(env, noise_incident)?;
    let reason = noise_detail["timeline"]
        .as_array()
        .and_then(|t| t.iter().rev().find(|e| e["kind"] == "status_changed"))
        .map(|e| e["body"]["transition"]["reason"].clone());
    if noise_detail["incident"]["status"] != "discarded"
        || reason != Some(serde_json::json!("synthetic check from the load test"))
    {
        return Err(format!("discarded with the reason: {noise_detail}").into());
    }
    let real_detail = crate::ingest::incident_detail(env, real_incident)?;
    if real_detail["incident"]["status"] != "triage" {
        return Err(format!("opened for triage: {real_detail}").into());
    }
    Ok(())
}

/// SPEC E1, E3, E4: an incident commander sets the IC rota in the rota editor;
/// the on-call page shows who is on call now and next for each role; the incident page of a P1 shows the duty IC and a live countdown to the
/// acknowledgement limit, and acknowledging there moves the countdown on to the
/// first customer update.
fn on_call_now_and_next_and_the_incident_countdown(env: &Env) -> Result<(), Failed> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    // The first shift started a minute ago, to the minute, as the form takes it (UTC).
    let starts_at = chrono::DateTime::from_timestamp((now_ms / 1000) - 60, 0)
        .ok_or("the clock is out of range")?
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let created: serde_json::Value = env
        .http
        .post(env.worker.url("/api/incidents"))
        .bearer_auth(env.worker.token("sre"))
        .json(&serde_json::json!({"title": "Card payments declined", "category": "Payments", "priority": "P1"}))
        .send()?
        .json()?;
    let id = created["id"]
        .as_i64()
        .ok_or(format!("created: {created}"))?;
    let sre = env.worker.user("sre").name;
    signed_in_session(env, "incident_commander", async |client| {
        client.goto(&env.worker.url("/on-call")).await?;
        wait_for(client, "#rota-people")
            .await?
            .send_keys("ic-alice, ic-bob")
            .await?;
        let shift = client.find(Locator::Css("#rota-shift")).await?;
        shift.clear().await?;
        shift.send_keys("12").await?;
        client
                .execute(
                    "const input = document.querySelector('#rota-starts'); input.value = arguments[0]; \
                     input.dispatchEvent(new Event('input', { bubbles: true }));",
                    vec![serde_json::json!(starts_at)],
                )
                .await?;
        click(client, "#rota-save").await?;
        wait_until_source(client, "the rota saved", |s| {
            s.contains("Saved the Incident commander rota.")
        })
        .await?;

        sign_in(client, env, "sre").await?;
        client.goto(&env.worker.url("/on-call")).await?;
        wait_for(client, "#on-call-incident_commander-now").await?;
        if client.find(Locator::Css("#rota-editor")).await.is_ok() {
            return Err("an SRE is offered the rota editor".into());
        }
        wait_until_source(client, "alice on call now, bob next", |s| {
            s.contains(r#"id="on-call-incident_commander-now">ic-alice<"#)
                && s.contains(r#"id="on-call-incident_commander-next">ic-bob from "#)
                && s.contains(r#"id="on-call-sre-now">no rota<"#)
        })
        .await?;

        client
            .goto(&env.worker.url(&format!("/incidents/{id}")))
            .await?;
        let countdown = "#next-deadline[data-kind=acknowledge] .countdown";
        let first = wait_for(client, countdown).await?.text().await?;
        if !(first.starts_with("within 14 min") || first.starts_with("within 15 min")) {
            return Err(format!("a P1 has 15 minutes to be acknowledged: {first:?}").into());
        }
        wait_until_source(client, "the duty IC", |s| {
            s.contains(r#"id="duty-commander">ic-alice<"#)
        })
        .await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let now = client
                .find(fantoccini::Locator::Css(countdown))
                .await?
                .text()
                .await?;
            if now != first {
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("the countdown does not tick: {now:?}").into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }

        wait_for(client, "#acknowledge").await?.click().await?;
        wait_until_source(client, "acknowledged by the SRE", |s| {
            s.contains(&format!(r#"id="acknowledged-by">by {sre}<"#))
                && s.contains(r#"data-kind="first_update""#)
        })
        .await?;
        Ok::<(), BoxError>(())
    })?;
    Ok(())
}

/// SPEC E4: an incident commander changes the P1 acknowledgement limit on the
/// time-limits page; the edge stores it (read back through the API).
fn time_limits_page_saves_the_teams_limits(env: &Env) -> Result<(), Failed> {
    let config_path = "/api/escalation/config";
    let config_url = env.worker.url(config_path);
    let defaults = get_json(env, "sre", config_path)?;
    let result = signed_in_session(env, "incident_commander", async |client| {
        client.goto(&env.worker.url("/settings/escalation")).await?;
        let input = wait_for(client, "#limit-P1-acknowledge").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while input.prop("value").await?.as_deref() != Some("15") {
            if std::time::Instant::now() > deadline {
                return Err("the P1 acknowledgement limit (15) is not shown".into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        input.clear().await?;
        input.send_keys("10").await?;
        click(client, "#save-limits").await?;
        wait_until_source(client, "saved", |s| {
            s.contains("Saved. The next sweep uses these limits.")
        })
        .await?;
        Ok::<(), BoxError>(())
    });
    let saved = get_json(env, "sre", config_path)?;
    let restored = env
        .http
        .put(&config_url)
        .bearer_auth(env.worker.token("admin"))
        .json(&defaults)
        .send()?;
    result?;
    if !restored.status().is_success() {
        return Err("could not restore the default limits".into());
    }
    if saved["p1"]["limits"]["acknowledge"] != 10 || saved["p0"] != defaults["p0"] {
        return Err(format!("the page saved only the P1 acknowledgement limit: {saved}").into());
    }
    Ok(())
}

/// What the public outputs say about one component and one incident.
struct PublicView {
    html: String,
    summary: serde_json::Value,
    incidents: serde_json::Value,
    atom: String,
    rss: String,
}

impl PublicView {
    fn read(env: &Env) -> Result<Self, Failed> {
        let text = |path: &str| -> Result<String, Failed> {
            let response = env.http.get(env.worker.url(path)).send()?;
            crate::check(
                response.status() == 200,
                format!("{path}: {}", response.status()),
            )?;
            Ok(response.text()?)
        };
        Ok(Self {
            html: text("/status")?,
            summary: serde_json::from_str(&text("/api/v2/summary.json")?)?,
            incidents: serde_json::from_str(&text("/api/v2/incidents.json")?)?,
            atom: text("/history.atom")?,
            rss: text("/history.rss")?,
        })
    }

    /// The class of today's uptime bar (the last of the component's 90).
    fn todays_bar(&self, component: &str) -> String {
        let Some(start) = self.html.find(&format!("id=\"component-{component}\"")) else {
            return "component not on the page".into();
        };
        let rest = &self.html[start..];
        let bars = &rest[..rest.find("</ol>").unwrap_or(rest.len())];
        bars.rfind("<li class=\"")
            .map(|i| &bars[i + 11..])
            .and_then(|tail| tail.split('"').next())
            .unwrap_or("no bars")
            .to_owned()
    }

    /// The component's availability this month as the page prints it.
    fn month_availability(&self, name: &str) -> String {
        let row = format!("<th scope=\"row\">{name}</th><td ");
        self.html
            .find(&row)
            .map(|i| &self.html[i + row.len()..])
            .and_then(|tail| tail.split_once('>'))
            .and_then(|(_, tail)| tail.split('<').next())
            .unwrap_or("no availability row")
            .to_owned()
    }

    fn incident(&self, id: &str) -> Option<&serde_json::Value> {
        self.incidents["incidents"]
            .as_array()
            .and_then(|l| l.iter().find(|i| i["id"] == id))
    }

    /// Whether both feeds carry `text`.
    fn feeds_carry(&self, text: &str) -> bool {
        self.atom.contains(text) && self.rss.contains(text)
    }
}

pub(crate) async fn choose(
    client: &fantoccini::Client,
    css: &str,
    value: &str,
) -> Result<(), BoxError> {
    wait_for(client, css).await?.select_by_value(value).await?;
    Ok(())
}

pub(crate) async fn click(client: &fantoccini::Client, css: &str) -> Result<(), BoxError> {
    client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// Chooses the status and the text of the next update of the incident in `li`.
async fn pick_update(
    client: &fantoccini::Client,
    li: &str,
    status: &str,
    text: &str,
) -> Result<(), BoxError> {
    choose(client, &format!("{li} select.update-status"), status).await?;
    choose(client, &format!("{li} select.update-template"), text).await
}

/// SPEC M1, M2, M3, L2: in a real browser, customer support puts Checkout on
/// the page, previews a public incident from a P1 ticket with
/// the investigating template and Checkout in partial outage, publishes
/// it, posts two updates (a template and written text) and resolves it with the
/// component operational. After each step `/status`, the JSON and both feeds
/// show it; today's uptime bar turns partial outage and this month's
/// availability drops below 100 %, and both stay so after the resolution.
fn csup_publishes_updates_and_resolves_a_public_incident(env: &Env) -> Result<(), Failed> {
    // A category of its own, so the component is new whatever ran before.
    env.worker.query(
        "INSERT OR IGNORE INTO categories (name, group_name, position) \
         VALUES ('Checkout', 'Commerce', 6)",
    )?;
    let title = format!("Checkout page times out {}", std::process::id());
    let (status, ticket) = crate::post(
        env,
        "sre",
        "/api/incidents",
        &serde_json::json!({"title": title, "category": "Checkout", "priority": "P1"}),
    )?;
    crate::check(status == 201, format!("P1 ticket: {status} {ticket}"))?;
    let ticket_id = ticket["id"].as_i64().ok_or("ticket id")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = runtime
        .block_on(env.driver.session())
        .map_err(|e| e.to_string())?;
    let in_browser = |step: &str, result: Result<(), BoxError>| -> Result<(), Failed> {
        result.map_err(|e| format!("{step}: {e}").into())
    };
    let outcome = (|| -> Result<(), Failed> {
        in_browser(
            "add the component",
            runtime.block_on(async {
                sign_in(&client, env, "customer_support").await?;
                client.goto(&env.worker.url("/publish")).await?;
                choose(&client, "#component-category", "Checkout").await?;
                click(&client, "#add-component").await?;
                wait_until_source(&client, "the component row", |s| {
                    s.contains("component-row") && s.contains("<strong>Checkout</strong>")
                })
                .await
            }),
        )?;
        let components: serde_json::Value = env
            .http
            .get(env.worker.url("/api/v2/components.json"))
            .send()?
            .json()?;
        let component = components["components"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["name"] == "Checkout"))
            .and_then(|c| c["id"].as_str())
            .ok_or("Checkout is not a public component")?
            .to_owned();
        let before = PublicView::read(env)?;
        crate::check(
            before.todays_bar(&component) == "d-operational"
                && before.month_availability("Checkout") == "100.00 %",
            format!(
                "a new component is up: {} {}",
                before.todays_bar(&component),
                before.month_availability("Checkout")
            ),
        )?;

        in_browser(
            "preview",
            runtime.block_on(async {
                wait_for(&client, "#from-incident")
                    .await?
                    .send_keys(&ticket_id.to_string())
                    .await?;
                choose(&client, "#public-template", "investigating").await?;
                choose(
                    &client,
                    &format!("#new-public-incident select.affect[data-id='{component}']"),
                    "partial_outage",
                )
                .await?;
                click(&client, "#preview-incident").await?;
                let preview = wait_for(&client, "#preview").await?;
                let text = preview.text().await?;
                if !(text.contains(&title) && text.contains("problems with Checkout")) {
                    return Err(format!(
                        "the preview shows the ticket's title and the template: {text}"
                    )
                    .into());
                }
                Ok(())
            }),
        )?;
        crate::check(
            !PublicView::read(env)?
                .incidents
                .to_string()
                .contains(&title),
            "a preview publishes nothing",
        )?;

        in_browser(
            "publish",
            runtime.block_on(async {
                click(&client, "#publish-incident").await?;
                let result = wait_for(&client, "#publish-result").await?.text().await?;
                if !result.contains("Published") {
                    return Err(format!("publish result: {result}").into());
                }
                Ok(())
            }),
        )?;
        let published = PublicView::read(env)?;
        let id = published.incidents["incidents"]
            .as_array()
            .and_then(|l| l.iter().find(|i| i["name"] == title.as_str()))
            .and_then(|i| i["id"].as_str())
            .ok_or("the incident is not in incidents.json")?
            .to_owned();
        let incident = published.incident(&id).ok_or("incident")?;
        crate::check(
            incident["status"] == "investigating"
                && incident["impact"] == "major"
                && published.summary["incidents"].to_string().contains(&title)
                && published.html.contains(&title)
                && published.feeds_carry(&title)
                && published.feeds_carry("We are investigating problems with Checkout"),
            "published: /status, summary.json, incidents.json and both feeds show it",
        )?;
        crate::check(
            published.todays_bar(&component) == "d-partial_outage"
                && published.month_availability("Checkout") != "100.00 %",
            format!(
                "the outage shows in today's bar and the month: {} {}",
                published.todays_bar(&component),
                published.month_availability("Checkout")
            ),
        )?;

        let li = format!("li.public-incident[data-id='{id}']");
        in_browser(
            "first update, from the identified template",
            runtime.block_on(async {
                pick_update(&client, &li, "identified", "identified").await?;
                click(&client, &format!("{li} button.post-update")).await?;
                wait_until_source(&client, "the identified update", |s| {
                    s.contains("We have identified the cause of the problems with Checkout")
                })
                .await
            }),
        )?;
        let identified = PublicView::read(env)?;
        crate::check(
            identified
                .incident(&id)
                .is_some_and(|i| i["status"] == "identified")
                && identified.html.contains("We have identified the cause")
                && identified.feeds_carry("We have identified the cause"),
            "the first update is on the page, in the JSON and in both feeds",
        )?;

        let written = "Checkout is fast again for most customers; we are watching the rest.";
        in_browser(
            "second update, written",
            runtime.block_on(async {
                pick_update(&client, &li, "monitoring", "written").await?;
                let body = wait_for(&client, &format!("{li} textarea.update-body")).await?;
                body.clear().await?;
                body.send_keys(written).await?;
                click(&client, &format!("{li} button.post-update")).await?;
                wait_until_source(&client, "the written update", |s| s.contains(written)).await
            }),
        )?;
        let monitoring = PublicView::read(env)?;
        crate::check(
            monitoring
                .incident(&id)
                .is_some_and(|i| i["status"] == "monitoring" && i["monitoring_at"].is_string())
                && monitoring.html.contains(written)
                && monitoring.feeds_carry(written),
            "the second update is on the page, in the JSON and in both feeds",
        )?;

        in_browser(
            "resolve",
            runtime.block_on(async {
                pick_update(&client, &li, "resolved", "resolved").await?;
                choose(
                    &client,
                    &format!("{li} select.affect[data-id='{component}']"),
                    "operational",
                )
                .await?;
                click(&client, &format!("{li} button.post-update")).await?;
                wait_until_source(&client, "the incident leaves the unresolved list", |s| {
                    !s.contains(&format!("data-id=\"{id}\" class=\"public-incident"))
                        && !s.contains(&format!("class=\"public-incident\" data-id=\"{id}\""))
                })
                .await
            }),
        )?;
        let resolved = PublicView::read(env)?;
        crate::check(
            resolved
                .incident(&id)
                .is_some_and(|i| i["status"] == "resolved" && i["resolved_at"].is_string())
                && !resolved.summary["incidents"].to_string().contains(&title)
                && !resolved.html.contains(&title)
                && resolved.feeds_carry("have been resolved"),
            "resolved: off /status and summary.json, resolved in incidents.json and both feeds",
        )?;
        let components: serde_json::Value = env
            .http
            .get(env.worker.url("/api/v2/components.json"))
            .send()?
            .json()?;
        crate::check(
            components.to_string().contains("\"operational\"")
                && components["components"]
                    .as_array()
                    .and_then(|l| l.iter().find(|c| c["id"] == component.as_str()))
                    .is_some_and(|c| c["status"] == "operational"),
            "Checkout is operational again",
        )?;
        crate::check(
            resolved.todays_bar(&component) == "d-partial_outage"
                && resolved.month_availability("Checkout") != "100.00 %",
            "today's bar and the month keep the outage",
        )?;
        let history = get_text(env, "/status/history")?;
        crate::check(
            history.contains(&title),
            "the incident is in /status/history",
        )
    })();
    let _ = runtime.block_on(client.close());
    outcome
}

/// Finds what keeps the current page from working on a phone: the page wider
/// than the window (sideways scrolling), and visible tap targets (links,
/// buttons, inputs, selects, text areas; a checkbox or radio button by its
/// label) under 44 px tall. Returns the window's width, how many targets it
/// measured and the problems.
const PHONE_LAYOUT_PROBLEMS: &str = r#"
const problems = [];
const page = document.documentElement;
if (page.scrollWidth > window.innerWidth) {
  problems.push(`the page is ${page.scrollWidth} px wide in a ${window.innerWidth} px window`);
}
const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.type ? '[' + el.type + ']' : ''} "${(el.textContent || el.value || '').trim().slice(0, 40)}"`;
let measured = 0;
for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')) {
  const target = (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') || el) : el;
  const box = target.getBoundingClientRect();
  if (box.width <= 1 || box.height <= 1 || getComputedStyle(target).visibility === 'hidden') continue;
  measured += 1;
  if (Math.round(box.height) < 44) problems.push(`${describe(el)} is ${box.height} px tall`);
}
return { width: window.innerWidth, measured, problems };
"#;

/// Fails unless the current page fits a [`PHONE_WIDTH`] px window without
/// scrolling sideways and every visible tap target is at least 44 px tall.
async fn check_phone_layout(client: &fantoccini::Client, page: &str) -> Result<(), BoxError> {
    let found = client.execute(PHONE_LAYOUT_PROBLEMS, vec![]).await?;
    let problems = found["problems"].as_array().ok_or("problems")?;
    if found["width"] != PHONE_WIDTH {
        return Err(format!(
            "{page}: the window is {} px wide, not {PHONE_WIDTH}",
            found["width"]
        )
        .into());
    }
    if found["measured"].as_u64().unwrap_or(0) == 0 {
        return Err(format!("{page}: no tap target was measured").into());
    }
    if !problems.is_empty() {
        return Err(format!("{page} at {PHONE_WIDTH} px: {problems:#?}").into());
    }
    Ok(())
}

/// The most a README screenshot may weigh.
const MAX_SCREENSHOT_BYTES: usize = 300 * 1024;

/// Saves what the window shows, from the top of the page, as
/// `docs/screenshots/<name>` (the README's pictures).
pub(crate) async fn save_screenshot(
    client: &fantoccini::Client,
    name: &str,
) -> Result<(), BoxError> {
    client.execute("window.scrollTo(0, 0)", vec![]).await?;
    let png = client.screenshot().await?;
    if !png.starts_with(b"\x89PNG") || png.len() > MAX_SCREENSHOT_BYTES {
        return Err(format!(
            "{name}: not a PNG of at most {MAX_SCREENSHOT_BYTES} bytes ({} bytes)",
            png.len()
        )
        .into());
    }
    let folder = beacon_e2e::root().join("docs").join("screenshots");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join(name), png)?;
    Ok(())
}

/// Sets the alert time to 17 minutes ago on the browser's own clock and time
/// zone, as a person would type it; returns that instant in UTC (RFC 3339).
const SET_ALERT_TIME: &str = r#"
const at = new Date(Date.now() - 17 * 60000);
at.setSeconds(0, 0);
const two = (n) => String(n).padStart(2, '0');
const local = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`;
const input = document.querySelector('#alerted-at');
input.value = local;
input.dispatchEvent(new Event('input', { bubbles: true }));
return at.toISOString().replace('.000Z', 'Z');
"#;

/// SPEC T2, T4, K1, P0, P1: on a phone 360 px wide, the SRE chooses the
/// category from the status page's components, sets the alert time in their
/// own time zone (its UTC time shown beside it), names two affected customers
/// (one an enterprise customer) and sees P0 live; the form fits the screen
/// with 44 px tap targets. The stored incident (read through the API) has
/// both customers with their flags, the alert time and the category.
fn phone_triage_form_records_customers_alert_time_and_category(env: &Env) -> Result<(), Failed> {
    // Plain names: the screenshot shows them, and the ticket is found by its id.
    let title = "Checkout fails for EU customers";
    let (globex, initech) = ("Globex Corp", "Initech");
    let (id, alerted_at) = signed_in_session_on(env, Screen::Phone, "sre", async |client| {
        client.goto(&env.worker.url("/incidents/new")).await?;
        wait_for(client, "#title").await?.send_keys(title).await?;
        check_phone_layout(client, "the empty triage form").await?;
        wait_for(client, "#category option[value='Web application']").await?;
        choose(client, "#category", "Web application").await?;
        let alerted_at = client.execute(SET_ALERT_TIME, vec![]).await?;
        let alerted_at = alerted_at.as_str().ok_or("the alert time")?.to_owned();
        let shown_utc = format!("{} {} UTC", &alerted_at[..10], &alerted_at[11..16]);
        wait_until_source(client, "the alert time in UTC", |s| s.contains(&shown_utc)).await?;
        // New York is behind UTC, whether on daylight saving time or not.
        let label = client
            .find(Locator::Css("label:has(#alerted-at)"))
            .await?
            .text()
            .await?;
        if !label.contains("your time, UTC\u{2212}0") {
            return Err(format!(
                "the alert time is typed in the browser's zone ({BROWSER_TIME_ZONE}): {label:?}"
            )
            .into());
        }

        client
            .find(Locator::Css("#availability-region-eu-west"))
            .await?
            .send_keys("97.5")
            .await?;
        wait_for(client, "#customer-name-0")
            .await?
            .send_keys(globex)
            .await?;
        click(client, "#customer-enterprise-0").await?;
        click(client, "#add-customer").await?;
        wait_for(client, "#customer-name-1")
            .await?
            .send_keys(initech)
            .await?;
        click(client, "#impact-total-loss").await?;
        wait_until_source(client, "live P0 with the enterprise customer's P1", |s| {
            s.contains(r#"data-priority="P0""#)
                && s.contains(&format!("distribution partner {globex}"))
        })
        .await?;
        check_phone_layout(client, "the filled triage form").await?;
        save_screenshot(client, "triage-form.png").await?;

        click(client, "#submit-incident").await?;
        let created = wait_for(client, "#submit-result [data-incident-id]").await?;
        let id: i64 = created
            .attr("data-incident-id")
            .await?
            .ok_or("id attribute")?
            .parse()?;
        Ok::<_, BoxError>((id, alerted_at))
    })?;

    let detail = get_json(env, "sre", &format!("/api/incidents/{id}"))?;
    let incident = &detail["incident"];
    let customers = serde_json::json!([
        {"name": globex, "enterprise_or_partner": true},
        {"name": initech, "enterprise_or_partner": false},
    ]);
    crate::check(
        incident["facts"]["customers"] == customers
            && incident["facts"]["alerted_at"] == alerted_at.as_str()
            && incident["category"] == "Web application"
            && incident["priority"] == "P0"
            && incident["title"] == title,
        format!("stored: customers {customers}, alert time {alerted_at}, Web application, P0; got {incident}"),
    )
}

/// SPEC E1, E3, V2, M3, M4: on a phone 360 px wide the queue, the incident
/// page (whose acknowledge button works), the alert queue and the public
/// status page fit the screen without sideways scrolling, with tap targets
/// of at least 44 px. The incident page and the status page are saved as the
/// README's screenshots.
fn phone_queue_incident_alerts_and_status_page_fit_360_px(env: &Env) -> Result<(), Failed> {
    let tag = std::process::id();
    // API is on the page whatever ran before; the other categories are left
    // for the tests that put them there themselves.
    crate::public_page::component_id(env, "API")?;
    let title = "Card payments declined for EU customers";
    let (status, created) = crate::post(
        env,
        "sre",
        "/api/incidents",
        &serde_json::json!({"title": title, "category": "Payments", "priority": "P1",
            "facts": {"system": "payments-gateway", "impact": {"total_loss_of_access": true},
                "customers": [{"name": "Globex", "enterprise_or_partner": true}]}}),
    )?;
    crate::check(status == 201, format!("P1 ticket: {status} {created}"))?;
    let id = created["id"].as_i64().ok_or("incident id")?;
    let key = crate::ingest::integration(env, "pd-phone", "pagerduty")?;
    let dedup_key = format!("phone-{tag}");
    let (status, body) = crate::ingest::enqueue(
        env,
        &serde_json::json!({"routing_key": key, "event_action": "trigger", "dedup_key": dedup_key,
            "payload": {"summary": format!("Checkout latency above 2 s in eu-west {tag}"), "source": "web-3.eu-west.example.net", "severity": "error"}}),
    )?;
    crate::check(status == 202, format!("trigger: {status} {body}"))?;
    let alert = crate::ingest::alert_rows(env, &dedup_key)?[0]["id"]
        .as_i64()
        .ok_or("alert id")?;
    let sre = env.worker.user("sre").name;

    signed_in_session_on(env, Screen::Phone, "sre", async |client| {
        client.goto(&env.worker.url("/")).await?;
        wait_for(client, &format!("tr[data-incident-id=\"{id}\"]")).await?;
        check_phone_layout(client, "the queue").await?;

        client
            .goto(&env.worker.url(&format!("/incidents/{id}")))
            .await?;
        wait_for(client, "#timeline li[data-kind=created]").await?;
        wait_for(client, "#acknowledge").await?;
        check_phone_layout(client, "the incident page").await?;
        save_screenshot(client, "incident.png").await?;
        click(client, "#acknowledge").await?;
        wait_until_source(client, "acknowledged by the SRE", |s| {
            s.contains(&format!(r#"id="acknowledged-by">by {sre}<"#))
        })
        .await?;
        check_phone_layout(client, "the acknowledged incident page").await?;

        client.goto(&env.worker.url("/alerts")).await?;
        wait_for(client, &format!("#alert-discard-{alert}")).await?;
        check_phone_layout(client, "the alert queue").await?;

        client.goto(&env.worker.url("/status")).await?;
        wait_for(client, "#availability-heading").await?;
        check_phone_layout(client, "the public status page").await?;
        save_screenshot(client, "status-page.png").await?;
        Ok::<(), BoxError>(())
    })?;

    let detail = get_json(env, "sre", &format!("/api/incidents/{id}"))?;
    crate::check(
        timeline_kinds(&detail)?.contains(&"acknowledged"),
        format!("the acknowledgement is in the timeline: {detail}"),
    )
}
