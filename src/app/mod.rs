//! The service layer: one function per use case, each in one transaction, with identity and
//! access checked inside. The HTTP layer, the CLI and the jobs call it; it knows nothing of
//! HTTP (no actix, nothing from `routes`) and answers with [`AppError`].
//!
//! Every change to a ticket goes through [`tickets`]' one write path: lock the ticket row,
//! load it, check scope and version, apply the domain change, run the SLA sync, save, and
//! append the audit and ledger rows, in that order, so every writer (clients, the
//! scheduler, several daemons) takes its locks in the same order.

pub mod audit;
pub mod backup;
pub mod calendars;
pub mod catalogue;
pub mod console;
pub mod directory;
mod error;
pub mod notify;
pub mod record;
pub mod reports;
pub mod retention;
pub mod sanctions;
pub mod sla;
pub mod tickets;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use error::{AppError, AppResult};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{Db, DbConn};

/// How often a transaction that met another writer (serialization failure, deadlock, a
/// concurrent duplicate) runs again before the caller is told to retry.
const ATTEMPTS: u32 = 5;

/// The service: the database, the clock, the settings and the SLA context cache. Built
/// once at start and shared.
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// The zone whose calendar year numbers tickets.
    pub ticket_tz: chrono_tz::Tz,
    pub sla: sla::Env,
    /// The mail templates, compiled and checked at start.
    pub mail: crate::mail::Templates,
    /// This desk's metrics (`GET /metrics`).
    pub metrics: crate::metrics::Metrics,
    /// Bearer tokens resolved within the last second.
    pub known_tokens: directory::KnownTokens,
    /// What the notices of the last second learnt about the directory.
    pub recent_directory: Arc<notify::RecentDirectory>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, settings: Settings) -> anyhow::Result<App> {
        let ticket_tz = settings.ticket_timezone()?;
        let sla = sla::Env::new(settings.sla.clone(), settings.scheduler.clone());
        let dir = &settings.mail.templates_dir;
        let mail = crate::mail::Templates::load(
            settings.mail.language,
            (!dir.as_os_str().is_empty()).then_some(dir.as_path()),
        )?;
        Ok(App {
            db,
            clock,
            settings,
            ticket_tz,
            sla,
            mail,
            metrics: crate::metrics::Metrics::new(),
            known_tokens: directory::KnownTokens::default(),
            recent_directory: Arc::default(),
        })
    }

    /// What the database says for `/metrics`, read in one go.
    pub fn metrics_snapshot(&self) -> AppResult<crate::metrics::Snapshot> {
        use crate::db::queries::{metrics as m, outbox};
        let now = self.now();
        let (pool_in_use, pool_idle) = self.db.pool_state();
        self.read(|conn| {
            let lag = m::oldest_due(conn, now.naive_utc())?.map_or(0.0, |t| {
                (now.naive_utc() - t).num_milliseconds().max(0) as f64 / 1000.0
            });
            Ok(crate::metrics::Snapshot {
                tickets: m::tickets_by_status(conn)?,
                tickets_created: m::tickets_created(conn)?,
                sla_events: m::sla_events(conn)?,
                outbox: outbox::counts(conn)?,
                scheduler_lag_seconds: lag,
                pool_in_use,
                pool_idle,
                db_writes: self.db.write_times().totals(),
                db_commits: self.db.write_times().commits(),
            })
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs `f` in one write transaction. A transaction that lost a race to another writer
    /// is rolled back and run again (with a short, growing pause) a few times; after that
    /// the caller gets `Busy` or `Conflict`, never a raw database error. Blocking.
    pub fn write<T>(&self, f: impl FnMut(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        self.write_as(false, f)
    }

    /// `write` for a long transaction: see `Db::write_as`.
    pub fn write_alone<T>(&self, f: impl FnMut(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        self.write_as(true, f)
    }

    fn write_as<T>(
        &self,
        alone: bool,
        mut f: impl FnMut(&mut DbConn) -> AppResult<T>,
    ) -> AppResult<T> {
        let mut attempt = 1;
        loop {
            match self.db.write_as(alone, &mut f) {
                Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "transaction met a concurrent writer; retrying");
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                Err(e) if e.is_transient() => return Err(e.exhausted()),
                other => return other,
            }
        }
    }

    /// Whether the database answers.
    pub fn ready(&self) -> bool {
        use diesel::connection::SimpleConnection;
        self.db
            .conn()
            .map(|mut c| c.batch_execute("SELECT 1").is_ok())
            .unwrap_or(false)
    }

    /// Runs `f` on a pooled connection (reads). Blocking.
    pub fn read<T>(&self, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        self.db.read(f)
    }
}

/// A few milliseconds, doubling, with jitter so that the writers that collided do not
/// collide again.
fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let base = 2u64 << attempt.min(6);
    Duration::from_millis(base + rand::thread_rng().gen_range(0..base))
}

/// An error with its causes, on one line, for logs and the command line.
pub fn error_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// A new record id: a UUID of version 7, whose leading bits are the time it was made
/// (milliseconds, then a counter, so ids made by this process increase). Every table's key
/// and most of its indexes (a ticket's targets, ledger, audit, notices) are ids: ids that
/// increase land each row at the end of those B-trees, so a commit writes the few pages at
/// their right edge instead of one page per row scattered over the whole index (measured:
/// docs/benchmarks.md). After the time come a counter that starts at random each
/// millisecond and 32 random bits. An id is not a secret (every read checks the reader's
/// scope, and tokens and sign-in codes are random bytes of their own); the time it shows,
/// the record's `created_at` shows to anyone who may see it.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// JSON stored as text (the portable column type for JSON).
pub(crate) fn json_text<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

/// Deserializes a field that may be absent (no change), `null` (clear) or a value (set).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(d).map(Some)
}

/// One page of a list in keyset order: the page size, and the (position, id) of the
/// previous page's last row. The position is the row's creation time in microseconds, or
/// its sequence number for audit events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAt {
    pub limit: i64,
    pub after: Option<(i64, String)>,
}

impl PageAt {
    pub fn first(limit: i64) -> Self {
        PageAt { limit, after: None }
    }

    /// The position as a creation time, for lists ordered by (created_at, id).
    pub(crate) fn after_time(&self) -> Option<(chrono::NaiveDateTime, &str)> {
        self.after.as_ref().and_then(|(micros, id)| {
            chrono::DateTime::<chrono::Utc>::from_timestamp_micros(*micros)
                .map(|t| (t.naive_utc(), id.as_str()))
        })
    }
}

/// A page of rows, and whether more follow (queries fetch `limit + 1` to know).
#[derive(Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<T> Paged<T> {
    pub(crate) fn of(mut rows: Vec<T>, page: &PageAt) -> Self {
        let limit = usize::try_from(page.limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        Paged { items: rows, more }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            more: self.more,
        }
    }
}

/// A free-text reason under `rule`, alone in its request.
pub(crate) fn reason(
    field: &str,
    raw: &str,
    rule: crate::domain::validate::Text,
) -> AppResult<String> {
    let mut e = crate::domain::validate::Errors::new();
    let r = e.text(field, raw, rule);
    e.finish()?;
    Ok(r)
}

/// Refuses everyone but an admin.
pub(crate) fn require_admin(actor: &crate::domain::scope::Actor) -> AppResult<()> {
    if actor.role == crate::domain::Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("only an admin may do this".into()))
    }
}

/// Compares a version the caller sent with the stored one.
pub(crate) fn check_version(what: &str, expected: Option<i32>, current: i32) -> AppResult<()> {
    match expected {
        Some(v) if v != current => Err(AppError::Conflict(format!(
            "the {what} was changed by someone else: you sent version {v}, it is now at version {current}; reload and retry"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod ids_tests;
