//! The role x route matrix (SPEC I3), generated from the router's table
//! (`beacon_shared::routes::ROUTES`): every route, for every role, no token,
//! malformed tokens, a revoked token, an expired token and a disabled user,
//! gets the status its access calls for, and no refusal stores anything.

use crate::{check, post, Env, TestFn};
use beacon_shared::role::Role;
use beacon_shared::routes::{Access, Permission, Route, ROUTES};
use libtest_mimic::Failed;
use serde_json::json;

pub const TESTS: &[(&str, TestFn)] = &[(
    "route_matrix::every_route_answers_every_credential_as_its_table_says",
    every_route_answers_every_credential_as_its_table_says,
)];

/// Who sends a request of the matrix.
#[derive(Debug, Clone)]
enum Credential {
    Role(Role, String),
    NoToken,
    Malformed(&'static str),
    /// A token that opens nothing: revoked, expired, or of a disabled user.
    Dead(&'static str, String),
}

impl Credential {
    /// Who this is, for a failure's message.
    fn label(&self) -> String {
        match self {
            Credential::Role(role, _) => role.as_str().to_owned(),
            Credential::NoToken => "no token".into(),
            Credential::Malformed(header) => format!("malformed {header:?}"),
            Credential::Dead(what, _) => format!("{what} token"),
        }
    }

    fn header(&self) -> Option<String> {
        match self {
            Credential::Role(_, token) | Credential::Dead(_, token) => {
                Some(format!("Bearer {token}"))
            }
            Credential::Malformed(header) => Some((*header).to_owned()),
            Credential::NoToken => None,
        }
    }
}

/// Every table's row count, by name; all tables of record, that is, less the
/// reports' derived rows (`report_rows`, `report_stale`), which a report
/// read by a role that may read reports rebuilds from the timeline: a read
/// refreshing them stores nothing new.
fn row_counts(env: &Env) -> Result<Vec<(String, u64)>, Failed> {
    let tables = env
        .worker
        .query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' \
             AND name NOT IN ('report_rows', 'report_stale') ORDER BY name",
        )
        .map_err(|e| e.to_string())?;
    let names: Vec<String> = tables
        .as_array()
        .ok_or("tables")?
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    // One row of scalar counts (a compound SELECT has too few terms allowed).
    let sql = format!(
        "SELECT {}",
        names
            .iter()
            .map(|n| format!("(SELECT count(*) FROM \"{n}\") AS \"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = env.worker.query(&sql).map_err(|e| e.to_string())?;
    let row = &rows[0];
    Ok(names
        .iter()
        .map(|n| (n.clone(), row[n.as_str()].as_u64().unwrap_or(u64::MAX)))
        .collect())
}

/// A person of `role` with a fresh token: (user id, token, token id).
fn person(env: &Env, name: &str) -> Result<(i64, String, i64), Failed> {
    let (status, person) = post(
        env,
        "admin",
        "/api/users",
        &json!({"name": name, "role": "admin"}),
    )?;
    check(status == 201, format!("create {name}: {status} {person}"))?;
    let user = person["id"].as_i64().ok_or("id")?;
    let (status, issued) = post(
        env,
        "admin",
        &format!("/api/users/{user}/tokens"),
        &json!({"label": "matrix"}),
    )?;
    check(status == 201, format!("issue: {status} {issued}"))?;
    let token = issued["token"].as_str().ok_or("token")?.to_owned();
    let rows = env
        .worker
        .query(&format!(
            "SELECT max(id) AS id FROM api_tokens WHERE user_id = {user}"
        ))
        .map_err(|e| e.to_string())?;
    Ok((user, token, rows[0]["id"].as_i64().ok_or("token id")?))
}

/// The route's pattern with values that name nothing stored.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| match segment {
            "{table}" => "summary",
            "{role}" => "sre",
            "{action}" => "discard",
            "{name}" | "{channel}" => "matrix-nothing",
            s if s.starts_with('{') => "987654321",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What `credential` must get from `route`: `Ok(status)` for
/// an exact status, `Err(())` for "let through" (neither 401 nor 403, and
/// no server error), or `None` for any refusal (4xx but not a server error).
fn expected(route: &Route, credential: &Credential) -> Option<Result<u16, ()>> {
    let person = |permission: Permission| match credential {
        Credential::Role(role, _) if permission.allows(*role) => Some(Err(())),
        Credential::Role(..) => Some(Ok(403)),
        _ => Some(Ok(401)),
    };
    match route.access {
        Access::Public => Some(Err(())),
        Access::Person(permission) => person(permission),
        Access::TestOnly => person(Permission::Administer),
        Access::Session => Some(Ok(401)),
        // Under `/api/` the token is checked first, as for every API route.
        Access::Development => match credential {
            Credential::Role(..) => Some(Ok(404)),
            _ if route.pattern.starts_with("/api/") => Some(Ok(401)),
            _ => Some(Ok(404)),
        },
        Access::Integration | Access::SignedLink => None,
    }
}

/// SPEC I3, K3: the matrix of every route in the router's table against
/// every role (their seeded tokens), no token, two malformed ones, and a
/// revoked token, an expired token and a disabled user's token (each of an
/// admin, so only the token's state refuses them): each gets the status the
/// route's access calls for (401, 403, 404 for development routes, or let
/// through to the handler), and across all of it no row is added to or
/// removed from any table.
fn every_route_answers_every_credential_as_its_table_says(env: &Env) -> Result<(), Failed> {
    let (_, revoked, revoked_id) = person(env, "matrix-revoked")?;
    let (status, body) = post(
        env,
        "admin",
        &format!("/api/tokens/{revoked_id}/revoke"),
        &json!({}),
    )?;
    check(status == 200, format!("revoke: {status} {body}"))?;
    let (_, expired, expired_id) = person(env, "matrix-expired")?;
    env.worker
        .query(&format!(
            "UPDATE api_tokens SET expires_at = 1000 WHERE id = {expired_id}"
        ))
        .map_err(|e| e.to_string())?;
    let (disabled_user, disabled, _) = person(env, "matrix-disabled")?;
    let (status, body) = post(
        env,
        "admin",
        &format!("/api/users/{disabled_user}/disable"),
        &json!({}),
    )?;
    check(status == 200, format!("disable: {status} {body}"))?;

    let mut credentials: Vec<Credential> = Role::ALL
        .iter()
        .map(|role| Credential::Role(*role, env.worker.token(role.as_str()).to_owned()))
        .collect();
    credentials.extend([
        Credential::NoToken,
        Credential::Malformed("Bearer bkn_not-a-token"),
        Credential::Malformed("Basic YWRtaW46YWRtaW4="),
        Credential::Dead("revoked", revoked),
        Credential::Dead("expired", expired),
        Credential::Dead("disabled", disabled),
    ]);

    let before = row_counts(env)?;
    let mut wrong = Vec::new();
    let mut requests = 0;
    for route in ROUTES {
        let path = concrete(route.pattern);
        let method = reqwest::Method::from_bytes(route.method.as_bytes())?;
        for credential in &credentials {
            let mut request = env.http.request(method.clone(), env.worker.url(&path));
            if let Some(header) = credential.header() {
                request = request.header("authorization", header);
            }
            if route.method != "GET" {
                // A body no route accepts: whoever is let through is refused
                // by the handler, so nothing can be stored.
                request = request
                    .header("content-type", "application/json")
                    .body("[]");
            }
            let status = request.send()?.status().as_u16();
            requests += 1;
            let fine = match expected(route, credential) {
                Some(Ok(exact)) => status == exact,
                Some(Err(())) => status != 401 && status != 403 && status < 500,
                None => (400..500).contains(&status),
            };
            if !fine {
                wrong.push(format!(
                    "{} {} as {}: {status} (expected {:?} for {:?})",
                    route.method,
                    path,
                    credential.label(),
                    expected(route, credential),
                    route.access
                ));
            }
        }
    }
    check(
        wrong.is_empty(),
        format!(
            "{} of {requests} answers differ:\n{}",
            wrong.len(),
            wrong.join("\n")
        ),
    )?;
    let after = row_counts(env)?;
    check(
        before == after,
        format!("the matrix changed row counts:\nbefore {before:?}\nafter  {after:?}"),
    )?;
    check(requests == ROUTES.len() * 14, "every route was tried")?;
    Ok(())
}
