-- Access control: bearer tokens (only their SHA-256 is stored) and the audit log of reads of
-- callers' personal data.

CREATE TABLE tokens (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    department  TEXT REFERENCES departments (code),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    token_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
