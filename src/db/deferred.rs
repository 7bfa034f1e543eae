//! PostgreSQL: the inserts of one use case sent as one statement. A creation writes six
//! tables (ticket, targets, ledger, personal data, audit event, notices), and on
//! PostgreSQL each INSERT was a round trip in which the connection waited for the server
//! and the server for a core; measured under 32 creating clients, round trips, not
//! commits, bounded a creation (group commit through one connection halved the rate).
//! Within [`deferred`], the inserts on this thread are kept and sent at its end as one
//! statement of data-modifying CTEs (`WITH w0 AS (INSERT ...), w1 AS (INSERT ...) SELECT
//! 1`), which PostgreSQL runs as a whole: a constraint that fails fails it all, as it would
//! have failed the transaction, and foreign keys are checked once every row is in.
//!
//! An insert kept here is not visible to a read made before the end, so `deferred` wraps
//! only code that reads nothing it wrote; a read that must see them calls [`flush`] first
//! (the audit chain's heads do). SQLite runs everything at once: its writer holds the only
//! connection that writes, and a statement there costs no round trip. A creation's
//! statement binds a few hundred values (twenty a notice), far below PostgreSQL's 65,535
//! a statement even for a PD of a thousand staff.

use std::cell::RefCell;

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::result::Error as DieselError;
use diesel::QueryResult;

use super::DbConn;

type Kept = Vec<Box<dyn QueryFragment<Pg>>>;

thread_local! {
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's PostgreSQL inserts kept, then sends them as one statement.
/// On SQLite, or inside another `deferred`, it only runs `f`.
pub fn deferred<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    if !matches!(conn, DbConn::Pg(_)) || keeping() {
        return f(conn);
    }
    /// Stops keeping however `f` ends (an error or a panic drops what was kept).
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            KEPT.with(|k| *k.borrow_mut() = None);
        }
    }
    KEPT.with(|k| *k.borrow_mut() = Some(Vec::new()));
    let _stop = Stop;
    let out = f(conn)?;
    if let DbConn::Pg(c) = conn {
        flush(c)?;
    }
    Ok(out)
}

/// Whether this thread's PostgreSQL inserts are being kept.
pub fn keeping() -> bool {
    KEPT.with(|k| k.borrow().is_some())
}

/// Keeps an insert for the end of [`deferred`]; `rows` is what it will insert. Callers
/// ask [`keeping`] first (so as to build an owned statement only then); an insert offered
/// when nothing is being kept is an error, never dropped.
pub fn keep<Q>(insert: Q, rows: usize) -> QueryResult<usize>
where
    Q: QueryFragment<Pg> + 'static,
{
    KEPT.with(|k| match k.borrow_mut().as_mut() {
        Some(kept) => {
            kept.push(Box::new(insert));
            Ok(rows)
        }
        None => Err(DieselError::QueryBuilderError(
            "an insert was kept outside db::deferred".into(),
        )),
    })
}

/// Sends what was kept so far, as one statement; keeping goes on.
pub fn flush(conn: &mut PgConnection) -> QueryResult<()> {
    let kept = KEPT.with(|k| k.borrow_mut().as_mut().map(std::mem::take));
    match kept {
        Some(kept) if !kept.is_empty() => ExecuteDsl::execute(AllOf(kept), conn).map(|_| ()),
        _ => Ok(()),
    }
}

/// Inserts as one statement of data-modifying CTEs.
struct AllOf(Kept);

impl QueryId for AllOf {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for AllOf {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The statements kept differ from one use to the next in their number of rows.
        out.unsafe_to_cache_prepared();
        for (i, insert) in self.0.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{i} AS ("));
            insert.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        out.push_sql(" SELECT 1");
        Ok(())
    }
}

#[cfg(test)]
#[path = "deferred_tests.rs"]
mod tests;
