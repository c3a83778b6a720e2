-- The knowledge loop, agents' side: feedback on searches (and adoptions recorded from tickets
-- answered on the call), the editors' tasks it creates, and knowledge gaps: searches and calls
-- nobody could answer (`gap_observations`), grouped by need into `gaps` by a background worker.
-- Rows are only added or closed, never overwritten.

CREATE TABLE search_feedback (
    id          TEXT PRIMARY KEY,
    search_id   TEXT,
    ticket_id   TEXT,
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    entry_id    TEXT,
    problem     TEXT,
    comment     TEXT,
    token_name  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX search_feedback_search ON search_feedback (search_id);
CREATE INDEX search_feedback_entry ON search_feedback (entry_id, kind);

CREATE TABLE editor_tasks (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,
    entry_id            TEXT,
    gap_id              TEXT,
    department          TEXT,
    problem             TEXT,
    comment             TEXT,
    search_id           TEXT,
    feedback_id         TEXT,
    status              TEXT NOT NULL,
    created_by          TEXT,
    created_at          TEXT NOT NULL,
    closed_at           TEXT,
    closed_by           TEXT,
    resolution_comment  TEXT
);
CREATE INDEX editor_tasks_status ON editor_tasks (status, department, created_at);

CREATE TABLE gaps (
    id              TEXT PRIMARY KEY,
    question        TEXT NOT NULL,
    status          TEXT NOT NULL,
    observations    INTEGER NOT NULL,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    dismiss_reason  TEXT,
    dismissed_by    TEXT,
    entry_id        TEXT,
    closed_at       TEXT
);
CREATE INDEX gaps_status ON gaps (status, last_seen);

-- `gap_id` is null until the worker has placed the observation; `vector` is the sentence
-- vector it was placed with (f16 hex, as entry_vectors), null when grouped lexically.
CREATE TABLE gap_observations (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    search_id   TEXT UNIQUE,
    ticket_id   TEXT UNIQUE,
    text        TEXT NOT NULL,
    hit_ids     TEXT NOT NULL,
    department  TEXT,
    category    TEXT,
    day         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    gap_id      TEXT,
    model       TEXT,
    vector      TEXT
);
CREATE INDEX gap_observations_gap ON gap_observations (gap_id, created_at);
CREATE INDEX gap_observations_pending ON gap_observations (created_at) WHERE gap_id IS NULL;
