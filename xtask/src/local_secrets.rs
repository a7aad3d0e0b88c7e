//! `.dev.vars`: the Worker secrets `wrangler dev` binds on this machine,
//! generated once and never committed. Today that is `BEACON_SECRETS_KEY`,
//! the key credentials are sealed with at rest (32 random bytes, hex); it
//! must stay the same across runs, or the local D1's sealed values no
//! longer open. Deployments set it with `wrangler secret put` instead.

use crate::shell::{root, Result};
use std::io::Read;

const KEY_NAME: &str = "BEACON_SECRETS_KEY";

/// Adds a generated `BEACON_SECRETS_KEY` to `.dev.vars` unless it is there.
pub fn ensure() -> Result {
    let path = root().join(".dev.vars");
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    if existing
        .lines()
        .any(|line| line.trim_start().starts_with(&format!("{KEY_NAME}=")))
    {
        return Ok(());
    }
    let mut key = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .map_err(|e| format!("reading /dev/urandom: {e}"))?;
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("{KEY_NAME}={}\n", hex::encode(key)));
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("xtask: generated {KEY_NAME} in .dev.vars (local only; keep it, or sealed local data no longer opens)");
    Ok(())
}
