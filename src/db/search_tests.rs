//! SQLite's search index is written at commit (`tickets::index_pending_search`): a commit
//! indexes the tickets it made, as they are when it commits, and leaves nothing noted; rows
//! written without it are indexed when the database is next opened.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{Db, DbConn, DbError};

fn open(path: &std::path::Path) -> Db {
    let url = format!("sqlite://{}", path.join("search.db").display());
    Db::connect(&url, 4, Duration::from_secs(10)).expect("database")
}

#[derive(Debug, thiserror::Error)]
enum E {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Sql(#[from] diesel::result::Error),
}

/// One write transaction of the daemon's (on SQLite, a member of a shared commit).
fn write(db: &Db, f: impl FnOnce(&mut DbConn) -> QueryResult<usize>) {
    db.write::<_, E, _>(|c| Ok(f(c)?)).expect("write");
}

fn scratch() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = open(dir.path());
    write(&db, |c| {
        c.batch_execute(
            "INSERT INTO organizations (id, code, name, kind, created_at, updated_at) \
             VALUES ('o', 'PD', 'PD', 'pd', '2026-11-01 00:00:00', '2026-11-01 00:00:00'); \
             INSERT INTO users (id, name, email, organization_id, role, active, created_at, updated_at) \
             VALUES ('u', 'U', 'u@example.go.id', 'o', 'technician', TRUE, '2026-11-01 00:00:00', '2026-11-01 00:00:00');",
        )
        .map(|()| 0)
    });
    (dir, db)
}

fn insert(c: &mut DbConn, number: &str, title: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO tickets (id, number, organization_id, reporter_organization_id, kind, impact, \
         urgency, priority, priority_overridden, status, tier, title, description, classification, \
         reporter_name, reported_at, created_by, created_at, updated_at, version, sla_breached) \
         VALUES (?, ?, 'o', 'o', 'incident', 'medium', 'medium', 'medium', FALSE, 'new', 1, ?, '', \
         'normal', 'Warga', '2026-11-20 01:00:00', 'u', '2026-11-20 01:00:00', \
         '2026-11-20 01:00:00', 1, FALSE)",
    )
    .bind::<Text, _>(number)
    .bind::<Text, _>(number)
    .bind::<Text, _>(title)
    .execute(c)
}

fn retitle(c: &mut DbConn, number: &str, title: &str) -> QueryResult<usize> {
    diesel::sql_query("UPDATE tickets SET title = ? WHERE number = ?")
        .bind::<Text, _>(title)
        .bind::<Text, _>(number)
        .execute(c)
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = Text)]
    number: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The numbers of the tickets whose indexed text contains `text`.
fn found(db: &Db, text: &str) -> Vec<String> {
    let mut conn = db.conn().expect("conn");
    let mut numbers: Vec<String> = diesel::sql_query(
        "SELECT t.number AS number FROM tickets_search s JOIN tickets t ON t.rowid = s.rowid \
         WHERE tickets_search MATCH ?",
    )
    .bind::<Text, _>(format!("\"{text}\""))
    .load::<Number>(&mut **conn)
    .expect("search")
    .into_iter()
    .map(|n| n.number)
    .collect();
    numbers.sort();
    numbers
}

/// Nothing noted, and the index agrees with the tickets' text (FTS5 fails the check
/// otherwise: a 'delete' of terms never indexed, or a row indexed twice).
fn settled(db: &Db) {
    let mut conn = db.conn().expect("conn");
    let pending = diesel::sql_query("SELECT count(*) AS n FROM tickets_search_pending")
        .get_result::<Count>(&mut **conn)
        .expect("pending");
    assert_eq!(pending.n, 0, "rows left noted after a commit");
    conn.batch_execute(
        "INSERT INTO tickets_search (tickets_search, rank) VALUES ('integrity-check', 1)",
    )
    .expect("the index agrees with the tickets");
}

#[test]
fn a_commit_indexes_the_tickets_it_made() {
    let (_dir, db) = scratch();
    write(&db, |c| {
        insert(c, "SD-1", "printer jammed")?;
        insert(c, "SD-2", "printer offline")
    });
    assert_eq!(found(&db, "printer"), ["SD-1", "SD-2"]);
    assert_eq!(found(&db, "jammed"), ["SD-1"]);
    settled(&db);
}

#[test]
fn a_ticket_changed_or_deleted_before_its_commit_is_indexed_as_it_ends() {
    let (_dir, db) = scratch();
    write(&db, |c| {
        insert(c, "SD-1", "alpha original")?;
        retitle(c, "SD-1", "alpha renamed")?;
        insert(c, "SD-2", "beta gone")?;
        diesel::sql_query("DELETE FROM tickets WHERE number = 'SD-2'").execute(c)
    });
    assert_eq!(found(&db, "renamed"), ["SD-1"]);
    assert!(found(&db, "original").is_empty());
    assert!(found(&db, "beta").is_empty());
    settled(&db);
    // Once indexed, a change of text re-indexes it at once, and a deletion removes it.
    write(&db, |c| retitle(c, "SD-1", "alpha third"));
    assert_eq!(found(&db, "third"), ["SD-1"]);
    assert!(found(&db, "renamed").is_empty());
    write(&db, |c| {
        diesel::sql_query("DELETE FROM tickets WHERE number = 'SD-1'").execute(c)
    });
    assert!(found(&db, "alpha").is_empty());
    settled(&db);
}

#[test]
fn tickets_written_behind_the_daemon_are_indexed_when_it_opens_the_database() {
    let (dir, db) = scratch();
    {
        let mut conn = db.conn().expect("conn");
        insert(&mut conn, "SD-9", "imported ticket").expect("insert");
    }
    assert!(found(&db, "imported").is_empty());
    drop(db);
    let db = open(dir.path());
    assert_eq!(found(&db, "imported"), ["SD-9"]);
    settled(&db);
}
