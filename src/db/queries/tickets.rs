use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{like_contains, lower};
use crate::db::models::{NewTicket, TargetRow, Ticket, TicketChangeset, TicketDelta};
use crate::db::schema::sla_targets::dsl as st;
use crate::db::schema::ticket_counters::dsl as counters;
use crate::db::schema::tickets::dsl as t;
use diesel::dsl::sql;
use diesel::sql_types::{BigInt, Bool, Text};
use std::collections::HashSet;

use crate::db::{is_unique_violation, Backend, DbConn};
use crate::domain::scope::Actor;
use crate::domain::Role;

pub fn insert(conn: &mut DbConn, ticket: &NewTicket) -> QueryResult<()> {
    crate::insert_one!(conn, t::tickets, ticket)
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

/// Saves what changed between `before` and `after` if the row is still at `before`'s
/// version; false if someone else changed the ticket first (the caller answers 409).
pub fn save_changes(conn: &mut DbConn, before: &Ticket, after: &Ticket) -> QueryResult<bool> {
    let Some(delta) = TicketDelta::between(before, after) else {
        return Ok(true);
    };
    let n = diesel::update(
        t::tickets
            .filter(t::id.eq(&before.id))
            .filter(t::version.eq(before.version)),
    )
    .set(&delta)
    .execute(conn)?;
    Ok(n == 1)
}

/// Saves many tickets whose rows the caller holds (the scheduler's claimed batch), 500 to a
/// statement, and releases their scheduler leases. An upsert is the one multi-row UPDATE
/// both backends write the same way; every row exists, so nothing is inserted, and every
/// column but the id is written from the struct, so no change a pass makes can be lost.
pub fn save_claimed(conn: &mut DbConn, rows: &[Ticket]) -> QueryResult<usize> {
    use diesel::upsert::excluded;
    macro_rules! from_row {
        ($($col:ident),* $(,)?) => {
            ($(t::$col.eq(excluded(t::$col)),)*)
        };
    }
    let mut saved = 0;
    for chunk in rows.chunks(crate::db::INSERT_CHUNK) {
        let upsert = diesel::insert_into(t::tickets)
            .values(chunk)
            .on_conflict(t::id)
            .do_update()
            .set((
                from_row!(
                    number,
                    organization_id,
                    reporter_organization_id,
                    service_id,
                    kind,
                    impact,
                    urgency,
                    priority,
                    priority_overridden,
                    status,
                    tier,
                    assignee_id,
                    title,
                    description,
                    classification,
                    reporter_name,
                    reporter_email,
                    reporter_phone,
                    reported_at,
                    created_by,
                    created_at,
                    updated_at,
                    first_response_at,
                    resolved_at,
                    resolution,
                    closed_at,
                    cancelled_at,
                    escalation_mode,
                    escalation_reason,
                    escalated_at,
                    escalated_by,
                ),
                from_row!(
                    outage_start,
                    outage_end,
                    version,
                    sla_policy_id,
                    sla_policy_version,
                    sla_calendar_id,
                    sla_calendar_version,
                    sla_breached,
                    pending_since,
                    pending_reason,
                    sla_next_at,
                    sla_due_at,
                    anonymised_at,
                ),
                t::sla_lease_owner.eq(None::<String>),
                t::sla_lease_until.eq(None::<NaiveDateTime>),
            ));
        saved += match &mut *conn {
            DbConn::Sqlite(c) => upsert.execute(c)?,
            DbConn::Pg(c) => upsert.execute(c)?,
        };
    }
    Ok(saved)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Ticket>> {
    t::tickets
        .find(id)
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

/// How a ticket is named in a request: its UUID or its number (`SD-2026-000123`).
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Id(&'a str),
    Number(&'a str),
}

/// A ticket and its SLA targets in one statement (a left join, the ticket's columns repeated
/// on each target's row): a read of a ticket is one round trip, which under load on
/// PostgreSQL is one wait for a core fewer.
pub fn get_with_targets(
    conn: &mut DbConn,
    key: Key<'_>,
) -> QueryResult<Option<(Ticket, Vec<TargetRow>)>> {
    let joined = t::tickets
        .left_join(st::sla_targets)
        .select((Ticket::as_select(), Option::<TargetRow>::as_select()));
    let rows: Vec<(Ticket, Option<TargetRow>)> = match key {
        Key::Id(id) => joined.filter(t::id.eq(id)).load(conn)?,
        Key::Number(n) => joined.filter(t::number.eq(n)).load(conn)?,
    };
    let mut rows = rows.into_iter();
    let Some((ticket, first)) = rows.next() else {
        return Ok(None);
    };
    let targets = first
        .into_iter()
        .chain(rows.filter_map(|(_, r)| r))
        .collect();
    Ok(Some((ticket, targets)))
}

/// Indexes for search the tickets that SQLite's insert trigger noted since the last call
/// (migration ticket_search_pending), in one INSERT, and forgets them: called just
/// before a write transaction commits, so that the transaction's new tickets make one FTS5
/// segment together. Nothing to do on PostgreSQL, whose trigram indexes are ordinary.
pub fn index_pending_search(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => index_pending_search_sqlite(c),
        DbConn::Pg(_) => Ok(()),
    }
}

/// [`index_pending_search`] on a connection of SQLite's own (a bulk loader's).
pub fn index_pending_search_sqlite(c: &mut diesel::SqliteConnection) -> QueryResult<()> {
    // Most commits made no ticket: one look, instead of opening the FTS5 table (it reads
    // its structure record) for nothing.
    #[derive(QueryableByName)]
    struct Noted {
        #[diesel(sql_type = Bool)]
        noted: bool,
    }
    let noted = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM tickets_search_pending) AS noted")
        .get_result::<Noted>(c)?;
    if !noted.noted {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO tickets_search (rowid, title, description, number) \
         SELECT t.rowid, t.title, t.description, t.number \
         FROM tickets_search_pending p JOIN tickets t ON t.rowid = p.ticket_rowid",
    )
    .execute(c)?;
    diesel::sql_query("DELETE FROM tickets_search_pending").execute(c)?;
    Ok(())
}

pub fn by_number(conn: &mut DbConn, number: &str) -> QueryResult<Option<Ticket>> {
    t::tickets
        .filter(t::number.eq(number))
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

/// A counter's new value.
#[derive(QueryableByName)]
struct Bumped {
    #[diesel(sql_type = BigInt)]
    last_value: i64,
}

/// The next sequence value of a counter scope (e.g. `SD-2026`), inside the caller's
/// transaction. The UPDATE takes the row lock on PostgreSQL; the first ticket of a year
/// inserts the row in a savepoint and, if a concurrent daemon inserted it first, retries the
/// UPDATE (no upsert: `MultiConnection` has no ON CONFLICT).
pub fn next_number(conn: &mut DbConn, scope: &str) -> QueryResult<i64> {
    // One statement: the bump answers with the new value (RETURNING, which each backend
    // builds itself through the MultiConnection).
    let bump = |conn: &mut DbConn| -> QueryResult<Option<i64>> {
        match conn {
            // Written out, so that SQLite prepares it once per connection: diesel prepares
            // its own UPDATE ... RETURNING on SQLite again at every use.
            DbConn::Sqlite(c) => diesel::sql_query(
                "UPDATE ticket_counters SET last_value = last_value + 1 \
                 WHERE scope = ? RETURNING last_value",
            )
            .bind::<Text, _>(scope)
            .get_result::<Bumped>(c)
            .optional()
            .map(|b| b.map(|b| b.last_value)),
            DbConn::Pg(c) => diesel::update(counters::ticket_counters.find(scope))
                .set(counters::last_value.eq(counters::last_value + 1))
                .returning(counters::last_value)
                .get_result(c)
                .optional(),
        }
    };
    if let Some(n) = bump(conn)? {
        return Ok(n);
    }
    let inserted = conn.transaction(|c| {
        diesel::insert_into(counters::ticket_counters)
            .values((counters::scope.eq(scope), counters::last_value.eq(1i64)))
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(1),
        Err(e) if is_unique_violation(&e) => bump(conn)?.ok_or(diesel::result::Error::NotFound),
        Err(e) => Err(e),
    }
}

/// On PostgreSQL, the next number of a counter scope, taken in a short transaction of its
/// own before the creation's: in the creation's transaction the counter's row stayed locked
/// until that commit, and every creation queued on it (142 creations a second at 32
/// clients). A creation that fails after this leaves its number unused, a gap. The commit
/// does not wait for the disk: the creation that uses the number commits after it, and
/// PostgreSQL's log is flushed in order, so a number is durable before any ticket carrying
/// it is; one lost to a crash was used by no ticket. None on SQLite, whose writers take
/// turns anyway: there the number is taken in the creation's transaction, without gaps.
/// Call it outside a transaction: the statement must be one of its own.
pub fn reserve_number(conn: &mut DbConn, scope: &str) -> QueryResult<Option<i64>> {
    if conn.backend() == Backend::Sqlite {
        return Ok(None);
    }
    // One round trip: the statement is its own transaction, and `set_config(.., true)`
    // sets how that transaction commits.
    let bumped = diesel::sql_query(
        "UPDATE ticket_counters SET last_value = last_value + 1 \
         FROM (SELECT set_config('synchronous_commit', 'off', true)) AS lazy_commit \
         WHERE scope = $1 RETURNING last_value",
    )
    .bind::<Text, _>(scope)
    .get_result::<Bumped>(conn)
    .optional()?;
    match bumped {
        Some(b) => Ok(Some(b.last_value)),
        // The year's first ticket: its row is made the careful way, durably.
        None => conn.transaction(|c| next_number(c, scope)).map(Some),
    }
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

/// One branch of `domain::scope::can_view` in SQL: the union of a role's branches is
/// what the role may see (the two must agree). Each branch is a plain equality that an
/// index on (column, created_at, id) walks in page order, where one OR over the columns
/// would make the database collect and sort every visible row before the first page.
enum Branch<'a> {
    All,
    Normal,
    Org(&'a str),
    Assignee(&'a str),
    ReportedByNormal(&'a str),
    Tier2,
}

fn branches(actor: &Actor) -> Vec<Branch<'_>> {
    let me = actor.user_id.as_str();
    match actor.role {
        Role::Technician => {
            let mut b: Vec<Branch> = actor.scope_orgs.iter().map(|o| Branch::Org(o)).collect();
            b.push(Branch::Assignee(me));
            b.extend(actor.scope_orgs.iter().map(|o| Branch::ReportedByNormal(o)));
            b
        }
        Role::Operator => vec![Branch::Tier2, Branch::Assignee(me)],
        Role::Supervisor | Role::Auditor => vec![Branch::All],
        Role::Coordinator | Role::Admin => vec![Branch::Normal],
    }
}

fn branch_filter<'a>(q: Boxed<'a>, b: &Branch<'_>) -> Boxed<'a> {
    match *b {
        Branch::All => q,
        Branch::Normal => q.filter(t::classification.eq("normal")),
        Branch::Org(o) => q.filter(t::organization_id.eq(o.to_string())),
        Branch::Assignee(u) => q.filter(t::assignee_id.eq(u.to_string())),
        Branch::ReportedByNormal(o) => q
            .filter(t::reporter_organization_id.eq(o.to_string()))
            .filter(t::classification.eq("normal")),
        Branch::Tier2 => q.filter(t::tier.eq(2)),
    }
}

/// How `q` narrows a list.
enum Search {
    None,
    /// PostgreSQL (answered from its trigram indexes), or a text too short for a trigram:
    /// a LIKE over title, description and number.
    Like(String),
    /// SQLite, a text that few tickets contain: the rowids of all of them.
    Rowids(Vec<i64>),
    /// SQLite, a text that many tickets contain: each branch is walked in page order and
    /// checked against the index (`branch_page`); the FTS5 phrase is kept for the walk.
    Walk(String),
    /// SQLite, the whole FTS5 match as a subquery: what a walk falls back to when the
    /// branch holds few of the many matches or its rowids are scattered, and what a
    /// queue (ordered by deadline, not creation) reads.
    Fts(String),
}

/// At most this many matches are fetched to decide how a SQLite search reads.
const FEW_MATCHES: i64 = 2_000;
/// A walk's first chunk; each next one is four times larger, up to `WALK_CHUNK_MAX`.
const WALK_CHUNK: i64 = 256;
const WALK_CHUNK_MAX: i64 = 16_384;
/// A walk that read this many of a branch's tickets without filling the page hands the
/// rest to the index's full match.
const WALK_LIMIT: usize = 20_000;
/// A chunk's rowids are checked in ranges (`rowid_ranges`); a range reads the matches
/// within it (about 1.5 ms for 10,000 rowids of a word in one ticket in twenty), so nearby
/// rowids share one. A chunk that needs more ranges than this is scattered over the table,
/// and the full match is cheaper.
const WALK_RANGE_GAP: i64 = 4_096;
const WALK_RANGES_MAX: usize = 16;

impl Search {
    /// On SQLite a text of three characters or more is looked up in the FTS5 trigram index
    /// (migration ticket_search), as a quoted phrase: any substring of title, description or
    /// number, case-insensitively. Reading whole the rowids of a text that many tickets
    /// contain costs as many lookups as there are matches (922 ms at p99 for a word in one
    /// ticket in twenty, at 1,000,000 tickets), so such a text walks the pages instead.
    fn of(conn: &mut DbConn, q: Option<&str>) -> QueryResult<Search> {
        let Some(text) = q else {
            return Ok(Search::None);
        };
        if conn.backend() != Backend::Sqlite || text.chars().count() < 3 {
            return Ok(Search::Like(like_contains(text)));
        }
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        let rowids: Vec<i64> = diesel::sql_query(
            "SELECT rowid AS rowid FROM tickets_search WHERE tickets_search MATCH ? LIMIT ?",
        )
        .bind::<Text, _>(&phrase)
        .bind::<BigInt, _>(FEW_MATCHES)
        .load::<SearchHit>(conn)?
        .into_iter()
        .map(|h| h.rowid)
        .collect();
        Ok(if (rowids.len() as i64) < FEW_MATCHES {
            Search::Rowids(rowids)
        } else {
            Search::Walk(phrase)
        })
    }
}

#[derive(QueryableByName)]
struct SearchHit {
    #[diesel(sql_type = BigInt)]
    rowid: i64,
}

/// The caller's filters, the same for every branch; `status` is the one status a branch
/// split by status reads, else the filter's list applies.
fn filtered<'a>(
    mut q: Boxed<'a>,
    f: &TicketFilter,
    status: Option<&str>,
    text: &Search,
) -> Boxed<'a> {
    if let Some(s) = status {
        q = q.filter(t::status.eq(s.to_string()));
    } else if !f.status.is_empty() {
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
    match text {
        Search::None | Search::Walk(_) => {}
        Search::Like(pat) => {
            q = q.filter(
                lower(t::title)
                    .like(pat.clone())
                    .escape('\\')
                    .or(lower(t::description).like(pat.clone()).escape('\\'))
                    .or(lower(t::number).like(pat.clone()).escape('\\')),
            );
        }
        Search::Rowids(rowids) => {
            q = q.filter(sql::<BigInt>("tickets.rowid").eq_any(rowids.clone()));
        }
        Search::Fts(phrase) => {
            q = q.filter(
                sql::<Bool>(
                    "tickets.rowid IN (SELECT rowid FROM tickets_search WHERE tickets_search MATCH ",
                )
                .bind::<Text, _>(phrase.clone())
                .sql(")"),
            );
        }
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            t::created_at
                .lt(*at)
                .or(t::created_at.eq(*at).and(t::id.lt(id.clone()))),
        );
    }
    q
}

/// One branch's first `want` rows in page order (newest first).
fn branch_page(
    conn: &mut DbConn,
    b: &Branch<'_>,
    f: &TicketFilter,
    status: Option<&str>,
    text: &Search,
    want: i64,
) -> QueryResult<Vec<Ticket>> {
    let Search::Walk(phrase) = text else {
        return filtered(branch_filter(t::tickets.into_boxed(), b), f, status, text)
            .order((t::created_at.desc(), t::id.desc()))
            .limit(want)
            .select(Ticket::as_select())
            .load(conn);
    };
    // The branch's tickets in page order, through its `(column, created_at, id)` index, in
    // chunks; each chunk is checked against the FTS5 index over the chunk's rowid ranges.
    // Rowids follow creation order (the daemon and a restore insert tickets oldest first),
    // so a chunk's rowids fall in a few short ranges and the check reads a short stretch of
    // each trigram's list. A text in one ticket in twenty fills a page from a few hundred
    // tickets; a text that the branch holds rarely ends in the full match after
    // `WALK_LIMIT` tickets.
    let mut cursor = f.after.clone();
    let mut chunk = WALK_CHUNK;
    let mut walked = 0usize;
    let mut ids: Vec<String> = Vec::new();
    loop {
        let g = TicketFilter {
            after: cursor.clone(),
            ..f.clone()
        };
        let cands: Vec<(i64, NaiveDateTime, String)> = filtered(
            branch_filter(t::tickets.into_boxed(), b),
            &g,
            status,
            &Search::None,
        )
        .order((t::created_at.desc(), t::id.desc()))
        .limit(chunk)
        .select((sql::<BigInt>("tickets.rowid"), t::created_at, t::id))
        .load(conn)?;
        if cands.is_empty() {
            break;
        }
        let ranges = rowid_ranges(&cands);
        if walked >= WALK_LIMIT || ranges.len() > WALK_RANGES_MAX {
            // The branch holds few of the many matches, or its rowids are scattered (a
            // restore from an archive of before 2026-12): the rest, from this chunk on, is
            // read from the full match.
            let rest = TicketFilter {
                after: cursor,
                ..f.clone()
            };
            let mut rows = branch_page(
                conn,
                b,
                &rest,
                status,
                &Search::Fts(phrase.clone()),
                want - ids.len() as i64,
            )?;
            rows.extend(by_ids(conn, ids)?);
            return Ok(rows);
        }
        let mut hits: HashSet<i64> = HashSet::new();
        for (lo, hi) in ranges {
            hits.extend(
                diesel::sql_query(
                    "SELECT rowid AS rowid FROM tickets_search \
                     WHERE tickets_search MATCH ? AND rowid BETWEEN ? AND ?",
                )
                .bind::<Text, _>(phrase)
                .bind::<BigInt, _>(lo)
                .bind::<BigInt, _>(hi)
                .load::<SearchHit>(conn)?
                .into_iter()
                .map(|h| h.rowid),
            );
        }
        ids.extend(
            cands
                .iter()
                .filter(|c| hits.contains(&c.0))
                .map(|c| c.2.clone()),
        );
        walked += cands.len();
        let full = ids.len() as i64 >= want;
        let exhausted = (cands.len() as i64) < chunk;
        cursor = cands.last().map(|c| (c.1, c.2.clone()));
        if full || exhausted {
            break;
        }
        chunk = (chunk * 4).min(WALK_CHUNK_MAX);
    }
    ids.truncate(usize::try_from(want).unwrap_or(0));
    by_ids(conn, ids)
}

/// The rowids of a walk's chunk as ranges for the FTS5 check: sorted, split where two are
/// more than `WALK_RANGE_GAP` apart. One range over the whole chunk would span the table
/// when a few of its tickets are far from the rest (measured at 1,000,000 tickets: the
/// tickets made before a bulk load sat at the start of the rowids, and each check read the
/// whole list of matches, 39 to 110 ms a page).
fn rowid_ranges(cands: &[(i64, NaiveDateTime, String)]) -> Vec<(i64, i64)> {
    let mut rowids: Vec<i64> = cands.iter().map(|c| c.0).collect();
    rowids.sort_unstable();
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for r in rowids {
        match ranges.last_mut() {
            Some((_, hi)) if r - *hi <= WALK_RANGE_GAP => *hi = r,
            _ => ranges.push((r, r)),
        }
    }
    ranges
}

fn by_ids(conn: &mut DbConn, ids: Vec<String>) -> QueryResult<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    t::tickets
        .filter(t::id.eq_any(ids))
        .select(Ticket::as_select())
        .load(conn)
}

/// One page of the tickets `actor` may see, newest first; fetches `limit + 1` rows so the
/// caller knows whether there is a next page. Each scope branch yields its own first
/// `limit + 1` rows in page order; the page is the newest `limit + 1` of their union.
pub fn list(conn: &mut DbConn, actor: &Actor, f: &TicketFilter) -> QueryResult<Vec<Ticket>> {
    let want = usize::try_from(f.limit + 1).unwrap_or(0);
    let text = Search::of(conn, f.q.as_deref())?;
    let mut rows: Vec<Ticket> = Vec::new();
    for b in branches(actor) {
        // A branch without a scope column of its own (the whole register) that is filtered
        // by status reads each status through the `(status, created_at, id)` index in page
        // order, as scope branches do through theirs. One `status IN (...)` made SQLite
        // read every ticket of those statuses and sort them (measured at 1,000,000
        // tickets: 518 ms for a supervisor's `status=new,in_progress`).
        let statuses: Vec<Option<&str>> = match b {
            Branch::All | Branch::Normal if !f.status.is_empty() => {
                f.status.iter().map(|s| Some(s.as_str())).collect()
            }
            _ => vec![None],
        };
        for status in statuses {
            rows.extend(branch_page(conn, &b, f, status, &text, f.limit + 1)?);
        }
    }
    rows.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    rows.dedup_by(|a, b| a.id == b.id);
    rows.truncate(want);
    Ok(rows)
}

/// The open tickets of a work queue that `actor` may see, nearest running deadline first
/// (the most overdue on top), tickets without a running clock (paused) last; at most
/// `f.limit`. Each scope branch reads its first rows through its `(column, sla_due_at)`
/// index and the merge keeps the nearest.
pub fn queue(conn: &mut DbConn, actor: &Actor, f: &TicketFilter) -> QueryResult<Vec<Ticket>> {
    // A queue is ordered by deadline, not by creation, so a walk in creation order does
    // not apply; the queue reads open tickets only.
    let text = match Search::of(conn, f.q.as_deref())? {
        Search::Walk(phrase) => Search::Fts(phrase),
        text => text,
    };
    let mut rows: Vec<Ticket> = Vec::new();
    for b in branches(actor) {
        let q = filtered(branch_filter(t::tickets.into_boxed(), &b), f, None, &text);
        rows.extend(
            q.order((
                t::sla_due_at.is_null().asc(),
                t::sla_due_at.asc(),
                t::created_at.asc(),
                t::id.asc(),
            ))
            .limit(f.limit)
            .select(Ticket::as_select())
            .load(conn)?,
        );
    }
    rows.sort_by(|a, b| {
        (a.sla_due_at.is_none(), a.sla_due_at, a.created_at, &a.id).cmp(&(
            b.sla_due_at.is_none(),
            b.sla_due_at,
            b.created_at,
            &b.id,
        ))
    });
    rows.dedup_by(|a, b| a.id == b.id);
    rows.truncate(usize::try_from(f.limit).unwrap_or(0));
    Ok(rows)
}

#[cfg(test)]
mod tests;
