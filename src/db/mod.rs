//! Persistence: one diesel `MultiConnection` over SQLite (embedded default) and PostgreSQL.
//!
//! Every backend-specific branch lives in this file: URL parsing, connection set-up (PRAGMAs),
//! migrations, and how writes are serialised. Query code elsewhere is written once against
//! [`DbConn`].

pub mod deferred;
mod group;
pub mod models;
pub mod queries;
pub mod schema;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl DbConn {
    /// The backend this connection talks to, for the few queries that differ.
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Sqlite(_) => Backend::Sqlite,
            DbConn::Pg(_) => Backend::Postgres,
        }
    }
}

/// Where the database is, decided from the URL scheme only. A mistyped scheme is an error,
/// never a silently created SQLite file (diesel's derived `establish` would try SQLite last
/// and accept any string as a path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            if rest.is_empty() {
                return Err(
                    "sqlite:// URL needs a file path, e.g. sqlite://var/spbe-desk.db".into(),
                );
            }
            Ok(DbUrl::Sqlite(PathBuf::from(rest)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DbUrl::Postgres(url.to_string()))
        } else {
            Err(format!(
                "unsupported database URL scheme in {:?}: use sqlite://PATH or postgres://...",
                redact_url(url)
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbUrl::Sqlite(_) => Backend::Sqlite,
            DbUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Hides a password in a URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// How SQLite makes a commit durable (`database.sqlite_synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    /// Every commit is on disk before it is acknowledged: it survives a power loss.
    #[default]
    Full,
    /// Faster: a commit survives a crash of the daemon, but the last ones may be lost to a
    /// power loss or an operating-system crash. An explicit choice.
    Normal,
}

pub struct DbManager {
    url: DbUrl,
    sync: SqliteSync,
    /// Set when opening or probing a connection fails, cleared when one opens: shared with
    /// [`Db`], whose check-outs fail fast while it is set.
    down: Arc<AtomicBool>,
}

impl DbManager {
    pub fn new(url: DbUrl, sync: SqliteSync) -> Self {
        Self {
            url,
            sync,
            down: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The WAL size, in pages, at which a commit checkpoints the log itself. The daemon's
/// `jobs::wal` checkpoints long before (SQLite's default is 1,000 pages, 4 MiB); this is
/// the backstop for when that job is behind or not running (a CLI command).
pub const WAL_BACKSTOP_PAGES: u32 = 16_384;

/// The `PRAGMA optimize` mask each SQLite connection runs when it opens: check every table
/// (0x10000) and analyse those whose size changed much (0x2), each within a bounded sample
/// of rows (0x10). A mask given replaces SQLite's default, which has 0x10; without it the
/// analysis read every index whole, holding the write lock all the while, so a connection
/// the pool opened after the tables had grown tenfold stalled every write of the desk as
/// long. Measured on a database of 1,000,000 tickets never analysed, its pages cached:
/// 10.2 s whole, 1.9 s bounded (most of it the search index's own table).
pub const SQLITE_OPTIMIZE: u32 = 0x10012;

/// Opens one connection of the backend named by the URL, with per-connection settings.
pub fn establish(url: &DbUrl, sync: SqliteSync) -> Result<DbConn, diesel::ConnectionError> {
    match url {
        DbUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    diesel::ConnectionError::BadConnection(format!(
                        "cannot create directory {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            let path_str = path.to_str().ok_or_else(|| {
                diesel::ConnectionError::InvalidConnectionUrl("SQLite path is not UTF-8".into())
            })?;
            let mut conn = SqliteConnection::establish(path_str)?;
            // WAL lets readers proceed while one writer commits. synchronous=FULL syncs the
            // WAL at every commit, so an acknowledged change survives a power loss; NORMAL
            // survives only a crash of the daemon. busy_timeout covers other processes (CLI
            // subcommands) writing while the daemon runs. Each connection has a page cache of
            // its own that another connection's commit invalidates, so pages are read through
            // a shared memory map (no copy per read), and a writer gets 16 MiB of cache so
            // that a batch of changes is not spilled to the WAL before its commit (profiled:
            // the 2 MiB default spilled in every scheduler batch). The planner chooses
            // between a scope index and a search's rowids by the tables' statistics, which
            // nothing else gathers on SQLite: `optimize` on open (SQLite's advice for
            // long-lived connections; r2d2 renews each within 30 minutes) analyses the
            // tables whose size changed much since their last analysis, sampling a bounded
            // number of rows (`SQLITE_OPTIMIZE`).
            let synchronous = match sync {
                SqliteSync::Full => "FULL",
                SqliteSync::Normal => "NORMAL",
            };
            conn.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456; \
                 PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}; \
                 PRAGMA optimize = {SQLITE_OPTIMIZE:#x};"
            ))
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConn::Sqlite(conn))
        }
        DbUrl::Postgres(u) => {
            let mut conn = PgConnection::establish(u)?;
            conn.batch_execute("SET TIME ZONE 'UTC'")
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConn::Pg(conn))
        }
    }
}

/// A PostgreSQL connection that answered this recently is handed out without a probe: it
/// is in use most of the time under load, where two probes were a third of a ticket read's
/// round trips. An outage is still met within this window: the statement fails (503, not
/// retried), the connection is probed at its next check-out and replaced.
const ANSWERED_LATELY: Duration = Duration::from_millis(500);

/// A pooled connection, and when a use of it last succeeded.
pub struct PoolConn {
    conn: DbConn,
    answered: Option<Instant>,
}

impl PoolConn {
    /// Remembers how a use of this connection went: a failed one has it probed before
    /// its next use.
    fn used<T, E>(&mut self, out: &Result<T, E>) {
        self.answered = out.is_ok().then(Instant::now);
    }
}

impl std::ops::Deref for PoolConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for DbManager {
    type Connection = PoolConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConn, r2d2::Error> {
        let opened = establish(&self.url, self.sync).map(|conn| PoolConn {
            conn,
            answered: Some(Instant::now()),
        });
        let failed = opened.is_err();
        if failed != self.down.swap(failed, Ordering::SeqCst) {
            if failed {
                tracing::error!(
                    "the database stopped answering; requests get 503 until it is back"
                );
            } else {
                tracing::warn!("the database answers again");
            }
        }
        opened.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), r2d2::Error> {
        if conn.answered.is_some_and(|t| t.elapsed() < ANSWERED_LATELY) {
            return Ok(());
        }
        let answered = conn.conn.ping();
        self.down.store(answered.is_err(), Ordering::SeqCst);
        conn.used(&answered);
        answered.map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        conn.conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// The database handle shared by handlers, jobs and CLI commands.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite allows one writer at a time; a deferred transaction that reads and then writes
    /// can fail with SQLITE_BUSY instead of waiting. This process's write transactions take
    /// turns in groups that share one transaction and one commit (`group`); PostgreSQL
    /// needs neither.
    group: Option<Arc<group::Group>>,
    /// The pool's view of the server: see [`DbManager::down`].
    down: Arc<AtomicBool>,
    /// How long a check-out may wait for a connection while the database answers.
    timeout: Duration,
    /// PostgreSQL: how many write transactions may hold connections at once, so that a
    /// quarter of the pool always serves reads (SQLite's writers wait for their turn in
    /// `group` without holding connections already).
    write_slots: Option<Arc<Slots>>,
    /// Where this daemon's write transactions spend their time.
    write_times: Arc<WriteTimes>,
}

/// Totals over this daemon's write transactions, in nanoseconds: waiting for the write lock
/// (SQLite) or a slot and a connection, running the use case's statements, and committing
/// (the durable part). `/metrics` shows them; the load bench divides them by the count to
/// say what bounds a creation.
#[derive(Debug, Default)]
pub struct WriteTimes {
    pub count: std::sync::atomic::AtomicU64,
    /// Commits: fewer than write transactions where SQLite's writers share them.
    pub commits: std::sync::atomic::AtomicU64,
    pub wait_ns: std::sync::atomic::AtomicU64,
    pub work_ns: std::sync::atomic::AtomicU64,
    pub commit_ns: std::sync::atomic::AtomicU64,
}

impl WriteTimes {
    fn add(&self, wait: Duration, work: Duration, commit: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Relaxed);
        self.wait_ns.fetch_add(ns(wait), Relaxed);
        self.work_ns.fetch_add(ns(work), Relaxed);
        self.commit_ns.fetch_add(ns(commit), Relaxed);
    }

    fn commit(&self) {
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// (count, wait, work, commit) in seconds.
    pub fn totals(&self) -> (u64, f64, f64, f64) {
        use std::sync::atomic::Ordering::Relaxed;
        let s = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed) as f64 / 1e9;
        (
            self.count.load(Relaxed),
            s(&self.wait_ns),
            s(&self.work_ns),
            s(&self.commit_ns),
        )
    }
}

thread_local! {
    /// This thread holds a write slot for a whole use case (`Db::in_write_slot`).
    static IN_SLOT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A counting semaphore for blocking threads.
struct Slots {
    free: Mutex<usize>,
    freed: std::sync::Condvar,
}

/// How many connections of a PostgreSQL pool may hold write transactions at once:
/// `configured`, or with 0 this machine's cores, at most three quarters of the pool.
/// Measured with 32 creating clients on 2 cores (pool 8): 6 writers and 3 created as many
/// tickets a second, and a ticket read's p99 fell from 38 to 12 ms, since more writers
/// than cores only wait for the cores, and the readers wait behind them; 2 writers
/// created a sixth fewer than 3 (352-387/s against 437-448/s) and the reads' p99 fell
/// from 10-11 ms to 6-7 ms. Reads come first: a person waits on each of them.
pub fn write_connections(pool_size: u32, configured: u32) -> usize {
    if configured > 0 {
        return configured.min(pool_size.saturating_sub(1)).max(1) as usize;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (pool_size as usize * 3 / 4).min(cores).max(1)
}

impl Slots {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Slots {
            free: Mutex::new(n),
            freed: std::sync::Condvar::new(),
        })
    }

    /// Takes a slot, waiting up to `timeout`; None if none came free.
    fn take(self: &Arc<Self>, timeout: Duration) -> Option<SlotGuard> {
        let deadline = Instant::now() + timeout;
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            free = self
                .freed
                .wait_timeout(free, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *free -= 1;
        Some(SlotGuard(self.clone()))
    }
}

struct SlotGuard(Arc<Slots>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// While the database is down, a check-out gives up after this long instead of the whole
/// `connect_timeout`: requests get their 503 at once, and the pool keeps trying to reconnect
/// in the background, so the first check-out after the server's return succeeds.
const DOWN_WAIT: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] DieselError),
    #[error("every write slot stayed busy for {0:?}")]
    WriteSlots(Duration),
    #[error("the shared write transaction was lost")]
    GroupLost,
}

impl Db {
    /// Connects, runs pending migrations on one connection, then builds the pool.
    pub fn connect(url: &str, pool_size: u32, timeout: Duration) -> anyhow::Result<Db> {
        Self::connect_with(url, pool_size, timeout, SqliteSync::Full)
    }

    /// `connect` with SQLite's durability chosen.
    pub fn connect_with(
        url: &str,
        pool_size: u32,
        timeout: Duration,
        sync: SqliteSync,
    ) -> anyhow::Result<Db> {
        let parsed = DbUrl::parse(url).map_err(anyhow::Error::msg)?;
        let backend = parsed.backend();
        let mut conn = establish(&parsed, sync)
            .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact_url(url)))?;
        let applied = run_migrations(&mut conn)?;
        for m in applied {
            tracing::info!(migration = %m, "applied migration");
        }
        // Tickets a writer left noted for search but not indexed (one that wrote rows
        // without `index_pending_search`: an import of its own) are indexed now.
        conn.transaction(queries::tickets::index_pending_search)
            .map_err(|e| anyhow::anyhow!("indexing tickets for search: {e}"))?;
        drop(conn);
        let manager = DbManager::new(parsed, sync);
        let down = manager.down.clone();
        // A PostgreSQL connection can die with its server or the network between two
        // uses, so one is probed (`SELECT 1`) before a use unless it answered within
        // `ANSWERED_LATELY`; a SQLite connection is a file handle in this process, and a
        // probe would be two of a creation's statements.
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(timeout)
            .test_on_check_out(backend == Backend::Postgres)
            .build(manager)
            .map_err(|e| anyhow::anyhow!("cannot build connection pool: {e}"))?;
        Ok(Db {
            pool,
            backend,
            group: (backend == Backend::Sqlite).then(|| Arc::new(group::Group::default())),
            down,
            timeout,
            write_slots: (backend == Backend::Postgres && pool_size >= 4)
                .then(|| Slots::new(write_connections(pool_size, 0))),
            write_times: Arc::new(WriteTimes::default()),
        })
    }

    /// Sets how many connections may hold write transactions at once (PostgreSQL, a pool
    /// of 4 or more; see [`write_connections`]). Before the daemon serves.
    pub fn set_write_connections(&mut self, configured: u32) {
        if self.write_slots.is_some() {
            let n = write_connections(self.pool.max_size(), configured);
            self.write_slots = Some(Slots::new(n));
        }
    }

    /// Where this daemon's write transactions spent their time so far.
    pub fn write_times(&self) -> &WriteTimes {
        &self.write_times
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection. Waits up to `connect_timeout` while the pool is merely busy,
    /// but only [`DOWN_WAIT`] once the database is known to be down (in slices, so a
    /// check-out already waiting notices the outage too).
    pub fn conn(&self) -> Result<PooledConn, DbError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let down = self.down.load(Ordering::SeqCst);
            match self.pool.get_timeout(left.min(DOWN_WAIT)) {
                Ok(c) => return Ok(c),
                Err(e) if down || self.down.load(Ordering::SeqCst) => return Err(e.into()),
                Err(e) if left <= DOWN_WAIT => {
                    tracing::warn!(
                        waited_seconds = self.timeout.as_secs(),
                        "every pooled database connection stayed busy; raise database.pool_size?"
                    );
                    return Err(e.into());
                }
                Err(_) => continue,
            }
        }
    }

    /// Copies what the SQLite write-ahead log holds into the database file, as far as
    /// no reader still needs it, without waiting for or blocking anyone (`PASSIVE`).
    /// Returns the frames it left in the log.
    pub fn checkpoint_wal(&self) -> Result<i64, DbError> {
        #[derive(diesel::QueryableByName)]
        struct Checkpoint {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            log: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            checkpointed: i64,
        }
        let mut conn = self.conn()?;
        let c = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
            .get_result::<Checkpoint>(&mut **conn)?;
        Ok((c.log - c.checkpointed).max(0))
    }

    /// Connections of this daemon's pool: (in use, idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (
            s.connections.saturating_sub(s.idle_connections),
            s.idle_connections,
        )
    }

    /// Whether the last attempt to open or probe a connection failed.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// Runs `f` inside one database transaction (the unit in which a change, its audit
    /// event and, later, its outbox rows are written together). Blocking: call it from
    /// `web::block` or `spawn_blocking`.
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DieselError> + From<DbError>,
    {
        self.write_as(false, f)
    }

    /// `write`, or when `alone` a long transaction (a scheduler batch): on SQLite it
    /// shares no commit, so the writers of the group it would join are answered without
    /// waiting for it.
    pub fn write_as<T, E, F>(&self, alone: bool, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DieselError> + From<DbError>,
    {
        if let Some(group) = &self.group {
            // The turn comes before the pool check-out: writers waiting for it must not
            // hold connections that readers need.
            return group.write(&self.write_times, alone, || self.conn(), f);
        }
        let asked = Instant::now();
        let _slot = self.write_slot()?;
        let mut conn = self.conn()?;
        let started = Instant::now();
        let mut worked = started;
        let out = (**conn).transaction(|c| {
            let r = f(c);
            worked = Instant::now();
            r
        });
        conn.used(&out);
        let done = Instant::now();
        self.write_times
            .add(started - asked, worked - started, done - worked);
        self.write_times.commit();
        out
    }

    /// A write slot (PostgreSQL), unless this thread holds one already (`in_write_slot`).
    fn write_slot(&self) -> Result<Option<SlotGuard>, DbError> {
        match &self.write_slots {
            Some(slots) if !IN_SLOT.get() => Ok(Some(
                slots
                    .take(self.timeout)
                    .ok_or(DbError::WriteSlots(self.timeout))?,
            )),
            _ => Ok(None),
        }
    }

    /// Runs `f`, reads and a write, holding one write slot throughout (PostgreSQL): a
    /// writer that reads before it writes then waits for its slot before its reads too,
    /// so that writers queueing for slots do not also queue for connections ahead of
    /// plain readers (measured: 32 creating clients had a ticket's reads wait 20 ms).
    pub fn in_write_slot<T, E: From<DbError>>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        struct Held(#[allow(dead_code)] SlotGuard);
        impl Drop for Held {
            fn drop(&mut self) {
                IN_SLOT.set(false);
            }
        }
        let Some(slot) = self.write_slot()? else {
            return f();
        };
        IN_SLOT.set(true);
        let _held = Held(slot);
        f()
    }

    /// Runs `f` on a pooled connection without an explicit transaction.
    pub fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = self.conn()?;
        let out = f(&mut conn);
        conn.used(&out);
        out
    }
}

/// Rows per multi-row INSERT on PostgreSQL: well under its limit of 65,535 bound parameters
/// for the widest row written in bulk (the outbox, 19 columns).
pub const INSERT_CHUNK: usize = 500;

/// At most this many rows `insert_rows!` inserts row by row on SQLite. Measured: a
/// creation's three targets, ledger entries and notices are cheaper so (creation +20%
/// under load), a scheduler batch's thousands of rows are not (its tick took 687 ms
/// against 585 ms, and 11 statements a due ticket against 0.1).
pub const ROW_BY_ROW: usize = 16;

/// Inserts `rows` into `table` in the caller's transaction and returns the number of rows:
/// with multi-row INSERT statements, except a few rows on SQLite, which go row by row
/// through one prepared statement. diesel's batch insert does not pass through
/// the `MultiConnection`, so each backend builds its own statement here.
#[macro_export]
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        let conn: &mut $crate::db::DbConn = $conn;
        let rows = $rows;
        (|| -> diesel::QueryResult<usize> {
            let mut inserted = 0;
            for chunk in rows.chunks($crate::db::INSERT_CHUNK) {
                inserted += match &mut *conn {
                    // A few rows (a creation's), row by row: SQLite makes no round trip per
                    // statement, and diesel prepares a one-row INSERT once per connection
                    // where it prepares a multi-row one again at every use (its row count
                    // varies). A batch's hundreds of rows amortise that preparation.
                    $crate::db::DbConn::Sqlite(c) if chunk.len() <= $crate::db::ROW_BY_ROW => {
                        let mut n = 0;
                        for row in chunk {
                            n += diesel::insert_into($table).values(row).execute(c)?;
                        }
                        n
                    }
                    $crate::db::DbConn::Sqlite(c) => {
                        diesel::insert_into($table).values(chunk).execute(c)?
                    }
                    $crate::db::DbConn::Pg(_) if $crate::db::deferred::keeping() => {
                        $crate::db::deferred::keep(
                            diesel::insert_into($table).values(chunk.to_vec()),
                            chunk.len(),
                        )?
                    }
                    $crate::db::DbConn::Pg(c) => {
                        diesel::insert_into($table).values(chunk).execute(c)?
                    }
                };
            }
            Ok(inserted)
        })()
    }};
}

/// Inserts one row, in the caller's transaction; within `deferred::deferred` on
/// PostgreSQL, kept for its one statement. Not a one-row `insert_rows!`: outside a
/// deferred write PostgreSQL then runs diesel's one-row INSERT, which it prepares once per
/// connection, where a batch (even of one row) is built and prepared again at every use.
#[macro_export]
macro_rules! insert_one {
    ($conn:expr, $table:expr, $row:expr) => {{
        use diesel::RunQueryDsl as _;
        let conn: &mut $crate::db::DbConn = $conn;
        let row = $row;
        if matches!(conn, $crate::db::DbConn::Pg(_)) && $crate::db::deferred::keeping() {
            $crate::db::deferred::keep(diesel::insert_into($table).values(row.clone()), 1)
                .map(|_| ())
        } else {
            diesel::insert_into($table)
                .values(row)
                .execute(conn)
                .map(|_| ())
        }
    }};
}

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Locks a ticket's row for the rest of the write transaction and reads it: the first step
/// of every ticket change, so that every writer (clients, the scheduler, other daemons)
/// takes its locks in the same order (ticket row, then targets, ledger and audit rows). On
/// PostgreSQL this is `SELECT ... FOR UPDATE`; a SQLite write transaction already holds the
/// database's write lock from its first statement.
pub fn lock_ticket(conn: &mut DbConn, id: &str) -> diesel::QueryResult<Option<models::Ticket>> {
    use diesel::{OptionalExtension, QueryDsl, SelectableHelper};
    use schema::tickets::dsl as t;
    // `as_select` names the backend, so each arm builds its own statement.
    match conn {
        DbConn::Pg(c) => t::tickets
            .find(id)
            .select(models::Ticket::as_select())
            .for_update()
            .first(c)
            .optional(),
        DbConn::Sqlite(c) => t::tickets
            .find(id)
            .select(models::Ticket::as_select())
            .first(c)
            .optional(),
    }
}

/// Claims one due ticket for the scheduler in the caller's transaction; false when it is not
/// due any more, another daemon's lease on it is live (its batch, or a failed pass), or (PostgreSQL) another
/// daemon holds its row right now. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so
/// several daemons share the due work instead of queueing behind each other's rows; the row
/// lock lasts until the work commits. SQLite (one writer at a time) claims with a
/// conditional UPDATE of the lease, which the work's transaction releases.
pub fn claim_due_ticket(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
) -> diesel::QueryResult<bool> {
    Ok(!claim_due_tickets(conn, &[id.to_string()], owner, now, until)?.is_empty())
}

/// `claim_due_ticket` for a whole batch in one statement: the rows of those of `ids` that
/// this daemon may work now, locked (PostgreSQL) or leased to it (SQLite) in the caller's
/// transaction, in no particular order. This daemon's own lease (taken by
/// `lease_due_tickets`) does not keep a ticket out.
pub fn claim_due_tickets(
    conn: &mut DbConn,
    ids: &[String],
    owner: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
) -> diesel::QueryResult<Vec<models::Ticket>> {
    use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl, SelectableHelper};
    use schema::tickets::dsl as t;
    let due = t::tickets
        .filter(t::id.eq_any(ids))
        .filter(t::sla_next_at.le(now))
        .filter(
            t::sla_lease_until
                .is_null()
                .or(t::sla_lease_until.lt(now))
                .or(t::sla_lease_owner.eq(owner)),
        );
    match conn {
        DbConn::Pg(c) => due
            .select(models::Ticket::as_select())
            .for_update()
            .skip_locked()
            .load(c),
        DbConn::Sqlite(c) => diesel::update(due)
            .set((t::sla_lease_owner.eq(owner), t::sla_lease_until.eq(until)))
            .returning(models::Ticket::as_returning())
            .get_results(c),
    }
}

/// Leases up to `limit` due tickets to `owner` until `until` and returns their ids,
/// earliest first. Run in a short transaction of its own, before the batch is worked: the
/// committed lease is what keeps two daemons' batches apart while each works its own
/// (PostgreSQL skips rows another daemon is leasing right now; on SQLite the write
/// transaction already excludes other writers). A daemon that dies holding a lease only
/// delays those tickets until it runs out.
pub fn lease_due_tickets(
    conn: &mut DbConn,
    owner: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
    limit: i64,
) -> diesel::QueryResult<Vec<String>> {
    use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
    use schema::tickets::dsl as t;
    let due = || {
        t::tickets
            .filter(t::sla_next_at.le(now))
            .filter(t::sla_lease_until.is_null().or(t::sla_lease_until.lt(now)))
            .order(t::sla_next_at.asc())
            .select(t::id)
            .limit(limit)
    };
    let ids: Vec<String> = match conn {
        DbConn::Pg(c) => due().for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => due().load(c)?,
    };
    if !ids.is_empty() {
        diesel::update(t::tickets.filter(t::id.eq_any(&ids)))
            .set((t::sla_lease_owner.eq(owner), t::sla_lease_until.eq(until)))
            .execute(conn)?;
    }
    Ok(ids)
}

/// Claims up to `limit` due outbox rows for `owner` until `until` and returns them, in the
/// caller's transaction. PostgreSQL skips rows another daemon is claiming right now
/// (`FOR UPDATE SKIP LOCKED`); on SQLite the write transaction already excludes other
/// writers. Either way the lease is what keeps the rows from other daemons while they are
/// being sent, after this transaction commits.
pub fn claim_outbox(
    conn: &mut DbConn,
    owner: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
    limit: i64,
) -> diesel::QueryResult<Vec<models::OutboxRow>> {
    use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
    use schema::outbox::dsl as o;
    let due = || {
        o::outbox
            .filter(o::status.eq(queries::outbox::QUEUED))
            .filter(o::next_attempt_at.le(now))
            .filter(o::lease_until.is_null().or(o::lease_until.lt(now)))
            .order(o::next_attempt_at.asc())
            .select(o::id)
            .limit(limit)
    };
    let ids: Vec<String> = match conn {
        DbConn::Pg(c) => due().for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => due().load(c)?,
    };
    if ids.is_empty() {
        return Ok(vec![]);
    }
    diesel::update(o::outbox.filter(o::id.eq_any(&ids)))
        .set((o::lease_owner.eq(owner), o::lease_until.eq(until)))
        .execute(conn)?;
    queries::outbox::by_ids(conn, &ids)
}

impl Db {
    /// Runs `f` in one read-only transaction that sees a single consistent snapshot of the
    /// whole database (REPEATABLE READ on PostgreSQL; a read transaction in WAL mode on
    /// SQLite), for backups taken while the daemon writes.
    pub fn snapshot<T>(
        &self,
        f: impl FnOnce(&mut DbConn) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut conn = self.conn()?;
        let pg = self.backend == Backend::Postgres;
        (*conn).transaction(|c| {
            if pg {
                c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            f(c)
        })
    }

    /// Sets PostgreSQL's serial counters past the highest key after rows were inserted with
    /// their keys (a restore); SQLite keeps its counters itself.
    pub fn reset_serials(conn: &mut DbConn) -> diesel::QueryResult<()> {
        if let DbConn::Pg(c) = conn {
            c.batch_execute(
                "SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), COALESCE((SELECT MAX(seq) FROM audit_events), 0) + 1, false); \
                 SELECT setval(pg_get_serial_sequence('sla_events', 'seq'), COALESCE((SELECT MAX(seq) FROM sla_events), 0) + 1, false); \
                 SELECT setval(pg_get_serial_sequence('audit_checkpoints', 'seq'), COALESCE((SELECT MAX(seq) FROM audit_checkpoints), 0) + 1, false);",
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod build_tests;
#[cfg(test)]
mod group_tests;
#[cfg(test)]
mod outbox_migration_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod slots_tests;
