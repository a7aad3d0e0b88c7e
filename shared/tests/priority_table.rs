//! The SOP's priority table (SPEC section 3) as data: one line per rule and
//! boundary, checked by a single `check` helper. Runs natively and, through
//! wasm-bindgen-test, in a browser, where the triage form classifies.

use beacon_shared::priority::{Classification, P0_AVAILABILITY_PERCENT};
use beacon_shared::triage::{AffectedCustomer, DataCenterImpact, Name, RegionalPercent};
use beacon_shared::{classify_priority, Percent, Priority, RuleId, TriageFacts};
use Priority::*;
use RuleId::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Classifies `facts` and compares with the expected priority and matched
/// rules (as a multiset: order among equally urgent rules is not specified).
/// Also checks what every classification promises: rules most urgent first,
/// the priority is the first rule's or P3, each rule explains itself (P5).
fn check(
    facts: &TriageFacts,
    expected_priority: Priority,
    expected_rules: &[RuleId],
) -> Result<Classification, String> {
    let classification = classify_priority(facts);
    let mut problems = Vec::new();
    if classification.priority != expected_priority {
        problems.push(format!(
            "priority {} instead of {expected_priority}",
            classification.priority
        ));
    }
    let mut actual: Vec<String> = classification
        .matched
        .iter()
        .map(|m| format!("{:?}", m.rule))
        .collect();
    let mut expected: Vec<String> = expected_rules
        .iter()
        .map(|rule| format!("{rule:?}"))
        .collect();
    actual.sort();
    expected.sort();
    if actual != expected {
        problems.push(format!("matched {actual:?} instead of {expected:?}"));
    }
    if !classification.matched.is_sorted_by_key(|m| m.priority) {
        problems.push("matched rules are not most urgent first".into());
    }
    let first = classification.matched.first().map_or(P3, |m| m.priority);
    if classification.priority != first {
        problems.push(format!(
            "priority {} is not the most urgent rule's {first}",
            classification.priority
        ));
    }
    for m in &classification.matched {
        if m.priority != m.rule.priority() || m.input.is_empty() || m.reason.is_empty() {
            problems.push(format!("rule does not explain itself: {m:?}"));
        }
    }
    if problems.is_empty() {
        Ok(classification)
    } else {
        Err(format!(
            "{}\n  facts: {facts:?}\n  got: {classification:?}",
            problems.join("; ")
        ))
    }
}

/// One line of the table.
struct Case {
    name: &'static str,
    facts: TriageFacts,
    priority: Priority,
    rules: &'static [RuleId],
}

fn case(
    name: &'static str,
    facts: TriageFacts,
    priority: Priority,
    rules: &'static [RuleId],
) -> Case {
    Case {
        name,
        facts,
        priority,
        rules,
    }
}

/// Empty facts, edited by `edit`.
fn facts(edit: impl FnOnce(&mut TriageFacts)) -> TriageFacts {
    let mut facts = TriageFacts::default();
    edit(&mut facts);
    facts
}

fn percent(value: f64) -> Percent {
    Percent::parse(value).unwrap()
}

fn region(region: &str, value: f64) -> RegionalPercent {
    RegionalPercent {
        region: Name::parse(region).unwrap(),
        percent: percent(value),
    }
}

fn customer(name: &str, enterprise_or_partner: bool) -> AffectedCustomer {
    AffectedCustomer {
        name: Name::parse(name).unwrap(),
        enterprise_or_partner,
    }
}

/// The table: every bullet of SPEC P0-P3, its boundaries and combinations.
#[rustfmt::skip]
fn priority_table() -> Vec<Case> {
    vec![
        // P3: the default.
        case("P3 default: empty facts", TriageFacts::default(), P3, &[]),
        case("P3 operational or procedural problem", facts(|f| f.measurements.operational_or_procedural = true), P3, &[OperationalOrProcedural]),
        case("P3: impact types alone match no rule", facts(|f| { f.impact.performance_degradation = true; f.impact.customer_impact_observed = true; }), P3, &[]),
        // P0 bullets.
        case("P0 complete loss of access", facts(|f| f.measurements.complete_loss_of_access = true), P0, &[CompleteLossOfAccess]),
        case("P0 availability 98.0 % globally", facts(|f| f.measurements.availability_global = Some(percent(98.0))), P0, &[AvailabilityAtOrBelow98]),
        case("P0 availability 0 % globally", facts(|f| f.measurements.availability_global = Some(percent(0.0))), P0, &[AvailabilityAtOrBelow98]),
        case("not P0: availability 98.01 % globally", facts(|f| f.measurements.availability_global = Some(percent(98.01))), P3, &[]),
        case("not P0: availability 100 % globally", facts(|f| f.measurements.availability_global = Some(percent(100.0))), P3, &[]),
        case("P0 availability 97.5 % in a main region", facts(|f| f.measurements.availability_by_region = vec![region("eu-west", 97.5)]), P0, &[AvailabilityAtOrBelow98]),
        case("P0 availability 98.0 % in a main region", facts(|f| f.measurements.availability_by_region = vec![region("eu-west", 98.0)]), P0, &[AvailabilityAtOrBelow98]),
        case("not P0: availability 98.01 % in a main region", facts(|f| f.measurements.availability_by_region = vec![region("eu-west", 98.01)]), P3, &[]),
        case("P0 availability low in two main regions: both listed", facts(|f| f.measurements.availability_by_region = vec![region("eu-west", 90.0), region("us-east", 99.0), region("ap-south", 50.0)]), P0, &[AvailabilityAtOrBelow98, AvailabilityAtOrBelow98]),
        case("P0 Tier-1 data center lost", facts(|f| f.measurements.tier1_datacenter = Some(DataCenterImpact::Lost)), P0, &[Tier1DataCenter]),
        case("P0 Tier-1 data center degraded", facts(|f| f.measurements.tier1_datacenter = Some(DataCenterImpact::Degraded)), P0, &[Tier1DataCenter]),
        case("P0 transit packet loss 20 % globally", facts(|f| f.measurements.packet_loss_global = Some(percent(20.0))), P0, &[TransitPacketLoss]),
        case("P0 transit packet loss 100 % globally", facts(|f| f.measurements.packet_loss_global = Some(percent(100.0))), P0, &[TransitPacketLoss]),
        case("not P0: transit packet loss 19.99 % globally", facts(|f| f.measurements.packet_loss_global = Some(percent(19.99))), P3, &[]),
        case("P0 transit packet loss 30 % from a main region", facts(|f| f.measurements.packet_loss_by_region = vec![region("us-east", 30.0)]), P0, &[TransitPacketLoss]),
        case("not P0: transit packet loss 29.9 % from a main region", facts(|f| f.measurements.packet_loss_by_region = vec![region("us-east", 29.9)]), P3, &[]),
        case("not P0: 25 % regional packet loss is below the regional threshold", facts(|f| f.measurements.packet_loss_by_region = vec![region("us-east", 25.0)]), P3, &[]),
        case("P0 critical system degraded", facts(|f| f.measurements.critical_system_degraded = true), P0, &[CriticalSystemDegraded]),
        // P1 bullets.
        case("P1 site-wide performance degradation", facts(|f| f.measurements.site_wide_degradation = true), P1, &[SiteWideDegradation]),
        case("P1 major function lost", facts(|f| f.measurements.major_function_lost = true), P1, &[MajorFunctionLost]),
        case("P1 access from social media or external sites lost", facts(|f| f.measurements.external_access_lost = true), P1, &[ExternalAccessLost]),
        case("P1 outbound third-party interface down", facts(|f| f.measurements.outbound_interface_down = true), P1, &[OutboundInterfaceDown]),
        case("P1 site outage for an enterprise customer", facts(|f| { f.customers = vec![customer("Globex", true)]; f.impact.total_loss_of_access = true; }), P1, &[EnterpriseCustomerOutage]),
        case("P1 site outage for two partners: both listed", facts(|f| { f.customers = vec![customer("Globex", true), customer("Initech", false), customer("Umbrella", true)]; f.impact.total_loss_of_access = true; }), P1, &[EnterpriseCustomerOutage, EnterpriseCustomerOutage]),
        case("not P1: enterprise customer without loss of access", facts(|f| f.customers = vec![customer("Globex", true)]), P3, &[]),
        case("P1 customer data corrupted or lost", facts(|f| f.measurements.customer_data_corrupted = true), P1, &[CustomerDataCorrupted]),
        // P2 bullets.
        case("P2 sporadic or local performance problems", facts(|f| f.measurements.sporadic_or_local_problem = true), P2, &[SporadicOrLocalProblem]),
        case("P2 problem not yet visible to clients", facts(|f| f.measurements.not_visible_to_clients = true), P2, &[NotVisibleToClients]),
        case("P2 outage for a single client", facts(|f| f.measurements.single_client_affected = true), P2, &[SingleClientAffected]),
        // Several rules: the most urgent wins, all are listed.
        case("P0 wins over P1, P2 and P3; all listed", facts(|f| {
            f.measurements.complete_loss_of_access = true;
            f.measurements.site_wide_degradation = true;
            f.measurements.not_visible_to_clients = true;
            f.measurements.operational_or_procedural = true;
        }), P0, &[CompleteLossOfAccess, SiteWideDegradation, NotVisibleToClients, OperationalOrProcedural]),
        case("P1 wins over P2; all listed", facts(|f| {
            f.measurements.customer_data_corrupted = true;
            f.measurements.single_client_affected = true;
            f.measurements.sporadic_or_local_problem = true;
        }), P1, &[CustomerDataCorrupted, SingleClientAffected, SporadicOrLocalProblem]),
        case("P2 wins over P3", facts(|f| {
            f.measurements.single_client_affected = true;
            f.measurements.operational_or_procedural = true;
        }), P2, &[SingleClientAffected, OperationalOrProcedural]),
        case("every P0 measurement at once", facts(|f| {
            f.measurements.availability_global = Some(percent(97.0));
            f.measurements.availability_by_region = vec![region("eu-west", 97.5)];
            f.measurements.packet_loss_global = Some(percent(20.0));
            f.measurements.packet_loss_by_region = vec![region("us-east", 30.0)];
            f.measurements.tier1_datacenter = Some(DataCenterImpact::Lost);
        }), P0, &[AvailabilityAtOrBelow98, AvailabilityAtOrBelow98, TransitPacketLoss, TransitPacketLoss, Tier1DataCenter]),
    ]
}

/// SPEC P0, P1, P2, P3, P5
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn priority_table_holds() {
    let failures: Vec<String> = priority_table()
        .into_iter()
        .filter_map(|case| {
            check(&case.facts, case.priority, case.rules)
                .err()
                .map(|e| format!("{}: {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// SPEC P0, P1, P2, P3
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn table_covers_every_rule() {
    let table = priority_table();
    let all_rules = [
        CompleteLossOfAccess,
        AvailabilityAtOrBelow98,
        Tier1DataCenter,
        TransitPacketLoss,
        CriticalSystemDegraded,
        SiteWideDegradation,
        MajorFunctionLost,
        ExternalAccessLost,
        OutboundInterfaceDown,
        EnterpriseCustomerOutage,
        CustomerDataCorrupted,
        SporadicOrLocalProblem,
        NotVisibleToClients,
        SingleClientAffected,
        OperationalOrProcedural,
    ];
    for rule in all_rules {
        assert!(
            table.iter().any(|case| case.rules == [rule]),
            "no case where {rule:?} matches on its own"
        );
    }
}

/// SPEC P0, P5
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn regional_availability_names_the_region() {
    let facts = facts(|f| {
        f.measurements.availability_by_region =
            vec![region("us-east", 99.5), region("eu-west", 97.5)]
    });
    let classification =
        check(&facts, P0, &[AvailabilityAtOrBelow98]).unwrap_or_else(|e| panic!("{e}"));
    let rule = &classification.matched[0];
    assert_eq!(rule.input, "measurements.availability_by_region[eu-west]");
    assert!(rule.reason.contains("eu-west"), "{}", rule.reason);
    assert!(rule.reason.contains("97.5"), "{}", rule.reason);
    assert!(!rule.reason.contains("us-east"), "{}", rule.reason);
}

/// SPEC P0, P5
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn regional_packet_loss_names_the_region() {
    let facts = facts(|f| f.measurements.packet_loss_by_region = vec![region("ap-south", 31.0)]);
    let classification = check(&facts, P0, &[TransitPacketLoss]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        classification.matched[0].input,
        "measurements.packet_loss_by_region[ap-south]"
    );
    assert!(classification.matched[0].reason.contains("ap-south"));
}

/// SPEC P0
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_availability_threshold_is_the_sops_98_percent() {
    assert_eq!(P0_AVAILABILITY_PERCENT, 98.0);
}

/// SPEC P1, P5
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn enterprise_outage_names_the_customer() {
    let facts = facts(|f| {
        f.customers = vec![customer("Initech", false), customer("Globex", true)];
        f.impact.total_loss_of_access = true;
    });
    let classification =
        check(&facts, P1, &[EnterpriseCustomerOutage]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(classification.matched[0].input, "customers[1]");
    assert!(classification.matched[0].reason.contains("Globex"));
}

/// SPEC P0, P1, P2, P3, P5
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn most_urgent_rule_comes_first() {
    let facts = facts(|f| {
        f.measurements.operational_or_procedural = true;
        f.measurements.single_client_affected = true;
        f.measurements.major_function_lost = true;
        f.measurements.critical_system_degraded = true;
    });
    let classification = check(
        &facts,
        P0,
        &[
            OperationalOrProcedural,
            SingleClientAffected,
            MajorFunctionLost,
            CriticalSystemDegraded,
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<Priority> = classification.matched.iter().map(|m| m.priority).collect();
    assert_eq!(order, [P0, P1, P2, P3]);
}
