//! [`SettingsStore`] in memory.

use super::MemoryStore;
use crate::stores::settings::{Setting, SettingChange, SettingsStore};
use crate::stores::StoreError;

impl SettingsStore for MemoryStore {
    async fn setting(&self, setting: Setting) -> Result<Option<String>, StoreError> {
        self.check()?;
        Ok(self.settings.borrow().get(&setting).cloned())
    }

    async fn put_setting(&self, change: &SettingChange<'_>) -> Result<(), StoreError> {
        self.check()?;
        self.settings
            .borrow_mut()
            .insert(change.setting, change.value.clone());
        self.push_audit_record(change.at, change.actor, &change.audit_record());
        Ok(())
    }

    async fn setting_or_init(
        &self,
        setting: Setting,
        candidate: &str,
    ) -> Result<String, StoreError> {
        self.check()?;
        Ok(self
            .settings
            .borrow_mut()
            .entry(setting)
            .or_insert_with(|| candidate.to_owned())
            .clone())
    }
}
