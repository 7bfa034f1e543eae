//! What retention reads and erases beside the ticket row and `personal_data`.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox::dsl as o;
use crate::db::schema::outbox_bodies::dsl as b;
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

/// Removes the addresses and bodies of a ticket's mail to `addresses` (a body may quote
/// what the reporter wrote); the row stays as the record that a notice was sent. A body the
/// notice's other recipients share stays theirs; one nobody names any more is deleted. A
/// notice still queued to such an address is parked as dead instead of being sent. Returns
/// the rows changed.
pub fn erase_mail(
    conn: &mut DbConn,
    ticket_id: &str,
    addresses: &[String],
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let rows: Vec<(String, String, String, Option<String>)> = o::outbox
        .filter(o::ticket_id.eq(ticket_id))
        .filter(o::recipient.eq_any(addresses))
        .select((o::id, o::status, o::source_id, o::body_id))
        .load(conn)?;
    for (id, status, _, _) in &rows {
        let status = if status == "queued" {
            "dead"
        } else {
            status.as_str()
        };
        diesel::update(o::outbox.find(id))
            .set((
                o::recipient.eq(format!("erased:{id}")),
                o::body_id.eq(None::<String>),
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
    let bodies: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter_map(|(_, _, source, body)| Some((source.as_str(), body.as_deref()?)))
        .collect();
    for (source, body) in bodies {
        // The rows sharing a body are one notice's: found by its source through the
        // outbox's unique (source_id, recipient) index.
        let named = o::outbox
            .filter(o::source_id.eq(source))
            .filter(o::body_id.eq(body));
        diesel::delete(b::outbox_bodies.find(body))
            .filter(diesel::dsl::not(diesel::dsl::exists(named)))
            .execute(conn)?;
    }
    Ok(rows.len())
}
