//! `cargo xtask fuzz`: every parser of outside input under libFuzzer (`cargo fuzz`).
//!
//! Each target in `fuzz/fuzz_targets/` first replays its seeds (real payloads
//! from the tests, in `fuzz/seeds/<target>/`, plus every earlier finding kept
//! there), then mutates for a bounded time. The corpus it grows is kept in
//! `fuzz/corpus/<target>/` (not committed); a crash is written to
//! `fuzz/artifacts/<target>/` and fails the run.

use crate::shell::{command, root, Result, Step};
use std::path::Path;
use std::process::Stdio;

/// The targets, one per parser of outside input (see `fuzz/Cargo.toml`).
pub const TARGETS: [&str; 7] = [
    "alertmanager",
    "pagerduty",
    "generic",
    "incident_body",
    "query_string",
    "signed_link",
    "signature_header",
];

/// Seconds per target for `cargo xtask fuzz` unless `--seconds N` is given.
const LONG_RUN_SECONDS: u64 = 600;
/// Seconds per target inside `cargo xtask test`.
pub const SHORT_RUN_SECONDS: u64 = 10;

/// `cargo xtask fuzz [--seconds N] [target…]`.
pub fn run(args: &[String]) -> Result {
    let mut seconds = LONG_RUN_SECONDS;
    let mut chosen = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = rest
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds needs a whole number")?;
            }
            target if TARGETS.contains(&target) => chosen.push(target),
            other => {
                return Err(format!(
                    "unknown fuzz argument `{other}`; targets: {}",
                    TARGETS.join(", ")
                ))
            }
        }
    }
    if chosen.is_empty() {
        chosen = TARGETS.to_vec();
    }
    crate::setup::fuzzing_tools()?;
    run_targets(&chosen, seconds)
}

/// Builds every target once, then runs each for `seconds`; prints one
/// `fuzz <target>: N executions, C crashes` line per target and fails if
/// any target crashed.
pub fn run_targets(targets: &[&str], seconds: u64) -> Result {
    {
        let _step = Step::start("building the fuzz targets (cargo fuzz, libFuzzer)");
        crate::shell::run_step("cargo fuzz build", &mut fuzz_command(&["build"]))?;
    }
    let mut crashed = Vec::new();
    for target in targets {
        let _step = Step::start(format!("fuzzing {target} for {seconds} s"));
        let outcome = run_target(target, seconds)?;
        println!(
            "fuzz {target}: {} executions, {} crashes",
            outcome.executions, outcome.crashes
        );
        if outcome.crashes > 0 {
            crashed.push(format!("{target} (see fuzz/artifacts/{target}/)"));
        }
    }
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzzing found crashes: {}", crashed.join(", ")))
    }
}

struct Outcome {
    executions: u64,
    crashes: usize,
}

fn run_target(target: &str, seconds: u64) -> Result<Outcome> {
    let fuzz = root().join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let before = crash_files(&artifacts);
    let seeds = fuzz.join("seeds").join(target);
    let time = format!("-max_total_time={seconds}");
    let artifact_prefix = format!("-artifact_prefix={}/", artifacts.display());
    let mut cmd = fuzz_command(&["run", target]);
    cmd.arg(&corpus)
        .arg(&seeds)
        .args(["--", &time, &artifact_prefix, "-print_final_stats=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd
        .output()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let crashes = crash_files(&artifacts).saturating_sub(before);
    if !out.status.success() && crashes == 0 {
        // Not a finding: the fuzzer itself could not run.
        return Err(format!("cargo fuzz run {target} failed:\n{log}"));
    }
    if crashes > 0 {
        eprintln!("{log}");
    }
    Ok(Outcome {
        executions: executions(&log),
        crashes,
    })
}

/// `cargo fuzz <args>` on the `fuzz/` crate. libFuzzer's instrumentation
/// needs unstable compiler flags, which the stable toolchain accepts for
/// this build only (`RUSTC_BOOTSTRAP`). No sanitizer: the parsers are safe
/// Rust, so the findings are panics, overflows and failed assertions, and
/// the fuzzer runs several times faster without one.
fn fuzz_command(args: &[&str]) -> std::process::Command {
    let mut cmd = command("cargo");
    cmd.arg("fuzz")
        .args(args)
        .args([
            "--fuzz-dir",
            "fuzz",
            "--sanitizer",
            "none",
            "--debug-assertions",
        ])
        .env("RUSTC_BOOTSTRAP", "1");
    cmd
}

fn crash_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    ["crash-", "oom-", "timeout-", "leak-"]
                        .iter()
                        .any(|prefix| name.starts_with(prefix))
                })
                .count()
        })
        .unwrap_or(0)
}

/// libFuzzer's `stat::number_of_executed_units: N` (or "Done N runs").
fn executions(log: &str) -> u64 {
    log.lines()
        .find_map(|line| {
            line.strip_prefix("stat::number_of_executed_units:")
                .and_then(|n| n.trim().parse().ok())
        })
        .or_else(|| {
            log.lines().find_map(|line| {
                line.strip_prefix("Done ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.parse().ok())
            })
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::executions;

    #[test]
    fn reads_the_execution_count_from_libfuzzer_stats() {
        let log = "#2\tINITED cov: 10\nDone 1234 runs in 10 second(s)\nstat::number_of_executed_units: 1235\n";
        assert_eq!(executions(log), 1235);
        assert_eq!(executions("Done 77 runs in 1 second(s)\n"), 77);
        assert_eq!(executions("nothing here"), 0);
    }
}
