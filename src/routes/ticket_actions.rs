//! `POST /api/v1/tickets/{id}/{action}`: each action is parsed, checked against scope and
//! the state machine, and saved with its audit event in one transaction.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::dto::{CommentDto, TicketDto};
use super::extract::JsonBody;
use super::tickets::{
    check_version, expected_version, load_visible, machine_state, save, scope_of,
};
use super::{new_id, AppState, State};
use crate::db::models::{Comment, Ticket};
use crate::db::queries::{comments, organizations, users};
use crate::db::DbConn;
use crate::domain::scope::{self, Actor};
use crate::domain::ticket::{self as machine, Action};
use crate::domain::validate::Errors;
use crate::domain::{CommentVisibility, EscalationMode, Role, TicketStatus};
use crate::error::{ApiError, ApiResult, Problem};

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
    pub reason: String,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// What was done; shown to the reporter.
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
pub struct CommentBody {
    pub body: String,
    /// `public` (default; counts as a first response) or `internal` (staff only).
    pub visibility: Option<CommentVisibility>,
    /// True when staff record the reporter's own reply (by phone or e-mail). It is not a
    /// response by staff, and it resumes a pending ticket.
    pub from_reporter: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseBody {
    /// One of the configured `sla.pause_reasons`, e.g. `waiting_for_reporter`.
    pub reason: String,
    /// Free text for the trail.
    pub note: Option<String>,
    pub version: Option<i32>,
}

/// What an action does to the ticket beyond the state machine's status and tier.
enum Change {
    None,
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

fn reason(field: &str, raw: &str) -> ApiResult<String> {
    let mut e = Errors::new();
    let r = e.text(field, raw, 3, 5000);
    e.finish()?;
    Ok(r)
}

/// Runs one action end to end and returns the saved ticket.
async fn perform(
    state: State,
    actor: Actor,
    req: &HttpRequest,
    id: String,
    action: Action,
    body_version: Option<i32>,
    change: Change,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(req, body_version)?;
    let st = state.clone();
    let t = state
        .write(move |conn| {
            let now = st.now();
            let before = load_visible(conn, &actor, &id)?;
            scope::check_act(&actor, &scope_of(&before), action)?;
            check_version(expected, &before)?;
            let next = machine::apply(machine_state(&before), action)?;
            let mut t = before.clone();
            t.status = next.status.as_str().into();
            t.tier = i32::from(next.tier);
            if next.status != TicketStatus::Pending {
                t.pending_since = None;
                t.pending_reason = None;
            }
            let data = apply_change(conn, &st, &actor, &mut t, change, now)?;
            if machine::is_first_response(action) && t.first_response_at.is_none() {
                t.first_response_at = Some(now.naive_utc());
            }
            let verb = past_tense(action);
            save(
                conn,
                &st,
                Some(&actor.user_id),
                &before,
                &mut t,
                verb,
                data,
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", t.version)))
        .json(t))
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

fn apply_change(
    conn: &mut DbConn,
    st: &AppState,
    actor: &Actor,
    t: &mut Ticket,
    change: Change,
    now: DateTime<Utc>,
) -> ApiResult<serde_json::Value> {
    let n = now.naive_utc();
    Ok(match change {
        Change::None => json!({}),
        Change::Escalate { reason } => {
            t.escalation_mode = Some(EscalationMode::Manual.as_str().into());
            t.escalation_reason = Some(reason.clone());
            t.escalated_at = Some(n);
            t.escalated_by = Some(actor.user_id.clone());
            // Tier 2 picks the ticket up from its queue; the Tier 1 assignee stays informed
            // through the reporting PD's view, not as the owner.
            t.assignee_id = None;
            json!({ "mode": "manual", "reason": reason })
        }
        Change::Pause { reason, note } => {
            let allowed = &st.settings.sla.pause_reasons;
            if !allowed.contains(&reason) {
                return Err(ApiError::field(
                    "reason",
                    format!("must be one of: {}", allowed.join(", ")),
                ));
            }
            t.pending_since = Some(n);
            t.pending_reason = Some(reason.clone());
            json!({ "reason": reason, "note": note })
        }
        Change::Resolve { resolution } => {
            t.resolution = Some(resolution);
            t.resolved_at = Some(n);
            json!({})
        }
        Change::Reopen { reason } => {
            t.resolved_at = None;
            json!({ "reason": reason })
        }
        Change::Cancel { reason } => {
            t.cancelled_at = Some(n);
            json!({ "reason": reason })
        }
        Change::Assign { assignee_id } => {
            if let Some(uid) = &assignee_id {
                check_assignee(conn, t, uid)?;
            }
            t.assignee_id = assignee_id;
            json!({})
        }
    })
    .inspect(|_| {
        if t.status == TicketStatus::Closed.as_str() {
            t.closed_at = Some(n);
        }
    })
}

fn check_assignee(conn: &mut DbConn, t: &Ticket, uid: &str) -> ApiResult<()> {
    let bad = |m: &str| ApiError::field("assignee_id", m);
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
            let (action, version, change): (Action, Option<i32>, Change) = $make;
            perform(state, actor, &req, id.into_inner(), action, version, change).await
        }
    };
}

action!(
    acknowledge,
    "/api/v1/tickets/{id}/acknowledge",
    VersionOnly,
    "new -> in_progress; counts as the first response.",
    |b| (Action::Acknowledge, b.version, Change::None)
);
action!(
    resume,
    "/api/v1/tickets/{id}/resume",
    VersionOnly,
    "pending -> in_progress.",
    |b| (Action::Resume, b.version, Change::None)
);
action!(
    close,
    "/api/v1/tickets/{id}/close",
    VersionOnly,
    "resolved -> closed (final).",
    |b| (Action::Close, b.version, Change::None)
);
action!(
    escalate,
    "/api/v1/tickets/{id}/escalate",
    ReasonBody,
    "Manual escalation from Tier 1 to the Dinas Tier 2 queue, with a reason (Makassar Ps 51(9)).",
    |b| (
        Action::Escalate,
        b.version,
        Change::Escalate {
            reason: reason("reason", &b.reason)?
        }
    )
);
action!(
    pause,
    "/api/v1/tickets/{id}/pause",
    PauseBody,
    "in_progress -> pending (waiting on the reporter or a third party), with a reason from `sla.pause_reasons`; the SLA clocks except response stop.",
    |b| (
        Action::Pause,
        b.version,
        Change::Pause {
            reason: b.reason.trim().to_string(),
            note: b.note.as_deref().map(|n| reason("note", n)).transpose()?,
        }
    )
);
action!(
    reopen,
    "/api/v1/tickets/{id}/reopen",
    ReasonBody,
    "resolved -> in_progress, with a reason.",
    |b| (
        Action::Reopen,
        b.version,
        Change::Reopen {
            reason: reason("reason", &b.reason)?
        }
    )
);
action!(
    cancel,
    "/api/v1/tickets/{id}/cancel",
    ReasonBody,
    "new, in_progress or pending -> cancelled (final), with a reason.",
    |b| (
        Action::Cancel,
        b.version,
        Change::Cancel {
            reason: reason("reason", &b.reason)?
        }
    )
);
action!(
    resolve,
    "/api/v1/tickets/{id}/resolve",
    ResolveBody,
    "in_progress -> resolved, with the resolution.",
    |b| (
        Action::Resolve,
        b.version,
        Change::Resolve {
            resolution: reason("resolution", &b.resolution)?
        }
    )
);
action!(assign, "/api/v1/tickets/{id}/assign", AssignBody,
    "Assign to a technician of the owning PD (Tier 1) or a Dinas operator (Tier 2); null unassigns.",
    |b| (Action::Assign, b.version, Change::Assign { assignee_id: b.assignee_id }));

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
    let mut e = Errors::new();
    let text = e.text("body", &body.value.body, 1, 20_000);
    e.finish()?;
    let visibility = body.value.visibility.unwrap_or(CommentVisibility::Public);
    let from_reporter = body.value.from_reporter.unwrap_or(false);
    if from_reporter && visibility == CommentVisibility::Internal {
        return Err(ApiError::field(
            "visibility",
            "a reporter's reply is public",
        ));
    }
    let id = id.into_inner();
    let st = state.clone();
    let c = state
        .write(move |conn| {
            let now = st.now();
            let before = load_visible(conn, &actor, &id)?;
            scope::check_act(&actor, &scope_of(&before), Action::Comment)?;
            machine::apply(machine_state(&before), Action::Comment)?;
            let c = Comment {
                id: new_id(),
                ticket_id: before.id.clone(),
                author_id: actor.user_id.clone(),
                visibility: visibility.as_str().into(),
                body: text,
                created_at: now.naive_utc(),
                from_reporter,
            };
            comments::insert(conn, &c)?;
            let mut t = before.clone();
            if visibility == CommentVisibility::Public && !from_reporter && t.first_response_at.is_none() {
                t.first_response_at = Some(now.naive_utc());
            }
            save(
                conn,
                &st,
                Some(&actor.user_id),
                &before,
                &mut t,
                "commented",
                json!({ "comment_id": c.id, "visibility": c.visibility, "body": c.body, "from_reporter": from_reporter }),
                now,
            )?;
            // The reporter answered: the wait is over (SLA.md pause policy).
            if from_reporter && t.status == TicketStatus::Pending.as_str() {
                let waiting = t.clone();
                t.status = TicketStatus::InProgress.as_str().into();
                t.pending_since = None;
                t.pending_reason = None;
                save(
                    conn,
                    &st,
                    Some(&actor.user_id),
                    &waiting,
                    &mut t,
                    "resumed",
                    json!({ "reason": "reporter_replied", "comment_id": c.id }),
                    now,
                )?;
            }
            Ok(c)
        })
        .await?;
    Ok(HttpResponse::Created().json(CommentDto::from(c)))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "ticket actions",
    params(("id" = String, Path, description = "Ticket UUID or number")),
    responses((status = 200, body = [CommentDto]), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_comments(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let list = state
        .read(move |conn| {
            let t = load_visible(conn, &actor, &id)?;
            Ok(comments::list(conn, &t.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(CommentDto::from).collect::<Vec<_>>()))
}
