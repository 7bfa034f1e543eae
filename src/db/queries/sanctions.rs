//! The sanctions ledger.

use diesel::prelude::*;

use crate::db::models::Sanction;
use crate::db::schema::sanctions::dsl as s;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, row: &Sanction) -> QueryResult<()> {
    diesel::insert_into(s::sanctions)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn of_service(conn: &mut DbConn, service_id: &str) -> QueryResult<Vec<Sanction>> {
    s::sanctions
        .filter(s::service_id.eq(service_id))
        .order((s::issued_on.asc(), s::recorded_at.asc(), s::id.asc()))
        .select(Sanction::as_select())
        .load(conn)
}

pub fn get(conn: &mut DbConn, service_id: &str, id: &str) -> QueryResult<Option<Sanction>> {
    s::sanctions
        .filter(s::service_id.eq(service_id))
        .filter(s::id.eq(id))
        .select(Sanction::as_select())
        .first(conn)
        .optional()
}

/// Saves a sanction if nobody changed it since `expected_version`.
pub fn update_versioned(
    conn: &mut DbConn,
    row: &Sanction,
    expected_version: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        s::sanctions
            .filter(s::id.eq(&row.id))
            .filter(s::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// Sanctions a report of [from, to) shows: issued on a day in it (`from_day`..`to_day`,
/// YYYY-MM-DD, end exclusive), lifted within it, or a closure still in force at its start.
pub fn for_period(
    conn: &mut DbConn,
    from_day: &str,
    to_day: &str,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> QueryResult<Vec<Sanction>> {
    s::sanctions
        .filter(
            (s::issued_on.ge(from_day).and(s::issued_on.lt(to_day)))
                .or(s::lifted_at.ge(from).and(s::lifted_at.lt(to)))
                .or(s::level
                    .eq("closure")
                    .and(s::issued_on.lt(from_day))
                    .and(s::lifted_at.is_null().or(s::lifted_at.ge(from)))),
        )
        .order((s::issued_on.asc(), s::recorded_at.asc(), s::id.asc()))
        .select(Sanction::as_select())
        .load(conn)
}
