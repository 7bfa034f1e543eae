//! At the start of each month: freeze the month just ended (and in January the year) and
//! mail it to the Tim Koordinasi. Runs in every daemon with `reports.monthly`; the report is
//! stored once and mailed once whichever daemon comes first (see `App::monthly_reports`).

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;

/// How often a daemon looks whether a month has ended.
const LOOK_EVERY: Duration = Duration::from_secs(600);

pub async fn run(app: Arc<App>) {
    // Let the daemon settle first; a month that ended while it was down is done now.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let mut done: Option<String> = None;
    loop {
        let a = app.clone();
        let tz = app.ticket_tz;
        let due = crate::domain::report::Period::month_before(app.now(), tz)
            .map(|p| p.label)
            .ok();
        if due.is_some() && due != done {
            match tokio::task::spawn_blocking(move || a.monthly_reports()).await {
                Ok(Ok(queued)) => {
                    if let Some(label) = queued {
                        tracing::info!(period = %label, "monthly report frozen and queued for the Tim Koordinasi");
                    }
                    done = due;
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "monthly report failed; trying again later")
                }
                Err(e) => tracing::error!(error = %e, "monthly report panicked"),
            }
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}
