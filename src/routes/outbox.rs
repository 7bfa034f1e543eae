//! The mail outbox for the admin: what was sent, what waits, what is dead and why; retries.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::utc;
use super::extract::{JsonBody, StrictQuery};
use super::{page_at, path_id, time_cursor, State};
use crate::db::models::OutboxRow;
use crate::db::queries::outbox::OutboxFilter;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::routes::error::{ApiResult, Problem};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    Queued,
    Sent,
    Dead,
}

impl OutboxStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Dead => "dead",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    #[param(inline)]
    pub status: Option<OutboxStatus>,
    /// A ticket's UUID.
    pub ticket_id: Option<String>,
    /// An exact address.
    pub recipient: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxDto {
    pub id: String,
    pub ticket_id: Option<String>,
    /// created, assigned, escalated, sla_warned, sla_breached, paused, resolved, reopened,
    /// closed, commented; report (the monthly report); sign_in (a console sign-in link).
    pub event: String,
    pub recipient: String,
    pub subject: String,
    pub message_id: String,
    /// `queued`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    /// Not sent before this instant (a notice waiting for working hours).
    pub not_before: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    /// The mail server's last answer when a send failed (a refused recipient stays visible
    /// here).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxDto {
    fn from(r: OutboxRow) -> Self {
        OutboxDto {
            id: r.id,
            ticket_id: r.ticket_id,
            event: r.event,
            recipient: r.recipient,
            subject: r.subject,
            message_id: r.message_id,
            status: r.status,
            attempts: r.attempts,
            not_before: utc(r.not_before),
            next_attempt_at: utc(r.next_attempt_at),
            last_error: r.last_error,
            created_at: utc(r.created_at),
            sent_at: r.sent_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxPage {
    pub items: Vec<OutboxDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {}

#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    /// How many dead messages went back into the queue.
    pub requeued: usize,
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "mail", params(OutboxQuery),
    description = "Admins: the mail outbox, newest first.",
    responses((status = 200, body = OutboxPage), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    state: State,
    actor: Actor,
    query: StrictQuery<OutboxQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.0;
    let mut e = Errors::new();
    let page = page_at(&mut e, q.limit, q.cursor.as_deref());
    let limit = page.limit;
    let before = page.after_time().map(|(at, id)| (at, id.to_string()));
    e.finish()?;
    let filter = OutboxFilter {
        status: q.status.map(|s| s.as_str().to_string()),
        ticket_id: q.ticket_id,
        recipient: q.recipient,
        before,
        limit,
    };
    let mut rows = state.call(move |app| app.outbox(&actor, &filter)).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = if more {
        rows.last().map(|r| time_cursor(r.created_at, &r.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(OutboxPage {
        items: rows.into_iter().map(OutboxDto::from).collect(),
        next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "mail", request_body = RetryBody,
    params(("id" = String, Path)),
    description = "Admins: sends a dead message again (it goes back into the queue, due now).",
    responses((status = 200, body = Requeued), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn retry(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    _body: JsonBody<RetryBody>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let n = state
        .call(move |app| app.retry_outbox(Some(&actor), Some(&id)))
        .await?;
    Ok(HttpResponse::Ok().json(Requeued { requeued: n }))
}

#[utoipa::path(post, path = "/api/v1/outbox/retry-dead", tag = "mail", request_body = RetryBody,
    description = "Admins: puts every dead message back into the queue.",
    responses((status = 200, body = Requeued), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn retry_dead(
    state: State,
    actor: Actor,
    _body: JsonBody<RetryBody>,
) -> ApiResult<HttpResponse> {
    let n = state
        .call(move |app| app.retry_outbox(Some(&actor), None))
        .await?;
    Ok(HttpResponse::Ok().json(Requeued { requeued: n }))
}
