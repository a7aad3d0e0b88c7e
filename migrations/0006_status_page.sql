-- The public status page (SPEC M1-M5, K1, L1, L2): components and groups, public
-- incidents and scheduled maintenance, each stored as the shared domain type's
-- JSON with the columns the queries need. Every component status change is kept
-- for the availability history (L2).

-- The categories themselves (K1) stay in `status_components` (0002); a category
-- becomes a public component when customer support puts it on the page.

CREATE TABLE public_component_groups (
    id         TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,               -- shared::status_page::ComponentGroup
    position   INTEGER NOT NULL
);

CREATE TABLE public_components (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE REFERENCES status_components(name),  -- a category of K1
    doc        TEXT NOT NULL,               -- shared::status_page::Component
    position   INTEGER NOT NULL
);

CREATE TABLE public_component_history (
    id           INTEGER PRIMARY KEY,
    component_id TEXT NOT NULL REFERENCES public_components(id),
    at           INTEGER NOT NULL,
    status       TEXT NOT NULL
);
CREATE INDEX public_component_history_by_component ON public_component_history (component_id, at);

CREATE TABLE public_incidents (
    id                   TEXT PRIMARY KEY,
    doc                  TEXT NOT NULL,     -- shared::status_page::PublicIncident
    internal_incident_id INTEGER REFERENCES incidents(id),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE scheduled_maintenances (
    id         TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,               -- shared::status_page::ScheduledMaintenance
    created_at INTEGER NOT NULL
);
