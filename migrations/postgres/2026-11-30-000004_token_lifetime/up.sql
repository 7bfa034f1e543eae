-- Who issued a token (an admin issuing one for someone else shows in that user's list and
-- the audit trail), and when it stops working (optional expiry; rotation issues a new one).
ALTER TABLE api_tokens ADD COLUMN issued_by TEXT REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
