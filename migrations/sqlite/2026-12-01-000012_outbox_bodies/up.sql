-- A notice's body is rendered once per change and was stored once per recipient: half of a
-- ticket's bytes at 1,000,000 tickets were copies of the same bodies. Each body is now stored
-- once and each recipient's row names it. The subject stays on the row (the admin's list
-- shows it). A row whose recipient retention erased has no body.
CREATE TABLE outbox_bodies (
    id TEXT PRIMARY KEY,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN body_id TEXT REFERENCES outbox_bodies (id);
-- The rows already there: one body per notice (its source and its content), named after the
-- first of its rows.
INSERT INTO outbox_bodies (id, body_text, body_html)
SELECT o.id, o.body_text, o.body_html FROM outbox o
WHERE (o.body_text <> '' OR o.body_html <> '')
  AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.source_id = o.source_id AND p.id < o.id
        AND p.body_text = o.body_text AND p.body_html = o.body_html);
UPDATE outbox SET body_id = (
    SELECT MIN(p.id) FROM outbox p
    WHERE p.source_id = outbox.source_id
      AND p.body_text = outbox.body_text AND p.body_html = outbox.body_html)
WHERE body_text <> '' OR body_html <> '';
ALTER TABLE outbox DROP COLUMN body_text;
ALTER TABLE outbox DROP COLUMN body_html;
