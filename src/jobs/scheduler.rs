//! The SLA scheduler. Every `scheduler.tick_seconds` it reads the tickets whose
//! `sla_next_at` has passed (an index range scan: the cost follows the number of due
//! tickets, not the number of open ones), claims each with a lease, and in one transaction
//! per ticket records warnings and breaches, escalates Tier 1 tickets whose window ran out,
//! and ends pauses that outlived their limit.
//!
//! Exactly-once: the claim is a conditional UPDATE (`sla_next_at` passed, no live lease)
//! made in the same transaction that does the work and moves `sla_next_at` on, so only one
//! daemon can win it, and a crash rolls claim and work back together. The ticket is saved
//! under its version, and every effect is guarded by state (a breach is recorded only where
//! none is, escalation only from Tier 1), so a race can delay work but never repeat it. A
//! ticket whose processing fails keeps a lease for `scheduler.lease_seconds`: no daemon
//! retries it in a tight loop, and after that any daemon retries it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::Clock;
use crate::db::queries::{sla as q, tickets};
use crate::db::{Db, DbConn};
use crate::engine::{self, Env};
use crate::error::ApiError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// Tickets this daemon claimed and processed.
    pub processed: usize,
    /// Of those, tickets whose visible state changed (warning, breach, escalation, resume).
    pub changed: usize,
    pub escalated: usize,
    /// Due tickets another daemon held.
    pub skipped: usize,
    pub failed: usize,
}

/// A name for this daemon's claims.
pub fn owner_id() -> String {
    format!(
        "spbe-desk-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// One pass over every ticket due at `now`. Blocking; run it on a blocking thread.
pub fn tick(db: &Db, env: &Env, now: DateTime<Utc>, owner: &str) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    let lease_until = (now + TimeDelta::seconds(env.scheduler.lease_seconds)).naive_utc();
    let n = now.naive_utc();
    let mut seen = HashSet::new();
    loop {
        let ids: Vec<String> = db
            .read(|c| q::due_tickets(c, n, env.scheduler.batch_size).map_err(ApiError::from))?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        if ids.is_empty() {
            return Ok(report);
        }
        for id in ids {
            seen.insert(id.clone());
            // Claim and work in one transaction: a crash rolls both back, and on PostgreSQL
            // the claim's row lock makes a second daemon wait and then find nothing to claim.
            let result = db.write(|c| {
                if !q::claim(c, &id, owner, n, lease_until)? {
                    return Ok(None);
                }
                process(c, env, &id, owner, now)
            });
            match result {
                Ok(Some(outcome)) => {
                    report.processed += 1;
                    report.changed += usize::from(outcome.changed);
                    report.escalated += usize::from(outcome.escalated);
                }
                Ok(None) => report.skipped += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(ticket = %id, error = %e, "SLA processing failed; retrying after the lease");
                    let _ = db
                        .write(|c| q::claim(c, &id, owner, n, lease_until).map_err(ApiError::from));
                }
            }
        }
    }
}

struct Outcome {
    changed: bool,
    escalated: bool,
}

fn process(
    conn: &mut DbConn,
    env: &Env,
    id: &str,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, ApiError> {
    let Some(before) = tickets::get(conn, id)? else {
        return Ok(None);
    };
    let mut after = before.clone();
    let system = engine::sync(conn, env, Some(&before), &mut after, now)?.system;
    let escalated = system.iter().any(|e| e.action == "escalated");
    let changed = engine::save_automatic(conn, &before, &mut after, system, now)?;
    q::release(conn, id, owner)?;
    Ok(Some(Outcome { changed, escalated }))
}

/// Runs `tick` every `scheduler.tick_seconds` until the task is dropped.
pub async fn run(db: Db, env: Arc<Env>, clock: Arc<dyn Clock>) {
    let owner = owner_id();
    let every = Duration::from_secs(env.scheduler.tick_seconds.max(1));
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(%owner, seconds = every.as_secs(), "SLA scheduler started");
    loop {
        interval.tick().await;
        let (db, env, owner, now) = (db.clone(), env.clone(), owner.clone(), clock.now());
        match tokio::task::spawn_blocking(move || tick(&db, &env, now, &owner)).await {
            Ok(Ok(r)) if r != TickReport::default() => tracing::info!(?r, "SLA tick"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %crate::error::error_chain(&e), "SLA tick failed")
            }
            Err(e) => tracing::error!(error = %e, "SLA tick panicked"),
        }
    }
}
