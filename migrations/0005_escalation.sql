-- Incident command and escalation (SPEC E1-E5, M1): rotas, where notifications
-- go, the actions the sweep has sent (by idempotency key) and the outbox of
-- webhook deliveries with their retries.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE rotas (
    role       TEXT PRIMARY KEY CHECK (role IN ('sre', 'network_engineer', 'customer_support', 'incident_commander')),
    rota       TEXT NOT NULL,               -- shared::rota::Rota as JSON
    updated_at INTEGER NOT NULL
);

CREATE TABLE notification_channels (
    id         INTEGER PRIMARY KEY,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('person', 'team', 'management')),
    owner      TEXT NOT NULL DEFAULT '',    -- person or team name; '' for management
    format     TEXT NOT NULL CHECK (format IN ('slack', 'generic')),
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,               -- signs outbound bodies; the receiver holds it too
    created_at INTEGER NOT NULL
);
CREATE INDEX notification_channels_owner ON notification_channels (owner_kind, owner);

-- One row per action sent: the key makes a second sweep in the same minute a no-op.
CREATE TABLE escalation_actions (
    key         TEXT PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    due_at      INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    sweep       TEXT NOT NULL,              -- the sweep that claimed it
    action      TEXT NOT NULL               -- shared::escalation::Action as JSON
);
CREATE INDEX escalation_actions_incident ON escalation_actions (incident_id);

CREATE TABLE outbound_notifications (
    id              INTEGER PRIMARY KEY,
    action_key      TEXT NOT NULL REFERENCES escalation_actions(key),
    incident_id     INTEGER NOT NULL REFERENCES incidents(id),
    channel_id      INTEGER NOT NULL REFERENCES notification_channels(id),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX outbound_notifications_due ON outbound_notifications (status, next_attempt_at);
