//! One escalation sweep over 1,000 open tickets on `wrangler dev` (workerd, local
//! D1): the cron trigger fired by `/__scheduled`, timed until the handler returns.
//!
//! The tickets are created through the API, a quarter of each priority, so the
//! first sweep pages for every P0 and P1 (claims 500 idempotency keys and writes
//! their timeline entries); the following sweeps find nothing new, which is what
//! the every-minute cron costs in steady state. Prints one line:
//! `sweep_wrangler_1000: first <ms> ms (<n> actions), steady median <ms> ms over 5 sweeps`.

use beacon_e2e::{BoxError, LocalWorker};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TICKETS: usize = 1000;

fn main() -> Result<(), BoxError> {
    let worker = Arc::new(LocalWorker::start()?);
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let creators: Vec<_> = (0..4)
        .map(|_| {
            let (worker, http, next) = (worker.clone(), http.clone(), next.clone());
            std::thread::spawn(move || -> Result<(), String> {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= TICKETS {
                        return Ok(());
                    }
                    let priority = ["P0", "P1", "P2", "P3"][i % 4];
                    let response = http
                        .post(worker.url("/api/incidents"))
                        .bearer_auth(worker.token("sre"))
                        .json(&json!({"title": format!("Bench ticket {i}"), "category": "Web application", "priority": priority}))
                        .send()
                        .map_err(|e| e.to_string())?;
                    if response.status().as_u16() != 201 {
                        return Err(format!("create {i}: {}", response.status()));
                    }
                }
            })
        })
        .collect();
    for creator in creators {
        creator.join().map_err(|_| "a creator panicked")??;
    }
    let sweep = || -> Result<f64, BoxError> {
        let started = Instant::now();
        let response = http.get(worker.url("/__scheduled?cron=*+*+*+*+*")).send()?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let text = response.text()?;
        if !text.contains("Ran scheduled event") {
            return Err(format!("the trigger did not run: {text}").into());
        }
        Ok(elapsed)
    };
    let first = sweep()?;
    let actions = worker.query("SELECT count(*) AS n FROM escalation_actions")?[0]["n"]
        .as_u64()
        .unwrap_or(0);
    if actions == 0 {
        return Err("the first sweep sent nothing for 500 P0/P1 tickets".into());
    }
    let mut steady = (0..5).map(|_| sweep()).collect::<Result<Vec<_>, _>>()?;
    steady.sort_by(f64::total_cmp);
    println!(
        "sweep_wrangler_1000: first {first:.0} ms ({actions} actions), steady median {:.0} ms over 5 sweeps",
        steady[2]
    );
    Ok(())
}
