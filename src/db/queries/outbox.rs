//! The mail outbox: queued notices, their delivery state, and what the admin sees of them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::{OutboxBody, OutboxRecord, OutboxRow};
use crate::db::schema::outbox::dsl as o;
use crate::db::schema::outbox_bodies::dsl as b;
use crate::db::DbConn;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

/// Whether a notice of `source_id` to `recipient` is already in the outbox.
pub fn exists(conn: &mut DbConn, source_id: &str, recipient: &str) -> QueryResult<bool> {
    use crate::db::schema::outbox::dsl as o;
    diesel::select(diesel::dsl::exists(
        o::outbox
            .filter(o::source_id.eq(source_id))
            .filter(o::recipient.eq(recipient)),
    ))
    .get_result(conn)
}

/// Queues notices in the caller's transaction. The rows of one notice (its recipients'
/// rows, one after another, with the same source and bodies) share one stored body, named
/// after the first of them.
pub fn insert(conn: &mut DbConn, rows: &[OutboxRow]) -> QueryResult<()> {
    let mut bodies: Vec<OutboxBody> = Vec::new();
    let mut records: Vec<OutboxRecord> = Vec::with_capacity(rows.len());
    let mut last: Option<&OutboxRow> = None;
    for r in rows {
        if r.body_text.is_empty() && r.body_html.is_empty() {
            records.push(r.record(None));
            continue;
        }
        let first = match last {
            Some(l)
                if l.source_id == r.source_id
                    && l.body_text == r.body_text
                    && l.body_html == r.body_html =>
            {
                l
            }
            _ => {
                bodies.push(OutboxBody {
                    id: r.id.clone(),
                    body_text: r.body_text.clone(),
                    body_html: r.body_html.clone(),
                });
                last = Some(r);
                r
            }
        };
        records.push(r.record(Some(first.id.clone())));
    }
    crate::insert_rows!(conn, b::outbox_bodies, &bodies)?;
    crate::insert_rows!(conn, o::outbox, &records).map(|_| ())
}

/// Puts back one archived row; its body is shared with the row of the same notice restored
/// before it, as it was when the archive was written.
pub fn restore(conn: &mut DbConn, row: &OutboxRow) -> QueryResult<()> {
    if row.body_text.is_empty() && row.body_html.is_empty() {
        return insert(conn, std::slice::from_ref(row));
    }
    let shared: Option<String> = o::outbox
        .inner_join(b::outbox_bodies)
        .filter(o::source_id.eq(&row.source_id))
        .filter(b::body_text.eq(&row.body_text))
        .filter(b::body_html.eq(&row.body_html))
        .select(b::id)
        .first(conn)
        .optional()?;
    match shared {
        Some(id) => diesel::insert_into(o::outbox)
            .values(row.record(Some(id)))
            .execute(conn)
            .map(|_| ()),
        None => insert(conn, std::slice::from_ref(row)),
    }
}

/// Outbox rows with their bodies, for `load`ing as `OutboxRow`s (`OutboxRow::joined`).
type Joined = (OutboxRecord, Option<(String, String)>);

/// The outbox left-joined to the bodies: a row whose recipient was erased has none.
macro_rules! joined {
    () => {
        o::outbox.left_join(b::outbox_bodies).select((
            OutboxRecord::as_select(),
            (b::body_text, b::body_html).nullable(),
        ))
    };
}

fn rows(loaded: Vec<Joined>) -> Vec<OutboxRow> {
    loaded
        .into_iter()
        .map(|(r, body)| OutboxRow::joined(r, body))
        .collect()
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<OutboxRow>> {
    let row: Option<Joined> = joined!().filter(o::id.eq(id)).first(conn).optional()?;
    Ok(row.map(|(r, body)| OutboxRow::joined(r, body)))
}

#[derive(Debug, Default, Clone)]
pub struct OutboxFilter {
    pub status: Option<String>,
    pub ticket_id: Option<String>,
    pub recipient: Option<String>,
    /// Rows created before this (created_at, id), newest first.
    pub before: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

/// Newest first; one row more than `limit` when there is a next page.
pub fn list(conn: &mut DbConn, f: &OutboxFilter) -> QueryResult<Vec<OutboxRow>> {
    let mut q = joined!().into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(o::status.eq(s.clone()));
    }
    if let Some(t) = &f.ticket_id {
        q = q.filter(o::ticket_id.eq(t.clone()));
    }
    if let Some(r) = &f.recipient {
        q = q.filter(o::recipient.eq(r.to_ascii_lowercase()));
    }
    if let Some((at, id)) = &f.before {
        q = q.filter(
            o::created_at
                .lt(*at)
                .or(o::created_at.eq(*at).and(o::id.lt(id.clone()))),
        );
    }
    let loaded = q
        .order((o::created_at.desc(), o::id.desc()))
        .limit(f.limit + 1)
        .load(conn)?;
    Ok(rows(loaded))
}

/// These rows, with their bodies, in the order of `next_attempt_at` (the sender's).
pub fn by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<OutboxRow>> {
    let loaded = joined!()
        .filter(o::id.eq_any(ids))
        .order(o::next_attempt_at.asc())
        .load(conn)?;
    Ok(rows(loaded))
}

/// Every row, with its body (a backup).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OutboxRow>> {
    Ok(rows(joined!().load(conn)?))
}

/// Rows by status, for the metrics and the admin.
pub fn counts(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    o::outbox
        .group_by(o::status)
        .select((o::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Records a delivery. The claim may have expired meanwhile; the message went out all the
/// same, so it is recorded whoever holds the row now.
pub fn mark_sent(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(o::outbox.find(id).filter(o::status.eq(QUEUED)))
        .set((
            o::status.eq(SENT),
            o::sent_at.eq(now),
            o::attempts.eq(o::attempts + 1),
            o::lease_owner.eq(None::<String>),
            o::lease_until.eq(None::<NaiveDateTime>),
            o::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt: the row waits until `retry_at`, or is parked as dead.
pub fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let row = o::outbox
        .find(id)
        .filter(o::status.eq(QUEUED))
        .filter(o::lease_owner.eq(owner));
    let common = (
        o::attempts.eq(o::attempts + 1),
        o::lease_owner.eq(None::<String>),
        o::lease_until.eq(None::<NaiveDateTime>),
        o::last_error.eq(Some(error.to_string())),
    );
    let n = match retry_at {
        Some(at) => diesel::update(row)
            .set((common, o::next_attempt_at.eq(at)))
            .execute(conn)?,
        None => diesel::update(row)
            .set((common, o::status.eq(DEAD)))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Puts dead rows (one, or all) back in the queue, due now, with their attempts reset.
pub fn requeue(conn: &mut DbConn, id: Option<&str>, now: NaiveDateTime) -> QueryResult<usize> {
    let mut q = diesel::update(o::outbox)
        .filter(o::status.eq(DEAD))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(o::id.eq(id.to_string()));
    }
    q.set((
        o::status.eq(QUEUED),
        o::attempts.eq(0),
        o::next_attempt_at.eq(now),
        o::lease_owner.eq(None::<String>),
        o::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}
