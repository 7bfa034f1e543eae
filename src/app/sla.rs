//! The SLA engine: the glue between the pure target arithmetic (`domain::targets`), the
//! versioned calendars and policies, and the database. The ticket write path
//! (`app::tickets`) calls `sync` inside the transaction that changes a ticket, after the
//! ticket row is locked; it moves the ticket's targets, appends the SLA ledger, and reports
//! the automatic changes (auto-escalation, a pause that ran out, warnings, breaches) that
//! the write path records in the audit trail.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::record;
use super::{new_id, AppError, AppResult};
use crate::config::{SchedulerSettings, SlaSettings};
use crate::db::models::{NewSlaEvent, TargetRow, Ticket};
use crate::db::queries::sla as q;
use crate::db::DbConn;
use crate::domain::audit::Changes;
use crate::domain::calendar::{Calendar, WeekSchedule};
use crate::domain::sla::{Stop, TargetClock};
use crate::domain::sla_policy::PolicyTargets;
use crate::domain::targets::{
    LedgerEntry, LedgerKind, StopReason, Target, TargetKind, TicketTargets,
};
use crate::domain::{EscalationMode, Priority, TicketKind, TicketStatus};

/// A holiday as stored in a calendar's `holidays` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    #[schema(schema_with = crate::domain::validate::schema::title)]
    pub name: String,
}

pub type WorkingHours = BTreeMap<String, Vec<[String; 2]>>;

/// Builds a calendar from its stored form; the error says what is wrong.
pub fn build_calendar(
    timezone: &str,
    working_hours: &WorkingHours,
    holidays: &[Holiday],
) -> Result<Calendar, String> {
    let tz = crate::domain::calendar::parse_timezone(timezone).map_err(|e| e.to_string())?;
    let week = WeekSchedule::from_map(working_hours).map_err(|e| e.to_string())?;
    Calendar::new(tz, week, holidays.iter().map(|h| h.date)).map_err(|e| e.to_string())
}

/// What a ticket's SLA is computed against: one policy version and the calendar version it
/// was saved with. Immutable, so cached for the life of the process.
#[derive(Debug)]
pub struct Context {
    pub policy_id: String,
    pub policy_version: i32,
    pub calendar_id: String,
    pub calendar_version: i32,
    pub warn_percent: u32,
    pub targets: PolicyTargets,
    pub calendar: Calendar,
}

/// Everything `sync` needs besides the connection.
pub struct Env {
    pub sla: SlaSettings,
    pub scheduler: SchedulerSettings,
    cache: Mutex<HashMap<(String, i32), Arc<Context>>>,
}

impl Env {
    pub fn new(sla: SlaSettings, scheduler: SchedulerSettings) -> Self {
        Env {
            sla,
            scheduler,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The context of one policy version (from the cache when seen before).
    pub fn context(
        &self,
        conn: &mut DbConn,
        policy_id: &str,
        version: i32,
    ) -> AppResult<Arc<Context>> {
        let key = (policy_id.to_string(), version);
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        let pv = q::policy_version(conn, policy_id, version)?.ok_or_else(|| {
            AppError::corrupt(
                "policy reference",
                format!("{policy_id} v{version} missing"),
            )
        })?;
        let cv =
            q::calendar_version(conn, &pv.calendar_id, pv.calendar_version)?.ok_or_else(|| {
                AppError::corrupt(
                    "calendar reference",
                    format!("{} v{} missing", pv.calendar_id, pv.calendar_version),
                )
            })?;
        let wh: WorkingHours = serde_json::from_str(&cv.working_hours)
            .map_err(|e| AppError::corrupt("working hours", e))?;
        let hol: Vec<Holiday> =
            serde_json::from_str(&cv.holidays).map_err(|e| AppError::corrupt("holidays", e))?;
        let calendar = build_calendar(&cv.timezone, &wh, &hol)
            .map_err(|e| AppError::corrupt("calendar", e))?;
        let targets: PolicyTargets = serde_json::from_str(&pv.targets)
            .map_err(|e| AppError::corrupt("policy targets", e))?;
        let ctx = Arc::new(Context {
            policy_id: pv.policy_id,
            policy_version: pv.version,
            calendar_id: pv.calendar_id,
            calendar_version: pv.calendar_version,
            warn_percent: u32::try_from(pv.warn_at_percent).unwrap_or(75),
            targets,
            calendar,
        });
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, ctx.clone());
        Ok(ctx)
    }

    /// The current version of a policy.
    pub fn latest(&self, conn: &mut DbConn, policy_id: &str) -> AppResult<Arc<Context>> {
        let p = q::policy(conn, policy_id)?
            .ok_or_else(|| AppError::corrupt("policy reference", policy_id))?;
        self.context(conn, &p.id, p.version)
    }

    /// The policy a new ticket gets: its service's, else the configured default.
    pub fn policy_for_new_ticket(
        &self,
        conn: &mut DbConn,
        service_policy: Option<&str>,
    ) -> AppResult<Option<Arc<Context>>> {
        if let Some(id) = service_policy {
            return self.latest(conn, id).map(Some);
        }
        match q::policy_by_name(conn, &self.sla.default_policy)? {
            Some(p) => self.context(conn, &p.id, p.version).map(Some),
            None => Ok(None),
        }
    }

    pub fn ticket_context(&self, conn: &mut DbConn, t: &Ticket) -> AppResult<Option<Arc<Context>>> {
        match (&t.sla_policy_id, t.sla_policy_version) {
            (Some(id), Some(v)) => self.context(conn, id, v).map(Some),
            _ => Ok(None),
        }
    }
}

/// Pins a new ticket to a policy version (before its first `sync`).
pub fn pin(t: &mut Ticket, ctx: &Context) {
    t.sla_policy_id = Some(ctx.policy_id.clone());
    t.sla_policy_version = Some(ctx.policy_version);
    t.sla_calendar_id = Some(ctx.calendar_id.clone());
    t.sla_calendar_version = Some(ctx.calendar_version);
}

fn parse_priority(t: &Ticket) -> AppResult<(Priority, TicketKind)> {
    match (Priority::parse(&t.priority), TicketKind::parse(&t.kind)) {
        (Some(p), Some(k)) => Ok((p, k)),
        _ => Err(AppError::corrupt(
            "ticket",
            format!("{} has priority {} kind {}", t.id, t.priority, t.kind),
        )),
    }
}

fn status(t: &Ticket) -> TicketStatus {
    TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Closed)
}

pub(crate) fn to_target(row: &TargetRow) -> AppResult<Target> {
    let kind =
        TargetKind::parse(&row.target).ok_or_else(|| AppError::corrupt("target", &row.target))?;
    let stops: Vec<Stop> =
        serde_json::from_str(&row.stops).map_err(|e| AppError::corrupt("target stops", e))?;
    Ok(Target {
        kind,
        clock: TargetClock {
            start: row.started_at.and_utc(),
            minutes: row.minutes,
            stops,
        },
        stop_reason: row.stop_reason.as_deref().and_then(StopReason::parse),
        ended_at: row.ended_at.map(|x| x.and_utc()),
        warned_at: row.warned_at.map(|x| x.and_utc()),
        breached_at: row.breached_at.map(|x| x.and_utc()),
    })
}

fn to_row(id: String, ticket_id: &str, x: &Target, cal: &Calendar) -> AppResult<TargetRow> {
    Ok(TargetRow {
        id,
        ticket_id: ticket_id.to_string(),
        target: x.kind.as_str().into(),
        tier: i32::from(x.kind.tier()),
        minutes: x.clock.minutes,
        started_at: x.clock.start.naive_utc(),
        stops: serde_json::to_string(&x.clock.stops)
            .map_err(|e| AppError::corrupt("target stops", e))?,
        stop_reason: x.stop_reason.map(|r| r.as_str().to_string()),
        ended_at: x.ended_at.map(|t| t.naive_utc()),
        due_at: x.due_at(cal).map(|t| t.naive_utc()),
        warned_at: x.warned_at.map(|t| t.naive_utc()),
        breached_at: x.breached_at.map(|t| t.naive_utc()),
    })
}

/// Loads a ticket's targets (with their row ids, in the same order).
pub fn load_targets(
    conn: &mut DbConn,
    ticket_id: &str,
) -> AppResult<(TicketTargets, Vec<TargetRow>)> {
    read_targets(q::targets_of(conn, ticket_id)?)
}

/// A ticket's targets from its rows, which must be in id order (as `load_targets` reads
/// them).
fn read_targets(rows: Vec<TargetRow>) -> AppResult<(TicketTargets, Vec<TargetRow>)> {
    let targets = rows.iter().map(to_target).collect::<AppResult<Vec<_>>>()?;
    Ok((TicketTargets { targets }, rows))
}

/// What `sync` did: the automatic changes to record, the targets as they now stand (so
/// the caller can answer without reading them back), and the rows to write.
#[derive(Debug, Default)]
pub struct Synced {
    pub system: Vec<SystemEvent>,
    pub sla: Option<SlaState>,
    pub writes: SlaWrites,
}

/// An automatic change `sync` made, for the audit trail (actor: the daemon).
#[derive(Debug)]
pub struct SystemEvent {
    pub action: &'static str,
    pub changes: Changes,
    pub data: serde_json::Value,
}

fn ticket_json(t: &Ticket) -> AppResult<serde_json::Value> {
    Ok(record::ticket(t))
}

/// Brings the SLA of `after` up to date with what changed since `before` (None for a new
/// ticket) and with the time `now`: moves target clocks, records warnings and breaches,
/// escalates a ticket whose Tier 1 window ran out, resumes a pause that exceeded its limit,
/// and sets `sla_breached` and `sla_next_at`. Writes nothing: the caller saves the ticket
/// row, then `Synced::writes` (targets and ledger), then the audit events.
pub fn sync(
    conn: &mut DbConn,
    env: &Env,
    before: Option<&Ticket>,
    after: &mut Ticket,
    now: DateTime<Utc>,
) -> AppResult<Synced> {
    sync_with(conn, env, before, after, None, now)
}

/// `sync` of a ticket whose target rows the caller has read (the scheduler reads a whole
/// batch's at once); `rows` None reads them here.
pub fn sync_with(
    conn: &mut DbConn,
    env: &Env,
    before: Option<&Ticket>,
    after: &mut Ticket,
    rows: Option<Vec<TargetRow>>,
    now: DateTime<Utc>,
) -> AppResult<Synced> {
    let Some(ctx) = env.ticket_context(conn, after)? else {
        after.sla_next_at = None;
        after.sla_due_at = None;
        return Ok(Synced::default());
    };
    let mut log: Vec<LedgerEntry> = Vec::new();
    let mut system = Vec::new();
    let (prio, kind) = parse_priority(after)?;
    let (mut tt, rows) = match before {
        None => {
            let m = ctx.targets.for_priority(prio);
            (
                TicketTargets::start(kind, m, after.reported_at.and_utc(), &mut log),
                vec![],
            )
        }
        Some(_) => match rows {
            Some(mut rows) => {
                rows.sort_by(|a, b| a.id.cmp(&b.id));
                read_targets(rows)?
            }
            None => load_targets(conn, &after.id)?,
        },
    };
    if let Some(b) = before {
        let (bs, s) = (status(b), status(after));
        if let (None, Some(fr)) = (b.first_response_at, after.first_response_at) {
            tt.first_response(fr.and_utc(), &mut log);
        }
        if bs == TicketStatus::Pending && s != TicketStatus::Pending {
            tt.resume(now, &mut log);
        }
        if bs == TicketStatus::Resolved && s == TicketStatus::InProgress {
            tt.reopen(now, &mut log);
        }
        if b.sla_policy_version != after.sla_policy_version
            || b.sla_policy_id != after.sla_policy_id
        {
            let m = *ctx.targets.for_priority(prio);
            tt.set_minutes(
                now,
                |k| k.minutes(&m, kind),
                LedgerKind::Rebaselined,
                &mut log,
            );
        } else if b.priority != after.priority || b.kind != after.kind {
            let m = *ctx.targets.for_priority(prio);
            tt.set_minutes(
                now,
                |k| k.minutes(&m, kind),
                LedgerKind::Recomputed,
                &mut log,
            );
        }
        if b.tier == 1 && after.tier == 2 {
            let m = ctx.targets.for_priority(prio).tier2();
            tt.escalate(now, m, s == TicketStatus::Pending, &mut log);
            log.push(escalated_entry(now, "manual"));
        }
        if s == TicketStatus::Pending && bs != TicketStatus::Pending {
            tt.pause(now, &mut log);
        }
        if s == TicketStatus::Resolved && bs != TicketStatus::Resolved {
            tt.resolve(now, &mut log);
        }
        if matches!(s, TicketStatus::Closed | TicketStatus::Cancelled) && bs != s {
            tt.finish(now, s.as_str(), &mut log);
        }
    }

    // A pause that outlived its limit ends by itself.
    if status(after) == TicketStatus::Pending {
        let limit = TimeDelta::hours(env.sla.max_pause_hours);
        if let Some(since) = after.pending_since {
            if since.and_utc() + limit <= now {
                let snapshot = ticket_json(after)?;
                after.status = TicketStatus::InProgress.as_str().into();
                after.pending_since = None;
                after.pending_reason = None;
                tt.resume(now, &mut log);
                system.push(SystemEvent {
                    action: "resumed",
                    changes: Changes::diff(&snapshot, &ticket_json(after)?, record::TICKET_IGNORED),
                    data: json!({ "reason": "max_pause_exceeded", "max_pause_hours": env.sla.max_pause_hours }),
                });
            }
        }
    }

    let first_log = log.len();
    tt.evaluate(&ctx.calendar, ctx.warn_percent, now, &mut log);
    if tt.escalation_due()
        && after.tier == 1
        && matches!(status(after), TicketStatus::New | TicketStatus::InProgress)
    {
        let snapshot = ticket_json(after)?;
        let window = tt
            .get(TargetKind::Escalation)
            .map_or(0, |x| x.clock.minutes);
        after.tier = 2;
        after.escalation_mode = Some(EscalationMode::Automatic.as_str().into());
        after.escalation_reason = Some(format!(
            "Tier 1 window of {window} business minutes ran out (automatic escalation)"
        ));
        after.escalated_at = Some(now.naive_utc());
        after.escalated_by = None;
        after.assignee_id = None;
        tt.escalate(now, ctx.targets.for_priority(prio).tier2(), false, &mut log);
        log.push(escalated_entry(now, "automatic"));
        tt.evaluate(&ctx.calendar, ctx.warn_percent, now, &mut log);
        system.push(SystemEvent {
            action: "escalated",
            changes: Changes::diff(&snapshot, &ticket_json(after)?, record::TICKET_IGNORED),
            data: json!({ "mode": "automatic", "window_minutes": window }),
        });
    }
    for e in &log[first_log..] {
        let action = match e.kind {
            LedgerKind::Warned => "sla_warned",
            LedgerKind::Breached => "sla_breached",
            _ => continue,
        };
        let may_wait = prio != Priority::Critical
            && if e.kind == LedgerKind::Warned {
                env.sla.warning_may_wait
            } else {
                env.sla.breach_may_wait
            };
        system.push(SystemEvent {
            action,
            changes: Changes::new(),
            data: json!({
                "target": e.target.as_str(),
                "tier": e.target.tier(),
                "at": e.at,
                "may_wait_for_working_hours": may_wait,
            }),
        });
    }

    after.sla_breached = tt.any_breached();
    let pause_end = match (status(after), after.pending_since) {
        (TicketStatus::Pending, Some(s)) => {
            Some(s.and_utc() + TimeDelta::hours(env.sla.max_pause_hours))
        }
        _ => None,
    };
    after.sla_next_at = [tt.next_check(&ctx.calendar, ctx.warn_percent), pause_end]
        .into_iter()
        .flatten()
        .min()
        .map(|t| t.naive_utc());
    after.sla_due_at = tt.next_deadline(&ctx.calendar).map(|t| t.naive_utc());

    // Targets: update rows that changed, insert new ones.
    let mut writes = SlaWrites::default();
    for (i, x) in tt.targets.iter().enumerate() {
        match rows.get(i) {
            Some(old) => {
                let new = to_row(old.id.clone(), &after.id, x, &ctx.calendar)?;
                if new != *old {
                    writes.changed_targets.push(new);
                }
            }
            None => writes
                .new_targets
                .push(to_row(new_id(), &after.id, x, &ctx.calendar)?),
        }
    }
    let pause_reason = after.pending_reason.clone();
    for mut e in log {
        // The ledger names the configured reason of a pause, not just "pending".
        if e.kind == LedgerKind::Paused && e.reason.as_deref() == Some(StopReason::Pending.as_str())
        {
            if let Some(r) = &pause_reason {
                e.reason = Some(format!("pending: {r}"));
            }
        }
        writes.ledger.push(NewSlaEvent {
            id: new_id(),
            ticket_id: after.id.clone(),
            target: e.target.as_str().into(),
            tier: i32::from(e.target.tier()),
            kind: e.kind.as_str().into(),
            at: e.at.naive_utc(),
            reason: e.reason,
            policy_id: ctx.policy_id.clone(),
            policy_version: ctx.policy_version,
            calendar_id: ctx.calendar_id.clone(),
            calendar_version: ctx.calendar_version,
            data: "{}".into(),
            recorded_at: now.naive_utc(),
        });
    }
    Ok(Synced {
        system,
        sla: Some(SlaState {
            targets: tt,
            context: ctx,
        }),
        writes,
    })
}

/// The target rows and ledger entries a `sync` computed, written by `SlaWrites::save` once
/// the ticket row exists (a new ticket is inserted after its first sync, whole).
#[derive(Debug, Default)]
pub struct SlaWrites {
    pub new_targets: Vec<TargetRow>,
    pub changed_targets: Vec<TargetRow>,
    pub ledger: Vec<NewSlaEvent>,
}

impl SlaWrites {
    /// Writes them in the caller's transaction: new targets and the ledger in one
    /// multi-row INSERT each.
    pub fn save(&self, conn: &mut DbConn) -> AppResult<()> {
        for row in &self.changed_targets {
            q::update_target(conn, row)?;
        }
        q::insert_targets(conn, &self.new_targets)?;
        q::insert_events(conn, &self.ledger)?;
        Ok(())
    }
}

impl SlaWrites {
    /// Adds another ticket's writes, for a batch saved at once.
    pub fn append(&mut self, other: SlaWrites) {
        self.new_targets.extend(other.new_targets);
        self.changed_targets.extend(other.changed_targets);
        self.ledger.extend(other.ledger);
    }

    /// `save` for many tickets: the changed and the new targets go in one upsert, so the
    /// statements do not grow with the number of tickets.
    pub fn save_batch(self, conn: &mut DbConn) -> AppResult<()> {
        let mut targets = self.changed_targets;
        targets.extend(self.new_targets);
        q::upsert_targets(conn, &targets)?;
        q::insert_events(conn, &self.ledger)?;
        Ok(())
    }
}

fn escalated_entry(at: DateTime<Utc>, mode: &str) -> LedgerEntry {
    LedgerEntry {
        target: TargetKind::Escalation,
        kind: LedgerKind::Escalated,
        at,
        reason: Some(mode.into()),
    }
}

/// A ticket's targets with the calendar they are measured on: what a view of the ticket's
/// SLA is computed from.
#[derive(Debug, Clone)]
pub struct SlaState {
    pub targets: TicketTargets,
    pub context: Arc<Context>,
}

/// The SLA state of many tickets at once (a list page); tickets without a policy are absent.
pub fn states_for(
    conn: &mut DbConn,
    env: &Env,
    tickets: &[Ticket],
) -> AppResult<HashMap<String, SlaState>> {
    let ids: Vec<String> = tickets.iter().map(|t| t.id.clone()).collect();
    let mut by_ticket: HashMap<String, Vec<TargetRow>> = HashMap::new();
    for r in q::targets_of_many(conn, &ids)? {
        by_ticket.entry(r.ticket_id.clone()).or_default().push(r);
    }
    let mut out = HashMap::new();
    for t in tickets {
        let rows = by_ticket.remove(&t.id).unwrap_or_default();
        if let Some(state) = state_of(conn, env, t, rows)? {
            out.insert(t.id.clone(), state);
        }
    }
    Ok(out)
}

/// A ticket's SLA state from its target rows as read (None without a policy).
pub fn state_of(
    conn: &mut DbConn,
    env: &Env,
    t: &Ticket,
    mut rows: Vec<TargetRow>,
) -> AppResult<Option<SlaState>> {
    let Some(context) = env.ticket_context(conn, t)? else {
        return Ok(None);
    };
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let targets = rows.iter().map(to_target).collect::<AppResult<Vec<_>>>()?;
    Ok(Some(SlaState {
        targets: TicketTargets { targets },
        context,
    }))
}

/// Re-pins an open ticket to the current version of its policy (and that version's
/// calendar). Accumulated pauses are kept; the next `sync` recomputes deadlines.
pub fn rebaseline(conn: &mut DbConn, env: &Env, t: &mut Ticket) -> AppResult<bool> {
    let Some(policy_id) = t.sla_policy_id.clone() else {
        return Err(AppError::Conflict("the ticket has no SLA policy".into()));
    };
    let latest = env.latest(conn, &policy_id)?;
    if Some(latest.policy_version) == t.sla_policy_version
        && Some(latest.calendar_version) == t.sla_calendar_version
    {
        return Ok(false);
    }
    pin(t, &latest);
    Ok(true)
}

const SEED_SLA: &str = include_str!("../../config/sla.toml");
const SEED_HOLIDAYS: &str = include_str!("../../config/holidays.toml");

#[derive(Deserialize)]
struct SeedFile {
    calendars: Vec<SeedCalendar>,
    policies: Vec<SeedPolicy>,
}

#[derive(Deserialize)]
struct SeedCalendar {
    name: String,
    timezone: String,
    working_hours: WorkingHours,
}

#[derive(Deserialize)]
struct SeedPolicy {
    name: String,
    calendar: String,
    warn_at_percent: i32,
    targets: PolicyTargets,
}

#[derive(Deserialize)]
struct HolidayFile {
    holidays: Vec<SeedHoliday>,
}

#[derive(Deserialize)]
struct SeedHoliday {
    date: NaiveDate,
    name: String,
    #[allow(dead_code)]
    kind: String,
}

/// The national holidays and cuti bersama shipped in `config/holidays.toml`.
pub fn shipped_holidays() -> anyhow::Result<Vec<Holiday>> {
    let f: HolidayFile = toml::from_str(SEED_HOLIDAYS)?;
    Ok(f.holidays
        .into_iter()
        .map(|h| Holiday {
            date: h.date,
            name: h.name,
        })
        .collect())
}

/// Creates the shipped calendars and policies that do not exist yet (by name). Idempotent;
/// runs at every start, so an operator's edits are never overwritten.
pub fn seed(conn: &mut DbConn, now: DateTime<Utc>) -> anyhow::Result<()> {
    use crate::db::models::{CalendarRow, PolicyRow};
    let file: SeedFile = toml::from_str(SEED_SLA)?;
    let holidays = shipped_holidays()?;
    let n = now.naive_utc();
    for c in file.calendars {
        if q::calendar_by_name(conn, &c.name)?.is_some() {
            continue;
        }
        build_calendar(&c.timezone, &c.working_hours, &holidays).map_err(anyhow::Error::msg)?;
        q::insert_calendar(
            conn,
            &CalendarRow {
                id: new_id(),
                name: c.name,
                timezone: c.timezone,
                working_hours: serde_json::to_string(&c.working_hours)?,
                holidays: serde_json::to_string(&holidays)?,
                version: 1,
                created_at: n,
                updated_at: n,
            },
        )?;
    }
    for p in file.policies {
        if q::policy_by_name(conn, &p.name)?.is_some() {
            continue;
        }
        let cal = q::calendar_by_name(conn, &p.calendar)?.ok_or_else(|| {
            anyhow::anyhow!(
                "seed policy {} names unknown calendar {}",
                p.name,
                p.calendar
            )
        })?;
        q::insert_policy(
            conn,
            &PolicyRow {
                id: new_id(),
                name: p.name,
                calendar_id: cal.id,
                warn_at_percent: p.warn_at_percent,
                targets: serde_json::to_string(&p.targets)?,
                version: 1,
                created_at: n,
                updated_at: n,
            },
            cal.version,
        )?;
    }
    Ok(())
}
