//! Retention (Kalbar Ps 11(7), Makassar Ps 46(2)(d)): once a ticket has been closed or
//! cancelled for the configured number of days, its reporter's details, its participants
//! and the addresses and bodies of its mail are erased. Each ticket is anonymised in one
//! transaction under its row lock and says so in its own audit chain; the personal values
//! its audit events refer to lose salt and value (`domain::personal`), so every chain still
//! verifies.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use super::{App, AppResult};
use crate::db::queries::{audit, participants, retention as q};
use crate::db::{lock_ticket, DbConn};
use crate::domain::audit::Changes;
use crate::domain::{Classification, TicketStatus};

const BATCH: i64 = 200;

/// What one run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub dry_run: bool,
    /// Numbers of the tickets anonymised.
    pub tickets: Vec<String>,
    /// Personal values in the audit trail erased.
    pub personal_values: usize,
    pub participants: usize,
    pub mail: usize,
    /// Audit events written before personal data moved out of the hashed text
    /// (spbe-desk 0.1 before retention), which still name the reporter and cannot be
    /// changed without breaking their chain.
    pub legacy_events: usize,
}

impl App {
    /// Anonymises every ticket whose retention period has passed (`dry_run`: only lists
    /// them). Off (an empty report) while both periods are 0.
    pub fn apply_retention(&self, dry_run: bool) -> AppResult<RetentionReport> {
        let mut report = RetentionReport {
            dry_run,
            ..Default::default()
        };
        let settings = &self.settings.retention;
        let now = self.now();
        for (class, days) in [
            (Classification::Normal, settings.normal_days),
            (Classification::Restricted, settings.restricted_days),
        ] {
            if days == 0 {
                continue;
            }
            let ended_by = (now - Duration::days(i64::from(days))).naive_utc();
            let mut after = String::new();
            loop {
                let ids =
                    self.read(|conn| Ok(q::due(conn, class.as_str(), ended_by, &after, BATCH)?))?;
                let Some(last) = ids.last() else { break };
                after = last.clone();
                for id in ids {
                    if dry_run {
                        if let Some(t) =
                            self.read(|c| Ok(crate::db::queries::tickets::get(c, &id)?))?
                        {
                            report.tickets.push(t.number);
                        }
                        continue;
                    }
                    let done =
                        self.write(|conn| anonymise(conn, &id, class, days, ended_by, now))?;
                    if let Some(one) = done {
                        report.tickets.push(one.number);
                        report.personal_values += one.personal_values;
                        report.participants += one.participants;
                        report.mail += one.mail;
                        report.legacy_events += one.legacy_events;
                    }
                }
            }
        }
        Ok(report)
    }
}

struct Anonymised {
    number: String,
    personal_values: usize,
    participants: usize,
    mail: usize,
    legacy_events: usize,
}

/// Anonymises one ticket if it is still due (another daemon may have done it, or the ticket
/// may have been reopened since it was listed).
fn anonymise(
    conn: &mut DbConn,
    id: &str,
    class: Classification,
    days: u32,
    ended_by: chrono::NaiveDateTime,
    now: DateTime<Utc>,
) -> AppResult<Option<Anonymised>> {
    let Some(mut t) = lock_ticket(conn, id)? else {
        return Ok(None);
    };
    let ended = match t.status.as_str() {
        s if s == TicketStatus::Closed.as_str() => t.closed_at,
        s if s == TicketStatus::Cancelled.as_str() => t.cancelled_at,
        _ => None,
    };
    if t.anonymised_at.is_some() || ended.is_none_or(|e| e > ended_by) {
        return Ok(None);
    }
    let n = now.naive_utc();
    let people = participants::list(conn, &t.id)?;
    let mut values: Vec<String> = [
        Some(t.reporter_name.clone()),
        t.reporter_email.clone(),
        t.reporter_phone.clone(),
    ]
    .into_iter()
    .flatten()
    .filter(|v| !v.is_empty())
    .collect();
    let mut addresses: Vec<String> = t.reporter_email.iter().cloned().collect();
    for p in &people {
        addresses.push(p.email.clone());
        values.push(p.email.clone());
        values.extend(p.name.clone());
    }
    let legacy_events = audit::for_ticket(conn, &t.id)?
        .iter()
        .filter(|e| {
            values.iter().any(|v| {
                let quoted = serde_json::Value::String(v.clone()).to_string();
                e.changes.contains(&quoted) || e.data.contains(&quoted)
            })
        })
        .count();
    let before = t.version;
    t.reporter_name = String::new();
    t.reporter_email = None;
    t.reporter_phone = None;
    t.anonymised_at = Some(n);
    t.updated_at = n;
    t.version += 1;
    if !crate::db::queries::tickets::update_versioned(conn, &t, before)? {
        return Ok(None);
    }
    for p in &people {
        participants::delete(conn, &p.id)?;
    }
    let personal_values = audit::erase_personal(conn, &t.id, n)?;
    let mail = q::erase_mail(conn, &t.id, &addresses, n)?;
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id: None,
            entity_type: "ticket",
            entity_id: &t.id,
            ticket_id: Some(&t.id),
            action: "anonymised",
            changes: &Changes::new(),
            data: json!({
                "rule": {"classification": class.as_str(), "days_after_end": days},
                "erased": {
                    "reporter": ["name", "email", "phone"],
                    "personal_values": personal_values,
                    "participants": people.len(),
                    "mail": mail,
                },
                "legacy_events": legacy_events,
            }),
        },
    )?;
    Ok(Some(Anonymised {
        number: t.number,
        personal_values,
        participants: people.len(),
        mail,
        legacy_events,
    }))
}
