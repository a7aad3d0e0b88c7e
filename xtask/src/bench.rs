//! `cargo xtask bench`: prints `name: value unit` lines.

use crate::shell::Result;
use crate::{build, setup};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::Path;

pub fn run() -> Result {
    setup::run(setup::Needs::Build)?;
    build::run()?;
    println!();
    sizes("app_wasm", &build::app_wasm()?)?;
    sizes("worker_wasm", &build::worker_wasm()?)?;
    Ok(())
}

fn sizes(name: &str, path: &Path) -> Result {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&bytes)
        .and_then(|()| gz.flush())
        .map_err(|e| e.to_string())?;
    let compressed = gz.finish().map_err(|e| e.to_string())?;
    println!("{name}_raw: {} bytes", bytes.len());
    println!("{name}_gzip: {} bytes", compressed.len());
    Ok(())
}
