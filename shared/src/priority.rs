//! Priority P0..P3 and the SOP's classification rules (SPEC P0-P5).
//!
//! [`classify_priority`] is total and deterministic: every [`TriageFacts`]
//! yields a priority and the list of rules that matched, each naming the
//! input that triggered it. P3 is the result when nothing matched.

use crate::triage::{DataCenterImpact, TriageFacts};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Incident priority. `Ord` follows urgency: `P0 < P1 < P2 < P3`, so sorting
/// ascending puts the most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    P0,
    P1,
    P2,
    P3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P0, Priority::P1, Priority::P2, Priority::P3];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }

    /// The more urgent of two priorities.
    pub fn most_urgent(self, other: Priority) -> Priority {
        self.min(other)
    }

    /// True for P0 and P1, which page the incident commander and need a category.
    pub fn is_high(self) -> bool {
        self <= Priority::P1
    }
}

display_as_str!(Priority);

/// A string that is not one of `P0`..`P3`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of P0, P1, P2, P3")]
pub struct PriorityParseError;

impl FromStr for Priority {
    type Err = PriorityParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P0" => Ok(Priority::P0),
            "P1" => Ok(Priority::P1),
            "P2" => Ok(Priority::P2),
            "P3" => Ok(Priority::P3),
            _ => Err(PriorityParseError),
        }
    }
}

/// One bullet of the SOP's priority table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
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
}

impl RuleId {
    /// The priority this rule guarantees at least.
    pub fn priority(self) -> Priority {
        use RuleId::*;
        match self {
            CompleteLossOfAccess
            | AvailabilityAtOrBelow98
            | Tier1DataCenter
            | TransitPacketLoss
            | CriticalSystemDegraded => Priority::P0,
            SiteWideDegradation
            | MajorFunctionLost
            | ExternalAccessLost
            | OutboundInterfaceDown
            | EnterpriseCustomerOutage
            | CustomerDataCorrupted => Priority::P1,
            SporadicOrLocalProblem | NotVisibleToClients | SingleClientAffected => Priority::P2,
            OperationalOrProcedural => Priority::P3,
        }
    }
}

/// A rule that matched, and the input that made it match (SPEC P5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedRule {
    pub rule: RuleId,
    pub priority: Priority,
    /// Path of the triggering input, e.g. `measurements.availability_by_region[eu-west]`.
    pub input: String,
    /// One sentence an SRE can read at 3 a.m.
    pub reason: String,
}

/// The outcome of [`classify_priority`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub priority: Priority,
    /// Matched rules, most urgent first; empty when the P3 default applied.
    pub matched: Vec<MatchedRule>,
}

/// Availability at or below this is P0 (SPEC P0).
pub const P0_AVAILABILITY_PERCENT: f64 = 98.0;
/// Global transit packet loss at or above this is P0.
pub const P0_GLOBAL_PACKET_LOSS_PERCENT: f64 = 20.0;
/// Transit packet loss from a main region at or above this is P0.
pub const P0_REGIONAL_PACKET_LOSS_PERCENT: f64 = 30.0;

/// The rules matched by the observed flags among `(observed, rule, field of
/// measurements, reason)`, as `(rule, input, reason)`.
fn observed_flags<const N: usize>(
    flags: [(bool, RuleId, &'static str, &'static str); N],
) -> impl Iterator<Item = (RuleId, String, String)> {
    flags
        .into_iter()
        .filter(|(on, ..)| *on)
        .map(|(_, rule, field, reason)| (rule, format!("measurements.{field}"), reason.into()))
}

/// Applies the SOP's priority rules to the triage facts (SPEC P0-P3, P5).
pub fn classify_priority(facts: &TriageFacts) -> Classification {
    let m = &facts.measurements;
    let mut matched = Vec::new();
    let mut hit = |rule: RuleId, input: String, reason: String| {
        matched.push(MatchedRule {
            rule,
            priority: rule.priority(),
            input,
            reason,
        });
    };

    if m.complete_loss_of_access {
        hit(
            RuleId::CompleteLossOfAccess,
            "measurements.complete_loss_of_access".into(),
            "Complete loss of access to the application or API".into(),
        );
    }
    if let Some(p) = m
        .availability_global
        .filter(|p| p.value() <= P0_AVAILABILITY_PERCENT)
    {
        hit(
            RuleId::AvailabilityAtOrBelow98,
            "measurements.availability_global".into(),
            format!("Availability {p} globally is at or below {P0_AVAILABILITY_PERCENT} %"),
        );
    }
    for r in m
        .availability_by_region
        .iter()
        .filter(|r| r.percent.value() <= P0_AVAILABILITY_PERCENT)
    {
        hit(
            RuleId::AvailabilityAtOrBelow98,
            format!("measurements.availability_by_region[{}]", r.region),
            format!(
                "Availability {} from main region {} is at or below {P0_AVAILABILITY_PERCENT} %",
                r.percent, r.region
            ),
        );
    }
    if let Some(dc) = m.tier1_datacenter {
        let what = match dc {
            DataCenterImpact::Lost => "Complete loss of a Tier-1 data center",
            DataCenterImpact::Degraded => {
                "Significant performance degradation at a Tier-1 data center"
            }
        };
        hit(
            RuleId::Tier1DataCenter,
            "measurements.tier1_datacenter".into(),
            what.into(),
        );
    }
    if let Some(p) = m
        .packet_loss_global
        .filter(|p| p.value() >= P0_GLOBAL_PACKET_LOSS_PERCENT)
    {
        hit(
            RuleId::TransitPacketLoss,
            "measurements.packet_loss_global".into(),
            format!("Tier-1 transit packet loss {p} globally is at or above {P0_GLOBAL_PACKET_LOSS_PERCENT} %"),
        );
    }
    for r in m
        .packet_loss_by_region
        .iter()
        .filter(|r| r.percent.value() >= P0_REGIONAL_PACKET_LOSS_PERCENT)
    {
        hit(
            RuleId::TransitPacketLoss,
            format!("measurements.packet_loss_by_region[{}]", r.region),
            format!(
                "Tier-1 transit packet loss {} from main region {} is at or above {P0_REGIONAL_PACKET_LOSS_PERCENT} %",
                r.percent, r.region
            ),
        );
    }
    if m.critical_system_degraded {
        hit(
            RuleId::CriticalSystemDegraded,
            "measurements.critical_system_degraded".into(),
            "Degraded access or performance of a critical system".into(),
        );
    }
    let flags_p1 = [
        (
            m.site_wide_degradation,
            RuleId::SiteWideDegradation,
            "site_wide_degradation",
            "Intermittent or increasing site-wide performance degradation",
        ),
        (
            m.major_function_lost,
            RuleId::MajorFunctionLost,
            "major_function_lost",
            "Loss of a major function",
        ),
        (
            m.external_access_lost,
            RuleId::ExternalAccessLost,
            "external_access_lost",
            "Loss of access from social media or external company sites",
        ),
        (
            m.outbound_interface_down,
            RuleId::OutboundInterfaceDown,
            "outbound_interface_down",
            "Outage of an important outbound third-party interface",
        ),
        (
            m.customer_data_corrupted,
            RuleId::CustomerDataCorrupted,
            "customer_data_corrupted",
            "Corruption or loss of customer data",
        ),
    ];
    observed_flags(flags_p1).for_each(|(rule, input, reason)| hit(rule, input, reason));
    if facts.impact.total_loss_of_access {
        for (i, c) in facts
            .customers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.enterprise_or_partner)
        {
            hit(
                RuleId::EnterpriseCustomerOutage,
                format!("customers[{i}]"),
                format!(
                    "Site outage for enterprise customer or distribution partner {}",
                    c.name
                ),
            );
        }
    }
    let flags_lower = [
        (
            m.sporadic_or_local_problem,
            RuleId::SporadicOrLocalProblem,
            "sporadic_or_local_problem",
            "Sporadic or local performance problems",
        ),
        (
            m.not_visible_to_clients,
            RuleId::NotVisibleToClients,
            "not_visible_to_clients",
            "System problem not yet visible to clients",
        ),
        (
            m.single_client_affected,
            RuleId::SingleClientAffected,
            "single_client_affected",
            "Outage or degradation for a single client",
        ),
        (
            m.operational_or_procedural,
            RuleId::OperationalOrProcedural,
            "operational_or_procedural",
            "Operational or procedural problem with little or no end-user impact",
        ),
    ];
    observed_flags(flags_lower).for_each(|(rule, input, reason)| hit(rule, input, reason));

    matched.sort_by_key(|r| r.priority);
    let priority = matched.first().map_or(Priority::P3, |r| r.priority);
    Classification { priority, matched }
}
