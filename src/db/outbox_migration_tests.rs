//! The migration that stores each notice's body once (`2026-12-01-000012_outbox_bodies`):
//! rows queued before it keep their bodies, the recipients of one notice come to share one,
//! an erased row has none, and the migration's down puts every body back on its row.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

use super::queries::outbox;
use super::{DbConn, SQLITE_MIGRATIONS};

const BODIES: &str = "2026-12-01-000012";

/// Applies the migrations before `BODIES`.
fn before_bodies(c: &mut SqliteConnection) {
    loop {
        let pending = c.pending_migrations(SQLITE_MIGRATIONS).expect("pending");
        let next = pending
            .first()
            .expect("the outbox bodies migration is pending");
        if next.name().to_string().starts_with(BODIES) {
            return;
        }
        c.run_migration(next.as_ref()).expect("migration");
    }
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<Text>)]
    body_id: Option<String>,
}

const QUEUED: &str =
    "INSERT INTO outbox (id, event, source_id, recipient, subject, body_text, body_html, \
     message_id, status, attempts, not_before, next_attempt_at, created_at) VALUES ";

/// A row of the outbox as it was; an empty `text` is a row whose recipient was erased.
fn row(id: &str, source: &str, to: &str, text: &str) -> String {
    let html = if text.is_empty() {
        String::new()
    } else {
        format!("<p>{text}</p>")
    };
    format!(
        "('{id}', 'created', '{source}', '{to}', 'S', '{text}', '{html}', '{id}@x', \
         'sent', 1, '2026-11-30 00:00:00', '2026-11-30 00:00:00', '2026-11-30 00:00:00')"
    )
}

#[test]
fn queued_mail_comes_to_share_its_bodies_and_goes_back_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("m.db");
    let mut c = SqliteConnection::establish(path.to_str().expect("path")).expect("open");
    before_bodies(&mut c);
    // One notice to two people, another to one, and a row whose recipient was erased.
    c.batch_execute(&format!(
        "{QUEUED}{}, {}, {}, {}",
        row("a", "e1", "x@go.id", "satu"),
        row("b", "e1", "y@go.id", "satu"),
        row("c", "e2", "x@go.id", "dua"),
        row("d", "e2", "erased:d", ""),
    ))
    .expect("rows");
    c.run_next_migration(SQLITE_MIGRATIONS).expect("up");

    let rows: Vec<Row> = diesel::sql_query("SELECT id, body_id FROM outbox ORDER BY id")
        .load(&mut c)
        .expect("rows");
    let named: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.id.as_str(), r.body_id.as_deref()))
        .collect();
    assert_eq!(
        named,
        [
            ("a", Some("a")),
            ("b", Some("a")),
            ("c", Some("c")),
            ("d", None)
        ]
    );
    let mut conn = DbConn::Sqlite(c);
    let read = outbox::all(&mut conn).expect("read");
    let text = |id: &str| {
        let r = read.iter().find(|r| r.id == id).expect("row");
        (r.body_text.clone(), r.body_html.clone())
    };
    assert_eq!(text("b"), ("satu".into(), "<p>satu</p>".into()));
    assert_eq!(text("c"), ("dua".into(), "<p>dua</p>".into()));
    assert_eq!(text("d"), (String::new(), String::new()));

    let DbConn::Sqlite(mut c) = conn else {
        unreachable!("opened as SQLite")
    };
    c.revert_last_migration(SQLITE_MIGRATIONS).expect("down");
    #[derive(QueryableByName)]
    struct Back {
        #[diesel(sql_type = Text)]
        body_text: String,
    }
    let back: Vec<Back> = diesel::sql_query("SELECT body_text FROM outbox ORDER BY id")
        .load(&mut c)
        .expect("bodies back on their rows");
    let back: Vec<&str> = back.iter().map(|b| b.body_text.as_str()).collect();
    assert_eq!(back, ["satu", "satu", "dua", ""]);
}
