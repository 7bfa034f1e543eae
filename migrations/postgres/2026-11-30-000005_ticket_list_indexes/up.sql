-- The ticket list reads each scope branch (owning PD, assignee, reporting PD, tier) in
-- page order: every branch column needs an index ending in (created_at, id).
DROP INDEX tickets_assignee_idx;
CREATE INDEX tickets_assignee_created_idx ON tickets (assignee_id, created_at, id);
