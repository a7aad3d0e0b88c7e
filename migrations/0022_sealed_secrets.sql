-- Secrets at rest (I3): notification channels' `url` and `secret`, the
-- `ack_link_key` setting and generic integrations' signing keys are stored
-- sealed (XChaCha20-Poly1305, `sealed:v1:...`) under the Worker secret
-- BEACON_SECRETS_KEY, which SQL cannot read. So this migration only adds the
-- column a generic integration's sealed signing key lives in; the rows stored
-- before it are sealed by the worker on its next cron run (see
-- `seal_stored_secrets` in worker/src/d1/sealing.rs), which also replaces a
-- generic integration's stored secret hash (until now its signing key) by
-- the hash of that key. Until then they read as they were stored.
ALTER TABLE integrations ADD COLUMN signing_key TEXT;
