//! People and access in a real browser (SPEC I3): an admin adds a person,
//! issues them a token (shown once), which then works; revoking it stops it
//! at once, and disabling the person stops every token of theirs. Anyone
//! else finds only a refusal on the page.

use crate::browser_flows::{choose, click, sign_in};
use crate::{check, Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source};
use beacon_e2e::BoxError;
use libtest_mimic::Failed;

pub const TESTS: &[(&str, TestFn)] = &[(
    "people_browser::an_admin_adds_a_person_issues_revokes_and_disables",
    an_admin_adds_a_person_issues_revokes_and_disables,
)];

const PERSON: &str = "pat-people-page";
const ROW: &str = "tr[data-person='pat-people-page']";

/// `GET /api/me` with `token`: its status.
fn me_with(env: &Env, token: &str) -> Result<u16, Failed> {
    Ok(env
        .http
        .get(env.worker.url("/api/me"))
        .bearer_auth(token)
        .send()?
        .status()
        .as_u16())
}

/// Issues a token for the person in the page's row and reads it off the page.
async fn issue_token(client: &fantoccini::Client, label: &str) -> Result<String, BoxError> {
    let input = wait_for(client, &format!("{ROW} input.token-label")).await?;
    input.clear().await?;
    input.send_keys(label).await?;
    click(client, &format!("{ROW} button.issue")).await?;
    wait_until_source(client, "the token is shown", |s| {
        s.contains(&format!("Issued a token for {PERSON}"))
    })
    .await?;
    let token = wait_for(client, "#issued-token-value code")
        .await?
        .text()
        .await?;
    Ok(token.trim().to_owned())
}

fn an_admin_adds_a_person_issues_revokes_and_disables(env: &Env) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = runtime
        .block_on(env.driver.session())
        .map_err(|e| e.to_string())?;
    // The page's steps run in the browser; between them, the API is asked
    // (blocking, outside the browser's runtime) what each token can do.
    let outcome = (|| -> Result<(), Failed> {
        let step = |what: &str, result: Result<(), BoxError>| {
            result.map_err(|e| Failed::from(format!("{what}: {e}")))
        };
        step(
            "the page refuses an SRE",
            runtime.block_on(async {
                sign_in(&client, env, "sre").await?;
                client.goto(&env.worker.url("/admin/people")).await?;
                wait_for(&client, "#people-refused").await?;
                if client.source().await?.contains("href=\"/admin/people\"") {
                    return Err("the navigation offers People to an SRE".into());
                }
                Ok(())
            }),
        )?;
        let first = runtime
            .block_on(async {
                sign_in(&client, env, "admin").await?;
                // From the SRE's bundle into the desk's, by its navigation.
                wait_for(&client, "header.top a[href='/admin/people']").await?;
                click(&client, "header.top a[href='/admin/people']").await?;
                wait_for(&client, "#person-name")
                    .await?
                    .send_keys(PERSON)
                    .await?;
                choose(&client, "#person-role", "engineer").await?;
                click(&client, "#person-add").await?;
                wait_for(&client, ROW).await?;
                issue_token(&client, "laptop").await
            })
            .map_err(|e| format!("add a person and issue a token: {e}"))?;
        check(
            me_with(env, &first)? == 200,
            "the issued token opens the API",
        )?;
        step(
            "revoke",
            runtime.block_on(async {
                click(&client, &format!("{ROW} li.token-active button.revoke")).await?;
                wait_until_source(&client, "revoked", |s| s.contains("Revoked laptop.")).await?;
                wait_for(&client, &format!("{ROW} li.token-revoked")).await?;
                Ok(())
            }),
        )?;
        check(
            me_with(env, &first)? == 401,
            "a revoked token is refused at once",
        )?;
        let second = runtime
            .block_on(issue_token(&client, "phone"))
            .map_err(|e| format!("the second token: {e}"))?;
        check(
            me_with(env, &second)? == 200,
            "the second token opens the API",
        )?;
        step(
            "disable",
            runtime.block_on(async {
                click(&client, &format!("{ROW} button.disable")).await?;
                wait_until_source(&client, "disabled", |s| {
                    s.contains(&format!("Disabled {PERSON}"))
                })
                .await?;
                wait_for(&client, &format!("{ROW} li.token-person-disabled")).await?;
                Ok(())
            }),
        )?;
        check(
            me_with(env, &second)? == 401,
            "a disabled person's token is refused at once",
        )
    })();
    let _ = runtime.block_on(client.close());
    outcome?;
    // What the page did is what the API records: the role chosen, the two
    // labelled tokens, the person disabled.
    let people = crate::get_json(env, "admin", "/api/users")?;
    let person = people["people"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"] == PERSON))
        .ok_or_else(|| format!("{PERSON} is not listed: {people}"))?;
    let labels: Vec<&str> = person["tokens"]
        .as_array()
        .map(|tokens| tokens.iter().filter_map(|t| t["label"].as_str()).collect())
        .unwrap_or_default();
    check(
        person["role"] == "engineer"
            && !person["disabled_at"].is_null()
            && labels == ["laptop", "phone"],
        format!("the stored person: {person}"),
    )
}
