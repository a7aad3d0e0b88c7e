-- Access that can be taken back (I3): an integration's secret is rotated
-- with an overlap in which the secret before it still works (its hash, and
-- for the generic format its sealed signing key, kept until
-- `previous_valid_until`); integrations and notification channels are
-- disabled, never deleted, so the alerts, incidents and notifications they
-- carried keep their history.
ALTER TABLE integrations ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE integrations ADD COLUMN previous_signing_key TEXT;
ALTER TABLE integrations ADD COLUMN previous_valid_until INTEGER;
ALTER TABLE integrations ADD COLUMN disabled_at INTEGER;
CREATE INDEX integrations_previous_secret ON integrations (previous_secret_hash)
    WHERE previous_secret_hash IS NOT NULL;
ALTER TABLE notification_channels ADD COLUMN disabled_at INTEGER;
