//! Finds `wrangler`/`workerd`/`chromedriver`/`alertmanager` processes, so `xtask test` can prove it left none behind.

use std::collections::BTreeMap;

/// Processes whose command line mentions a runtime the tests start, by pid.
pub fn runtime_processes() -> BTreeMap<u32, String> {
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        let is_runtime = ["wrangler", "workerd", "chromedriver", "alertmanager"]
            .iter()
            .any(|name| {
                cmdline
                    .split_whitespace()
                    .take(2)
                    .any(|word| word.rsplit('/').next() == Some(name))
                    || cmdline.contains(&format!("/{name}/bin/"))
                    || cmdline.contains(&format!("node_modules/.bin/{name}"))
            });
        if is_runtime && pid != std::process::id() {
            found.insert(pid, cmdline.trim().to_owned());
        }
    }
    found
}

/// Kills `pid` (SIGKILL) through `kill(1)`.
pub fn kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
}
