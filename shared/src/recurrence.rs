//! Recurrence (SPEC R6: a critical problem must never happen twice): the
//! signatures each problem keeps, and the pure matcher that recognises a new
//! incident as a recurrence when it is created.
//!
//! A signature is one of, strongest first ([`MatchStrength`]):
//! 1. the alert's dedup key or fingerprint within its integration (SPEC V2, I2);
//! 2. the integration plus the `alertname` and `service` labels;
//! 3. the system and host from triage (SPEC T3);
//! 4. the category plus the priority rules that fired (SPEC K1, P5): every
//!    rule of the signature fired again.
//!
//! [`match_recurrence`] picks the strongest match over all problems, open or
//! closed; among equally strong matches the most recently opened problem
//! (highest id). The match carries its outcome for the new incident: the
//! problem it is linked to, the banner's fix status, a priority at least the
//! problem's, and the [`RecurrenceConsequence`]s the caller carries out. When
//! the fix was already verified the problem reopens, the fix is marked
//! ineffective and management is paged.

use crate::alert::{AlertSignal, DedupKey};
use crate::category::Category;
use crate::priority::{Priority, RuleId};
use crate::problem::{LinkReason, Problem, ProblemStatus};
use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::remediation::RemediationItem;
use crate::timeline::{ProblemLinkNote, ProblemReopenedNote, RecurrenceNote, TimelineEvent};
use crate::timestamp::Timestamp;
use crate::triage::{Hostname, Name};
use serde::{Deserialize, Serialize};

/// The label that names an alert rule (Prometheus, Grafana).
pub const ALERTNAME_LABEL: &str = "alertname";
/// The label that names the service an alert is about.
pub const SERVICE_LABEL: &str = "service";

/// What a new incident must share with a problem to be its recurrence. Sent
/// externally tagged, e.g. `{"system_host": {"system": "db", "host": "db1"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RecurrenceSignature {
    /// The same alert: its dedup key or fingerprint within the integration.
    AlertKey {
        integration: Name,
        dedup_key: DedupKey,
    },
    /// The same alert rule on the same service.
    AlertRule {
        integration: Name,
        alertname: String,
        #[serde(default)]
        service: Option<String>,
    },
    /// The same system and host (SPEC T3).
    SystemHost { system: Name, host: Hostname },
    /// The same category, and every one of these priority rules fired.
    CategoryRules {
        category: Category,
        rules: Vec<RuleId>,
    },
}

/// How strong a match is. `Ord` follows strength: the strongest is greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStrength {
    CategoryRules,
    SystemHost,
    AlertRule,
    AlertKey,
}

impl RecurrenceSignature {
    pub fn strength(&self) -> MatchStrength {
        match self {
            RecurrenceSignature::AlertKey { .. } => MatchStrength::AlertKey,
            RecurrenceSignature::AlertRule { .. } => MatchStrength::AlertRule,
            RecurrenceSignature::SystemHost { .. } => MatchStrength::SystemHost,
            RecurrenceSignature::CategoryRules { .. } => MatchStrength::CategoryRules,
        }
    }

    /// Whether the incident described by `facts` matches this signature.
    pub fn matches(&self, facts: &RecurrenceFacts) -> bool {
        match self {
            RecurrenceSignature::AlertKey {
                integration,
                dedup_key,
            } => facts
                .alert
                .as_ref()
                .is_some_and(|a| a.integration == *integration && a.dedup_key == *dedup_key),
            RecurrenceSignature::AlertRule {
                integration,
                alertname,
                service,
            } => facts.alert.as_ref().is_some_and(|a| {
                a.integration == *integration
                    && a.alertname.as_deref() == Some(alertname.as_str())
                    && a.service == *service
            }),
            RecurrenceSignature::SystemHost { system, host } => {
                facts
                    .system
                    .as_ref()
                    .is_some_and(|s| s.as_str().eq_ignore_ascii_case(system.as_str()))
                    && facts.host.as_ref() == Some(host)
            }
            RecurrenceSignature::CategoryRules { category, rules } => {
                !rules.is_empty()
                    && facts.category.as_ref().is_some_and(|c| c.same_as(category))
                    && rules.iter().all(|rule| facts.rules.contains(rule))
            }
        }
    }
}

/// The alert behind an incident, as far as recurrence cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertIdentity {
    pub integration: Name,
    pub dedup_key: DedupKey,
    #[serde(default)]
    pub alertname: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

impl AlertIdentity {
    /// The identity of `signal` delivered through `integration`: its dedup
    /// key and its `alertname` and `service` labels.
    pub fn of(integration: &Name, signal: &AlertSignal) -> Self {
        let label = |key: &str| {
            signal
                .labels
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            integration: integration.clone(),
            dedup_key: signal.dedup_key.clone(),
            alertname: label(ALERTNAME_LABEL),
            service: label(SERVICE_LABEL),
        }
    }
}

/// What is known about a new incident when it is created (from a webhook or the form).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecurrenceFacts {
    pub priority: Option<Priority>,
    #[serde(default)]
    pub alert: Option<AlertIdentity>,
    #[serde(default)]
    pub system: Option<Name>,
    #[serde(default)]
    pub host: Option<Hostname>,
    #[serde(default)]
    pub category: Option<Category>,
    /// The priority rules that fired (SPEC P5).
    #[serde(default)]
    pub rules: Vec<RuleId>,
}

impl RecurrenceFacts {
    /// The signatures a problem should keep for this incident: one of each
    /// kind the facts allow, strongest first.
    pub fn signatures(&self) -> Vec<RecurrenceSignature> {
        let mut signatures = Vec::new();
        if let Some(alert) = &self.alert {
            signatures.push(RecurrenceSignature::AlertKey {
                integration: alert.integration.clone(),
                dedup_key: alert.dedup_key.clone(),
            });
            if let Some(alertname) = &alert.alertname {
                signatures.push(RecurrenceSignature::AlertRule {
                    integration: alert.integration.clone(),
                    alertname: alertname.clone(),
                    service: alert.service.clone(),
                });
            }
        }
        if let (Some(system), Some(host)) = (&self.system, &self.host) {
            signatures.push(RecurrenceSignature::SystemHost {
                system: system.clone(),
                host: host.clone(),
            });
        }
        if let Some(category) = &self.category {
            if !self.rules.is_empty() {
                let mut rules: Vec<RuleId> = Vec::new();
                for rule in &self.rules {
                    if !rules.contains(rule) {
                        rules.push(*rule);
                    }
                }
                signatures.push(RecurrenceSignature::CategoryRules {
                    category: category.clone(),
                    rules,
                });
            }
        }
        signatures
    }
}

/// Where a problem's fix stands, for the recurrence banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// No remediation item yet and no fix under way.
    NotPlanned,
    /// Remediation under way, none of it overdue.
    InProgress,
    /// At least one remediation item is past its due date.
    Overdue,
    /// The problem's fix was verified (resolved or closed).
    Verified,
}

impl FixStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FixStatus::NotPlanned => "not_planned",
            FixStatus::InProgress => "in_progress",
            FixStatus::Overdue => "overdue",
            FixStatus::Verified => "verified",
        }
    }

    /// As the banner says it: "verified", "in progress", "overdue", "not planned yet".
    pub fn label(self) -> &'static str {
        match self {
            FixStatus::NotPlanned => "not planned yet",
            FixStatus::InProgress => "in progress",
            FixStatus::Overdue => "overdue",
            FixStatus::Verified => "verified",
        }
    }

    /// The fix status of `problem` with its remediation `items` at `now`.
    pub fn of(problem: &Problem, items: &[RemediationItem], now: Timestamp) -> Self {
        if problem.status.fix_verified() {
            FixStatus::Verified
        } else if items.iter().any(|item| item.is_overdue(now)) {
            FixStatus::Overdue
        } else if problem.status == ProblemStatus::FixInProgress
            || items.iter().any(|item| !item.status.is_settled())
        {
            FixStatus::InProgress
        } else {
            FixStatus::NotPlanned
        }
    }
}

display_as_str!(FixStatus);

/// What the matcher needs of one problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemSignatures {
    pub problem: i64,
    pub priority: Priority,
    pub fix: FixStatus,
    pub signatures: Vec<RecurrenceSignature>,
}

impl ProblemSignatures {
    /// The matcher's view of `problem` with its remediation `items` at `now`.
    pub fn of(problem: &Problem, items: &[RemediationItem], now: Timestamp) -> Self {
        Self {
            problem: problem.id,
            priority: problem.priority,
            fix: FixStatus::of(problem, items, now),
            signatures: problem.signatures.clone(),
        }
    }
}

/// What the caller must do about a recurrence, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceConsequence {
    /// Link the new incident to the problem ([`crate::problem::LinkReason::Recurrence`]).
    LinkToProblem { problem: i64 },
    /// Raise the new incident's priority to the problem's.
    RaisePriority { from: Priority, to: Priority },
    /// Reopen the problem ([`Problem::reopen_after_recurrence`]).
    ReopenProblem { problem: i64 },
    /// Record that the verified fix did not hold.
    MarkFixIneffective { problem: i64 },
    /// Page management: a verified fix failed.
    PageManagement { problem: i64 },
}

/// A new incident recognised as a recurrence, with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceMatch {
    pub problem: i64,
    /// The signature that matched.
    pub signature: RecurrenceSignature,
    pub strength: MatchStrength,
    pub fix: FixStatus,
    /// The new incident's priority: at least the problem's.
    pub priority: Priority,
    pub consequences: Vec<RecurrenceConsequence>,
}

impl RecurrenceMatch {
    /// The banner on the incident page: "recurrence of problem #12, fix: overdue".
    pub fn banner(&self) -> String {
        format!(
            "recurrence of problem #{}, fix: {}",
            self.problem,
            self.fix.label()
        )
    }

    /// Whether management must be paged.
    pub fn pages_management(&self) -> bool {
        self.consequences
            .iter()
            .any(|c| matches!(c, RecurrenceConsequence::PageManagement { .. }))
    }

    /// Whether the problem reopens because its verified fix did not hold.
    pub fn reopens_problem(&self) -> bool {
        self.consequences
            .iter()
            .any(|c| matches!(c, RecurrenceConsequence::ReopenProblem { .. }))
    }

    /// The new incident's timeline lines, in order: linked to the problem,
    /// the recurrence (with the priority it was raised from), and the
    /// problem reopened when its fix was ineffective.
    pub fn timeline_events(&self) -> Vec<TimelineEvent> {
        let raised_from = self.consequences.iter().find_map(|c| match c {
            RecurrenceConsequence::RaisePriority { from, .. } => Some(*from),
            _ => None,
        });
        let mut events = vec![
            TimelineEvent::LinkedToProblem(ProblemLinkNote {
                problem: self.problem,
                reason: LinkReason::Recurrence,
            }),
            TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
                problem: self.problem,
                strength: self.strength,
                fix: self.fix,
                raised_from,
            }),
        ];
        if self.reopens_problem() {
            events.push(TimelineEvent::ProblemReopened(ProblemReopenedNote {
                problem: self.problem,
                fix_ineffective: true,
            }));
        }
        events
    }
}

/// At most this many signatures per problem.
pub const MAX_SIGNATURES: usize = 50;

/// Why a problem's signatures were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("at most {max} signatures per problem, got {got}")]
    TooMany { max: usize, got: usize },
    #[error("a category signature needs at least one priority rule, or it would match every incident of the category")]
    NoRules { field: String },
    #[error("the alert name must not be blank")]
    BlankAlertName { field: String },
    #[error("this signature is listed twice")]
    Twice { field: String },
}

impl Refusal for SignatureError {
    fn refusal_kind(&self) -> RefusalKind {
        match self {
            SignatureError::TooMany { .. } => invalid("signatures"),
            SignatureError::NoRules { field }
            | SignatureError::BlankAlertName { field }
            | SignatureError::Twice { field } => invalid(field.clone()),
        }
    }
}

/// Checks signatures set by hand (`PUT /api/problems/{id}/signatures`):
/// at most [`MAX_SIGNATURES`], none twice, no category signature without
/// rules, no blank alert name. Errors name the field, e.g.
/// `signatures[2].category_rules.rules`.
pub fn check_signatures(signatures: &[RecurrenceSignature]) -> Result<(), SignatureError> {
    if signatures.len() > MAX_SIGNATURES {
        return Err(SignatureError::TooMany {
            max: MAX_SIGNATURES,
            got: signatures.len(),
        });
    }
    for (i, signature) in signatures.iter().enumerate() {
        if signatures[..i].contains(signature) {
            return Err(SignatureError::Twice {
                field: format!("signatures[{i}]"),
            });
        }
        match signature {
            RecurrenceSignature::CategoryRules { rules, .. } if rules.is_empty() => {
                return Err(SignatureError::NoRules {
                    field: format!("signatures[{i}].category_rules.rules"),
                })
            }
            RecurrenceSignature::AlertRule { alertname, .. } if alertname.trim().is_empty() => {
                return Err(SignatureError::BlankAlertName {
                    field: format!("signatures[{i}].alert_rule.alertname"),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// The problem `incident` recurs, if any (SPEC R6): the strongest matching
/// signature over all `problems`; among equally strong ones the highest
/// problem id. The incident's priority (P3 when unknown) is raised to the
/// problem's; a verified fix reopens the problem, is marked ineffective and
/// pages management.
pub fn match_recurrence(
    problems: &[ProblemSignatures],
    incident: &RecurrenceFacts,
) -> Option<RecurrenceMatch> {
    let (problem, signature) = problems
        .iter()
        .flat_map(|p| p.signatures.iter().map(move |s| (p, s)))
        .filter(|(_, signature)| signature.matches(incident))
        .max_by_key(|(p, signature)| (signature.strength(), p.problem))?;
    let own = incident.priority.unwrap_or(Priority::P3);
    let priority = own.most_urgent(problem.priority);
    let id = problem.problem;
    let mut consequences = vec![RecurrenceConsequence::LinkToProblem { problem: id }];
    if priority != own {
        consequences.push(RecurrenceConsequence::RaisePriority {
            from: own,
            to: priority,
        });
    }
    if problem.fix == FixStatus::Verified {
        consequences.extend([
            RecurrenceConsequence::ReopenProblem { problem: id },
            RecurrenceConsequence::MarkFixIneffective { problem: id },
            RecurrenceConsequence::PageManagement { problem: id },
        ]);
    }
    Some(RecurrenceMatch {
        problem: id,
        signature: signature.clone(),
        strength: signature.strength(),
        fix: problem.fix,
        priority,
        consequences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{OpenProblem, ProblemOrigin};
    use crate::remediation::{NewRemediationItem, RemediationKind, RemediationOwner};
    use crate::role::Role;
    use crate::triage::Title;

    const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
    const DAY: i64 = 86_400_000;

    /// SPEC R6: the banner's fix status follows the problem and its items.
    #[test]
    fn fix_status_follows_problem_and_items() {
        let mut problem = Problem::open(
            OpenProblem {
                id: 12,
                title: Title::parse("Checkout 502").unwrap(),
                priority: Priority::P1,
                category: None,
                origin: ProblemOrigin::FromIncident { incident: 1 },
                incidents: vec![(1, Priority::P1)],
                owner: None,
            },
            Some(Role::Sre),
            T0,
        )
        .unwrap();
        assert_eq!(FixStatus::of(&problem, &[], T0), FixStatus::NotPlanned);
        let item = RemediationItem::new(
            1,
            12,
            NewRemediationItem {
                title: Title::parse("Raise pool size").unwrap(),
                kind: RemediationKind::Prevent,
                owner: RemediationOwner::Person {
                    name: Name::parse("alice").unwrap(),
                },
                owning_group: None,
                due_at: Timestamp::from_unix_millis(T0.unix_millis() + DAY),
            },
            None,
            T0,
        )
        .unwrap();
        let items = [item];
        assert_eq!(FixStatus::of(&problem, &items, T0), FixStatus::InProgress);
        let late = Timestamp::from_unix_millis(T0.unix_millis() + 2 * DAY);
        assert_eq!(FixStatus::of(&problem, &items, late), FixStatus::Overdue);
        problem.status = ProblemStatus::Closed;
        assert_eq!(FixStatus::of(&problem, &items, late), FixStatus::Verified);
        let found = RecurrenceMatch {
            problem: 12,
            signature: RecurrenceSignature::SystemHost {
                system: Name::parse("db").unwrap(),
                host: Hostname::parse("db1").unwrap(),
            },
            strength: MatchStrength::SystemHost,
            fix: FixStatus::Overdue,
            priority: Priority::P1,
            consequences: vec![RecurrenceConsequence::LinkToProblem { problem: 12 }],
        };
        assert_eq!(found.banner(), "recurrence of problem #12, fix: overdue");
        assert!(!found.pages_management());
    }
}
