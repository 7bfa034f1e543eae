use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{like_contains, lower};
use crate::db::models::{NewTicket, Ticket, TicketChangeset};
use crate::db::schema::ticket_counters::dsl as counters;
use crate::db::schema::tickets::dsl as t;
use crate::db::{is_unique_violation, DbConn};
use crate::domain::scope::Actor;
use crate::domain::Role;

pub fn insert(conn: &mut DbConn, ticket: &NewTicket) -> QueryResult<()> {
    diesel::insert_into(t::tickets)
        .values(ticket)
        .execute(conn)
        .map(|_| ())
}

/// Saves the whole row if its version is still `expected_version`; false if someone else
/// changed the ticket first (the caller answers 409).
pub fn update_versioned(
    conn: &mut DbConn,
    ticket: &TicketChangeset,
    expected_version: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        t::tickets
            .filter(t::id.eq(&ticket.id))
            .filter(t::version.eq(expected_version)),
    )
    .set(ticket)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Ticket>> {
    t::tickets
        .find(id)
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

pub fn by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<Ticket>> {
    t::tickets
        .filter(t::number.eq(number))
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

/// The next sequence value of a counter scope (e.g. `SD-2026`), inside the caller's
/// transaction. The UPDATE takes the row lock on PostgreSQL; the first ticket of a year
/// inserts the row in a savepoint and, if a concurrent daemon inserted it first, retries the
/// UPDATE (no upsert: `MultiConnection` has no ON CONFLICT).
pub fn next_number(conn: &mut DbConn, scope: &str) -> QueryResult<i64> {
    let bump = |conn: &mut DbConn| {
        diesel::update(counters::ticket_counters.find(scope))
            .set(counters::last_value.eq(counters::last_value + 1))
            .execute(conn)
    };
    if bump(conn)? == 0 {
        let inserted = conn.transaction(|c| {
            diesel::insert_into(counters::ticket_counters)
                .values((counters::scope.eq(scope), counters::last_value.eq(1i64)))
                .execute(c)
        });
        match inserted {
            Ok(_) => return Ok(1),
            Err(e) if is_unique_violation(&e) => {
                bump(conn)?;
            }
            Err(e) => return Err(e),
        }
    }
    counters::ticket_counters
        .find(scope)
        .select(counters::last_value)
        .first(conn)
}

#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub status: Vec<String>,
    pub tier: Option<i32>,
    pub organization_id: Option<String>,
    pub service_id: Option<String>,
    pub priority: Vec<String>,
    pub kind: Vec<String>,
    pub assignee_id: Option<String>,
    pub breached: Option<bool>,
    pub q: Option<String>,
    /// Continue after this (created_at, id), newest first.
    pub after: Option<(NaiveDateTime, String)>,
    pub limit: i64,
}

type Boxed<'a> = crate::db::schema::tickets::BoxedQuery<'a, crate::db::MultiBackend>;

/// The SQL form of `domain::scope::can_view`; the two must agree.
fn scope_filter<'a>(q: Boxed<'a>, actor: &Actor) -> Boxed<'a> {
    let me = actor.user_id.clone();
    match actor.role {
        Role::Technician => q.filter(
            t::organization_id
                .eq_any(actor.scope_orgs.clone())
                .or(t::assignee_id.eq(me))
                .or(t::reporter_organization_id
                    .eq_any(actor.scope_orgs.clone())
                    .and(t::classification.eq("normal"))),
        ),
        Role::Operator => q.filter(t::tier.eq(2).or(t::assignee_id.eq(me))),
        Role::Supervisor | Role::Auditor => q,
        Role::Coordinator | Role::Admin => q.filter(t::classification.eq("normal")),
    }
}

/// One page of the tickets `actor` may see, newest first; fetches `limit + 1` rows so the
/// caller knows whether there is a next page.
pub fn list(conn: &mut DbConn, actor: &Actor, f: &TicketFilter) -> QueryResult<Vec<Ticket>> {
    let mut q = scope_filter(t::tickets.into_boxed(), actor);
    if !f.status.is_empty() {
        q = q.filter(t::status.eq_any(f.status.clone()));
    }
    if let Some(tier) = f.tier {
        q = q.filter(t::tier.eq(tier));
    }
    if let Some(org) = &f.organization_id {
        q = q.filter(t::organization_id.eq(org.clone()));
    }
    if let Some(s) = &f.service_id {
        q = q.filter(t::service_id.eq(s.clone()));
    }
    if !f.priority.is_empty() {
        q = q.filter(t::priority.eq_any(f.priority.clone()));
    }
    if !f.kind.is_empty() {
        q = q.filter(t::kind.eq_any(f.kind.clone()));
    }
    if let Some(a) = &f.assignee_id {
        q = q.filter(t::assignee_id.eq(a.clone()));
    }
    if let Some(b) = f.breached {
        q = q.filter(t::sla_breached.eq(b));
    }
    if let Some(text) = &f.q {
        let pat = like_contains(text);
        q = q.filter(
            lower(t::title)
                .like(pat.clone())
                .escape('\\')
                .or(lower(t::description).like(pat.clone()).escape('\\'))
                .or(lower(t::number).like(pat).escape('\\')),
        );
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            t::created_at
                .lt(*at)
                .or(t::created_at.eq(*at).and(t::id.lt(id.clone()))),
        );
    }
    q.order((t::created_at.desc(), t::id.desc()))
        .limit(f.limit + 1)
        .select(Ticket::as_select())
        .load(conn)
}
