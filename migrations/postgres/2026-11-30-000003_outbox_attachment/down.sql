ALTER TABLE outbox DROP COLUMN attachment;
