//! Tickets: create (with Idempotency-Key), list (filters, cursor), get, patch (If-Match),
//! and the audit trail of one ticket.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::dto::{EventDto, TicketDto};
use super::extract::{JsonBody, StrictQuery};
use super::{page_at, time_cursor, Page, PageQuery, State};
use crate::app::tickets::{CreateTicket, PatchTicket};
use crate::db::queries::tickets::TicketFilter;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{Priority, TicketKind};
use crate::routes::error::{ApiError, ApiResult, Problem};

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

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets",
    request_body = CreateTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe creation: the same key from the same user returns the first ticket")),
    responses((status = 201, body = TicketDto), (status = 200, description = "Replay of an Idempotency-Key", body = TicketDto),
        (status = 404, description = "Replay of an Idempotency-Key whose ticket the caller may no longer see", body = Problem),
        (status = 422, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    req: HttpRequest,
    body: JsonBody<CreateTicket>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let hash = request_hash(&body.raw);
    let input = body.value;
    let (view, replayed) = state
        .call(move |app| {
            let idem = key.as_deref().map(|k| (k, hash.as_str()));
            app.create_ticket(&actor, &input, idem)
        })
        .await?;
    let ticket = TicketDto::new(&view, state.app.now());
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

/// A ticket as the response body, with its version as the ETag.
pub(crate) fn ticket_response(
    state: &State,
    view: &crate::app::tickets::TicketView,
) -> HttpResponse {
    let t = TicketDto::new(view, state.app.now());
    HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", t.version)))
        .json(t)
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, description = "Ticket UUID or number such as SD-2026-000123")),
    responses((status = 200, body = TicketDto), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let v = state.call(move |app| app.ticket(&actor, &id)).await?;
    Ok(ticket_response(&state, &v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `new,in_progress`.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 2)]
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
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$")]
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
    let page = page_at(&mut e, q.limit, q.cursor.as_deref());
    let limit = page.limit;
    let after = page.after_time().map(|(at, id)| (at, id.to_string()));
    let text =
        q.q.as_deref()
            .map(|s| e.text("q", s, crate::domain::validate::SEARCH));
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
    let page = state.call(move |app| app.tickets(&actor, &filter)).await?;
    let now = state.app.now();
    Ok(HttpResponse::Ok().json(TicketPage {
        items: page.items.iter().map(|v| TicketDto::new(v, now)).collect(),
        next_cursor: page
            .more_after
            .as_ref()
            .map(|t| time_cursor(t.created_at, &t.id)),
    }))
}

/// The version in an If-Match value: `3`, `"3"` or `W/"3"` (up to 9 digits), exactly what
/// the document's pattern for the header says.
fn if_match_version(s: &str) -> Option<i32> {
    let tag = s.strip_prefix("W/").unwrap_or(s);
    let digits = match tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(d) => d,
        None if tag.len() == s.len() => s,
        None => return None,
    };
    let ok = (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse().ok()).flatten()
}

/// The version a write is based on: `If-Match` or the body's `version`; both must agree.
pub(crate) fn expected_version(req: &HttpRequest, body: Option<i32>) -> ApiResult<Option<i32>> {
    let header = match req.headers().get(header::IF_MATCH) {
        None => None,
        Some(v) => {
            let s = v.to_str().unwrap_or("").trim();
            Some(if_match_version(s).ok_or_else(|| {
                ApiError::BadRequest(
                    "If-Match must carry the version you read, e.g. If-Match: \"3\"".into(),
                )
            })?)
        }
    };
    match (header, body) {
        // At most one of two different versions can be current, so the other is stale.
        (Some(h), Some(b)) if h != b => Err(ApiError::Conflict(format!(
            "If-Match says version {h} and the body version {b}: they cannot both be the version you read"
        ))),
        (h, b) => Ok(h.or(b)),
    }
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", request_body = PatchTicket,
    params(("id" = String, Path, description = "Ticket UUID or number"),
           ("If-Match" = Option<String>, Header, description = "The version you read")),
    responses((status = 200, body = TicketDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchTicket>,
) -> ApiResult<HttpResponse> {
    let p = body.value;
    let expected = expected_version(&req, p.version)?;
    let id = id.into_inner();
    let v = state
        .call(move |app| app.patch_ticket(&actor, &id, expected, &p))
        .await?;
    Ok(ticket_response(&state, &v))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets",
    params(("id" = String, Path, description = "Ticket UUID or number"), PageQuery),
    responses((status = 200, description = "The ticket's audit trail, oldest first", body = Page<EventDto>), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn events(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    q: StrictQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let page = q.0.check()?;
    let events = state
        .call(move |app| app.ticket_events(&actor, &id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(super::dto::event_page(events)?))
}
