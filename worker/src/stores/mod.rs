//! The storage interface: one trait per concept, each implemented on D1 (the
//! `d1` module, the only place that holds SQL) and in memory (`memory`, for
//! native tests of the handlers).

pub mod alerts;
pub mod dev_inbox;
pub mod escalation;
pub mod incident_reports;
pub mod incidents;
pub mod problems;
pub mod reports;
pub mod review;
pub mod settings;
pub mod status_page;
pub mod users;

pub use alerts::{
    integration_user_name, AlertAttachment, AlertFilter, AlertIncident, AlertRecord, AlertStatus,
    AlertStore, DeliveryHistory, IngestControlChange, Integration, IntegrationDisabling,
    IntegrationRotation, KeyHistory, LinkedIncident, NewIntegrationRecord, SigningKeys,
    REPLAYED_SIGNATURE,
};
pub use dev_inbox::{DevInboxStore, InboxMessage};
pub use escalation::{
    AcknowledgementRecord, AttemptOutcome, ChannelDisabling, ChannelRecord, DueAction,
    EscalationStore, NewChannel, OpenTicket, OutboxItem, QueuedNotification, SweptTicket,
    TeamPullIn, CHANNEL_DISABLED, SWEEP_ACTOR,
};
pub use incident_reports::{IncidentReportStore, PostmortemWrite, ReportRecord, ReportWrite};
pub use incidents::{
    IncidentChange, IncidentFilter, IncidentRecord, IncidentState, IncidentStore, NewAuditRecord,
    NewIncidentRecord,
};
pub use problems::{
    lookup_keys, signature_key, ProblemNotifications, ProblemRecord, ProblemRecords, ProblemStore,
    ProblemWrite,
};
pub use reports::{
    RebuiltReportRow, ReportIncident, ReportRows, ReportStore, StaleReportIncident,
    REPORT_TIMELINE_KINDS,
};
pub use review::{NewSnapshotRecord, ReviewStore, SealedContent, SnapshotRecord};
pub use settings::{Setting, SettingChange, SettingsStore};
pub use status_page::{
    ComponentReplacement, PageAudit, PageContents, Publication, RecordedStatus, Revised, Revision,
    StatusLog, StatusPageStore, StoredPublicIncident, TicketNote,
};
pub use users::{
    AccessChange, NewSessionRecord, NewTokenRecord, NewUserRecord, PersonRecord, SessionHolder,
    TokenHolder, TokenRecord, UserStore,
};

use crate::error::ApiError;

/// Why a store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write (nothing was written); the name of
    /// the constraint or the database's message, for logs.
    #[error("unique constraint: {0}")]
    UniqueViolation(String),
    /// A guarded write found its row changed by someone else (nothing was written).
    #[error("the guarded row changed")]
    LostGuard,
    /// The database did not answer or failed; try again.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored value does not parse: a bug or a hand-edited row.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Reads a stored JSON text (a column or a setting) as `T`. Every stored
/// text is parsed into a generic value first, the same path request bodies
/// take, so that the worker carries one JSON parser rather than one per type.
pub fn parse_stored<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(StoreError::corrupt)?;
    serde_json::from_value(value).map_err(StoreError::corrupt)
}

impl StoreError {
    /// A stored value that failed to parse.
    pub fn corrupt(err: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UniqueViolation(_) => ApiError::Conflict {
                field: None,
                message: "that already exists".into(),
            },
            StoreError::LostGuard => ApiError::Conflict {
                field: None,
                message: "it changed while this request was made; reload and try again".into(),
            },
            StoreError::Unavailable(detail) => ApiError::StoreUnavailable(detail),
            StoreError::Corrupt(detail) => ApiError::Internal(detail),
        }
    }
}
