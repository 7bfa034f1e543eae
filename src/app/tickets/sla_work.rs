//! The SLA's own changes to tickets: re-baselines by a supervisor, and the scheduler's pass
//! over a due ticket.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{next_version, record_systems, Applied, By, SlaPass, TicketView};
use crate::app::{reason, sla, App, AppError, AppResult};
use crate::db::models::{PolicyRow, TargetRow, Ticket};
use crate::db::queries::{sla as q, tickets};
use crate::db::DbConn;
use crate::domain::scope::Actor;
use crate::domain::{Role, TicketStatus};

impl App {
    /// Moves one open ticket to the current version of its policy (supervisors).
    pub fn rebaseline_ticket(
        &self,
        actor: &Actor,
        id: &str,
        reason_text: &str,
    ) -> AppResult<TicketView> {
        require_supervisor(actor)?;
        let reason_text = reason("reason", reason_text, crate::domain::validate::SHORT_REASON)?;
        self.write(|conn| {
            let mut current = false;
            let now = self.now();
            let v =
                self.change_ticket(conn, By::User(actor), id, None, now, |conn, before, t| {
                    let a = self.rebaseline_change(conn, before, t, &reason_text)?;
                    current = matches!(a, Applied::Nothing);
                    Ok(a)
                })?;
            if current {
                return Err(AppError::Conflict(
                    "the ticket already uses the current policy and calendar".into(),
                ));
            }
            Ok(v)
        })
    }

    fn rebaseline_change(
        &self,
        conn: &mut DbConn,
        before: &Ticket,
        t: &mut Ticket,
        reason_text: &str,
    ) -> AppResult<Applied> {
        let s = TicketStatus::parse(&before.status).unwrap_or(TicketStatus::Closed);
        if matches!(s, TicketStatus::Closed | TicketStatus::Cancelled) {
            return Err(AppError::Conflict(format!(
                "a {s} ticket keeps the SLA it was measured against"
            )));
        }
        if !sla::rebaseline(conn, &self.sla, t)? {
            return Ok(Applied::Nothing);
        }
        Ok(Applied::Action {
            verb: "sla_rebaselined",
            data: json!({
                "reason": reason_text,
                "from_policy_version": before.sla_policy_version,
                "to_policy_version": t.sla_policy_version,
            }),
        })
    }

    /// Re-baselines every open ticket on an older version of a policy, one transaction per
    /// ticket; returns the policy and how many tickets moved.
    pub fn rebaseline_policy(
        &self,
        actor: &Actor,
        policy_id: &str,
        reason_text: &str,
    ) -> AppResult<(PolicyRow, usize)> {
        require_supervisor(actor)?;
        let reason_text = reason("reason", reason_text, crate::domain::validate::SHORT_REASON)?;
        let policy = self.read(|conn| {
            q::policy(conn, policy_id)?
                .ok_or_else(|| AppError::NotFound(format!("no SLA policy {policy_id}")))
        })?;
        let mut done = 0;
        let mut seen = std::collections::HashSet::new();
        loop {
            let batch: Vec<String> = self
                .read(|conn| {
                    Ok(q::stale_open_tickets(
                        conn,
                        &policy.id,
                        policy.version,
                        100,
                    )?)
                })?
                .into_iter()
                .filter(|id| seen.insert(id.clone()))
                .collect();
            if batch.is_empty() {
                break;
            }
            for tid in batch {
                let mut moved = false;
                self.write(|conn| {
                    // A ticket closed meanwhile keeps its SLA; that is not an error here.
                    let now = self.now();
                    self.change_ticket(conn, By::User(actor), &tid, None, now, |conn, before, t| {
                        let s = TicketStatus::parse(&before.status).unwrap_or(TicketStatus::Closed);
                        if matches!(s, TicketStatus::Closed | TicketStatus::Cancelled) {
                            return Ok(Applied::Nothing);
                        }
                        let a = self.rebaseline_change(conn, before, t, &reason_text)?;
                        moved = !matches!(a, Applied::Nothing);
                        Ok(a)
                    })
                    .map(|_| ())
                    .or_else(|e| match e {
                        AppError::NotFound(_) => Ok(()),
                        other => Err(other),
                    })
                })?;
                done += usize::from(moved);
            }
        }
        Ok((policy, done))
    }

    /// The scheduler's work on one due ticket, in one transaction: claim it (skipped when
    /// another daemon has it, or it is no longer due), then pass it through the write path
    /// as the daemon. None when it was not claimed.
    pub fn sla_pass(
        &self,
        id: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Option<SlaPass>> {
        self.write(|conn| self.sla_pass_in(conn, id, owner, now, lease_until))
    }

    /// The scheduler's work on a batch of due tickets in one transaction, worked as sets:
    /// one statement claims the batch and reads its rows, one reads its targets, and each
    /// kind of row the passes write (tickets, targets, ledger, audit, outbox) goes in one
    /// statement per 500 rows, so neither the statements nor the commits grow with the
    /// batch. Each ticket's SLA is synced as on the one-ticket write path; a ticket whose
    /// sync fails writes nothing and is held by the batch's lease until `lease_until`,
    /// while the others commit. A failed statement fails the batch, which `tick` then
    /// works one ticket per transaction (`sla_pass`). The results are in the order of
    /// `ids`. The batch is long, so on SQLite it shares no group commit (`write_alone`).
    pub fn sla_pass_batch(
        &self,
        ids: &[String],
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<AppResult<Option<SlaPass>>>> {
        self.write_alone(|conn| {
            // The scheduler changes tickets only: the recipients its notices look up stay
            // as they are for the whole transaction.
            let lookups = crate::app::notify::BatchLookups::begin(&self.recent_directory);
            let claimed = crate::db::claim_due_tickets(
                conn,
                ids,
                owner,
                now.naive_utc(),
                lease_until.naive_utc(),
            )?;
            let mine: HashSet<&str> = claimed.iter().map(|t| t.id.as_str()).collect();
            // No longer due (a user's change moved it on): the batch's lease goes too.
            let gone: Vec<&str> = ids
                .iter()
                .map(String::as_str)
                .filter(|id| !mine.contains(id))
                .collect();
            q::release_all(conn, &gone, owner)?;
            let claimed_ids: Vec<String> = claimed.iter().map(|t| t.id.clone()).collect();
            let mut targets: HashMap<String, Vec<TargetRow>> = HashMap::new();
            for row in q::targets_of_many(conn, &claimed_ids)? {
                targets.entry(row.ticket_id.clone()).or_default().push(row);
            }
            let claimed_refs: Vec<&str> = claimed_ids.iter().map(String::as_str).collect();
            lookups.participants_of(conn, &claimed_refs)?;

            let mut results: HashMap<&str, AppResult<Option<SlaPass>>> = HashMap::new();
            let mut writes = sla::SlaWrites::default();
            let (mut saved, mut states, mut systems) = (Vec::new(), Vec::new(), Vec::new());
            for before in &claimed {
                let mut after = before.clone();
                let rows = targets.remove(&before.id).unwrap_or_default();
                match sla::sync_with(conn, &self.sla, Some(before), &mut after, Some(rows), now) {
                    Err(e) => {
                        results.insert(&before.id, Err(e));
                    }
                    Ok(synced) => {
                        next_version(before, &mut after, false, now);
                        results.insert(
                            &before.id,
                            Ok(Some(SlaPass {
                                changed: after.version != before.version,
                                escalated: before.tier == 1 && after.tier == 2,
                            })),
                        );
                        writes.append(synced.writes);
                        states.push(synced.sla);
                        systems.push(synced.system);
                        saved.push(after);
                    }
                }
            }
            tickets::save_claimed(conn, &saved)?;
            writes.save_batch(conn)?;
            let happened = record_systems(
                conn,
                saved.iter().map(|t| t.id.as_str()).zip(systems).collect(),
                now,
            )?;
            let mut notices = Vec::new();
            for ((t, state), happened) in saved.iter().zip(&states).zip(happened) {
                notices.extend(self.notices(conn, t, state.as_ref(), None, happened, now)?);
            }
            crate::db::queries::outbox::insert(conn, &notices)?;
            Ok(ids
                .iter()
                .map(|id| results.remove(id.as_str()).unwrap_or(Ok(None)))
                .collect())
        })
    }

    fn sla_pass_in(
        &self,
        conn: &mut DbConn,
        id: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Option<SlaPass>> {
        if !crate::db::claim_due_ticket(conn, id, owner, now.naive_utc(), lease_until.naive_utc())?
        {
            // No longer due (a user's change moved it on): the batch's lease goes too.
            q::release(conn, id, owner)?;
            return Ok(None);
        }
        let before_version = std::cell::Cell::new(None);
        let v = self.change_ticket(conn, By::Daemon, id, None, now, |_, before, _| {
            before_version.set(Some((before.version, before.tier)));
            Ok(Applied::Automatic)
        })?;
        q::release(conn, id, owner)?;
        let (version, tier) = before_version
            .get()
            .unwrap_or((v.ticket.version, v.ticket.tier));
        Ok(Some(SlaPass {
            changed: v.ticket.version != version,
            escalated: tier == 1 && v.ticket.tier == 2,
        }))
    }

    /// Leases up to `limit` tickets due at `now` to `owner` until `until`, in a
    /// transaction of its own, and returns their ids, earliest first.
    pub fn lease_due_tickets(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> AppResult<Vec<String>> {
        self.write(|conn| {
            Ok(crate::db::lease_due_tickets(
                conn,
                owner,
                now.naive_utc(),
                until.naive_utc(),
                limit,
            )?)
        })
    }
}

fn require_supervisor(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Supervisor {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only a Dinas supervisor re-baselines SLAs".into(),
        ))
    }
}
