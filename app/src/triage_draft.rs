//! The triage form's raw state and its conversion into `TriageFacts`.
//!
//! The form keeps what the SRE typed as text; [`TriageDraft::to_facts`]
//! parses it with the shared types, keeps every valid fact (so the live
//! classification uses them at once) and reports each invalid field.

use beacon_shared::triage::{
    AffectedCustomer, DataCenterImpact, Hostname, ImpactTypes, Measurements, Name, RegionalPercent,
    Scope, Source,
};
use beacon_shared::{Count, Percent, TriageFacts};
use std::collections::{BTreeMap, BTreeSet};

/// The main regions the SOP's regional thresholds apply to.
pub const MAIN_REGIONS: [&str; 3] = ["eu-west", "us-east", "ap-southeast"];

/// An observation checkbox: (key, label). Keys are `Measurements` field names.
pub const OBSERVATIONS: [(&str, &str); 12] = [
    (
        "complete_loss_of_access",
        "Complete loss of access to the application or API",
    ),
    ("critical_system_degraded", "Critical system degraded"),
    (
        "site_wide_degradation",
        "Intermittent or increasing site-wide degradation",
    ),
    (
        "major_function_lost",
        "Major function lost (e.g. reporting)",
    ),
    (
        "external_access_lost",
        "Access from social media / external sites lost",
    ),
    (
        "outbound_interface_down",
        "Outbound third-party interface down (e.g. card authorization)",
    ),
    ("customer_data_corrupted", "Customer data corrupted or lost"),
    (
        "sporadic_or_local_problem",
        "Sporadic or local performance problem",
    ),
    (
        "not_visible_to_clients",
        "Not yet visible to clients (e.g. high CPU)",
    ),
    ("single_client_affected", "Single client affected"),
    (
        "operational_or_procedural",
        "Operational / procedural problem or service request",
    ),
    ("customer_impact_observed", "Customer impact observed"),
];

/// What the form holds, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriageDraft {
    pub title: String,
    /// A status-page category; required for P0/P1 (K1).
    pub category: String,
    /// `person`, `customer`, `third_party` or `monitoring`.
    pub source_kind: String,
    pub source_name: String,
    pub customer_name: String,
    pub customer_enterprise: bool,
    pub system: String,
    pub hostname: String,
    pub scope_systems: String,
    pub scope_users: String,
    pub scope_regions: String,
    pub total_loss_of_access: bool,
    pub performance_degradation: bool,
    pub dependent_applications_degraded: bool,
    pub availability_global: String,
    pub availability_by_region: BTreeMap<String, String>,
    pub packet_loss_global: String,
    pub packet_loss_by_region: BTreeMap<String, String>,
    /// `""`, `lost` or `degraded`.
    pub tier1_datacenter: String,
    pub observations: BTreeSet<String>,
}

/// A field the form could not parse, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn optional<T, E: std::fmt::Display>(
    field: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match parse(text) {
        Ok(value) => Some(value),
        Err(err) => {
            errors.push(FieldError {
                field: field.to_owned(),
                message: err.to_string(),
            });
            None
        }
    }
}

fn percent(text: &str) -> Result<Percent, String> {
    let number: f64 = text
        .replace(',', ".")
        .parse()
        .map_err(|_| "must be a number".to_owned())?;
    Percent::parse(number).map_err(|e| e.to_string())
}

fn count(text: &str) -> Result<Count, String> {
    let number: i64 = text
        .parse()
        .map_err(|_| "must be a whole number".to_owned())?;
    Count::parse(number).map_err(|e| e.to_string())
}

impl TriageDraft {
    /// The parsed facts (valid fields only) and the errors of the others.
    pub fn to_facts(&self) -> (TriageFacts, Vec<FieldError>) {
        let mut errors = Vec::new();
        let e = &mut errors;
        let source_name = optional("source_name", &self.source_name, Name::parse, e);
        let source = match (self.source_kind.as_str(), source_name) {
            ("monitoring", Some(name)) => Some(Source::Monitoring {
                system: name,
                name: None,
            }),
            ("person", Some(name)) => Some(Source::Person { name }),
            ("customer", Some(name)) => Some(Source::Customer { name }),
            ("third_party", Some(name)) => Some(Source::ThirdParty { name }),
            _ => None,
        };
        let customers = optional("customer_name", &self.customer_name, Name::parse, e)
            .map(|name| {
                vec![AffectedCustomer {
                    name,
                    enterprise_or_partner: self.customer_enterprise,
                }]
            })
            .unwrap_or_default();
        let regional = |map: &BTreeMap<String, String>, prefix: &str, e: &mut Vec<FieldError>| {
            map.iter()
                .filter_map(|(region, text)| {
                    let percent = optional(&format!("{prefix}.{region}"), text, percent, e)?;
                    Some(RegionalPercent {
                        region: Name::parse(region).ok()?,
                        percent,
                    })
                })
                .collect::<Vec<_>>()
        };
        let on = |key: &str| self.observations.contains(key);
        let measurements = Measurements {
            complete_loss_of_access: on("complete_loss_of_access"),
            availability_global: optional(
                "availability_global",
                &self.availability_global,
                percent,
                e,
            ),
            availability_by_region: regional(
                &self.availability_by_region,
                "availability_by_region",
                e,
            ),
            packet_loss_global: optional(
                "packet_loss_global",
                &self.packet_loss_global,
                percent,
                e,
            ),
            packet_loss_by_region: regional(
                &self.packet_loss_by_region,
                "packet_loss_by_region",
                e,
            ),
            tier1_datacenter: match self.tier1_datacenter.as_str() {
                "lost" => Some(DataCenterImpact::Lost),
                "degraded" => Some(DataCenterImpact::Degraded),
                _ => None,
            },
            critical_system_degraded: on("critical_system_degraded"),
            site_wide_degradation: on("site_wide_degradation"),
            major_function_lost: on("major_function_lost"),
            external_access_lost: on("external_access_lost"),
            outbound_interface_down: on("outbound_interface_down"),
            customer_data_corrupted: on("customer_data_corrupted"),
            sporadic_or_local_problem: on("sporadic_or_local_problem"),
            not_visible_to_clients: on("not_visible_to_clients"),
            single_client_affected: on("single_client_affected"),
            operational_or_procedural: on("operational_or_procedural"),
        };
        let facts = TriageFacts {
            source,
            customers,
            system: optional("system", &self.system, Name::parse, e),
            hostname: optional("hostname", &self.hostname, Hostname::parse, e),
            alerted_at: None,
            scope: Scope {
                systems: optional("scope_systems", &self.scope_systems, count, e),
                users: optional("scope_users", &self.scope_users, count, e),
                regions: optional("scope_regions", &self.scope_regions, count, e),
            },
            impact: ImpactTypes {
                total_loss_of_access: self.total_loss_of_access,
                performance_degradation: self.performance_degradation,
                dependent_applications_degraded: self.dependent_applications_degraded,
                customer_impact_observed: on("customer_impact_observed"),
            },
            measurements,
        };
        (facts, errors)
    }
}
