-- The Tim Koordinasi report.
-- What each service's SOP covers (Makassar Ps 33(4)): JSON {definition, policy,
-- incident_problem, requests, customer_relations, service_level}, each a text or a document
-- reference; the report lists critical services whose SOP is incomplete.
ALTER TABLE services ADD COLUMN sop TEXT NOT NULL DEFAULT '{}';

-- The sanctions ledger (Ps 32(5)): letters from the Tim Koordinasi to the Dinas (warning,
-- reprimand) and temporary closures of a service by the Dinas, lifted after the owning
-- PD's repair.
CREATE TABLE sanctions (
    id TEXT PRIMARY KEY NOT NULL,
    service_id TEXT NOT NULL REFERENCES services (id),
    level TEXT NOT NULL CHECK (level IN ('warning', 'reprimand', 'closure')),
    letter_number TEXT,
    -- YYYY-MM-DD, the date on the letter or of the closure.
    issued_on TEXT NOT NULL,
    -- The organization addressed (the Dinas for a letter).
    addressed_to TEXT REFERENCES organizations (id),
    -- The report month that motivated it, YYYY-MM.
    report_month TEXT,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    lifted_at TIMESTAMP,
    lifted_by TEXT REFERENCES users (id),
    remediation TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX sanctions_service_idx ON sanctions (service_id, issued_on);

-- Reports of ended periods, frozen at their first generation: the bytes of each format in
-- chunks (so neither storing nor serving holds a large report in memory at once), and a
-- manifest row with their SHA-256.
CREATE TABLE reports (
    period TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    chunks INTEGER NOT NULL,
    generated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (period, format)
);
CREATE TABLE report_chunks (
    period TEXT NOT NULL,
    format TEXT NOT NULL,
    n INTEGER NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (period, format, n)
);
