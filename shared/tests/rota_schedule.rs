//! On-call rotas (SPEC E1, E2): who is on call, who takes over next and when,
//! overrides, and the exact edges of shifts.

#![cfg(not(target_arch = "wasm32"))]

use beacon_shared::rota::{Handover, Rota, RotaError, RotaOverride, RotaRole, Rotas, ShiftLength};
use beacon_shared::triage::Name;
use beacon_shared::Timestamp;
use proptest::prelude::*;

/// 2026-11-22T20:00:00Z, the first handover.
const START: i64 = 1_795_377_600_000;
const HOUR: i64 = 3_600_000;

fn at_hours(hours: f64) -> Timestamp {
    Timestamp::from_unix_millis(START + (hours * HOUR as f64) as i64)
}

fn name(text: &str) -> Name {
    Name::parse(text).unwrap()
}

fn names(texts: &[&str]) -> Vec<Name> {
    texts.iter().map(|t| name(t)).collect()
}

/// alice, bob, carol in 12-hour shifts from START.
fn ic_rota() -> Rota {
    Rota::new(
        RotaRole::IncidentCommander,
        names(&["alice", "bob", "carol"]),
        ShiftLength::hours(12).unwrap(),
        Timestamp::from_unix_millis(START),
    )
    .unwrap()
}

fn cover(person: &str, from_hours: f64, until_hours: f64) -> RotaOverride {
    RotaOverride::new(name(person), at_hours(from_hours), at_hours(until_hours)).unwrap()
}

fn on_call(rota: &Rota, t: Timestamp) -> Option<&str> {
    rota.on_call_at(t).map(Name::as_str)
}

fn order(rota: &Rota, t: Timestamp) -> Vec<&str> {
    rota.escalation_order(t)
        .into_iter()
        .map(Name::as_str)
        .collect()
}

/// SPEC E2: people take turns shift by shift, wrapping round; a shift edge
/// belongs to the next shift, the millisecond before it to the previous one.
#[test]
fn shifts_hand_over_exactly_at_the_edge() {
    let rota = ic_rota();
    let one_ms = 1.0 / HOUR as f64;
    let cases = [
        (0.0, "alice"),
        (12.0 - one_ms, "alice"),
        (12.0, "bob"),
        (23.5, "bob"),
        (24.0, "carol"),
        (36.0 - one_ms, "carol"),
        (36.0, "alice"),
        (24.0 * 30.0 + 12.0, "bob"),
    ];
    for (hours, expected) in cases {
        assert_eq!(
            on_call(&rota, at_hours(hours)),
            Some(expected),
            "at +{hours} h"
        );
    }
}

/// SPEC E1, E2: who is next, and when the handover happens, including from
/// the exact edge (the handover *at* t is not "next").
#[test]
fn next_handover_names_the_next_person_and_the_instant() {
    let rota = ic_rota();
    assert_eq!(
        rota.next_handover(at_hours(3.0)),
        Some(Handover {
            at: at_hours(12.0),
            from: Some(name("alice")),
            to: Some(name("bob")),
        })
    );
    let from_edge = rota.next_handover(at_hours(12.0)).unwrap();
    assert_eq!(from_edge.at, at_hours(24.0));
    assert_eq!(from_edge.from, Some(name("bob")));
    assert_eq!(from_edge.to, Some(name("carol")));
    let wrap = rota.next_handover(at_hours(30.0)).unwrap();
    assert_eq!((wrap.at, wrap.to), (at_hours(36.0), Some(name("alice"))));
}

/// SPEC E2: before the rota starts nobody is on call and nobody can be
/// escalated to; the first handover is the rota's start.
#[test]
fn before_the_start_nobody_is_on_call() {
    let rota = ic_rota();
    let before = at_hours(-0.5);
    assert_eq!(on_call(&rota, before), None);
    assert!(rota.escalation_order(before).is_empty());
    assert_eq!(
        rota.next_handover(before),
        Some(Handover {
            at: at_hours(0.0),
            from: None,
            to: Some(name("alice")),
        })
    );
}

/// SPEC E1, E4: the escalation order starts with whoever is on call and
/// follows the rota, wrapping round, each person once.
#[test]
fn escalation_order_follows_the_rota_from_the_person_on_call() {
    let rota = ic_rota();
    assert_eq!(order(&rota, at_hours(1.0)), ["alice", "bob", "carol"]);
    assert_eq!(order(&rota, at_hours(13.0)), ["bob", "carol", "alice"]);
    assert_eq!(order(&rota, at_hours(25.0)), ["carol", "alice", "bob"]);

    let uneven = Rota::new(
        RotaRole::Sre,
        names(&["alice", "bob", "alice", "dave"]),
        ShiftLength::hours(8).unwrap(),
        Timestamp::from_unix_millis(START),
    )
    .unwrap();
    assert_eq!(order(&uneven, at_hours(17.0)), ["alice", "dave", "bob"]);
}

/// SPEC E2: an override beats the schedule over `[from, until)` only, also
/// across a shift edge; the cover's start and end are handovers.
#[test]
fn an_override_covers_its_interval_across_a_shift_edge() {
    let rota = ic_rota().with_override(cover("dave", 11.0, 13.0));
    assert_eq!(on_call(&rota, at_hours(10.5)), Some("alice"));
    assert_eq!(on_call(&rota, at_hours(11.0)), Some("dave"));
    assert_eq!(on_call(&rota, at_hours(12.0)), Some("dave"));
    assert_eq!(on_call(&rota, at_hours(13.0)), Some("bob"));
    assert_eq!(rota.scheduled_at(at_hours(12.0)), Some(&name("bob")));

    let into_cover = rota.next_handover(at_hours(10.0)).unwrap();
    assert_eq!(
        (into_cover.at, into_cover.to),
        (at_hours(11.0), Some(name("dave")))
    );
    let out_of_cover = rota.next_handover(at_hours(11.5)).unwrap();
    assert_eq!(
        (out_of_cover.at, out_of_cover.from, out_of_cover.to),
        (at_hours(13.0), Some(name("dave")), Some(name("bob")))
    );
    // Inside the cover, the scheduled person is next in line.
    assert_eq!(
        order(&rota, at_hours(12.5)),
        ["dave", "bob", "carol", "alice"]
    );
}

/// SPEC E2: when overrides overlap, the one added last wins, and when it
/// ends the earlier cover resumes.
#[test]
fn overlapping_overrides_the_last_added_wins() {
    let rota = ic_rota()
        .with_override(cover("dave", 2.0, 6.0))
        .with_override(cover("erin", 3.0, 4.0));
    assert_eq!(on_call(&rota, at_hours(2.5)), Some("dave"));
    assert_eq!(on_call(&rota, at_hours(3.5)), Some("erin"));
    assert_eq!(on_call(&rota, at_hours(4.0)), Some("dave"));
    assert_eq!(on_call(&rota, at_hours(6.0)), Some("alice"));
    let handover = rota.next_handover(at_hours(3.5)).unwrap();
    assert_eq!(
        (handover.at, handover.from, handover.to),
        (at_hours(4.0), Some(name("erin")), Some(name("dave")))
    );
}

/// SPEC E2: a cover by the person already on call is no handover; a long
/// cover over many shift edges ends where it says.
#[test]
fn handovers_skip_edges_where_nobody_changes() {
    let rota = ic_rota().with_override(cover("alice", 6.0, 18.0));
    assert_eq!(
        rota.next_handover(at_hours(1.0)).unwrap().at,
        at_hours(18.0)
    );

    let month = ic_rota().with_override(cover("dave", 0.0, 24.0 * 30.0));
    let end = month.next_handover(at_hours(1.0)).unwrap();
    assert_eq!(end.at, at_hours(24.0 * 30.0));
    assert_eq!(end.to, Some(name("alice")));
}

/// SPEC E2: cover before the rota starts makes that person on call; when it
/// ends before the start, nobody is.
#[test]
fn cover_before_the_start() {
    let rota = ic_rota().with_override(cover("dave", -3.0, -1.0));
    assert_eq!(on_call(&rota, at_hours(-2.0)), Some("dave"));
    assert_eq!(
        order(&rota, at_hours(-2.0)),
        ["dave", "alice", "bob", "carol"]
    );
    assert_eq!(
        rota.next_handover(at_hours(-2.0)),
        Some(Handover {
            at: at_hours(-1.0),
            from: Some(name("dave")),
            to: None,
        })
    );
}

/// SPEC E2: a rota of one person never hands over, except to cover.
#[test]
fn a_rota_of_one_never_hands_over() {
    let solo = Rota::new(
        RotaRole::NetworkEngineer,
        names(&["nina"]),
        ShiftLength::days(7).unwrap(),
        Timestamp::from_unix_millis(START),
    )
    .unwrap();
    assert_eq!(on_call(&solo, at_hours(24.0 * 100.0)), Some("nina"));
    assert_eq!(solo.next_handover(at_hours(5.0)), None);
    assert_eq!(order(&solo, at_hours(5.0)), ["nina"]);

    // Short shifts of the same person, then a cover far ahead.
    let covered = Rota::new(
        RotaRole::NetworkEngineer,
        names(&["nina"]),
        ShiftLength::minutes(1).unwrap(),
        Timestamp::from_unix_millis(START),
    )
    .unwrap()
    .with_override(cover("omar", 24.0 * 60.0, 24.0 * 61.0));
    let handover = covered.next_handover(at_hours(0.0)).unwrap();
    assert_eq!(
        (handover.at, handover.to),
        (at_hours(24.0 * 60.0), Some(name("omar")))
    );
}

/// SPEC E2: impossible rotas cannot be built, from code or from JSON.
#[test]
fn impossible_rotas_are_refused() {
    let start = Timestamp::from_unix_millis(START);
    let twelve = ShiftLength::hours(12).unwrap();
    assert_eq!(
        Rota::new(RotaRole::CustomerSupport, Vec::new(), twelve, start),
        Err(RotaError::NoPeople {
            role: RotaRole::CustomerSupport
        })
    );
    assert_eq!(ShiftLength::minutes(0), Err(RotaError::ZeroShift));
    assert_eq!(
        RotaOverride::new(name("dave"), at_hours(2.0), at_hours(2.0)),
        Err(RotaError::EmptyOverride {
            from: at_hours(2.0),
            until: at_hours(2.0)
        })
    );
    assert_eq!(
        Rotas::new(vec![ic_rota(), ic_rota()]),
        Err(RotaError::DuplicateRole {
            role: RotaRole::IncidentCommander
        })
    );
    let err = Rota::new(RotaRole::Sre, Vec::new(), twelve, start).unwrap_err();
    assert!(err.to_string().contains("sre rota"), "{err}");

    let json = r#"{"role":"sre","people":[],"shift":720,"starts_at":"2026-11-22T20:00:00Z"}"#;
    assert!(serde_json::from_str::<Rota>(json).is_err());
    let zero = r#"{"role":"sre","people":["a"],"shift":0,"starts_at":"2026-11-22T20:00:00Z"}"#;
    assert!(serde_json::from_str::<Rota>(zero).is_err());
}

/// SPEC E2: rotas are stored as JSON and come back equal.
#[test]
fn rotas_round_trip_through_json() {
    let rotas = Rotas::new(vec![ic_rota().with_override(cover("dave", 1.0, 2.0))]).unwrap();
    let json = serde_json::to_value(&rotas).unwrap();
    assert_eq!(json[0]["role"], "incident_commander");
    assert_eq!(json[0]["shift"], 720);
    assert_eq!(json[0]["overrides"][0]["person"], "dave");
    let back: Rotas = serde_json::from_value(json).unwrap();
    assert_eq!(back, rotas);
    assert_eq!(
        back.get(RotaRole::IncidentCommander).map(Rota::people),
        Some(&names(&["alice", "bob", "carol"])[..])
    );
    assert!(back.get(RotaRole::Sre).is_none());
    for role in RotaRole::ALL {
        assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
    }
}

fn arbitrary_rota() -> impl Strategy<Value = Rota> {
    let people = prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d"]), 1..5);
    let cover = (
        prop::sample::select(vec!["a", "x", "y"]),
        -48i64..200,
        1i64..60,
    );
    (people, 1u32..1_000, prop::collection::vec(cover, 0..4)).prop_map(
        |(people, shift_minutes, covers)| {
            let mut rota = Rota::new(
                RotaRole::Sre,
                names(&people),
                ShiftLength::minutes(shift_minutes).unwrap(),
                Timestamp::from_unix_millis(START),
            )
            .unwrap();
            for (person, from, length) in covers {
                let from = START + from * HOUR / 4;
                rota.add_override(
                    RotaOverride::new(
                        name(person),
                        Timestamp::from_unix_millis(from),
                        Timestamp::from_unix_millis(from + length * HOUR / 4),
                    )
                    .unwrap(),
                );
            }
            rota
        },
    )
}

proptest! {
    /// SPEC E2: the next handover is after t, the person changes exactly
    /// there, and nobody else is on call in between.
    #[test]
    fn next_handover_is_the_first_change(rota in arbitrary_rota(), offset in -20 * HOUR..80 * HOUR) {
        let t = Timestamp::from_unix_millis(START + offset);
        let current = rota.on_call_at(t);
        match rota.next_handover(t) {
            Some(handover) => {
                prop_assert!(handover.at > t);
                prop_assert_eq!(handover.from.as_ref(), current);
                prop_assert_eq!(rota.on_call_at(handover.at), handover.to.as_ref());
                prop_assert_ne!(handover.to.as_ref(), current);
                let span = handover.at.millis_since(t);
                for step in 0..64 {
                    let between = Timestamp::from_unix_millis(t.unix_millis() + span * step / 64);
                    prop_assert_eq!(rota.on_call_at(between), current);
                }
                let just_before = Timestamp::from_unix_millis(handover.at.unix_millis() - 1);
                prop_assert_eq!(rota.on_call_at(just_before), current);
            }
            None => {
                // Nobody else ever: every sampled later instant has the same person.
                for days in 0..30 {
                    let later = Timestamp::from_unix_millis(t.unix_millis() + days * 24 * HOUR + 1);
                    prop_assert_eq!(rota.on_call_at(later), current);
                }
            }
        }
    }

    /// SPEC E1, E4: the escalation order starts with the person on call and
    /// names every rota member once.
    #[test]
    fn escalation_order_is_complete_and_distinct(rota in arbitrary_rota(), offset in -20 * HOUR..80 * HOUR) {
        let t = Timestamp::from_unix_millis(START + offset);
        let order = rota.escalation_order(t);
        match rota.on_call_at(t) {
            None => prop_assert!(order.is_empty()),
            Some(first) => {
                prop_assert_eq!(order[0], first);
                for (i, person) in order.iter().enumerate() {
                    prop_assert!(!order[..i].contains(person), "{} twice", person);
                }
                for person in rota.people() {
                    prop_assert!(order.contains(&person), "{} missing", person);
                }
            }
        }
    }
}
