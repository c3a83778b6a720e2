-- Editing and review. Agents keep finding the published state in `entries` while an editor
-- works on a draft: the draft's content is a row of `entry_revisions` (revision numbers are
-- shared by drafts and published states, so a revision number names one saved state), and
-- `entry_drafts` points at the entry's open draft, if any. `entry_events` records who saved,
-- submitted, approved, rejected or restored what, when and why. Rows of `entry_revisions` and
-- `entry_events` are never updated or deleted.

ALTER TABLE entry_revisions ADD COLUMN author TEXT;
ALTER TABLE entry_revisions ADD COLUMN note TEXT;

ALTER TABLE entries ADD COLUMN reviewed_at TEXT;

CREATE TABLE entry_drafts (
    entry_id        TEXT PRIMARY KEY,
    revision        BIGINT NOT NULL,
    base_revision   BIGINT,
    state           TEXT NOT NULL,
    action          TEXT NOT NULL,
    author          TEXT NOT NULL,
    review_comment  TEXT,
    origin          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX entry_drafts_state ON entry_drafts (state, updated_at);

CREATE TABLE entry_events (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    comment     TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX entry_events_entry ON entry_events (entry_id, at);
