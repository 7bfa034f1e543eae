//! The SLA's own changes to tickets: re-baselines by a supervisor, and the scheduler's pass
//! over a due ticket.

use chrono::{DateTime, Utc};
use diesel::Connection;
use serde_json::json;

use super::{Applied, By, SlaPass, TicketView};
use crate::app::{reason, sla, App, AppError, AppResult};
use crate::db::models::{PolicyRow, Ticket};
use crate::db::queries::sla as q;
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

    /// The scheduler's work on a batch of due tickets in one transaction, so the batch
    /// shares one durable commit (and the pages it writes) instead of paying one per
    /// ticket. Each ticket runs in a savepoint of its own: one whose processing fails is
    /// rolled back alone, held by the batch's lease until `lease_until`, and the others
    /// commit.
    /// A transient error (a deadlock, contention) fails the whole batch, which `write`
    /// then runs again. The results are in the order of `ids`. The batch is long, so on
    /// SQLite it shares no group commit (`write_alone`).
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
            let _lookups = crate::app::notify::BatchLookups::begin();
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                match conn.transaction(|c| self.sla_pass_in(c, id, owner, now, lease_until)) {
                    Err(e) if e.is_transient() => return Err(e),
                    // Rolled back to its savepoint; the batch's lease, committed before,
                    // keeps it from every scheduler until `lease_until`.
                    Err(e) => out.push(Err(e)),
                    Ok(pass) => out.push(Ok(pass)),
                }
            }
            Ok(out)
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
