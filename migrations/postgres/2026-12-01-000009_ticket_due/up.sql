-- The nearest running deadline of a ticket (the earliest due time of its targets whose
-- clocks run; breached ones included, so the most overdue comes first): the console's
-- queues are sorted by it. The write path keeps it beside sla_next_at.
ALTER TABLE tickets ADD COLUMN sla_due_at TIMESTAMP;
UPDATE tickets SET sla_due_at = (
    SELECT MIN(s.due_at) FROM sla_targets s
    WHERE s.ticket_id = tickets.id AND s.ended_at IS NULL AND s.due_at IS NOT NULL
) WHERE status IN ('new', 'in_progress', 'pending');
CREATE INDEX tickets_tier_due_idx ON tickets (tier, sla_due_at);
CREATE INDEX tickets_org_due_idx ON tickets (organization_id, sla_due_at);
