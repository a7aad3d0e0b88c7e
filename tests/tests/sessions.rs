//! Browser sessions: signing in exchanges the API token for an `HttpOnly`
//! session cookie and a CSRF token; writes without the CSRF token are
//! refused; revoking the token signs the browser out.

use crate::{check, json_of, post, Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source};
use beacon_e2e::BoxError;
use fantoccini::{Client, Locator};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[
    (
        "sessions::sign_in_opens_an_http_only_session_with_csrf_on_writes",
        sign_in_opens_an_http_only_session_with_csrf_on_writes,
    ),
    (
        "sessions::browser_session_lives_in_a_cookie_and_ends_with_its_token",
        browser_session_lives_in_a_cookie_and_ends_with_its_token,
    ),
    (
        "sessions::the_cron_deletes_sessions_a_day_after_they_end",
        the_cron_deletes_sessions_a_day_after_they_end,
    ),
];

/// SPEC I3: D1 keeps no session row for long after it stops opening
/// anything: the cron deletes those that ended or expired over a day ago,
/// and keeps a live one.
fn the_cron_deletes_sessions_a_day_after_they_end(env: &Env) -> Result<(), Failed> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let day_ms = 24 * 60 * 60 * 1000;
    env.worker
        .query(&format!(
            "INSERT INTO browser_sessions (session_hash, csrf_hash, token_id, created_at, expires_at, ended_at) \
             SELECT 'prune-expired', 'c1', min(id), 0, {old}, NULL FROM api_tokens UNION ALL \
             SELECT 'prune-ended', 'c2', min(id), 0, {live}, {old} FROM api_tokens UNION ALL \
             SELECT 'prune-live', 'c3', min(id), 0, {live}, NULL FROM api_tokens",
            old = now_ms - 2 * day_ms,
            live = now_ms + day_ms,
        ))
        .map_err(|e| e.to_string())?;
    env.worker
        .run_scheduled(now_ms)
        .map_err(|e| e.to_string())?;
    // The pruning runs after the trigger has answered (`wait_until`).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let left = loop {
        let left = env
            .worker
            .query(
                "SELECT session_hash FROM browser_sessions WHERE session_hash LIKE 'prune-%' \
                 ORDER BY session_hash",
            )
            .map_err(|e| e.to_string())?;
        if left.as_array().map(Vec::len) == Some(1) || std::time::Instant::now() > deadline {
            break left;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    check(
        left.as_array().map(Vec::len) == Some(1) && left[0]["session_hash"] == "prune-live",
        format!("only the live session stays: {left}"),
    )
}

/// How many incidents are stored.
fn incident_count(env: &Env) -> Result<u64, Failed> {
    let rows = env
        .worker
        .query("SELECT count(*) AS n FROM incidents")
        .map_err(|e| e.to_string())?;
    Ok(rows[0]["n"].as_u64().ok_or("count missing")?)
}

/// A new person of `role` named `name` with a fresh token: (user id, token).
fn person_with_token(env: &Env, name: &str, role: &str) -> Result<(i64, String), Failed> {
    let (status, person) = post(
        env,
        "admin",
        "/api/users",
        &json!({"name": name, "role": role}),
    )?;
    check(status == 201, format!("create user: {status} {person}"))?;
    let user = person["id"].as_i64().ok_or("id")?;
    let (status, issued) = post(
        env,
        "admin",
        &format!("/api/users/{user}/tokens"),
        &json!({"label": "browser"}),
    )?;
    check(status == 201, format!("issue: {status} {issued}"))?;
    Ok((user, issued["token"].as_str().ok_or("token")?.to_owned()))
}

/// The ids of `user`'s tokens, as the admin's list shows them.
fn token_ids(env: &Env, user: i64) -> Result<Vec<i64>, Failed> {
    let (status, list) = crate::get(env, "admin", "/api/users")?;
    check(status == 200, format!("people: {status}"))?;
    Ok(list["people"]
        .as_array()
        .ok_or("people")?
        .iter()
        .find(|p| p["id"] == user)
        .ok_or("person listed")?["tokens"]
        .as_array()
        .ok_or("tokens")?
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect())
}

/// SPEC I3, I4: `POST /api/session` answers with the CSRF token and two
/// `SameSite=Strict` cookies, the session's `HttpOnly` (no `Secure` only
/// because the tests run in `BEACON_ENV=test` over plain HTTP); the cookie
/// reads without CSRF, a write needs the session's CSRF token (403 and
/// nothing stored without it), a bearer token needs none, and a revoked or
/// unknown token opens no session (401, nothing stored).
fn sign_in_opens_an_http_only_session_with_csrf_on_writes(env: &Env) -> Result<(), Failed> {
    let (user, token) = person_with_token(env, "session-sue", "sre")?;
    let response = env
        .http
        .post(env.worker.url("/api/session"))
        .json(&json!({ "token": token }))
        .send()?;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let (status, session) = json_of(response)?;
    check(status == 201, format!("sign-in: {status} {session}"))?;
    check(
        session["user"]["name"] == "session-sue",
        format!("who: {session}"),
    )?;
    let csrf = session["csrf_token"]
        .as_str()
        .ok_or("csrf_token")?
        .to_owned();
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("beacon_session="))
        .ok_or_else(|| format!("no session cookie in {cookies:?}"))?;
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("beacon_csrf="))
        .ok_or_else(|| format!("no CSRF cookie in {cookies:?}"))?;
    check(
        session_cookie.contains("; HttpOnly")
            && session_cookie.contains("; SameSite=Strict")
            && session_cookie.contains("; Path=/")
            && session_cookie.contains("; Max-Age=43200")
            && !session_cookie.contains(&token),
        format!("session cookie: {session_cookie}"),
    )?;
    check(
        !csrf_cookie.contains("HttpOnly")
            && csrf_cookie.contains("; SameSite=Strict")
            && csrf_cookie.starts_with(&format!("beacon_csrf={csrf};")),
        format!("CSRF cookie: {csrf_cookie}"),
    )?;
    let secret = session_cookie
        .trim_start_matches("beacon_session=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let cookie = format!("beacon_session={secret}");

    let (status, me) = json_of(
        env.http
            .get(env.worker.url("/api/me"))
            .header("cookie", &cookie)
            .send()?,
    )?;
    check(
        status == 200 && me["name"] == "session-sue",
        format!("/api/me with the cookie: {status} {me}"),
    )?;

    let incident = json!({"title": "Checkout slow (session)", "category": "Payments",
        "facts": {"measurements": {"site_wide_degradation": true}}});
    let before = incident_count(env)?;
    for csrf_header in [None, Some("0000"), Some(secret.as_str())] {
        let mut request = env
            .http
            .post(env.worker.url("/api/incidents"))
            .header("cookie", &cookie)
            .json(&incident);
        if let Some(value) = csrf_header {
            request = request.header("x-beacon-csrf", value);
        }
        let (status, body) = json_of(request.send()?)?;
        check(
            status == 403 && body["error"]["code"] == "forbidden",
            format!("a write with CSRF {csrf_header:?}: {status} {body}"),
        )?;
    }
    check(
        incident_count(env)? == before,
        "refused writes stored nothing",
    )?;
    let (status, created) = json_of(
        env.http
            .post(env.worker.url("/api/incidents"))
            .header("cookie", &cookie)
            .header("x-beacon-csrf", &csrf)
            .json(&incident)
            .send()?,
    )?;
    check(
        status == 201,
        format!("a write with the CSRF token: {status} {created}"),
    )?;
    let (status, _) = post(env, "sre", "/api/incidents", &incident)?;
    check(
        status == 201,
        format!("a bearer write needs no CSRF: {status}"),
    )?;

    // Sign-out ends the session at once and removes the cookies.
    let response = env
        .http
        .delete(env.worker.url("/api/session"))
        .header("cookie", &cookie)
        .header("x-beacon-csrf", &csrf)
        .send()?;
    let cleared: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    check(
        response.status() == 200
            && cleared.len() == 2
            && cleared.iter().all(|c| c.contains("Max-Age=0")),
        format!("sign-out: {} {cleared:?}", response.status()),
    )?;
    let status = env
        .http
        .get(env.worker.url("/api/me"))
        .header("cookie", &cookie)
        .send()?
        .status();
    check(status == 401, format!("after sign-out: {status}"))?;

    // A revoked token opens no session.
    for id in token_ids(env, user)? {
        let (status, body) = post(
            env,
            "admin",
            &format!("/api/tokens/{id}/revoke"),
            &json!({}),
        )?;
        check(status == 200, format!("revoke: {status} {body}"))?;
    }
    let sessions = env
        .worker
        .query("SELECT count(*) AS n FROM browser_sessions")
        .map_err(|e| e.to_string())?;
    for refused in [token.as_str(), "bkn_unknown"] {
        let (status, body) = json_of(
            env.http
                .post(env.worker.url("/api/session"))
                .json(&json!({ "token": refused }))
                .send()?,
        )?;
        check(
            status == 401,
            format!("sign-in with {refused}: {status} {body}"),
        )?;
    }
    let after = env
        .worker
        .query("SELECT count(*) AS n FROM browser_sessions")
        .map_err(|e| e.to_string())?;
    check(after == sessions, "a refused sign-in stores no session")?;
    Ok(())
}

/// Runs a `fetch` in the page and returns its status and body text.
async fn fetch_in_page(
    client: &Client,
    method: &str,
    path: &str,
    csrf: bool,
) -> Result<(u64, String), BoxError> {
    let script = r#"
        const [method, path, csrf, done] = arguments;
        const headers = { "content-type": "application/json" };
        if (csrf) {
            const found = document.cookie.split("; ").find(c => c.startsWith("beacon_csrf="));
            headers["x-beacon-csrf"] = found ? found.slice("beacon_csrf=".length) : "";
        }
        const body = method === "GET" ? undefined : JSON.stringify({
            title: "Written from the browser", category: "API",
            facts: { measurements: { site_wide_degradation: true } } });
        fetch(path, { method, headers, body })
            .then(r => r.text().then(t => done([r.status, t])))
            .catch(e => done([0, String(e)]));
    "#;
    let answer = client
        .execute_async(script, vec![json!(method), json!(path), json!(csrf)])
        .await?;
    Ok((
        answer[0].as_u64().unwrap_or_default(),
        answer[1].as_str().unwrap_or_default().to_owned(),
    ))
}

/// SPEC I3, I4: the app signs in through a session under its strict
/// Content-Security-Policy: the session cookie works, the app keeps no token
/// in `localStorage` and cannot read the session cookie, a write without the
/// CSRF token is refused and stores nothing; revoking the token signs the
/// browser out.
fn browser_session_lives_in_a_cookie_and_ends_with_its_token(env: &Env) -> Result<(), Failed> {
    let (user, token) = person_with_token(env, "session-bea", "sre")?;
    let app = env.http.get(env.worker.url("/")).send()?;
    let policy = beacon_e2e::header_text(&app, "content-security-policy");
    check(
        policy.contains("script-src 'self' 'wasm-unsafe-eval'")
            && policy.contains("frame-ancestors 'none'"),
        format!("the app's CSP: {policy:?}"),
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let before = incident_count(env)?;
    let client = runtime
        .block_on(env.driver.session())
        .map_err(|e| e.to_string())?;
    let signed_in: Result<(u64, String), BoxError> = runtime.block_on(async {
        client.goto(&env.worker.url("/sign-in")).await?;
        wait_for(&client, "#token").await?.send_keys(&token).await?;
        client.find(Locator::Css("#sign-in")).await?.click().await?;
        wait_for(&client, "#incident-queue, #incident-queue-empty").await?;
        wait_until_source(&client, "signed in", |s| s.contains("Signed in")).await?;

        let stored = client
            .execute(
                "return JSON.stringify(Object.entries(localStorage)) + ' ' + \
                 JSON.stringify(Object.entries(sessionStorage)) + ' ' + document.cookie;",
                vec![],
            )
            .await?;
        let stored = stored.as_str().unwrap_or_default().to_owned();
        if stored.contains(&token) || stored.contains("beacon_session") {
            return Err(format!("the browser's scripts can read: {stored}").into());
        }
        if !stored.contains("beacon_csrf=") {
            return Err(format!("no CSRF cookie for the app: {stored}").into());
        }
        let (status, me) = fetch_in_page(&client, "GET", "/api/me", false).await?;
        if status != 200 || !me.contains("session-bea") {
            return Err(format!("/api/me with the cookie: {status} {me}").into());
        }
        let refused = fetch_in_page(&client, "POST", "/api/incidents", false).await?;
        let (status, created) = fetch_in_page(&client, "POST", "/api/incidents", true).await?;
        if status != 201 {
            return Err(format!("a write with the CSRF token: {status} {created}").into());
        }
        Ok(refused)
    });
    let refused_write = match signed_in {
        Ok(refused) => refused,
        Err(err) => {
            let _ = runtime.block_on(client.close());
            return Err(err.to_string().into());
        }
    };

    // Revoking the token ends the session at once: the next request is 401
    // and the app shows itself signed out.
    for id in token_ids(env, user)? {
        let (status, body) = post(
            env,
            "admin",
            &format!("/api/tokens/{id}/revoke"),
            &json!({}),
        )?;
        check(status == 200, format!("revoke: {status} {body}"))?;
    }
    let signed_out: Result<(), BoxError> = runtime.block_on(async {
        let (status, body) = fetch_in_page(&client, "GET", "/api/me", false).await?;
        if status != 401 {
            return Err(format!("/api/me after the revocation: {status} {body}").into());
        }
        client.goto(&env.worker.url("/")).await?;
        wait_until_source(&client, "signed out", |s| {
            s.contains(">Sign in<") && !s.contains("Signed in")
        })
        .await?;
        let cookies = client.execute("return document.cookie;", vec![]).await?;
        if cookies
            .as_str()
            .unwrap_or_default()
            .contains("beacon_csrf=")
        {
            return Err(format!("the CSRF cookie outlived the session: {cookies}").into());
        }
        Ok(())
    });
    let _ = runtime.block_on(client.close());
    signed_out.map_err(|e| e.to_string())?;
    let (status, body) = refused_write;
    check(
        status == 403 && body.contains("CSRF"),
        format!("a write without the CSRF token: {status} {body}"),
    )?;
    check(
        incident_count(env)? == before + 1,
        "only the write with the CSRF token stored an incident",
    )?;
    Ok(())
}
