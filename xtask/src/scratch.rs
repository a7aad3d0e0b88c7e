//! One run's temporary folder: every tool the run starts (Chromium's
//! profiles, local runtime state) writes its temporary files there, and the
//! folder is deleted when the run ends, so runs leave no gigabytes behind.

use std::path::PathBuf;

/// The prefix of every run's folder in the system's temporary folder.
const PREFIX: &str = "beacon-xtask-";

/// The folder of this run; removed on drop.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates this run's folder, points `TMPDIR` of every command started
    /// from now on at it, and deletes the folders of earlier runs whose
    /// process is gone (a run killed before it could clean up).
    pub fn enter() -> Result<Self, String> {
        let system = std::env::temp_dir();
        remove_abandoned(&system);
        let path = system.join(format!("{PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        // Single-threaded here: no other thread reads the environment.
        std::env::set_var("TMPDIR", &path);
        Ok(Self { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Deletes `beacon-xtask-<pid>` folders whose process no longer runs.
fn remove_abandoned(system: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(system) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let running = pid.parse::<u32>().is_ok_and(|pid| {
            pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists()
        });
        if !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
