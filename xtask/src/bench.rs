//! `cargo xtask bench`: prints `name: value unit` lines.

use crate::shell::{command, Result, Step};
use crate::{build, setup};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::Path;
use std::process::Command;

pub fn run(args: &[String]) -> Result {
    let _scratch = crate::scratch::Scratch::enter()?;
    let only = match args {
        [] => None,
        [flag, name] if flag == "--only" && ["reports", "sizes"].contains(&name.as_str()) => {
            Some(name.as_str())
        }
        _ => {
            return Err(format!(
                "bench: unknown arguments {args:?}; use --only reports or --only sizes"
            ))
        }
    };
    setup::run(setup::Needs::Everything)?;
    if only == Some("reports") {
        build::worker()?;
        println!("\n{}", reports_on_wrangler()?);
        return Ok(());
    }
    build::run()?;
    setup::analysis_tools()?;
    // Every measurement runs even if one before it failed; all figures are
    // printed together at the end, then the failures.
    let mut figures = Vec::new();
    let mut failures = Vec::new();
    let mut record = |measured: Result<Vec<String>>| match measured {
        Ok(lines) => figures.extend(lines),
        Err(err) => failures.push(err),
    };
    record(build::app_wasm("beacon-app").and_then(|p| sizes("app_wasm", &p)));
    record(build::app_wasm("beacon-desk").and_then(|p| sizes("app_desk_wasm", &p)));
    record(sre_initial_load().map(|line| vec![line]));
    for bundle in &build::BUNDLES {
        record(crate_shares(bundle.bin));
    }
    record(build::worker_wasm().and_then(|p| sizes("worker_wasm", &p)));
    if only == Some("sizes") {
        return print_figures(&figures, &failures);
    }
    record(classify_speed());
    record(ingest_rate());
    record(sweep_on_wrangler().map(|line| vec![line]));
    record(status_page_on_wrangler().map(|line| vec![line]));
    record(reports_on_wrangler().map(|line| vec![line]));
    print_figures(&figures, &failures)
}

/// Prints every figure, then fails if a measurement did.
fn print_figures(figures: &[String], failures: &[String]) -> Result {
    println!();
    for line in figures {
        println!("{line}");
    }
    if !failures.is_empty() {
        return Err(format!(
            "{} measurements failed: {}",
            failures.len(),
            failures.join("; ")
        ));
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes)
        .and_then(|()| gz.flush())
        .map_err(|e| e.to_string())?;
    Ok(gz.finish().map_err(|e| e.to_string())?.len())
}

fn sizes(name: &str, path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(vec![
        format!("{name}_raw: {} bytes", bytes.len()),
        format!("{name}_gzip: {} bytes", gzip_len(&bytes)?),
    ])
}

/// The crates that make up most of a bundle's code and data: each one's
/// share of the compiled wasm before wasm-bindgen and wasm-opt (which keeps
/// the function names twiggy reads), largest first.
fn crate_shares(bin: &str) -> Result<Vec<String>> {
    let wasm = crate::shell::root()
        .join("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join(format!("{bin}.wasm"));
    let listing = crate::shell::output(
        command("twiggy")
            .args(["top", "-n", "1000000", "--format", "json"])
            .arg(&wasm),
    )
    .ok_or_else(|| format!("twiggy could not read {}", wasm.display()))?;
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&listing).map_err(|e| format!("twiggy's listing: {e}"))?;
    let mut by_crate: std::collections::BTreeMap<String, u64> = Default::default();
    for item in &items {
        let name = item["name"].as_str().unwrap_or_default();
        // Names and custom sections are not shipped (wasm-opt drops them).
        if name.contains("names\" subsection") || name.starts_with("custom section") {
            continue;
        }
        let size = item["shallow_size"].as_u64().unwrap_or(0);
        *by_crate.entry(crate_of(name)).or_default() += size;
    }
    let total: u64 = by_crate.values().sum();
    let mut ranked: Vec<(String, u64)> = by_crate.into_iter().collect();
    ranked.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    let label = bin.replace('-', "_");
    Ok(ranked
        .into_iter()
        .take(8)
        .map(|(name, size)| {
            format!(
                "{label}_share_{name}: {:.1} % ({size} of {total} bytes before wasm-opt)",
                size as f64 * 100.0 / total.max(1) as f64
            )
        })
        .collect())
}

/// The crate a twiggy item belongs to: the first path segment of a function
/// (for `<T as Trait>::f` with a plain `T`, the trait's), without the hash
/// some names carry (`core[c593…]`); `data` for data segments.
fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "data".into();
    }
    let mut path = name.trim_start_matches(['<', '&', '*', ' ']);
    path = path.strip_prefix("mut ").unwrap_or(path);
    if let Some((self_type, rest)) = path.split_once(" as ") {
        if !self_type.contains("::") {
            path = rest;
        }
    }
    let Some((krate, _)) = path.split_once("::") else {
        return "other".into();
    };
    let krate = krate.split('[').next().unwrap_or(krate);
    if !krate.is_empty() && krate.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        krate.to_owned()
    } else {
        "other".into()
    }
}

/// What the SRE's first visit downloads before the triage form works: the
/// page, the style sheet and everything of the SRE bundle (start script,
/// glue, wasm), each gzip'ed as served.
fn sre_initial_load() -> Result<String> {
    let dist = crate::shell::root().join("app").join("dist");
    let index = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| format!("app/dist/index.html: {e}; run `cargo xtask build`"))?;
    let mut total = gzip_len(index.as_bytes())?;
    for entry in std::fs::read_dir(&dist)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        // The page names each of its files (the wasm in its preload).
        if index.contains(&name) {
            let bytes = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
            total += gzip_len(&bytes)?;
        }
    }
    Ok(format!(
        "app_sre_initial_load_gzip: {total} bytes (goal 150000)"
    ))
}

/// `classify_priority` per call: natively (optimised `cargo bench`) and as
/// release wasm in headless Chromium, where the triage form runs it; and one
/// escalation evaluation of 1,000 open tickets, natively.
fn classify_speed() -> Result<Vec<String>> {
    let _step = Step::start("shared benchmarks (classify native and wasm, escalation sweep)");
    let native = figure_line(
        "classify_native",
        command("cargo").args(["bench", "-p", "beacon-shared", "--bench", "classify"]),
    )?;
    let wasm = figure_line(
        "classify_wasm",
        command("cargo")
            .args([
                "test",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "beacon-shared",
                "--bench",
                "classify",
                "--",
                "--nocapture",
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            ),
    )?;
    let sweep = figure_line(
        "sweep_native_1000",
        command("cargo").args(["bench", "-p", "beacon-shared", "--bench", "sweep"]),
    )?;
    Ok(vec![native, wasm, sweep])
}

/// Alertmanager deliveries of 10 new alerts each against `wrangler dev` and,
/// in alternating rounds of the same run, against the JavaScript yardstick
/// doing the same work (`tests/benches/yardstick/`): both rates and their ratio.
fn ingest_rate() -> Result<Vec<String>> {
    let _step = Step::start("ingest rate on wrangler dev against the JavaScript yardstick (40 s)");
    figure_lines(
        &[
            "ingest_alertmanager_10",
            "ingest_js_yardstick_10",
            "ingest_ratio_vs_js",
        ],
        command("cargo").args(["bench", "-p", "beacon-e2e", "--bench", "ingest"]),
    )
}

/// One escalation sweep over 1,000 open tickets on `wrangler dev`.
fn sweep_on_wrangler() -> Result<String> {
    let _step = Step::start("escalation sweep of 1,000 open tickets on wrangler dev");
    figure_line(
        "sweep_wrangler_1000",
        command("cargo").args(["bench", "-p", "beacon-e2e", "--bench", "sweep"]),
    )
}

/// `/status` with 12 components, 3 incidents and 90 days of history on `wrangler dev`.
fn status_page_on_wrangler() -> Result<String> {
    let _step = Step::start("/status size and latency on wrangler dev");
    figure_line(
        "status_page_12c_3i_90d",
        command("cargo").args(["bench", "-p", "beacon-e2e", "--bench", "status_page"]),
    )
}

/// The report API's median latency over 10,000 tickets on `wrangler dev`.
fn reports_on_wrangler() -> Result<String> {
    let _step = Step::start("report API over 10,000 tickets on wrangler dev");
    figure_line(
        "reports_wrangler_10000",
        command("cargo").args(["bench", "-p", "beacon-e2e", "--bench", "reports"]),
    )
}

/// Runs `cmd` and returns the lines of its output that start with each of `names` and `:`.
fn figure_lines(names: &[&str], cmd: &mut Command) -> Result<Vec<String>> {
    let out = cmd
        .output()
        .map_err(|e| format!("{}: could not start the benchmark: {e}", names.join(", ")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{}: the benchmark failed ({})\n{stdout}\n{}",
            names.join(", "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    names
        .iter()
        .map(|name| {
            stdout
                .lines()
                .map(str::trim)
                .find(|line| line.starts_with(&format!("{name}:")))
                .map(str::to_owned)
                .ok_or_else(|| format!("{name}: the benchmark printed no figure\n{stdout}"))
        })
        .collect()
}

/// Runs `cmd` and returns the line of its output that starts with `name:`.
fn figure_line(name: &str, cmd: &mut Command) -> Result<String> {
    Ok(figure_lines(&[name], cmd)?.remove(0))
}

#[cfg(test)]
mod tests {
    use super::crate_of;

    #[test]
    fn items_are_counted_to_their_crate() {
        assert_eq!(crate_of("serde_json::de::from_str::h1"), "serde_json");
        assert_eq!(
            crate_of("<either_of::EitherOf9<A> as leptos_router::ChooseView>::choose::h2"),
            "either_of"
        );
        assert_eq!(crate_of("data segment \".rodata\""), "data");
        assert_eq!(
            crate_of("<T as tachys::view::any_view::IntoAny>::into_any::build::h3"),
            "tachys"
        );
        assert_eq!(
            crate_of("core[c5930c85a12de822]::fmt::float::float_to_decimal_common_exact::<f64>"),
            "core"
        );
        assert_eq!(crate_of("elem[0]"), "other");
    }
}
