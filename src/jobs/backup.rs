//! Scheduled backups: the daemon writes an archive into `backup.dir` (and
//! `backup.offsite_dir`) whenever the newest one there is older than the cadence
//! (`backup.every_hours`, or `backup.critical_every_hours` while a service is designated
//! critical), and keeps the newest `backup.keep`.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;

/// The longest sleep between looks, so a service designated critical shortens the wait
/// without a restart.
const LOOK_EVERY: Duration = Duration::from_secs(600);

pub async fn run(app: Arc<App>) {
    loop {
        let a = app.clone();
        let due = tokio::task::spawn_blocking(move || {
            crate::app::backup::next_due(&a.db, &a.settings.backup, a.now())
        })
        .await;
        let wait = match due {
            Ok(Ok(at)) => (at - app.now()).to_std().unwrap_or(Duration::ZERO),
            Ok(Err(e)) => {
                tracing::error!(error = %crate::app::error_chain(&e), "cannot tell when the next backup is due");
                LOOK_EVERY
            }
            Err(e) => {
                tracing::error!(error = %e, "backup planning panicked");
                LOOK_EVERY
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait.min(LOOK_EVERY)).await;
            continue;
        }
        let a = app.clone();
        let result = tokio::task::spawn_blocking(move || {
            crate::app::backup::scheduled(&a.db, &a.settings.backup, a.now())
        })
        .await;
        match result {
            Ok(Ok(path)) => tracing::info!(path = %path.display(), "scheduled backup written"),
            Ok(Err(e)) => {
                tracing::error!(error = %crate::app::error_chain(&e), "scheduled backup failed");
                // Not at once again: a full disk should not be hammered.
                tokio::time::sleep(LOOK_EVERY).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "scheduled backup panicked");
                tokio::time::sleep(LOOK_EVERY).await;
            }
        }
    }
}
