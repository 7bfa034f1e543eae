-- SQLite drops a column that is part of a foreign key only by rebuilding its table.
CREATE TABLE outbox_down (
    id TEXT PRIMARY KEY,
    ticket_id TEXT REFERENCES tickets (id),
    event TEXT NOT NULL,
    source_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    thread_id TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attachment TEXT,
    UNIQUE (source_id, recipient)
);
INSERT INTO outbox_down
SELECT o.id, o.ticket_id, o.event, o.source_id, o.recipient, o.subject,
       COALESCE(b.body_text, ''), COALESCE(b.body_html, ''), o.message_id, o.thread_id,
       o.status, o.attempts, o.not_before, o.next_attempt_at, o.lease_owner, o.lease_until,
       o.last_error, o.created_at, o.sent_at, o.attachment
FROM outbox o LEFT JOIN outbox_bodies b ON b.id = o.body_id;
DROP TABLE outbox;
ALTER TABLE outbox_down RENAME TO outbox;
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ticket_idx ON outbox (ticket_id, created_at);
DROP TABLE outbox_bodies;
