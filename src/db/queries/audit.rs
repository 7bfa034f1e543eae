//! The audit trail is append-only: this module inserts and reads, and nothing in the code
//! base updates or deletes an audit row.

use diesel::prelude::*;

use crate::db::models::{AuditEvent, NewAuditEvent};
use crate::db::schema::audit_events::dsl as a;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, ev: &NewAuditEvent) -> QueryResult<()> {
    diesel::insert_into(a::audit_events)
        .values(ev)
        .execute(conn)
        .map(|_| ())
}

pub fn for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<AuditEvent>> {
    a::audit_events
        .filter(a::ticket_id.eq(ticket_id))
        .order(a::seq.asc())
        .load(conn)
}

pub fn for_entity(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: &str,
) -> QueryResult<Vec<AuditEvent>> {
    a::audit_events
        .filter(a::entity_type.eq(entity_type))
        .filter(a::entity_id.eq(entity_id))
        .order(a::seq.asc())
        .load(conn)
}

/// What one audit row says: who did what to which entity.
pub struct Record<'a> {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub ticket_id: Option<&'a str>,
    pub action: &'a str,
    pub changes: &'a crate::domain::audit::Changes,
    pub data: serde_json::Value,
}

/// Appends one event, in the caller's transaction, and returns its id.
pub fn record(conn: &mut DbConn, r: Record<'_>) -> QueryResult<String> {
    use crate::domain::audit::canonical;
    let id = uuid::Uuid::new_v4().to_string();
    insert(
        conn,
        &NewAuditEvent {
            id: id.clone(),
            occurred_at: r.at.naive_utc(),
            actor_id: r.actor_id.map(str::to_string),
            entity_type: r.entity_type.to_string(),
            entity_id: r.entity_id.to_string(),
            ticket_id: r.ticket_id.map(str::to_string),
            action: r.action.to_string(),
            changes: canonical(&r.changes.to_value()),
            data: canonical(&r.data),
        },
    )?;
    Ok(id)
}

/// Records the creation of a (non-ticket) entity: every field of `after` goes from null.
pub fn created(
    conn: &mut DbConn,
    at: chrono::DateTime<chrono::Utc>,
    actor_id: Option<&str>,
    entity_type: &str,
    entity_id: &str,
    after: &serde_json::Value,
    ignore: &[&str],
) -> QueryResult<()> {
    let changes = crate::domain::audit::Changes::diff(&serde_json::Value::Null, after, ignore);
    record(
        conn,
        Record {
            at,
            actor_id,
            entity_type,
            entity_id,
            ticket_id: None,
            action: "created",
            changes: &changes,
            data: serde_json::json!({}),
        },
    )
    .map(|_| ())
}
