//! [`SettingsStore`] on D1: the `settings` table, one row per name.

use super::{text, D1Store};
use crate::sealed_secret::SealedPurpose;
use crate::stores::settings::{Setting, SettingChange, SettingsStore};
use crate::stores::StoreError;
use serde::Deserialize;

#[derive(Deserialize)]
struct ValueRow {
    value: String,
}

/// What a setting that is a credential is sealed as (SPEC I3).
fn sealed_as(setting: Setting) -> Option<SealedPurpose> {
    match setting {
        Setting::AckLinkKey => Some(SealedPurpose::AckLinkKey),
        _ => None,
    }
}

impl D1Store {
    /// A setting's value as stored: sealed if it is a credential.
    fn stored_setting(&self, setting: Setting, value: &str) -> Result<String, StoreError> {
        match sealed_as(setting) {
            Some(purpose) => self.seal_secret(purpose, value),
            None => Ok(value.to_owned()),
        }
    }
}

impl SettingsStore for D1Store {
    async fn setting(&self, setting: Setting) -> Result<Option<String>, StoreError> {
        let Some(row) = self
            .first::<ValueRow>(
                "SELECT value FROM settings WHERE name = ?1",
                &[text(setting.name())],
            )
            .await?
        else {
            return Ok(None);
        };
        match sealed_as(setting) {
            Some(purpose) => self.open_secret(purpose, &row.value).map(Some),
            None => Ok(Some(row.value)),
        }
    }

    async fn put_setting(&self, change: &SettingChange<'_>) -> Result<(), StoreError> {
        let put = self.statement(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[
                text(change.setting.name()),
                text(&self.stored_setting(change.setting, &change.value)?),
            ],
        )?;
        let audit = self.audit_record_statement(change.at, change.actor, &change.audit_record())?;
        self.write_batch(vec![put, audit]).await
    }

    async fn setting_or_init(
        &self,
        setting: Setting,
        candidate: &str,
    ) -> Result<String, StoreError> {
        self.run(
            "INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)",
            &[
                text(setting.name()),
                text(&self.stored_setting(setting, candidate)?),
            ],
        )
        .await?;
        self.setting(setting)
            .await?
            .ok_or_else(|| StoreError::Unavailable(format!("{} was not stored", setting.name())))
    }
}
