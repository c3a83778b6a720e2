-- The search dictionaries (user dictionary, synonyms, situations, fillers, …), editable at run
-- time. Seeded from `knowledge/dict/` on first start; from then on the database is the source
-- of truth and every saved version is kept in `dictionary_revisions`.

CREATE TABLE dictionaries (
    name        TEXT PRIMARY KEY,
    content     TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE dictionary_revisions (
    name        TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    content     TEXT NOT NULL,
    author      TEXT NOT NULL,
    note        TEXT,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (name, revision)
);
