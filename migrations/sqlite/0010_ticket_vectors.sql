-- Sentence vectors of what routing learns from: imported historic tickets (`source` =
-- 'history', `id` = ticket_history.id) and this service's closed tickets (`source` = 'ticket',
-- `id` = tickets.id), by embedding model (sha256 of the model file). A ticket's content never
-- changes, so one vector per ticket and model is kept. `vector` is encoded as in entry_vectors.

CREATE TABLE ticket_vectors (
    source      TEXT NOT NULL,
    id          TEXT NOT NULL,
    model       TEXT NOT NULL,
    vector      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (source, id, model)
);
