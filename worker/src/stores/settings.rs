//! The settings store: the team's configuration that is one value each
//! (time limits, service-level objectives, the link-signing key, the test clock).

use super::{NewAuditRecord, StoreError};
use crate::auth::Actor;
use beacon_shared::Timestamp;

/// Every setting Beacon keeps; the stored name is [`Setting::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `shared::escalation::EscalationConfig` as JSON (SPEC E4).
    EscalationConfig,
    /// `shared::service_level::SloPolicy` as JSON (SPEC L1).
    ServiceLevels,
    /// The key that signs acknowledgement links, hex; made on first use.
    AckLinkKey,
    /// Milliseconds the sweep adds to its clock; honoured only with `BEACON_ENV=test`.
    TestClockOffset,
    /// `shared::post_incident_deadlines::PostIncidentConfig` as JSON (SPEC R1, R2, V8).
    PostIncidentConfig,
    /// `shared::report::CloseTargets` as JSON (SPEC Q3).
    CloseTargets,
}

impl Setting {
    /// The stored name (`settings.name` on D1).
    pub fn name(self) -> &'static str {
        match self {
            Setting::EscalationConfig => "escalation_config",
            Setting::ServiceLevels => "status.slo",
            Setting::AckLinkKey => "ack_link_key",
            Setting::TestClockOffset => "test_clock_offset_ms",
            Setting::PostIncidentConfig => "post_incident_config",
            Setting::CloseTargets => "report.close_targets",
        }
    }
}

/// A setting's change, audited as `action` by `actor` at `at`; `before` and
/// `after` are what the audit log shows (never a secret).
#[derive(Debug, Clone, PartialEq)]
pub struct SettingChange<'a> {
    pub setting: Setting,
    pub value: String,
    pub at: Timestamp,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl SettingChange<'_> {
    /// What the audit log records of this change, under `settings/{name}`.
    pub fn audit_record(&self) -> NewAuditRecord {
        NewAuditRecord {
            action: self.action.to_owned(),
            subject: format!("settings/{}", self.setting.name()),
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }
}

/// One value per [`Setting`].
#[allow(async_fn_in_trait)] // single-threaded wasm runtime: no Send bound wanted
pub trait SettingsStore {
    /// The value of `setting`, if set.
    async fn setting(&self, setting: Setting) -> Result<Option<String>, StoreError>;
    /// Sets the value and writes its audit record, together.
    async fn put_setting(&self, change: &SettingChange<'_>) -> Result<(), StoreError>;
    /// The value of `setting`, storing `candidate` first if it had none (a
    /// concurrent first use keeps whichever value was stored first).
    async fn setting_or_init(
        &self,
        setting: Setting,
        candidate: &str,
    ) -> Result<String, StoreError>;
}
