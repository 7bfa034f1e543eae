//! `POST /api/v1/tickets/{id}/{action}`: each action is parsed, checked against scope and
//! the state machine, and saved with its audit event in one transaction.

use super::extract::StrictQuery;
use super::{time_cursor, Page, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{CommentDto, TicketDto};
use super::extract::JsonBody;
use super::tickets::{expected_version, ticket_response};
use super::State;
use crate::app::tickets::{CommentBody, TicketAction};
use crate::domain::scope::Actor;
use crate::routes::error::{ApiResult, Problem};

/// A body with only the optional version (acknowledge, resume, close).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    /// The version you read; or send `If-Match`. Optional for actions.
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[schema(schema_with = crate::domain::validate::schema::reason)]
    pub reason: String,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// What was done; shown to the reporter.
    #[schema(schema_with = crate::domain::validate::schema::reason)]
    pub resolution: String,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The user to assign; `null` unassigns.
    pub assignee_id: Option<String>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// One of the configured `sla.pause_reasons`, e.g. `waiting_for_reporter`.
    pub reason: String,
    /// Free text for the trail.
    #[schema(schema_with = crate::domain::validate::schema::reason_or_null)]
    pub note: Option<String>,
    pub version: Option<i32>,
}

/// Runs one action end to end and answers with the saved ticket.
async fn perform(
    state: State,
    actor: Actor,
    req: &HttpRequest,
    id: String,
    body_version: Option<i32>,
    action: TicketAction,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(req, body_version)?;
    let v = state
        .call(move |app| app.act(&actor, &id, expected, action))
        .await?;
    Ok(ticket_response(&state, &v))
}

/// One handler per action, each documented in the OpenAPI spec with its own body type.
macro_rules! action {
    ($name:ident, $path:literal, $body:ty, $desc:literal, |$b:ident| $make:expr) => {
        #[utoipa::path(post, path = $path, tag = "ticket actions", description = $desc,
            request_body = $body,
            params(("id" = String, Path, description = "Ticket UUID or number"),
                   ("If-Match" = Option<String>, Header, description = "Optional: the version you read")),
            responses((status = 200, body = TicketDto), (status = 404, body = Problem),
                      (status = 403, body = Problem),
                      (status = 409, description = "Not allowed in the current state, or stale version", body = Problem),
                      (status = 422, body = Problem)),
            security(("bearer" = [])))]
        pub async fn $name(
            state: State,
            actor: Actor,
            req: HttpRequest,
            id: web::Path<String>,
            body: JsonBody<$body>,
        ) -> ApiResult<HttpResponse> {
            let $b = body.value;
            let (version, action): (Option<i32>, TicketAction) = $make;
            perform(state, actor, &req, id.into_inner(), version, action).await
        }
    };
}

action!(
    acknowledge,
    "/api/v1/tickets/{id}/acknowledge",
    VersionOnly,
    "new -> in_progress; counts as the first response.",
    |b| (b.version, TicketAction::Acknowledge)
);
action!(
    resume,
    "/api/v1/tickets/{id}/resume",
    VersionOnly,
    "pending -> in_progress.",
    |b| (b.version, TicketAction::Resume)
);
action!(
    close,
    "/api/v1/tickets/{id}/close",
    VersionOnly,
    "resolved -> closed (final).",
    |b| (b.version, TicketAction::Close)
);
action!(
    escalate,
    "/api/v1/tickets/{id}/escalate",
    ReasonBody,
    "Manual escalation from Tier 1 to the Dinas Tier 2 queue, with a reason (Makassar Ps 51(9)).",
    |b| (b.version, TicketAction::Escalate { reason: b.reason })
);
action!(
    pause,
    "/api/v1/tickets/{id}/pause",
    PauseBody,
    "in_progress -> pending (waiting on the reporter or a third party), with a reason from `sla.pause_reasons`; the SLA clocks except response stop.",
    |b| (
        b.version,
        TicketAction::Pause {
            reason: b.reason,
            note: b.note
        }
    )
);
action!(
    reopen,
    "/api/v1/tickets/{id}/reopen",
    ReasonBody,
    "resolved -> in_progress, with a reason.",
    |b| (b.version, TicketAction::Reopen { reason: b.reason })
);
action!(
    cancel,
    "/api/v1/tickets/{id}/cancel",
    ReasonBody,
    "new, in_progress or pending -> cancelled (final), with a reason.",
    |b| (b.version, TicketAction::Cancel { reason: b.reason })
);
action!(
    resolve,
    "/api/v1/tickets/{id}/resolve",
    ResolveBody,
    "in_progress -> resolved, with the resolution.",
    |b| (
        b.version,
        TicketAction::Resolve {
            resolution: b.resolution
        }
    )
);
action!(assign, "/api/v1/tickets/{id}/assign", AssignBody,
    "Assign to a technician of the owning PD (Tier 1) or a Dinas operator (Tier 2); null unassigns.",
    |b| (b.version, TicketAction::Assign { assignee_id: b.assignee_id }));

#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "ticket actions", request_body = CommentBody,
    params(("id" = String, Path, description = "Ticket UUID or number")),
    responses((status = 201, body = CommentDto), (status = 404, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn comment(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<CommentBody>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let input = body.value;
    let c = state
        .call(move |app| app.comment(&actor, &id, &input))
        .await?;
    Ok(HttpResponse::Created().json(CommentDto::from(c)))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "ticket actions",
    params(("id" = String, Path, description = "Ticket UUID or number"), PageQuery),
    description = "The ticket's comments, oldest first (internal ones for staff only).",
    responses((status = 200, body = Page<CommentDto>), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_comments(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    q: StrictQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let page = q.0.check()?;
    let list = state
        .call(move |app| app.comments(&actor, &id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(Page::of(
        list,
        |c| time_cursor(c.created_at, &c.id),
        CommentDto::from,
    )))
}
