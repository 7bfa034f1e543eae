-- A tamper-evident audit trail: one hash chain per audited entity. `chain_seq` counts the
-- entity's events from 1, `prev_hash` is the hash of the one before ('' for the first), and
-- `hash` is SHA-256 over the event's stored fields and `prev_hash`. Rows written before this
-- migration get their chain at the next start (the only UPDATE the triggers allow).
ALTER TABLE audit_events ADD COLUMN chain_seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_chain_idx ON audit_events (entity_type, entity_id, chain_seq);
-- Start-up looks for rows still outside a chain; this keeps that look free once all are in.
CREATE INDEX audit_events_unchained_idx ON audit_events (seq) WHERE hash IS NULL;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.hash IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Signed checkpoints over every chain's head, so that a consistent rewrite of a whole chain
-- (from a dump, say) is still caught: the signing key lives outside the database.
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL,
    -- JSON: [[entity_type, entity_id, chain_seq, hash], ...] sorted.
    heads TEXT NOT NULL,
    root TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
