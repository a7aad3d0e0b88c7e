//! How long one `classify_priority` call takes, natively and in the browser's wasm.
//!
//! `cargo xtask bench` runs this twice: natively (`cargo bench`) and in headless
//! Chromium through wasm-bindgen-test-runner. Both print one line,
//! `classify_<target>: <ns> ns/call`, measured over the sample triage facts
//! (empty, single-fact and multi-fact inputs), so the numbers are comparable.

#![cfg_attr(target_arch = "wasm32", no_main)]

use beacon_shared::samples::sample_facts;
use beacon_shared::{classify_priority, TriageFacts};
use std::hint::black_box;

/// Classifies every sample `rounds` times; returns the number of calls made.
fn classify_all(samples: &[TriageFacts], rounds: usize) -> usize {
    for _ in 0..rounds {
        for facts in samples {
            black_box(classify_priority(black_box(facts)));
        }
    }
    rounds * samples.len()
}

/// Warms up, then measures enough rounds to run for about half a second.
fn nanos_per_call(mut elapsed_nanos: impl FnMut(&dyn Fn()) -> f64) -> f64 {
    let samples = sample_facts();
    classify_all(&samples, 50);
    let mut rounds = 100;
    loop {
        let nanos = elapsed_nanos(&|| {
            classify_all(&samples, rounds);
        });
        if nanos > 500_000_000.0 || rounds >= 1 << 24 {
            return nanos / (rounds * samples.len()) as f64;
        }
        rounds *= 4;
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let per_call = nanos_per_call(|work| {
        let start = std::time::Instant::now();
        work();
        start.elapsed().as_nanos() as f64
    });
    println!("classify_native: {per_call:.0} ns/call");
}

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_test]
fn classify_in_wasm() {
    let per_call = nanos_per_call(|work| {
        let start = wasm_bindgen_test::Instant::now();
        work();
        start.elapsed().as_nanos() as f64
    });
    wasm_bindgen_test::console_log!("classify_wasm: {per_call:.0} ns/call");
}
