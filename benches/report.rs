//! Time and memory of freezing a month's report (every format from one snapshot) against the
//! month's size.
//!
//! `cargo bench --bench report` (SQLite in a temp dir; BENCH_DATABASE_URL=postgres://... for
//! PostgreSQL). October gets BENCH_SMALL tickets (default 10,000), November BENCH_LARGE
//! (default 100,000), written straight into the tables with their SLA targets; then each
//! month is frozen in turn while a sampler records the process's resident memory. The
//! printed ratios are what matters: time should follow the tickets, memory should not.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use diesel::prelude::*;

use spbe_desk::app::reports::Format;
use spbe_desk::app::sla as engine;
use spbe_desk::app::App;
use spbe_desk::clock::ManualClock;
use spbe_desk::config::Settings;
use spbe_desk::db::{Db, DbConn};

fn wita(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Makassar
        .with_ymd_and_hms(2026, m, d, h, 0, 0)
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Resident memory of this process, in bytes (Linux).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024
}

fn exec(conn: &mut DbConn, sql: String) {
    diesel::sql_query(sql).execute(conn).expect("insert");
}

struct Fixture {
    pds: Vec<String>,
    user: String,
    service: String,
    policy: (String, i32, String, i32),
}

fn fixtures(conn: &mut DbConn, app: &App) -> Fixture {
    let mut pds = Vec::new();
    for n in 0..40 {
        let id = uuid::Uuid::new_v4().to_string();
        exec(conn, format!(
            "INSERT INTO organizations (id, code, name, kind, created_at, updated_at) VALUES ('{id}', 'PD{n:02}', 'Perangkat Daerah {n}', 'pd', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ));
        pds.push(id);
    }
    let user = uuid::Uuid::new_v4().to_string();
    exec(conn, format!(
        "INSERT INTO users (id, name, email, organization_id, role, active, created_at, updated_at) VALUES ('{user}', 'Bench', 'bench@example.go.id', '{}', 'technician', TRUE, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        pds[0]
    ));
    let service = uuid::Uuid::new_v4().to_string();
    exec(conn, format!(
        "INSERT INTO services (id, organization_id, code, name, kind, availability_target_percent, criticality, status, version, created_at, updated_at, sop) VALUES ('{service}', '{}', 'SIAK', 'SIAK', 'system', 99.5, 'critical', 'active', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '{{}}')",
        pds[0]
    ));
    let ctx = app
        .sla
        .policy_for_new_ticket(conn, None)
        .expect("policy")
        .expect("default policy");
    Fixture {
        pds,
        user,
        service,
        policy: (
            ctx.policy_id.clone(),
            ctx.policy_version,
            ctx.calendar_id.clone(),
            ctx.calendar_version,
        ),
    }
}

/// `count` tickets created in the month `m`, 500 a statement: most resolved within a few
/// hours (their clocks stopped by the resolve), some breached, some escalated, some open.
fn month(db: &Db, f: &Fixture, m: u32, count: usize) {
    let mut conn = db.conn().expect("conn");
    let (policy, pv, cal, cv) = &f.policy;
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        let mut i = 0;
        while i < count {
            let end = (i + 500).min(count);
            let mut tickets = Vec::new();
            let mut targets = Vec::new();
            for n in i..end {
                let id = uuid::Uuid::new_v4().to_string();
                let day = 2 + (n % 26) as u32;
                let created = wita(m, day, 8) + TimeDelta::minutes((n % 400) as i64);
                let resolved = (n % 10 != 0).then(|| created + TimeDelta::minutes(30 + (n % 300) as i64));
                let breached = n % 7 == 0;
                let escalated = n % 5 == 0;
                let pd = &f.pds[n % f.pds.len()];
                let service = if n % 3 == 0 { format!("'{}'", f.service) } else { "NULL".into() };
                let opt = |t: Option<DateTime<Utc>>| t.map_or("NULL".into(), |t| format!("'{}'", ts(t)));
                tickets.push(format!(
                    "('{id}', 'SD-2026-{m:02}{n:07}', '{pd}', '{pd}', {service}, 'incident', 'high', 'medium', 'high', FALSE, '{}', {}, 'Gangguan {n}', 'Deskripsi', 'normal', 'Warga', '{r}', '{u}', '{r}', '{r}', {res}, {esc_mode}, {esc_at}, 1, '{policy}', {pv}, '{cal}', {cv}, {br}, NULL)",
                    if resolved.is_some() { "resolved" } else { "in_progress" },
                    if escalated { 2 } else { 1 },
                    r = ts(created),
                    u = f.user,
                    res = opt(resolved),
                    esc_mode = if escalated { "'automatic'" } else { "NULL" },
                    esc_at = if escalated { opt(Some(created + TimeDelta::minutes(20))) } else { "NULL".into() },
                    br = if breached { "TRUE" } else { "FALSE" },
                ));
                let stops = resolved.map_or("[]".into(), |r| {
                    format!("[{{\"from\":\"{}\",\"to\":null}}]", r.to_rfc3339())
                });
                let reason = if resolved.is_some() { "'resolved'" } else { "NULL" };
                targets.push(format!(
                    "('{}', '{id}', 'response', 0, 30, '{r}', '[]', NULL, '{e}', '{d}', NULL, NULL)",
                    uuid::Uuid::new_v4(),
                    r = ts(created),
                    e = ts(created + TimeDelta::minutes(10)),
                    d = ts(created + TimeDelta::minutes(30)),
                ));
                targets.push(format!(
                    "('{}', '{id}', 'resolution', 0, 450, '{r}', '{stops}', {reason}, NULL, NULL, NULL, {b})",
                    uuid::Uuid::new_v4(),
                    r = ts(created),
                    b = if breached { opt(Some(created + TimeDelta::hours(6))) } else { "NULL".into() },
                ));
                if escalated {
                    targets.push(format!(
                        "('{}', '{id}', 'tier2_resolution', 2, 330, '{e}', '{stops}', {reason}, NULL, NULL, NULL, NULL)",
                        uuid::Uuid::new_v4(),
                        e = ts(created + TimeDelta::minutes(20)),
                    ));
                }
            }
            diesel::sql_query(format!(
                "INSERT INTO tickets (id, number, organization_id, reporter_organization_id, service_id, kind, impact, urgency, priority, priority_overridden, status, tier, title, description, classification, reporter_name, reported_at, created_by, created_at, updated_at, resolved_at, escalation_mode, escalated_at, version, sla_policy_id, sla_policy_version, sla_calendar_id, sla_calendar_version, sla_breached, sla_next_at) VALUES {}",
                tickets.join(", ")
            ))
            .execute(c)?;
            diesel::sql_query(format!(
                "INSERT INTO sla_targets (id, ticket_id, target, tier, minutes, started_at, stops, stop_reason, ended_at, due_at, warned_at, breached_at) VALUES {}",
                targets.join(", ")
            ))
            .execute(c)?;
            i = end;
        }
        // Indexed for search as the daemon's own commits index their new tickets.
        spbe_desk::db::queries::tickets::index_pending_search(c)
    })
    .expect("tickets");
}

/// Freezes one month, sampling resident memory meanwhile: (time, peak rise in bytes, peak
/// in bytes, XLSX bytes).
fn freeze(app: &App, label: &str) -> (Duration, u64, u64, u64) {
    let base = rss();
    let peak = Arc::new(AtomicU64::new(base));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let period = app.report_period(label, true).expect("period");
    let start = Instant::now();
    let out = app
        .report_for(&period, Format::Xlsx, &mut |_| {})
        .expect("report");
    let took = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let peak = peak.load(Ordering::Relaxed);
    (took, peak.saturating_sub(base), peak, out.bytes)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let size = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (small, large) = (size("BENCH_SMALL", 10_000), size("BENCH_LARGE", 100_000));
    let settings = Settings::defaults_with(&[("database.url", url.as_str())]).expect("settings");
    let db = Db::connect(&url, 4, Duration::from_secs(30)).expect("database");
    db.write(|c| engine::seed(c, wita(1, 2, 8))).expect("seed");
    let clock = ManualClock::new(wita(12, 5, 8));
    let app = App::new(db.clone(), Arc::new(clock), settings).expect("service");
    let f = {
        let mut c = db.conn().expect("conn");
        fixtures(&mut c, &app)
    };
    let start = Instant::now();
    month(&db, &f, 10, small);
    month(&db, &f, 11, large);
    println!(
        "report benchmark on {}: {small} tickets in October, {large} in November, written in {:.1?}",
        if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
        start.elapsed()
    );
    let (t_small, m_small, p_small, x_small) = freeze(&app, "2026-10");
    let (t_large, m_large, p_large, x_large) = freeze(&app, "2026-11");
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "\n{:>8} | {:>9} | {:>10} | {:>14} | {:>13} | {:>10}",
        "tickets", "freeze", "per ticket", "peak RSS", "rise in run", "XLSX"
    );
    for (n, t, m, p, x) in [
        (small, t_small, m_small, p_small, x_small),
        (large, t_large, m_large, p_large, x_large),
    ] {
        println!(
            "{n:>8} | {:>9.2?} | {:>10.2?} | {:>10.1} MiB | {:>9.1} MiB | {:>6.1} MiB",
            t,
            t / u32::try_from(n.max(1)).unwrap_or(u32::MAX),
            mib(p),
            mib(m),
            mib(x)
        );
    }
    println!(
        "\nlarge/small: tickets {:.1}x, time {:.1}x, peak RSS {:.2}x",
        large as f64 / small.max(1) as f64,
        t_large.as_secs_f64() / t_small.as_secs_f64(),
        p_large.max(1) as f64 / p_small.max(1) as f64
    );
}
