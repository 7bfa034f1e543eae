-- Foundation schema (SQLite). Must stay column-for-column identical to the PostgreSQL
-- migration of the same name: one src/db/schema.rs serves both backends.
-- Instants are UTC TIMESTAMP; ids are UUID text; JSON is TEXT.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pd', 'dinas', 'coordination')),
    parent_id TEXT REFERENCES organizations (id),
    email TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    nip TEXT UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL CHECK (role IN ('technician', 'operator', 'supervisor', 'coordinator', 'auditor', 'admin')),
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE services (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('system', 'service')),
    sla_policy_id TEXT,
    availability_target_percent DOUBLE PRECISION NOT NULL,
    criticality TEXT NOT NULL CHECK (criticality IN ('normal', 'proposed', 'critical', 'rejected')),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX services_organization_idx ON services (organization_id);

CREATE TABLE ticket_counters (
    scope TEXT PRIMARY KEY NOT NULL,
    last_value BIGINT NOT NULL
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    reporter_organization_id TEXT NOT NULL REFERENCES organizations (id),
    service_id TEXT REFERENCES services (id),
    kind TEXT NOT NULL CHECK (kind IN ('complaint', 'incident', 'problem', 'request', 'change')),
    impact TEXT NOT NULL CHECK (impact IN ('high', 'medium', 'low')),
    urgency TEXT NOT NULL CHECK (urgency IN ('high', 'medium', 'low')),
    priority TEXT NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    priority_overridden BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'in_progress', 'pending', 'resolved', 'closed', 'cancelled')),
    tier INTEGER NOT NULL CHECK (tier IN (1, 2)),
    assignee_id TEXT REFERENCES users (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    classification TEXT NOT NULL CHECK (classification IN ('normal', 'restricted')),
    reporter_name TEXT NOT NULL,
    reporter_email TEXT,
    reporter_phone TEXT,
    reported_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    resolved_at TIMESTAMP,
    resolution TEXT,
    closed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    escalation_mode TEXT CHECK (escalation_mode IN ('manual', 'automatic')),
    escalation_reason TEXT,
    escalated_at TIMESTAMP,
    escalated_by TEXT REFERENCES users (id),
    outage_start TIMESTAMP,
    outage_end TIMESTAMP,
    version INTEGER NOT NULL
);
CREATE INDEX tickets_org_created_idx ON tickets (organization_id, created_at, id);
CREATE INDEX tickets_reporter_org_created_idx ON tickets (reporter_organization_id, created_at, id);
CREATE INDEX tickets_tier_created_idx ON tickets (tier, created_at, id);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_created_idx ON tickets (created_at, id);
CREATE INDEX tickets_service_idx ON tickets (service_id);
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id);

CREATE TABLE ticket_comments (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    author_id TEXT NOT NULL REFERENCES users (id),
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_comments_ticket_idx ON ticket_comments (ticket_id, created_at);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);

-- Append-only: the code never updates or deletes a row here. `seq` orders events globally
-- (a future hash chain links each row to its predecessor by seq).
CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    occurred_at TIMESTAMP NOT NULL,
    actor_id TEXT,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    ticket_id TEXT,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, seq);
CREATE INDEX audit_events_ticket_idx ON audit_events (ticket_id, seq);
