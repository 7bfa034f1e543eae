//! Scheduled backups: every `backup.every_hours` the daemon writes an archive into
//! `backup.dir` (and `backup.offsite_dir`) and keeps the newest `backup.keep`.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;

pub async fn run(app: Arc<App>) {
    let every = Duration::from_secs(app.settings.backup.every_hours.max(1) * 3600);
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let a = app.clone();
        let result = tokio::task::spawn_blocking(move || {
            crate::app::backup::scheduled(&a.db, &a.settings.backup, a.now())
        })
        .await;
        match result {
            Ok(Ok(path)) => tracing::info!(path = %path.display(), "scheduled backup written"),
            Ok(Err(e)) => {
                tracing::error!(error = %crate::app::error_chain(&e), "scheduled backup failed")
            }
            Err(e) => tracing::error!(error = %e, "scheduled backup panicked"),
        }
    }
}
