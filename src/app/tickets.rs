//! Ticket use cases: create (with idempotency), read, act, edit, comment, re-baseline, and
//! the scheduler's pass over a due ticket. Every change goes through
//! [`App::change_ticket`].

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::sla::{self, SlaState, SystemEvent};
use super::{check_version, double_option, new_id, reason, record, App, AppError, AppResult};
use crate::db::models::{AuditEvent, Comment, IdempotencyKey, PolicyRow, SlaEventRow, Ticket};
use crate::db::queries::tickets::TicketFilter;
use crate::db::queries::{
    audit, comments, idempotency, organizations, services, sla as q, tickets, users,
};
use crate::db::DbConn;
use crate::domain::audit::Changes;
use crate::domain::scope::{self, Actor, TicketScope};
use crate::domain::ticket::{self as machine, Action};
use crate::domain::validate::Errors;
use crate::domain::{
    number, priority, Classification, CommentVisibility, EscalationMode, Level, OrgKind, Priority,
    Role, TicketKind, TicketStatus,
};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterIn {
    /// The pelapor's name (PD staff, citizen or business).
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageIn {
    pub start: DateTime<FixedOffset>,
    pub end: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub kind: TicketKind,
    /// Default `medium`.
    pub impact: Option<Level>,
    /// Default `medium`.
    pub urgency: Option<Level>,
    /// Overrides the impact x urgency matrix (audited as an override).
    pub priority: Option<Priority>,
    /// A catalogue service; the ticket then belongs to the service's owning PD.
    pub service_id: Option<String>,
    /// The owning PD when there is no service (default: the technician's own PD).
    pub organization_id: Option<String>,
    /// The reporter's PD (default: the caller's PD for a technician, else the owning PD).
    pub reporter_organization_id: Option<String>,
    /// Default `normal`.
    pub classification: Option<Classification>,
    pub reporter: ReporterIn,
    /// When the problem was reported (RFC 3339 with offset). Default: now. May lie in the
    /// past up to `tickets.max_backdate_days`, never in the future.
    pub reported_at: Option<DateTime<FixedOffset>>,
    /// For incidents that took a service down.
    pub outage: Option<OutageIn>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTicket {
    /// The version you read; or send `If-Match: "<version>"`.
    pub version: Option<i32>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub impact: Option<Level>,
    pub urgency: Option<Level>,
    /// An explicit priority (audited override); `null` returns to the matrix.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Priority>)]
    pub priority: Option<Option<Priority>>,
    pub classification: Option<Classification>,
    pub reporter: Option<ReporterIn>,
    /// `null` removes a recorded outage.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<OutageIn>)]
    pub outage: Option<Option<OutageIn>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
    /// `public` (default; counts as a first response) or `internal` (staff only).
    pub visibility: Option<CommentVisibility>,
    /// True when staff record the reporter's own reply (by phone or e-mail). It is not a
    /// response by staff, and it resumes a pending ticket.
    pub from_reporter: Option<bool>,
}

/// A workflow action with what it carries beyond the state machine's status and tier.
#[derive(Debug, Clone)]
pub enum TicketAction {
    Acknowledge,
    Resume,
    Close,
    Escalate {
        reason: String,
    },
    Pause {
        reason: String,
        note: Option<String>,
    },
    Resolve {
        resolution: String,
    },
    Reopen {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Assign {
        assignee_id: Option<String>,
    },
}

impl TicketAction {
    fn action(&self) -> Action {
        match self {
            TicketAction::Acknowledge => Action::Acknowledge,
            TicketAction::Resume => Action::Resume,
            TicketAction::Close => Action::Close,
            TicketAction::Escalate { .. } => Action::Escalate,
            TicketAction::Pause { .. } => Action::Pause,
            TicketAction::Resolve { .. } => Action::Resolve,
            TicketAction::Reopen { .. } => Action::Reopen,
            TicketAction::Cancel { .. } => Action::Cancel,
            TicketAction::Assign { .. } => Action::Assign,
        }
    }

    /// Checks the free text an action carries (reasons of 3 to 5,000 characters).
    pub fn checked(self) -> AppResult<Self> {
        Ok(match self {
            TicketAction::Escalate { reason: r } => TicketAction::Escalate {
                reason: reason("reason", &r, 5000)?,
            },
            TicketAction::Pause { reason: r, note } => TicketAction::Pause {
                reason: r.trim().to_string(),
                note: note
                    .as_deref()
                    .map(|n| reason("note", n, 5000))
                    .transpose()?,
            },
            TicketAction::Resolve { resolution } => TicketAction::Resolve {
                resolution: reason("resolution", &resolution, 5000)?,
            },
            TicketAction::Reopen { reason: r } => TicketAction::Reopen {
                reason: reason("reason", &r, 5000)?,
            },
            TicketAction::Cancel { reason: r } => TicketAction::Cancel {
                reason: reason("reason", &r, 5000)?,
            },
            other => other,
        })
    }
}

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

fn machine_state(t: &Ticket) -> machine::State {
    machine::State {
        status: TicketStatus::parse(&t.status).unwrap_or(TicketStatus::Closed),
        tier: u8::try_from(t.tier).unwrap_or(2),
    }
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("no ticket {id}"))
}

/// The ticket id behind a UUID or a number such as `SD-2026-000123`.
fn resolve_id(conn: &mut DbConn, id: &str) -> AppResult<Option<String>> {
    let plausible = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !plausible {
        return Ok(None);
    }
    if number::looks_like_number(id) {
        Ok(tickets::by_number(conn, id)?.map(|t| t.id))
    } else if uuid::Uuid::parse_str(id).is_ok() {
        Ok(Some(id.to_string()))
    } else {
        Ok(None)
    }
}

/// Loads a ticket by UUID or number if `actor` may see it; 404 otherwise, so that a ticket
/// outside the caller's scope is indistinguishable from one that does not exist.
fn load_visible(conn: &mut DbConn, actor: &Actor, id: &str) -> AppResult<Ticket> {
    let found = match resolve_id(conn, id)? {
        Some(tid) => tickets::get(conn, &tid)?,
        None => None,
    };
    match found {
        Some(t) if scope::can_view(actor, &scope_of(&t)) => Ok(t),
        _ => Err(not_found(id)),
    }
}

pub(crate) struct Reporter {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub(crate) fn check_reporter(e: &mut Errors, r: &ReporterIn) -> Reporter {
    Reporter {
        name: e.line("reporter.name", &r.name, 1, 200),
        email: r.email.as_deref().map(|v| e.email("reporter.email", v)),
        phone: r.phone.as_deref().map(|v| e.phone("reporter.phone", v)),
    }
}

pub(crate) fn check_outage(
    e: &mut Errors,
    kind: &str,
    o: &OutageIn,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let start = o.start.with_timezone(&Utc);
    let end = o.end.map(|x| x.with_timezone(&Utc));
    if kind != TicketKind::Incident.as_str() {
        e.add("outage", "only an incident records an outage");
    }
    if start > now {
        e.add("outage.start", "must not be in the future");
    }
    if let Some(end) = end {
        if end < start {
            e.add("outage.end", "must not be before outage.start");
        }
        if end > now {
            e.add("outage.end", "must not be in the future");
        }
    }
    (
        crate::clock::truncate_micros(start),
        end.map(crate::clock::truncate_micros),
    )
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
        let visible = record::ticket(&after) != record::ticket(&before);
        if matches!(applied, Applied::Action { .. }) || visible {
            after.version = before.version + 1;
            after.updated_at = now.naive_utc();
        }
        // The row is locked, so the version cannot have moved; the check stays as a guard.
        if after != before && !tickets::update_versioned(conn, &after, before.version)? {
            return Err(AppError::Conflict(
                "the ticket was changed by someone else meanwhile; reload and retry".into(),
            ));
        }
        if let Applied::Action { verb, data } = applied {
            let actor_id = match by {
                By::User(a) => Some(a.user_id.as_str()),
                By::Daemon => None,
            };
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
                    data,
                },
            )?;
        }
        record_system(conn, &after.id, synced.system, now)?;
        Ok(TicketView {
            ticket: after,
            sla: synced.sla,
        })
    }

    /// Creates a ticket. With an idempotency key (and the request's fingerprint), a repeat
    /// from the same user answers with the first ticket (`true`) while the user may still
    /// see it, and a repeat with a different request is a conflict.
    pub fn create_ticket(
        &self,
        actor: &Actor,
        input: &CreateTicket,
        idempotency: Option<(&str, &str)>,
    ) -> AppResult<(TicketView, bool)> {
        scope::check_create(actor)?;
        // A concurrent request with the same key fails its insert of the key; the retry
        // in `write` then finds the winner's ticket here.
        self.write(|conn| {
            if let Some((key, hash)) = idempotency {
                if let Some(t) = self.replay(conn, actor, key, hash)? {
                    return Ok((self.view(conn, t)?, true));
                }
            }
            self.create_tx(conn, actor, input, idempotency)
                .map(|v| (v, false))
        })
    }

    /// The ticket an earlier request with this key created, if the user may still see it.
    fn replay(
        &self,
        conn: &mut DbConn,
        actor: &Actor,
        key: &str,
        hash: &str,
    ) -> AppResult<Option<Ticket>> {
        let Some(row) = idempotency::find(conn, &actor.user_id, key)? else {
            return Ok(None);
        };
        if row.request_hash != hash {
            return Err(AppError::Conflict(
                "this Idempotency-Key was already used with a different request body".into(),
            ));
        }
        match tickets::get(conn, &row.ticket_id)? {
            Some(t) if scope::can_view(actor, &scope_of(&t)) => Ok(Some(t)),
            _ => Err(AppError::NotFound(format!(
                "the ticket created with this Idempotency-Key ({}) is no longer visible to you",
                row.ticket_id
            ))),
        }
    }

    fn create_tx(
        &self,
        conn: &mut DbConn,
        actor: &Actor,
        input: &CreateTicket,
        idempotency: Option<(&str, &str)>,
    ) -> AppResult<TicketView> {
        let now = self.now();
        let mut e = Errors::new();
        let title = e.line("title", &input.title, 1, 200);
        let description = e.text("description", &input.description, 0, 20_000);
        let reporter = check_reporter(&mut e, &input.reporter);
        let reported_at = match input.reported_at {
            None => now,
            Some(r) => {
                let r = crate::clock::truncate_micros(r.with_timezone(&Utc));
                let limit = self.settings.tickets.max_backdate_days;
                if r > now {
                    e.add("reported_at", "must not be in the future");
                } else if r < now - TimeDelta::days(limit) {
                    e.add(
                        "reported_at",
                        format!("may be back-dated by at most {limit} days"),
                    );
                }
                r
            }
        };
        let outage = input
            .outage
            .as_ref()
            .map(|o| check_outage(&mut e, input.kind.as_str(), o, now));

        // Where the ticket belongs (Makassar Ps 1 angka 41: the service's owning PD).
        let service = match &input.service_id {
            Some(id) => match services::get(conn, id)? {
                Some(s) => Some(s),
                None => {
                    e.add("service_id", "no such service");
                    None
                }
            },
            None => None,
        };
        let owning = match (&service, &input.organization_id) {
            (Some(s), Some(o)) if *o != s.organization_id => {
                e.add(
                    "organization_id",
                    "must be the owning PD of the service, or omitted",
                );
                None
            }
            (Some(s), _) => Some(s.organization_id.clone()),
            (None, Some(o)) => Some(o.clone()),
            (None, None) if actor.role == Role::Technician => Some(actor.organization_id.clone()),
            (None, None) if input.service_id.is_none() => {
                e.add(
                    "organization_id",
                    "is required: name the PD the ticket belongs to, or a service_id",
                );
                None
            }
            (None, None) => None,
        };
        if let Some(org_id) = &owning {
            match organizations::get(conn, org_id)? {
                Some(o) if o.kind == OrgKind::Pd.as_str() => {
                    if actor.role == Role::Technician
                        && service.is_none()
                        && !actor.in_scope(org_id)
                    {
                        e.add("organization_id", "a technician logs tickets for their own PD, or about another PD's catalogue service");
                    }
                }
                Some(_) => e.add(
                    "organization_id",
                    "tickets belong to a PD (Tier 1), not to the Dinas or the Tim Koordinasi",
                ),
                None => e.add("organization_id", "no such organization"),
            }
        }
        let reporter_org = match &input.reporter_organization_id {
            Some(r) => {
                if organizations::get(conn, r)?.is_none() {
                    e.add("reporter_organization_id", "no such organization");
                }
                Some(r.clone())
            }
            None if actor.role == Role::Technician => Some(actor.organization_id.clone()),
            None => owning.clone(),
        };
        e.finish()?;
        let (Some(owning), Some(reporter_org)) = (owning, reporter_org) else {
            return Err(AppError::field(
                "organization_id",
                "could not be determined",
            ));
        };

        let service_policy = service.as_ref().and_then(|s| s.sla_policy_id.clone());
        let impact = input.impact.unwrap_or(Level::Medium);
        let urgency = input.urgency.unwrap_or(Level::Medium);
        let prio = input
            .priority
            .unwrap_or_else(|| priority::matrix(impact, urgency));
        let local_year = now.with_timezone(&self.ticket_tz).year();
        let prefix = &self.settings.tickets.number_prefix;
        let seq = tickets::next_number(conn, &number::counter_scope(prefix, local_year))?;
        let n = now.naive_utc();
        let mut ticket = Ticket {
            id: new_id(),
            number: number::format(prefix, local_year, seq),
            organization_id: owning,
            reporter_organization_id: reporter_org,
            service_id: service.as_ref().map(|s| s.id.clone()),
            kind: input.kind.as_str().into(),
            impact: impact.as_str().into(),
            urgency: urgency.as_str().into(),
            priority: prio.as_str().into(),
            priority_overridden: input.priority.is_some(),
            status: TicketStatus::New.as_str().into(),
            tier: 1,
            assignee_id: None,
            title,
            description,
            classification: input
                .classification
                .unwrap_or(Classification::Normal)
                .as_str()
                .into(),
            reporter_name: reporter.name,
            reporter_email: reporter.email,
            reporter_phone: reporter.phone,
            reported_at: reported_at.naive_utc(),
            created_by: actor.user_id.clone(),
            created_at: n,
            updated_at: n,
            first_response_at: None,
            resolved_at: None,
            resolution: None,
            closed_at: None,
            cancelled_at: None,
            escalation_mode: None,
            escalation_reason: None,
            escalated_at: None,
            escalated_by: None,
            outage_start: outage.map(|o| o.0.naive_utc()),
            outage_end: outage.and_then(|o| o.1).map(|x| x.naive_utc()),
            version: 1,
            sla_policy_id: None,
            sla_policy_version: None,
            sla_calendar_id: None,
            sla_calendar_version: None,
            sla_breached: false,
            pending_since: None,
            pending_reason: None,
            sla_next_at: None,
        };
        if let Some(ctx) = self
            .sla
            .policy_for_new_ticket(conn, service_policy.as_deref())?
        {
            sla::pin(&mut ticket, &ctx);
        }
        tickets::insert(conn, &ticket)?;
        if let Some((key, hash)) = idempotency {
            idempotency::insert(
                conn,
                &IdempotencyKey {
                    user_id: actor.user_id.clone(),
                    idempotency_key: key.to_string(),
                    request_hash: hash.to_string(),
                    ticket_id: ticket.id.clone(),
                    created_at: n,
                },
            )?;
        }
        let changes = Changes::diff(
            &Value::Null,
            &record::ticket(&ticket),
            record::TICKET_IGNORED,
        );
        audit::record(
            conn,
            audit::Record {
                at: now,
                actor_id: Some(&actor.user_id),
                entity_type: "ticket",
                entity_id: &ticket.id,
                ticket_id: Some(&ticket.id),
                action: "created",
                changes: &changes,
                data: json!({ "idempotency_key": idempotency.map(|(k, _)| k) }),
            },
        )?;
        // Starts the SLA clocks; a ticket back-dated past its Tier 1 window escalates here.
        let created = ticket.clone();
        let synced = sla::sync(conn, &self.sla, None, &mut ticket, now)?;
        if record::ticket(&ticket) != record::ticket(&created) {
            ticket.version = created.version + 1;
        }
        if ticket != created && !tickets::update_versioned(conn, &ticket, created.version)? {
            return Err(AppError::Conflict(format!(
                "ticket {} changed while it was being created",
                ticket.id
            )));
        }
        record_system(conn, &ticket.id, synced.system, now)?;
        Ok(TicketView {
            ticket,
            sla: synced.sla,
        })
    }

    /// One ticket the actor may see, with its targets.
    pub fn ticket(&self, actor: &Actor, id: &str) -> AppResult<TicketView> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            self.view(conn, t)
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

    /// A ticket's audit trail, oldest first.
    pub fn ticket_events(&self, actor: &Actor, id: &str) -> AppResult<Vec<AuditEvent>> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            Ok(audit::for_ticket(conn, &t.id)?)
        })
    }

    /// A ticket's comments, oldest first.
    pub fn comments(&self, actor: &Actor, id: &str) -> AppResult<Vec<Comment>> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            Ok(comments::list(conn, &t.id)?)
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

    /// A workflow action (acknowledge, assign, escalate, pause, resume, resolve, close,
    /// reopen, cancel), checked against scope, the version when one is sent, and the state
    /// machine.
    pub fn act(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        action: TicketAction,
    ) -> AppResult<TicketView> {
        let action = action.checked()?;
        let kind = action.action();
        self.write(|conn| {
            let now = self.now();
            let action = action.clone();
            self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((kind, expected)),
                now,
                |conn, _, t| {
                    if t.status != TicketStatus::Pending.as_str() {
                        t.pending_since = None;
                        t.pending_reason = None;
                    }
                    let data = self.apply_action(conn, actor, t, action, now)?;
                    if t.status == TicketStatus::Closed.as_str() {
                        t.closed_at = Some(now.naive_utc());
                    }
                    if machine::is_first_response(kind) && t.first_response_at.is_none() {
                        t.first_response_at = Some(now.naive_utc());
                    }
                    Ok(Applied::Action {
                        verb: past_tense(kind),
                        data,
                    })
                },
            )
        })
    }

    fn apply_action(
        &self,
        conn: &mut DbConn,
        actor: &Actor,
        t: &mut Ticket,
        action: TicketAction,
        now: DateTime<Utc>,
    ) -> AppResult<Value> {
        let n = now.naive_utc();
        Ok(match action {
            TicketAction::Acknowledge | TicketAction::Resume | TicketAction::Close => json!({}),
            TicketAction::Escalate { reason } => {
                t.escalation_mode = Some(EscalationMode::Manual.as_str().into());
                t.escalation_reason = Some(reason.clone());
                t.escalated_at = Some(n);
                t.escalated_by = Some(actor.user_id.clone());
                // Tier 2 picks the ticket up from its queue; the Tier 1 assignee stays
                // informed through the reporting PD's view, not as the owner.
                t.assignee_id = None;
                json!({ "mode": "manual", "reason": reason })
            }
            TicketAction::Pause { reason, note } => {
                let allowed = &self.settings.sla.pause_reasons;
                if !allowed.contains(&reason) {
                    return Err(AppError::field(
                        "reason",
                        format!("must be one of: {}", allowed.join(", ")),
                    ));
                }
                t.pending_since = Some(n);
                t.pending_reason = Some(reason.clone());
                json!({ "reason": reason, "note": note })
            }
            TicketAction::Resolve { resolution } => {
                t.resolution = Some(resolution);
                t.resolved_at = Some(n);
                json!({})
            }
            TicketAction::Reopen { reason } => {
                t.resolved_at = None;
                json!({ "reason": reason })
            }
            TicketAction::Cancel { reason } => {
                t.cancelled_at = Some(n);
                json!({ "reason": reason })
            }
            TicketAction::Assign { assignee_id } => {
                if let Some(uid) = &assignee_id {
                    check_assignee(conn, t, uid)?;
                }
                t.assignee_id = assignee_id;
                json!({})
            }
        })
    }

    /// Edits a ticket's fields under the version the caller read (required).
    pub fn patch_ticket(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        p: &PatchTicket,
    ) -> AppResult<TicketView> {
        // An edit overwrites fields: it must say which version it was made against.
        let expected = expected.ok_or_else(|| {
            AppError::VersionRequired(
                "send the version you read, as If-Match or \"version\"".into(),
            )
        })?;
        self.write(|conn| {
            let now = self.now();
            self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((Action::Edit, Some(expected))),
                now,
                |_, before, t| {
                    patch_fields(t, p, now)?;
                    Ok(if t == before {
                        Applied::Nothing
                    } else {
                        Applied::Action {
                            verb: "updated",
                            data: json!({}),
                        }
                    })
                },
            )
        })
    }

    /// Adds a comment. A public comment by staff is a first response; the reporter's own
    /// reply (recorded by staff) resumes a pending ticket.
    pub fn comment(&self, actor: &Actor, id: &str, input: &CommentBody) -> AppResult<Comment> {
        let mut e = Errors::new();
        let text = e.text("body", &input.body, 1, 20_000);
        e.finish()?;
        let visibility = input.visibility.unwrap_or(CommentVisibility::Public);
        let from_reporter = input.from_reporter.unwrap_or(false);
        if from_reporter && visibility == CommentVisibility::Internal {
            return Err(AppError::field(
                "visibility",
                "a reporter's reply is public",
            ));
        }
        self.write(|conn| {
            let now = self.now();
            let mut added = None;
            let saved = self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((Action::Comment, None)),
                now,
                |conn, before, t| {
                    let c = Comment {
                        id: new_id(),
                        ticket_id: before.id.clone(),
                        author_id: actor.user_id.clone(),
                        visibility: visibility.as_str().into(),
                        body: text.clone(),
                        created_at: now.naive_utc(),
                        from_reporter,
                    };
                    comments::insert(conn, &c)?;
                    if visibility == CommentVisibility::Public
                        && !from_reporter
                        && t.first_response_at.is_none()
                    {
                        t.first_response_at = Some(now.naive_utc());
                    }
                    let data = json!({ "comment_id": c.id, "visibility": c.visibility, "body": c.body, "from_reporter": from_reporter });
                    added = Some(c);
                    Ok(Applied::Action {
                        verb: "commented",
                        data,
                    })
                },
            )?;
            let c = added.ok_or_else(|| AppError::Internal(anyhow::anyhow!("comment not added")))?;
            // The reporter answered: the wait is over (SLA.md pause policy).
            if from_reporter && saved.ticket.status == TicketStatus::Pending.as_str() {
                let comment_id = c.id.clone();
                self.change_ticket(conn, By::User(actor), &saved.ticket.id, None, now, |_, _, t| {
                    t.status = TicketStatus::InProgress.as_str().into();
                    t.pending_since = None;
                    t.pending_reason = None;
                    Ok(Applied::Action {
                        verb: "resumed",
                        data: json!({ "reason": "reporter_replied", "comment_id": comment_id }),
                    })
                })?;
            }
            Ok(c)
        })
    }

    /// Moves one open ticket to the current version of its policy (supervisors).
    pub fn rebaseline_ticket(
        &self,
        actor: &Actor,
        id: &str,
        reason_text: &str,
    ) -> AppResult<TicketView> {
        require_supervisor(actor)?;
        let reason_text = reason("reason", reason_text, 2000)?;
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
        let reason_text = reason("reason", reason_text, 2000)?;
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
        self.write(|conn| {
            if !crate::db::claim_due_ticket(
                conn,
                id,
                owner,
                now.naive_utc(),
                lease_until.naive_utc(),
            )? {
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
        })
    }

    /// Holds a ticket whose processing failed away from every scheduler until `until`.
    pub fn sla_hold(
        &self,
        id: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> AppResult<()> {
        self.write(|conn| {
            Ok(q::claim(
                conn,
                id,
                owner,
                now.naive_utc(),
                until.naive_utc(),
            )?)
        })
        .map(|_| ())
    }

    /// Ticket ids whose next SLA check is due at `now`, earliest first.
    pub fn due_tickets(&self, now: DateTime<Utc>, limit: i64) -> AppResult<Vec<String>> {
        self.read(|conn| Ok(q::due_tickets(conn, now.naive_utc(), limit)?))
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

/// The fields of a PATCH, checked and applied to `t`.
fn patch_fields(t: &mut Ticket, p: &PatchTicket, now: DateTime<Utc>) -> AppResult<()> {
    let mut e = Errors::new();
    if let Some(v) = &p.title {
        t.title = e.line("title", v, 1, 200);
    }
    if let Some(v) = &p.description {
        t.description = e.text("description", v, 0, 20_000);
    }
    if let Some(r) = &p.reporter {
        let r = check_reporter(&mut e, r);
        t.reporter_name = r.name;
        t.reporter_email = r.email;
        t.reporter_phone = r.phone;
    }
    if let Some(c) = p.classification {
        t.classification = c.as_str().into();
    }
    if let Some(i) = p.impact {
        t.impact = i.as_str().into();
    }
    if let Some(u) = p.urgency {
        t.urgency = u.as_str().into();
    }
    match p.priority {
        Some(Some(prio)) => {
            t.priority = prio.as_str().into();
            t.priority_overridden = true;
        }
        Some(None) => t.priority_overridden = false,
        None => {}
    }
    if !t.priority_overridden {
        let (Some(i), Some(u)) = (Level::parse(&t.impact), Level::parse(&t.urgency)) else {
            return Err(AppError::corrupt(
                "ticket",
                format!("{} has invalid impact/urgency", t.id),
            ));
        };
        t.priority = priority::matrix(i, u).as_str().into();
    }
    match &p.outage {
        Some(Some(o)) => {
            let (s, end) = check_outage(&mut e, &t.kind, o, now);
            t.outage_start = Some(s.naive_utc());
            t.outage_end = end.map(|x| x.naive_utc());
        }
        Some(None) => {
            t.outage_start = None;
            t.outage_end = None;
        }
        None => {}
    }
    e.finish()?;
    Ok(())
}

fn past_tense(a: Action) -> &'static str {
    match a {
        Action::Acknowledge => "acknowledged",
        Action::Comment => "commented",
        Action::Assign => "assigned",
        Action::Escalate => "escalated",
        Action::Pause => "paused",
        Action::Resume => "resumed",
        Action::Resolve => "resolved",
        Action::Close => "closed",
        Action::Reopen => "reopened",
        Action::Cancel => "cancelled",
        Action::Edit => "updated",
    }
}

fn check_assignee(conn: &mut DbConn, t: &Ticket, uid: &str) -> AppResult<()> {
    let bad = |m: &str| AppError::field("assignee_id", m);
    let user = users::get(conn, uid)?.ok_or_else(|| bad("no such user"))?;
    if !user.active {
        return Err(bad("the user is inactive"));
    }
    let role = Role::parse(&user.role).ok_or_else(|| bad("the user has no valid role"))?;
    let mut orgs = vec![user.organization_id.clone()];
    if role == Role::Technician {
        orgs.extend(organizations::children(conn, &user.organization_id)?);
    }
    let tier = u8::try_from(t.tier).unwrap_or(2);
    scope::can_be_assignee(role, &orgs, &t.organization_id, tier).map_err(|m| bad(&m))
}

/// Audit events for what the daemon did on its own (actor: none), in the caller's
/// transaction.
fn record_system(
    conn: &mut DbConn,
    ticket_id: &str,
    events: Vec<SystemEvent>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for ev in events {
        audit::record(
            conn,
            audit::Record {
                at: now,
                actor_id: None,
                entity_type: "ticket",
                entity_id: ticket_id,
                ticket_id: Some(ticket_id),
                action: ev.action,
                changes: &ev.changes,
                data: ev.data,
            },
        )?;
    }
    Ok(())
}
