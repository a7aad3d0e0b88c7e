-- The review meeting's snapshots (SPEC Q5): the page of a period as the
-- server assembled it when the meeting saved it, with the minutes and
-- decisions, sealed by SHA-256. Two versions (SPEC K3): `full` for readers
-- cleared for Security, `restricted` (Security only as counts) for everyone
-- else. A snapshot is never changed or removed: the triggers refuse it.
CREATE TABLE review_snapshots (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('day', 'week', 'month', 'quarter')),
    period_from        INTEGER NOT NULL,
    period_to          INTEGER NOT NULL,
    saved_by           TEXT NOT NULL,
    saved_at           INTEGER NOT NULL,
    full_content       TEXT NOT NULL,      -- shared::review::ReviewSnapshotContent as JSON
    full_sha256        TEXT NOT NULL,
    restricted_content TEXT NOT NULL,
    restricted_sha256  TEXT NOT NULL
);
CREATE INDEX review_snapshots_period ON review_snapshots (period_from);

CREATE TRIGGER review_snapshots_no_update BEFORE UPDATE ON review_snapshots
BEGIN SELECT RAISE(ABORT, 'review snapshots are immutable'); END;

CREATE TRIGGER review_snapshots_no_delete BEFORE DELETE ON review_snapshots
BEGIN SELECT RAISE(ABORT, 'review snapshots are immutable'); END;

-- The review lists the incident reports awaiting approval by status.
CREATE INDEX incident_reports_status ON incident_reports (status);
