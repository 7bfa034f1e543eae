//! Tickets: create (with Idempotency-Key), list (filters, cursor), get, patch (If-Match),
//! and the audit trail of one ticket.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::dto::{EventDto, TicketDto, AUDIT_IGNORED};
use super::extract::{double_option, JsonBody, StrictQuery};
use super::{new_id, path_id, AppState, State};
use crate::db::models::{IdempotencyKey, Ticket};
use crate::db::queries::tickets::TicketFilter;
use crate::db::queries::{audit, idempotency, organizations, services, tickets};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::{self, Actor, TicketScope};
use crate::domain::ticket::{self as machine, Action};
use crate::domain::validate::Errors;
use crate::domain::{number, priority, Classification, Level, OrgKind, Priority, TicketKind};
use crate::engine;
use crate::error::{ApiError, ApiResult, Problem};

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

#[derive(Debug, Deserialize, ToSchema)]
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

fn request_hash(raw: &[u8]) -> String {
    hex::encode(Sha256::digest(raw))
}

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(v) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 printable ASCII characters".into(),
            )
        })?;
    Ok(Some(key.to_string()))
}

/// A replay of an earlier creation, if this user already sent this key.
fn replay(conn: &mut DbConn, actor: &Actor, key: &str, hash: &str) -> ApiResult<Option<Ticket>> {
    let Some(row) = idempotency::find(conn, &actor.user_id, key)? else {
        return Ok(None);
    };
    if row.request_hash != hash {
        return Err(ApiError::Conflict(
            "this Idempotency-Key was already used with a different request body".into(),
        ));
    }
    Ok(tickets::get(conn, &row.ticket_id)?)
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets",
    request_body = CreateTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe creation: the same key from the same user returns the first ticket")),
    responses((status = 201, body = TicketDto), (status = 200, description = "Replay of an Idempotency-Key", body = TicketDto),
        (status = 422, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    req: HttpRequest,
    body: JsonBody<CreateTicket>,
) -> ApiResult<HttpResponse> {
    scope::check_create(&actor)?;
    let key = idempotency_key(&req)?;
    let hash = request_hash(&body.raw);
    let input = body.value;
    let st = state.clone();
    let (a2, k2, h2) = (actor.clone(), key.clone(), hash.clone());
    let result = state
        .write(move |conn| create_tx(conn, &st, &a2, k2.as_deref(), &h2, input))
        .await;
    let (ticket, replayed) = match (result, key) {
        (Ok(r), _) => r,
        // Two requests with one key raced and the other committed first: answer with its
        // ticket, as if this request had come second.
        (Err(e), Some(key)) => {
            let st = state.clone();
            let found = state
                .read(move |conn| match replay(conn, &actor, &key, &hash)? {
                    Some(t) => view(conn, &st, &t).map(Some),
                    None => Ok(None),
                })
                .await?;
            match found {
                Some(t) => (t, true),
                None => return Err(e),
            }
        }
        (Err(e), None) => return Err(e),
    };
    let status = if replayed {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CREATED
    };
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, format!("/api/v1/tickets/{}", ticket.id)))
        .insert_header((header::ETAG, format!("\"{}\"", ticket.version)))
        .insert_header((
            "Idempotent-Replayed",
            if replayed { "true" } else { "false" },
        ))
        .json(ticket))
}

fn create_tx(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    key: Option<&str>,
    hash: &str,
    input: CreateTicket,
) -> ApiResult<(TicketDto, bool)> {
    if let Some(key) = key {
        if let Some(t) = replay(conn, actor, key, hash)? {
            return Ok((view(conn, state, &t)?, true));
        }
    }
    let now = state.now();
    let mut e = Errors::new();
    let title = e.line("title", &input.title, 1, 200);
    let description = e.text("description", &input.description, 0, 20_000);
    let reporter = check_reporter(&mut e, &input.reporter);
    let reported_at = match input.reported_at {
        None => now,
        Some(r) => {
            let r = crate::clock::truncate_micros(r.with_timezone(&Utc));
            let limit = state.settings.tickets.max_backdate_days;
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
        (None, None) if actor.role == crate::domain::Role::Technician => {
            Some(actor.organization_id.clone())
        }
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
                if actor.role == crate::domain::Role::Technician
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
        None if actor.role == crate::domain::Role::Technician => {
            Some(actor.organization_id.clone())
        }
        None => owning.clone(),
    };
    e.finish()?;
    let (Some(owning), Some(reporter_org)) = (owning, reporter_org) else {
        return Err(ApiError::field(
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
    let local_year = now.with_timezone(&state.ticket_tz).year();
    let prefix = &state.settings.tickets.number_prefix;
    let seq = tickets::next_number(conn, &number::counter_scope(prefix, local_year))?;
    let n = now.naive_utc();
    let ticket = Ticket {
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
        status: crate::domain::TicketStatus::New.as_str().into(),
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
    let mut ticket = ticket;
    if let Some(ctx) = state
        .sla
        .policy_for_new_ticket(conn, service_policy.as_deref())?
    {
        engine::pin(&mut ticket, &ctx);
    }
    tickets::insert(conn, &ticket)?;
    if let Some(key) = key {
        idempotency::insert(
            conn,
            &IdempotencyKey {
                user_id: actor.user_id.clone(),
                idempotency_key: key.to_string(),
                request_hash: hash.to_string(),
                ticket_id: ticket.id.clone(),
                created_at: n,
            },
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict("concurrent request with the same Idempotency-Key".into())
            } else {
                e.into()
            }
        })?;
    }
    let changes = Changes::diff(
        &serde_json::Value::Null,
        &TicketDto::audit_value(&ticket)?,
        AUDIT_IGNORED,
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
            data: json!({ "idempotency_key": key }),
        },
    )?;
    // Starts the SLA clocks; a ticket back-dated past its Tier 1 window escalates here.
    let created = ticket.clone();
    let synced = engine::sync(conn, &state.sla, None, &mut ticket, now)?;
    engine::save_automatic(conn, &created, &mut ticket, synced.system, now)?;
    Ok((TicketDto::from(&ticket).with_targets(synced.targets), false))
}

/// The API view of a ticket, with its SLA targets as of now.
pub(crate) fn view(conn: &mut DbConn, state: &AppState, t: &Ticket) -> ApiResult<TicketDto> {
    let mut views = engine::views_for(conn, &state.sla, std::slice::from_ref(t), state.now())?;
    Ok(TicketDto::from(t).with_targets(views.remove(&t.id).unwrap_or_default()))
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

/// Loads a ticket by UUID or number if `actor` may see it; 404 otherwise, so that a
/// ticket outside the caller's scope is indistinguishable from one that does not exist.
pub(crate) fn load_visible(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<Ticket> {
    let not_found = || ApiError::NotFound(format!("no ticket {id}"));
    let id = path_id(id).map_err(|_| not_found())?;
    let found = if number::looks_like_number(id) {
        tickets::by_number(conn, id)?
    } else if uuid::Uuid::parse_str(id).is_ok() {
        tickets::get(conn, id)?
    } else {
        None
    };
    match found {
        Some(t) if scope::can_view(actor, &scope_of(&t)) => Ok(t),
        _ => Err(not_found()),
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "Ticket UUID or number such as SD-2026-000123")),
    responses((status = 200, body = TicketDto), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let st = state.clone();
    let t = state
        .read(move |conn| {
            let t = load_visible(conn, &actor, &id)?;
            view(conn, &st, &t)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", t.version)))
        .json(t))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `new,in_progress`.
    pub status: Option<String>,
    pub tier: Option<i32>,
    pub organization_id: Option<String>,
    pub service_id: Option<String>,
    /// Comma-separated priorities.
    pub priority: Option<String>,
    /// Comma-separated kinds.
    pub kind: Option<String>,
    pub assignee_id: Option<String>,
    /// `true`: only tickets with a breached SLA target; `false`: only without.
    pub breached: Option<bool>,
    /// Case-insensitive text in the title, description or number.
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketDto>,
    pub next_cursor: Option<String>,
}

fn csv_values<T>(
    e: &mut Errors,
    field: &str,
    raw: &Option<String>,
    parse: fn(&str) -> Option<T>,
    expected: String,
) -> Vec<String> {
    let Some(raw) = raw else { return vec![] };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| match parse(s) {
            Some(_) => Some(s.to_string()),
            None => {
                e.add(
                    field,
                    format!("unknown value {s:?}; expected one of {expected}"),
                );
                None
            }
        })
        .collect()
}

fn encode_cursor(t: &Ticket) -> String {
    format!("{}_{}", t.created_at.and_utc().timestamp_micros(), t.id)
}

fn decode_cursor(s: &str) -> Option<(chrono::NaiveDateTime, String)> {
    let (micros, id) = s.split_once('_')?;
    uuid::Uuid::parse_str(id).ok()?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at.naive_utc(), id.to_string()))
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListQuery),
    responses((status = 200, body = TicketPage), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    state: State,
    actor: Actor,
    query: StrictQuery<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.0;
    let mut e = Errors::new();
    let status = csv_values(
        &mut e,
        "status",
        &q.status,
        crate::domain::TicketStatus::parse,
        crate::domain::TicketStatus::expected(),
    );
    let prio = csv_values(
        &mut e,
        "priority",
        &q.priority,
        Priority::parse,
        Priority::expected(),
    );
    let kind = csv_values(
        &mut e,
        "kind",
        &q.kind,
        TicketKind::parse,
        TicketKind::expected(),
    );
    if q.tier.is_some_and(|t| !(1..=2).contains(&t)) {
        e.add("tier", "must be 1 or 2");
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        e.add("limit", "must be between 1 and 200");
    }
    let after = match &q.cursor {
        Some(c) => {
            let d = decode_cursor(c);
            if d.is_none() {
                e.add("cursor", "is not a cursor returned by this endpoint");
            }
            d
        }
        None => None,
    };
    let text = q.q.as_deref().map(|s| e.line("q", s, 1, 200));
    e.finish()?;
    let filter = TicketFilter {
        status,
        tier: q.tier,
        organization_id: q.organization_id,
        service_id: q.service_id,
        priority: prio,
        kind,
        assignee_id: q.assignee_id,
        breached: q.breached,
        q: text,
        after,
        limit,
    };
    let st = state.clone();
    let page = state
        .read(move |conn| {
            let mut rows = tickets::list(conn, &actor, &filter)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next_cursor = if more {
                rows.last().map(encode_cursor)
            } else {
                None
            };
            let mut views = engine::views_for(conn, &st.sla, &rows, st.now())?;
            let items = rows
                .iter()
                .map(|t| TicketDto::from(t).with_targets(views.remove(&t.id).unwrap_or_default()))
                .collect();
            Ok(TicketPage { items, next_cursor })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema)]
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

/// The version a write is based on: `If-Match` or the body's `version`; both must agree.
pub(crate) fn expected_version(req: &HttpRequest, body: Option<i32>) -> ApiResult<Option<i32>> {
    let header = match req.headers().get(header::IF_MATCH) {
        None => None,
        Some(v) => {
            let s = v.to_str().unwrap_or("").trim();
            let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
            Some(s.parse::<i32>().map_err(|_| {
                ApiError::BadRequest(
                    "If-Match must carry the ticket version, e.g. If-Match: \"3\"".into(),
                )
            })?)
        }
    };
    match (header, body) {
        (Some(h), Some(b)) if h != b => Err(ApiError::field("version", "differs from If-Match")),
        (h, b) => Ok(h.or(b)),
    }
}

pub(crate) fn check_version(expected: Option<i32>, t: &Ticket) -> ApiResult<()> {
    match expected {
        Some(v) if v != t.version => Err(ApiError::Conflict(format!(
            "the ticket was changed by someone else: you sent version {v}, it is now at version {}; reload and retry",
            t.version
        ))),
        _ => Ok(()),
    }
}

/// Saves a changed ticket with its audit event, in the caller's transaction, after the SLA
/// engine has moved the clocks (and possibly changed the ticket on its own, which is
/// recorded as separate events by the daemon). Returns the API view of the saved ticket.
#[allow(clippy::too_many_arguments)]
pub(crate) fn save(
    conn: &mut DbConn,
    state: &AppState,
    actor_id: Option<&str>,
    before: &Ticket,
    after: &mut Ticket,
    action: &str,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> ApiResult<TicketDto> {
    let by_actor = after.clone();
    let synced = engine::sync(conn, &state.sla, Some(before), after, now)?;
    after.updated_at = now.naive_utc();
    after.version = before.version + 1;
    if !tickets::update_versioned(conn, after, before.version)? {
        return Err(ApiError::Conflict(
            "the ticket was changed by someone else meanwhile; reload and retry".into(),
        ));
    }
    let changes = Changes::diff(
        &TicketDto::audit_value(before)?,
        &TicketDto::audit_value(&by_actor)?,
        AUDIT_IGNORED,
    );
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id,
            entity_type: "ticket",
            entity_id: &after.id,
            ticket_id: Some(&after.id),
            action,
            changes: &changes,
            data,
        },
    )?;
    engine::record_system(conn, &after.id, synced.system, now)?;
    Ok(TicketDto::from(&*after).with_targets(synced.targets))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", request_body = PatchTicket,
    params(("id" = String, Path, description = "Ticket UUID or number"),
           ("If-Match" = Option<String>, Header, description = "The version you read")),
    responses((status = 200, body = TicketDto), (status = 409, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchTicket>,
) -> ApiResult<HttpResponse> {
    let p = body.value;
    let expected = expected_version(&req, p.version)?.ok_or_else(|| {
        ApiError::PreconditionRequired(
            "send the version you read, as If-Match or \"version\"".into(),
        )
    })?;
    let id = id.into_inner();
    let st = state.clone();
    let t = state
        .write(move |conn| {
            let now = st.now();
            let before = load_visible(conn, &actor, &id)?;
            scope::check_act(&actor, &scope_of(&before), Action::Edit)?;
            check_version(Some(expected), &before)?;
            machine::apply(machine_state(&before), Action::Edit)?;
            let mut t = before.clone();
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
                    return Err(ApiError::Internal(anyhow::anyhow!(
                        "ticket {} has invalid impact/urgency",
                        t.id
                    )));
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
            if t == before {
                return view(conn, &st, &before);
            }
            save(
                conn,
                &st,
                Some(&actor.user_id),
                &before,
                &mut t,
                "updated",
                json!({}),
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", t.version)))
        .json(t))
}

pub(crate) fn machine_state(t: &Ticket) -> machine::State {
    machine::State {
        status: crate::domain::TicketStatus::parse(&t.status)
            .unwrap_or(crate::domain::TicketStatus::Closed),
        tier: u8::try_from(t.tier).unwrap_or(2),
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets",
    params(("id" = String, Path, description = "Ticket UUID or number")),
    responses((status = 200, description = "The ticket's audit trail, oldest first", body = [EventDto]), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn events(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let events = state
        .read(move |conn| {
            let t = load_visible(conn, &actor, &id)?;
            audit::for_ticket(conn, &t.id)?
                .into_iter()
                .map(EventDto::try_from)
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(events))
}
