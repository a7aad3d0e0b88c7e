//! How long one escalation sweep over 1,000 open tickets takes, natively.
//!
//! `cargo bench --bench sweep` builds 1,000 open tickets of mixed priorities
//! and ages (some acknowledged, some with customer updates and pages already
//! sent), evaluates all of them at one instant, and prints one line,
//! `sweep_native_1000: <ms> ms`, the median of several full sweeps.

#![cfg_attr(target_arch = "wasm32", no_main)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use beacon_shared::escalation::{
        evaluate_escalation, EscalationConfig, TicketEvent, TicketHistory,
    };
    use beacon_shared::rota::{Rota, RotaRole, Rotas, ShiftLength};
    use beacon_shared::triage::Name;
    use beacon_shared::{Priority, Timestamp};
    use std::hint::black_box;
    use std::time::Instant;

    /// 2026-11-23T03:00:00Z, the sweep's "now".
    const NOW: i64 = 1_795_402_800_000;
    const MINUTE: i64 = 60_000;
    const TICKETS: i64 = 1_000;
    const RUNS: usize = 21;

    fn name(text: &str) -> Name {
        Name::parse(text).expect("a valid name")
    }

    fn rotas() -> Rotas {
        let start = Timestamp::from_unix_millis(NOW - 30 * 24 * 60 * MINUTE);
        let rota = |role, people: &[&str], hours| {
            Rota::new(
                role,
                people.iter().map(|p| name(p)).collect(),
                ShiftLength::hours(hours).expect("a positive shift"),
                start,
            )
            .expect("a rota with people")
        };
        Rotas::new(vec![
            rota(RotaRole::IncidentCommander, &["alice", "bob", "carol"], 12),
            rota(RotaRole::Sre, &["sam", "sue", "sid", "sol"], 8),
        ])
        .expect("one rota per role")
    }

    /// Ticket `i`: priority cycles P0..P3, created up to two days ago, with
    /// an acknowledgement, updates, a priority change and sent keys on some.
    fn ticket(i: i64, config: &EscalationConfig, rotas: &Rotas) -> TicketHistory {
        let priority = Priority::ALL[(i % 4) as usize];
        let age_minutes = (i * 37) % (2 * 24 * 60) + 1;
        let created = NOW - age_minutes * MINUTE;
        let at = |minutes: i64| Timestamp::from_unix_millis(created + minutes * MINUTE);
        let mut history = TicketHistory::new(i, Timestamp::from_unix_millis(created), priority);
        let mut events = Vec::new();
        if i % 3 == 0 {
            events.push(TicketEvent::Acknowledged {
                at: at(age_minutes / 4),
                by: name("alice"),
            });
        }
        if i % 5 == 0 {
            events.push(TicketEvent::PriorityChanged {
                at: at(age_minutes / 3),
                to: Priority::ALL[((i / 5) % 4) as usize],
            });
        }
        for k in 1..=(i % 6) {
            events.push(TicketEvent::CustomerUpdatePosted {
                at: at(age_minutes * k / 7),
            });
        }
        events.sort_by_key(TicketEvent::at);
        for event in events {
            history.record(event).expect("events in time order");
        }
        if i % 2 == 0 {
            // Half the tickets were swept a minute ago.
            let earlier = Timestamp::from_unix_millis(NOW - MINUTE);
            for action in evaluate_escalation(&history, config, rotas, earlier).actions {
                history.record_sent(action.key);
            }
        }
        history
    }

    /// Evaluates every ticket once; returns the number of actions due.
    fn sweep(tickets: &[TicketHistory], config: &EscalationConfig, rotas: &Rotas) -> usize {
        let now = Timestamp::from_unix_millis(NOW);
        tickets
            .iter()
            .map(|history| evaluate_escalation(black_box(history), config, rotas, now))
            .map(|evaluation| black_box(evaluation).actions.len())
            .sum()
    }

    pub fn main() {
        let config = EscalationConfig::default();
        let rotas = rotas();
        let tickets: Vec<TicketHistory> =
            (0..TICKETS).map(|i| ticket(i, &config, &rotas)).collect();
        let due = sweep(&tickets, &config, &rotas);
        assert!(due > 0, "the sample should have something due");
        let mut millis: Vec<f64> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                black_box(sweep(&tickets, &config, &rotas));
                start.elapsed().as_secs_f64() * 1_000.0
            })
            .collect();
        millis.sort_by(f64::total_cmp);
        println!("sweep_native_1000: {:.3} ms", millis[RUNS / 2]);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}
