DROP TRIGGER tickets_search_update;

CREATE TRIGGER tickets_search_update AFTER UPDATE OF title, description, number ON tickets BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    VALUES ('delete', old.rowid, old.title, old.description, old.number);
    INSERT INTO tickets_search (rowid, title, description, number)
    VALUES (new.rowid, new.title, new.description, new.number);
END;
