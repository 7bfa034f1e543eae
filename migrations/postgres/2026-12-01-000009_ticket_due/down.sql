DROP INDEX tickets_org_due_idx;
DROP INDEX tickets_tier_due_idx;
ALTER TABLE tickets DROP COLUMN sla_due_at;
