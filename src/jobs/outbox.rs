//! The outbox worker: every `mail.poll_seconds` it claims due messages (a lease per row,
//! `SKIP LOCKED` on PostgreSQL, so several daemons share the queue), sends each through the
//! configured transport, and records the result. A failure is retried with exponential
//! backoff and jitter, and a row is parked as dead after `mail.max_attempts` or on a
//! permanent SMTP answer, with that answer kept on the row.
//!
//! At least once, never silently lost: a row leaves the queue only when the mail server has
//! accepted it. A daemon killed between the server's acceptance and the record of it leaves
//! the lease to expire and the message is sent again, with the same `Message-ID`, so the
//! recipient's mail client shows it once.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::db::models::OutboxRow;
use crate::mail::transport::Envelope;
use crate::mail::{mailbox, Transport};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub failed: usize,
}

/// Claims and sends what is due now, until nothing is. Returns what happened.
pub async fn pass(
    app: &Arc<App>,
    transport: &Transport,
    owner: &str,
) -> anyhow::Result<PassReport> {
    let from = mailbox(&app.settings.mail.from)
        .ok_or_else(|| anyhow::anyhow!("mail.from is not an address"))?;
    let mut report = PassReport::default();
    loop {
        let (a, o) = (app.clone(), owner.to_string());
        let limit = app.settings.mail.batch_size;
        let rows = tokio::task::spawn_blocking(move || a.claim_outbox(&o, limit)).await??;
        if rows.is_empty() {
            return Ok(report);
        }
        for row in rows {
            let attachment = match &row.attachment {
                Some(reference) => {
                    let (a, r) = (app.clone(), reference.clone());
                    match tokio::task::spawn_blocking(move || a.attachment(&r)).await? {
                        Ok(file) => Some(file),
                        Err(e) => {
                            // The report is stored before its notice is queued; without it
                            // the message would say something it cannot show.
                            tracing::error!(outbox = %row.id, error = %e, "attachment unavailable");
                            let (a, o) = (app.clone(), owner.to_string());
                            let why = format!("attachment {reference} unavailable: {e}");
                            tokio::task::spawn_blocking(move || {
                                a.outbox_failed(&row, &o, &why, false)
                            })
                            .await??;
                            report.failed += 1;
                            continue;
                        }
                    }
                }
                None => None,
            };
            let mut envelope = envelope(&from, &row);
            envelope.attachment = attachment;
            let result = transport.send(&envelope).await;
            let (a, o) = (app.clone(), owner.to_string());
            match result {
                Ok(()) => {
                    report.sent += 1;
                    tokio::task::spawn_blocking(move || a.outbox_sent(&row.id)).await??;
                }
                Err(e) => {
                    report.failed += 1;
                    // The recipient is never logged; the outbox row keeps it for the admin.
                    tracing::warn!(outbox = %row.id, event = %row.event, error = %e, permanent = e.permanent, "mail not sent");
                    tokio::task::spawn_blocking(move || {
                        a.outbox_failed(&row, &o, &e.message, e.permanent)
                    })
                    .await??;
                }
            }
        }
    }
}

fn envelope<'a>(from: &'a lettre::message::Mailbox, row: &'a OutboxRow) -> Envelope<'a> {
    Envelope {
        from,
        to: &row.recipient,
        subject: &row.subject,
        text: &row.body_text,
        html: &row.body_html,
        message_id: &row.message_id,
        thread_id: row.thread_id.as_deref(),
        attachment: None,
    }
}

/// Runs `pass` every `mail.poll_seconds` until the task is dropped.
pub async fn run(app: Arc<App>, transport: Transport) {
    let owner = crate::jobs::scheduler::owner_id();
    let every = Duration::from_secs(app.settings.mail.poll_seconds.max(1));
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(%owner, seconds = every.as_secs(), "mail outbox worker started");
    loop {
        interval.tick().await;
        match pass(&app, &transport, &owner).await {
            Ok(r) if r != PassReport::default() => tracing::info!(?r, "mail pass"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %crate::app::error_chain(&e), "mail pass failed"),
        }
    }
}
