//! SQLite's group commit (`group`): writers share transactions, each is answered only once
//! its changes are committed, a writer that fails takes only its own changes with it, and a
//! writer that panics holds nobody up.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::{Db, DbError};
use crate::db::schema::ticket_counters::dsl as c;

fn scratch() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("group.db").display());
    let db = Db::connect(&url, 4, Duration::from_secs(10)).expect("database");
    (dir, db)
}

fn insert(conn: &mut super::DbConn, scope: &str) -> QueryResult<usize> {
    diesel::insert_into(c::ticket_counters)
        .values((c::scope.eq(scope), c::last_value.eq(1i64)))
        .execute(conn)
}

fn stored(db: &Db, scope: &str) -> bool {
    let mut conn = db.conn().expect("conn");
    c::ticket_counters
        .find(scope)
        .select(c::last_value)
        .first::<i64>(&mut **conn)
        .optional()
        .expect("read")
        .is_some()
}

#[derive(Debug, thiserror::Error)]
enum E {
    #[error("refused")]
    Refused,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] DieselError),
}

/// `writers` threads that start together; writer `n` inserts row `n`, holds its turn 3 ms
/// (long enough that the others queue behind it), then ends as `end(n)` says. Each thread
/// answers (n, answered ok, row visible from another connection once answered).
fn race(
    db: &Db,
    writers: usize,
    end: fn(usize) -> Result<(), E>,
) -> Vec<std::thread::Result<(usize, bool, bool)>> {
    let start = Arc::new(Barrier::new(writers));
    let handles: Vec<_> = (0..writers)
        .map(|n| {
            let (db, start) = (db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let scope = format!("W{n}");
                let out = db.write(|conn| -> Result<(), E> {
                    insert(conn, &scope)?;
                    std::thread::sleep(Duration::from_millis(3));
                    end(n)
                });
                (n, out.is_ok(), stored(&db, &scope))
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join()).collect()
}

#[test]
fn writers_share_commits_are_answered_after_them_and_a_failure_takes_only_its_own_changes() {
    let (_dir, db) = scratch();
    let writers = 24;
    let answers = race(&db, writers, |n| {
        if n % 3 == 0 {
            Err(E::Refused)
        } else {
            Ok(())
        }
    });
    for answer in answers {
        let (n, ok, visible) = answer.expect("writer");
        assert_eq!(ok, n % 3 != 0, "writer {n}");
        // Answered ok: the change is committed, visible to every other connection.
        assert_eq!(
            visible, ok,
            "writer {n}: stored {visible}, answered ok {ok}"
        );
    }
    let times = db.write_times();
    let count = times.count.load(std::sync::atomic::Ordering::Relaxed);
    let commits = times.commits();
    assert_eq!(count, writers as u64);
    assert!(
        commits < count / 2,
        "{commits} commits for {count} writers: the waiting writers did not share them"
    );
}

#[test]
fn a_writer_that_panics_fails_its_group_and_holds_nobody_up() {
    let (_dir, db) = scratch();
    let answers = race(&db, 8, |n| {
        assert!(n != 4, "writer 4 panics inside its transaction");
        Ok(())
    });
    let mut panicked = 0;
    for answer in answers {
        match answer {
            // Answered ok only with the change stored; a writer whose group the panic
            // took is told so (a transient error), with nothing stored.
            Ok((n, ok, visible)) => assert_eq!(visible, ok, "writer {n}"),
            Err(_) => panicked += 1,
        }
    }
    assert_eq!(panicked, 1);
    assert!(!stored(&db, "W4"));
    // The turn was given back: the next writer gets on.
    db.write(|conn| -> Result<(), E> {
        insert(conn, "after")?;
        Ok(())
    })
    .expect("a write after the panic");
    assert!(stored(&db, "after"));
}

#[test]
fn a_long_writer_commits_the_group_it_finds_before_its_own_work() {
    let (_dir, db) = scratch();
    let (in_turn, turn_taken) = std::sync::mpsc::channel();
    let short = {
        let db = db.clone();
        std::thread::spawn(move || {
            let asked = std::time::Instant::now();
            db.write(|conn| -> Result<(), E> {
                insert(conn, "short")?;
                // Ends its turn once the long writer waits for it: the open transaction
                // is then handed on rather than committed.
                in_turn.send(()).expect("signal");
                let group = db.group.as_ref().expect("SQLite");
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while group.waiting() == 0 && std::time::Instant::now() < deadline {
                    std::thread::yield_now();
                }
                Ok(())
            })
            .expect("short write");
            (asked.elapsed(), stored(&db, "short"))
        })
    };
    turn_taken.recv().expect("the short writer's turn");
    db.write_as(true, |conn| -> Result<(), E> {
        insert(conn, "long")?;
        std::thread::sleep(Duration::from_millis(600));
        Ok(())
    })
    .expect("long write");
    let (took, visible) = short.join().expect("short writer");
    assert!(visible);
    // Sharing the long writer's transaction, the short one would have waited its 600 ms.
    assert!(
        took < Duration::from_millis(400),
        "the short writer waited {took:?}"
    );
    assert_eq!(db.write_times().commits(), 2);
}
