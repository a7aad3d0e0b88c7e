-- Grouping and storm control (SPEC I1, I2, E1): each integration's settings,
-- the notification group of every alert, which alerts opened an incident (the
-- storm window counts them), the current storm incident per integration, and
-- the indexes the one read per delivery and the cron's pruning use.

ALTER TABLE integrations ADD COLUMN grouping TEXT NOT NULL DEFAULT 'by_notification_group'
    CHECK (grouping IN ('by_notification_group', 'per_alert'));
ALTER TABLE integrations ADD COLUMN storm_threshold INTEGER NOT NULL DEFAULT 10
    CHECK (storm_threshold BETWEEN 1 AND 1000000);
ALTER TABLE integrations ADD COLUMN delivery_retention_days INTEGER NOT NULL DEFAULT 30
    CHECK (delivery_retention_days BETWEEN 1 AND 3650);

-- Alertmanager's and Grafana's `groupKey`; NULL for formats without groups.
ALTER TABLE alerts ADD COLUMN group_key TEXT;
-- 1 when this alert opened its own incident, 2 when it opened a storm incident.
ALTER TABLE alerts ADD COLUMN opened_incident INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alerts_by_group ON alerts (integration_id, group_key, id) WHERE group_key IS NOT NULL;
CREATE INDEX alerts_opened ON alerts (integration_id, first_seen) WHERE opened_incident = 1;
CREATE INDEX alerts_by_incident ON alerts (incident_id, status);

-- The storm incident of each integration: new alerts join it while it awaits
-- a response and the integration is past its threshold.
CREATE TABLE alert_storms (
    integration_id INTEGER PRIMARY KEY REFERENCES integrations(id),
    incident_id    INTEGER NOT NULL REFERENCES incidents(id),
    started_at     INTEGER NOT NULL
);

CREATE INDEX alert_events_received ON alert_events (received_at);
