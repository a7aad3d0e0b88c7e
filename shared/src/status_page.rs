//! The public status page as data (SPEC M2-M5, K1): components and groups,
//! public incidents and scheduled maintenance with their timestamped
//! updates, the page indicator, the priority-to-impact mapping and the CSUP
//! message templates.
//!
//! Vocabulary and values follow Atlassian Statuspage, so the JSON in
//! [`crate::statuspage_wire`] is a plain translation:
//!
//! - component status: `operational`, `degraded_performance`,
//!   `partial_outage`, `major_outage`, `under_maintenance`;
//! - incident status: `investigating` → `identified` → `monitoring` →
//!   `resolved`;
//! - maintenance status: `scheduled` → `in_progress` → `verifying` →
//!   `completed`;
//! - incident impact: `none`, `minor`, `major`, `critical`;
//! - page indicator: `none`, `minor`, `major`, `critical`, `maintenance`.
//!
//! Choices made where Statuspage and the SOP leave room:
//!
//! - Updates move forward only: an update may repeat the current status (a
//!   progress note) or skip ahead (a fix found while investigating), never
//!   step back, and never carry an instant before the previous update's.
//!   `resolved` and `completed` are final. An incident may be opened directly
//!   in any status (for example `resolved`, to record one after the fact).
//! - The page indicator is the worst of what the components say and what the
//!   unresolved incidents' impacts say; see [`derive_page_status`].
//!
//! The components are the categories of SPEC K1: a component's name is a
//! [`Category`]. Security incidents (K3) only appear here if someone
//! deliberately publishes one; this module does not decide that.

use crate::category::Category;
use crate::priority::Priority;
use crate::time_format::format_utc_minutes;
use crate::timestamp::{in_calendar, Timestamp};
use crate::triage::{bounded_text_type, parsed_text_type, LinkUrl, Name, TextError, Title};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::str::FromStr;

// ---- Identifiers -------------------------------------------------------

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id must not be empty")]
    Empty,
    #[error("an id has at most {max} characters, got {got}")]
    TooLong { max: usize, got: usize },
    #[error("an id may contain only letters, digits, '-' and '_', found `{found}`")]
    InvalidCharacter { found: char },
}

fn parse_id(value: &str, max: usize) -> Result<String, IdError> {
    let got = value.chars().count();
    if got == 0 {
        return Err(IdError::Empty);
    }
    if got > max {
        return Err(IdError::TooLong { max, got });
    }
    match value
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        Some(found) => Err(IdError::InvalidCharacter { found }),
        None => Ok(value.to_owned()),
    }
}

macro_rules! public_id {
    ($(#[$doc:meta])* $name:ident) => {
        parsed_text_type!($(#[$doc])* $name, IdError);

        impl $name {
            /// The longest id accepted.
            pub const MAX_CHARS: usize = 64;

            /// Parses an id: 1 to 64 ASCII letters, digits, `-` or `_`.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                parse_id(value, Self::MAX_CHARS).map(Self)
            }
        }
    };
}

public_id!(
    /// The public id of the status page itself.
    PageId
);
public_id!(
    /// The public id of a component or component group (one namespace, as
    /// in Statuspage, where a group is a component with members).
    ComponentId
);
public_id!(
    /// The public id of an incident or a scheduled maintenance.
    IncidentId
);
public_id!(
    /// The public id of one update of an incident or maintenance.
    UpdateId
);

bounded_text_type!(
    /// The text of a public update, trimmed, 1 to 10 000 characters. Plain
    /// text: escaping for HTML is the renderer's job.
    UpdateBody,
    10_000
);

// ---- Closed sets -------------------------------------------------------

/// A string that is not one of a closed set's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a {what}; expected one of: {expected}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! closed_set {
    (
        $(#[$doc:meta])* $name:ident, $what:literal,
        { $( $(#[$vdoc:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as Statuspage spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        display_as_str!($name);

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                        expected: $name::ALL
                            .iter()
                            .map(|value| value.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    };
}

closed_set!(
    /// A component's status, exactly Statuspage's five values. `Ord` follows
    /// severity: `Operational < UnderMaintenance < DegradedPerformance <
    /// PartialOutage < MajorOutage`, so `max` is the worst.
    ComponentStatus, "component status",
    {
        /// Working normally.
        Operational => "operational",
        /// Planned work; not counted as down (see `service_level`).
        UnderMaintenance => "under_maintenance",
        /// Working, but slow or flaky.
        DegradedPerformance => "degraded_performance",
        /// Down for some customers, regions or functions.
        PartialOutage => "partial_outage",
        /// Down.
        MajorOutage => "major_outage",
    }
);

impl ComponentStatus {
    /// True for the two outage statuses.
    pub fn is_outage(self) -> bool {
        matches!(
            self,
            ComponentStatus::PartialOutage | ComponentStatus::MajorOutage
        )
    }
}

closed_set!(
    /// A public incident's status. `Ord` follows the lifecycle.
    PublicIncidentStatus, "incident status",
    {
        /// Something is wrong; the cause is not known yet.
        Investigating => "investigating",
        /// The cause is known; a fix is being prepared.
        Identified => "identified",
        /// A fix is in place; watching that it holds.
        Monitoring => "monitoring",
        /// Over. Final.
        Resolved => "resolved",
    }
);

closed_set!(
    /// A scheduled maintenance's status. `Ord` follows the lifecycle.
    MaintenanceStatus, "maintenance status",
    {
        /// Announced, not started.
        Scheduled => "scheduled",
        /// The work is being done.
        InProgress => "in_progress",
        /// The work is done and being checked.
        Verifying => "verifying",
        /// Over. Final.
        Completed => "completed",
    }
);

impl MaintenanceStatus {
    /// True while the work is being done or checked.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            MaintenanceStatus::InProgress | MaintenanceStatus::Verifying
        )
    }

    /// The status a component of the maintenance has once an update in this
    /// status is published (M5): `in_progress` puts it under maintenance,
    /// `completed` makes it operational if it is still under maintenance; the
    /// other statuses leave it as it is.
    pub fn component_status_after(self, current: ComponentStatus) -> ComponentStatus {
        match self {
            MaintenanceStatus::InProgress => ComponentStatus::UnderMaintenance,
            MaintenanceStatus::Completed if current == ComponentStatus::UnderMaintenance => {
                ComponentStatus::Operational
            }
            _ => current,
        }
    }
}

/// The changes a maintenance update in `status` makes to `components` (see
/// [`MaintenanceStatus::component_status_after`]); every component is named,
/// changed or not.
pub fn maintenance_changes(
    status: MaintenanceStatus,
    components: &[&Component],
) -> Vec<ComponentChange> {
    components
        .iter()
        .map(|c| ComponentChange {
            component: c.id.clone(),
            old_status: c.status,
            new_status: status.component_status_after(c.status),
        })
        .collect()
}

closed_set!(
    /// An incident's public impact, Statuspage's values. `Ord` follows
    /// severity: `None < Minor < Major < Critical`.
    Impact, "impact",
    {
        None => "none",
        Minor => "minor",
        Major => "major",
        Critical => "critical",
    }
);

closed_set!(
    /// The page-wide indicator of `status.json`. `Ord` follows severity;
    /// `Maintenance` ranks just above `None`, so any problem outranks it.
    Indicator, "indicator",
    {
        None => "none",
        Maintenance => "maintenance",
        Minor => "minor",
        Major => "major",
        Critical => "critical",
    }
);

/// "Degraded performance": a component status for people.
impl ComponentStatus {
    /// The value for people, e.g. on the status page.
    pub fn label(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "Operational",
            ComponentStatus::UnderMaintenance => "Under maintenance",
            ComponentStatus::DegradedPerformance => "Degraded performance",
            ComponentStatus::PartialOutage => "Partial outage",
            ComponentStatus::MajorOutage => "Major outage",
        }
    }
}

/// "Investigating": a public incident status for people.
impl PublicIncidentStatus {
    /// The value for people, e.g. on the status page.
    pub fn label(self) -> &'static str {
        match self {
            PublicIncidentStatus::Investigating => "Investigating",
            PublicIncidentStatus::Identified => "Identified",
            PublicIncidentStatus::Monitoring => "Monitoring",
            PublicIncidentStatus::Resolved => "Resolved",
        }
    }
}

/// "In progress": a maintenance status for people.
impl MaintenanceStatus {
    /// The value for people, e.g. on the status page.
    pub fn label(self) -> &'static str {
        match self {
            MaintenanceStatus::Scheduled => "Scheduled",
            MaintenanceStatus::InProgress => "In progress",
            MaintenanceStatus::Verifying => "Verifying",
            MaintenanceStatus::Completed => "Completed",
        }
    }
}

/// "Major": an impact for people.
impl Impact {
    /// The value for people, e.g. on the status page.
    pub fn label(self) -> &'static str {
        match self {
            Impact::None => "None",
            Impact::Minor => "Minor",
            Impact::Major => "Major",
            Impact::Critical => "Critical",
        }
    }
}

/// The default public impact of an incident of a given priority: P0
/// critical, P1 major, P2 minor, P3 none. CSUP may publish another impact.
pub fn impact_for_priority(priority: Priority) -> Impact {
    match priority {
        Priority::P0 => Impact::Critical,
        Priority::P1 => Impact::Major,
        Priority::P2 => Impact::Minor,
        Priority::P3 => Impact::None,
    }
}

// ---- Page, components and groups ---------------------------------------

/// The page itself: Statuspage's `page` object without `updated_at`, which
/// [`StatusPage::updated_at`] derives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub id: PageId,
    pub name: Name,
    pub url: LinkUrl,
    /// IANA time zone the page is shown in, e.g. `Etc/UTC`.
    pub time_zone: String,
    /// When the page's own settings last changed.
    pub updated_at: Timestamp,
}

/// A component group: a heading over components. Its status is the worst of
/// its members' ([`StatusPage::group_status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentGroup {
    pub id: ComponentId,
    pub name: Category,
    pub description: Option<String>,
    /// Display order among the page's top-level entries, ascending.
    pub position: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A component: one service on the page, a category of SPEC K1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub id: ComponentId,
    pub name: Category,
    pub description: Option<String>,
    pub status: ComponentStatus,
    /// Display order, ascending (within its group if it has one).
    pub position: u32,
    /// The group it belongs to, if any.
    pub group_id: Option<ComponentId>,
    /// Whether the page shows its 90-day uptime bars.
    pub showcase: bool,
    /// Whether the page hides it while it is operational.
    pub only_show_if_degraded: bool,
    /// The first day its uptime counts, if set (`YYYY-MM-DD` when stored).
    #[serde(with = "optional_date", default)]
    pub start_date: Option<NaiveDate>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Reads a calendar day written `YYYY-MM-DD` (a sign allowed before the
/// year), within Beacon's calendar.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let bytes = unsigned.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit());
    if !shape {
        return None;
    }
    let year: i32 = unsigned[..4].parse().ok()?;
    let month = unsigned[5..7].parse().ok()?;
    let day = unsigned[8..].parse().ok()?;
    let year = if negative { -year } else { year };
    NaiveDate::from_ymd_opt(year, month, day).filter(|date| in_calendar(*date))
}

/// Formats a calendar day as `YYYY-MM-DD`, the form of Statuspage's `start_date`.
pub fn format_date(date: NaiveDate) -> String {
    date.to_string()
}

/// Stores an optional calendar day as `YYYY-MM-DD`.
mod optional_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        date: &Option<NaiveDate>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => serializer.serialize_some(&super::format_date(*date)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| super::calendar_date::parse(&text))
            .transpose()
    }
}

/// Stores a calendar day as `YYYY-MM-DD`.
pub(crate) mod calendar_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_date(*date))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        parse(&String::deserialize(deserializer)?)
    }

    pub(super) fn parse<E: serde::de::Error>(text: &str) -> Result<NaiveDate, E> {
        super::parse_date(text)
            .ok_or_else(|| E::custom(format!("{text:?} is not a date written YYYY-MM-DD")))
    }
}

// ---- Updates, incidents, maintenance ------------------------------------

/// One component's status change, published with an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentChange {
    pub component: ComponentId,
    pub old_status: ComponentStatus,
    pub new_status: ComponentStatus,
}

/// One timestamped public update of an incident (`S` =
/// [`PublicIncidentStatus`]) or maintenance (`S` = [`MaintenanceStatus`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicUpdate<S> {
    pub id: UpdateId,
    pub status: S,
    pub body: UpdateBody,
    /// When it was published.
    pub at: Timestamp,
    /// The components whose status this update changes.
    pub affected: Vec<ComponentChange>,
}

/// An update of a public incident.
pub type IncidentUpdate = PublicUpdate<PublicIncidentStatus>;
/// An update of a scheduled maintenance.
pub type MaintenanceUpdate = PublicUpdate<MaintenanceStatus>;

/// Why a status change or an update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("an update at {at} cannot come before the previous one at {previous}")]
    BeforePrevious { previous: Timestamp, at: Timestamp },
    #[error("cannot go back from `{from}` to `{to}`")]
    Backwards {
        from: &'static str,
        to: &'static str,
    },
    #[error("already `{status}`: no further updates")]
    Finished { status: &'static str },
}

/// Checks one step of a public incident (SPEC M3): from the last update's
/// status and instant to the next's. Allowed: the same status again or any
/// later one, at the same instant or later; nothing after `resolved`.
pub fn check_incident_transition(
    from: PublicIncidentStatus,
    from_at: Timestamp,
    to: PublicIncidentStatus,
    at: Timestamp,
) -> Result<(), TransitionError> {
    check_forward(
        (from, from_at),
        (to, at),
        from == PublicIncidentStatus::Resolved,
        |s| s.as_str(),
    )
}

/// Checks one step of a scheduled maintenance (SPEC M5): the same rules as
/// [`check_incident_transition`], with `completed` final.
pub fn check_maintenance_transition(
    from: MaintenanceStatus,
    from_at: Timestamp,
    to: MaintenanceStatus,
    at: Timestamp,
) -> Result<(), TransitionError> {
    check_forward(
        (from, from_at),
        (to, at),
        from == MaintenanceStatus::Completed,
        |s| s.as_str(),
    )
}

fn check_forward<S: Ord + Copy>(
    (from, from_at): (S, Timestamp),
    (to, at): (S, Timestamp),
    from_is_final: bool,
    name: impl Fn(S) -> &'static str,
) -> Result<(), TransitionError> {
    if from_is_final {
        return Err(TransitionError::Finished { status: name(from) });
    }
    if to < from {
        return Err(TransitionError::Backwards {
            from: name(from),
            to: name(to),
        });
    }
    if at < from_at {
        return Err(TransitionError::BeforePrevious {
            previous: from_at,
            at,
        });
    }
    Ok(())
}

/// A public incident: a title, an impact and at least one update, whose
/// statuses and instants only move forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "IncidentParts", into = "IncidentParts")]
pub struct PublicIncident {
    id: IncidentId,
    name: Title,
    impact: Impact,
    started_at: Timestamp,
    updates: Vec<IncidentUpdate>,
    postmortem: Option<Postmortem>,
}

/// The postmortem of a public incident (SPEC R5): the text of its approved,
/// published incident report, as Statuspage carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Postmortem {
    /// Plain text ([`crate::incident_report::CustomerReport::postmortem_body`]).
    pub body: String,
    /// When the body was last replaced.
    pub body_updated_at: Timestamp,
    /// When a postmortem was first published.
    pub published_at: Timestamp,
}

/// The stored shape of a [`PublicIncident`], checked again when read.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IncidentParts {
    id: IncidentId,
    name: Title,
    impact: Impact,
    started_at: Timestamp,
    updates: Vec<IncidentUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    postmortem: Option<Postmortem>,
}

/// Why an incident or maintenance could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicEntryError {
    #[error("needs at least one update")]
    NoUpdates,
    #[error("the first update at {first_update} comes before the start at {started_at}")]
    UpdateBeforeStart {
        started_at: Timestamp,
        first_update: Timestamp,
    },
    #[error("update {index}: {source}")]
    Update {
        index: usize,
        source: TransitionError,
    },
    #[error("the maintenance window must end after it starts ({start} .. {end})")]
    EmptyWindow { start: Timestamp, end: Timestamp },
}

fn check_updates<S: Copy>(
    started_at: Timestamp,
    updates: &[PublicUpdate<S>],
    check: impl Fn(S, Timestamp, S, Timestamp) -> Result<(), TransitionError>,
) -> Result<(), PublicEntryError> {
    let first = updates.first().ok_or(PublicEntryError::NoUpdates)?;
    if first.at < started_at {
        return Err(PublicEntryError::UpdateBeforeStart {
            started_at,
            first_update: first.at,
        });
    }
    for (index, pair) in updates.windows(2).enumerate() {
        check(pair[0].status, pair[0].at, pair[1].status, pair[1].at).map_err(|source| {
            PublicEntryError::Update {
                index: index + 1,
                source,
            }
        })?;
    }
    Ok(())
}

impl PublicIncident {
    /// Opens an incident with its first update. `started_at` is when the
    /// problem began (it may be before the first update, never after).
    pub fn open(
        id: IncidentId,
        name: Title,
        impact: Impact,
        started_at: Timestamp,
        first_update: IncidentUpdate,
    ) -> Result<Self, PublicEntryError> {
        Self::from_parts(IncidentParts {
            id,
            name,
            impact,
            started_at,
            updates: vec![first_update],
            postmortem: None,
        })
    }

    fn from_parts(parts: IncidentParts) -> Result<Self, PublicEntryError> {
        check_updates(parts.started_at, &parts.updates, check_incident_transition)?;
        Ok(Self {
            id: parts.id,
            name: parts.name,
            impact: parts.impact,
            started_at: parts.started_at,
            updates: parts.updates,
            postmortem: parts.postmortem,
        })
    }

    /// Adds an update if [`check_incident_transition`] allows it.
    pub fn add_update(&mut self, update: IncidentUpdate) -> Result<(), TransitionError> {
        let last = self.last_update();
        check_incident_transition(last.status, last.at, update.status, update.at)?;
        self.updates.push(update);
        Ok(())
    }

    /// Changes the published impact (CSUP may correct the default).
    pub fn set_impact(&mut self, impact: Impact) {
        self.impact = impact;
    }

    pub fn id(&self) -> &IncidentId {
        &self.id
    }

    pub fn name(&self) -> &Title {
        &self.name
    }

    pub fn impact(&self) -> Impact {
        self.impact
    }

    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// The updates, oldest first; never empty.
    pub fn updates(&self) -> &[IncidentUpdate] {
        &self.updates
    }

    fn last_update(&self) -> &IncidentUpdate {
        self.updates
            .last()
            .expect("an incident has at least one update")
    }

    /// The status of the latest update.
    pub fn status(&self) -> PublicIncidentStatus {
        self.last_update().status
    }

    /// When the first update was published.
    pub fn created_at(&self) -> Timestamp {
        self.updates[0].at
    }

    /// When the latest update was published.
    pub fn updated_at(&self) -> Timestamp {
        self.last_update().at
    }

    /// When it first reached `monitoring`, if it did.
    pub fn monitoring_at(&self) -> Option<Timestamp> {
        self.first_at(PublicIncidentStatus::Monitoring)
    }

    /// When it was resolved, if it was.
    pub fn resolved_at(&self) -> Option<Timestamp> {
        self.first_at(PublicIncidentStatus::Resolved)
    }

    fn first_at(&self, status: PublicIncidentStatus) -> Option<Timestamp> {
        self.updates
            .iter()
            .find(|u| u.status == status)
            .map(|u| u.at)
    }

    /// True until it is resolved.
    pub fn is_unresolved(&self) -> bool {
        self.status() != PublicIncidentStatus::Resolved
    }

    /// Every component any update affected, in first-mentioned order.
    pub fn components(&self) -> Vec<&ComponentId> {
        affected_components(&self.updates)
    }

    /// The published postmortem, if any (SPEC R5).
    pub fn postmortem(&self) -> Option<&Postmortem> {
        self.postmortem.as_ref()
    }

    /// Puts `body` up as the postmortem at `at`: the first publication keeps
    /// its instant, a new body records when it was replaced.
    pub fn publish_postmortem(&mut self, body: String, at: Timestamp) {
        self.postmortem = Some(match self.postmortem.take() {
            Some(previous) if previous.body == body => previous,
            Some(previous) => Postmortem {
                body,
                body_updated_at: at,
                published_at: previous.published_at,
            },
            None => Postmortem {
                body,
                body_updated_at: at,
                published_at: at,
            },
        });
    }
}

impl TryFrom<IncidentParts> for PublicIncident {
    type Error = PublicEntryError;
    fn try_from(parts: IncidentParts) -> Result<Self, Self::Error> {
        Self::from_parts(parts)
    }
}

impl From<PublicIncident> for IncidentParts {
    fn from(incident: PublicIncident) -> Self {
        IncidentParts {
            id: incident.id,
            name: incident.name,
            impact: incident.impact,
            started_at: incident.started_at,
            updates: incident.updates,
            postmortem: incident.postmortem,
        }
    }
}

fn affected_components<S>(updates: &[PublicUpdate<S>]) -> Vec<&ComponentId> {
    let mut seen = HashSet::new();
    updates
        .iter()
        .flat_map(|u| u.affected.iter())
        .map(|change| &change.component)
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The planned window of a maintenance: `start` strictly before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WindowParts", into = "WindowParts")]
pub struct MaintenanceWindow {
    start: Timestamp,
    end: Timestamp,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct WindowParts {
    start: Timestamp,
    end: Timestamp,
}

impl MaintenanceWindow {
    /// Parses a window, refusing one that ends at or before its start.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, PublicEntryError> {
        if end <= start {
            Err(PublicEntryError::EmptyWindow { start, end })
        } else {
            Ok(Self { start, end })
        }
    }

    pub fn start(self) -> Timestamp {
        self.start
    }

    pub fn end(self) -> Timestamp {
        self.end
    }
}

impl TryFrom<WindowParts> for MaintenanceWindow {
    type Error = PublicEntryError;
    fn try_from(parts: WindowParts) -> Result<Self, Self::Error> {
        Self::new(parts.start, parts.end)
    }
}

impl From<MaintenanceWindow> for WindowParts {
    fn from(window: MaintenanceWindow) -> Self {
        WindowParts {
            start: window.start,
            end: window.end,
        }
    }
}

/// A scheduled maintenance (SPEC M5): announced with a window, then updated
/// like an incident through `scheduled` → `in_progress` → `verifying` →
/// `completed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MaintenanceParts", into = "MaintenanceParts")]
pub struct ScheduledMaintenance {
    id: IncidentId,
    name: Title,
    window: MaintenanceWindow,
    updates: Vec<MaintenanceUpdate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MaintenanceParts {
    id: IncidentId,
    name: Title,
    window: MaintenanceWindow,
    updates: Vec<MaintenanceUpdate>,
}

impl ScheduledMaintenance {
    /// Announces a maintenance with its first update (usually `scheduled`,
    /// published before the window; it may be announced late, so the first
    /// update's instant is not tied to the window).
    pub fn announce(
        id: IncidentId,
        name: Title,
        window: MaintenanceWindow,
        first_update: MaintenanceUpdate,
    ) -> Result<Self, PublicEntryError> {
        Self::from_parts(MaintenanceParts {
            id,
            name,
            window,
            updates: vec![first_update],
        })
    }

    fn from_parts(parts: MaintenanceParts) -> Result<Self, PublicEntryError> {
        let first_at = parts
            .updates
            .first()
            .map(|u| u.at)
            .ok_or(PublicEntryError::NoUpdates)?;
        check_updates(first_at, &parts.updates, check_maintenance_transition)?;
        Ok(Self {
            id: parts.id,
            name: parts.name,
            window: parts.window,
            updates: parts.updates,
        })
    }

    /// Adds an update if [`check_maintenance_transition`] allows it.
    pub fn add_update(&mut self, update: MaintenanceUpdate) -> Result<(), TransitionError> {
        let last = self.last_update();
        check_maintenance_transition(last.status, last.at, update.status, update.at)?;
        self.updates.push(update);
        Ok(())
    }

    pub fn id(&self) -> &IncidentId {
        &self.id
    }

    pub fn name(&self) -> &Title {
        &self.name
    }

    pub fn window(&self) -> MaintenanceWindow {
        self.window
    }

    /// The updates, oldest first; never empty.
    pub fn updates(&self) -> &[MaintenanceUpdate] {
        &self.updates
    }

    fn last_update(&self) -> &MaintenanceUpdate {
        self.updates
            .last()
            .expect("a maintenance has at least one update")
    }

    /// The status of the latest update.
    pub fn status(&self) -> MaintenanceStatus {
        self.last_update().status
    }

    pub fn created_at(&self) -> Timestamp {
        self.updates[0].at
    }

    pub fn updated_at(&self) -> Timestamp {
        self.last_update().at
    }

    /// When it first reached `completed`, if it did.
    pub fn completed_at(&self) -> Option<Timestamp> {
        self.first_at(MaintenanceStatus::Completed)
    }

    /// When it first reached `verifying`, if it did.
    pub fn verifying_at(&self) -> Option<Timestamp> {
        self.first_at(MaintenanceStatus::Verifying)
    }

    fn first_at(&self, status: MaintenanceStatus) -> Option<Timestamp> {
        self.updates
            .iter()
            .find(|u| u.status == status)
            .map(|u| u.at)
    }

    /// Not started yet (`scheduled`).
    pub fn is_upcoming(&self) -> bool {
        self.status() == MaintenanceStatus::Scheduled
    }

    /// Being done or checked (`in_progress` or `verifying`).
    pub fn is_active(&self) -> bool {
        self.status().is_active()
    }

    /// Every component any update affected, in first-mentioned order.
    pub fn components(&self) -> Vec<&ComponentId> {
        affected_components(&self.updates)
    }
}

impl TryFrom<MaintenanceParts> for ScheduledMaintenance {
    type Error = PublicEntryError;
    fn try_from(parts: MaintenanceParts) -> Result<Self, Self::Error> {
        Self::from_parts(parts)
    }
}

impl From<ScheduledMaintenance> for MaintenanceParts {
    fn from(m: ScheduledMaintenance) -> Self {
        MaintenanceParts {
            id: m.id,
            name: m.name,
            window: m.window,
            updates: m.updates,
        }
    }
}

// ---- The page indicator --------------------------------------------------

/// The text shown with the indicator, Statuspage's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageDescription {
    /// Indicator `none`.
    AllSystemsOperational,
    /// Indicator `maintenance`.
    ServiceUnderMaintenance,
    /// Indicator `minor`, when only performance is degraded.
    PartiallyDegradedService,
    /// Indicator `minor`, from a partial outage or a minor incident.
    MinorServiceOutage,
    /// Indicator `major`.
    PartialSystemOutage,
    /// Indicator `critical`.
    MajorSystemOutage,
}

impl PageDescription {
    /// The sentence shown on the page and sent as `status.description`.
    pub fn as_str(self) -> &'static str {
        match self {
            PageDescription::AllSystemsOperational => "All Systems Operational",
            PageDescription::ServiceUnderMaintenance => "Service Under Maintenance",
            PageDescription::PartiallyDegradedService => "Partially Degraded Service",
            PageDescription::MinorServiceOutage => "Minor Service Outage",
            PageDescription::PartialSystemOutage => "Partial System Outage",
            PageDescription::MajorSystemOutage => "Major System Outage",
        }
    }
}

display_as_str!(PageDescription);

/// The page-wide status: `status.json`'s `{indicator, description}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStatus {
    pub indicator: Indicator,
    pub description: PageDescription,
}

/// Derives the page indicator and its description.
///
/// The indicator is the worst of three readings:
///
/// | reading                                            | indicator     |
/// |----------------------------------------------------|---------------|
/// | every component in `major_outage`                  | `critical`    |
/// | some component in `major_outage`                   | `major`       |
/// | some component in `partial_outage`                 | `minor`       |
/// | some component in `degraded_performance`           | `minor`       |
/// | an unresolved incident of impact critical/major/minor | the same    |
/// | some component `under_maintenance`, or an active maintenance | `maintenance` |
/// | otherwise                                          | `none`        |
///
/// Any problem outranks maintenance. The description is Statuspage's:
/// `minor` reads "Partially Degraded Service" when only performance is
/// degraded and no incident says more, otherwise "Minor Service Outage".
/// With no components at all, only incidents and maintenance count.
pub fn derive_page_status(
    components: &[ComponentStatus],
    unresolved_impacts: &[Impact],
    maintenance_active: bool,
) -> PageStatus {
    use ComponentStatus as C;
    let all_major = !components.is_empty() && components.iter().all(|&s| s == C::MajorOutage);
    let worst = components.iter().copied().max().unwrap_or(C::Operational);
    let from_components = match worst {
        C::MajorOutage if all_major => Indicator::Critical,
        C::MajorOutage => Indicator::Major,
        C::PartialOutage | C::DegradedPerformance => Indicator::Minor,
        C::UnderMaintenance => Indicator::Maintenance,
        C::Operational => Indicator::None,
    };
    let worst_impact = unresolved_impacts
        .iter()
        .copied()
        .max()
        .unwrap_or(Impact::None);
    let from_incidents = match worst_impact {
        Impact::Critical => Indicator::Critical,
        Impact::Major => Indicator::Major,
        Impact::Minor => Indicator::Minor,
        Impact::None => Indicator::None,
    };
    let from_maintenance = if maintenance_active {
        Indicator::Maintenance
    } else {
        Indicator::None
    };
    let indicator = from_components.max(from_incidents).max(from_maintenance);
    let description = match indicator {
        Indicator::None => PageDescription::AllSystemsOperational,
        Indicator::Maintenance => PageDescription::ServiceUnderMaintenance,
        Indicator::Minor
            if worst == C::DegradedPerformance && from_incidents < Indicator::Minor =>
        {
            PageDescription::PartiallyDegradedService
        }
        Indicator::Minor => PageDescription::MinorServiceOutage,
        Indicator::Major => PageDescription::PartialSystemOutage,
        Indicator::Critical => PageDescription::MajorSystemOutage,
    };
    PageStatus {
        indicator,
        description,
    }
}

// ---- The page as a whole -------------------------------------------------

/// Why a page's parts do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("the id `{id}` is used twice")]
    DuplicateId { id: String },
    #[error("component `{component}` names group `{group}`, which is not on the page")]
    UnknownGroup {
        component: ComponentId,
        group: ComponentId,
    },
    #[error("`{entry}` affects component `{component}`, which is not on the page")]
    UnknownComponent {
        entry: IncidentId,
        component: ComponentId,
    },
}

/// A whole status page whose parts refer to each other correctly: ids are
/// unique, every group a component names exists, every component an update
/// names exists (as a component, not a group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StatusPageParts", into = "StatusPageParts")]
pub struct StatusPage {
    info: PageInfo,
    groups: Vec<ComponentGroup>,
    components: Vec<Component>,
    incidents: Vec<PublicIncident>,
    maintenances: Vec<ScheduledMaintenance>,
}

/// The stored shape of a [`StatusPage`], checked again when read.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StatusPageParts {
    info: PageInfo,
    groups: Vec<ComponentGroup>,
    components: Vec<Component>,
    incidents: Vec<PublicIncident>,
    maintenances: Vec<ScheduledMaintenance>,
}

impl TryFrom<StatusPageParts> for StatusPage {
    type Error = PageError;
    fn try_from(p: StatusPageParts) -> Result<Self, Self::Error> {
        Self::new(p.info, p.groups, p.components, p.incidents, p.maintenances)
    }
}

impl From<StatusPage> for StatusPageParts {
    fn from(p: StatusPage) -> Self {
        StatusPageParts {
            info: p.info,
            groups: p.groups,
            components: p.components,
            incidents: p.incidents,
            maintenances: p.maintenances,
        }
    }
}

impl StatusPage {
    /// Checks that the parts fit together (see [`PageError`]).
    pub fn new(
        info: PageInfo,
        groups: Vec<ComponentGroup>,
        components: Vec<Component>,
        incidents: Vec<PublicIncident>,
        maintenances: Vec<ScheduledMaintenance>,
    ) -> Result<Self, PageError> {
        let mut ids = HashSet::new();
        let all_ids = groups
            .iter()
            .map(|g| g.id.as_str())
            .chain(components.iter().map(|c| c.id.as_str()));
        for id in all_ids {
            if !ids.insert(id) {
                return Err(PageError::DuplicateId { id: id.to_owned() });
            }
        }
        let mut entry_ids = HashSet::new();
        let all_entries = incidents
            .iter()
            .map(|i| i.id.as_str())
            .chain(maintenances.iter().map(|m| m.id.as_str()));
        for id in all_entries {
            if !entry_ids.insert(id) {
                return Err(PageError::DuplicateId { id: id.to_owned() });
            }
        }
        for component in &components {
            if let Some(group) = &component.group_id {
                if !groups.iter().any(|g| &g.id == group) {
                    return Err(PageError::UnknownGroup {
                        component: component.id.clone(),
                        group: group.clone(),
                    });
                }
            }
        }
        let affected = incidents
            .iter()
            .flat_map(|i| i.components().into_iter().map(move |c| (&i.id, c)))
            .chain(
                maintenances
                    .iter()
                    .flat_map(|m| m.components().into_iter().map(move |c| (&m.id, c))),
            );
        for (entry, component) in affected {
            if !components.iter().any(|c| &c.id == component) {
                return Err(PageError::UnknownComponent {
                    entry: entry.clone(),
                    component: component.clone(),
                });
            }
        }
        Ok(Self {
            info,
            groups,
            components,
            incidents,
            maintenances,
        })
    }

    pub fn info(&self) -> &PageInfo {
        &self.info
    }

    pub fn groups(&self) -> &[ComponentGroup] {
        &self.groups
    }

    pub fn components(&self) -> &[Component] {
        &self.components
    }

    pub fn incidents(&self) -> &[PublicIncident] {
        &self.incidents
    }

    pub fn maintenances(&self) -> &[ScheduledMaintenance] {
        &self.maintenances
    }

    /// The component with this id, if it is on the page.
    pub fn component(&self, id: &ComponentId) -> Option<&Component> {
        self.components.iter().find(|c| &c.id == id)
    }

    /// The page's components with these ids, in the ids' order; an id the
    /// page no longer has is left out.
    pub fn components_of<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a ComponentId>,
    ) -> Vec<&Component> {
        ids.into_iter()
            .filter_map(|id| self.component(id))
            .collect()
    }

    /// The members of a group, in position order.
    pub fn members(&self, group: &ComponentId) -> Vec<&Component> {
        let mut members: Vec<&Component> = self
            .components
            .iter()
            .filter(|c| c.group_id.as_ref() == Some(group))
            .collect();
        members.sort_by_key(|c| c.position);
        members
    }

    /// A group's status: the worst of its members', `operational` if empty.
    pub fn group_status(&self, group: &ComponentId) -> ComponentStatus {
        self.members(group)
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(ComponentStatus::Operational)
    }

    /// The latest change anywhere on the page.
    pub fn updated_at(&self) -> Timestamp {
        let components = self.components.iter().map(|c| c.updated_at);
        let groups = self.groups.iter().map(|g| g.updated_at);
        let incidents = self.incidents.iter().map(PublicIncident::updated_at);
        let maintenances = self
            .maintenances
            .iter()
            .map(ScheduledMaintenance::updated_at);
        components
            .chain(groups)
            .chain(incidents)
            .chain(maintenances)
            .fold(self.info.updated_at, Timestamp::max)
    }

    /// The incidents not yet resolved, most recently started first.
    pub fn unresolved_incidents(&self) -> Vec<&PublicIncident> {
        let mut open: Vec<&PublicIncident> = self
            .incidents
            .iter()
            .filter(|i| i.is_unresolved())
            .collect();
        open.sort_by_key(|i| std::cmp::Reverse(i.started_at()));
        open
    }

    /// The page indicator per [`derive_page_status`], from the components'
    /// statuses, the unresolved incidents and the active maintenance.
    pub fn status(&self) -> PageStatus {
        let statuses: Vec<ComponentStatus> = self.components.iter().map(|c| c.status).collect();
        let impacts: Vec<Impact> = self
            .unresolved_incidents()
            .iter()
            .map(|i| i.impact())
            .collect();
        let maintenance = self
            .maintenances
            .iter()
            .any(ScheduledMaintenance::is_active);
        derive_page_status(&statuses, &impacts, maintenance)
    }

    /// The page's components with `changes` made at `at`: a changed
    /// component's `updated_at` never moves back.
    pub fn components_after(&self, changes: &[ComponentChange], at: Timestamp) -> Vec<Component> {
        self.components
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if let Some(change) = changes.iter().find(|ch| ch.component == c.id) {
                    c.status = change.new_status;
                    c.updated_at = at.max(c.updated_at);
                }
                c
            })
            .collect()
    }

    /// The components that `changes` give a new status at `at`, as they
    /// become: what a publication stores and keeps in the history (L2).
    /// Changes to unknown components and to the status a component already
    /// has are left out.
    pub fn components_changed(&self, changes: &[ComponentChange], at: Timestamp) -> Vec<Component> {
        changes
            .iter()
            .filter_map(|change| {
                let before = self.component(&change.component)?;
                (before.status != change.new_status).then(|| Component {
                    status: change.new_status,
                    updated_at: at.max(before.updated_at),
                    ..before.clone()
                })
            })
            .collect()
    }

    /// The page as it will be once `incident` (new or updated) is published
    /// with `changes`: listed first, replacing its earlier version.
    pub fn with_incident(
        &self,
        incident: &PublicIncident,
        changes: &[ComponentChange],
    ) -> Result<StatusPage, PageError> {
        StatusPage::new(
            self.info.clone(),
            self.groups.clone(),
            self.components_after(changes, incident.updated_at()),
            listed_first(&self.incidents, incident, |i| i.id() == incident.id()),
            self.maintenances.clone(),
        )
    }

    /// The page as it will be once `maintenance` (new or updated) is
    /// published with `changes`: listed first, replacing its earlier version.
    pub fn with_maintenance(
        &self,
        maintenance: &ScheduledMaintenance,
        changes: &[ComponentChange],
    ) -> Result<StatusPage, PageError> {
        StatusPage::new(
            self.info.clone(),
            self.groups.clone(),
            self.components_after(changes, maintenance.updated_at()),
            self.incidents.clone(),
            listed_first(&self.maintenances, maintenance, |m| {
                m.id() == maintenance.id()
            }),
        )
    }
}

/// `entry` first, then the `entries` that are not an earlier version of it.
fn listed_first<T: Clone>(
    entries: &[T],
    entry: &T,
    earlier_version: impl Fn(&T) -> bool,
) -> Vec<T> {
    std::iter::once(entry.clone())
        .chain(entries.iter().filter(|e| !earlier_version(e)).cloned())
        .collect()
}

// ---- Message templates (SPEC M2) ----------------------------------------

/// The CSUP message templates (SPEC M2), each with the instants it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "template")]
pub enum MessageTemplate {
    /// First post: problems noticed since `since`.
    Investigating { since: Timestamp },
    /// The cause is known.
    Identified,
    /// A fix went out at `fixed_at`.
    Monitoring { fixed_at: Timestamp },
    /// Normal again since `resolved_at`.
    Resolved { resolved_at: Timestamp },
    /// Announces planned work in `window`.
    Maintenance { window: MaintenanceWindow },
}

impl MessageTemplate {
    /// The template's name, e.g. `investigating`.
    pub fn name(self) -> &'static str {
        match self {
            MessageTemplate::Investigating { .. } => "investigating",
            MessageTemplate::Identified => "identified",
            MessageTemplate::Monitoring { .. } => "monitoring",
            MessageTemplate::Resolved { .. } => "resolved",
            MessageTemplate::Maintenance { .. } => "maintenance",
        }
    }

    /// Fills in the affected components' names and the template's instants
    /// (UTC, minute precision) and returns plain text. With no components
    /// the text speaks of "some of our services".
    pub fn render(self, components: &[Category]) -> String {
        let what = component_list(components);
        match self {
            MessageTemplate::Investigating { since } => format!(
                "We are investigating problems with {what} since {}. \
                 We will post an update as soon as we know more.",
                format_utc_minutes(since)
            ),
            MessageTemplate::Identified => format!(
                "We have identified the cause of the problems with {what} \
                 and are working on a fix."
            ),
            MessageTemplate::Monitoring { fixed_at } => format!(
                "A fix for the problems with {what} was applied at {}. \
                 We are monitoring the results.",
                format_utc_minutes(fixed_at)
            ),
            MessageTemplate::Resolved { resolved_at } => format!(
                "The problems with {what} have been resolved. \
                 Everything has been working normally since {}.",
                format_utc_minutes(resolved_at)
            ),
            MessageTemplate::Maintenance { window } => format!(
                "We will carry out scheduled maintenance on {what} from {} to {}. \
                 During this time the service may be unavailable.",
                format_utc_minutes(window.start()),
                format_utc_minutes(window.end())
            ),
        }
    }

    /// Renders the template as an update body; refused only if so many
    /// components are named that the text exceeds [`UpdateBody::MAX_CHARS`].
    pub fn render_body(self, components: &[Category]) -> Result<UpdateBody, TextError> {
        UpdateBody::parse(&self.render(components))
    }
}

/// The standard text of a maintenance update in `status`, naming the
/// components it touches; used when customer support writes none (M5).
pub fn maintenance_update_text(status: MaintenanceStatus, components: &[Category]) -> String {
    let what = component_list(components);
    match status {
        MaintenanceStatus::Scheduled => {
            format!("Maintenance on {what} is scheduled. We will post updates as it proceeds.")
        }
        MaintenanceStatus::InProgress => {
            format!("Scheduled maintenance on {what} is in progress. We will post updates as necessary.")
        }
        MaintenanceStatus::Verifying => {
            format!("The maintenance work on {what} is done and is being verified.")
        }
        MaintenanceStatus::Completed => {
            format!("The scheduled maintenance on {what} has been completed.")
        }
    }
}

/// "A", "A and B", "A, B and C"; "some of our services" for none.
fn component_list(components: &[Category]) -> String {
    match components {
        [] => "some of our services".to_owned(),
        [one] => one.to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(Category::as_str).collect();
            format!("{} and {last}", init.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_days_are_written_yyyy_mm_dd() {
        let leap_day = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(format_date(leap_day), "2028-02-29");
        assert_eq!(parse_date("2028-02-29"), Some(leap_day));
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(-1, 1, 2).unwrap()),
            "-0001-01-02"
        );
        assert_eq!(parse_date("-0001-01-02"), NaiveDate::from_ymd_opt(-1, 1, 2));
        assert_eq!(
            parse_date("+2025-01-01"),
            NaiveDate::from_ymd_opt(2025, 1, 1)
        );
        for text in [
            "2027-02-29",
            "2025-1-01",
            "2025-01-1",
            "25-01-01",
            "12025-01-01",
            "2025/01/01",
            "2025-01-01T00:00:00Z",
            "",
            "-",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }

    #[test]
    fn a_start_date_is_stored_as_a_day() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "optional_date", default)]
            day: Option<NaiveDate>,
        }
        let row = Row {
            day: NaiveDate::from_ymd_opt(2025, 1, 1),
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"day":"2025-01-01"}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        assert_eq!(
            serde_json::from_str::<Row>("{}").unwrap(),
            Row { day: None }
        );
        assert!(serde_json::from_str::<Row>(r#"{"day":"2025-13-01"}"#).is_err());
    }
}
