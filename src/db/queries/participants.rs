//! A ticket's extra participants.

use diesel::prelude::*;

use crate::db::models::Participant;
use crate::db::schema::ticket_participants::dsl as p;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, row: &Participant) -> QueryResult<()> {
    diesel::insert_into(p::ticket_participants)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn list(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<Participant>> {
    p::ticket_participants
        .filter(p::ticket_id.eq(ticket_id))
        .order((p::created_at.asc(), p::id.asc()))
        .load(conn)
}

/// The participants of many tickets, each ticket's oldest first.
pub fn list_many(conn: &mut DbConn, ticket_ids: &[&str]) -> QueryResult<Vec<Participant>> {
    let mut out = Vec::new();
    for chunk in ticket_ids.chunks(crate::db::INSERT_CHUNK) {
        out.extend(
            p::ticket_participants
                .filter(p::ticket_id.eq_any(chunk))
                .order((p::ticket_id.asc(), p::created_at.asc(), p::id.asc()))
                .load::<Participant>(conn)?,
        );
    }
    Ok(out)
}

pub fn by_email(
    conn: &mut DbConn,
    ticket_id: &str,
    email: &str,
) -> QueryResult<Option<Participant>> {
    p::ticket_participants
        .filter(p::ticket_id.eq(ticket_id))
        .filter(p::email.eq(email))
        .first(conn)
        .optional()
}

pub fn get(conn: &mut DbConn, ticket_id: &str, id: &str) -> QueryResult<Option<Participant>> {
    p::ticket_participants
        .filter(p::ticket_id.eq(ticket_id))
        .filter(p::id.eq(id))
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(p::ticket_participants.find(id)).execute(conn)
}
