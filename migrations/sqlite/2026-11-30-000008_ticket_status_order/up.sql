-- The register filtered by status (a supervisor's `status=new,in_progress`) is read one
-- status at a time in page order, newest first, and stops after a page; the status index
-- alone made the database read every ticket of those statuses and sort them.
DROP INDEX tickets_status_idx;
CREATE INDEX tickets_status_created_idx ON tickets (status, created_at, id);
