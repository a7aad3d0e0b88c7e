-- Generic webhooks are signed (SPEC I1): the signature of each accepted delivery
-- is kept so that a replay inside the 5-minute window is refused, not re-applied.
ALTER TABLE alert_events ADD COLUMN signature TEXT;
CREATE UNIQUE INDEX alert_events_signature ON alert_events (integration_id, signature)
    WHERE signature IS NOT NULL;
