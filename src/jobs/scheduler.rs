//! The SLA scheduler. Every `scheduler.tick_seconds` it reads the tickets whose
//! `sla_next_at` has passed (an index range scan: the cost follows the number of due
//! tickets, not the number of open ones), claims each, and records warnings and breaches,
//! escalates Tier 1 tickets whose window ran out, and ends pauses that outlived their limit.
//! A batch of due tickets (`scheduler.batch_size`) shares one transaction and so one
//! durable commit, each ticket in a savepoint of its own (`App::sla_pass_batch`).
//!
//! Sharing: each batch is first leased to this daemon in a short transaction of its own
//! (`db::lease_due_tickets`), so two daemons work different batches side by side; a daemon
//! that dies holding a lease delays its batch by `scheduler.lease_seconds` at most.
//!
//! Exactly-once: the claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE of
//! the lease on SQLite; see `db::claim_due_ticket`) is made again in the same transaction
//! that does the work through the ticket write path and moves `sla_next_at` on, so only one
//! daemon can win it, and a crash rolls claim and work back together. Every
//! effect is guarded by state under the ticket's row lock (a breach is recorded only where
//! none is, escalation only from Tier 1) and by the database: the SLA ledger takes each
//! warning, breach and escalation at most once per ticket and target (a unique index). A
//! ticket whose processing fails keeps its batch's lease for `scheduler.lease_seconds`
//! (the failed work rolls back, the lease was committed before it): no daemon retries it in
//! a tight loop, and after that any daemon retries it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::app::App;

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
    /// Batches that failed as a whole and were worked again one ticket per transaction:
    /// correct, but each of their tickets paid a transaction of its own.
    pub redone_batches: usize,
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
pub fn tick(app: &App, now: DateTime<Utc>, owner: &str) -> anyhow::Result<TickReport> {
    let mut report = TickReport::default();
    let lease_until = now + TimeDelta::seconds(app.settings.scheduler.lease_seconds);
    let mut seen = HashSet::new();
    loop {
        // The lease is committed before the work starts, so a second daemon's next lease
        // takes the next batch instead of waiting on this one. `seen` guards against a
        // ticket that a pass left due (it would otherwise be leased again and again).
        let ids: Vec<String> = app
            .lease_due_tickets(now, owner, lease_until, app.settings.scheduler.batch_size)?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        if ids.is_empty() {
            return Ok(report);
        }
        seen.extend(ids.iter().cloned());
        // One transaction per batch; a batch that fails as a whole (retries spent) is
        // worked one ticket per transaction, so one bad ticket never holds up the rest.
        let results = match app.sla_pass_batch(&ids, owner, now, lease_until) {
            Ok(results) => results,
            Err(e) => {
                report.redone_batches += 1;
                tracing::warn!(error = %e, tickets = ids.len(), "SLA batch failed; working its tickets one by one");
                ids.iter()
                    .map(|id| app.sla_pass(id, owner, now, lease_until))
                    .collect()
            }
        };
        for (id, result) in ids.iter().zip(results) {
            match result {
                Ok(Some(pass)) => {
                    report.processed += 1;
                    report.changed += usize::from(pass.changed);
                    report.escalated += usize::from(pass.escalated);
                }
                Ok(None) => report.skipped += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(ticket = %id, error = %e, "SLA processing failed; retrying after the lease");
                }
            }
        }
    }
}

/// Runs `tick` every `scheduler.tick_seconds` until the task is dropped.
pub async fn run(app: Arc<App>) {
    let owner = owner_id();
    let every = Duration::from_secs(app.settings.scheduler.tick_seconds.max(1));
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(%owner, seconds = every.as_secs(), "SLA scheduler started");
    loop {
        interval.tick().await;
        let (a, owner) = (app.clone(), owner.clone());
        let now = app.now();
        let started = std::time::Instant::now();
        let result = tokio::task::spawn_blocking(move || tick(&a, now, &owner)).await;
        let redone = match &result {
            Ok(Ok(r)) => r.redone_batches,
            _ => 0,
        };
        app.metrics.tick(started.elapsed().as_secs_f64(), redone);
        match result {
            Ok(Ok(r)) if r != TickReport::default() => tracing::info!(?r, "SLA tick"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %crate::app::error_chain(&e), "SLA tick failed")
            }
            Err(e) => tracing::error!(error = %e, "SLA tick panicked"),
        }
    }
}
