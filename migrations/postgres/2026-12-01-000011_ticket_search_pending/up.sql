-- SQLite only (its search index is kept by triggers and indexed before each commit);
-- PostgreSQL's trigram indexes are ordinary expression indexes. Kept so both backends have
-- the same migration names.
SELECT 1;
