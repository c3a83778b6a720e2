-- Tickets (工单): every call that was answered on the call or dispatched to a department, with
-- its whole history. Rows of ticket_events are never updated or deleted.
-- Timestamps are RFC 3339 UTC text of fixed width; lists are JSON arrays as text.

CREATE TABLE tickets (
    id                   TEXT PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,
    status               TEXT NOT NULL,
    channel              TEXT NOT NULL,
    ticket_type          TEXT NOT NULL,
    urgency              TEXT NOT NULL,
    caller_phone         TEXT,
    caller_name          TEXT,
    content              TEXT NOT NULL,
    transcript           TEXT,
    region               TEXT,
    address              TEXT,
    resolution           TEXT NOT NULL,
    proposed_department  TEXT,
    department           TEXT,
    co_departments       TEXT NOT NULL,
    round                INTEGER NOT NULL,
    dispatched_at        TEXT,
    due_at               TEXT,
    accept_due_at        TEXT,
    accepted_at          TEXT,
    replied_at           TEXT,
    reply                TEXT,
    extension_reason     TEXT,
    extension_until      TEXT,
    extensions           INTEGER NOT NULL,
    returns              INTEGER NOT NULL,
    merged_into          TEXT,
    rating               INTEGER,
    poor_ratings         INTEGER NOT NULL,
    rectification        TEXT,
    rectification_opened_at TEXT,
    rectification_due_at TEXT,
    search_ids           TEXT NOT NULL,
    entry_ids            TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT,
    version              INTEGER NOT NULL
);
CREATE INDEX tickets_department ON tickets (department, id);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_due ON tickets (due_at);
CREATE INDEX tickets_created_at ON tickets (created_at);
CREATE INDEX tickets_merged_into ON tickets (merged_into);

CREATE TABLE ticket_events (
    ticket_id    TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    department   TEXT,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT,
    data         TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE INDEX ticket_events_at ON ticket_events (at);

-- Assisting departments (协办) of each ticket, so a department's list is an index lookup.
CREATE TABLE ticket_co_departments (
    department  TEXT NOT NULL,
    ticket_id   TEXT NOT NULL,
    PRIMARY KEY (department, ticket_id)
);
CREATE INDEX ticket_co_departments_ticket ON ticket_co_departments (ticket_id);

-- The last ticket number handed out per day, so numbers are unique under concurrency.
CREATE TABLE ticket_numbers (
    day   TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);

-- Closed tickets of a city's previous system, loaded by `hotline import-tickets` so routing
-- learns from the first day.
CREATE TABLE ticket_history (
    id           TEXT PRIMARY KEY,
    content      TEXT NOT NULL,
    ticket_type  TEXT NOT NULL,
    department   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    source       TEXT NOT NULL,
    imported_at  TEXT NOT NULL
);
CREATE INDEX ticket_history_department ON ticket_history (department);
