//! Running commands with the offline build environment, and step progress output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Quiet output (`cargo xtask dev` without `--verbose`): one line per step,
/// a tool's own output only when it fails.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

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

/// Runs `cmd` with inherited output (in quiet mode: captured, and shown only
/// if it fails); an error names the step.
pub fn run_step(step: &str, cmd: &mut Command) -> Result {
    if is_quiet() {
        return captured_step(step, cmd).map(|_| ());
    }
    let status = cmd
        .status()
        .map_err(|e| format!("{step}: could not start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

/// Runs `cmd` with its output captured and returns its stdout; on failure
/// the error carries everything it printed.
pub fn captured_step(step: &str, cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{step}: could not start {:?}: {e}", cmd.get_program()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{step} failed ({})\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs `cmd` and returns its trimmed stdout, or `None` if it failed to run.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Prints a step header and, when dropped, how long the step took; in quiet
/// mode only the one closing line.
pub struct Step {
    name: String,
    started: Instant,
}

impl Step {
    pub fn start(name: impl Into<String>) -> Self {
        let name = name.into();
        if !is_quiet() {
            eprintln!("\n==> {name}");
        }
        Self {
            name,
            started: Instant::now(),
        }
    }

    /// Names what the step did, for its closing line ("migrations: 9 applied").
    pub fn outcome(&mut self, outcome: impl std::fmt::Display) {
        self.name = format!("{}: {outcome}", self.name);
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        let indent = if is_quiet() { "" } else { "    " };
        eprintln!(
            "{indent}{} ({:.1} s)",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }
}
