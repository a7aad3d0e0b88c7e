//! Wire types of customer support's status-page API (`/api/status/*`, SPEC
//! M1-M5): the requests the app sends and the worker decodes, and what the
//! worker answers. The public, Statuspage-compatible JSON is in
//! [`crate::statuspage_wire`].

use crate::category::Category;
use crate::status_page::{
    ComponentId, ComponentStatus, Impact, MaintenanceStatus, MessageTemplate, PublicIncidentStatus,
    UpdateBody,
};
use crate::statuspage_wire::{IncidentJson, ScheduledMaintenanceJson};
use crate::timestamp::Timestamp;
use crate::triage::Title;
use serde::{Deserialize, Serialize};

/// `POST /api/status/components`: a category of K1 becomes a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStatusComponent {
    pub name: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// Show the 90-day uptime bars (default yes).
    #[serde(default = "yes")]
    pub showcase: bool,
    #[serde(default)]
    pub only_show_if_degraded: bool,
}

fn yes() -> bool {
    true
}

/// `PUT /api/status/components/{id}`: how a component is shown. Absent
/// fields stay as they are; `"group_id": null` takes it out of its group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "present_or_null"
    )]
    pub group_id: Option<Option<ComponentId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub showcase: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_show_if_degraded: Option<bool>,
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
mod present_or_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// `POST /api/status/groups`: a heading over components.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComponentGroup {
    pub name: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
}

/// `PUT /api/status/components/{id}/status`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentStatusChange {
    pub status: ComponentStatus,
}

/// What a public update says: written text, or a CSUP template (M2) that
/// the edge fills in with the affected components' names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UpdateText {
    Written { body: UpdateBody },
    Template { template: MessageTemplate },
}

/// A component's new status, published with an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentUpdate {
    pub id: ComponentId,
    pub status: ComponentStatus,
}

/// `POST /api/status/incidents`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPublicIncident {
    /// The internal incident it reports on: its title and its priority's
    /// impact are the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_incident: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Title>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
    #[serde(default = "investigating")]
    pub status: PublicIncidentStatus,
    #[serde(flatten)]
    pub text: UpdateText,
    #[serde(default)]
    pub components: Vec<ComponentUpdate>,
    /// Only show what would be published.
    #[serde(default)]
    pub preview: bool,
}

fn investigating() -> PublicIncidentStatus {
    PublicIncidentStatus::Investigating
}

/// `POST /api/status/incidents/{id}/updates`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPublicUpdate {
    pub status: PublicIncidentStatus,
    #[serde(flatten)]
    pub text: UpdateText,
    #[serde(default)]
    pub components: Vec<ComponentUpdate>,
    #[serde(default)]
    pub preview: bool,
}

/// The answer to a public incident or update: the incident as the public
/// JSON shows it, and whether it was published (`false` for a preview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedIncident {
    pub published: bool,
    pub incident: IncidentJson,
}

/// `POST /api/status/maintenances`: planned work (M5) announced with its
/// window and the components it touches. Without a body, the maintenance
/// template is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenance {
    pub name: Title,
    pub scheduled_for: Timestamp,
    pub scheduled_until: Timestamp,
    #[serde(default)]
    pub components: Vec<ComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<UpdateBody>,
    #[serde(default)]
    pub preview: bool,
}

/// `POST /api/status/maintenances/{id}/updates`: `in_progress` puts its
/// components under maintenance, `completed` makes them operational again.
/// Without a body, the status's standard text is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenanceUpdate {
    pub status: MaintenanceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<UpdateBody>,
    #[serde(default)]
    pub preview: bool,
}

/// The answer to a maintenance or its update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedMaintenance {
    pub published: bool,
    pub scheduled_maintenance: ScheduledMaintenanceJson,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_id_null_differs_from_absent() {
        let absent: ComponentSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.group_id, None);
        let null: ComponentSettings = serde_json::from_str(r#"{"group_id": null}"#).unwrap();
        assert_eq!(null.group_id, Some(None));
        let set: ComponentSettings = serde_json::from_str(r#"{"group_id": "abc"}"#).unwrap();
        assert_eq!(set.group_id, Some(Some(ComponentId::parse("abc").unwrap())));
    }

    #[test]
    fn a_template_update_reads_as_a_template() {
        let update: NewPublicUpdate = serde_json::from_str(
            r#"{"status": "identified", "template": {"template": "identified"}}"#,
        )
        .unwrap();
        assert_eq!(
            update.text,
            UpdateText::Template {
                template: MessageTemplate::Identified
            }
        );
    }
}
