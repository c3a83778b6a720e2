-- Sentence vectors of entries, by entry revision and embedding model (sha256 of the model
-- file), so a restart or reindex reuses them and only new or changed entries are embedded.
-- `part` names which text of the entry was embedded (see search/dense.rs); `vector` is the
-- little-endian f16 components as lower-case hex (text binds the same on both engines).

CREATE TABLE entry_vectors (
    entry_id    TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    model       TEXT NOT NULL,
    part        TEXT NOT NULL,
    vector      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (entry_id, revision, model, part)
);
