-- Re-index a ticket's text for search only when the text changed. `UPDATE OF` columns fires
-- whenever they appear in the SET list, whatever their values, so a save that touched only
-- the SLA bookkeeping re-indexed title and description (an FTS5 delete and insert of every
-- trigram) on every write.
DROP TRIGGER tickets_search_update;

CREATE TRIGGER tickets_search_update AFTER UPDATE OF title, description, number ON tickets
WHEN old.title IS NOT new.title
  OR old.description IS NOT new.description
  OR old.number IS NOT new.number
BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    VALUES ('delete', old.rowid, old.title, old.description, old.number);
    INSERT INTO tickets_search (rowid, title, description, number)
    VALUES (new.rowid, new.title, new.description, new.number);
END;
