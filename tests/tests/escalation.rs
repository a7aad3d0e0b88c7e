//! Escalation against the real worker: the cron sweep fired by the test with a
//! chosen scheduled time, signed webhook notifications to a local receiver, the
//! signed acknowledgement link, and priority changes that stop or start pages.

use crate::{check, post, send, Env, TestFn};
use beacon_e2e::receiver::{Received, WebhookReceiver, SLOW_ANSWER};
use hmac::Mac;
use libtest_mimic::Failed;
use serde_json::json;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "escalation::p1_pages_the_duty_ic_once_and_the_signed_link_stops_escalation",
        p1_pages_the_duty_ic_once_and_the_signed_link_stops_escalation,
    ),
    (
        "escalation::downgrade_stops_pages_and_upgrade_pages_at_once",
        downgrade_stops_pages_and_upgrade_pages_at_once,
    ),
    (
        "escalation::the_ic_pulls_in_an_engineering_team",
        the_ic_pulls_in_an_engineering_team,
    ),
    (
        "escalation::time_limits_set_by_the_team_drive_the_sweep",
        time_limits_set_by_the_team_drive_the_sweep,
    ),
    (
        "escalation::security_incidents_reach_only_cleared_readers_in_full",
        security_incidents_reach_only_cleared_readers_in_full,
    ),
    (
        "escalation::a_signed_link_works_once_and_only_for_its_episode",
        a_signed_link_works_once_and_only_for_its_episode,
    ),
    (
        "escalation::a_slow_receiver_delays_nobody_elses_page",
        a_slow_receiver_delays_nobody_elses_page,
    ),
    (
        "escalation::a_receiver_that_always_fails_ends_in_the_dead_letter_queue_and_the_timeline",
        a_receiver_that_always_fails_ends_in_the_dead_letter_queue_and_the_timeline,
    ),
    (
        "escalation::overlapping_sweeps_send_each_notification_once",
        overlapping_sweeps_send_each_notification_once,
    ),
];

const MINUTE_MS: i64 = 60_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The duty-IC rota (alice, then bob, 12-hour shifts from a minute ago) and one
/// channel per person and for management, all pointing at `receiver`.
/// Returns the channels' secrets by path.
fn rota_and_channels(
    env: &Env,
    receiver: &WebhookReceiver,
) -> Result<Vec<(String, String)>, Failed> {
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "admin",
        "/api/rotas/incident_commander",
        &json!({"people": ["ic-alice", "ic-bob"], "shift": 720, "starts_at": iso(now_ms() - MINUTE_MS)}),
    )?;
    check(status == 200, format!("put rota: {status} {body}"))?;
    let mut secrets = Vec::new();
    for (owner_kind, owner, format, path) in [
        ("person", Some("ic-alice"), "generic", "/alice"),
        ("person", Some("ic-bob"), "slack", "/bob"),
        ("management", None, "generic", "/management"),
    ] {
        let (status, body) = post(
            env,
            "admin",
            "/api/notification-channels",
            &json!({"owner_kind": owner_kind, "owner": owner, "format": format, "url": receiver.url(path)}),
        )?;
        check(status == 201, format!("create channel: {status} {body}"))?;
        secrets.push((
            path.to_owned(),
            body["secret"].as_str().ok_or("secret")?.to_owned(),
        ));
    }
    Ok(secrets)
}

/// A generic channel of the DBA team at `receiver`'s `/dba`, created by the
/// incident commander; returns its secret.
fn dba_channel(env: &Env, receiver: &WebhookReceiver) -> Result<String, Failed> {
    let (status, channel) = post(
        env,
        "incident_commander",
        "/api/notification-channels",
        &json!({"owner_kind": "team", "owner": "dba", "format": "generic", "url": receiver.url("/dba")}),
    )?;
    check(status == 201, format!("team channel: {status} {channel}"))?;
    Ok(channel["secret"].as_str().ok_or("secret")?.to_owned())
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

fn create(env: &Env, title: &str, priority: &str) -> Result<i64, Failed> {
    create_as(
        env,
        "sre",
        &json!({"title": title, "category": "Web application", "priority": priority}),
    )
}

/// Creates the incident `body` as the seeded user of `role`; returns its id.
fn create_as(env: &Env, role: &str, body: &serde_json::Value) -> Result<i64, Failed> {
    let (status, body) = post(env, role, "/api/incidents", body)?;
    check(status == 201, format!("create: {status} {body}"))?;
    body["id"].as_i64().ok_or_else(|| "id".into())
}

/// Whether `received` is about incident `id`, at `path`.
fn is_about(received: &Received, id: i64, path: &str) -> bool {
    let body = received.json();
    received.path == path
        && (body["incident"]["id"] == id
            || body["text"].as_str().is_some_and(|t| {
                t.contains(&format!("incident #{id} ")) || t.contains(&format!("incident #{id},"))
            }))
}

/// What the receiver got about incident `id` at `path`, once the queue's
/// delivery settled (delivery follows the sweep asynchronously).
fn about(receiver: &WebhookReceiver, id: i64, path: &str) -> Vec<Received> {
    receiver.settled(|r| is_about(r, id, path))
}

/// The signature headers verify with the channel's secret, and are fresh.
fn signature_is_valid(received: &Received, secret: &str) -> bool {
    let (Some(timestamp), Some(signature)) = (
        received.header("x-beacon-timestamp"),
        received.header("x-beacon-signature"),
    ) else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (now_ms() / 1000 - t).abs() < 300);
    expected == signature && fresh
}

fn timeline_count(env: &Env, id: i64, kind: &str) -> Result<usize, Failed> {
    let (_, detail) = send(
        env,
        reqwest::Method::GET,
        "sre",
        &format!("/api/incidents/{id}"),
        &json!(null),
    )?;
    Ok(detail["timeline"]
        .as_array()
        .map(|t| t.iter().filter(|e| e["kind"] == kind).count())
        .unwrap_or(0))
}

/// SPEC E1, E3, E4: a P1 created through the API pages the duty IC at the first
/// sweep, as a signed generic webhook; a second sweep in the same minute sends
/// nothing; the page's signed link, opened and confirmed, acknowledges it, and
/// 16 minutes later nobody else is paged. A second P1 left unacknowledged is
/// escalated to the next IC (Slack format) at that time, so the silence above
/// is the acknowledgement's doing.
fn p1_pages_the_duty_ic_once_and_the_signed_link_stops_escalation(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    let secrets = rota_and_channels(env, &receiver)?;
    let secret = |path: &str| {
        secrets
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let acked = create(env, "Checkout 502s for EU customers", "P1")?;
    let ignored = create(env, "Search latency above 3 s", "P1")?;
    let t0 = now_ms();
    env.worker.run_scheduled(t0)?;

    let pages = about(&receiver, acked, "/alice");
    check(
        pages.len() == 1,
        format!("one page to the duty IC: {pages:?}"),
    )?;
    let page = &pages[0];
    check(
        signature_is_valid(page, &secret("/alice")),
        format!(
            "the page is signed with alice's channel secret: {:?}",
            page.headers
        ),
    )?;
    let body = page.json();
    check(
        body["event"] == "page"
            && body["incident"]["priority"] == "P1"
            && body["action"]["kind"]["to"]["name"] == "ic-alice",
        format!("the page names the incident and the IC: {body}"),
    )?;
    check(
        about(&receiver, acked, "/bob").is_empty(),
        "bob is not paged yet",
    )?;

    env.worker.run_scheduled(t0 + 1_000)?;
    check(
        about(&receiver, acked, "/alice").len() == 1 && timeline_count(env, acked, "paged")? == 1,
        "a second sweep in the same minute pages nobody again",
    )?;

    let ack_url = body["acknowledge_url"].as_str().ok_or("acknowledge_url")?;
    let path = ack_url
        .strip_prefix(&env.worker.base_url)
        .ok_or_else(|| format!("the link points at this Beacon: {ack_url}"))?;
    let page_html = env.http.get(env.worker.url(path)).send()?;
    check(page_html.status() == 200, "the link opens")?;
    let html = page_html.text()?;
    check(
        html.contains(&format!("Acknowledge incident #{acked}?")) && html.contains("ic-alice"),
        format!("the link asks before acknowledging: {html}"),
    )?;
    check(
        timeline_count(env, acked, "acknowledged")? == 0,
        "opening the link changes nothing",
    )?;
    let tampered = env
        .http
        .post(env.worker.url(&path.replace("ic-alice", "ic-bob")))
        .send()?;
    check(tampered.status() == 403, "a changed link is refused")?;
    let confirmed = env.http.post(env.worker.url(path)).send()?;
    check(confirmed.status() == 200, "the acknowledgement is accepted")?;
    check(
        timeline_count(env, acked, "acknowledged")? == 1,
        "the acknowledgement is in the timeline",
    )?;

    env.worker.run_scheduled(t0 + 16 * MINUTE_MS)?;
    check(
        about(&receiver, acked, "/bob").is_empty(),
        "after the acknowledgement nobody else is paged",
    )?;
    let escalated = about(&receiver, ignored, "/bob");
    check(
        escalated.len() == 1 && signature_is_valid(&escalated[0], &secret("/bob")),
        format!("the unacknowledged P1 goes to the next IC, signed: {escalated:?}"),
    )?;
    let text = escalated[0].json()["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    check(
        text.contains("Escalated to you") && text.contains("|Acknowledge>"),
        format!("Slack-compatible text with the acknowledgement link: {text}"),
    )?;
    Ok(())
}

/// SPEC E4, P6: management lowering a P1 to P2 stops its pending pages; an SRE
/// raising a P2 to P0 pages the duty IC at the next sweep.
fn downgrade_stops_pages_and_upgrade_pages_at_once(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    rota_and_channels(env, &receiver)?;
    let downgraded = create(env, "Reporting exports slow", "P1")?;
    let t0 = now_ms();
    env.worker.run_scheduled(t0)?;
    check(
        about(&receiver, downgraded, "/alice").len() == 1,
        "the P1 pages the duty IC",
    )?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "management",
        &format!("/api/incidents/{downgraded}/priority"),
        &json!({"priority": "P2", "reason": "only internal reporting is affected"}),
    )?;
    check(status == 200, format!("downgrade: {status} {body}"))?;
    env.worker.run_scheduled(t0 + 16 * MINUTE_MS)?;
    check(
        about(&receiver, downgraded, "/bob").is_empty()
            && about(&receiver, downgraded, "/management").is_empty(),
        "a P2 pages nobody further",
    )?;

    let upgraded = create(env, "Login errors rising", "P2")?;
    env.worker.run_scheduled(now_ms())?;
    check(
        about(&receiver, upgraded, "/alice").is_empty(),
        "a P2 pages nobody",
    )?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        &format!("/api/incidents/{upgraded}/priority"),
        &json!({"priority": "P0"}),
    )?;
    check(status == 200, format!("upgrade: {status} {body}"))?;
    env.worker.run_scheduled(now_ms())?;
    let pages = about(&receiver, upgraded, "/alice");
    check(
        pages.len() == 1
            && pages[0].json()["incident"]["priority"] == "P0"
            && pages[0].json()["action"]["kind"]["reason"]["kind"] == "upgraded",
        format!("the upgrade to P0 pages at once: {pages:?}"),
    )?;
    Ok(())
}

/// SPEC E5, E3: the incident commander pulls the DBA team into an incident; the
/// team's channel gets a signed notification at the next sweep and the
/// timeline records who asked and why. A team without a channel is refused.
fn the_ic_pulls_in_an_engineering_team(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    let secret = dba_channel(env, &receiver)?;
    let id = create(env, "Orders database replica lag", "P2")?;
    let (status, body) = post(
        env,
        "incident_commander",
        &format!("/api/incidents/{id}/teams"),
        &json!({"team": "no-such-team", "reason": "help"}),
    )?;
    check(
        status == 422 && body["error"]["field"] == "team",
        format!("a team without a channel is refused: {status} {body}"),
    )?;
    let (status, body) = post(
        env,
        "incident_commander",
        &format!("/api/incidents/{id}/teams"),
        &json!({"team": "dba", "reason": "replica 3 is 40 minutes behind"}),
    )?;
    check(status == 200, format!("pull in: {status} {body}"))?;
    check(
        timeline_count(env, id, "team_paged")? == 1,
        "the timeline records it",
    )?;
    env.worker.run_scheduled(now_ms())?;
    let received = about(&receiver, id, "/dba");
    check(
        received.len() == 1
            && signature_is_valid(&received[0], &secret)
            && received[0].json()["event"] == "team_page"
            && received[0].json()["reason"] == "replica 3 is 40 minutes behind",
        format!("the DBA team is notified, signed: {received:?}"),
    )?;
    env.worker.run_scheduled(now_ms())?;
    check(about(&receiver, id, "/dba").len() == 1, "and only once")?;
    Ok(())
}

/// SPEC E4: the time limits are the team's to set. Invalid limits are refused
/// with the field named; with the P2 acknowledgement limit set to 1 minute, an
/// unacknowledged P2 is escalated to the duty IC 2 minutes after it opened.
fn time_limits_set_by_the_team_drive_the_sweep(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    rota_and_channels(env, &receiver)?;
    let (status, defaults) = send(
        env,
        reqwest::Method::GET,
        "sre",
        "/api/escalation/config",
        &json!(null),
    )?;
    check(
        status == 200 && defaults["p1"]["limits"]["acknowledge"] == 15,
        format!("the defaults: {status} {defaults}"),
    )?;
    let mut invalid = defaults.clone();
    invalid["p2"]["limits"]["remind_before"] = json!(10_000);
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "incident_commander",
        "/api/escalation/config",
        &invalid,
    )?;
    check(
        status == 422
            && body["error"]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("p2")),
        format!("a reminder after the deadline is refused: {status} {body}"),
    )?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        "/api/escalation/config",
        &defaults,
    )?;
    check(
        status == 403,
        format!("an SRE may not change the limits: {status} {body}"),
    )?;
    let mut quick = defaults.clone();
    quick["p2"]["limits"]["acknowledge"] = json!(1);
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "incident_commander",
        "/api/escalation/config",
        &quick,
    )?;
    check(status == 200, format!("set limits: {status} {body}"))?;

    let id = create(env, "Image uploads slow", "P2")?;
    let t0 = now_ms();
    env.worker.run_scheduled(t0 + 2 * MINUTE_MS)?;
    let escalated = about(&receiver, id, "/alice");
    let restored = send(
        env,
        reqwest::Method::PUT,
        "admin",
        "/api/escalation/config",
        &defaults,
    )?;
    check(restored.0 == 200, "defaults restored")?;
    check(
        escalated.len() == 1
            && escalated[0].json()["event"] == "escalate"
            && escalated[0].json()["action"]["kind"]["missed"] == "acknowledge",
        format!("the missed 1-minute acknowledgement goes to the duty IC: {escalated:?}"),
    )?;
    Ok(())
}

/// SPEC K3, E1, E4, E5 (test b): a Security P1 and P2 filed by the security
/// team. The duty IC (no clearance) gets the page, the reminder and the
/// escalation, the next IC the escalated page (Slack), the DBA team the
/// pull-in; none of them names the title, the summary or the facts, only the
/// restricted headline and the links, and the acknowledgement page opened
/// from the IC's link shows the same. Management (cleared) gets the full text.
fn security_incidents_reach_only_cleared_readers_in_full(env: &Env) -> Result<(), Failed> {
    const SECRET: &str = "payroll";
    let receiver = WebhookReceiver::start()?;
    rota_and_channels(env, &receiver)?;
    dba_channel(env, &receiver)?;
    let create_security = |priority: &str| {
        let body = json!({"title": "Exfiltration from the payroll vault", "category": "Security",
                          "priority": priority, "facts": {"system": "payroll-vault"}});
        create_as(env, "security", &body)
    };
    let p1 = create_security("P1")?;
    let p2 = create_security("P2")?;
    let (status, body) = post(
        env,
        "security",
        &format!("/api/incidents/{p1}/teams"),
        &json!({"team": "dba", "reason": "snapshot the payroll vault's database"}),
    )?;
    check(status == 200, format!("pull in: {status} {body}"))?;
    let t0 = now_ms();
    for minutes in [0, 16, 21, 31, 121] {
        env.worker.run_scheduled(t0 + minutes * MINUTE_MS)?;
    }

    let restricted = |id: i64, priority: &str| {
        format!("Security incident #{id}, {priority}, details restricted")
    };
    let uncleared = [
        ("/alice", p1, "page"),
        ("/alice", p1, "remind"),
        ("/alice", p2, "escalate"),
        ("/dba", p1, "team_page"),
    ];
    for (path, id, event) in uncleared {
        let received = about(&receiver, id, path);
        check(
            received.iter().any(|r| r.json()["event"] == event),
            format!("{path} gets the {event} of #{id}: {received:?}"),
        )?;
    }
    for (path, id) in [("/alice", p1), ("/alice", p2), ("/bob", p1), ("/dba", p1)] {
        for r in about(&receiver, id, path) {
            let text = String::from_utf8_lossy(&r.body).into_owned();
            check(
                !text.contains(SECRET),
                format!("{path} without clearance reads no title, summary or facts: {text}"),
            )?;
            check(
                text.contains(&restricted(id, if id == p1 { "P1" } else { "P2" })),
                format!("{path} reads the restricted headline: {text}"),
            )?;
        }
    }
    let escalated = about(&receiver, p1, "/bob");
    check(
        escalated.iter().any(|r| {
            r.json()["text"]
                .as_str()
                .is_some_and(|t| t.contains("Escalated to you") && t.contains("|Acknowledge>"))
        }),
        format!("the next IC gets the escalated page with its link: {escalated:?}"),
    )?;
    let management = about(&receiver, p1, "/management");
    check(
        !management.is_empty()
            && management
                .iter()
                .all(|r| r.json()["incident"]["title"] == "Exfiltration from the payroll vault"),
        format!("management is cleared and reads the title: {management:?}"),
    )?;

    let page = about(&receiver, p1, "/alice")
        .into_iter()
        .find(|r| r.json()["event"] == "page")
        .ok_or("alice's page")?;
    let ack_url = page.json()["acknowledge_url"]
        .as_str()
        .ok_or("acknowledge_url")?
        .to_owned();
    let path = ack_url
        .strip_prefix(&env.worker.base_url)
        .ok_or_else(|| format!("the link points at this Beacon: {ack_url}"))?;
    let response = env.http.get(env.worker.url(path)).send()?;
    check(response.status() == 200, "the link opens")?;
    let html = response.text()?;
    check(
        !html.contains(SECRET) && html.contains(&restricted(p1, "P1")),
        format!("the acknowledgement page shows only the restricted headline: {html}"),
    )?;
    Ok(())
}

/// The path (with query) of the acknowledgement link in a generic page.
fn ack_path(env: &Env, page: &Received) -> Result<String, Failed> {
    let body = page.json();
    let url = body["acknowledge_url"].as_str().ok_or("acknowledge_url")?;
    Ok(url
        .strip_prefix(&env.worker.base_url)
        .ok_or_else(|| format!("the link points at this Beacon: {url}"))?
        .to_owned())
}

/// SPEC E1, E3: an acknowledgement link is served `no-store`, works once
/// (the second click is 409 and writes nothing), and belongs to its
/// escalation episode: a P1's link clicked after the upgrade to P0
/// acknowledges nothing and the P0 goes on paging the next IC, while the P0
/// page's own link acknowledges it.
fn a_signed_link_works_once_and_only_for_its_episode(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    rota_and_channels(env, &receiver)?;
    let once = create(env, "Card payments declined", "P1")?;
    let raised = create(env, "Image uploads failing", "P1")?;
    env.worker.run_scheduled(now_ms())?;
    let page_of = |id: i64| -> Result<Received, Failed> {
        about(&receiver, id, "/alice")
            .into_iter()
            .rfind(|r| r.json()["event"] == "page")
            .ok_or_else(|| format!("alice's page about #{id}").into())
    };

    let path = ack_path(env, &page_of(once)?)?;
    let shown = env.http.get(env.worker.url(&path)).send()?;
    let cache = shown
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    check(
        shown.status() == 200 && cache.contains("no-store") && !cache.contains("public"),
        format!(
            "the link's page is not cacheable: {} {cache}",
            shown.status()
        ),
    )?;
    let first = env.http.post(env.worker.url(&path)).send()?;
    check(
        first.status() == 200,
        format!("first click: {}", first.status()),
    )?;
    let entries = timeline_count(env, once, "acknowledged")?;
    check(entries == 1, format!("one acknowledgement: {entries}"))?;
    let second = env.http.post(env.worker.url(&path)).send()?;
    let status = second.status().as_u16();
    let html = second.text()?;
    check(
        status == 409 && html.contains("used already"),
        format!("the second click is refused: {status} {html}"),
    )?;
    check(
        timeline_count(env, once, "acknowledged")? == 1,
        "the second click wrote nothing",
    )?;

    let p1_path = ack_path(env, &page_of(raised)?)?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "sre",
        &format!("/api/incidents/{raised}/priority"),
        &json!({"priority": "P0"}),
    )?;
    check(status == 200, format!("upgrade: {status} {body}"))?;
    let upgraded_at = now_ms();
    env.worker.run_scheduled(upgraded_at)?;
    let p0_page = page_of(raised)?;
    check(
        p0_page.json()["incident"]["priority"] == "P0",
        format!("the P0 pages: {:?}", p0_page.json()),
    )?;
    let stale = env.http.post(env.worker.url(&p1_path)).send()?;
    let status = stale.status().as_u16();
    let html = stale.text()?;
    check(
        status == 409 && html.contains("earlier page"),
        format!("the P1's link must not acknowledge the P0: {status} {html}"),
    )?;
    check(
        timeline_count(env, raised, "acknowledged")? == 0,
        "the P1's link wrote nothing",
    )?;
    env.worker.run_scheduled(upgraded_at + 20 * MINUTE_MS)?;
    check(
        !about(&receiver, raised, "/bob").is_empty(),
        "the P0 escalates to the next IC",
    )?;
    let p0_path = ack_path(env, &p0_page)?;
    let confirmed = env.http.post(env.worker.url(&p0_path)).send()?;
    check(
        confirmed.status() == 200 && timeline_count(env, raised, "acknowledged")? == 1,
        format!(
            "the P0 page's own link acknowledges it: {}",
            confirmed.status()
        ),
    )?;
    Ok(())
}

/// A generic channel of team `team` at `receiver`'s `path`, and the team
/// pulled into incident `id` (its notification waits for the next sweep).
fn pull_in_team_at(
    env: &Env,
    receiver: &WebhookReceiver,
    team: &str,
    path: &str,
    id: i64,
) -> Result<(), Failed> {
    let (status, channel) = post(
        env,
        "incident_commander",
        "/api/notification-channels",
        &json!({"owner_kind": "team", "owner": team, "format": "generic", "url": receiver.url(path)}),
    )?;
    check(status == 201, format!("team channel: {status} {channel}"))?;
    let (status, body) = post(
        env,
        "incident_commander",
        &format!("/api/incidents/{id}/teams"),
        &json!({"team": team, "reason": "we need you"}),
    )?;
    check(status == 200, format!("pull in {team}: {status} {body}"))
}

/// The delivery state of incident `id`'s notifications, from D1.
fn outbox_of(env: &Env, id: i64) -> Result<Vec<(String, i64)>, Failed> {
    let rows = env.worker.query(&format!(
        "SELECT status, attempts FROM outbound_notifications WHERE incident_id = {id} ORDER BY id"
    ))?;
    Ok(rows
        .as_array()
        .ok_or("rows")?
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["attempts"].as_i64().unwrap_or(-1),
            )
        })
        .collect())
}

/// SPEC E1, E4: a receiver that answers only after 10 s delays neither the
/// sweep nor another person's page queued in the same sweep: the duty IC's
/// page arrives within seconds, and the slow receiver's notification is
/// still delivered, once.
fn a_slow_receiver_delays_nobody_elses_page(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    rota_and_channels(env, &receiver)?;
    let pulled_in = create(env, "Orders replica lag", "P2")?;
    pull_in_team_at(env, &receiver, "slow-dba", "/slow/dba", pulled_in)?;
    let paged = create(env, "Checkout down for everyone", "P1")?;
    let started = Instant::now();
    env.worker.run_scheduled(now_ms())?;
    let sweep_took = started.elapsed();
    check(
        sweep_took < Duration::from_secs(5),
        format!("the sweep waits for no receiver: {sweep_took:?}"),
    )?;
    let slow = receiver.wait_for(1, Duration::from_secs(15), |r| {
        is_about(r, pulled_in, "/slow/dba")
    });
    let page = receiver.wait_for(1, Duration::from_secs(15), |r| is_about(r, paged, "/alice"));
    check(
        slow.len() == 1 && page.len() == 1,
        format!("both are sent: {slow:?} {page:?}"),
    )?;
    let page_after = page[0].at.duration_since(started);
    check(
        page_after < Duration::from_secs(5),
        format!("the duty IC's page arrives at once, not after the slow receiver: {page_after:?}"),
    )?;
    std::thread::sleep(SLOW_ANSWER + Duration::from_secs(3));
    check(
        outbox_of(env, pulled_in)? == vec![("delivered".to_owned(), 1)],
        format!(
            "the slow receiver's notification is delivered in one attempt: {:?}",
            outbox_of(env, pulled_in)?
        ),
    )?;
    check(
        about(&receiver, pulled_in, "/slow/dba").len() == 1,
        "and sent once",
    )?;
    Ok(())
}

/// SPEC E4: a receiver that always fails gets six attempts, with growing
/// waits between them (1, 2, 4, 8, 16 s in the tests; minutes in
/// production) and one idempotency key; then the notification lands in the
/// dead-letter queue, the incident's timeline says it failed, and no sweep
/// sends it again.
fn a_receiver_that_always_fails_ends_in_the_dead_letter_queue_and_the_timeline(
    env: &Env,
) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    let id = create(env, "Invoices stuck in the queue", "P2")?;
    pull_in_team_at(env, &receiver, "broken-billing", "/fail/billing", id)?;
    env.worker.run_scheduled(now_ms())?;
    let started = Instant::now();
    while timeline_count(env, id, "notification_failed")? == 0 {
        check(
            started.elapsed() < Duration::from_secs(120),
            format!(
                "the failure reaches the timeline within 2 minutes; attempts so far: {}",
                receiver.received().len()
            ),
        )?;
        std::thread::sleep(Duration::from_secs(1));
    }
    let attempts: Vec<Received> = receiver
        .received()
        .into_iter()
        .filter(|r| is_about(r, id, "/fail/billing"))
        .collect();
    check(
        attempts.len() == 6,
        format!("six attempts: {}", attempts.len()),
    )?;
    let keys: Vec<&str> = attempts
        .iter()
        .filter_map(|r| r.header("idempotency-key"))
        .collect();
    check(
        keys.len() == 6 && keys.iter().all(|k| *k == keys[0]) && keys[0].contains("/team/"),
        format!("every attempt carries the same idempotency key: {keys:?}"),
    )?;
    let gaps: Vec<Duration> = attempts
        .windows(2)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect();
    check(
        gaps.windows(2).all(|g| g[1] > g[0]) && gaps[0] >= Duration::from_millis(900),
        format!("the waits grow: {gaps:?}"),
    )?;
    let (_, detail) = send(
        env,
        reqwest::Method::GET,
        "sre",
        &format!("/api/incidents/{id}"),
        &json!(null),
    )?;
    let failure = detail["timeline"]
        .as_array()
        .and_then(|t| t.iter().find(|e| e["kind"] == "notification_failed"))
        .cloned()
        .unwrap_or_default();
    check(
        failure["body"]["attempts"] == 6
            && failure["body"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("500")),
        format!("the timeline names the attempts and the error: {failure}"),
    )?;
    check(
        outbox_of(env, id)? == vec![("failed".to_owned(), 6)],
        format!("given up: {:?}", outbox_of(env, id)?),
    )?;
    env.worker.run_scheduled(now_ms())?;
    check(
        about(&receiver, id, "/fail/billing").len() == 6,
        "no sweep sends it again",
    )?;
    Ok(())
}

/// SPEC E1: two sweeps fired at the same moment send each notification once:
/// every page reaches the duty IC once, with its own idempotency key, and is
/// recorded once in the timeline.
fn overlapping_sweeps_send_each_notification_once(env: &Env) -> Result<(), Failed> {
    let receiver = WebhookReceiver::start()?;
    rota_and_channels(env, &receiver)?;
    let ids = (0..12)
        .map(|i| create(env, &format!("Overlap ticket {i}"), "P1"))
        .collect::<Result<Vec<i64>, Failed>>()?;
    let (status, body) = send(
        env,
        reqwest::Method::PUT,
        "admin",
        "/api/test/clock",
        &json!({"offset_ms": 0}),
    )?;
    check(status < 300, format!("test clock: {status} {body}"))?;
    let url = env.worker.url("/__scheduled?cron=*+*+*+*+*");
    let sweeps: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || -> Result<String, String> {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .map_err(|e| e.to_string())?;
                http.get(&url)
                    .send()
                    .and_then(|r| r.text())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for sweep in sweeps {
        let text = sweep.join().map_err(|_| "a sweep thread panicked")??;
        check(
            text.contains("Ran scheduled event"),
            format!("the trigger ran: {text}"),
        )?;
    }
    let mut keys = Vec::new();
    for &id in &ids {
        let pages = about(&receiver, id, "/alice");
        check(
            pages.len() == 1,
            format!("incident {id} pages the duty IC once: {pages:?}"),
        )?;
        keys.extend(pages[0].header("idempotency-key").map(str::to_owned));
        check(
            timeline_count(env, id, "paged")? == 1,
            format!("incident {id} is paged once in its timeline"),
        )?;
    }
    keys.sort();
    keys.dedup();
    check(
        keys.len() == ids.len(),
        format!("one key per page: {keys:?}"),
    )?;
    Ok(())
}
