DROP INDEX tickets_status_created_idx;
CREATE INDEX tickets_status_idx ON tickets (status);
