-- Knowledge base: departments, entries with their full revision history, and the search log.
-- Timestamps are RFC 3339 UTC text of fixed width; dates are YYYY-MM-DD text.
-- List fields (questions, process, materials, keywords) are JSON arrays as text.

CREATE TABLE departments (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    duties      TEXT NOT NULL,
    keywords    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE entries (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    questions   TEXT NOT NULL,
    answer      TEXT NOT NULL,
    process     TEXT NOT NULL,
    materials   TEXT NOT NULL,
    department  TEXT NOT NULL REFERENCES departments (code),
    category    TEXT NOT NULL,
    region      TEXT NOT NULL,
    keywords    TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    status      TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX entries_updated_at ON entries (updated_at);
CREATE INDEX entries_department ON entries (department);

-- Every saved state of every entry, the current one included. Rows are never updated.
CREATE TABLE entry_revisions (
    entry_id    TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    questions   TEXT NOT NULL,
    answer      TEXT NOT NULL,
    process     TEXT NOT NULL,
    materials   TEXT NOT NULL,
    department  TEXT NOT NULL,
    category    TEXT NOT NULL,
    region      TEXT NOT NULL,
    keywords    TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    status      TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (entry_id, revision)
);

-- Every search agents ran: the base for feedback and knowledge-gap work.
CREATE TABLE searches (
    id            TEXT PRIMARY KEY,
    query         TEXT NOT NULL,
    params        TEXT NOT NULL,
    returned_ids  TEXT NOT NULL,
    no_answer     INTEGER NOT NULL,
    confidence    REAL NOT NULL,
    took_ms       REAL NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX searches_created_at ON searches (created_at);
CREATE INDEX searches_no_answer ON searches (no_answer, created_at);

-- Small service-wide settings, such as the reindex generation.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
