//! SPEC R6 as a table: recurrence signatures of a few problems against new
//! incidents, one line each, checked by a single `check` helper that prints
//! the match as `#problem strength fix priority [consequences]`.

use beacon_shared::alert::DedupKey;
use beacon_shared::category::Category;
use beacon_shared::recurrence::{
    match_recurrence, AlertIdentity, FixStatus, ProblemSignatures, RecurrenceConsequence,
    RecurrenceFacts, RecurrenceSignature,
};
use beacon_shared::triage::{Hostname, Name};
use beacon_shared::{Priority, RuleId};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn name(text: &str) -> Name {
    Name::parse(text).unwrap()
}

fn alert_key(integration: &str, key: &str) -> RecurrenceSignature {
    RecurrenceSignature::AlertKey {
        integration: name(integration),
        dedup_key: DedupKey::parse(key).unwrap(),
    }
}

fn alert_rule(integration: &str, alertname: &str, service: Option<&str>) -> RecurrenceSignature {
    RecurrenceSignature::AlertRule {
        integration: name(integration),
        alertname: alertname.into(),
        service: service.map(Into::into),
    }
}

fn system_host(system: &str, host: &str) -> RecurrenceSignature {
    RecurrenceSignature::SystemHost {
        system: name(system),
        host: Hostname::parse(host).unwrap(),
    }
}

fn category_rules(category: &str, rules: &[RuleId]) -> RecurrenceSignature {
    RecurrenceSignature::CategoryRules {
        category: Category::parse(category).unwrap(),
        rules: rules.to_vec(),
    }
}

/// The problems every line is matched against.
fn problems() -> Vec<ProblemSignatures> {
    vec![
        ProblemSignatures {
            problem: 1,
            priority: Priority::P0,
            fix: FixStatus::Verified,
            signatures: vec![
                alert_key("alertmanager", "fp-aaa"),
                alert_rule("alertmanager", "HighLatency", Some("checkout")),
                system_host("db", "db1.example"),
                category_rules("Checkout", &[RuleId::CompleteLossOfAccess]),
            ],
        },
        ProblemSignatures {
            problem: 2,
            priority: Priority::P2,
            fix: FixStatus::InProgress,
            signatures: vec![
                alert_rule("alertmanager", "DiskFull", Some("storage")),
                system_host("db", "db1.example"),
            ],
        },
        ProblemSignatures {
            problem: 3,
            priority: Priority::P1,
            fix: FixStatus::Overdue,
            signatures: vec![
                alert_key("pagerduty", "checkout-500"),
                category_rules(
                    "Payments",
                    &[RuleId::MajorFunctionLost, RuleId::CustomerDataCorrupted],
                ),
            ],
        },
        ProblemSignatures {
            problem: 4,
            priority: Priority::P3,
            fix: FixStatus::NotPlanned,
            signatures: vec![alert_rule("grafana", "CPUHigh", None)],
        },
    ]
}

/// A new incident's facts, written compactly.
#[derive(Default)]
struct Incident {
    priority: Option<Priority>,
    alert: Option<(
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    )>,
    system_host: Option<(&'static str, &'static str)>,
    category: Option<&'static str>,
    rules: &'static [RuleId],
}

impl Incident {
    fn facts(&self) -> RecurrenceFacts {
        RecurrenceFacts {
            priority: self.priority,
            alert: self
                .alert
                .map(|(integration, key, alertname, service)| AlertIdentity {
                    integration: name(integration),
                    dedup_key: DedupKey::parse(key).unwrap(),
                    alertname: alertname.map(Into::into),
                    service: service.map(Into::into),
                }),
            system: self.system_host.map(|(system, _)| name(system)),
            host: self
                .system_host
                .map(|(_, host)| Hostname::parse(host).unwrap()),
            category: self.category.map(|c| Category::parse(c).unwrap()),
            rules: self.rules.to_vec(),
        }
    }
}

fn describe(consequence: &RecurrenceConsequence) -> String {
    match consequence {
        RecurrenceConsequence::LinkToProblem { .. } => "link".into(),
        RecurrenceConsequence::RaisePriority { from, to } => format!("raise {from}->{to}"),
        RecurrenceConsequence::ReopenProblem { .. } => "reopen".into(),
        RecurrenceConsequence::MarkFixIneffective { .. } => "ineffective".into(),
        RecurrenceConsequence::PageManagement { .. } => "page management".into(),
    }
}

/// Matches `incident` against [`problems`] and compares the outcome, written
/// as `#problem strength fix priority [consequences]`, or `none`.
#[track_caller]
fn check(incident: Incident, expected: &str) {
    let found = match_recurrence(&problems(), &incident.facts());
    let actual = match &found {
        None => "none".to_owned(),
        Some(m) => {
            assert_eq!(m.strength, m.signature.strength());
            assert!(m.priority <= incident.priority.unwrap_or(Priority::P3));
            assert!(m
                .banner()
                .starts_with(&format!("recurrence of problem #{}, fix: ", m.problem)));
            let consequences: Vec<String> = m.consequences.iter().map(describe).collect();
            format!(
                "#{} {} {} {} [{}]",
                m.problem,
                serde_json::to_value(m.strength).unwrap().as_str().unwrap(),
                m.fix.label(),
                m.priority,
                consequences.join(", ")
            )
        }
    };
    assert_eq!(actual, expected);
}

/// SPEC R6: the same fingerprint after a verified fix: linked, raised,
/// problem reopened, fix ineffective, management paged.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn same_fingerprint_after_a_verified_fix() {
    check(
        Incident {
            priority: Some(Priority::P2),
            alert: Some(("alertmanager", "fp-aaa", Some("Other"), None)),
            ..Incident::default()
        },
        "#1 alert_key verified P0 [link, raise P2->P0, reopen, ineffective, page management]",
    );
}

/// SPEC R6: the strongest signature wins over weaker ones of other problems.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn strongest_signature_first() {
    // Dedup key of #3 beats system+host of #1 and #2.
    check(
        Incident {
            priority: Some(Priority::P0),
            alert: Some(("pagerduty", "checkout-500", None, None)),
            system_host: Some(("db", "db1.example")),
            ..Incident::default()
        },
        "#3 alert_key overdue P0 [link]",
    );
    // Alert rule of #2 beats system+host of #1.
    check(
        Incident {
            priority: Some(Priority::P3),
            alert: Some(("alertmanager", "fp-new", Some("DiskFull"), Some("storage"))),
            system_host: Some(("db", "db1.example")),
            ..Incident::default()
        },
        "#2 alert_rule in progress P2 [link, raise P3->P2]",
    );
    // System+host beats category+rules.
    check(
        Incident {
            priority: Some(Priority::P1),
            system_host: Some(("DB", "DB1.example.")),
            category: Some("Payments"),
            rules: &[RuleId::MajorFunctionLost, RuleId::CustomerDataCorrupted],
            ..Incident::default()
        },
        "#2 system_host in progress P1 [link]",
    );
}

/// SPEC R6: equally strong matches go to the most recent problem.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn ties_go_to_the_most_recent_problem() {
    check(
        Incident {
            priority: None,
            system_host: Some(("db", "db1.example")),
            ..Incident::default()
        },
        "#2 system_host in progress P2 [link, raise P3->P2]",
    );
}

/// SPEC R6: category+rules match when every rule of the signature fired again.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn category_and_rules() {
    check(
        Incident {
            priority: Some(Priority::P1),
            category: Some("payments"),
            rules: &[
                RuleId::CustomerDataCorrupted,
                RuleId::MajorFunctionLost,
                RuleId::SiteWideDegradation,
            ],
            ..Incident::default()
        },
        "#3 category_rules overdue P1 [link]",
    );
    check(
        Incident {
            priority: Some(Priority::P1),
            category: Some("Payments"),
            rules: &[RuleId::MajorFunctionLost],
            ..Incident::default()
        },
        "none",
    );
    check(
        Incident {
            priority: Some(Priority::P1),
            category: Some("Checkout"),
            rules: &[RuleId::CompleteLossOfAccess],
            ..Incident::default()
        },
        "#1 category_rules verified P0 [link, raise P1->P0, reopen, ineffective, page management]",
    );
}

/// SPEC R6: near misses do not match: another integration, another service,
/// another host, a missing label.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn near_misses_do_not_match() {
    for incident in [
        Incident {
            alert: Some(("grafana", "fp-aaa", None, None)),
            ..Incident::default()
        },
        Incident {
            alert: Some((
                "alertmanager",
                "fp-bbb",
                Some("HighLatency"),
                Some("search"),
            )),
            ..Incident::default()
        },
        Incident {
            alert: Some(("alertmanager", "fp-bbb", Some("HighLatency"), None)),
            ..Incident::default()
        },
        Incident {
            system_host: Some(("db", "db2.example")),
            ..Incident::default()
        },
        Incident {
            category: Some("Checkout"),
            ..Incident::default()
        },
        Incident::default(),
    ] {
        check(incident, "none");
    }
    // A signature without service matches only alerts without one.
    check(
        Incident {
            priority: Some(Priority::P2),
            alert: Some(("grafana", "x", Some("CPUHigh"), None)),
            ..Incident::default()
        },
        "#4 alert_rule not planned yet P2 [link]",
    );
}

/// SPEC R6: a more urgent new incident keeps its priority.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn priority_never_drops() {
    check(
        Incident {
            priority: Some(Priority::P0),
            alert: Some(("grafana", "x", Some("CPUHigh"), None)),
            ..Incident::default()
        },
        "#4 alert_rule not planned yet P0 [link]",
    );
}

/// SPEC R6: the signatures a problem keeps for an incident, strongest first,
/// match that incident again.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_incidents_own_signatures_match_it() {
    let incident = Incident {
        priority: Some(Priority::P1),
        alert: Some((
            "alertmanager",
            "fp-zzz",
            Some("QueueStuck"),
            Some("billing"),
        )),
        system_host: Some(("queue", "mq3.example")),
        category: Some("Billing"),
        rules: &[RuleId::MajorFunctionLost, RuleId::MajorFunctionLost],
    };
    let facts = incident.facts();
    let signatures = facts.signatures();
    let strengths: Vec<_> = signatures.iter().map(|s| s.strength()).collect();
    assert!(strengths.windows(2).all(|w| w[0] > w[1]), "{strengths:?}");
    assert_eq!(signatures.len(), 4);
    assert_eq!(
        signatures[3],
        category_rules("Billing", &[RuleId::MajorFunctionLost])
    );
    for signature in &signatures {
        assert!(signature.matches(&facts), "{signature:?}");
    }
    let json = serde_json::to_value(&signatures[2]).unwrap();
    assert_eq!(json["system_host"]["host"], "mq3.example");
}
