//! The web console's sign-in links and sessions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::{ConsoleLink, ConsoleSession, User};
use crate::db::schema::console_links::dsl as l;
use crate::db::schema::console_sessions::dsl as s;
use crate::db::schema::users::dsl as u;
use crate::db::DbConn;

pub fn insert_link(conn: &mut DbConn, link: &ConsoleLink) -> QueryResult<()> {
    diesel::insert_into(l::console_links)
        .values(link)
        .execute(conn)
        .map(|_| ())
}

/// Marks a live, unused link used and returns its user: one conditional UPDATE, so of two
/// clicks on the same link exactly one wins.
pub fn use_link(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    let n = diesel::update(
        l::console_links
            .filter(l::id.eq(id))
            .filter(l::used_at.is_null())
            .filter(l::expires_at.gt(now)),
    )
    .set(l::used_at.eq(now))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    l::console_links
        .find(id)
        .select(l::user_id)
        .first(conn)
        .optional()
}

/// Links a user asked for since `since`, for the per-user limit.
pub fn links_since(conn: &mut DbConn, user_id: &str, since: NaiveDateTime) -> QueryResult<i64> {
    l::console_links
        .filter(l::user_id.eq(user_id))
        .filter(l::created_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn insert_session(conn: &mut DbConn, session: &ConsoleSession) -> QueryResult<()> {
    diesel::insert_into(s::console_sessions)
        .values(session)
        .execute(conn)
        .map(|_| ())
}

/// A live session and its (active) user.
pub fn live_session(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(ConsoleSession, User)>> {
    s::console_sessions
        .inner_join(u::users)
        .filter(s::id.eq(id))
        .filter(s::ended_at.is_null())
        .filter(s::expires_at.gt(now))
        .filter(u::active.eq(true))
        .select((ConsoleSession::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Moves a session's idle expiry on; at most once per `not_since`, so most requests only read.
pub fn touch_session(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
    not_since: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        s::console_sessions
            .filter(s::id.eq(id))
            .filter(s::last_seen_at.lt(not_since)),
    )
    .set((s::last_seen_at.eq(now), s::expires_at.eq(expires_at)))
    .execute(conn)
    .map(|_| ())
}

/// Ends a session; true when it was live.
pub fn end_session(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        s::console_sessions
            .filter(s::id.eq(id))
            .filter(s::ended_at.is_null()),
    )
    .set(s::ended_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Removes links and sessions that ended or expired before `before`.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let a = diesel::delete(l::console_links.filter(l::expires_at.lt(before))).execute(conn)?;
    let b = diesel::delete(
        s::console_sessions.filter(s::expires_at.lt(before).or(s::ended_at.lt(before))),
    )
    .execute(conn)?;
    Ok(a + b)
}

/// The user of a session, live or not.
pub fn session_user(conn: &mut DbConn, id: &str) -> QueryResult<Option<String>> {
    s::console_sessions
        .find(id)
        .select(s::user_id)
        .first(conn)
        .optional()
}

/// Breaches the SLA ledger recorded at or after `since`.
pub fn breaches_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<i64> {
    use crate::db::schema::sla_events::dsl as e;
    e::sla_events
        .filter(e::kind.eq("breached"))
        .filter(e::at.ge(since))
        .count()
        .get_result(conn)
}

/// Open tickets whose nearest running deadline falls in `(now, until]`, nearest first.
pub fn due_between(
    conn: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<crate::db::models::Ticket>> {
    use crate::db::schema::tickets::dsl as t;
    t::tickets
        .filter(t::status.eq_any(["new", "in_progress", "pending"]))
        .filter(t::sla_due_at.gt(now))
        .filter(t::sla_due_at.le(until))
        .order((t::sla_due_at.asc(), t::id.asc()))
        .limit(limit)
        .select(crate::db::models::Ticket::as_select())
        .load(conn)
}

/// Open Tier 2 tickets by status and assignee (None: nobody yet).
pub fn tier2_load(conn: &mut DbConn) -> QueryResult<Vec<(String, Option<String>, i64)>> {
    use crate::db::schema::tickets::dsl as t;
    t::tickets
        .filter(t::tier.eq(2))
        .filter(t::status.eq_any(["new", "in_progress", "pending"]))
        .group_by((t::status, t::assignee_id))
        .select((t::status, t::assignee_id, diesel::dsl::count_star()))
        .load(conn)
}

/// The names of these users.
pub fn user_names(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    u::users
        .filter(u::id.eq_any(ids))
        .select((u::id, u::name))
        .load(conn)
}
