//! Row structs. Instants are stored as UTC `NaiveDateTime`; conversion to `DateTime<Utc>`
//! happens at the API edge (`routes::dto`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
pub struct Organization {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub nip: Option<String>,
    pub organization_id: String,
    pub role: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The user who issued it (None: `init` or `demo`); archives from before it lack it.
    #[serde(default)]
    pub issued_by: Option<String>,
    /// When it stops working; None: when revoked.
    #[serde(default)]
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = services, treat_none_as_null = true)]
pub struct Service {
    pub id: String,
    pub organization_id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub sla_policy_id: Option<String>,
    pub availability_target_percent: f64,
    pub criticality: String,
    pub status: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// JSON: what the service's SOP covers (Makassar Ps 33(4)); archives from before it
    /// lack it.
    #[serde(default = "empty_object")]
    pub sop: String,
}

fn empty_object() -> String {
    "{}".into()
}

/// A ticket row. Inserted whole as `NewTicket` and saved whole as `TicketChangeset` under
/// an optimistic version check, so a handler changes the struct and saves it once. No
/// column of it has a DEFAULT, so `None` is NULL and a batch of rows is one multi-row
/// statement on SQLite too (the scheduler saves its batches so).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(
    table_name = tickets,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct Ticket {
    pub id: String,
    pub number: String,
    pub organization_id: String,
    pub reporter_organization_id: String,
    pub service_id: Option<String>,
    pub kind: String,
    pub impact: String,
    pub urgency: String,
    pub priority: String,
    pub priority_overridden: bool,
    pub status: String,
    pub tier: i32,
    pub assignee_id: Option<String>,
    pub title: String,
    pub description: String,
    pub classification: String,
    pub reporter_name: String,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub reported_at: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub first_response_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolution: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub escalation_mode: Option<String>,
    pub escalation_reason: Option<String>,
    pub escalated_at: Option<NaiveDateTime>,
    pub escalated_by: Option<String>,
    pub outage_start: Option<NaiveDateTime>,
    pub outage_end: Option<NaiveDateTime>,
    pub version: i32,
    pub sla_policy_id: Option<String>,
    pub sla_policy_version: Option<i32>,
    pub sla_calendar_id: Option<String>,
    pub sla_calendar_version: Option<i32>,
    pub sla_breached: bool,
    pub pending_since: Option<NaiveDateTime>,
    pub pending_reason: Option<String>,
    /// When the scheduler must look at the ticket next. The lease columns beside it are
    /// deliberately not in this struct: saving a ticket must never clear a claim.
    pub sla_next_at: Option<NaiveDateTime>,
    /// The nearest running deadline, which the console's queues sort by (archives from
    /// before it lack it; a restore leaves it to the next sync).
    #[serde(default)]
    pub sla_due_at: Option<NaiveDateTime>,
    /// When retention removed the reporter's details (archives from before it lack it).
    #[serde(default)]
    pub anonymised_at: Option<NaiveDateTime>,
}

pub type NewTicket = Ticket;

/// The columns of a ticket that a change touched, for an UPDATE that writes only those:
/// an unchanged column then costs nothing, and neither do the indexes and triggers on it
/// (a full-row UPDATE rewrote every index entry of the row and re-indexed its text for
/// search on each save). `None` leaves a column alone; `Some(None)` sets it NULL.
macro_rules! ticket_delta {
    ($($field:ident: $ty:ty),* $(,)?) => {
        #[derive(Debug, Default, AsChangeset)]
        #[diesel(table_name = tickets)]
        pub struct TicketDelta {
            $(pub $field: Option<$ty>,)*
        }

        impl TicketDelta {
            /// What differs from `before` in `after`; None when nothing does.
            pub fn between(before: &Ticket, after: &Ticket) -> Option<TicketDelta> {
                let mut changed = false;
                let delta = TicketDelta {
                    $($field: (before.$field != after.$field).then(|| {
                        changed = true;
                        after.$field.clone()
                    }),)*
                };
                changed.then_some(delta)
            }
        }
    };
}

ticket_delta!(
    number: String,
    organization_id: String,
    reporter_organization_id: String,
    service_id: Option<String>,
    kind: String,
    impact: String,
    urgency: String,
    priority: String,
    priority_overridden: bool,
    status: String,
    tier: i32,
    assignee_id: Option<String>,
    title: String,
    description: String,
    classification: String,
    reporter_name: String,
    reporter_email: Option<String>,
    reporter_phone: Option<String>,
    reported_at: NaiveDateTime,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    first_response_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    resolution: Option<String>,
    closed_at: Option<NaiveDateTime>,
    cancelled_at: Option<NaiveDateTime>,
    escalation_mode: Option<String>,
    escalation_reason: Option<String>,
    escalated_at: Option<NaiveDateTime>,
    escalated_by: Option<String>,
    outage_start: Option<NaiveDateTime>,
    outage_end: Option<NaiveDateTime>,
    version: i32,
    sla_policy_id: Option<String>,
    sla_policy_version: Option<i32>,
    sla_calendar_id: Option<String>,
    sla_calendar_version: Option<i32>,
    sla_breached: bool,
    pending_since: Option<NaiveDateTime>,
    pending_reason: Option<String>,
    sla_next_at: Option<NaiveDateTime>,
    sla_due_at: Option<NaiveDateTime>,
    anonymised_at: Option<NaiveDateTime>,
);

/// A personal value an audit event refers to as `pii:<digest>`; salt and value are gone
/// once retention erased it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = personal_data, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct PersonalData {
    pub digest: String,
    pub ticket_id: String,
    pub salt: Option<String>,
    pub value: Option<String>,
    pub created_at: NaiveDateTime,
    pub erased_at: Option<NaiveDateTime>,
}
pub type TicketChangeset = Ticket;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = ticket_comments)]
pub struct Comment {
    pub id: String,
    pub ticket_id: String,
    pub author_id: String,
    pub visibility: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub from_reporter: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyKey {
    pub user_id: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub ticket_id: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub seq: i64,
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub ticket_id: Option<String>,
    pub action: String,
    pub changes: String,
    pub data: String,
    /// The entity's own sequence, from 1 (null only on rows older than the chain, until the
    /// next start gives them one).
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct NewAuditEvent {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub ticket_id: Option<String>,
    pub action: String,
    pub changes: String,
    pub data: String,
    /// The entity's own sequence, from 1 (null only on rows older than the chain, until the
    /// next start gives them one).
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = calendars)]
pub struct CalendarRow {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub working_hours: String,
    pub holidays: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = calendar_versions)]
pub struct CalendarVersion {
    pub calendar_id: String,
    pub version: i32,
    pub timezone: String,
    pub working_hours: String,
    pub holidays: String,
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = sla_policies)]
pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub calendar_id: String,
    pub warn_at_percent: i32,
    pub targets: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = sla_policy_versions)]
pub struct PolicyVersion {
    pub policy_id: String,
    pub version: i32,
    pub calendar_id: String,
    pub calendar_version: i32,
    pub warn_at_percent: i32,
    pub targets: String,
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = sla_targets, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct TargetRow {
    pub id: String,
    pub ticket_id: String,
    pub target: String,
    pub tier: i32,
    pub minutes: i64,
    pub started_at: NaiveDateTime,
    pub stops: String,
    pub stop_reason: Option<String>,
    pub ended_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub warned_at: Option<NaiveDateTime>,
    pub breached_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = sla_events)]
pub struct SlaEventRow {
    pub seq: i64,
    pub id: String,
    pub ticket_id: String,
    pub target: String,
    pub tier: i32,
    pub kind: String,
    pub at: NaiveDateTime,
    pub reason: Option<String>,
    pub policy_id: String,
    pub policy_version: i32,
    pub calendar_id: String,
    pub calendar_version: i32,
    pub data: String,
    pub recorded_at: NaiveDateTime,
}

/// `treat_none_as_default_value = false`: a batch is one multi-row INSERT on SQLite too
/// (diesel sends one statement per row, in a savepoint, for a batch whose `None`s mean
/// DEFAULT, which SQLite's VALUES cannot say). No column of these tables has a DEFAULT.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sla_events, treat_none_as_default_value = false)]
pub struct NewSlaEvent {
    pub id: String,
    pub ticket_id: String,
    pub target: String,
    pub tier: i32,
    pub kind: String,
    pub at: NaiveDateTime,
    pub reason: Option<String>,
    pub policy_id: String,
    pub policy_version: i32,
    pub calendar_id: String,
    pub calendar_version: i32,
    pub data: String,
    pub recorded_at: NaiveDateTime,
}

/// One notice to one recipient, queued in the transaction of the change it reports: what
/// the app, the sender and a backup archive see. In the database the bodies live apart
/// (`OutboxRecord` names an `OutboxBody`, shared by the recipients of one notice);
/// `queries::outbox` joins and splits them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboxRow {
    pub id: String,
    pub ticket_id: Option<String>,
    pub event: String,
    pub source_id: String,
    pub recipient: String,
    pub subject: String,
    /// Empty once retention erased the recipient.
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub thread_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub not_before: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// `report:<period>:<format>`: a stored report sent along (archives from before it lack
    /// it).
    #[serde(default)]
    pub attachment: Option<String>,
}

/// A row of `outbox`: an `OutboxRow` without its bodies, which `body_id` names.
/// `treat_none_as_default_value = false`, as `NewSlaEvent`: a batch of notices is one
/// INSERT.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::outbox, treat_none_as_default_value = false)]
pub struct OutboxRecord {
    pub id: String,
    pub ticket_id: Option<String>,
    pub event: String,
    pub source_id: String,
    pub recipient: String,
    pub subject: String,
    pub message_id: String,
    pub thread_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub not_before: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub attachment: Option<String>,
    pub body_id: Option<String>,
}

/// The text and HTML of one notice, shared by the rows of its recipients.
/// `treat_none_as_default_value = false`: without it diesel inserts a batch on SQLite one
/// statement a row (seen in the scheduler bench: 3 statements a due ticket).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::outbox_bodies, treat_none_as_default_value = false)]
pub struct OutboxBody {
    pub id: String,
    pub body_text: String,
    pub body_html: String,
}

impl OutboxRow {
    /// The row as stored, naming the body `body_id`.
    pub fn record(&self, body_id: Option<String>) -> OutboxRecord {
        OutboxRecord {
            id: self.id.clone(),
            ticket_id: self.ticket_id.clone(),
            event: self.event.clone(),
            source_id: self.source_id.clone(),
            recipient: self.recipient.clone(),
            subject: self.subject.clone(),
            message_id: self.message_id.clone(),
            thread_id: self.thread_id.clone(),
            status: self.status.clone(),
            attempts: self.attempts,
            not_before: self.not_before,
            next_attempt_at: self.next_attempt_at,
            lease_owner: self.lease_owner.clone(),
            lease_until: self.lease_until,
            last_error: self.last_error.clone(),
            created_at: self.created_at,
            sent_at: self.sent_at,
            attachment: self.attachment.clone(),
            body_id,
        }
    }

    /// A stored row with its body (none: erased).
    pub fn joined(r: OutboxRecord, body: Option<(String, String)>) -> Self {
        let (body_text, body_html) = body.unwrap_or_default();
        OutboxRow {
            id: r.id,
            ticket_id: r.ticket_id,
            event: r.event,
            source_id: r.source_id,
            recipient: r.recipient,
            subject: r.subject,
            body_text,
            body_html,
            message_id: r.message_id,
            thread_id: r.thread_id,
            status: r.status,
            attempts: r.attempts,
            not_before: r.not_before,
            next_attempt_at: r.next_attempt_at,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
            attachment: r.attachment,
        }
    }
}

/// Someone beyond the reporter and the staff who follows a ticket by e-mail.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = crate::db::schema::ticket_participants)]
pub struct Participant {
    pub id: String,
    pub ticket_id: String,
    pub email: String,
    pub name: Option<String>,
    pub added_by: String,
    pub created_at: NaiveDateTime,
}

/// A signed checkpoint over the heads of every audit chain.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = crate::db::schema::audit_checkpoints)]
pub struct AuditCheckpoint {
    pub seq: i64,
    pub created_at: NaiveDateTime,
    pub heads: String,
    pub root: String,
    pub public_key: String,
    pub signature: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::db::schema::audit_checkpoints)]
pub struct NewAuditCheckpoint {
    pub created_at: NaiveDateTime,
    pub heads: String,
    pub root: String,
    pub public_key: String,
    pub signature: String,
}

/// The last number given out per prefix and year.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = ticket_counters)]
pub struct TicketCounter {
    pub scope: String,
    pub last_value: i64,
}

/// A sanction in the ledger (Makassar Ps 32(5)).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = sanctions, treat_none_as_null = true)]
pub struct Sanction {
    pub id: String,
    pub service_id: String,
    pub level: String,
    pub letter_number: Option<String>,
    pub issued_on: String,
    pub addressed_to: Option<String>,
    pub report_month: Option<String>,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub lifted_at: Option<NaiveDateTime>,
    pub lifted_by: Option<String>,
    pub remediation: Option<String>,
    pub version: i32,
}

/// The manifest of one stored report format.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = reports)]
pub struct StoredReport {
    pub period: String,
    pub format: String,
    pub sha256: String,
    pub bytes: i64,
    pub chunks: i32,
    pub generated_at: NaiveDateTime,
}

/// A piece of a stored report's bytes.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = report_chunks)]
pub struct ReportChunk {
    pub period: String,
    pub format: String,
    pub n: i32,
    #[serde(with = "hex_bytes")]
    pub content: Vec<u8>,
}

/// Bytes as hex in backup archives (JSON has no bytes).
mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// A one-time sign-in link of the web console, by the digest of its secret.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_links)]
pub struct ConsoleLink {
    pub id: String,
    pub user_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// A web console session, by the digest of its cookie.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSession {
    pub id: String,
    pub user_id: String,
    pub csrf: String,
    pub via: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}
