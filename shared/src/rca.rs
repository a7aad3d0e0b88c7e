//! Root-cause analysis (SPEC V7, R3): root causes and contributing factors,
//! each with a [`CauseClass`] and evidence links; the trigger, how the problem
//! was detected, how it was resolved, and what went well, what went wrong and
//! where we were lucky.
//!
//! An [`Rca`] may be saved incomplete while the investigation runs;
//! [`Rca::validate`] checks what is there (naming the first bad field) and
//! [`Rca::missing_for_report`] lists what an incident report still needs.

use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::triage::{bounded_text_type, LinkUrl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

bounded_text_type!(
    /// A paragraph of post-incident writing (a cause, a reason, a workaround),
    /// trimmed, 1 to 10 000 characters.
    Narrative,
    10_000
);

/// What kind of cause it was. Stored and sent as snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseClass {
    /// A deployment, configuration roll-out or other planned change.
    Change,
    /// Load beyond what the system was sized for.
    Capacity,
    /// A third party, upstream service or vendor (see [`crate::vendor_rca`]).
    DependencyOrVendor,
    /// A wrong setting that was not part of a recent change.
    Configuration,
    /// A bug in our software.
    SoftwareDefect,
    /// Failed hardware.
    Hardware,
    /// A procedure that was missing, wrong or not followed.
    Process,
    /// An attack or a security control (SPEC K3).
    Security,
    /// Not known (yet).
    Unknown,
}

impl CauseClass {
    pub const ALL: [CauseClass; 9] = [
        CauseClass::Change,
        CauseClass::Capacity,
        CauseClass::DependencyOrVendor,
        CauseClass::Configuration,
        CauseClass::SoftwareDefect,
        CauseClass::Hardware,
        CauseClass::Process,
        CauseClass::Security,
        CauseClass::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CauseClass::Change => "change",
            CauseClass::Capacity => "capacity",
            CauseClass::DependencyOrVendor => "dependency_or_vendor",
            CauseClass::Configuration => "configuration",
            CauseClass::SoftwareDefect => "software_defect",
            CauseClass::Hardware => "hardware",
            CauseClass::Process => "process",
            CauseClass::Security => "security",
            CauseClass::Unknown => "unknown",
        }
    }

    /// A label for people, e.g. "dependency or vendor".
    pub fn label(self) -> &'static str {
        match self {
            CauseClass::DependencyOrVendor => "dependency or vendor",
            CauseClass::SoftwareDefect => "software defect",
            other => other.as_str(),
        }
    }
}

display_as_str!(CauseClass);

/// A cause's number within its RCA, stable across edits, so that a review
/// (SPEC V6) can record agreement per root cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CauseId(pub u32);

/// A root cause or a contributing factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    /// Unique among the RCA's root causes and contributing factors.
    pub id: CauseId,
    pub summary: Narrative,
    pub class: CauseClass,
    /// Graphs, logs, commits, tickets that show it.
    #[serde(default)]
    pub evidence: Vec<LinkUrl>,
}

/// The analysis of a problem's real cause (SPEC V7).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rca {
    pub root_causes: Vec<Cause>,
    pub contributing_factors: Vec<Cause>,
    /// What set it off.
    pub trigger: Option<Narrative>,
    /// How it was detected: which alert, which customer, how late.
    pub detection: Option<Narrative>,
    /// What restored the service.
    pub resolution: Option<Narrative>,
    pub went_well: Vec<Narrative>,
    pub went_wrong: Vec<Narrative>,
    /// Where we were lucky: what could have made it worse.
    pub lucky: Vec<Narrative>,
}

/// At most this many causes, and this many links per cause.
pub const MAX_CAUSES: usize = 50;
pub const MAX_EVIDENCE: usize = 20;

/// Why an RCA was refused or is not ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RcaError {
    #[error("cause id {id} is used twice; each root cause and contributing factor needs its own")]
    DuplicateCauseId { field: String, id: u32 },
    #[error("at most {max} entries are allowed here, got {got}")]
    TooMany {
        field: String,
        max: usize,
        got: usize,
    },
}

impl RcaError {
    /// The JSON path of the bad field.
    pub fn field(&self) -> &str {
        match self {
            RcaError::DuplicateCauseId { field, .. } | RcaError::TooMany { field, .. } => field,
        }
    }
}

impl Refusal for RcaError {
    fn refusal_kind(&self) -> RefusalKind {
        invalid(self.field())
    }
}

/// What an incident report needs of the RCA that is not there yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RcaGap {
    RootCause,
    Trigger,
    Detection,
    Resolution,
}

impl RcaGap {
    /// The field that is missing.
    pub fn field(self) -> &'static str {
        match self {
            RcaGap::RootCause => "root_causes",
            RcaGap::Trigger => "trigger",
            RcaGap::Detection => "detection",
            RcaGap::Resolution => "resolution",
        }
    }
}

impl Rca {
    /// Checks what the types cannot: unique cause ids and the size limits.
    /// Text and links are checked when parsed. The error names the field,
    /// e.g. `contributing_factors[2].id`.
    pub fn validate(&self) -> Result<(), RcaError> {
        let mut seen = BTreeSet::new();
        for (list, causes) in [
            ("root_causes", &self.root_causes),
            ("contributing_factors", &self.contributing_factors),
        ] {
            if causes.len() > MAX_CAUSES {
                return Err(RcaError::TooMany {
                    field: list.into(),
                    max: MAX_CAUSES,
                    got: causes.len(),
                });
            }
            for (i, cause) in causes.iter().enumerate() {
                if !seen.insert(cause.id) {
                    return Err(RcaError::DuplicateCauseId {
                        field: format!("{list}[{i}].id"),
                        id: cause.id.0,
                    });
                }
                if cause.evidence.len() > MAX_EVIDENCE {
                    return Err(RcaError::TooMany {
                        field: format!("{list}[{i}].evidence"),
                        max: MAX_EVIDENCE,
                        got: cause.evidence.len(),
                    });
                }
            }
        }
        for (list, items) in [
            ("went_well", &self.went_well),
            ("went_wrong", &self.went_wrong),
            ("lucky", &self.lucky),
        ] {
            if items.len() > MAX_CAUSES {
                return Err(RcaError::TooMany {
                    field: list.into(),
                    max: MAX_CAUSES,
                    got: items.len(),
                });
            }
        }
        Ok(())
    }

    /// What an incident report (SPEC R1) still needs: a root cause, the
    /// trigger, the detection and the resolution. Empty when complete.
    pub fn missing_for_report(&self) -> Vec<RcaGap> {
        let mut gaps = Vec::new();
        if self.root_causes.is_empty() {
            gaps.push(RcaGap::RootCause);
        }
        for (present, gap) in [
            (self.trigger.is_some(), RcaGap::Trigger),
            (self.detection.is_some(), RcaGap::Detection),
            (self.resolution.is_some(), RcaGap::Resolution),
        ] {
            if !present {
                gaps.push(gap);
            }
        }
        gaps
    }

    /// The root cause with this id, if there is one.
    pub fn root_cause(&self, id: CauseId) -> Option<&Cause> {
        self.root_causes.iter().find(|cause| cause.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(id: u32, class: CauseClass) -> Cause {
        Cause {
            id: CauseId(id),
            summary: Narrative::parse("connection pool exhausted").unwrap(),
            class,
            evidence: vec![LinkUrl::parse("https://grafana.example/d/pool").unwrap()],
        }
    }

    /// SPEC V7: causes carry a class and evidence; the JSON is plain snake_case.
    #[test]
    fn an_rca_round_trips_with_classes_and_evidence() {
        let rca = Rca {
            root_causes: vec![cause(1, CauseClass::Change)],
            contributing_factors: vec![cause(2, CauseClass::DependencyOrVendor)],
            trigger: Some(Narrative::parse("deploy 4711").unwrap()),
            lucky: vec![Narrative::parse("it happened off-peak").unwrap()],
            ..Rca::default()
        };
        let json = serde_json::to_value(&rca).unwrap();
        assert_eq!(
            json["contributing_factors"][0]["class"],
            "dependency_or_vendor"
        );
        assert_eq!(
            json["root_causes"][0]["evidence"][0],
            "https://grafana.example/d/pool"
        );
        assert_eq!(serde_json::from_value::<Rca>(json).unwrap(), rca);
        for class in CauseClass::ALL {
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str());
        }
    }

    /// SPEC V7: bad input is refused at parse time (blank summary, a link that
    /// is not http(s), an unknown class).
    #[test]
    fn bad_causes_do_not_parse() {
        for bad in [
            r#"{"root_causes":[{"id":1,"summary":" ","class":"change"}]}"#,
            r#"{"root_causes":[{"id":1,"summary":"x","class":"change","evidence":["ftp://x"]}]}"#,
            r#"{"root_causes":[{"id":1,"summary":"x","class":"gremlins"}]}"#,
            r#"{"root_cause":[]}"#,
        ] {
            assert!(serde_json::from_str::<Rca>(bad).is_err(), "{bad}");
        }
    }

    /// SPEC V7: validation names the bad field.
    #[test]
    fn validation_names_the_field() {
        let rca = Rca {
            root_causes: vec![cause(1, CauseClass::Change)],
            contributing_factors: vec![
                cause(2, CauseClass::Capacity),
                cause(1, CauseClass::Process),
            ],
            ..Rca::default()
        };
        let err = rca.validate().unwrap_err();
        assert_eq!(err.field(), "contributing_factors[1].id");
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "contributing_factors[1].id".into()
            }
        );
        let mut too_much = cause(3, CauseClass::Hardware);
        too_much.evidence = vec![too_much.evidence[0].clone(); MAX_EVIDENCE + 1];
        let rca = Rca {
            root_causes: vec![too_much],
            ..Rca::default()
        };
        assert_eq!(
            rca.validate().unwrap_err().field(),
            "root_causes[0].evidence"
        );
    }

    /// SPEC V7, R1: an RCA for a report needs a root cause, trigger, detection and resolution.
    #[test]
    fn a_report_needs_the_whole_analysis() {
        let mut rca = Rca::default();
        assert_eq!(
            rca.missing_for_report(),
            [
                RcaGap::RootCause,
                RcaGap::Trigger,
                RcaGap::Detection,
                RcaGap::Resolution
            ]
        );
        rca.root_causes.push(cause(1, CauseClass::SoftwareDefect));
        rca.trigger = Some(Narrative::parse("traffic spike").unwrap());
        rca.detection = Some(Narrative::parse("p99 latency alert").unwrap());
        assert_eq!(rca.missing_for_report(), [RcaGap::Resolution]);
        rca.resolution = Some(Narrative::parse("rolled back").unwrap());
        assert!(rca.missing_for_report().is_empty());
        assert!(rca.root_cause(CauseId(1)).is_some());
        assert!(rca.root_cause(CauseId(9)).is_none());
    }
}
