//! Builds the app's two bundles (cargo, wasm-bindgen, wasm-opt, content-hashed
//! files, `index.html` for the SRE's and one page per desk path for the
//! desk's) and the worker (worker-build), both release and wasm-opt'ed.

use crate::shell::{command, root, run_step, Result, Step};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256, Sha384};
use std::path::{Path, PathBuf};

pub fn run() -> Result {
    app()?;
    worker()
}

/// The app's two bundles ([`Bundle`]), built from one crate: the SRE's
/// first-response screens, without the crate's `desk` feature so that no
/// view framework is linked, and the desk (`beacon_shared::routes::DESK_PAGES`).
pub const BUNDLES: [Bundle; 2] = [
    Bundle {
        bin: "beacon-app",
        start: "start",
        features: &["--no-default-features"],
    },
    Bundle {
        bin: "beacon-desk",
        start: "start-desk",
        features: &[],
    },
];

/// One wasm of the app: its binary, the name of its start script and the
/// crate features it is built with.
pub struct Bundle {
    pub bin: &'static str,
    start: &'static str,
    features: &'static [&'static str],
}

/// A bundle's files, built and hashed, ready for its pages.
struct BuiltBundle {
    wasm: Asset,
    glue: Asset,
    start: Asset,
}

pub fn app() -> Result {
    let _step =
        Step::start("building the app (release wasm of both bundles, wasm-bindgen, wasm-opt -Oz)");
    let app = root().join("app");
    for bundle in &BUNDLES {
        let mut cargo = command("cargo");
        cargo.args([
            "build",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "beacon-app",
            "--bin",
            bundle.bin,
        ]);
        cargo.args(bundle.features);
        run_step(&format!("cargo build ({})", bundle.bin), &mut cargo)?;
    }
    let staging = root().join("target").join("app-staging");
    let _ = std::fs::remove_dir_all(&staging);
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()));
    let mut built = Vec::new();
    for bundle in &BUNDLES {
        built.push(build_bundle(bundle, &staging)?);
    }
    let dist = app.join("dist");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&dist).map_err(|e| format!("creating {}: {e}", dist.display()))?;
    let style = Asset::new("style", ".css", read(&app.join("style.css"))?);
    // The desk's own rules, which the first-response pages do not load.
    let desk_style = Asset::new("desk", ".css", read(&app.join("desk.css"))?);
    let template = String::from_utf8(read(&app.join("index.html"))?)
        .map_err(|e| format!("app/index.html: {e}"))?;
    style.write(&dist)?;
    desk_style.write(&dist)?;
    let mut hashed = vec![style.name.clone(), desk_style.name.clone()];
    for bundle in &built {
        for asset in [&bundle.wasm, &bundle.glue, &bundle.start] {
            asset.write(&dist)?;
            hashed.push(asset.name.clone());
        }
    }
    let [sre, desk] = &built[..] else {
        return Err("the app has two bundles".into());
    };
    write_page(&dist.join("index.html"), &page(&template, sre, &[&style])?)?;
    // The desk's pages: `/reports` is served from `reports.html`.
    let desk_page = page(&template, desk, &[&style, &desk_style])?;
    for path in beacon_shared::routes::DESK_PAGES {
        write_page(
            &dist.join(format!("{}.html", path.trim_start_matches('/'))),
            &desk_page,
        )?;
    }
    write_asset_headers(&dist, &hashed)
}

/// Compiles nothing: binds, optimizes and hashes one bundle's compiled wasm.
fn build_bundle(bundle: &Bundle, staging: &Path) -> Result<BuiltBundle> {
    let compiled = root()
        .join("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join(format!("{}.wasm", bundle.bin));
    run_step(
        &format!("wasm-bindgen ({})", bundle.bin),
        command("wasm-bindgen")
            .arg(&compiled)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                bundle.bin,
            ])
            .arg("--out-dir")
            .arg(staging),
    )?;
    let bindgen_wasm = staging.join(format!("{}_bg.wasm", bundle.bin));
    run_step(
        &format!("wasm-opt ({})", bundle.bin),
        command("wasm-opt")
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
            ])
            .args([
                "--enable-reference-types",
                "--enable-sign-ext",
                "--enable-multivalue",
            ])
            .arg(&bindgen_wasm)
            .arg("-o")
            .arg(&bindgen_wasm),
    )?;
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()));
    let wasm = Asset::new(bundle.bin, "_bg.wasm", read(&bindgen_wasm)?);
    let glue = Asset::new(
        bundle.bin,
        ".js",
        read(&staging.join(format!("{}.js", bundle.bin)))?,
    );
    // Starts the bundle: the glue, given the hashed wasm's address (the
    // glue's default would be a name without the hash). A module file, not
    // an inline script, so the Content-Security-Policy needs no exception.
    let start = Asset::new(
        bundle.start,
        ".js",
        format!(
            "import init from '/{}';\nawait init({{ module_or_path: '/{}' }});\n",
            glue.name, wasm.name
        )
        .into_bytes(),
    );
    Ok(BuiltBundle { wasm, glue, start })
}

/// `app/index.html` for `bundle`: its hashed style sheets (`styles`, in
/// order) and start script with
/// their integrity, and preloads of its glue and wasm.
fn page(template: &str, bundle: &BuiltBundle, styles: &[&Asset]) -> Result<String> {
    let preloads = format!(
        "<link rel=\"modulepreload\" href=\"/{}\" integrity=\"{}\" />\n    \
         <link rel=\"preload\" href=\"/{}\" as=\"fetch\" type=\"application/wasm\" crossorigin=\"anonymous\" />\n    ",
        bundle.glue.name,
        bundle.glue.integrity(),
        bundle.wasm.name,
    );
    let links: Vec<String> = styles
        .iter()
        .map(|style| {
            format!(
                "<link rel=\"stylesheet\" href=\"/{}\" integrity=\"{}\" />",
                style.name,
                style.integrity()
            )
        })
        .collect();
    let html = template
        .replace(
            "<link rel=\"stylesheet\" href=\"/style.css\" />",
            &links.join("\n    "),
        )
        .replace(
            "<script type=\"module\" src=\"/start.js\"></script>",
            &format!(
                "{preloads}<script type=\"module\" src=\"/{}\" integrity=\"{}\"></script>",
                bundle.start.name,
                bundle.start.integrity()
            ),
        );
    if !html.contains(&bundle.start.name) || styles.iter().any(|s| !html.contains(&s.name)) {
        return Err("app/index.html must link /style.css and /start.js as written".into());
    }
    Ok(html)
}

fn write_page(path: &Path, html: &str) -> Result {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("creating {}: {e}", folder.display()))?;
    }
    std::fs::write(path, html).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// A file of the app, named by its content (`stem-<hash><suffix>`) so a
/// browser may cache it forever and a new build is never mixed with an old one.
struct Asset {
    name: String,
    bytes: Vec<u8>,
}

impl Asset {
    fn new(stem: &str, suffix: &str, bytes: Vec<u8>) -> Self {
        let hash = hex::encode(&Sha256::digest(&bytes)[..8]);
        Self {
            name: format!("{stem}-{hash}{suffix}"),
            bytes,
        }
    }

    /// Subresource integrity (`sha384-…`).
    fn integrity(&self) -> String {
        format!("sha384-{}", BASE64.encode(Sha384::digest(&self.bytes)))
    }

    fn write(&self, dist: &Path) -> Result {
        let path = dist.join(&self.name);
        std::fs::write(&path, &self.bytes).map_err(|e| format!("writing {}: {e}", path.display()))
    }
}

/// The headers of the static assets (`_headers`, read by Workers static
/// assets): on every one the app's security headers
/// (`routes::APP_PAGE_HEADERS`: a Content-Security-Policy that allows the
/// app's own scripts and its wasm, images from `blob:` URLs it made itself,
/// and nothing inline or from elsewhere; no framing, no sniffing, no
/// referrer); on the content-hashed files (`hashed`), whose name changes
/// with their content, a year of caching without asking again, so a phone
/// that loaded Beacon once starts it from its cache. Pages keep the
/// default: asked again each time, so a new build is seen at once.
fn write_asset_headers(dist: &Path, hashed: &[String]) -> Result {
    let mut headers = String::from("/*\n");
    for (name, value) in beacon_shared::routes::APP_PAGE_HEADERS {
        headers.push_str(&format!("  {name}: {value}\n"));
    }
    for name in hashed {
        headers.push_str(&format!(
            "/{name}\n  Cache-Control: public, max-age=31536000, immutable\n"
        ));
    }
    let path = dist.join("_headers");
    std::fs::write(&path, headers).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The worker, and the local Worker secrets `wrangler dev` binds with it.
pub fn worker() -> Result {
    let _step = Step::start("building the worker (worker-build, release)");
    run_step(
        "worker-build",
        command("worker-build")
            .arg("--release")
            .current_dir(root().join("worker")),
    )?;
    crate::local_secrets::ensure()
}

/// The optimized wasm of the app's bundle `bin` in `app/dist`.
pub fn app_wasm(bin: &str) -> Result<PathBuf> {
    let dist = root().join("app").join("dist");
    let prefix = format!("{bin}-");
    std::fs::read_dir(&dist)
        .map_err(|e| format!("{}: {e}; run `cargo xtask build`", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "wasm")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .ok_or_else(|| format!("no {bin} wasm in app/dist; run `cargo xtask build`"))
}

/// The optimized worker wasm in `worker/build`.
pub fn worker_wasm() -> Result<PathBuf> {
    let build = root().join("worker").join("build");
    find_wasm(&build).ok_or_else(|| "no .wasm in worker/build; run `cargo xtask build`".into())
}

fn find_wasm(dir: &std::path::Path) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_wasm(&path) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|x| x == "wasm") {
            return Some(path);
        }
    }
    None
}
