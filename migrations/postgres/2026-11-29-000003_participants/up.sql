-- People beyond the reporter and the staff who follow a ticket by e-mail: a PD head, a
-- vendor contact. Added and removed through the API, audited on the ticket's trail.
CREATE TABLE ticket_participants (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    email TEXT NOT NULL,
    name TEXT,
    added_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (ticket_id, email)
);
