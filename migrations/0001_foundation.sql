-- Users, API tokens (hashed), incidents, their timeline and the append-only audit log.
-- Times are Unix milliseconds (UTC).

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('sre', 'incident_commander', 'customer_support',
                    'engineer', 'management', 'security', 'viewer', 'admin')),
    created_at  INTEGER NOT NULL,
    disabled_at INTEGER
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,        -- hex SHA-256; the token itself is never stored
    label       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    priority       TEXT NOT NULL CHECK (priority IN ('P0', 'P1', 'P2', 'P3')),
    rules_priority TEXT NOT NULL CHECK (rules_priority IN ('P0', 'P1', 'P2', 'P3')),
    status         TEXT NOT NULL,
    category       TEXT,
    owner_group    TEXT,
    facts          TEXT NOT NULL,            -- TriageFacts as JSON
    created_by     INTEGER NOT NULL REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX incidents_queue ON incidents (priority, created_at);

CREATE TABLE timeline_entries (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL                -- JSON
);
CREATE INDEX timeline_by_incident ON timeline_entries (incident_id, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    before      TEXT,                        -- JSON or NULL
    after       TEXT                         -- JSON or NULL
);

-- The audit log is append-only, whatever the caller.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
