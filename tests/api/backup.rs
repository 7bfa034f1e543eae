//! Backup and restore: an archive from a running desk restores into an empty database of
//! either backend and backs up again to the same manifest; a damaged, cut or foreign archive
//! is refused and leaves the target empty; the restored audit trail still verifies.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::helpers::{count_in, spawn_app, test_database, TestApp};
use spbe_desk::app::backup::{restore_archive, verify_archive, write_archive, Manifest};
use spbe_desk::db::Db;

async fn backup(db: Db, out: PathBuf) -> Manifest {
    tokio::task::spawn_blocking(move || write_archive(&db, &out, |_| {}).expect("backup"))
        .await
        .expect("join")
}

async fn restore(db: Db, from: PathBuf) -> Result<Manifest, String> {
    tokio::task::spawn_blocking(move || {
        restore_archive(&db, &from, |_| {}).map_err(|e| e.to_string())
    })
    .await
    .expect("join")
}

fn connect(url: &str) -> Db {
    Db::connect(url, 2, std::time::Duration::from_secs(10)).expect("connect")
}

fn sqlite_scratch(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

async fn busy_desk() -> TestApp {
    let app = spawn_app().await;
    for n in 0..5 {
        let t = app
            .create_ticket("TECH_DUKCAPIL", json!({"title": format!("Gangguan {n}")}))
            .await;
        let id = t["id"].as_str().expect("id").to_string();
        app.action(&id, "acknowledge", "TECH_DUKCAPIL", json!({}))
            .await
            .expect(200);
        app.post(
            &format!("/api/v1/tickets/{id}/comments"),
            "TECH_DUKCAPIL",
            json!({"body": "dicek"}),
        )
        .await
        .expect(201);
    }
    app
}

#[actix_web::test]
async fn a_backup_moves_between_backends_with_identical_manifests() {
    let app = busy_desk().await;
    let dir = tempfile::tempdir().expect("dir");
    let first = backup(app.state.app.db.clone(), dir.path().join("a.backup")).await;
    let tickets = first
        .tables
        .iter()
        .find(|t| t.table == "tickets")
        .expect("tickets");
    assert_eq!(tickets.rows, 5);
    assert!(first
        .tables
        .iter()
        .find(|t| t.table == "audit_events")
        .is_some_and(|t| t.rows > 10));

    // Into an empty SQLite database, and back out: the same tables, rows and hashes.
    let sqlite = connect(&sqlite_scratch(dir.path(), "copy.db"));
    let restored = restore(sqlite.clone(), dir.path().join("a.backup"))
        .await
        .expect("restore");
    assert_eq!(restored, first);
    let second = backup(sqlite.clone(), dir.path().join("b.backup")).await;
    assert_eq!(second.tables, first.tables);
    // A notice's recipients share its body again, as they did.
    let bodies = "SELECT COUNT(*) AS n FROM outbox_bodies";
    let shared = count_in(app.state.app.db.clone(), bodies).await;
    let rows = count_in(app.state.app.db.clone(), "SELECT COUNT(*) AS n FROM outbox").await;
    assert!(0 < shared && shared < rows, "{shared} bodies, {rows} rows");
    assert_eq!(count_in(sqlite.clone(), bodies).await, shared);

    // With PostgreSQL at hand, SQLite -> PostgreSQL -> archive too.
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        let (url, _pg) = test_database();
        let pg = connect(&url);
        restore(pg.clone(), dir.path().join("b.backup"))
            .await
            .expect("restore into PostgreSQL");
        assert_eq!(count_in(pg.clone(), bodies).await, shared);
        let third = backup(pg, dir.path().join("c.backup")).await;
        assert_eq!(third.tables, first.tables);
    }

    // The restored trail verifies, and the restored desk takes new writes (serials moved on).
    let copy = spbe_desk::app::App::new(
        sqlite,
        app.state.app.clock.clone(),
        app.state.app.settings.clone(),
    )
    .expect("app");
    let copy = std::sync::Arc::new(copy);
    let c = copy.clone();
    let report = tokio::task::spawn_blocking(move || c.verify_audit(None).expect("verify"))
        .await
        .expect("join");
    assert_eq!(report.broken, None, "{report:?}");
    let verified = tokio::task::spawn_blocking({
        let (from, scratch) = (dir.path().join("a.backup"), dir.path().to_path_buf());
        move || verify_archive(&from, &scratch).expect("verify archive")
    })
    .await
    .expect("join");
    assert_eq!(verified.tables, first.tables);
}

#[actix_web::test]
async fn a_damaged_cut_or_foreign_archive_is_refused_and_the_target_stays_empty() {
    let app = busy_desk().await;
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.backup");
    backup(app.state.app.db.clone(), good.clone()).await;
    let bytes = std::fs::read(&good).expect("read");

    // One flipped byte inside a row.
    let mut flipped = bytes.clone();
    let at = flipped
        .windows(8)
        .position(|w| w == b"Gangguan")
        .expect("a title in the archive");
    flipped[at] = b'X';
    let f = dir.path().join("flipped.backup");
    std::fs::write(&f, &flipped).expect("write");
    // Cut short: the manifest is gone.
    let c = dir.path().join("cut.backup");
    std::fs::write(&c, &bytes[..bytes.len() * 2 / 3]).expect("write");
    // Not a backup at all.
    let x = dir.path().join("foreign.backup");
    std::fs::write(&x, b"PK\x03\x04 not ours\n").expect("write");

    let target = connect(&sqlite_scratch(dir.path(), "target.db"));
    let e = restore(target.clone(), f).await.expect_err("flipped");
    assert!(
        e.contains("does not match its manifest") || e.contains("damaged"),
        "{e}"
    );
    let e = restore(target.clone(), c).await.expect_err("cut");
    assert!(e.contains("cut short") || e.contains("damaged"), "{e}");
    let e = restore(target.clone(), x).await.expect_err("foreign");
    assert!(e.contains("not an spbe-desk backup"), "{e}");
    // Nothing of the refused archives stayed behind: the good one still restores.
    restore(target.clone(), good.clone())
        .await
        .expect("good archive");
    // And a database that is not empty is refused.
    let e = restore(target, good).await.expect_err("not empty");
    assert!(e.contains("not empty"), "{e}");
}

#[actix_web::test]
async fn scheduled_backups_keep_the_newest_here_and_off_site() {
    let app = busy_desk().await;
    let dir = tempfile::tempdir().expect("dir");
    let settings = spbe_desk::config::BackupSettings {
        dir: dir.path().join("local"),
        offsite_dir: dir.path().join("offsite"),
        every_hours: 24,
        critical_every_hours: 6,
        keep: 2,
        verify: true,
    };
    let db = app.state.app.db.clone();
    let s = settings.clone();
    let written = tokio::task::spawn_blocking(move || {
        (0..3)
            .map(|day| {
                let at =
                    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20 + day, 1, 0, 0)
                        .single()
                        .expect("instant");
                spbe_desk::app::backup::scheduled(&db, &s, at).expect("scheduled backup")
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("join");
    for place in [&settings.dir, &settings.offsite_dir] {
        let listed = spbe_desk::app::backup::list(place).expect("list");
        let names: Vec<String> = listed
            .iter()
            .map(|a| {
                a.path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "spbe-desk-20261121-010000.spbe",
                "spbe-desk-20261122-010000.spbe"
            ],
            "{place:?}"
        );
        assert!(listed.iter().all(|a| a.complete && a.created_at.is_some()));
    }
    assert!(!written[0].exists(), "the oldest was pruned");
    // A cut archive shows as incomplete.
    let bytes = std::fs::read(&written[2]).expect("read");
    std::fs::write(settings.dir.join("cut.spbe"), &bytes[..bytes.len() / 2]).expect("write");
    let listed = spbe_desk::app::backup::list(&settings.dir).expect("list");
    assert!(listed.iter().any(|a| !a.complete), "{listed:?}");
}

#[actix_web::test]
async fn backups_come_more_often_once_a_service_is_critical() {
    let app = busy_desk().await;
    let dir = tempfile::tempdir().expect("dir");
    let settings = spbe_desk::config::BackupSettings {
        dir: dir.path().join("local"),
        offsite_dir: std::path::PathBuf::new(),
        every_hours: 24,
        critical_every_hours: 6,
        keep: 3,
        verify: false,
    };
    let due = |app: &TestApp| {
        let (db, s, now) = (
            app.state.app.db.clone(),
            settings.clone(),
            app.state.app.now(),
        );
        async move {
            tokio::task::spawn_blocking(move || {
                spbe_desk::app::backup::next_due(&db, &s, now).expect("next due")
            })
            .await
            .expect("join")
        }
    };
    // Nothing written yet: due at once.
    assert_eq!(due(&app).await, app.state.app.now());
    let (db, s, now) = (
        app.state.app.db.clone(),
        settings.clone(),
        app.state.app.now(),
    );
    tokio::task::spawn_blocking(move || spbe_desk::app::backup::scheduled(&db, &s, now))
        .await
        .expect("join")
        .expect("backup");
    let last = spbe_desk::app::backup::list(&settings.dir).expect("list")[0]
        .created_at
        .expect("header time");
    // The demo desk has SIAK designated critical: the short cadence.
    assert_eq!(due(&app).await - last, chrono::Duration::hours(6));
    let siak = app.service_id("SIAK").await;
    app.post(
        &format!("/api/v1/services/{siak}/revoke-critical"),
        "SUPERVISOR",
        json!({"reason": "sistem diganti"}),
    )
    .await
    .expect(200);
    assert_eq!(due(&app).await - last, chrono::Duration::hours(24));
    let simpus = app.service_id("SIMPUS").await;
    app.post(
        &format!("/api/v1/services/{simpus}/propose-critical"),
        "TECH_DINKES",
        json!({"reason": "Rekam medis"}),
    )
    .await
    .expect(200);
    // Proposed is not yet critical.
    assert_eq!(due(&app).await - last, chrono::Duration::hours(24));
    app.post(
        &format!("/api/v1/services/{simpus}/designate"),
        "SUPERVISOR",
        json!({"decision": "critical", "reason": "Layanan kesehatan dasar"}),
    )
    .await
    .expect(200);
    assert_eq!(due(&app).await - last, chrono::Duration::hours(6));
}
