//! Secrets at rest on D1 (SPEC I3): sealing and opening the columns that
//! hold credentials ([`crate::sealed_secret`]), and the pass that seals the
//! rows stored before sealing existed (migration 0022), run by the cron.

use super::{num, store_err, text, D1Store};
use crate::sealed_secret::{is_sealed, SealedPurpose, NONCE_BYTES};
use crate::stores::StoreError;
use serde::Deserialize;

impl D1Store {
    /// Whether the Worker secret's key is there and well-formed.
    pub(crate) fn has_secrets_key(&self) -> bool {
        self.secrets.is_ok()
    }

    /// `plain` sealed for `purpose` under the Worker secret's key, with a
    /// fresh random nonce. Without the key nothing is stored: the write fails.
    pub(crate) fn seal_secret(
        &self,
        purpose: SealedPurpose,
        plain: &str,
    ) -> Result<String, StoreError> {
        let key = self
            .secrets
            .as_ref()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(key.seal(purpose, plain, nonce))
    }

    /// The secret a stored value holds: opened if sealed, as it is if it
    /// was stored before sealing and the cron has not sealed it yet.
    pub(crate) fn open_secret(
        &self,
        purpose: SealedPurpose,
        stored: &str,
    ) -> Result<String, StoreError> {
        if !is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        let key = self
            .secrets
            .as_ref()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        key.open(purpose, stored)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Seals every credential still stored in clear: channels' addresses and
    /// secrets, the acknowledgement-link key, and generic integrations'
    /// signing keys (whose stored secret hash was that key: it becomes the
    /// key's hash). Each row is changed only if it still holds what was
    /// read, so a pass racing another, or a write, changes nothing twice.
    /// Returns how many rows were sealed.
    pub(crate) async fn seal_stored_secrets(&self) -> Result<u64, StoreError> {
        // The three reads in one round trip: the cron pays it every minute.
        let clear = "'sealed:v1:%'";
        let reads = self
            .batch(vec![
                self.statement(
                    &format!(
                        "SELECT id, url, secret FROM notification_channels \
                         WHERE url NOT LIKE {clear} OR secret NOT LIKE {clear}"
                    ),
                    &[],
                )?,
                self.statement(
                    &format!(
                        "SELECT value FROM settings WHERE name = 'ack_link_key' AND value NOT LIKE {clear}"
                    ),
                    &[],
                )?,
                self.statement(
                    "SELECT id, secret_hash FROM integrations \
                     WHERE format = 'generic' AND signing_key IS NULL",
                    &[],
                )?,
            ])
            .await?;
        let rows = |index: usize| {
            reads
                .get(index)
                .ok_or_else(|| StoreError::Unavailable("a read of the batch is missing".into()))
        };
        let channels: Vec<ClearChannel> = rows(0)?.results().map_err(store_err)?;
        let links: Vec<ClearSetting> = rows(1)?.results().map_err(store_err)?;
        let integrations: Vec<ClearIntegration> = rows(2)?.results().map_err(store_err)?;
        let mut statements = Vec::new();
        for channel in &channels {
            let seal = |purpose, value: &str| {
                if is_sealed(value) {
                    Ok(value.to_owned())
                } else {
                    self.seal_secret(purpose, value)
                }
            };
            statements.push(self.statement(
                "UPDATE notification_channels SET url = ?1, secret = ?2 \
                 WHERE id = ?3 AND url = ?4 AND secret = ?5",
                &[
                    text(&seal(SealedPurpose::ChannelUrl, &channel.url)?),
                    text(&seal(SealedPurpose::ChannelSecret, &channel.secret)?),
                    num(channel.id as i64),
                    text(&channel.url),
                    text(&channel.secret),
                ],
            )?);
        }
        for link in &links {
            statements.push(self.statement(
                "UPDATE settings SET value = ?1 WHERE name = 'ack_link_key' AND value = ?2",
                &[
                    text(&self.seal_secret(SealedPurpose::AckLinkKey, &link.value)?),
                    text(&link.value),
                ],
            )?);
        }
        for integration in &integrations {
            // Until now the generic format's signing key was the stored hash.
            let key = &integration.secret_hash;
            statements.push(self.statement(
                "UPDATE integrations SET signing_key = ?1, secret_hash = ?2 \
                 WHERE id = ?3 AND signing_key IS NULL AND secret_hash = ?4",
                &[
                    text(&self.seal_secret(SealedPurpose::IntegrationSigningKey, key)?),
                    text(&crate::auth::hash_token(key)),
                    num(integration.id as i64),
                    text(key),
                ],
            )?);
        }
        if statements.is_empty() {
            return Ok(0);
        }
        let results = self.db.batch(statements).await.map_err(store_err)?;
        Ok(results
            .iter()
            .filter_map(|r| r.meta().ok().flatten())
            .map(|meta| meta.changes.unwrap_or(0) as u64)
            .sum())
    }
}

#[derive(Deserialize)]
struct ClearChannel {
    id: f64,
    url: String,
    secret: String,
}

#[derive(Deserialize)]
struct ClearSetting {
    value: String,
}

#[derive(Deserialize)]
struct ClearIntegration {
    id: f64,
    secret_hash: String,
}
