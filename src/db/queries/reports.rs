//! What the Tim Koordinasi report reads, and the stored reports of ended periods.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::{AuditCheckpoint, ReportChunk, StoredReport, Ticket};
use crate::db::schema::audit_checkpoints::dsl as ck;
use crate::db::schema::report_chunks::dsl as rc;
use crate::db::schema::reports::dsl as r;
use crate::db::schema::tickets::dsl as t;
use crate::db::schema::users::dsl as u;
use crate::db::DbConn;

/// Tickets that may count in [start, end): created before its end and not closed or
/// cancelled before its start, `limit` after the number `after`, in number order.
pub fn tickets_page(
    conn: &mut DbConn,
    start: NaiveDateTime,
    end: NaiveDateTime,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    t::tickets
        .filter(t::created_at.lt(end))
        .filter(t::closed_at.is_null().or(t::closed_at.ge(start)))
        .filter(t::cancelled_at.is_null().or(t::cancelled_at.ge(start)))
        .filter(t::number.gt(after))
        .order(t::number.asc())
        .limit(limit)
        .select(Ticket::as_select())
        .load(conn)
}

/// Active Tier 1 technicians per organization.
pub fn technicians(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    u::users
        .filter(u::role.eq("technician"))
        .filter(u::active.eq(true))
        .group_by(u::organization_id)
        .select((u::organization_id, diesel::dsl::count_star()))
        .load(conn)
}

/// The newest signed audit checkpoint.
pub fn latest_checkpoint(conn: &mut DbConn) -> QueryResult<Option<AuditCheckpoint>> {
    ck::audit_checkpoints
        .order(ck::seq.desc())
        .first(conn)
        .optional()
}

pub fn stored(conn: &mut DbConn, period: &str) -> QueryResult<Vec<StoredReport>> {
    r::reports
        .filter(r::period.eq(period))
        .order(r::format.asc())
        .select(StoredReport::as_select())
        .load(conn)
}

pub fn stored_format(
    conn: &mut DbConn,
    period: &str,
    format: &str,
) -> QueryResult<Option<StoredReport>> {
    r::reports
        .filter(r::period.eq(period))
        .filter(r::format.eq(format))
        .select(StoredReport::as_select())
        .first(conn)
        .optional()
}

pub fn by_sha256(conn: &mut DbConn, sha256: &str) -> QueryResult<Vec<StoredReport>> {
    r::reports
        .filter(r::sha256.eq(sha256))
        .select(StoredReport::as_select())
        .load(conn)
}

pub fn insert_manifest(conn: &mut DbConn, row: &StoredReport) -> QueryResult<()> {
    diesel::insert_into(r::reports)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn insert_chunk(conn: &mut DbConn, row: &ReportChunk) -> QueryResult<()> {
    diesel::insert_into(rc::report_chunks)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn chunk(conn: &mut DbConn, period: &str, format: &str, n: i32) -> QueryResult<Vec<u8>> {
    rc::report_chunks
        .filter(rc::period.eq(period))
        .filter(rc::format.eq(format))
        .filter(rc::n.eq(n))
        .select(rc::content)
        .first(conn)
}
