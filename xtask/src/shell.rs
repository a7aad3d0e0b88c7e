//! Running commands with the offline build environment, and step progress output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// `node_modules/.bin` of the workspace.
pub fn node_bin() -> PathBuf {
    root().join("node_modules").join(".bin")
}

/// A command with the environment that keeps every build offline
/// (see the toolchain notes): local wasm-opt and esbuild, wasm-bindgen from PATH.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    let cargo_bin = home_cargo_bin();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![node_bin(), cargo_bin];
    paths.extend(std::env::split_paths(&path));
    let joined = std::env::join_paths(paths).expect("PATH entries are valid");
    cmd.env("PATH", &joined);
    cmd.env("WASM_OPT_BIN", node_bin().join("wasm-opt"));
    cmd.env("ESBUILD_BIN", node_bin().join("esbuild"));
    if let Some(bindgen) = find_on_path("wasm-bindgen", &joined) {
        cmd.env("WASM_BINDGEN_BIN", bindgen);
    }
    cmd.env("WRANGLER_SEND_METRICS", "false");
    cmd.env("CHROMEDRIVER", "/usr/bin/chromedriver");
    cmd
}

fn home_cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

fn find_on_path(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Runs `cmd` with inherited output; an error names the step.
pub fn run_step(step: &str, cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: could not start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

/// Runs `cmd` and returns its trimmed stdout, or `None` if it failed to run.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Prints a step header and, when dropped, how long the step took.
pub struct Step {
    name: String,
    started: Instant,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Self {
        let name = name.into();
        eprintln!("\n==> {name}");
        Self {
            name,
            started: Instant::now(),
        }
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        eprintln!(
            "    {} ({:.1} s)",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }
}
