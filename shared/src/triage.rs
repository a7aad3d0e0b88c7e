//! The facts an SRE records before classifying an incident (SPEC T1-T6), as parsed types.
//!
//! Every field is optional or defaults to "not observed", so a half-filled
//! form is a valid `TriageFacts` and classifies (to P3 when nothing is known).
//! Measurements are [`Percent`]/[`Count`], so 120 % or -3 users cannot exist.

use crate::measure::{Count, Percent};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters, got {got}")]
    TooLong { max: usize, got: usize },
    #[error("must be a hostname: letters, digits, '-' and '.', labels of 1 to 63 characters")]
    NotAHostname,
    #[error("must be an http:// or https:// link without spaces")]
    NotALink,
}

/// Trimmed, non-empty text of bounded length.
pub(crate) fn bounded_text(value: &str, max: usize) -> Result<String, TextError> {
    let trimmed = value.trim();
    let got = trimmed.chars().count();
    if got == 0 {
        Err(TextError::Empty)
    } else if got > max {
        Err(TextError::TooLong { max, got })
    } else {
        Ok(trimmed.to_owned())
    }
}

/// A newtype over a `String` that only its own `parse` (written next to the
/// call) makes, with serde through `String` (refusing what `parse` refuses),
/// `as_str` and `Display`; used here and by other modules of this crate.
macro_rules! parsed_text_type {
    ($(#[$doc:meta])* $name:ident, $error:ty) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use parsed_text_type;

/// A [`parsed_text_type`] over trimmed, non-empty text of at most `$max`
/// characters; used here and by other modules of this crate.
macro_rules! bounded_text_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $crate::triage::parsed_text_type!($(#[$doc])* $name, $crate::triage::TextError);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(value: &str) -> Result<Self, $crate::triage::TextError> {
                $crate::triage::bounded_text(value, Self::MAX_CHARS).map(Self)
            }
        }
    };
}
pub(crate) use bounded_text_type;

bounded_text_type!(
    /// An incident's one-line title, 1 to 200 characters.
    Title,
    200
);
bounded_text_type!(
    /// A person's, customer's, system's or region's name, 1 to 120 characters.
    Name,
    120
);

bounded_text_type!(
    /// A work-log entry in a ticket's timeline, 1 to 10 000 characters.
    WorkLogText,
    10_000
);

parsed_text_type!(
    /// An `http(s)://` link to an attachment, screenshot or chat log (T7).
    LinkUrl,
    TextError
);

impl LinkUrl {
    pub const MAX_CHARS: usize = 2_000;

    pub fn parse(value: &str) -> Result<Self, TextError> {
        let url = bounded_text(value, Self::MAX_CHARS)?;
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(rest) if !rest.is_empty() && !url.chars().any(char::is_whitespace) => {
                Ok(Self(url))
            }
            _ => Err(TextError::NotALink),
        }
    }
}

parsed_text_type!(
    /// A DNS hostname (RFC 1123 labels), lower-cased.
    Hostname,
    TextError
);

impl Hostname {
    pub fn parse(value: &str) -> Result<Self, TextError> {
        let host = value.trim().trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return Err(TextError::Empty);
        }
        if host.len() > 253 {
            return Err(TextError::TooLong {
                max: 253,
                got: host.len(),
            });
        }
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.split('.').all(label_ok) {
            Ok(Self(host))
        } else {
            Err(TextError::NotAHostname)
        }
    }
}

/// T1: who or what reported the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// A monitoring system, e.g. `system: "alertmanager"`, `name: "prod-eu"`.
    Monitoring {
        system: Name,
        name: Option<Name>,
    },
    Person {
        name: Name,
    },
    Customer {
        name: Name,
    },
    ThirdParty {
        name: Name,
    },
}

/// T2: a customer affected by the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffectedCustomer {
    pub name: Name,
    /// An enterprise customer or distribution partner (raises a site outage to P1).
    #[serde(default)]
    pub enterprise_or_partner: bool,
}

/// T5: estimated scope of impact; `None` means "not estimated yet".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scope {
    pub systems: Option<Count>,
    pub users: Option<Count>,
    pub regions: Option<Count>,
}

/// T6: the kinds of impact observed (several may apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImpactTypes {
    pub total_loss_of_access: bool,
    pub performance_degradation: bool,
    pub dependent_applications_degraded: bool,
    pub customer_impact_observed: bool,
}

/// A measurement taken from one of the main regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionalPercent {
    pub region: Name,
    pub percent: Percent,
}

/// State of a Tier-1 data center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCenterImpact {
    /// Complete loss of the data center.
    Lost,
    /// Significant performance degradation at the data center.
    Degraded,
}

/// The measurements and observations the priority rules (SPEC P0-P3) decide on.
///
/// Booleans mean "observed"; `false` means "not observed (yet)".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Measurements {
    /// Complete loss of access to the application or API.
    pub complete_loss_of_access: bool,
    /// Access availability measured globally.
    pub availability_global: Option<Percent>,
    /// Access availability measured from main regions.
    pub availability_by_region: Vec<RegionalPercent>,
    /// Packet loss at a global Tier-1 transit provider, measured globally.
    pub packet_loss_global: Option<Percent>,
    /// Packet loss at a global Tier-1 transit provider, from main regions.
    pub packet_loss_by_region: Vec<RegionalPercent>,
    /// A Tier-1 data center lost or significantly degraded.
    pub tier1_datacenter: Option<DataCenterImpact>,
    /// Degraded access or performance of a critical system.
    pub critical_system_degraded: bool,
    /// Intermittent or increasing site-wide performance degradation.
    pub site_wide_degradation: bool,
    /// Loss of a major function (e.g. reporting).
    pub major_function_lost: bool,
    /// Access to the application from social media or external sites lost.
    pub external_access_lost: bool,
    /// Outage of an important outbound third-party interface (e.g. card authorization).
    pub outbound_interface_down: bool,
    /// Corruption or loss of customer data.
    pub customer_data_corrupted: bool,
    /// Sporadic or local performance problems.
    pub sporadic_or_local_problem: bool,
    /// System problem not yet visible to clients (e.g. high CPU).
    pub not_visible_to_clients: bool,
    /// Outage or degradation for a single client.
    pub single_client_affected: bool,
    /// Operational or procedural problem, or a service request.
    pub operational_or_procedural: bool,
}

/// Everything recorded at triage (SPEC T1-T6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriageFacts {
    /// T1
    pub source: Option<Source>,
    /// T2
    pub customers: Vec<AffectedCustomer>,
    /// T3: system or application.
    pub system: Option<Name>,
    /// T3: hostname, where one applies.
    pub hostname: Option<Hostname>,
    /// T4: when the alert fired or the report came in.
    pub alerted_at: Option<Timestamp>,
    /// T5
    pub scope: Scope,
    /// T6
    pub impact: ImpactTypes,
    /// What the P rules decide on.
    pub measurements: Measurements,
}

/// How far an alert time (T4) may lie ahead of the clock that checks it:
/// senders' clocks and the reader's differ by a little, not by more.
pub const ALERT_TIME_SKEW_MILLIS: i64 = 5 * 60_000;

/// An alert time (T4) refused against the clock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the alert time {alerted_at} is in the future (now is {now}); give when the alert fired or the report came in")]
pub struct AlertTimeInFuture {
    pub alerted_at: Timestamp,
    pub now: Timestamp,
}

/// SPEC T4: an alert time may not lie ahead of `now` by more than
/// [`ALERT_TIME_SKEW_MILLIS`]; no alert time at all is fine (not recorded yet).
pub fn check_alert_time(
    alerted_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), AlertTimeInFuture> {
    match alerted_at {
        Some(alerted_at) if alerted_at.millis_since(now) > ALERT_TIME_SKEW_MILLIS => {
            Err(AlertTimeInFuture { alerted_at, now })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  db down ").unwrap().as_str(), "db down");
        assert_eq!(Title::parse("   "), Err(TextError::Empty));
        assert!(matches!(
            Title::parse(&"x".repeat(201)),
            Err(TextError::TooLong { .. })
        ));
    }

    #[test]
    fn hostnames_follow_rfc1123() {
        assert_eq!(
            Hostname::parse("DB-1.eu.example.com.").unwrap().as_str(),
            "db-1.eu.example.com"
        );
        assert_eq!(Hostname::parse("bad host"), Err(TextError::NotAHostname));
        assert_eq!(Hostname::parse("-x.example"), Err(TextError::NotAHostname));
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(serde_json::from_str::<TriageFacts>(r#"{"colour":"red"}"#).is_err());
        let err =
            serde_json::from_str::<TriageFacts>(r#"{"measurements":{"availability_global":120}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("between 0 and 100"), "{err}");
        assert!(serde_json::from_str::<TriageFacts>(r#"{"scope":{"users":-3}}"#).is_err());
        assert_eq!(
            serde_json::from_str::<TriageFacts>("{}").unwrap(),
            TriageFacts::default()
        );
    }

    /// SPEC T4: an alert time a few minutes ahead (clock skew) is accepted, later ones are not.
    #[test]
    fn alert_times_may_not_lie_in_the_future() {
        let now = Timestamp::parse("2026-11-23T03:12:00Z").unwrap();
        let at = |minutes: i64| {
            Some(Timestamp::from_unix_millis(
                now.unix_millis() + minutes * 60_000,
            ))
        };
        assert_eq!(check_alert_time(None, now), Ok(()));
        assert_eq!(check_alert_time(at(-600), now), Ok(()));
        assert_eq!(check_alert_time(at(5), now), Ok(()));
        let err = check_alert_time(at(6), now).unwrap_err();
        assert_eq!(err.alerted_at, at(6).unwrap());
        assert!(
            err.to_string()
                .contains("2026-11-23T03:18:00Z is in the future"),
            "{err}"
        );
    }

    /// SPEC T2: several customers, each with its own enterprise / partner flag;
    /// a customer without a name is refused, naming where it is.
    #[test]
    fn several_affected_customers_each_with_their_flag() {
        let facts: TriageFacts = serde_json::from_str(
            r#"{"customers":[{"name":"Globex","enterprise_or_partner":true},{"name":" Initech "}]}"#,
        )
        .unwrap();
        assert_eq!(facts.customers.len(), 2);
        assert!(facts.customers[0].enterprise_or_partner);
        assert_eq!(facts.customers[1].name.as_str(), "Initech");
        assert!(!facts.customers[1].enterprise_or_partner);
        let err = serde_json::from_str::<TriageFacts>(
            r#"{"customers":[{"name":"Globex"},{"name":"  "}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("must not be empty"), "{err}");
    }
}
