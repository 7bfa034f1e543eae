-- A new ticket's text is indexed for search just before its transaction commits, with the
-- other tickets of that commit, instead of by the trigger of its own INSERT. FTS5 keeps a
-- transaction's new terms in memory but writes them out as a segment of their own at the
-- next statement that opens a savepoint, and every writer of a shared commit (db/group.rs)
-- opens one: each creation wrote, and later merged, its own small segment (a tenth of the
-- writer's time under load). Now the trigger only notes the row; `index_pending_search`
-- (called before every commit that may hold new tickets) indexes the noted rows in one
-- statement and forgets them, so a commit writes one segment. A committed transaction leaves
-- this table empty; rows left by a writer that did not call it are indexed by the next
-- commit, or when the daemon starts.
CREATE TABLE tickets_search_pending (
    ticket_rowid INTEGER PRIMARY KEY NOT NULL
);

DROP TRIGGER tickets_search_insert;
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_search_pending (ticket_rowid) VALUES (new.rowid);
END;

-- A row still pending is not in the index: it is forgotten, not deleted from the index
-- (an FTS5 'delete' of terms that were never inserted corrupts the index).
DROP TRIGGER tickets_search_delete;
CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    SELECT 'delete', old.rowid, old.title, old.description, old.number
    WHERE NOT EXISTS (SELECT 1 FROM tickets_search_pending WHERE ticket_rowid = old.rowid);
    DELETE FROM tickets_search_pending WHERE ticket_rowid = old.rowid;
END;

-- A pending row's text is read when it is indexed, whatever it became meanwhile.
DROP TRIGGER tickets_search_update;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF title, description, number ON tickets
WHEN (old.title IS NOT new.title
  OR old.description IS NOT new.description
  OR old.number IS NOT new.number)
  AND NOT EXISTS (SELECT 1 FROM tickets_search_pending WHERE ticket_rowid = old.rowid)
BEGIN
    INSERT INTO tickets_search (tickets_search, rowid, title, description, number)
    VALUES ('delete', old.rowid, old.title, old.description, old.number);
    INSERT INTO tickets_search (rowid, title, description, number)
    VALUES (new.rowid, new.title, new.description, new.number);
END;
