//! The public status JSON API, wire-compatible with Atlassian Statuspage's
//! public v2 API (`/api/v2/*.json`), and its construction from a
//! [`StatusPage`]: field names and enum values are exactly Statuspage's, so
//! existing Statuspage clients and widgets can read Beacon's page.
//!
//! | endpoint                                        | response                         | builder                      |
//! |-------------------------------------------------|----------------------------------|------------------------------|
//! | `/api/v2/summary.json`                          | [`SummaryResponse`]              | [`summary`]                  |
//! | `/api/v2/status.json`                           | [`StatusResponse`]               | [`status`]                   |
//! | `/api/v2/components.json`                       | [`ComponentsResponse`]           | [`components`]               |
//! | `/api/v2/incidents.json`                        | [`IncidentsResponse`]            | [`incidents`]                |
//! | `/api/v2/incidents/unresolved.json`             | [`IncidentsResponse`]            | [`unresolved_incidents`]     |
//! | `/api/v2/scheduled-maintenances.json`           | [`ScheduledMaintenancesResponse`]| [`scheduled_maintenances`]   |
//! | `/api/v2/scheduled-maintenances/upcoming.json`  | [`ScheduledMaintenancesResponse`]| [`upcoming_maintenances`]    |
//! | `/api/v2/scheduled-maintenances/active.json`    | [`ScheduledMaintenancesResponse`]| [`active_maintenances`]      |
//!
//! Choices where Statuspage leaves room:
//! - Component groups are components with `"group": true` and the member
//!   ids in `components`; other components have no `components` key. Lists
//!   show each top-level entry by position, each group followed by its
//!   members.
//! - `incident_updates` are newest first, as Statuspage sends them;
//!   `affected_components` is `null` when an update changed no component.
//! - Lists of incidents and maintenances hold the 50 most recent, as
//!   Statuspage's do; `summary.json` holds the unresolved incidents and the
//!   upcoming or active maintenances.
//! - `shortlink` is the page URL followed by `/incidents/<id>`; Beacon does
//!   not tweet, so `custom_tweet` and `tweet_id` are `null` and
//!   `deliver_notifications` says whether subscribers were told (always
//!   `true`: every published update notifies).
//! - Timestamps are RFC 3339 in UTC.

use crate::status_page::{
    format_date, Component, ComponentGroup, ComponentStatus, Impact, Indicator, MaintenanceStatus,
    PageStatus, PublicIncident, PublicIncidentStatus, PublicUpdate, ScheduledMaintenance,
    StatusPage,
};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// How many incidents or maintenances a list endpoint returns.
pub const LIST_LIMIT: usize = 50;

/// The `page` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageJson {
    pub id: String,
    pub name: String,
    pub url: String,
    pub time_zone: String,
    pub updated_at: Timestamp,
}

/// The `status` object: `{indicator, description}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusJson {
    /// `none`, `minor`, `major`, `critical` or `maintenance`.
    pub indicator: Indicator,
    pub description: String,
}

/// A component or, with `group: true`, a component group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentJson {
    pub id: String,
    pub name: String,
    pub status: ComponentStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub position: u32,
    pub description: Option<String>,
    pub showcase: bool,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
    /// A group's member ids; absent for plain components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

/// One entry of an update's `affected_components`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedComponentJson {
    /// The component's id.
    pub code: String,
    pub name: String,
    pub old_status: ComponentStatus,
    pub new_status: ComponentStatus,
}

/// One entry of `incident_updates`; `S` is the incident's or the
/// maintenance's status type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentUpdateJson<S> {
    pub id: String,
    pub status: S,
    pub body: String,
    pub incident_id: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub display_at: Timestamp,
    pub affected_components: Option<Vec<AffectedComponentJson>>,
    pub deliver_notifications: bool,
    pub custom_tweet: Option<String>,
    pub tweet_id: Option<String>,
}

/// An incident's `status` on the wire: Beacon's public statuses, and
/// Statuspage's `postmortem` once an approved incident report is published
/// on it (SPEC R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatusJson {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Postmortem,
}

impl IncidentStatusJson {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatusJson::Investigating => "investigating",
            IncidentStatusJson::Identified => "identified",
            IncidentStatusJson::Monitoring => "monitoring",
            IncidentStatusJson::Resolved => "resolved",
            IncidentStatusJson::Postmortem => "postmortem",
        }
    }
}

impl std::fmt::Display for IncidentStatusJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<PublicIncidentStatus> for IncidentStatusJson {
    fn from(status: PublicIncidentStatus) -> Self {
        match status {
            PublicIncidentStatus::Investigating => IncidentStatusJson::Investigating,
            PublicIncidentStatus::Identified => IncidentStatusJson::Identified,
            PublicIncidentStatus::Monitoring => IncidentStatusJson::Monitoring,
            PublicIncidentStatus::Resolved => IncidentStatusJson::Resolved,
        }
    }
}

/// An incident's `impact`: Statuspage's values, `maintenance` for
/// scheduled maintenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactJson {
    None,
    Minor,
    Major,
    Critical,
    Maintenance,
}

impl From<Impact> for ImpactJson {
    fn from(impact: Impact) -> Self {
        match impact {
            Impact::None => ImpactJson::None,
            Impact::Minor => ImpactJson::Minor,
            Impact::Major => ImpactJson::Major,
            Impact::Critical => ImpactJson::Critical,
        }
    }
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentJson {
    pub id: String,
    pub name: String,
    /// `postmortem` once a postmortem is published, else the public status.
    pub status: IncidentStatusJson,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub monitoring_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub impact: ImpactJson,
    pub shortlink: String,
    pub started_at: Timestamp,
    pub page_id: String,
    /// Newest first; a published postmortem is an update of its own.
    pub incident_updates: Vec<IncidentUpdateJson<IncidentStatusJson>>,
    pub components: Vec<ComponentJson>,
    /// The approved incident report's customer text (SPEC R5), `null` until published.
    pub postmortem_body: Option<String>,
    pub postmortem_body_last_updated_at: Option<Timestamp>,
    pub postmortem_published_at: Option<Timestamp>,
}

/// A scheduled maintenance: an incident with a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledMaintenanceJson {
    pub id: String,
    pub name: String,
    pub status: MaintenanceStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Always `null`: maintenance has no monitoring phase.
    pub monitoring_at: Option<Timestamp>,
    /// When it was completed.
    pub resolved_at: Option<Timestamp>,
    /// Always `maintenance`.
    pub impact: ImpactJson,
    pub shortlink: String,
    /// The window's start.
    pub started_at: Timestamp,
    pub page_id: String,
    /// Newest first.
    pub incident_updates: Vec<IncidentUpdateJson<MaintenanceStatus>>,
    pub components: Vec<ComponentJson>,
    pub scheduled_for: Timestamp,
    pub scheduled_until: Timestamp,
}

/// `/api/v2/summary.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryResponse {
    pub page: PageJson,
    pub components: Vec<ComponentJson>,
    pub incidents: Vec<IncidentJson>,
    pub scheduled_maintenances: Vec<ScheduledMaintenanceJson>,
    pub status: StatusJson,
}

/// `/api/v2/status.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub page: PageJson,
    pub status: StatusJson,
}

/// `/api/v2/components.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentsResponse {
    pub page: PageJson,
    pub components: Vec<ComponentJson>,
}

/// `/api/v2/incidents.json` and `/api/v2/incidents/unresolved.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentsResponse {
    pub page: PageJson,
    pub incidents: Vec<IncidentJson>,
}

/// `/api/v2/scheduled-maintenances.json` and its `upcoming` and `active` forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledMaintenancesResponse {
    pub page: PageJson,
    pub scheduled_maintenances: Vec<ScheduledMaintenanceJson>,
}

// ---- Building the JSON from the domain ------------------------------------

/// The `page` object.
pub fn page_json(page: &StatusPage) -> PageJson {
    let info = page.info();
    PageJson {
        id: info.id.to_string(),
        name: info.name.to_string(),
        url: info.url.as_str().to_owned(),
        time_zone: info.time_zone.clone(),
        updated_at: page.updated_at(),
    }
}

/// The `status` object.
pub fn status_json(status: PageStatus) -> StatusJson {
    StatusJson {
        indicator: status.indicator,
        description: status.description.as_str().to_owned(),
    }
}

/// One plain component.
pub fn component_json(page: &StatusPage, component: &Component) -> ComponentJson {
    ComponentJson {
        id: component.id.to_string(),
        name: component.name.to_string(),
        status: component.status,
        created_at: component.created_at,
        updated_at: component.updated_at,
        position: component.position,
        description: component.description.clone(),
        showcase: component.showcase,
        start_date: component.start_date.map(format_date),
        group_id: component.group_id.as_ref().map(ToString::to_string),
        page_id: page.info().id.to_string(),
        group: false,
        only_show_if_degraded: component.only_show_if_degraded,
        components: None,
    }
}

/// One group, as Statuspage shows it: a component with its members' ids and
/// the worst of their statuses.
pub fn group_json(page: &StatusPage, group: &ComponentGroup) -> ComponentJson {
    ComponentJson {
        id: group.id.to_string(),
        name: group.name.to_string(),
        status: page.group_status(&group.id),
        created_at: group.created_at,
        updated_at: group.updated_at,
        position: group.position,
        description: group.description.clone(),
        showcase: false,
        start_date: None,
        group_id: None,
        page_id: page.info().id.to_string(),
        group: true,
        only_show_if_degraded: false,
        components: Some(
            page.members(&group.id)
                .iter()
                .map(|c| c.id.to_string())
                .collect(),
        ),
    }
}

/// Every group and component: top-level entries by position, each group
/// followed by its members.
pub fn component_list(page: &StatusPage) -> Vec<ComponentJson> {
    enum Top<'a> {
        Group(&'a ComponentGroup),
        Plain(&'a Component),
    }
    let mut top: Vec<(u32, Top)> = page
        .groups()
        .iter()
        .map(|g| (g.position, Top::Group(g)))
        .chain(
            page.components()
                .iter()
                .filter(|c| c.group_id.is_none())
                .map(|c| (c.position, Top::Plain(c))),
        )
        .collect();
    top.sort_by_key(|(position, _)| *position);
    let mut list = Vec::new();
    for (_, entry) in top {
        match entry {
            Top::Group(group) => {
                list.push(group_json(page, group));
                list.extend(
                    page.members(&group.id)
                        .into_iter()
                        .map(|c| component_json(page, c)),
                );
            }
            Top::Plain(component) => list.push(component_json(page, component)),
        }
    }
    list
}

fn shortlink(page: &StatusPage, id: &str) -> String {
    format!(
        "{}/incidents/{id}",
        page.info().url.as_str().trim_end_matches('/')
    )
}

fn updates_json<S: Copy>(
    page: &StatusPage,
    incident_id: &str,
    updates: &[PublicUpdate<S>],
) -> Vec<IncidentUpdateJson<S>> {
    updates
        .iter()
        .rev()
        .map(|update| {
            let affected: Vec<AffectedComponentJson> = update
                .affected
                .iter()
                .map(|change| AffectedComponentJson {
                    code: change.component.to_string(),
                    name: page
                        .component(&change.component)
                        .map_or_else(|| change.component.to_string(), |c| c.name.to_string()),
                    old_status: change.old_status,
                    new_status: change.new_status,
                })
                .collect();
            IncidentUpdateJson {
                id: update.id.to_string(),
                status: update.status,
                body: update.body.as_str().to_owned(),
                incident_id: incident_id.to_owned(),
                created_at: update.at,
                updated_at: update.at,
                display_at: update.at,
                affected_components: (!affected.is_empty()).then_some(affected),
                deliver_notifications: true,
                custom_tweet: None,
                tweet_id: None,
            }
        })
        .collect()
}

fn affected_json<'a>(
    page: &StatusPage,
    ids: impl IntoIterator<Item = &'a crate::status_page::ComponentId>,
) -> Vec<ComponentJson> {
    page.components_of(ids)
        .into_iter()
        .map(|c| component_json(page, c))
        .collect()
}

/// One incident.
pub fn incident_json(page: &StatusPage, incident: &PublicIncident) -> IncidentJson {
    let id = incident.id().to_string();
    let postmortem = incident.postmortem();
    let mut updates: Vec<IncidentUpdateJson<IncidentStatusJson>> = postmortem
        .map(|p| IncidentUpdateJson {
            id: format!("{id}-postmortem"),
            status: IncidentStatusJson::Postmortem,
            body: p.body.clone(),
            incident_id: id.clone(),
            created_at: p.published_at,
            updated_at: p.body_updated_at,
            display_at: p.body_updated_at,
            affected_components: None,
            deliver_notifications: true,
            custom_tweet: None,
            tweet_id: None,
        })
        .into_iter()
        .collect();
    updates.extend(
        updates_json(page, &id, incident.updates())
            .into_iter()
            .map(|update| IncidentUpdateJson {
                status: update.status.into(),
                id: update.id,
                body: update.body,
                incident_id: update.incident_id,
                created_at: update.created_at,
                updated_at: update.updated_at,
                display_at: update.display_at,
                affected_components: update.affected_components,
                deliver_notifications: update.deliver_notifications,
                custom_tweet: update.custom_tweet,
                tweet_id: update.tweet_id,
            }),
    );
    IncidentJson {
        name: incident.name().to_string(),
        status: match postmortem {
            Some(_) => IncidentStatusJson::Postmortem,
            None => incident.status().into(),
        },
        created_at: incident.created_at(),
        updated_at: incident.updated_at(),
        monitoring_at: incident.monitoring_at(),
        resolved_at: incident.resolved_at(),
        impact: incident.impact().into(),
        shortlink: shortlink(page, &id),
        started_at: incident.started_at(),
        page_id: page.info().id.to_string(),
        incident_updates: updates,
        components: affected_json(page, incident.components()),
        postmortem_body: incident.postmortem().map(|p| p.body.clone()),
        postmortem_body_last_updated_at: incident.postmortem().map(|p| p.body_updated_at),
        postmortem_published_at: incident.postmortem().map(|p| p.published_at),
        id,
    }
}

/// One scheduled maintenance.
pub fn maintenance_json(
    page: &StatusPage,
    maintenance: &ScheduledMaintenance,
) -> ScheduledMaintenanceJson {
    let id = maintenance.id().to_string();
    let window = maintenance.window();
    ScheduledMaintenanceJson {
        name: maintenance.name().to_string(),
        status: maintenance.status(),
        created_at: maintenance.created_at(),
        updated_at: maintenance.updated_at(),
        monitoring_at: None,
        resolved_at: maintenance.completed_at(),
        impact: ImpactJson::Maintenance,
        shortlink: shortlink(page, &id),
        started_at: window.start(),
        page_id: page.info().id.to_string(),
        incident_updates: updates_json(page, &id, maintenance.updates()),
        components: affected_json(page, maintenance.components()),
        scheduled_for: window.start(),
        scheduled_until: window.end(),
        id,
    }
}

fn incident_list<'a>(
    page: &StatusPage,
    chosen: impl Iterator<Item = &'a PublicIncident>,
) -> IncidentsResponse {
    let mut chosen: Vec<&PublicIncident> = chosen.collect();
    chosen.sort_by_key(|i| std::cmp::Reverse((i.started_at(), i.created_at())));
    IncidentsResponse {
        page: page_json(page),
        incidents: chosen
            .into_iter()
            .take(LIST_LIMIT)
            .map(|i| incident_json(page, i))
            .collect(),
    }
}

fn maintenance_list<'a>(
    page: &StatusPage,
    chosen: impl Iterator<Item = &'a ScheduledMaintenance>,
    newest_first: bool,
) -> Vec<ScheduledMaintenanceJson> {
    let mut chosen: Vec<&ScheduledMaintenance> = chosen.collect();
    chosen.sort_by_key(|m| m.window().start());
    if newest_first {
        chosen.reverse();
    }
    chosen
        .into_iter()
        .take(LIST_LIMIT)
        .map(|m| maintenance_json(page, m))
        .collect()
}

/// `/api/v2/summary.json`: page, every component, unresolved incidents
/// (most recent first), upcoming and active maintenance (soonest first),
/// and the page status.
pub fn summary(page: &StatusPage) -> SummaryResponse {
    SummaryResponse {
        page: page_json(page),
        components: component_list(page),
        incidents: unresolved_incidents(page).incidents,
        scheduled_maintenances: maintenance_list(
            page,
            page.maintenances()
                .iter()
                .filter(|m| m.status() != MaintenanceStatus::Completed),
            false,
        ),
        status: status_json(page.status()),
    }
}

/// `/api/v2/status.json`.
pub fn status(page: &StatusPage) -> StatusResponse {
    StatusResponse {
        page: page_json(page),
        status: status_json(page.status()),
    }
}

/// `/api/v2/components.json`.
pub fn components(page: &StatusPage) -> ComponentsResponse {
    ComponentsResponse {
        page: page_json(page),
        components: component_list(page),
    }
}

/// `/api/v2/incidents.json`: the 50 most recent incidents, resolved or not.
pub fn incidents(page: &StatusPage) -> IncidentsResponse {
    incident_list(page, page.incidents().iter())
}

/// `/api/v2/incidents/unresolved.json`.
pub fn unresolved_incidents(page: &StatusPage) -> IncidentsResponse {
    incident_list(page, page.incidents().iter().filter(|i| i.is_unresolved()))
}

/// `/api/v2/scheduled-maintenances.json`: the 50 most recent, by window
/// start, newest first.
pub fn scheduled_maintenances(page: &StatusPage) -> ScheduledMaintenancesResponse {
    ScheduledMaintenancesResponse {
        page: page_json(page),
        scheduled_maintenances: maintenance_list(page, page.maintenances().iter(), true),
    }
}

/// `/api/v2/scheduled-maintenances/upcoming.json`: status `scheduled`,
/// soonest first.
pub fn upcoming_maintenances(page: &StatusPage) -> ScheduledMaintenancesResponse {
    ScheduledMaintenancesResponse {
        page: page_json(page),
        scheduled_maintenances: maintenance_list(
            page,
            page.maintenances().iter().filter(|m| m.is_upcoming()),
            false,
        ),
    }
}

/// `/api/v2/scheduled-maintenances/active.json`: status `in_progress` or
/// `verifying`, soonest first.
pub fn active_maintenances(page: &StatusPage) -> ScheduledMaintenancesResponse {
    ScheduledMaintenancesResponse {
        page: page_json(page),
        scheduled_maintenances: maintenance_list(
            page,
            page.maintenances().iter().filter(|m| m.is_active()),
            false,
        ),
    }
}
