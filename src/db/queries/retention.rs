//! What retention reads and erases beside the ticket row and `personal_data`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox::dsl as o;
use crate::db::schema::tickets::dsl as t;
use crate::db::DbConn;

/// Ids of tickets of `classification` that ended (closed or cancelled) at or before
/// `ended_by` and still carry their reporter's details, `limit` after the id `after`.
pub fn due(
    conn: &mut DbConn,
    classification: &str,
    ended_by: NaiveDateTime,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    t::tickets
        .filter(t::anonymised_at.is_null())
        .filter(t::classification.eq(classification))
        .filter(
            (t::status.eq("closed").and(t::closed_at.le(ended_by)))
                .or(t::status.eq("cancelled").and(t::cancelled_at.le(ended_by))),
        )
        .filter(t::id.gt(after))
        .order(t::id.asc())
        .limit(limit)
        .select(t::id)
        .load(conn)
}

/// Removes the addresses and bodies of a ticket's mail to `addresses` (the body greets the
/// reporter by name); the row stays as the record that a notice was sent. A notice still
/// queued to such an address is parked as dead instead of being sent. Returns the rows
/// changed.
pub fn erase_mail(
    conn: &mut DbConn,
    ticket_id: &str,
    addresses: &[String],
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows: Vec<(String, String)> = o::outbox
        .filter(o::ticket_id.eq(ticket_id))
        .filter(o::recipient.eq_any(addresses))
        .select((o::id, o::status))
        .load(conn)?;
    for (id, status) in &rows {
        let status = if status == "queued" {
            "dead"
        } else {
            status.as_str()
        };
        diesel::update(o::outbox.find(id))
            .set((
                o::recipient.eq(format!("erased:{id}")),
                o::body_text.eq(""),
                o::body_html.eq(""),
                o::status.eq(status),
                o::lease_owner.eq(None::<String>),
                o::lease_until.eq(None::<NaiveDateTime>),
                o::last_error.eq(Some(format!(
                    "recipient erased by retention at {}",
                    at.format("%Y-%m-%d %H:%M:%S UTC")
                ))),
            ))
            .execute(conn)?;
    }
    Ok(rows.len())
}
