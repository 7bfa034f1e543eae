-- `q` on the ticket list: an FTS5 index of trigrams over title, description and number,
-- kept by triggers, keyed by the tickets' rowid (nothing here runs VACUUM, which could
-- renumber it; a restore inserts rows afresh and the triggers index them).
CREATE VIRTUAL TABLE tickets_search USING fts5(
    title, description, number,
    content = 'tickets', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO tickets_search (tickets_search) VALUES ('rebuild');

CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_search (rowid, title, description, number)
    VALUES (new.rowid, new.title, new.description, new.number);
END;

CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    VALUES ('delete', old.rowid, old.title, old.description, old.number);
END;

CREATE TRIGGER tickets_search_update AFTER UPDATE OF title, description, number ON tickets BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    VALUES ('delete', old.rowid, old.title, old.description, old.number);
    INSERT INTO tickets_search (rowid, title, description, number)
    VALUES (new.rowid, new.title, new.description, new.number);
END;
