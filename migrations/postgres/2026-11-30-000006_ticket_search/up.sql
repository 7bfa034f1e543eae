-- `q` on the ticket list is `lower(col) LIKE '%text%'` over title, description and
-- number: trigram GIN indexes answer it without reading every ticket. pg_trgm is a trusted
-- extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tickets_search_title_idx ON tickets USING gin (lower(title) gin_trgm_ops);
CREATE INDEX tickets_search_description_idx ON tickets USING gin (lower(description) gin_trgm_ops);
CREATE INDEX tickets_search_number_idx ON tickets USING gin (lower(number) gin_trgm_ops);
