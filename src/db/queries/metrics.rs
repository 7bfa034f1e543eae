//! The figures `/metrics` reads at scrape time.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::sla_events::dsl as ev;
use crate::db::schema::tickets::dsl as t;
use crate::db::DbConn;

/// Tickets by status and tier.
pub fn tickets_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i32, i64)>> {
    t::tickets
        .group_by((t::status, t::tier))
        .select((t::status, t::tier, diesel::dsl::count_star()))
        .load(conn)
}

pub fn tickets_created(conn: &mut DbConn) -> QueryResult<i64> {
    t::tickets.count().get_result(conn)
}

/// Warnings, breaches and escalations (each at most once per ticket and target).
pub fn sla_events(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for kind in ["warned", "breached", "escalated"] {
        let n: i64 = ev::sla_events
            .filter(ev::kind.eq(kind))
            .count()
            .get_result(conn)?;
        out.push((kind.to_string(), n));
    }
    Ok(out)
}

/// The oldest SLA check due by `now` (the scheduler's backlog).
pub fn oldest_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    t::tickets
        .filter(t::sla_next_at.le(now))
        .select(diesel::dsl::min(t::sla_next_at))
        .first(conn)
}
