//! The triage form's raw state and its conversion into `TriageFacts`.
//!
//! The form keeps what the SRE typed as text; [`TriageDraft::to_facts`]
//! parses it with the shared types, keeps every valid fact (so the live
//! classification uses them at once) and reports each invalid field. The
//! alert time (T4) is typed in the reader's time zone and kept in UTC.

use beacon_shared::category::{Category, Labels};
use beacon_shared::triage::{
    AffectedCustomer, DataCenterImpact, Hostname, ImpactTypes, Measurements, Name, RegionalPercent,
    Scope, Source,
};
use beacon_shared::{Count, Percent, Timestamp, TriageFacts};

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

/// One affected customer (T2), as typed; `key` tells the rows apart while
/// rows are added and removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerDraft {
    pub key: u32,
    pub name: String,
    pub enterprise_or_partner: bool,
}

/// What the form holds, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriageDraft {
    pub title: String,
    /// A status-page category chosen from the list (K1); `""` for none, which
    /// only P2/P3 may have.
    pub category: String,
    /// Free labels separated by commas (K2).
    pub labels: String,
    /// `person`, `customer`, `third_party` or `monitoring`.
    pub source_kind: String,
    pub source_name: String,
    /// The alert time (T4) as `<input type="datetime-local">` gives it
    /// (`2026-11-23T04:12`), in the reader's time zone; `""` when not known.
    pub alerted_at_local: String,
    /// The reader's offset from UTC in minutes (east positive) at that time.
    pub utc_offset_minutes: i32,
    /// The affected customers (T2), in the order added.
    pub customers: Vec<CustomerDraft>,
    next_customer_key: u32,
    pub system: String,
    pub hostname: String,
    pub scope_systems: String,
    pub scope_users: String,
    pub scope_regions: String,
    pub total_loss_of_access: bool,
    pub performance_degradation: bool,
    pub dependent_applications_degraded: bool,
    pub availability_global: String,
    pub availability_by_region: RegionalInputs,
    pub packet_loss_global: String,
    pub packet_loss_by_region: RegionalInputs,
    /// `""`, `lost` or `degraded`.
    pub tier1_datacenter: String,
    /// The keys of the ticked [`OBSERVATIONS`].
    pub observations: Vec<String>,
}

/// What was typed per region, as (region, text), each region once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionalInputs(Vec<(String, String)>);

impl RegionalInputs {
    /// The text typed for `region`, to change it.
    pub fn text_mut(&mut self, region: &str) -> &mut String {
        let index = match self.0.iter().position(|(r, _)| r == region) {
            Some(index) => index,
            None => {
                self.0.push((region.to_owned(), String::new()));
                self.0.len() - 1
            }
        };
        &mut self.0[index].1
    }

    /// Every region with its text, by region name.
    pub fn by_region(&self) -> Vec<&(String, String)> {
        let mut entries: Vec<_> = self.0.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }
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

/// Reads `<input type="datetime-local">` (`YYYY-MM-DDTHH:MM`, seconds
/// optional) as an instant in UTC.
pub fn parse_utc_datetime_local(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    let with_seconds = match value.len() {
        16 => format!("{value}:00"),
        _ => value.to_owned(),
    };
    Timestamp::parse(&format!("{with_seconds}Z")).ok()
}

/// `2026-11-23T04:12`: `at` on the wall clock `utc_offset_minutes` east of
/// UTC, as `<input type="datetime-local">` takes it.
pub fn datetime_local(at: Timestamp, utc_offset_minutes: i32) -> String {
    let local =
        Timestamp::from_unix_millis(at.unix_millis() + i64::from(utc_offset_minutes) * 60_000);
    local.to_string().chars().take(16).collect()
}

/// `UTC+01:00`, `UTC−04:30`, `UTC`: the name of an offset from UTC.
pub fn utc_offset_name(utc_offset_minutes: i32) -> String {
    if utc_offset_minutes == 0 {
        return "UTC".to_owned();
    }
    let sign = if utc_offset_minutes > 0 {
        '+'
    } else {
        '\u{2212}'
    };
    let minutes = utc_offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

impl TriageDraft {
    /// A new form for an alert at `now` (T4's default), read in the reader's
    /// time zone (`utc_offset_minutes`), with one empty customer row (T2).
    pub fn starting_at(now: Timestamp, utc_offset_minutes: i32) -> Self {
        let mut draft = Self {
            alerted_at_local: datetime_local(now, utc_offset_minutes),
            utc_offset_minutes,
            ..Self::default()
        };
        draft.add_customer();
        draft
    }

    /// Adds an empty customer row (T2).
    pub fn add_customer(&mut self) {
        self.customers.push(CustomerDraft {
            key: self.next_customer_key,
            ..CustomerDraft::default()
        });
        self.next_customer_key += 1;
    }

    /// Removes the customer row `key`.
    pub fn remove_customer(&mut self, key: u32) {
        self.customers.retain(|c| c.key != key);
    }

    /// The customer row `key`, to change it.
    pub fn customer_mut(&mut self, key: u32) -> Option<&mut CustomerDraft> {
        self.customers.iter_mut().find(|c| c.key == key)
    }

    /// The alert time (T4) in UTC; `None` when none is typed.
    pub fn alerted_at(&self) -> Result<Option<Timestamp>, FieldError> {
        let text = self.alerted_at_local.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let wall_clock = parse_utc_datetime_local(text).ok_or_else(|| FieldError {
            field: "alerted_at".to_owned(),
            message: "must be a date and a time".to_owned(),
        })?;
        Ok(Some(Timestamp::from_unix_millis(
            wall_clock.unix_millis() - i64::from(self.utc_offset_minutes) * 60_000,
        )))
    }

    /// The chosen category (K1), if any.
    pub fn category(&self) -> Result<Option<Category>, FieldError> {
        match self.category.trim() {
            "" => Ok(None),
            text => Category::parse(text).map(Some).map_err(|e| FieldError {
                field: "category".to_owned(),
                message: e.to_string(),
            }),
        }
    }

    /// The free labels (K2), from the comma-separated text.
    pub fn labels(&self) -> Result<Labels, FieldError> {
        Labels::parse(
            self.labels
                .split(',')
                .map(str::trim)
                .filter(|label| !label.is_empty()),
        )
        .map_err(|e| FieldError {
            field: "labels".to_owned(),
            message: e.to_string(),
        })
    }

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
        // A row left blank is not a customer; one marked enterprise needs its name.
        let customers = self
            .customers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.enterprise_or_partner || !c.name.trim().is_empty())
            .filter_map(|(i, c)| {
                let name = match Name::parse(&c.name) {
                    Ok(name) => name,
                    Err(err) => {
                        e.push(FieldError {
                            field: format!("customers[{i}].name"),
                            message: err.to_string(),
                        });
                        return None;
                    }
                };
                Some(AffectedCustomer {
                    name,
                    enterprise_or_partner: c.enterprise_or_partner,
                })
            })
            .collect();
        let regional = |inputs: &RegionalInputs, prefix: &str, e: &mut Vec<FieldError>| {
            inputs
                .by_region()
                .into_iter()
                .filter_map(|(region, text)| {
                    let percent = optional(&format!("{prefix}.{region}"), text, percent, e)?;
                    Some(RegionalPercent {
                        region: Name::parse(region).ok()?,
                        percent,
                    })
                })
                .collect::<Vec<_>>()
        };
        let on = |key: &str| self.observations.iter().any(|o| o == key);
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
            alerted_at: self.alerted_at().unwrap_or_else(|err| {
                e.push(err);
                None
            }),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    /// SPEC T4: the alert time starts at now on the reader's wall clock and
    /// is kept in UTC, whatever the reader's offset.
    #[test]
    fn alert_time_is_typed_in_the_readers_zone_and_kept_in_utc() {
        let now = at("2026-11-23T03:12:40Z");
        let berlin = TriageDraft::starting_at(now, 60);
        assert_eq!(berlin.alerted_at_local, "2026-11-23T04:12");
        assert_eq!(berlin.alerted_at(), Ok(Some(at("2026-11-23T03:12:00Z"))));
        let mut new_york = TriageDraft::starting_at(now, -300);
        assert_eq!(new_york.alerted_at_local, "2026-11-22T22:12");
        new_york.alerted_at_local = "2026-11-22T21:30".into();
        assert_eq!(
            new_york.to_facts().0.alerted_at,
            Some(at("2026-11-23T02:30:00Z"))
        );
        new_york.alerted_at_local = String::new();
        assert_eq!(new_york.to_facts().0.alerted_at, None);
        new_york.alerted_at_local = "soon".into();
        assert_eq!(new_york.to_facts().1[0].field, "alerted_at");
        assert_eq!(utc_offset_name(60), "UTC+01:00");
        assert_eq!(utc_offset_name(-270), "UTC\u{2212}04:30");
        assert_eq!(utc_offset_name(0), "UTC");
    }

    /// SPEC T2, P1: customers are added and removed row by row; blank rows are
    /// skipped, an enterprise row needs a name, and an enterprise customer's
    /// site outage gives P1.
    #[test]
    fn customers_are_rows_with_their_own_flag() {
        let mut draft = TriageDraft::starting_at(at("2026-11-23T03:12:00Z"), 0);
        draft.total_loss_of_access = true;
        draft.add_customer();
        draft.add_customer();
        let keys: Vec<u32> = draft.customers.iter().map(|c| c.key).collect();
        assert_eq!(keys, [0, 1, 2]);
        draft.customer_mut(0).unwrap().name = "Initech".into();
        draft.customer_mut(2).unwrap().name = "Globex".into();
        assert_eq!(
            draft.to_facts().0.customers.len(),
            2,
            "the blank row is skipped"
        );
        assert_eq!(
            beacon_shared::classify_priority(&draft.to_facts().0)
                .priority
                .as_str(),
            "P3"
        );

        draft.customer_mut(2).unwrap().enterprise_or_partner = true;
        let (facts, errors) = draft.to_facts();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(facts.customers[1].name.as_str(), "Globex");
        assert!(facts.customers[1].enterprise_or_partner);
        assert_eq!(
            beacon_shared::classify_priority(&facts).priority.as_str(),
            "P1"
        );

        draft.remove_customer(2);
        assert_eq!(
            beacon_shared::classify_priority(&draft.to_facts().0)
                .priority
                .as_str(),
            "P3"
        );
        draft.customer_mut(1).unwrap().enterprise_or_partner = true;
        let (facts, errors) = draft.to_facts();
        assert_eq!(facts.customers.len(), 1);
        assert_eq!(errors[0].field, "customers[1].name");
        draft.add_customer();
        assert_eq!(
            draft.customers.last().unwrap().key,
            3,
            "keys are never reused"
        );
    }

    /// SPEC K1, K2: the category is one chosen or none; labels are free and
    /// separated by commas.
    #[test]
    fn category_and_labels() {
        let mut draft = TriageDraft::default();
        assert_eq!(draft.category(), Ok(None));
        assert_eq!(draft.labels().map(|l| l.len()), Ok(0));
        draft.category = "Payments".into();
        draft.labels = " DBA, night shift,,".into();
        assert_eq!(draft.category().unwrap().unwrap().as_str(), "Payments");
        let labels: Vec<String> = draft.labels().unwrap().into();
        assert_eq!(labels, ["dba", "night shift"]);
        draft.labels = "p0/urgent".into();
        assert_eq!(draft.labels().unwrap_err().field, "labels");
    }
}
