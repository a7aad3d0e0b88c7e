//! Properties of the priority classifier over arbitrary valid triage facts
//! (SPEC P0-P3, P5): it is total and deterministic, P3 is the default, and
//! more impact never makes an incident less urgent.

#![cfg(not(target_arch = "wasm32"))]

use beacon_shared::triage::{
    AffectedCustomer, DataCenterImpact, Hostname, ImpactTypes, Measurements, Name, RegionalPercent,
    Scope, Source,
};
use beacon_shared::{classify_priority, Count, Percent, Priority, RuleId, Timestamp, TriageFacts};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use std::collections::HashSet;

// ---- Strategies: only valid values, since the types cannot hold others. ----

fn name() -> impl Strategy<Value = Name> {
    "[A-Za-z][A-Za-z0-9 .-]{0,30}[A-Za-z0-9]".prop_map(|text| Name::parse(&text).unwrap())
}

fn hostname() -> impl Strategy<Value = Hostname> {
    vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4)
        .prop_map(|labels| Hostname::parse(&labels.join(".")).unwrap())
}

/// Percentages, with the rules' thresholds and the ends of the range made likely.
fn percent() -> impl Strategy<Value = Percent> {
    prop_oneof![
        3 => 0.0..=100.0f64,
        1 => prop::sample::select(vec![0.0, 19.99, 20.0, 29.9, 30.0, 97.5, 98.0, 98.01, 100.0]),
    ]
    .prop_map(|value| Percent::parse(value).unwrap())
}

fn count() -> impl Strategy<Value = Count> {
    (0..1_000_000i64).prop_map(|value| Count::parse(value).unwrap())
}

/// Between 2000-01-01 and 2100-01-01.
fn timestamp() -> impl Strategy<Value = Timestamp> {
    (946_684_800_000..4_102_444_800_000i64).prop_map(Timestamp::from_unix_millis)
}

fn regional_percent() -> impl Strategy<Value = RegionalPercent> {
    (name(), percent()).prop_map(|(region, percent)| RegionalPercent { region, percent })
}

fn customer() -> impl Strategy<Value = AffectedCustomer> {
    (name(), any::<bool>()).prop_map(|(name, enterprise_or_partner)| AffectedCustomer {
        name,
        enterprise_or_partner,
    })
}

fn data_center_impact() -> impl Strategy<Value = DataCenterImpact> {
    prop_oneof![
        Just(DataCenterImpact::Lost),
        Just(DataCenterImpact::Degraded)
    ]
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        (name(), option::of(name())).prop_map(|(system, name)| Source::Monitoring { system, name }),
        name().prop_map(|name| Source::Person { name }),
        name().prop_map(|name| Source::Customer { name }),
        name().prop_map(|name| Source::ThirdParty { name }),
    ]
}

fn scope() -> impl Strategy<Value = Scope> {
    (
        option::of(count()),
        option::of(count()),
        option::of(count()),
    )
        .prop_map(|(systems, users, regions)| Scope {
            systems,
            users,
            regions,
        })
}

fn impact_types() -> impl Strategy<Value = ImpactTypes> {
    any::<[bool; 4]>().prop_map(|[total, performance, dependent, customer]| ImpactTypes {
        total_loss_of_access: total,
        performance_degradation: performance,
        dependent_applications_degraded: dependent,
        customer_impact_observed: customer,
    })
}

fn measurements() -> impl Strategy<Value = Measurements> {
    (
        any::<[bool; 11]>(),
        option::of(percent()),
        vec(regional_percent(), 0..4),
        option::of(percent()),
        vec(regional_percent(), 0..4),
        option::of(data_center_impact()),
    )
        .prop_map(
            |(
                flags,
                availability_global,
                availability_by_region,
                packet_loss_global,
                packet_loss_by_region,
                tier1_datacenter,
            )| {
                let mut m = Measurements {
                    availability_global,
                    availability_by_region,
                    packet_loss_global,
                    packet_loss_by_region,
                    tier1_datacenter,
                    ..Measurements::default()
                };
                for (flag, on) in MeasurementFlag::ALL.into_iter().zip(flags) {
                    *flag.of(&mut m) = on;
                }
                m
            },
        )
}

/// Any valid `TriageFacts`; rule-triggering values are common.
fn triage_facts() -> impl Strategy<Value = TriageFacts> {
    (facts_without_impact(), impact_types(), measurements()).prop_map(
        |(mut facts, impact, measurements)| {
            facts.impact = impact;
            facts.measurements = measurements;
            facts
        },
    )
}

/// Facts that record who, what and when, but no impact at all.
fn facts_without_impact() -> impl Strategy<Value = TriageFacts> {
    (
        option::of(source()),
        vec(customer(), 0..4),
        option::of(name()),
        option::of(hostname()),
        option::of(timestamp()),
        scope(),
    )
        .prop_map(
            |(source, customers, system, hostname, alerted_at, scope)| TriageFacts {
                source,
                customers,
                system,
                hostname,
                alerted_at,
                scope,
                impact: ImpactTypes::default(),
                measurements: Measurements::default(),
            },
        )
}

/// Every boolean observation in `Measurements`.
#[derive(Debug, Clone, Copy)]
enum MeasurementFlag {
    CompleteLossOfAccess,
    CriticalSystemDegraded,
    SiteWideDegradation,
    MajorFunctionLost,
    ExternalAccessLost,
    OutboundInterfaceDown,
    CustomerDataCorrupted,
    SporadicOrLocalProblem,
    NotVisibleToClients,
    SingleClientAffected,
    OperationalOrProcedural,
}

impl MeasurementFlag {
    const ALL: [MeasurementFlag; 11] = [
        MeasurementFlag::CompleteLossOfAccess,
        MeasurementFlag::CriticalSystemDegraded,
        MeasurementFlag::SiteWideDegradation,
        MeasurementFlag::MajorFunctionLost,
        MeasurementFlag::ExternalAccessLost,
        MeasurementFlag::OutboundInterfaceDown,
        MeasurementFlag::CustomerDataCorrupted,
        MeasurementFlag::SporadicOrLocalProblem,
        MeasurementFlag::NotVisibleToClients,
        MeasurementFlag::SingleClientAffected,
        MeasurementFlag::OperationalOrProcedural,
    ];

    fn of(self, m: &mut Measurements) -> &mut bool {
        match self {
            MeasurementFlag::CompleteLossOfAccess => &mut m.complete_loss_of_access,
            MeasurementFlag::CriticalSystemDegraded => &mut m.critical_system_degraded,
            MeasurementFlag::SiteWideDegradation => &mut m.site_wide_degradation,
            MeasurementFlag::MajorFunctionLost => &mut m.major_function_lost,
            MeasurementFlag::ExternalAccessLost => &mut m.external_access_lost,
            MeasurementFlag::OutboundInterfaceDown => &mut m.outbound_interface_down,
            MeasurementFlag::CustomerDataCorrupted => &mut m.customer_data_corrupted,
            MeasurementFlag::SporadicOrLocalProblem => &mut m.sporadic_or_local_problem,
            MeasurementFlag::NotVisibleToClients => &mut m.not_visible_to_clients,
            MeasurementFlag::SingleClientAffected => &mut m.single_client_affected,
            MeasurementFlag::OperationalOrProcedural => &mut m.operational_or_procedural,
        }
    }
}

/// Every boolean impact type in `ImpactTypes` (SPEC T6).
#[derive(Debug, Clone, Copy)]
enum ImpactFlag {
    TotalLossOfAccess,
    PerformanceDegradation,
    DependentApplicationsDegraded,
    CustomerImpactObserved,
}

impl ImpactFlag {
    fn of(self, impact: &mut ImpactTypes) -> &mut bool {
        match self {
            ImpactFlag::TotalLossOfAccess => &mut impact.total_loss_of_access,
            ImpactFlag::PerformanceDegradation => &mut impact.performance_degradation,
            ImpactFlag::DependentApplicationsDegraded => {
                &mut impact.dependent_applications_degraded
            }
            ImpactFlag::CustomerImpactObserved => &mut impact.customer_impact_observed,
        }
    }
}

/// One way of recording more impact than before.
#[derive(Debug, Clone)]
enum MoreImpact {
    SetMeasurement(MeasurementFlag),
    SetImpact(ImpactFlag),
    AddRegionalAvailability(RegionalPercent),
    AddRegionalPacketLoss(RegionalPercent),
    /// Global availability becomes at most this (set if unknown).
    LowerGlobalAvailability(Percent),
    /// The n-th (modulo length) regional availability becomes at most this.
    LowerRegionalAvailability(usize, Percent),
    /// Global packet loss becomes at least this (set if unknown).
    RaiseGlobalPacketLoss(Percent),
    /// The n-th (modulo length) regional packet loss becomes at least this.
    RaiseRegionalPacketLoss(usize, Percent),
    SetTier1DataCenter(DataCenterImpact),
    AddCustomer(AffectedCustomer),
    /// The n-th (modulo length) customer turns out to be an enterprise customer.
    MakeEnterprise(usize),
}

fn more_impact() -> impl Strategy<Value = MoreImpact> {
    prop_oneof![
        prop::sample::select(MeasurementFlag::ALL.to_vec()).prop_map(MoreImpact::SetMeasurement),
        prop::sample::select(vec![
            ImpactFlag::TotalLossOfAccess,
            ImpactFlag::PerformanceDegradation,
            ImpactFlag::DependentApplicationsDegraded,
            ImpactFlag::CustomerImpactObserved,
        ])
        .prop_map(MoreImpact::SetImpact),
        regional_percent().prop_map(MoreImpact::AddRegionalAvailability),
        regional_percent().prop_map(MoreImpact::AddRegionalPacketLoss),
        percent().prop_map(MoreImpact::LowerGlobalAvailability),
        (any::<usize>(), percent()).prop_map(|(i, p)| MoreImpact::LowerRegionalAvailability(i, p)),
        percent().prop_map(MoreImpact::RaiseGlobalPacketLoss),
        (any::<usize>(), percent()).prop_map(|(i, p)| MoreImpact::RaiseRegionalPacketLoss(i, p)),
        data_center_impact().prop_map(MoreImpact::SetTier1DataCenter),
        customer().prop_map(MoreImpact::AddCustomer),
        any::<usize>().prop_map(MoreImpact::MakeEnterprise),
    ]
}

/// Moves the `i`-th region (counting round), if any, towards `bound` with `towards`.
fn move_region(
    regions: &mut [RegionalPercent],
    i: usize,
    bound: Percent,
    towards: fn(Percent, Percent) -> Percent,
) {
    let len = regions.len();
    if let Some(r) = regions.get_mut(i % len.max(1)) {
        r.percent = towards(r.percent, bound);
    }
}

fn lower(current: Percent, bound: Percent) -> Percent {
    if bound < current {
        bound
    } else {
        current
    }
}

fn raise(current: Percent, bound: Percent) -> Percent {
    if bound > current {
        bound
    } else {
        current
    }
}

impl MoreImpact {
    fn apply(self, facts: &mut TriageFacts) {
        let m = &mut facts.measurements;
        match self {
            MoreImpact::SetMeasurement(flag) => *flag.of(m) = true,
            MoreImpact::SetImpact(flag) => *flag.of(&mut facts.impact) = true,
            MoreImpact::AddRegionalAvailability(r) => m.availability_by_region.push(r),
            MoreImpact::AddRegionalPacketLoss(r) => m.packet_loss_by_region.push(r),
            MoreImpact::LowerGlobalAvailability(p) => {
                m.availability_global = Some(m.availability_global.map_or(p, |old| lower(old, p)));
            }
            MoreImpact::LowerRegionalAvailability(i, p) => {
                move_region(&mut m.availability_by_region, i, p, lower)
            }
            MoreImpact::RaiseGlobalPacketLoss(p) => {
                m.packet_loss_global = Some(m.packet_loss_global.map_or(p, |old| raise(old, p)));
            }
            MoreImpact::RaiseRegionalPacketLoss(i, p) => {
                move_region(&mut m.packet_loss_by_region, i, p, raise)
            }
            MoreImpact::SetTier1DataCenter(dc) => m.tier1_datacenter = Some(dc),
            MoreImpact::AddCustomer(c) => facts.customers.push(c),
            MoreImpact::MakeEnterprise(i) => {
                let len = facts.customers.len();
                if let Some(c) = facts.customers.get_mut(i % len.max(1)) {
                    c.enterprise_or_partner = true;
                }
            }
        }
    }
}

fn rule_set(facts: &TriageFacts) -> HashSet<RuleId> {
    classify_priority(facts)
        .matched
        .iter()
        .map(|m| m.rule)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// SPEC P0, P1, P2, P3, P5: every input classifies; the priority is the
    /// most urgent matched rule's, or P3 when none matched.
    #[test]
    fn classification_is_total(facts in triage_facts()) {
        let classification = classify_priority(&facts);
        let most_urgent = classification.matched.iter().map(|m| m.priority).min().unwrap_or(Priority::P3);
        prop_assert_eq!(classification.priority, most_urgent);
        prop_assert!(classification.matched.is_sorted_by_key(|m| m.priority));
        for m in &classification.matched {
            prop_assert_eq!(m.priority, m.rule.priority());
            prop_assert!(!m.input.is_empty() && !m.reason.is_empty(), "{:?}", m);
        }
    }

    /// SPEC P3: without impact facts the default P3 applies and no rule matched.
    #[test]
    fn p3_is_the_default(facts in facts_without_impact()) {
        let classification = classify_priority(&facts);
        prop_assert_eq!(classification.priority, Priority::P3);
        prop_assert!(classification.matched.is_empty(), "{:?}", classification.matched);
    }

    /// SPEC P0, P1, P2, P3: recording more impact never makes the incident less
    /// urgent, and never un-matches a rule.
    #[test]
    fn more_impact_never_lowers_priority(
        facts in triage_facts(),
        changes in vec(more_impact(), 1..6),
    ) {
        let before = classify_priority(&facts);
        let rules_before = rule_set(&facts);
        let mut after_facts = facts.clone();
        for change in changes {
            change.apply(&mut after_facts);
        }
        let after = classify_priority(&after_facts);
        prop_assert!(
            after.priority <= before.priority,
            "{} became {} after {:?}", before.priority, after.priority, after_facts
        );
        let rules_after = rule_set(&after_facts);
        prop_assert!(rules_before.is_subset(&rules_after), "{:?} lost from {:?}", rules_before, rules_after);
    }

    /// SPEC P5: the same facts always give the same classification.
    #[test]
    fn classification_is_deterministic(facts in triage_facts()) {
        let first = classify_priority(&facts);
        let second = classify_priority(&facts.clone());
        prop_assert_eq!(first, second);
    }

    /// SPEC P5, T1-T6: facts sent as JSON (browser to edge) classify the same on arrival.
    ///
    /// Same priority and same rules on the same inputs; the facts themselves
    /// may differ in the last bit of a long percentage, because serde_json
    /// without its `float_roundtrip` feature may parse a float one ULP off.
    #[test]
    fn classification_survives_json(facts in triage_facts()) {
        let json = serde_json::to_string(&facts).unwrap();
        let arrived: TriageFacts = serde_json::from_str(&json).unwrap();
        let (sent, received) = (classify_priority(&facts), classify_priority(&arrived));
        prop_assert_eq!(sent.priority, received.priority);
        let explain = |c: &beacon_shared::Classification| -> Vec<(RuleId, String)> {
            c.matched.iter().map(|m| (m.rule, m.input.clone())).collect()
        };
        prop_assert_eq!(explain(&sent), explain(&received));
    }
}
