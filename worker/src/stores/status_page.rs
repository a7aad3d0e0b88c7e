//! The status page store (SPEC M1-M5, L2): the page's components, groups,
//! public incidents and scheduled maintenance, and each component's status
//! history. Every write is one atomic unit with its history rows, its audit
//! record and (for a public incident) the note on the internal ticket.

use super::{NewAuditRecord, StoreError};
use crate::auth::Actor;
use beacon_shared::service_level::StatusChange;
use beacon_shared::status_page::{
    Component, ComponentGroup, ComponentId, PublicIncident, ScheduledMaintenance,
};
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::Timestamp;

/// Everything on the page as stored; the page's own facts (name, address)
/// are not stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageContents {
    /// By position, then id.
    pub groups: Vec<ComponentGroup>,
    /// By position, then id.
    pub components: Vec<Component>,
    /// Newest first.
    pub incidents: Vec<PublicIncident>,
    /// Newest first.
    pub maintenances: Vec<ScheduledMaintenance>,
}

/// Which stored version of an entry a value was read from: a guarded write
/// names the revision it replaces and writes nothing if that is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision(pub String);

/// A stored entry with the revision it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Revised<T> {
    pub value: T,
    pub revision: Revision,
}

/// A stored public incident, with the internal ticket it was published from.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPublicIncident {
    pub incident: Revised<PublicIncident>,
    pub internal_incident: Option<i64>,
}

/// One recorded status of one component (L2).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedStatus {
    pub component: ComponentId,
    pub change: StatusChange,
}

/// The components' status history from an instant on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusLog {
    /// Each component's last recorded status before the instant, if any.
    pub last_before: Vec<RecordedStatus>,
    /// Every status recorded from the instant on, by component, then time.
    pub since: Vec<RecordedStatus>,
}

/// Who changes the page, when, and what the audit log says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageAudit<'a> {
    pub actor: &'a Actor,
    pub at: Timestamp,
    pub record: NewAuditRecord,
}

/// A component's new state, replacing the revision it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentReplacement<'a> {
    pub replaces: Revision,
    pub component: Component,
    /// Also record its status at its `updated_at` in the history (L2).
    pub keep_in_history: bool,
    pub audit: PageAudit<'a>,
}

/// A public incident or maintenance being published, new (`replaces` is
/// `None`) or updated, with the components whose status it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication<'a, T> {
    pub entry: T,
    pub replaces: Option<Revision>,
    /// The components as they become; each is also recorded in the history.
    pub changed_components: Vec<Component>,
    pub audit: PageAudit<'a>,
}

/// The entry a public incident leaves on the internal ticket it was
/// published from (M1: the update clock), at the publication's instant or
/// the ticket's last change, whichever is later.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketNote {
    pub incident: i64,
    pub event: TimelineEvent,
}

/// The status page's parts.
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait StatusPageStore {
    /// Every group, component, public incident and maintenance.
    async fn page_contents(&self) -> Result<PageContents, StoreError>;
    /// The components' status history from `from` on.
    async fn status_log(&self, from: Timestamp) -> Result<StatusLog, StoreError>;
    async fn component(&self, id: &str) -> Result<Option<Revised<Component>>, StoreError>;
    async fn group_exists(&self, id: &ComponentId) -> Result<bool, StoreError>;
    async fn public_incident(&self, id: &str) -> Result<Option<StoredPublicIncident>, StoreError>;
    async fn maintenance(
        &self,
        id: &str,
    ) -> Result<Option<Revised<ScheduledMaintenance>>, StoreError>;
    /// Adds a component with its first history entry; `UniqueViolation` if
    /// its category is on the page already (nothing written).
    async fn insert_component(
        &self,
        component: &Component,
        audit: &PageAudit<'_>,
    ) -> Result<(), StoreError>;
    /// `false` if the component changed since it was read (nothing written).
    async fn replace_component(
        &self,
        replacement: &ComponentReplacement<'_>,
    ) -> Result<bool, StoreError>;
    async fn insert_group(
        &self,
        group: &ComponentGroup,
        audit: &PageAudit<'_>,
    ) -> Result<(), StoreError>;
    /// Stores the incident, its components, their history, the note on its
    /// ticket and the audit record together; `false` if the incident
    /// changed since it was read (nothing written). A new incident is linked
    /// to the note's ticket.
    async fn publish_incident(
        &self,
        publication: &Publication<'_, PublicIncident>,
        note: Option<&TicketNote>,
    ) -> Result<bool, StoreError>;
    /// As [`StatusPageStore::publish_incident`], for maintenance.
    async fn publish_maintenance(
        &self,
        publication: &Publication<'_, ScheduledMaintenance>,
    ) -> Result<bool, StoreError>;
}
