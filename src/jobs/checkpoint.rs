//! Signs a checkpoint over the audit trail's chain heads every `audit.checkpoint_minutes`.
//! Several daemons each sign their own; every checkpoint is verified on its own, so that is
//! harmless.

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;

use crate::app::App;

pub async fn run(app: Arc<App>, key: SigningKey) {
    let every = Duration::from_secs(app.settings.audit.checkpoint_minutes.max(1) * 60);
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let (a, k) = (app.clone(), key.clone());
        match tokio::task::spawn_blocking(move || a.audit_checkpoint(&k)).await {
            Ok(Ok((heads, root))) => tracing::info!(heads, %root, "audit checkpoint signed"),
            Ok(Err(e)) => tracing::error!(error = %e, "audit checkpoint failed"),
            Err(e) => tracing::error!(error = %e, "audit checkpoint panicked"),
        }
    }
}
