//! Scheduler tick cost against the number of open and of due tickets.
//!
//! `cargo bench --bench scheduler` (SQLite in a temp dir; set BENCH_DATABASE_URL=postgres://
//! for PostgreSQL). BENCH_OPEN (default 1000000) open tickets that are not due sit in the
//! table; for each count in BENCH_DUE (default 10,100,1000) that many due tickets are added
//! and one tick is timed, first with no other open tickets, then with BENCH_OPEN of them.
//! The printed ratios are what matters: a tick's cost should follow the due tickets, not the
//! open ones. BENCH_SQL=1 also prints the statements of the last tick, per due ticket;
//! BENCH_BATCH sets `scheduler.batch_size`. The rows a due ticket wrote, per table, are
//! printed at the end: with the statements gone, they are what a tick costs.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use diesel::prelude::*;

use spbe_desk::app::sla::{self as engine, Env};
use spbe_desk::app::{App, AppError};
use spbe_desk::config::Settings;
use spbe_desk::db::models::Ticket;
use spbe_desk::db::queries::tickets;
use spbe_desk::db::{Db, DbConn};
use spbe_desk::jobs::scheduler;

// Shared with the benches that start the daemon; this one needs only the scratch database.
#[allow(dead_code)]
#[path = "common/scratch.rs"]
mod scratch;
#[path = "common/statements.rs"]
mod statements;
use scratch::{env_usize, scratch_database};

fn now() -> DateTime<Utc> {
    // Monday 2026-11-23 14:00 WITA.
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0)
        .single()
        .expect("instant")
}

fn fixtures(conn: &mut DbConn) -> (String, String) {
    let org = uuid::Uuid::new_v4().to_string();
    let user = uuid::Uuid::new_v4().to_string();
    diesel::sql_query(format!(
        "INSERT INTO organizations (id, code, name, kind, created_at, updated_at) VALUES ('{org}', 'BENCH', 'Bench PD', 'pd', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
    ))
    .execute(conn)
    .expect("org");
    diesel::sql_query(format!(
        "INSERT INTO users (id, name, email, organization_id, role, active, created_at, updated_at) VALUES ('{user}', 'Bench', 'bench@example.go.id', '{org}', 'technician', TRUE, '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
    ))
    .execute(conn)
    .expect("user");
    (org, user)
}

/// Open tickets that are not due for a long time (multi-row INSERTs, 500 a statement).
fn background(db: &Db, org: &str, user: &str, from: usize, count: usize) {
    let mut conn = db.conn().expect("conn");
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        let mut i = from;
        while i < from + count {
            let end = (i + 500).min(from + count);
            let rows: Vec<String> = (i..end)
                .map(|n| {
                    format!(
                        "('{}', 'BG-2026-{n:07}', '{org}', '{org}', 'incident', 'medium', 'medium', 'medium', FALSE, 'in_progress', 1, 'Background', '', 'normal', 'Warga', '2026-11-20 01:00:00', '{user}', '2026-11-20 01:00:00', '2026-11-20 01:00:00', 1, FALSE, '2027-06-01 00:00:00')",
                        spbe_desk::app::new_id()
                    )
                })
                .collect();
            diesel::sql_query(format!(
                "INSERT INTO tickets (id, number, organization_id, reporter_organization_id, kind, impact, urgency, priority, priority_overridden, status, tier, title, description, classification, reporter_name, reported_at, created_by, created_at, updated_at, version, sla_breached, sla_next_at) VALUES {}",
                rows.join(", ")
            ))
            .execute(c)?;
            i = end;
        }
        // Indexed for search as the daemon's own commits index their new tickets.
        spbe_desk::db::queries::tickets::index_pending_search(c)
    })
    .expect("background tickets");
}

/// Tickets whose Tier 1 window has run out at `now()`, created through the SLA engine.
fn due(db: &Db, env: &Env, org: &str, user: &str, tag: &str, count: usize) {
    let reported = now() - TimeDelta::hours(30);
    db.write::<_, AppError, _>(|conn| {
        let ctx = env
            .policy_for_new_ticket(conn, None)?
            .expect("default policy");
        for n in 0..count {
            let r = reported.naive_utc();
            let mut t = Ticket {
                id: spbe_desk::app::new_id(),
                number: format!("DUE{tag}-2026-{n:07}"),
                organization_id: org.into(),
                reporter_organization_id: org.into(),
                service_id: None,
                kind: "incident".into(),
                impact: "medium".into(),
                urgency: "medium".into(),
                priority: "medium".into(),
                priority_overridden: false,
                status: "in_progress".into(),
                tier: 1,
                assignee_id: None,
                title: "Due".into(),
                description: String::new(),
                classification: "normal".into(),
                reporter_name: "Warga".into(),
                reporter_email: None,
                reporter_phone: None,
                reported_at: r,
                created_by: user.into(),
                created_at: r,
                updated_at: r,
                first_response_at: Some(r),
                resolved_at: None,
                resolution: None,
                closed_at: None,
                cancelled_at: None,
                escalation_mode: None,
                escalation_reason: None,
                escalated_at: None,
                escalated_by: None,
                outage_start: None,
                outage_end: None,
                version: 1,
                sla_policy_id: None,
                sla_policy_version: None,
                sla_calendar_id: None,
                sla_calendar_version: None,
                sla_breached: false,
                pending_since: None,
                pending_reason: None,
                sla_next_at: None,
                sla_due_at: None,
                anonymised_at: None,
            };
            engine::pin(&mut t, &ctx);
            // Started in the past and evaluated then: due now.
            let synced = engine::sync(conn, env, None, &mut t, reported)?;
            tickets::insert(conn, &t)?;
            synced.writes.save(conn)?;
        }
        Ok(())
    })
    .expect("due tickets");
}

/// Rows in the tables a tick writes to.
const WRITTEN: [&str; 5] = [
    "audit_events",
    "sla_events",
    "sla_targets",
    "outbox",
    "outbox_bodies",
];

fn rows(db: &Db) -> Vec<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.conn().expect("conn");
    WRITTEN
        .iter()
        .map(|t| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}"))
                .get_result::<Count>(&mut **conn)
                .expect("count")
                .n
        })
        .collect()
}

fn timed_tick(app: &App, expect: usize) -> (Duration, usize) {
    // The daemon's WAL job (jobs/wal.rs) checkpoints every 100 ms, off the writer: between
    // two ticks the log is back to empty, and no tick's commit runs SQLite's own checkpoint.
    if app.db.backend() == spbe_desk::db::Backend::Sqlite {
        app.db.checkpoint_wal().expect("checkpoint");
    }
    let before = statements::sent();
    let start = Instant::now();
    let r = scheduler::tick(app, now(), "bench").expect("tick");
    let took = start.elapsed();
    assert_eq!(r.escalated, expect, "{r:?}");
    (took, statements::sent() - before)
}

fn main() {
    // A database of its own, dropped at the end (on PostgreSQL, beside the one named).
    let scratch = scratch_database("scheduler");
    let url = scratch.url.clone();
    let open = env_usize("BENCH_OPEN", 1_000_000);
    let dues: Vec<usize> = std::env::var("BENCH_DUE")
        .unwrap_or_else(|_| "10,100,1000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    statements::install();
    let batch = std::env::var("BENCH_BATCH").ok();
    let mut overrides = vec![("database.url", url.as_str())];
    if let Some(b) = batch.as_deref() {
        overrides.push(("scheduler.batch_size", b));
    }
    let settings = Settings::defaults_with(&overrides).expect("settings");
    let db = Db::connect(&url, 4, Duration::from_secs(30)).expect("database");
    db.write(|c| engine::seed(c, now())).expect("seed");
    let app = App::new(
        db.clone(),
        std::sync::Arc::new(spbe_desk::clock::SystemClock),
        settings,
    )
    .expect("service");
    let env = &app.sla;
    let (org, user) = {
        let mut c = db.conn().expect("conn");
        fixtures(&mut c)
    };
    println!(
        "scheduler tick benchmark on {}",
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let mut small = Vec::new();
    for (i, &d) in dues.iter().enumerate() {
        due(&db, env, &org, &user, &format!("A{i}"), d);
        small.push(timed_tick(&app, d).0);
    }
    let start = Instant::now();
    background(&db, &org, &user, 0, open);
    println!(
        "inserted {open} open, not-due tickets in {:.1?}",
        start.elapsed()
    );
    let mut large = Vec::new();
    let mut statements = Vec::new();
    let breakdown = std::env::var("BENCH_SQL").is_ok_and(|v| v == "1");
    let (mut rows_before, mut rows_after) = (Vec::new(), Vec::new());
    for (i, &d) in dues.iter().enumerate() {
        due(&db, env, &org, &user, &format!("B{i}"), d);
        if breakdown && i + 1 == dues.len() {
            statements::record_texts();
        }
        if i + 1 == dues.len() {
            rows_before = rows(&db);
        }
        let (took, n) = timed_tick(&app, d);
        if i + 1 == dues.len() {
            rows_after = rows(&db);
        }
        large.push(took);
        statements.push(n);
    }
    let (empty, _) = timed_tick(&app, 0);

    println!(
        "\n{:>8} | {:>14} | {:>14} | {:>12} | {:>10} | {:>14}",
        "due",
        "tick, 0 open",
        format!("tick, {open} open"),
        "per due",
        "large/small",
        "statements/due"
    );
    for (i, &d) in dues.iter().enumerate() {
        let (s, l) = (small[i], large[i]);
        println!(
            "{d:>8} | {:>14.2?} | {:>14.2?} | {:>12.2?} | {:>10.2} | {:>14.1}",
            s,
            l,
            l / u32::try_from(d.max(1)).unwrap_or(u32::MAX),
            l.as_secs_f64() / s.as_secs_f64(),
            statements[i] as f64 / d.max(1) as f64
        );
    }
    if let (Some(first), Some(last)) = (dues.first(), dues.last()) {
        let (fi, li) = (0, dues.len() - 1);
        println!(
            "\ngrowth with due tickets ({first} -> {last}, x{:.0}): tick cost x{:.1}",
            *last as f64 / *first as f64,
            large[li].as_secs_f64() / large[fi].as_secs_f64()
        );
    }
    println!("a tick with nothing due among {open} open tickets: {empty:.2?}");
    if let Some(&d) = dues.last() {
        let per: Vec<String> = WRITTEN
            .iter()
            .zip(rows_before.iter().zip(&rows_after))
            .map(|(t, (b, a))| format!("{t} {:.1}", (a - b) as f64 / d.max(1) as f64))
            .collect();
        println!(
            "rows the last tick wrote per due ticket (its row in tickets besides): {}",
            per.join(", ")
        );
    }
    if let Some(&d) = dues.last() {
        statements::print_texts(
            &format!("statements of the last tick ({d} due), per due ticket"),
            d,
        );
    }
}
