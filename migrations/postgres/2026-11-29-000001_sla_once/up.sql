-- Each warning, breach and escalation happens at most once per ticket and target. The ticket
-- row lock already serialises the writers of one ticket; this index makes the database
-- refuse a second record even if a code path ever forgets the lock, so a doubled SLA event
-- (and, once the outbox exists, a doubled e-mail) cannot be committed.
CREATE UNIQUE INDEX sla_events_once_idx ON sla_events (ticket_id, target, kind)
    WHERE kind IN ('warned', 'breached', 'escalated');
