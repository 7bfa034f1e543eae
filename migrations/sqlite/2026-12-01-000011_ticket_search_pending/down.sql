INSERT INTO tickets_search (rowid, title, description, number)
SELECT t.rowid, t.title, t.description, t.number
FROM tickets_search_pending p JOIN tickets t ON t.rowid = p.ticket_rowid;

DROP TRIGGER tickets_search_insert;
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_search (rowid, title, description, number)
    VALUES (new.rowid, new.title, new.description, new.number);
END;

DROP TRIGGER tickets_search_delete;
CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    VALUES ('delete', old.rowid, old.title, old.description, old.number);
END;

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

DROP TABLE tickets_search_pending;
