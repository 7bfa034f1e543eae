//! What can be checked without a PostgreSQL server: nothing is kept outside `deferred`,
//! and SQLite never keeps. The API suite, run on PostgreSQL, covers the statement itself
//! (creations, repeated idempotency keys, a creation that escalates at once).

use std::time::Duration;

use diesel::prelude::*;

use super::{deferred, keep, keeping};
use crate::db::schema::ticket_counters::dsl as c;
use crate::db::Db;

fn an_insert() -> impl diesel::query_builder::QueryFragment<diesel::pg::Pg> {
    diesel::insert_into(c::ticket_counters).values((c::scope.eq("X"), c::last_value.eq(1i64)))
}

#[test]
fn an_insert_offered_outside_deferred_is_an_error_not_lost() {
    assert!(!keeping());
    let e = keep(an_insert(), 1).expect_err("nothing is being kept");
    assert!(e.to_string().contains("outside db::deferred"), "{e}");
}

#[test]
fn sqlite_runs_every_statement_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    let db = Db::connect(&url, 2, Duration::from_secs(10)).expect("database");
    let mut conn = db.conn().expect("conn");
    let seen = deferred(&mut conn, |conn| -> QueryResult<i64> {
        assert!(!keeping());
        diesel::insert_into(c::ticket_counters)
            .values((c::scope.eq("X"), c::last_value.eq(7i64)))
            .execute(conn)?;
        c::ticket_counters
            .find("X")
            .select(c::last_value)
            .first(conn)
    })
    .expect("deferred");
    assert_eq!(seen, 7);
}
