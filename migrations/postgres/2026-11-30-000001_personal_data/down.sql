DROP INDEX tickets_retention_idx;
ALTER TABLE tickets DROP COLUMN anonymised_at;
DROP TABLE personal_data;
