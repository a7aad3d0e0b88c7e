-- Incident reports and post-incident reviews (SPEC V5, V6, R1, R2, R5): one
-- report per problem, stored as its `shared` type as JSON with the columns the
-- queries need; the ids in the columns win over those in a body. A published
-- report's postmortem lives in its public incident's document (0006).

CREATE TABLE incident_reports (
    id           INTEGER PRIMARY KEY,
    problem_id   INTEGER NOT NULL UNIQUE REFERENCES problems(id),
    status       TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1,   -- guards every write (optimistic)
    last_change  INTEGER NOT NULL,
    body         TEXT NOT NULL                 -- shared::incident_report::IncidentReport as JSON
);

CREATE TABLE post_incident_reviews (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES incident_reports(id),
    held_at      INTEGER NOT NULL,
    body         TEXT NOT NULL                 -- shared::post_incident_review::PostIncidentReview as JSON
);
CREATE INDEX post_incident_reviews_report ON post_incident_reviews (report_id);
