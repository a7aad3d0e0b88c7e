//! [`SettingsStore`] on D1: the `settings` table, one row per name.

use super::{text, D1Store};
use crate::stores::settings::{Setting, SettingChange, SettingsStore};
use crate::stores::StoreError;
use serde::Deserialize;

#[derive(Deserialize)]
struct ValueRow {
    value: String,
}

impl SettingsStore for D1Store {
    async fn setting(&self, setting: Setting) -> Result<Option<String>, StoreError> {
        Ok(self
            .first::<ValueRow>(
                "SELECT value FROM settings WHERE name = ?1",
                &[text(setting.name())],
            )
            .await?
            .map(|r| r.value))
    }

    async fn put_setting(&self, change: &SettingChange<'_>) -> Result<(), StoreError> {
        let put = self.statement(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[text(change.setting.name()), text(&change.value)],
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
            &[text(setting.name()), text(candidate)],
        )
        .await?;
        self.setting(setting)
            .await?
            .ok_or_else(|| StoreError::Unavailable(format!("{} was not stored", setting.name())))
    }
}
