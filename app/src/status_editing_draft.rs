//! The status-page forms' raw values (SPEC M1-M5) and their conversion into
//! the requests of `beacon_shared::status_editing`.
//!
//! The forms keep what customer support chose or typed; the functions here
//! turn that into the wire types and render the text a template will
//! publish, with the same `beacon_shared` code the edge runs.

use crate::pages::alert_queue::parse_incident_number;
pub use crate::triage_draft::parse_utc_datetime_local;
use beacon_shared::category::Category;
use beacon_shared::status_editing::{
    ComponentUpdate, NewMaintenance, NewMaintenanceUpdate, NewPublicIncident, NewPublicUpdate,
    UpdateText,
};
use beacon_shared::status_page::{
    Component, ComponentId, ComponentStatus, Impact, MaintenanceStatus, MaintenanceWindow,
    MessageTemplate, PublicIncidentStatus, UpdateBody,
};
use beacon_shared::statuspage_wire::ImpactJson;
use beacon_shared::triage::Title;
use beacon_shared::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A form value the request cannot use, named by the request's field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: &'static str,
    pub message: String,
}

impl FormError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The K1 categories that may still become components: not on the page yet
/// (letter case aside) and not *Security*, which the public page never shows.
pub fn available_categories(categories: &[String], components: &[Component]) -> Vec<Category> {
    categories
        .iter()
        .filter_map(|name| Category::parse(name).ok())
        .filter(|category| !category.is_security())
        .filter(|category| !components.iter().any(|c| c.name.same_as(category)))
        .collect()
}

/// The category the add button adds: the one chosen if still available,
/// otherwise the first available.
pub fn category_to_add(available: &[Category], chosen: &str) -> Option<Category> {
    available
        .iter()
        .find(|category| category.as_str() == chosen)
        .or_else(|| available.first())
        .cloned()
}

/// How an incident's impact reads in the preview (`major`, `maintenance`).
pub fn published_impact(impact: ImpactJson) -> &'static str {
    match impact {
        ImpactJson::None => "none",
        ImpactJson::Minor => "minor",
        ImpactJson::Major => "major",
        ImpactJson::Critical => "critical",
        ImpactJson::Maintenance => "maintenance",
    }
}

// ---- Labels ------------------------------------------------------------------

/// The component statuses in the order Statuspage's editor lists them.
pub const COMPONENT_STATUS_CHOICES: [ComponentStatus; 5] = [
    ComponentStatus::Operational,
    ComponentStatus::DegradedPerformance,
    ComponentStatus::PartialOutage,
    ComponentStatus::MajorOutage,
    ComponentStatus::UnderMaintenance,
];

/// The statuses a maintenance update may move to.
pub const MAINTENANCE_UPDATE_CHOICES: [MaintenanceStatus; 3] = [
    MaintenanceStatus::InProgress,
    MaintenanceStatus::Verifying,
    MaintenanceStatus::Completed,
];

// ---- Templates -----------------------------------------------------------------

/// What the text select offers: a CSUP template (M2) or written text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextChoice {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Written,
}

impl TextChoice {
    pub const ALL: [TextChoice; 5] = [
        TextChoice::Investigating,
        TextChoice::Identified,
        TextChoice::Monitoring,
        TextChoice::Resolved,
        TextChoice::Written,
    ];

    /// The option's value, the template's name or `written`.
    pub fn value(self) -> &'static str {
        match self {
            TextChoice::Investigating => "investigating",
            TextChoice::Identified => "identified",
            TextChoice::Monitoring => "monitoring",
            TextChoice::Resolved => "resolved",
            TextChoice::Written => "written",
        }
    }

    /// The option's text.
    pub fn label(self) -> &'static str {
        match self {
            TextChoice::Investigating => "Investigating: problems noticed",
            TextChoice::Identified => "Identified: cause found, fix in progress",
            TextChoice::Monitoring => "Monitoring: fix applied",
            TextChoice::Resolved => "Resolved: working normally again",
            TextChoice::Written => "Written: my own text",
        }
    }

    /// The choice an option value names.
    pub fn from_value(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|choice| choice.value() == value)
    }

    /// The template with its instant filled with `now`; `None` for written text.
    pub fn template(self, now: Timestamp) -> Option<MessageTemplate> {
        match self {
            TextChoice::Investigating => Some(MessageTemplate::Investigating { since: now }),
            TextChoice::Identified => Some(MessageTemplate::Identified),
            TextChoice::Monitoring => Some(MessageTemplate::Monitoring { fixed_at: now }),
            TextChoice::Resolved => Some(MessageTemplate::Resolved { resolved_at: now }),
            TextChoice::Written => None,
        }
    }

    /// The incident status this template speaks of; `None` for written text.
    pub fn status(self) -> Option<PublicIncidentStatus> {
        match self {
            TextChoice::Investigating => Some(PublicIncidentStatus::Investigating),
            TextChoice::Identified => Some(PublicIncidentStatus::Identified),
            TextChoice::Monitoring => Some(PublicIncidentStatus::Monitoring),
            TextChoice::Resolved => Some(PublicIncidentStatus::Resolved),
            TextChoice::Written => None,
        }
    }
}

// ---- One public message: status, text and components -----------------------------

/// The part shared by a new public incident and an update: the status, the
/// text and the components whose status changes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDraft {
    pub status: PublicIncidentStatus,
    pub text: TextChoice,
    /// Written text; used only with [`TextChoice::Written`].
    pub body: String,
    /// The components chosen in the "affected" selects; absent = unchanged.
    pub affected: BTreeMap<ComponentId, ComponentStatus>,
    /// For an update: the components the incident already affects, which a
    /// template names when the update changes none (as the edge does).
    pub incident_components: Vec<ComponentId>,
}

impl MessageDraft {
    pub fn new(status: PublicIncidentStatus, text: TextChoice) -> Self {
        Self {
            status,
            text,
            body: String::new(),
            affected: BTreeMap::new(),
            incident_components: Vec::new(),
        }
    }

    /// A draft for the next update of an incident that affects `components`.
    pub fn for_update(
        status: PublicIncidentStatus,
        text: TextChoice,
        components: Vec<ComponentId>,
    ) -> Self {
        Self {
            incident_components: components,
            ..Self::new(status, text)
        }
    }

    /// Sets (or with `None` clears) a component's new status.
    pub fn set_affected(&mut self, id: ComponentId, status: Option<ComponentStatus>) {
        match status {
            Some(status) => self.affected.insert(id, status),
            None => self.affected.remove(&id),
        };
    }

    /// Picks a template or written text; a template also sets the status it
    /// speaks of (the status can still be changed afterwards).
    pub fn choose_text(&mut self, choice: TextChoice) {
        self.text = choice;
        if let Some(status) = choice.status() {
            self.status = status;
        }
    }

    /// Written text typed in: from now on the message is written, not a template.
    pub fn write(&mut self, body: String) {
        if !body.trim().is_empty() {
            self.text = TextChoice::Written;
        }
        self.body = body;
    }

    /// The affected components in the page's order, as the request lists them.
    pub fn component_updates(&self, components: &[Component]) -> Vec<ComponentUpdate> {
        components
            .iter()
            .filter_map(|c| {
                self.affected.get(&c.id).map(|status| ComponentUpdate {
                    id: c.id.clone(),
                    status: *status,
                })
            })
            .collect()
    }

    /// The affected components' names in the page's order: what a template
    /// names. An update that changes none names the incident's components.
    pub fn affected_names(&self, components: &[Component]) -> Vec<Category> {
        let named = |c: &&Component| {
            if self.affected.is_empty() {
                self.incident_components.contains(&c.id)
            } else {
                self.affected.contains_key(&c.id)
            }
        };
        components
            .iter()
            .filter(named)
            .map(|c| c.name.clone())
            .collect()
    }

    /// The text the chosen template will publish; `None` for written text.
    pub fn template_text(&self, components: &[Component], now: Timestamp) -> Option<String> {
        self.text
            .template(now)
            .map(|template| template.render(&self.affected_names(components)))
    }

    /// True when the template speaks of another status than the one chosen.
    pub fn template_disagrees_with_status(&self) -> bool {
        self.text
            .status()
            .is_some_and(|spoken| spoken != self.status)
    }

    /// The text as the request carries it.
    pub fn update_text(&self, now: Timestamp) -> Result<UpdateText, FormError> {
        match self.text.template(now) {
            Some(template) => Ok(UpdateText::Template { template }),
            None => UpdateBody::parse(&self.body)
                .map(|body| UpdateText::Written { body })
                .map_err(|e| FormError::new("body", e.to_string())),
        }
    }

    /// `POST /api/status/incidents/{id}/updates`
    pub fn to_update(
        &self,
        components: &[Component],
        now: Timestamp,
        preview: bool,
    ) -> Result<NewPublicUpdate, FormError> {
        Ok(NewPublicUpdate {
            status: self.status,
            text: self.update_text(now)?,
            components: self.component_updates(components),
            preview,
        })
    }
}

/// The new public incident's own fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFields {
    /// The internal ticket's number, `42` or `#42`.
    pub from_incident: String,
    /// Overrides the ticket's title when not blank.
    pub name: String,
    /// Overrides the impact of the ticket's priority.
    pub impact: Option<Impact>,
}

/// `POST /api/status/incidents` from the form.
pub fn new_public_incident(
    ticket: &TicketFields,
    message: &MessageDraft,
    components: &[Component],
    now: Timestamp,
    preview: bool,
) -> Result<NewPublicIncident, FormError> {
    let name = optional_title(&ticket.name)?;
    let from_incident = ticket_number(&ticket.from_incident)?;
    if from_incident.is_none() && name.is_none() {
        return Err(FormError::new(
            "from_incident",
            "type the internal ticket's number (or give the incident a name)",
        ));
    }
    Ok(NewPublicIncident {
        from_incident,
        name,
        impact: ticket.impact,
        status: message.status,
        text: message.update_text(now)?,
        components: message.component_updates(components),
        preview,
    })
}

fn ticket_number(typed: &str) -> Result<Option<i64>, FormError> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    parse_incident_number(typed).map(Some).ok_or_else(|| {
        FormError::new(
            "from_incident",
            format!("`{}` is not a ticket number", typed.trim()),
        )
    })
}

fn optional_title(typed: &str) -> Result<Option<Title>, FormError> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    Title::parse(typed)
        .map(Some)
        .map_err(|e| FormError::new("name", e.to_string()))
}

fn optional_body(typed: &str) -> Result<Option<UpdateBody>, FormError> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    UpdateBody::parse(typed)
        .map(Some)
        .map_err(|e| FormError::new("body", e.to_string()))
}

// ---- Maintenance -----------------------------------------------------------------

/// The maintenance form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceDraft {
    pub name: String,
    /// `datetime-local` values, read as UTC.
    pub start: String,
    pub end: String,
    pub components: BTreeSet<ComponentId>,
    /// Written text; without it the maintenance template is used.
    pub body: String,
}

impl MaintenanceDraft {
    /// Ticks or unticks a component.
    pub fn set_component(&mut self, id: ComponentId, touched: bool) {
        if touched {
            self.components.insert(id);
        } else {
            self.components.remove(&id);
        }
    }

    /// The window typed, if both ends are there and in order.
    pub fn window(&self) -> Result<MaintenanceWindow, FormError> {
        let start = parse_utc_datetime_local(&self.start)
            .ok_or_else(|| FormError::new("scheduled_for", "pick the start date and time (UTC)"))?;
        let end = parse_utc_datetime_local(&self.end)
            .ok_or_else(|| FormError::new("scheduled_until", "pick the end date and time (UTC)"))?;
        MaintenanceWindow::new(start, end)
            .map_err(|_| FormError::new("scheduled_until", "the end must come after the start"))
    }

    /// The ticked components' names in the page's order.
    pub fn component_names(&self, components: &[Component]) -> Vec<Category> {
        components
            .iter()
            .filter(|c| self.components.contains(&c.id))
            .map(|c| c.name.clone())
            .collect()
    }

    /// The announcement the template will publish when no text is written.
    pub fn template_text(&self, components: &[Component]) -> Option<String> {
        if !self.body.trim().is_empty() {
            return None;
        }
        let window = self.window().ok()?;
        Some(MessageTemplate::Maintenance { window }.render(&self.component_names(components)))
    }

    /// `POST /api/status/maintenances`
    pub fn to_request(
        &self,
        components: &[Component],
        preview: bool,
    ) -> Result<NewMaintenance, FormError> {
        let name = Title::parse(&self.name).map_err(|e| FormError::new("name", e.to_string()))?;
        let window = self.window()?;
        Ok(NewMaintenance {
            name,
            scheduled_for: window.start(),
            scheduled_until: window.end(),
            components: components
                .iter()
                .filter(|c| self.components.contains(&c.id))
                .map(|c| c.id.clone())
                .collect(),
            body: optional_body(&self.body)?,
            preview,
        })
    }
}

/// The status a maintenance update most likely moves to next.
pub fn next_maintenance_status(current: MaintenanceStatus) -> MaintenanceStatus {
    match current {
        MaintenanceStatus::Scheduled => MaintenanceStatus::InProgress,
        MaintenanceStatus::InProgress => MaintenanceStatus::Verifying,
        MaintenanceStatus::Verifying | MaintenanceStatus::Completed => MaintenanceStatus::Completed,
    }
}

/// `POST /api/status/maintenances/{id}/updates`; without written text the
/// status's standard text is used.
pub fn maintenance_update(
    status: MaintenanceStatus,
    body: &str,
) -> Result<NewMaintenanceUpdate, FormError> {
    Ok(NewMaintenanceUpdate {
        status,
        body: optional_body(body)?,
        preview: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(id: &str, name: &str) -> Component {
        Component {
            id: ComponentId::parse(id).unwrap(),
            name: Category::parse(name).unwrap(),
            description: None,
            status: ComponentStatus::Operational,
            position: 0,
            group_id: None,
            showcase: true,
            only_show_if_degraded: false,
            start_date: None,
            created_at: Timestamp::from_unix_millis(0),
            updated_at: Timestamp::from_unix_millis(0),
        }
    }

    fn page_components() -> Vec<Component> {
        vec![
            component("web", "Web application"),
            component("api", "API"),
            component("pay", "Payments"),
        ]
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn id(text: &str) -> ComponentId {
        ComponentId::parse(text).unwrap()
    }

    /// SPEC K1, K3: categories already on the page and Security are not offered.
    #[test]
    fn only_new_public_categories_may_be_added() {
        let categories: Vec<String> = ["Web application", "api", "Security", "Mobile app", " "]
            .map(String::from)
            .to_vec();
        let available = available_categories(&categories, &page_components());
        let names: Vec<&str> = available.iter().map(Category::as_str).collect();
        assert_eq!(names, ["Mobile app"]);
        assert_eq!(
            category_to_add(&available, "gone").unwrap().as_str(),
            "Mobile app"
        );
        assert_eq!(category_to_add(&[], ""), None);
    }

    #[test]
    fn text_choices_round_trip_through_their_values() {
        for choice in TextChoice::ALL {
            assert_eq!(TextChoice::from_value(choice.value()), Some(choice));
        }
        assert_eq!(TextChoice::from_value("maintenance"), None);
    }

    /// SPEC M2: the request carries the template, filled with now; the page's
    /// order decides the order of the components.
    #[test]
    fn a_new_incident_from_a_ticket_with_a_template() {
        let now = at("2026-11-23T03:12:00Z");
        let mut message = MessageDraft::new(
            PublicIncidentStatus::Investigating,
            TextChoice::Investigating,
        );
        message.set_affected(id("pay"), Some(ComponentStatus::MajorOutage));
        message.set_affected(id("web"), Some(ComponentStatus::PartialOutage));
        message.set_affected(id("api"), Some(ComponentStatus::DegradedPerformance));
        message.set_affected(id("api"), None);
        let ticket = TicketFields {
            from_incident: " #42 ".into(),
            ..TicketFields::default()
        };
        let request =
            new_public_incident(&ticket, &message, &page_components(), now, true).unwrap();
        assert_eq!(request.from_incident, Some(42));
        assert_eq!(request.name, None);
        assert_eq!(request.impact, None);
        assert!(request.preview);
        assert_eq!(
            request.text,
            UpdateText::Template {
                template: MessageTemplate::Investigating { since: now }
            }
        );
        let ids: Vec<&str> = request.components.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["web", "pay"]);
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["template"]["template"], "investigating");
        assert_eq!(json["template"]["since"], "2026-11-23T03:12:00Z");
        assert_eq!(json["components"][1]["status"], "major_outage");
        assert_eq!(
            message.template_text(&page_components(), now).unwrap(),
            "We are investigating problems with Web application and Payments since \
             2026-11-23 03:12 UTC. We will post an update as soon as we know more."
        );
    }

    /// SPEC M2: an update that changes no component names the incident's
    /// components in its template, as the edge does; one that changes some
    /// names those.
    #[test]
    fn an_update_template_names_the_incidents_components_unless_it_changes_some() {
        let now = at("2026-11-23T03:12:00Z");
        let mut message = MessageDraft::for_update(
            PublicIncidentStatus::Identified,
            TextChoice::Identified,
            vec![id("pay")],
        );
        assert_eq!(
            message.template_text(&page_components(), now).unwrap(),
            "We have identified the cause of the problems with Payments and are working on a fix."
        );
        message.set_affected(id("web"), Some(ComponentStatus::PartialOutage));
        assert!(message
            .template_text(&page_components(), now)
            .unwrap()
            .contains("problems with Web application and"));
    }

    #[test]
    fn a_new_incident_needs_a_ticket_or_a_name_and_valid_text() {
        let now = at("2026-11-23T03:12:00Z");
        let message = MessageDraft::new(PublicIncidentStatus::Identified, TextChoice::Written);
        let nothing = new_public_incident(
            &TicketFields::default(),
            &message,
            &page_components(),
            now,
            false,
        );
        assert_eq!(nothing.unwrap_err().field, "from_incident");
        let words = TicketFields {
            from_incident: "forty-two".into(),
            ..TicketFields::default()
        };
        let err = new_public_incident(&words, &message, &page_components(), now, false);
        assert_eq!(err.unwrap_err().field, "from_incident");
        let named = TicketFields {
            name: "Login failures".into(),
            impact: Some(Impact::Major),
            ..TicketFields::default()
        };
        let empty_body = new_public_incident(&named, &message, &page_components(), now, false);
        assert_eq!(empty_body.unwrap_err().field, "body");
        let mut written = message.clone();
        written.write("  We found it.  ".into());
        let request =
            new_public_incident(&named, &written, &page_components(), now, false).unwrap();
        assert_eq!(request.from_incident, None);
        assert_eq!(request.impact, Some(Impact::Major));
        assert_eq!(request.name.unwrap().as_str(), "Login failures");
        let json = serde_json::to_value(&request.text).unwrap();
        assert_eq!(json, serde_json::json!({"body": "We found it."}));
    }

    #[test]
    fn typing_text_switches_to_written_and_an_update_keeps_it() {
        let now = at("2026-11-23T03:12:00Z");
        let mut message =
            MessageDraft::new(PublicIncidentStatus::Monitoring, TextChoice::Monitoring);
        assert!(!message.template_disagrees_with_status());
        message.write("   ".into());
        assert_eq!(message.text, TextChoice::Monitoring);
        message.write("Payments are back.".into());
        assert_eq!(message.text, TextChoice::Written);
        assert_eq!(message.template_text(&page_components(), now), None);
        let update = message.to_update(&page_components(), now, false).unwrap();
        assert_eq!(update.status, PublicIncidentStatus::Monitoring);
        assert!(update.components.is_empty());
        message.choose_text(TextChoice::Resolved);
        assert_eq!(message.status, PublicIncidentStatus::Resolved);
        message.status = PublicIncidentStatus::Monitoring;
        assert!(message.template_disagrees_with_status());
        assert!(message
            .template_text(&page_components(), now)
            .unwrap()
            .contains("some of our services"));
    }

    #[test]
    fn datetime_local_is_read_as_utc() {
        assert_eq!(
            parse_utc_datetime_local("2026-11-23T03:12"),
            Some(at("2026-11-23T03:12:00Z"))
        );
        assert_eq!(
            parse_utc_datetime_local("2026-11-23T03:12:30"),
            Some(at("2026-11-23T03:12:30Z"))
        );
        assert_eq!(parse_utc_datetime_local(""), None);
        assert_eq!(parse_utc_datetime_local("tomorrow"), None);
    }

    /// SPEC M5: the window is checked before sending, the template names
    /// the ticked components, written text replaces it.
    #[test]
    fn a_maintenance_from_the_form() {
        let mut draft = MaintenanceDraft {
            name: "Database upgrade".into(),
            start: "2026-11-24T02:00".into(),
            end: "2026-11-24T01:00".into(),
            ..MaintenanceDraft::default()
        };
        draft.set_component(id("pay"), true);
        draft.set_component(id("api"), true);
        draft.set_component(id("web"), true);
        draft.set_component(id("web"), false);
        assert_eq!(
            draft
                .to_request(&page_components(), false)
                .unwrap_err()
                .field,
            "scheduled_until"
        );
        assert_eq!(draft.template_text(&page_components()), None);
        draft.end = "2026-11-24T04:00".into();
        let request = draft.to_request(&page_components(), false).unwrap();
        assert_eq!(request.scheduled_for, at("2026-11-24T02:00:00Z"));
        assert_eq!(request.scheduled_until, at("2026-11-24T04:00:00Z"));
        let ids: Vec<&str> = request.components.iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, ["api", "pay"]);
        assert_eq!(request.body, None);
        assert_eq!(
            draft.template_text(&page_components()).unwrap(),
            "We will carry out scheduled maintenance on API and Payments from \
             2026-11-24 02:00 UTC to 2026-11-24 04:00 UTC. \
             During this time the service may be unavailable."
        );
        draft.body = "Short downtime.".into();
        assert_eq!(draft.template_text(&page_components()), None);
        assert!(draft
            .to_request(&page_components(), false)
            .unwrap()
            .body
            .is_some());
        draft.name = " ".into();
        assert_eq!(
            draft
                .to_request(&page_components(), false)
                .unwrap_err()
                .field,
            "name"
        );
    }

    #[test]
    fn maintenance_moves_forward_by_default() {
        assert_eq!(
            next_maintenance_status(MaintenanceStatus::Scheduled),
            MaintenanceStatus::InProgress
        );
        assert_eq!(
            next_maintenance_status(MaintenanceStatus::Verifying),
            MaintenanceStatus::Completed
        );
        let update = maintenance_update(MaintenanceStatus::Completed, " ").unwrap();
        assert_eq!(update.body, None);
        assert!(!update.preview);
    }
}
