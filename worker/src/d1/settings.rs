//! [`SettingsStore`] on D1: the `settings` table, one row per name.

use super::{store_err, text, D1Store};
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
            .db
            .prepare("SELECT value FROM settings WHERE name = ?1")
            .bind(&[text(setting.name())])
            .map_err(store_err)?
            .first::<ValueRow>(None)
            .await
            .map_err(store_err)?
            .map(|r| r.value))
    }

    async fn put_setting(&self, change: &SettingChange<'_>) -> Result<(), StoreError> {
        let put = self
            .db
            .prepare(
                "INSERT INTO settings (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(&[text(change.setting.name()), text(&change.value)])
            .map_err(store_err)?;
        let audit = self.audit_statement(
            change.at,
            change.actor,
            change.action,
            &format!("settings/{}", change.setting.name()),
            change.before.as_ref(),
            change.after.as_ref(),
        )?;
        self.db.batch(vec![put, audit]).await.map_err(store_err)?;
        Ok(())
    }

    async fn setting_or_init(
        &self,
        setting: Setting,
        candidate: &str,
    ) -> Result<String, StoreError> {
        self.db
            .prepare("INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)")
            .bind(&[text(setting.name()), text(candidate)])
            .map_err(store_err)?
            .run()
            .await
            .map_err(store_err)?;
        self.setting(setting)
            .await?
            .ok_or_else(|| StoreError::Unavailable(format!("{} was not stored", setting.name())))
    }
}
