//! Moves SQLite's write-ahead log into the database file in the background.
//!
//! SQLite's own checkpoint runs inside the commit that crosses `wal_autocheckpoint` pages,
//! so under load, every few commits, one writer copied the log into the database file and
//! synced it while every other writer waited for its turn: profiled under 32 creating
//! clients, checkpoints were a third of the commits' CPU. This job checkpoints after commits, on a pooled
//! connection, as `PASSIVE` (it never blocks a writer or a reader), so the log stays short
//! and the commits only append to it. The daemon's connections keep a far larger
//! `wal_autocheckpoint` as a backstop (`db::WAL_BACKSTOP_PAGES`); a CLI command, which runs
//! no jobs, checkpoints itself past it.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::db::Backend;

/// How often the job looks for new commits. A log written for 100 ms under full load holds
/// a few thousand pages.
const EVERY: Duration = Duration::from_millis(100);

pub async fn run(app: Arc<App>) {
    if app.db.backend() != Backend::Sqlite {
        return;
    }
    let mut interval = tokio::time::interval(EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = app.db.write_times().commits();
    loop {
        interval.tick().await;
        let commits = app.db.write_times().commits();
        if commits == seen {
            continue;
        }
        seen = commits;
        let a = app.clone();
        match tokio::task::spawn_blocking(move || a.db.checkpoint_wal()).await {
            Ok(Ok(pending)) => app.metrics.wal_checkpoint(pending),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "WAL checkpoint failed; SQLite's own will run")
            }
            Err(e) => tracing::error!(error = %e, "WAL checkpoint panicked"),
        }
    }
}
