//! Creating a ticket: where it belongs, its number, its SLA policy, and repeat-safe
//! creation with an idempotency key.

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{record_system, scope_of, TicketView};
use crate::app::notify::{self, BatchLookups, Happened};
use crate::app::sla;
use crate::app::{new_id, record, App, AppError, AppResult};
use crate::db::models::{IdempotencyKey, Service, Ticket};
use crate::db::queries::{audit, idempotency, tickets};
use crate::db::DbConn;
use crate::domain::audit::Changes;
use crate::domain::scope::{self, Actor};
use crate::domain::validate::Errors;
use crate::domain::{
    number, priority, Classification, Level, OrgKind, Priority, Role, TicketKind, TicketStatus,
};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterIn {
    /// The pelapor's name (PD staff, citizen or business).
    #[schema(schema_with = crate::domain::validate::schema::title)]
    pub name: String,
    #[schema(schema_with = crate::domain::validate::schema::email_or_null)]
    pub email: Option<String>,
    #[schema(schema_with = crate::domain::validate::schema::phone_or_null)]
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
    #[schema(schema_with = crate::domain::validate::schema::title)]
    pub title: String,
    #[serde(default)]
    #[schema(schema_with = crate::domain::validate::schema::description)]
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

pub(crate) struct Reporter {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub(crate) fn check_reporter(e: &mut Errors, r: &ReporterIn) -> Reporter {
    Reporter {
        name: e.text("reporter.name", &r.name, crate::domain::validate::TITLE),
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
/// What a creation checked and looked up before its write: all it reads that it need not
/// read under the write lock.
struct Draft {
    id: String,
    title: String,
    description: String,
    reporter: Reporter,
    reported_at: Option<DateTime<Utc>>,
    outage: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    service: Option<Service>,
    owning: String,
    reporter_org: String,
    /// The year and sequence of a number taken before the write (`tickets::reserve_number`).
    number: Option<(i32, i64)>,
}

impl App {
    /// Creates a ticket. With an idempotency key (and the request's fingerprint), a repeat
    /// from the same user answers with the first ticket (`true`) while the user may still
    /// see it, and a repeat with a different request is a conflict.
    ///
    /// The request is checked, and what its notices will look up is read, before the write
    /// transaction: on SQLite, writers take turns, and a turn should only number and write.
    /// Bad input never takes a turn. The SLA policy is still read in the turn, so a
    /// creation never pins a version that a concurrent policy change has replaced.
    pub fn create_ticket(
        &self,
        actor: &Actor,
        input: &CreateTicket,
        idempotency: Option<(&str, &str)>,
    ) -> AppResult<(TicketView, bool)> {
        scope::check_create(actor)?;
        self.db
            .in_write_slot(|| self.create_ticket_in_slot(actor, input, idempotency))
    }

    fn create_ticket_in_slot(
        &self,
        actor: &Actor,
        input: &CreateTicket,
        idempotency: Option<(&str, &str)>,
    ) -> AppResult<(TicketView, bool)> {
        // Remembered on this thread until the creation is answered (a creation changes no
        // user, organization or service); the write runs on this thread too.
        let lookups = BatchLookups::begin(&self.recent_directory);
        let draft = self.read(|conn| -> AppResult<Result<Draft, TicketView>> {
            if let Some((key, hash)) = idempotency {
                if let Some(t) = self.replay(conn, actor, key, hash)? {
                    return Ok(Err(self.view(conn, t)?));
                }
            }
            let mut draft = self.draft(conn, actor, input)?;
            let t = new_ticket(&draft, actor, input, self.now(), String::new());
            lookups.no_participants(&t.id);
            self.prefetch_notices(conn, &t, Some(actor), &["created"])?;
            let year = self.number_year(self.now());
            draft.number =
                tickets::reserve_number(conn, &self.counter_scope(year))?.map(|seq| (year, seq));
            Ok(Ok(draft))
        })?;
        let draft = match draft {
            Ok(d) => d,
            Err(replayed) => return Ok((replayed, true)),
        };
        // A concurrent request with the same key fails its insert of the key; the retry
        // in `write` then finds the winner's ticket here.
        self.write(|conn| {
            if let Some((key, hash)) = idempotency {
                if let Some(t) = self.replay(conn, actor, key, hash)? {
                    return Ok((self.view(conn, t)?, true));
                }
            }
            // On PostgreSQL its inserts go as one statement (`db::deferred`).
            crate::db::deferred::deferred(conn, |conn| {
                self.create_tx(conn, actor, input, &draft, idempotency)
            })
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

    /// Checks the request and finds where the ticket belongs.
    fn draft(&self, conn: &mut DbConn, actor: &Actor, input: &CreateTicket) -> AppResult<Draft> {
        let now = self.now();
        let mut e = Errors::new();
        let title = e.text("title", &input.title, crate::domain::validate::TITLE);
        let description = e.text(
            "description",
            &input.description,
            crate::domain::validate::DESCRIPTION,
        );
        let reporter = check_reporter(&mut e, &input.reporter);
        let reported_at = input.reported_at.map(|r| {
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
        });
        let outage = input
            .outage
            .as_ref()
            .map(|o| check_outage(&mut e, input.kind.as_str(), o, now));
        // Where the ticket belongs (Makassar Ps 1 angka 41: the service's owning PD).
        let service = match &input.service_id {
            Some(id) => match notify::service(conn, id)? {
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
            match notify::organization(conn, org_id)? {
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
                if notify::organization(conn, r)?.is_none() {
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

        Ok(Draft {
            id: new_id(),
            title,
            description,
            reporter,
            reported_at,
            outage,
            service,
            owning,
            reporter_org,
            number: None,
        })
    }

    /// The year a ticket created at `now` is numbered in: the desk's local year.
    fn number_year(&self, now: DateTime<Utc>) -> i32 {
        now.with_timezone(&self.ticket_tz).year()
    }

    fn counter_scope(&self, year: i32) -> String {
        number::counter_scope(&self.settings.tickets.number_prefix, year)
    }

    fn create_tx(
        &self,
        conn: &mut DbConn,
        actor: &Actor,
        input: &CreateTicket,
        draft: &Draft,
        idempotency: Option<(&str, &str)>,
    ) -> AppResult<TicketView> {
        let now = self.now();
        let service_policy = draft.service.as_ref().and_then(|s| s.sla_policy_id.clone());
        let mut ticket = new_ticket(draft, actor, input, now, String::new());
        if let Some(ctx) = self
            .sla
            .policy_for_new_ticket(conn, service_policy.as_deref())?
        {
            sla::pin(&mut ticket, &ctx);
        }
        // The SLA clocks start before the row is written, so the ticket is inserted once,
        // whole. A ticket back-dated past its Tier 1 window escalates here; its "created"
        // event still shows it as it was created, and the escalation follows it.
        let mut created = ticket.clone();
        let synced = sla::sync(conn, &self.sla, None, &mut ticket, now)?;
        if record::ticket(&ticket) != record::ticket(&created) {
            ticket.version = created.version + 1;
        }
        // A number taken ahead is used unless the year turned since; one taken here comes
        // last before the inserts, as its counter's row stays locked to the commit.
        let year = self.number_year(now);
        let seq = match draft.number {
            Some((y, seq)) if y == year => seq,
            _ => tickets::next_number(conn, &self.counter_scope(year))?,
        };
        ticket.number = number::format(&self.settings.tickets.number_prefix, year, seq);
        created.number.clone_from(&ticket.number);
        tickets::insert(conn, &ticket)?;
        synced.writes.save(conn)?;
        if let Some((key, hash)) = idempotency {
            idempotency::insert(
                conn,
                &IdempotencyKey {
                    user_id: actor.user_id.clone(),
                    idempotency_key: key.to_string(),
                    request_hash: hash.to_string(),
                    ticket_id: ticket.id.clone(),
                    created_at: now.naive_utc(),
                },
            )?;
        }
        let changes = Changes::diff(
            &Value::Null,
            &record::ticket(&created),
            record::TICKET_IGNORED,
        );
        let created_id = audit::record_first(
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
        let mut happened: Vec<Happened> = Happened::from_audit("created", created_id, json!({}))
            .into_iter()
            .collect();
        happened.extend(record_system(conn, &ticket.id, synced.system, now)?);
        self.enqueue_notices(
            conn,
            &ticket,
            synced.sla.as_ref(),
            Some(actor),
            happened,
            now,
        )?;
        Ok(TicketView {
            ticket,
            sla: synced.sla,
        })
    }
}

/// The ticket a creation writes, before its SLA policy is pinned and its clocks start.
fn new_ticket(
    draft: &Draft,
    actor: &Actor,
    input: &CreateTicket,
    now: DateTime<Utc>,
    number: String,
) -> Ticket {
    let impact = input.impact.unwrap_or(Level::Medium);
    let urgency = input.urgency.unwrap_or(Level::Medium);
    let prio = input
        .priority
        .unwrap_or_else(|| priority::matrix(impact, urgency));
    let n = now.naive_utc();
    Ticket {
        id: draft.id.clone(),
        number,
        organization_id: draft.owning.clone(),
        reporter_organization_id: draft.reporter_org.clone(),
        service_id: draft.service.as_ref().map(|s| s.id.clone()),
        kind: input.kind.as_str().into(),
        impact: impact.as_str().into(),
        urgency: urgency.as_str().into(),
        priority: prio.as_str().into(),
        priority_overridden: input.priority.is_some(),
        status: TicketStatus::New.as_str().into(),
        tier: 1,
        assignee_id: None,
        title: draft.title.clone(),
        description: draft.description.clone(),
        classification: input
            .classification
            .unwrap_or(Classification::Normal)
            .as_str()
            .into(),
        reporter_name: draft.reporter.name.clone(),
        reporter_email: draft.reporter.email.clone(),
        reporter_phone: draft.reporter.phone.clone(),
        reported_at: draft.reported_at.unwrap_or(now).naive_utc(),
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
        outage_start: draft.outage.map(|o| o.0.naive_utc()),
        outage_end: draft.outage.and_then(|o| o.1).map(|x| x.naive_utc()),
        version: 1,
        sla_policy_id: None,
        sla_policy_version: None,
        sla_calendar_id: None,
        sla_calendar_version: None,
        sla_breached: false,
        pending_since: None,
        pending_reason: None,
        sla_next_at: None,
        sla_due_at: None,
        anonymised_at: None,
    }
}
