-- Problem management (SPEC R3, R4, R6, V7, V8): problem tickets, the incidents
-- they link, their recurrence signatures, RCA, remediation items and vendor RCAs.
-- Each record's body is its `shared` type as JSON; the columns beside it are
-- what queries filter on, and the ids in the columns win over those in a body.

CREATE TABLE problems (
    id           INTEGER PRIMARY KEY,
    status       TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,   -- guards every write (optimistic)
    -- The resolved P0/P1 incident a problem was opened for by Beacon itself:
    -- unique, so a retried or swept auto-open never opens a second one.
    auto_origin  INTEGER UNIQUE REFERENCES incidents(id),
    opened_at    INTEGER NOT NULL,
    last_change  INTEGER NOT NULL,
    body         TEXT NOT NULL                 -- shared::problem::Problem as JSON
);

CREATE TABLE problem_incidents (
    problem_id   INTEGER NOT NULL REFERENCES problems(id),
    incident_id  INTEGER NOT NULL REFERENCES incidents(id),
    PRIMARY KEY (problem_id, incident_id)
);
CREATE INDEX problem_incidents_incident ON problem_incidents (incident_id);

-- One lookup key per recurrence signature: a new incident's keys find the
-- candidate problems with one indexed query (SPEC R6).
CREATE TABLE problem_signatures (
    lookup_key   TEXT NOT NULL,
    problem_id   INTEGER NOT NULL REFERENCES problems(id),
    PRIMARY KEY (lookup_key, problem_id)
);
CREATE INDEX problem_signatures_problem ON problem_signatures (problem_id);

CREATE TABLE problem_rcas (
    problem_id   INTEGER PRIMARY KEY REFERENCES problems(id),
    body         TEXT NOT NULL,                -- shared::rca::Rca as JSON
    updated_at   INTEGER NOT NULL
);

CREATE TABLE vendor_rcas (
    id           INTEGER PRIMARY KEY,
    problem_id   INTEGER NOT NULL REFERENCES problems(id),
    body         TEXT NOT NULL                 -- shared::vendor_rca::VendorRca as JSON
);
CREATE INDEX vendor_rcas_problem ON vendor_rcas (problem_id);

CREATE TABLE remediation_items (
    id           INTEGER PRIMARY KEY,
    problem_id   INTEGER NOT NULL REFERENCES problems(id),
    vendor_rca_id INTEGER REFERENCES vendor_rcas(id),
    status       TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    body         TEXT NOT NULL                 -- shared::remediation::RemediationItem as JSON
);
CREATE INDEX remediation_items_problem ON remediation_items (problem_id);
CREATE INDEX remediation_items_due ON remediation_items (status, due_at);
