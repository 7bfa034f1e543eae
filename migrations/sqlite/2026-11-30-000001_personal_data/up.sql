-- Personal data beside the audit trail: an audit event refers to a reporter's or a
-- participant's details as `pii:<digest>`, digest = SHA-256(salt || value). Retention erases
-- salt and value here; the events, their hashes and the chains stay untouched.
CREATE TABLE personal_data (
    digest TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    -- Hex; null once erased.
    salt TEXT,
    value TEXT,
    created_at TIMESTAMP NOT NULL,
    erased_at TIMESTAMP
);
CREATE INDEX personal_data_ticket_idx ON personal_data (ticket_id);

-- When retention removed the reporter's details from the ticket.
ALTER TABLE tickets ADD COLUMN anonymised_at TIMESTAMP;
-- Retention looks for ended tickets not yet anonymised.
CREATE INDEX tickets_retention_idx ON tickets (status, closed_at) WHERE anonymised_at IS NULL;
