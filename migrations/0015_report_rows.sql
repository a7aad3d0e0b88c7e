-- Reports (SPEC Q1-Q5) read one row per incident instead of its timeline.
--
-- `report_rows` holds what the report engine reads of an incident
-- (`shared::report::ReportTicket` as JSON), written by the worker from the
-- incident and its timeline. Every write to an incident or its timeline marks
-- the incident stale here, in the same transaction (the triggers below), so a
-- report never reads an outdated row: it rebuilds the stale ones it needs from
-- the timeline and writes them back, and the cron rebuilds the rest. The
-- marker's version grows with each change, so a rebuild clears only the
-- marker it read.
CREATE TABLE report_rows (
    incident_id INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    open        INTEGER NOT NULL CHECK (open IN (0, 1)),
    ended_at    INTEGER,                    -- ReportTicket::ended_at: the trends read tickets ended in a span
    body        TEXT NOT NULL               -- ReportTicket as JSON
);
CREATE INDEX report_rows_created ON report_rows (created_at);
CREATE INDEX report_rows_ended ON report_rows (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX report_rows_open ON report_rows (open) WHERE open = 1;

CREATE TABLE report_stale (
    incident_id INTEGER PRIMARY KEY,
    version     INTEGER NOT NULL
);

CREATE TRIGGER report_stale_on_incident_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO report_stale (incident_id, version) VALUES (NEW.id, 1)
    ON CONFLICT (incident_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER report_stale_on_incident_update AFTER UPDATE ON incidents
BEGIN
    INSERT INTO report_stale (incident_id, version) VALUES (NEW.id, 1)
    ON CONFLICT (incident_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER report_stale_on_timeline_insert AFTER INSERT ON timeline_entries
BEGIN
    INSERT INTO report_stale (incident_id, version) VALUES (NEW.incident_id, 1)
    ON CONFLICT (incident_id) DO UPDATE SET version = version + 1;
END;

-- The incidents that existed before this migration are built on first read.
INSERT INTO report_stale (incident_id, version) SELECT id, 1 FROM incidents;
