//! The load generator: the real daemon under concurrent clients, against the raw commit
//! rate of its own database in the same run.
//!
//! `cargo bench --bench load` (SQLite in a temp dir; BENCH_DATABASE_URL=postgres://user:pw@
//! host/db for PostgreSQL: a scratch database is created beside it and dropped). Knobs:
//! BENCH_CLIENTS (32), BENCH_READERS (4: the GETs beside the creations; 0 measures the
//! creations alone), BENCH_SECONDS (10, per phase), BENCH_SQL=1 (prints a creation's
//! statements), BENCH_SYNC (SQLite's
//! `database.sqlite_synchronous`, default the daemon's default), BENCH_POOL
//! (`database.pool_size`, default the daemon's default), BENCH_WRITERS
//! (`database.write_connections`, PostgreSQL; default the daemon's choice).
//!
//! Phases, one after another, each printed with throughput and p50/p99:
//! 1. raw: durable one-row INSERT transactions on the daemon's own pool (so the same
//!    PRAGMAs or server settings), from one thread and from BENCH_CLIENTS threads; the
//!    better of the two is the database's commit limit (SQLite has one writer, so one
//!    thread without lock waits is its best; PostgreSQL needs several to fill its WAL);
//! 2. create: BENCH_CLIENTS clients POST /tickets while BENCH_READERS more GET tickets just
//!    made;
//! 3. list: the first page of the ticket list for a technician, an operator and a
//!    supervisor, plain and filtered, and a search.
//!
//! The ratios at the end are the acceptance figures of issue 12: creation against the raw
//! rate, and GET p99 under the creation load.

#[path = "common/scratch.rs"]
mod scratch;
#[path = "common/statements.rs"]
mod statements;
use scratch::{env_usize, scratch_database};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

use spbe_desk::clock::SystemClock;
use spbe_desk::config::Settings;
use spbe_desk::startup::Application;

/// p50 and p99 of some latencies, in milliseconds.
fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort();
    let at = |q: f64| {
        let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

/// Raw limit: one-row INSERT transactions, each committed durably, from `clients` threads.
fn raw_commits(db: &spbe_desk::db::Db, clients: usize, seconds: u64) -> (f64, f64, f64) {
    {
        let mut c = db.conn().expect("conn");
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, v TEXT NOT NULL)",
        )
        .expect("create bench_raw");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let lat = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (db, stop, lat) = (db.clone(), stop.clone(), lat.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut conn = db.conn().expect("conn");
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let id = uuid::Uuid::new_v4().to_string();
                    let ok = conn.transaction::<_, diesel::result::Error, _>(|c| {
                        diesel::sql_query(format!(
                            "INSERT INTO bench_raw (id, v) VALUES ('{id}', 'x')"
                        ))
                        .execute(c)
                    });
                    if ok.is_ok() {
                        mine.push(t.elapsed());
                    }
                }
                lat.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("raw thread");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let lat = std::mem::take(&mut *lat.lock().expect("lock"));
    let n = lat.len() as f64;
    let (p50, p99) = percentiles(lat);
    (n / elapsed, p50, p99)
}

fn ticket_body(n: usize) -> Value {
    json!({
        "title": format!("Printer di loket {n} tidak bisa mencetak"),
        "description": "Antrian cetak macet sejak pagi.",
        "kind": "incident",
        "impact": "medium",
        "urgency": "medium",
        "reporter": {"name": "Budi Santoso", "email": "budi@makassarkota.go.id"}
    })
}

#[actix_web::main]
async fn main() {
    statements::install();
    let clients = env_usize("BENCH_CLIENTS", 32);
    let seconds = env_usize("BENCH_SECONDS", 10) as u64;
    let scratch = scratch_database("load");
    if let Some(path) = &scratch.sqlite_path {
        println!("scratch database {}", path.display());
    }
    let backend = if scratch.pg_admin.is_some() {
        "postgresql"
    } else {
        "sqlite"
    };
    let mut overrides: Vec<(&str, &str)> = vec![
        ("database.url", scratch.url.as_str()),
        ("http.bind", "127.0.0.1:0"),
        ("http.rate_limit", "off"),
        ("http.rate_limit_per_address", "off"),
        ("mail.poll_seconds", "0"),
        ("reports.monthly", "false"),
        ("log.level", "error"),
    ];
    let sync = std::env::var("BENCH_SYNC").unwrap_or_default();
    if !sync.is_empty() {
        overrides.push(("database.sqlite_synchronous", sync.as_str()));
    }
    let pool = std::env::var("BENCH_POOL").unwrap_or_default();
    if !pool.is_empty() {
        overrides.push(("database.pool_size", pool.as_str()));
    }
    let writers = std::env::var("BENCH_WRITERS").unwrap_or_default();
    if !writers.is_empty() {
        overrides.push(("database.write_connections", writers.as_str()));
    }
    let settings = Settings::defaults_with(&overrides).expect("settings");
    let (db, [tech, operator, supervisor]) =
        scratch::demo_city(&settings, ["TECH_DUKCAPIL", "OPERATOR", "SUPERVISOR"]).await;
    // BENCH_NO_SEARCH=1 (SQLite): without the trigram index's insert trigger, to measure
    // what indexing a ticket's text costs a creation. Searches then find nothing new.
    if std::env::var("BENCH_NO_SEARCH").is_ok_and(|v| v == "1") && scratch.sqlite_path.is_some() {
        let mut c = db.conn().expect("conn");
        c.batch_execute("DROP TRIGGER tickets_search_insert")
            .expect("drop the search trigger");
        println!("without the search index's insert trigger");
    }

    println!(
        "spbe-desk load, {backend}, {clients} clients, {seconds} s a phase, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // 1. The raw limit, before the daemon takes the machine.
    let mut raw_rate: f64 = 0.0;
    for threads in [1, clients] {
        let raw_db = db.clone();
        let (rate, p50, p99) =
            tokio::task::spawn_blocking(move || raw_commits(&raw_db, threads, seconds.min(5)))
                .await
                .expect("raw");
        let label = format!("raw commits, {threads} thr");
        println!("{label:<24} {rate:>9.0}/s   p50 {p50:>7.2} ms   p99 {p99:>7.2} ms");
        raw_rate = raw_rate.max(rate);
    }

    let app = Application::build_with_db(settings, Arc::new(SystemClock), db).expect("build");
    let daemon = app.state().app.clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();

    // Statements per creation, counted on 20 creations one after another: a figure that,
    // unlike the times, does not depend on what else the machine does.
    let breakdown = std::env::var("BENCH_SQL").is_ok_and(|v| v == "1");
    if breakdown {
        statements::record_texts();
    }
    let before = statements::sent();
    for n in 0..20 {
        let r = client
            .post(format!("{base}/api/v1/tickets"))
            .insert_header(("Authorization", format!("Bearer {tech}")))
            .send_json(&ticket_body(1_000_000 + n))
            .await
            .expect("warm-up creation");
        assert_eq!(r.status().as_u16(), 201, "warm-up creation");
    }
    println!(
        "statements a creation    {:>9.1}",
        (statements::sent() - before) as f64 / 20.0
    );
    if breakdown {
        statements::print_texts("statements a creation, each", 20);
    }

    // 2. Creation at `clients`, with readers of what was created.
    let made: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let counter = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let writes_before = daemon.db.write_times().totals();
    let commits_before = daemon.db.write_times().commits.load(Ordering::Relaxed);
    let mut writers = Vec::new();
    for _ in 0..clients {
        let (client, base, tech, made, counter, errors) = (
            client.clone(),
            base.clone(),
            tech.clone(),
            made.clone(),
            counter.clone(),
            errors.clone(),
        );
        writers.push(actix_web::rt::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/tickets"))
                    .insert_header(("Authorization", format!("Bearer {tech}")))
                    .send_json(&ticket_body(n))
                    .await;
                match res {
                    Ok(mut r) if r.status().as_u16() == 201 => {
                        lat.push(t.elapsed());
                        if let Ok(v) = r.json::<Value>().limit(1 << 20).await {
                            if let Some(id) = v["id"].as_str() {
                                made.lock().expect("lock").push(id.to_string());
                            }
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut readers = Vec::new();
    for r in 0..env_usize("BENCH_READERS", 4) {
        let (client, base, tech, made) = (client.clone(), base.clone(), tech.clone(), made.clone());
        readers.push(actix_web::rt::spawn(async move {
            let mut lat = Vec::new();
            let mut i = r;
            while Instant::now() < deadline {
                let id = {
                    let m = made.lock().expect("lock");
                    if m.is_empty() {
                        None
                    } else {
                        Some(m[i % m.len()].clone())
                    }
                };
                i += 7;
                let Some(id) = id else {
                    actix_web::rt::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let t = Instant::now();
                if let Ok(mut r) = client
                    .get(format!("{base}/api/v1/tickets/{id}"))
                    .insert_header(("Authorization", format!("Bearer {tech}")))
                    .send()
                    .await
                {
                    if r.status().as_u16() == 200 && r.body().await.is_ok() {
                        lat.push(t.elapsed());
                    }
                }
            }
            lat
        }));
    }
    let mut create_lat = Vec::new();
    for w in writers {
        create_lat.extend(w.await.expect("writer"));
    }
    let mut get_lat = Vec::new();
    for r in readers {
        get_lat.extend(r.await.expect("reader"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let writes_after = daemon.db.write_times().totals();
    let commits = daemon.db.write_times().commits.load(Ordering::Relaxed) - commits_before;
    let created = create_lat.len();
    let create_rate = created as f64 / elapsed;
    let (c50, c99) = percentiles(create_lat);
    let get_n = get_lat.len();
    let (g50, g99) = percentiles(get_lat);
    println!("POST /tickets            {create_rate:>9.0}/s   p50 {c50:>7.2} ms   p99 {c99:>7.2} ms   ({created} created, {} failed)",
        errors.load(Ordering::Relaxed));
    println!(
        "GET /tickets/{{id}} (load) {:>9.0}/s   p50 {g50:>7.2} ms   p99 {g99:>7.2} ms",
        get_n as f64 / elapsed
    );
    // What a write transaction of that phase spent its time on (db::WriteTimes): waiting
    // for the write lock and a connection, running its statements, committing.
    let n = writes_after.0.saturating_sub(writes_before.0).max(1) as f64;
    let per = |a: f64, b: f64| 1000.0 * (a - b) / n;
    let (wait, work, commit) = (
        per(writes_after.1, writes_before.1),
        per(writes_after.2, writes_before.2),
        per(writes_after.3, writes_before.3),
    );
    println!(
        "write transactions       {:>9.0}/s   mean wait {wait:.2} ms, statements {work:.2} ms, commit {commit:.2} ms; held {:.0}% of the phase",
        n / elapsed,
        100.0 * (n * (work + commit) / 1000.0) / elapsed
    );
    // SQLite's writers share commits (db::group); PostgreSQL commits each.
    println!(
        "commits                  {:>9.0}/s   {:.1} write transactions a commit",
        commits as f64 / elapsed,
        n / commits.max(1) as f64
    );

    // 3. First pages of the list, by role, plain, filtered and searched.
    for (who, tok) in [
        ("technician", &tech),
        ("operator", &operator),
        ("supervisor", &supervisor),
    ] {
        for query in [
            "",
            "&status=new,in_progress&priority=medium",
            "&q=loket%2012",
        ] {
            let mut lat = Vec::new();
            let until = Instant::now() + Duration::from_secs(seconds.min(3));
            while Instant::now() < until {
                let t = Instant::now();
                if let Ok(mut r) = client
                    .get(format!("{base}/api/v1/tickets?limit=50{query}"))
                    .insert_header(("Authorization", format!("Bearer {tok}")))
                    .send()
                    .await
                {
                    if r.status().as_u16() == 200 && r.body().limit(8 << 20).await.is_ok() {
                        lat.push(t.elapsed());
                    }
                }
            }
            let (p50, p99) = percentiles(lat);
            let label = format!(
                "list {who}{}",
                if query.is_empty() {
                    ""
                } else if query.contains("q=") {
                    " search"
                } else {
                    " filtered"
                }
            );
            println!(
                "{label:<24} {:>10}   p50 {p50:>7.2} ms   p99 {p99:>7.2} ms",
                ""
            );
        }
    }

    println!();
    println!(
        "creation / raw commits: {:.1}% (target >= 50%)",
        100.0 * create_rate / raw_rate
    );
    println!("GET p99 under creation load: {g99:.2} ms (target < 10 ms)");
}
