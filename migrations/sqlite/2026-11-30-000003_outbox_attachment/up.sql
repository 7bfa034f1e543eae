-- A stored report attached to a notice (`report:<period>:<format>`): the monthly report goes to the
-- Tim Koordinasi with its XLSX. The sender reads the bytes when it sends, so the outbox holds
-- a reference, not a copy.
ALTER TABLE outbox ADD COLUMN attachment TEXT;
