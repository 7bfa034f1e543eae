DROP TABLE report_chunks;
DROP TABLE reports;
DROP TABLE sanctions;
ALTER TABLE services DROP COLUMN sop;
