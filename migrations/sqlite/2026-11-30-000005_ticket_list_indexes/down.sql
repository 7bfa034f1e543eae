DROP INDEX tickets_assignee_created_idx;
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id);
