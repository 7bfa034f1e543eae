//! Calendars, policies (both versioned, versions immutable), ticket SLA targets, the SLA
//! ledger (append-only) and the scheduler's claims.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::{
    CalendarRow, CalendarVersion, NewSlaEvent, PolicyRow, PolicyVersion, SlaEventRow, TargetRow,
};
use crate::db::schema::{
    calendar_versions::dsl as cv, calendars::dsl as c, sla_events::dsl as ev,
    sla_policies::dsl as p, sla_policy_versions::dsl as pv, sla_targets::dsl as st,
    tickets::dsl as t,
};
use crate::db::DbConn;

pub fn insert_calendar(conn: &mut DbConn, row: &CalendarRow) -> QueryResult<()> {
    diesel::insert_into(c::calendars)
        .values(row)
        .execute(conn)?;
    insert_calendar_version(conn, row)
}

fn insert_calendar_version(conn: &mut DbConn, row: &CalendarRow) -> QueryResult<()> {
    diesel::insert_into(cv::calendar_versions)
        .values(&CalendarVersion {
            calendar_id: row.id.clone(),
            version: row.version,
            timezone: row.timezone.clone(),
            working_hours: row.working_hours.clone(),
            holidays: row.holidays.clone(),
            created_at: row.updated_at,
        })
        .execute(conn)
        .map(|_| ())
}

/// Saves a new version of a calendar if nobody else did since `expected_version`.
pub fn update_calendar(
    conn: &mut DbConn,
    row: &CalendarRow,
    expected_version: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        c::calendars
            .filter(c::id.eq(&row.id))
            .filter(c::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 1 {
        insert_calendar_version(conn, row)?;
    }
    Ok(n == 1)
}

pub fn calendar(conn: &mut DbConn, id: &str) -> QueryResult<Option<CalendarRow>> {
    c::calendars.find(id).first(conn).optional()
}

pub fn calendar_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<CalendarRow>> {
    c::calendars.filter(c::name.eq(name)).first(conn).optional()
}

pub fn calendars(conn: &mut DbConn) -> QueryResult<Vec<CalendarRow>> {
    c::calendars.order(c::name.asc()).load(conn)
}

pub fn calendar_version(
    conn: &mut DbConn,
    id: &str,
    version: i32,
) -> QueryResult<Option<CalendarVersion>> {
    cv::calendar_versions
        .find((id, version))
        .first(conn)
        .optional()
}

pub fn insert_policy(conn: &mut DbConn, row: &PolicyRow, calendar_version: i32) -> QueryResult<()> {
    diesel::insert_into(p::sla_policies)
        .values(row)
        .execute(conn)?;
    insert_policy_version(conn, row, calendar_version)
}

fn insert_policy_version(
    conn: &mut DbConn,
    row: &PolicyRow,
    calendar_version: i32,
) -> QueryResult<()> {
    diesel::insert_into(pv::sla_policy_versions)
        .values(&PolicyVersion {
            policy_id: row.id.clone(),
            version: row.version,
            calendar_id: row.calendar_id.clone(),
            calendar_version,
            warn_at_percent: row.warn_at_percent,
            targets: row.targets.clone(),
            created_at: row.updated_at,
        })
        .execute(conn)
        .map(|_| ())
}

pub fn update_policy(
    conn: &mut DbConn,
    row: &PolicyRow,
    expected_version: i32,
    calendar_version: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        p::sla_policies
            .filter(p::id.eq(&row.id))
            .filter(p::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 1 {
        insert_policy_version(conn, row, calendar_version)?;
    }
    Ok(n == 1)
}

pub fn policy(conn: &mut DbConn, id: &str) -> QueryResult<Option<PolicyRow>> {
    p::sla_policies.find(id).first(conn).optional()
}

pub fn policy_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<PolicyRow>> {
    p::sla_policies
        .filter(p::name.eq(name))
        .first(conn)
        .optional()
}

pub fn policies(conn: &mut DbConn) -> QueryResult<Vec<PolicyRow>> {
    p::sla_policies.order(p::name.asc()).load(conn)
}

pub fn policies_on_calendar(conn: &mut DbConn, calendar_id: &str) -> QueryResult<Vec<PolicyRow>> {
    p::sla_policies
        .filter(p::calendar_id.eq(calendar_id))
        .load(conn)
}

pub fn policy_version(
    conn: &mut DbConn,
    id: &str,
    version: i32,
) -> QueryResult<Option<PolicyVersion>> {
    pv::sla_policy_versions
        .find((id, version))
        .first(conn)
        .optional()
}

pub fn targets_of(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<TargetRow>> {
    st::sla_targets
        .filter(st::ticket_id.eq(ticket_id))
        .order(st::id.asc())
        .load(conn)
}

pub fn targets_of_many(conn: &mut DbConn, ticket_ids: &[String]) -> QueryResult<Vec<TargetRow>> {
    // One ticket (every GET of a ticket) by `=`: diesel prepares an `IN (...)` list again at
    // each use on SQLite, but keeps this statement prepared (profiled under load: the
    // prepare was over a third of this read's time).
    if let [id] = ticket_ids {
        return st::sla_targets
            .filter(st::ticket_id.eq(id))
            .load::<TargetRow>(conn);
    }
    let mut out = Vec::new();
    for chunk in ticket_ids.chunks(crate::db::INSERT_CHUNK) {
        out.extend(
            st::sla_targets
                .filter(st::ticket_id.eq_any(chunk))
                .load::<TargetRow>(conn)?,
        );
    }
    Ok(out)
}

pub fn insert_targets(conn: &mut DbConn, rows: &[TargetRow]) -> QueryResult<()> {
    crate::insert_rows!(conn, st::sla_targets, rows).map(|_| ())
}

pub fn update_target(conn: &mut DbConn, row: &TargetRow) -> QueryResult<()> {
    diesel::update(st::sla_targets.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes target rows whole, new ones and changed ones alike (500 to a statement).
pub fn upsert_targets(conn: &mut DbConn, rows: &[TargetRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    for chunk in rows.chunks(crate::db::INSERT_CHUNK) {
        let upsert = diesel::insert_into(st::sla_targets)
            .values(chunk)
            .on_conflict(st::id)
            .do_update()
            .set((
                st::ticket_id.eq(excluded(st::ticket_id)),
                st::target.eq(excluded(st::target)),
                st::tier.eq(excluded(st::tier)),
                st::minutes.eq(excluded(st::minutes)),
                st::started_at.eq(excluded(st::started_at)),
                st::stops.eq(excluded(st::stops)),
                st::stop_reason.eq(excluded(st::stop_reason)),
                st::ended_at.eq(excluded(st::ended_at)),
                st::due_at.eq(excluded(st::due_at)),
                st::warned_at.eq(excluded(st::warned_at)),
                st::breached_at.eq(excluded(st::breached_at)),
            ));
        match &mut *conn {
            DbConn::Sqlite(c) => upsert.execute(c)?,
            DbConn::Pg(c) => upsert.execute(c)?,
        };
    }
    Ok(())
}

pub fn insert_events(conn: &mut DbConn, rows: &[NewSlaEvent]) -> QueryResult<()> {
    crate::insert_rows!(conn, ev::sla_events, rows).map(|_| ())
}

pub fn events_of(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<SlaEventRow>> {
    ev::sla_events
        .filter(ev::ticket_id.eq(ticket_id))
        .order(ev::seq.asc())
        .load(conn)
}

pub fn release(conn: &mut DbConn, id: &str, owner: &str) -> QueryResult<()> {
    release_all(conn, &[id], owner)
}

/// Releases this daemon's leases on `ids` (due tickets of a batch it did not work).
pub fn release_all(conn: &mut DbConn, ids: &[&str], owner: &str) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(
        t::tickets
            .filter(t::id.eq_any(ids))
            .filter(t::sla_lease_owner.eq(owner)),
    )
    .set((
        t::sla_lease_owner.eq(None::<String>),
        t::sla_lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Open tickets measured against an older version of a policy.
pub fn stale_open_tickets(
    conn: &mut DbConn,
    policy_id: &str,
    current: i32,
    limit: i64,
) -> QueryResult<Vec<String>> {
    t::tickets
        .filter(t::sla_policy_id.eq(policy_id))
        .filter(t::sla_policy_version.lt(current))
        .filter(t::status.eq_any(["new", "in_progress", "pending", "resolved"]))
        .select(t::id)
        .order(t::id.asc())
        .limit(limit)
        .load(conn)
}
