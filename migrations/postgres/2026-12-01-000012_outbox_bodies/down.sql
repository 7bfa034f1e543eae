ALTER TABLE outbox ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
UPDATE outbox SET body_text = b.body_text, body_html = b.body_html
FROM outbox_bodies b WHERE b.id = outbox.body_id;
ALTER TABLE outbox ALTER COLUMN body_text DROP DEFAULT;
ALTER TABLE outbox ALTER COLUMN body_html DROP DEFAULT;
ALTER TABLE outbox DROP COLUMN body_id;
DROP TABLE outbox_bodies;
