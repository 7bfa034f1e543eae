//! Applies retention once a day (`retention.daily`), the first time a minute after start.
//! Several daemons doing it at once is harmless: each ticket is re-checked under its lock.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;

pub async fn run(app: Arc<App>) {
    tokio::time::sleep(Duration::from_secs(60)).await;
    let mut interval = tokio::time::interval(Duration::from_secs(24 * 3600));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let a = app.clone();
        match tokio::task::spawn_blocking(move || a.apply_retention(false)).await {
            Ok(Ok(r)) if r.tickets.is_empty() => {}
            Ok(Ok(r)) => tracing::info!(
                tickets = r.tickets.len(),
                personal_values = r.personal_values,
                participants = r.participants,
                mail = r.mail,
                "retention anonymised tickets"
            ),
            Ok(Err(e)) => tracing::error!(error = %e, "retention failed"),
            Err(e) => tracing::error!(error = %e, "retention panicked"),
        }
    }
}
