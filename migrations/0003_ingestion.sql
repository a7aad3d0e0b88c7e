-- Monitoring ingestion (SPEC I1, I2, V1, V2, T7): integrations with hashed
-- secrets, every delivery kept raw, alerts deduplicated per integration.

CREATE TABLE integrations (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    format       TEXT NOT NULL CHECK (format IN ('alertmanager', 'grafana', 'pagerduty', 'generic')),
    owner_group  TEXT,
    secret_hash  TEXT NOT NULL UNIQUE,      -- hex SHA-256; the secret itself is never stored
    mapping      TEXT,                      -- AlertMapping as JSON; NULL = the documented default
    -- The disabled user that authors this integration's incidents and timeline entries.
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL
);

-- Every delivery, as received (V1, T7): the alert history.
CREATE TABLE alert_events (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id),
    received_at    INTEGER NOT NULL,
    body           TEXT NOT NULL,
    outcome        TEXT NOT NULL            -- JSON: what Beacon did with each alert
);
CREATE INDEX alert_events_by_integration ON alert_events (integration_id, received_at);

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations(id),
    dedup_key      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    summary        TEXT NOT NULL,
    severity       TEXT,
    signal         TEXT NOT NULL,           -- the latest AlertSignal as JSON
    incident_id    INTEGER REFERENCES incidents(id),
    deliveries     INTEGER NOT NULL DEFAULT 1,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    resolved_at    INTEGER
);
-- At most one open alert per key and integration (I2): a retry or a concurrent
-- duplicate fails this index and is re-applied as a repeat.
CREATE UNIQUE INDEX alerts_open_key ON alerts (integration_id, dedup_key) WHERE status != 'resolved';
CREATE INDEX alerts_by_key ON alerts (integration_id, dedup_key, id);
CREATE INDEX alerts_queue ON alerts (status, first_seen);
