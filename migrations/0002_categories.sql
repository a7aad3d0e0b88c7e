-- The status page's components and groups: the categories of SPEC K1.
-- "Security" is not listed: it is a restricted category (K3), always accepted
-- and never shown publicly.
CREATE TABLE status_components (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    group_name  TEXT,
    position    INTEGER NOT NULL DEFAULT 0
);

INSERT INTO status_components (name, group_name, position) VALUES
    ('API', 'Platform', 1),
    ('Web application', 'Platform', 2),
    ('Payments', 'Commerce', 3),
    ('Reporting', 'Analytics', 4),
    ('Network', 'Infrastructure', 5);

CREATE INDEX incidents_status ON incidents (status);
CREATE INDEX audit_log_at ON audit_log (at);

ALTER TABLE incidents ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
