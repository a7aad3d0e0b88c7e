//! Representative triage facts, one per kind of incident, for benchmarks and demos.

use crate::measure::{Count, Percent};
use crate::timestamp::Timestamp;
use crate::triage::{
    AffectedCustomer, DataCenterImpact, Hostname, Name, RegionalPercent, Scope, Source, TriageFacts,
};

/// 2026-11-23T03:12:00Z, the night these samples are set in.
const ALERTED_AT: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

fn name(text: &str) -> Name {
    Name::parse(text).expect("sample names are valid")
}

fn percent(value: f64) -> Percent {
    Percent::parse(value).expect("sample percentages are within 0..=100")
}

fn count(value: i64) -> Count {
    Count::parse(value).expect("sample counts are not negative")
}

fn regional(region: &str, value: f64) -> RegionalPercent {
    RegionalPercent {
        region: name(region),
        percent: percent(value),
    }
}

fn alertmanager() -> Option<Source> {
    Some(Source::Monitoring {
        system: name("alertmanager"),
        name: Some(name("prod-eu")),
    })
}

fn customer(customer_name: &str, enterprise_or_partner: bool) -> AffectedCustomer {
    AffectedCustomer {
        name: name(customer_name),
        enterprise_or_partner,
    }
}

/// Eleven facts spanning every priority, from an empty form (P3) to an
/// outage that matches several P0 rules at once.
pub fn sample_facts() -> Vec<TriageFacts> {
    let empty_form = TriageFacts::default();

    let mut api_down = TriageFacts {
        source: alertmanager(),
        system: Some(name("public-api")),
        hostname: Hostname::parse("api.eu-west.example.com").ok(),
        alerted_at: Some(ALERTED_AT),
        scope: Scope {
            systems: Some(count(14)),
            users: Some(count(120_000)),
            regions: Some(count(3)),
        },
        ..TriageFacts::default()
    };
    api_down.impact.total_loss_of_access = true;
    api_down.measurements.complete_loss_of_access = true;
    api_down.measurements.availability_global = Some(percent(0.0));

    let mut regional_degradation = TriageFacts {
        alerted_at: Some(ALERTED_AT),
        ..TriageFacts::default()
    };
    regional_degradation.impact.performance_degradation = true;
    regional_degradation.measurements.availability_global = Some(percent(99.2));
    regional_degradation.measurements.availability_by_region =
        vec![regional("eu-west", 97.5), regional("us-east", 99.9)];

    let mut datacenter_lost = TriageFacts {
        source: alertmanager(),
        ..TriageFacts::default()
    };
    datacenter_lost.measurements.tier1_datacenter = Some(DataCenterImpact::Lost);

    let mut transit_loss = TriageFacts {
        source: Some(Source::ThirdParty {
            name: name("transit provider NOC"),
        }),
        ..TriageFacts::default()
    };
    transit_loss.measurements.packet_loss_global = Some(percent(12.0));
    transit_loss.measurements.packet_loss_by_region = vec![regional("ap-south", 31.0)];

    let mut enterprise_outage = TriageFacts {
        source: Some(Source::Customer {
            name: name("Globex Corp"),
        }),
        customers: vec![customer("Globex Corp", true), customer("Initech", false)],
        ..TriageFacts::default()
    };
    enterprise_outage.impact.total_loss_of_access = true;
    enterprise_outage.impact.customer_impact_observed = true;

    let mut data_corruption = TriageFacts {
        source: Some(Source::Person {
            name: name("Dana on call"),
        }),
        system: Some(name("billing-db")),
        ..TriageFacts::default()
    };
    data_corruption.measurements.customer_data_corrupted = true;
    data_corruption.measurements.major_function_lost = true;

    let mut high_cpu = TriageFacts {
        source: alertmanager(),
        hostname: Hostname::parse("worker-7.eu-west.example.com").ok(),
        scope: Scope {
            systems: Some(count(1)),
            ..Scope::default()
        },
        ..TriageFacts::default()
    };
    high_cpu.measurements.not_visible_to_clients = true;

    let mut single_client = TriageFacts {
        customers: vec![customer("Initech", false)],
        ..TriageFacts::default()
    };
    single_client.impact.performance_degradation = true;
    single_client.measurements.single_client_affected = true;
    single_client.measurements.sporadic_or_local_problem = true;

    let mut service_request = TriageFacts {
        source: Some(Source::Person {
            name: name("Sam from support"),
        }),
        ..TriageFacts::default()
    };
    service_request.measurements.operational_or_procedural = true;

    let mut everything_at_once = api_down.clone();
    everything_at_once.customers = vec![customer("Globex Corp", true)];
    everything_at_once.measurements.availability_by_region =
        vec![regional("eu-west", 40.0), regional("us-east", 95.0)];
    everything_at_once.measurements.packet_loss_global = Some(percent(25.0));
    everything_at_once.measurements.critical_system_degraded = true;
    everything_at_once.measurements.site_wide_degradation = true;
    everything_at_once.measurements.outbound_interface_down = true;
    everything_at_once.measurements.sporadic_or_local_problem = true;

    vec![
        empty_form,
        api_down,
        regional_degradation,
        datacenter_lost,
        transit_loss,
        enterprise_outage,
        data_corruption,
        high_cpu,
        single_client,
        service_request,
        everything_at_once,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::priority::{classify_priority, Priority};

    /// SPEC P0, P1, P2, P3
    #[test]
    fn samples_span_every_priority() {
        let priorities: Vec<Priority> = sample_facts()
            .iter()
            .map(|facts| classify_priority(facts).priority)
            .collect();
        assert_eq!(
            priorities,
            [
                Priority::P3,
                Priority::P0,
                Priority::P0,
                Priority::P0,
                Priority::P0,
                Priority::P1,
                Priority::P1,
                Priority::P2,
                Priority::P2,
                Priority::P3,
                Priority::P0,
            ]
        );
    }

    /// SPEC T1-T6
    #[test]
    fn samples_survive_a_json_round_trip() {
        for facts in sample_facts() {
            let json = serde_json::to_string(&facts).unwrap();
            assert_eq!(serde_json::from_str::<TriageFacts>(&json).unwrap(), facts);
        }
    }
}
