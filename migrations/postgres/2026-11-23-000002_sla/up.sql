-- SLA engine: versioned calendars and policies, per-ticket targets, and the SLA ledger.
-- Keep identical to the SQLite migration of the same name.

CREATE TABLE calendars (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL,
    working_hours TEXT NOT NULL,
    holidays TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Immutable: one row per saved version; tickets point at the version they started with.
CREATE TABLE calendar_versions (
    calendar_id TEXT NOT NULL REFERENCES calendars (id),
    version INTEGER NOT NULL,
    timezone TEXT NOT NULL,
    working_hours TEXT NOT NULL,
    holidays TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (calendar_id, version)
);

CREATE TABLE sla_policies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    calendar_id TEXT NOT NULL REFERENCES calendars (id),
    warn_at_percent INTEGER NOT NULL,
    targets TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sla_policy_versions (
    policy_id TEXT NOT NULL REFERENCES sla_policies (id),
    version INTEGER NOT NULL,
    calendar_id TEXT NOT NULL REFERENCES calendars (id),
    calendar_version INTEGER NOT NULL,
    warn_at_percent INTEGER NOT NULL,
    targets TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (policy_id, version)
);

-- One row per SLA target of a ticket: response, escalation (the Tier 1 window),
-- resolution (end to end) and tier2_resolution (the OLA, opened by escalation).
CREATE TABLE sla_targets (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    target TEXT NOT NULL CHECK (target IN ('response', 'escalation', 'resolution', 'tier2_resolution')),
    tier INTEGER NOT NULL,
    minutes BIGINT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    stops TEXT NOT NULL,
    stop_reason TEXT,
    ended_at TIMESTAMP,
    due_at TIMESTAMP,
    warned_at TIMESTAMP,
    breached_at TIMESTAMP,
    UNIQUE (ticket_id, target)
);

-- Append-only ledger of what happened to each target, with the versions in force.
CREATE TABLE sla_events (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    target TEXT NOT NULL,
    tier INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    reason TEXT,
    policy_id TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    calendar_id TEXT NOT NULL,
    calendar_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX sla_events_ticket_idx ON sla_events (ticket_id, seq);

ALTER TABLE tickets ADD COLUMN sla_policy_id TEXT REFERENCES sla_policies (id);
ALTER TABLE tickets ADD COLUMN sla_policy_version INTEGER;
ALTER TABLE tickets ADD COLUMN sla_calendar_id TEXT REFERENCES calendars (id);
ALTER TABLE tickets ADD COLUMN sla_calendar_version INTEGER;
ALTER TABLE tickets ADD COLUMN sla_breached BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN pending_since TIMESTAMP;
ALTER TABLE tickets ADD COLUMN pending_reason TEXT;
-- When the scheduler must look at the ticket next (a warning, a deadline, a pause limit);
-- null when nothing is pending. The scheduler reads only rows due by this index.
ALTER TABLE tickets ADD COLUMN sla_next_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN sla_lease_owner TEXT;
ALTER TABLE tickets ADD COLUMN sla_lease_until TIMESTAMP;
CREATE INDEX tickets_sla_next_idx ON tickets (sla_next_at);
CREATE INDEX tickets_sla_breached_idx ON tickets (sla_breached, created_at);

-- A comment that records the reporter's own reply (it resumes a pending ticket).
ALTER TABLE ticket_comments ADD COLUMN from_reporter BOOLEAN NOT NULL DEFAULT FALSE;
