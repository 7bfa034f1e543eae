-- The mail outbox: one row per notice and recipient, written in the transaction that made
-- the change it reports, then sent by the outbox worker. `source_id` is the audit event that
-- caused the notice, so one change can never queue the same notice twice to one person.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    ticket_id TEXT REFERENCES tickets (id),
    event TEXT NOT NULL,
    source_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- Without angle brackets; stable across retries, so a resend is recognisably the same.
    message_id TEXT NOT NULL UNIQUE,
    thread_id TEXT,
    -- queued, sent or dead
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Not before this instant (a notice that may wait for working hours).
    not_before TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    UNIQUE (source_id, recipient)
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket_idx ON outbox (ticket_id, created_at);
