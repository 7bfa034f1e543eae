//! Ticket use cases. Every change to a ticket goes through [`App::change_ticket`], the one
//! write path (this file); creation (`create.rs`), the work on a ticket (`work.rs`) and the
//! SLA's own changes (`sla_work.rs`: re-baselines and the scheduler's pass) call it.

mod create;
mod participants;
mod sla_work;
mod work;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use create::{CreateTicket, OutageIn, ReporterIn};
pub use participants::NewParticipant;
pub use work::{CommentBody, PatchTicket, TicketAction};

use super::notify::Happened;
use super::sla::{self, SlaState, SystemEvent};
use super::{check_version, record, App, AppError, AppResult, PageAt, Paged};
use crate::db::models::{AuditEvent, Comment, SlaEventRow, Ticket};
use crate::db::queries::tickets::TicketFilter;
use crate::db::queries::{audit, comments, sla as q, tickets};
use crate::db::DbConn;
use crate::domain::audit::Changes;
use crate::domain::scope::{self, Actor, TicketScope};
use crate::domain::ticket::{self as machine, Action};
use crate::domain::{number, Classification, TicketStatus};

/// A ticket with its SLA targets (None without a policy), as of a read or a write.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub ticket: Ticket,
    pub sla: Option<SlaState>,
}

/// What a caller sees of the SLA computation of one ticket.
#[derive(Debug)]
pub struct SlaFacts {
    pub ticket: Ticket,
    pub sla: Option<SlaState>,
    pub policy_name: String,
    pub calendar_name: String,
    pub ledger: Vec<SlaEventRow>,
}

/// A page of tickets.
#[derive(Debug)]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    /// The last ticket of the page when there are more.
    pub more_after: Option<Ticket>,
}

/// What the scheduler did to one due ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPass {
    /// The ticket changed visibly (warning, breach, escalation, resume).
    pub changed: bool,
    pub escalated: bool,
}

/// Who changes a ticket.
#[derive(Debug, Clone, Copy)]
pub(crate) enum By<'a> {
    User(&'a Actor),
    /// The daemon on its own (SLA timers): no scope, and only the automatic changes the SLA
    /// engine makes are recorded.
    Daemon,
}

/// What a domain change did to the ticket, for the write path to record.
pub(crate) enum Applied {
    /// Nothing changed: nothing is saved.
    Nothing,
    /// A user's action, audited under `verb` with `data`; the version always moves.
    Action { verb: &'static str, data: Value },
    /// The daemon's pass: saved with a new version only when a client sees a difference.
    Automatic,
}

pub(crate) fn scope_of(t: &Ticket) -> TicketScope<'_> {
    TicketScope {
        organization_id: &t.organization_id,
        reporter_organization_id: &t.reporter_organization_id,
        tier: u8::try_from(t.tier).unwrap_or(1),
        classification: Classification::parse(&t.classification)
            .unwrap_or(Classification::Restricted),
        assignee_id: t.assignee_id.as_deref(),
    }
}

pub(super) fn machine_state(t: &Ticket) -> machine::State {
    machine::State {
        status: TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Closed),
        tier: u8::try_from(t.tier).unwrap_or(2),
    }
}

/// The actions `actor` may take on `t` now: those its role and scope allow and the state
/// machine accepts from the ticket's status and tier. What a user interface offers; the
/// write path checks again when one is taken.
pub fn actions_now(actor: &Actor, t: &Ticket) -> Vec<Action> {
    let state = machine_state(t);
    Action::ALL
        .iter()
        .copied()
        .filter(|a| scope::check_act(actor, &scope_of(t), *a).is_ok())
        .filter(|a| machine::apply(state, *a).is_ok())
        .collect()
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("no ticket {id}"))
}

/// How `id` names a ticket: a UUID or a number such as `SD-2026-000123`; None when it
/// can name none.
fn key_of(id: &str) -> Option<tickets::Key<'_>> {
    let plausible = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !plausible {
        None
    } else if number::looks_like_number(id) {
        Some(tickets::Key::Number(id))
    } else if uuid::Uuid::parse_str(id).is_ok() {
        Some(tickets::Key::Id(id))
    } else {
        None
    }
}

/// The ticket id behind a UUID or a number.
fn resolve_id(conn: &mut DbConn, id: &str) -> AppResult<Option<String>> {
    Ok(match key_of(id) {
        Some(tickets::Key::Number(n)) => tickets::by_number(conn, n)?.map(|t| t.id),
        Some(tickets::Key::Id(tid)) => Some(tid.to_string()),
        None => None,
    })
}

/// Loads a ticket by UUID or number if `actor` may see it; 404 otherwise, so that a ticket
/// outside the caller's scope is indistinguishable from one that does not exist.
pub(super) fn load_visible(conn: &mut DbConn, actor: &Actor, id: &str) -> AppResult<Ticket> {
    let found = match resolve_id(conn, id)? {
        Some(tid) => tickets::get(conn, &tid)?,
        None => None,
    };
    match found {
        Some(t) if scope::can_view(actor, &scope_of(&t)) => Ok(t),
        _ => Err(not_found(id)),
    }
}

impl App {
    /// The view of a ticket as stored, with its targets.
    fn view(&self, conn: &mut DbConn, t: Ticket) -> AppResult<TicketView> {
        let mut states = sla::states_for(conn, &self.sla, std::slice::from_ref(&t))?;
        let sla = states.remove(&t.id);
        Ok(TicketView { ticket: t, sla })
    }

    /// The one write path of a ticket, in the caller's transaction and in this order: lock
    /// the ticket row and load it (404 when `by` may not see it), check the action against
    /// scope, version and the state machine, let `apply` make the domain change, run the SLA
    /// sync, save under the version, and append the audit event, the daemon's own events
    /// and the SLA ledger. Clients, the scheduler and every daemon pass here, so all of them
    /// take their locks in the same order.
    pub(crate) fn change_ticket(
        &self,
        conn: &mut DbConn,
        by: By<'_>,
        id: &str,
        check: Option<(Action, Option<i32>)>,
        now: DateTime<Utc>,
        apply: impl FnOnce(&mut DbConn, &Ticket, &mut Ticket) -> AppResult<Applied>,
    ) -> AppResult<TicketView> {
        let tid = resolve_id(conn, id)?.ok_or_else(|| not_found(id))?;
        let before = crate::db::lock_ticket(conn, &tid)?.ok_or_else(|| not_found(id))?;
        let mut after = before.clone();
        if let By::User(actor) = by {
            if !scope::can_view(actor, &scope_of(&before)) {
                return Err(not_found(id));
            }
            if let Some((action, expected)) = check {
                scope::check_act(actor, &scope_of(&before), action)?;
                check_version("ticket", expected, before.version)?;
                let next = machine::apply(machine_state(&before), action)?;
                after.status = next.status.as_str().into();
                after.tier = i32::from(next.tier);
            }
        }
        let applied = apply(conn, &before, &mut after)?;
        if matches!(applied, Applied::Nothing) {
            return self.view(conn, before);
        }
        let by_actor = after.clone();
        let synced = sla::sync(conn, &self.sla, Some(&before), &mut after, now)?;
        save_synced(
            conn,
            &before,
            &mut after,
            matches!(applied, Applied::Action { .. }),
            now,
        )?;
        synced.writes.save(conn)?;
        let mut happened = Vec::new();
        let actor = match by {
            By::User(a) => Some(a),
            By::Daemon => None,
        };
        if let Applied::Action { verb, data } = applied {
            let actor_id = actor.map(|a| a.user_id.as_str());
            let changes = Changes::diff(
                &record::ticket(&before),
                &record::ticket(&by_actor),
                record::TICKET_IGNORED,
            );
            audit::record(
                conn,
                audit::Record {
                    at: now,
                    actor_id,
                    entity_type: "ticket",
                    entity_id: &after.id,
                    ticket_id: Some(&after.id),
                    action: verb,
                    changes: &changes,
                    data: data.clone(),
                },
            )
            .map(|id| happened.extend(Happened::from_audit(verb, id, data)))?;
        }
        happened.extend(record_system(conn, &after.id, synced.system, now)?);
        self.enqueue_notices(conn, &after, synced.sla.as_ref(), actor, happened, now)?;
        Ok(TicketView {
            ticket: after,
            sla: synced.sla,
        })
    }

    /// One ticket the actor may see, with its targets.
    pub fn ticket(&self, actor: &Actor, id: &str) -> AppResult<TicketView> {
        self.read(|conn| {
            let found = match key_of(id) {
                Some(key) => tickets::get_with_targets(conn, key)?,
                None => None,
            };
            match found {
                Some((t, targets)) if scope::can_view(actor, &scope_of(&t)) => {
                    let sla = sla::state_of(conn, &self.sla, &t, targets)?;
                    Ok(TicketView { ticket: t, sla })
                }
                _ => Err(not_found(id)),
            }
        })
    }

    /// A page of the tickets the actor may see. `filter.limit` is the page size.
    pub fn tickets(&self, actor: &Actor, filter: &TicketFilter) -> AppResult<TicketPage> {
        self.read(|conn| {
            let limit = usize::try_from(filter.limit).unwrap_or(0);
            let mut rows = tickets::list(conn, actor, filter)?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            let mut states = sla::states_for(conn, &self.sla, &rows)?;
            let more_after = if more { rows.last().cloned() } else { None };
            let items = rows
                .into_iter()
                .map(|t| TicketView {
                    sla: states.remove(&t.id),
                    ticket: t,
                })
                .collect();
            Ok(TicketPage { items, more_after })
        })
    }

    /// A work queue: the open tickets the actor may see that `filter` keeps, nearest
    /// running deadline first, with their targets. `filter.status` defaults to the open
    /// statuses; `filter.limit` is the most returned.
    pub fn queue(&self, actor: &Actor, filter: &TicketFilter) -> AppResult<Vec<TicketView>> {
        let mut f = filter.clone();
        if f.status.is_empty() {
            f.status = [
                TicketStatus::New,
                TicketStatus::InProgress,
                TicketStatus::Pending,
            ]
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        }
        self.read(|conn| {
            let rows = tickets::queue(conn, actor, &f)?;
            let mut states = sla::states_for(conn, &self.sla, &rows)?;
            Ok(rows
                .into_iter()
                .map(|t| TicketView {
                    sla: states.remove(&t.id),
                    ticket: t,
                })
                .collect())
        })
    }

    /// A ticket's audit trail, oldest first.
    pub fn ticket_events(
        &self,
        actor: &Actor,
        id: &str,
        page: &PageAt,
    ) -> AppResult<Paged<AuditEvent>> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            let personal = audit::personal_of(conn, &t.id)?;
            let mut events = Paged::of(audit::page_for_ticket(conn, &t.id, page)?, page);
            for e in &mut events.items {
                crate::app::audit::reveal(e, &personal);
            }
            Ok(events)
        })
    }

    /// A ticket's comments, oldest first.
    pub fn comments(&self, actor: &Actor, id: &str, page: &PageAt) -> AppResult<Paged<Comment>> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            Ok(Paged::of(comments::page(conn, &t.id, page)?, page))
        })
    }

    /// The facts behind a ticket's SLA: targets, policy and calendar names, the ledger.
    pub fn sla_facts(&self, actor: &Actor, id: &str) -> AppResult<SlaFacts> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            let ledger = q::events_of(conn, &t.id)?;
            let view = self.view(conn, t)?;
            let (mut policy_name, mut calendar_name) = (String::new(), String::new());
            if let Some(s) = &view.sla {
                policy_name = q::policy(conn, &s.context.policy_id)?
                    .map(|p| p.name)
                    .unwrap_or_default();
                calendar_name = q::calendar(conn, &s.context.calendar_id)?
                    .map(|c| c.name)
                    .unwrap_or_default();
            }
            Ok(SlaFacts {
                ticket: view.ticket,
                sla: view.sla,
                policy_name,
                calendar_name,
                ledger,
            })
        })
    }
}

/// Saves a ticket after its SLA sync, under the version it was read at: a new version for
/// every user action (`always`), otherwise only when a client sees a difference (bookkeeping
/// such as the next SLA check is saved silently).
pub(super) fn save_synced(
    conn: &mut DbConn,
    before: &Ticket,
    after: &mut Ticket,
    always: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    next_version(before, after, always, now);
    // The row is locked (or new), so the version cannot have moved; the check stays as a guard.
    if !tickets::save_changes(conn, before, after)? {
        return Err(AppError::Conflict(
            "the ticket was changed by someone else meanwhile; reload and retry".into(),
        ));
    }
    Ok(())
}

/// Gives `after` a new version when the change must show: always for a user's action,
/// otherwise only when a client sees a difference (bookkeeping such as the next SLA check
/// is saved silently).
pub(super) fn next_version(before: &Ticket, after: &mut Ticket, always: bool, now: DateTime<Utc>) {
    if always || record::ticket(after) != record::ticket(before) {
        after.version = before.version + 1;
        after.updated_at = now.naive_utc();
    }
}

/// Audit events for what the daemon did on its own (actor: none), in the caller's
/// transaction; returns those that may notify.
pub(super) fn record_system(
    conn: &mut DbConn,
    ticket_id: &str,
    events: Vec<SystemEvent>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Happened>> {
    let mut all = record_systems(conn, vec![(ticket_id, events)], now)?;
    Ok(all.pop().unwrap_or_default())
}

/// `record_system` for many tickets in one go (one INSERT, the chain heads read together):
/// what may notify, per ticket in the order given.
pub(super) fn record_systems(
    conn: &mut DbConn,
    tickets: Vec<(&str, Vec<SystemEvent>)>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Vec<Happened>>> {
    let records = tickets
        .iter()
        .flat_map(|(ticket_id, events)| {
            events.iter().map(move |ev| audit::Record {
                at: now,
                actor_id: None,
                entity_type: "ticket",
                entity_id: ticket_id,
                ticket_id: Some(ticket_id),
                action: ev.action,
                changes: &ev.changes,
                data: ev.data.clone(),
            })
        })
        .collect();
    let mut ids = audit::record_all(conn, records)?.into_iter();
    Ok(tickets
        .into_iter()
        .map(|(_, events)| {
            events
                .into_iter()
                .zip(ids.by_ref())
                .flat_map(|(ev, id)| Happened::from_audit(ev.action, id, ev.data))
                .collect()
        })
        .collect())
}
