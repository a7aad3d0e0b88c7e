//! `cargo xtask dev`: everything needed to run Beacon locally, then `wrangler dev`.

use crate::shell::{command, output, root, run_step, Result, Step};
use crate::{build, setup};
use sha2::{Digest, Sha256};
use std::io::Read;

const ADMIN_TOKEN_FILE: &str = ".wrangler/beacon-admin-token";

pub fn run(args: &[String]) -> Result {
    let port = match args {
        [] => "8787".to_owned(),
        [flag, port] if flag == "--port" => port.clone(),
        _ => return Err("usage: cargo xtask dev [--port N]".into()),
    };
    setup::run(setup::Needs::Build)?;
    build::run()?;
    migrate()?;
    let token = admin_token()?;
    println!();
    println!("Beacon is starting on http://127.0.0.1:{port}");
    println!("  app:          http://127.0.0.1:{port}/");
    println!("  status page:  http://127.0.0.1:{port}/status");
    println!("  health:       http://127.0.0.1:{port}/api/health");
    println!("Sign in at http://127.0.0.1:{port}/sign-in with the local admin token:");
    println!("  {token}");
    println!("(kept in {ADMIN_TOKEN_FILE}; stored in D1 only as its SHA-256)");
    println!();
    run_step(
        "wrangler dev",
        command("wrangler").args([
            "dev",
            "--ip",
            "127.0.0.1",
            "--port",
            &port,
            "--show-interactive-dev-session=false",
        ]),
    )
}

fn migrate() -> Result {
    let _step = Step::start("applying D1 migrations locally");
    run_step(
        "wrangler d1 migrations apply",
        command("wrangler")
            .args(["d1", "migrations", "apply", "beacon", "--local"])
            .env("CI", "true"),
    )
}

/// Reuses the saved admin token if D1 still knows it; creates one otherwise.
fn admin_token() -> Result<String> {
    let path = root().join(ADMIN_TOKEN_FILE);
    if let Ok(saved) = std::fs::read_to_string(&path) {
        let saved = saved.trim().to_owned();
        let query = format!(
            "SELECT count(*) AS n FROM api_tokens WHERE token_hash = '{}'",
            hash(&saved)
        );
        let known = output(command("wrangler").args([
            "d1",
            "execute",
            "beacon",
            "--local",
            "--json",
            "--command",
            &query,
        ]))
        .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
        .and_then(|v| v[0]["results"][0]["n"].as_i64())
        .unwrap_or(0);
        if known > 0 {
            return Ok(saved);
        }
    }
    let _step = Step::start("creating the local admin token");
    let token = new_token()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let sql = format!(
        "INSERT OR IGNORE INTO users (name, role, created_at) VALUES ('admin', 'admin', {now}); \
         INSERT INTO api_tokens (user_id, token_hash, label, created_at) \
         SELECT id, '{hash}', 'local admin (cargo xtask dev)', {now} FROM users WHERE name = 'admin';",
        hash = hash(&token)
    );
    run_step(
        "seeding the admin token",
        command("wrangler").args(["d1", "execute", "beacon", "--local", "--command", &sql]),
    )?;
    std::fs::create_dir_all(path.parent().expect("token file has a parent"))
        .and_then(|()| std::fs::write(&path, &token))
        .map_err(|e| format!("saving {}: {e}", path.display()))?;
    Ok(token)
}

/// 256 random bits, hex, with a recognisable prefix.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    Ok(format!("bkn_{}", hex::encode(bytes)))
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
