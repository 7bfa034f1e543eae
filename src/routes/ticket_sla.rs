//! `GET /api/v1/tickets/{id}/sla` explains a ticket's SLA computation; re-baselining moves
//! open tickets to the current version of their policy, keeping their accumulated pauses.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::dto::TicketDto;
use super::extract::JsonBody;
use super::tickets::{load_visible, save};
use super::{path_id, State};
use crate::db::queries::sla as q;
use crate::domain::scope::Actor;
use crate::domain::sla::Stop;
use crate::domain::validate::Errors;
use crate::domain::{Role, TicketStatus};
use crate::engine::{self, minutes_f64};
use crate::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyRef {
    pub id: String,
    pub name: String,
    pub version: i32,
    pub warn_at_percent: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarRef {
    pub id: String,
    pub name: String,
    pub version: i32,
    pub timezone: String,
    pub weekly_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StopDto {
    pub from: DateTime<Utc>,
    /// Null while the clock is still stopped.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetExplanation {
    pub target: String,
    /// 0 end to end, 1 the Tier 1 segment, 2 the Tier 2 OLA.
    pub tier: u8,
    pub minutes: i64,
    pub started_at: DateTime<Utc>,
    /// Intervals during which this clock did not run (pending, resolved before a reopen).
    pub stops: Vec<StopDto>,
    /// Business minutes that fell inside the stops.
    pub stopped_minutes: f64,
    pub elapsed_minutes: f64,
    pub remaining_minutes: f64,
    pub due_at: Option<DateTime<Utc>>,
    pub warn_at: Option<DateTime<Utc>>,
    pub warned_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub paused: bool,
    pub running_now: bool,
    pub outcome: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerDto {
    pub seq: i64,
    pub target: String,
    pub tier: i32,
    /// started, paused, resumed, warned, breached, escalated, stopped, recomputed, rebaselined.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    pub policy_version: i32,
    pub calendar_version: i32,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaExplanation {
    pub ticket_id: String,
    pub number: String,
    pub priority: String,
    pub kind: String,
    pub status: String,
    pub now: DateTime<Utc>,
    pub policy: Option<PolicyRef>,
    pub calendar: Option<CalendarRef>,
    pub targets: Vec<TargetExplanation>,
    /// The append-only SLA ledger of this ticket, oldest first.
    pub ledger: Vec<LedgerDto>,
}

fn explain(
    conn: &mut crate::db::DbConn,
    state: &super::AppState,
    t: &crate::db::models::Ticket,
) -> ApiResult<SlaExplanation> {
    let now = state.now();
    let mut out = SlaExplanation {
        ticket_id: t.id.clone(),
        number: t.number.clone(),
        priority: t.priority.clone(),
        kind: t.kind.clone(),
        status: t.status.clone(),
        now,
        policy: None,
        calendar: None,
        targets: vec![],
        ledger: q::events_of(conn, &t.id)?
            .into_iter()
            .map(|e| LedgerDto {
                seq: e.seq,
                target: e.target,
                tier: e.tier,
                kind: e.kind,
                at: e.at.and_utc(),
                reason: e.reason,
                policy_version: e.policy_version,
                calendar_version: e.calendar_version,
                recorded_at: e.recorded_at.and_utc(),
            })
            .collect(),
    };
    let (Some(pid), Some(pv)) = (&t.sla_policy_id, t.sla_policy_version) else {
        return Ok(out);
    };
    let ctx = state.sla.context(conn, pid, pv)?;
    let pname = q::policy(conn, pid)?.map(|p| p.name).unwrap_or_default();
    let cname = q::calendar(conn, &ctx.calendar_id)?
        .map(|c| c.name)
        .unwrap_or_default();
    out.policy = Some(PolicyRef {
        id: pid.clone(),
        name: pname,
        version: pv,
        warn_at_percent: ctx.warn_percent,
    });
    out.calendar = Some(CalendarRef {
        id: ctx.calendar_id.clone(),
        name: cname,
        version: ctx.calendar_version,
        timezone: ctx.calendar.timezone().name().to_string(),
        weekly_minutes: ctx.calendar.weekly_minutes(),
    });
    let cal = &ctx.calendar;
    let (tt, _) = engine::load_targets(conn, &t.id)?;
    for x in &tt.targets {
        let until = x.ended_at.map_or(now, |e| e.min(now));
        let elapsed = x.elapsed_at(cal, now);
        let total = cal.business_time_between(x.clock.start, until);
        out.targets.push(TargetExplanation {
            target: x.kind.as_str().into(),
            tier: x.kind.tier(),
            minutes: x.clock.minutes,
            started_at: x.clock.start,
            stops: x
                .clock
                .stops
                .iter()
                .map(|s: &Stop| StopDto {
                    from: s.from,
                    to: s.to,
                })
                .collect(),
            stopped_minutes: minutes_f64(total - elapsed),
            elapsed_minutes: minutes_f64(elapsed),
            remaining_minutes: minutes_f64(x.remaining_at(cal, now)),
            due_at: x.due_at(cal),
            warn_at: if x.is_active() {
                x.clock.warn_at(cal, ctx.warn_percent)
            } else {
                None
            },
            warned_at: x.warned_at,
            breached_at: x.breached_at,
            ended_at: x.ended_at,
            paused: x.is_paused(),
            running_now: x.running_at(cal, now),
            outcome: x.outcome().into(),
        });
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "sla",
    params(("id" = String, Path, description = "Ticket UUID or number")),
    responses((status = 200, body = SlaExplanation), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let st = state.clone();
    let e = state
        .read(move |conn| {
            let t = load_visible(conn, &actor, &id)?;
            explain(conn, &st, &t)
        })
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebaselineBody {
    pub reason: String,
}

fn require_supervisor(actor: &Actor) -> ApiResult<()> {
    if actor.role == Role::Supervisor {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only a Dinas supervisor re-baselines SLAs".into(),
        ))
    }
}

fn reason(raw: &str) -> ApiResult<String> {
    let mut e = Errors::new();
    let r = e.text("reason", raw, 3, 2000);
    e.finish()?;
    Ok(r)
}

/// Re-pins one ticket in the caller's transaction; None if it is already current.
fn rebaseline_one(
    conn: &mut crate::db::DbConn,
    state: &super::AppState,
    actor: &Actor,
    before: &crate::db::models::Ticket,
    reason: &str,
) -> ApiResult<Option<TicketDto>> {
    let s = TicketStatus::parse(&before.status).unwrap_or(TicketStatus::Closed);
    if matches!(s, TicketStatus::Closed | TicketStatus::Cancelled) {
        return Err(ApiError::Conflict(format!(
            "a {s} ticket keeps the SLA it was measured against"
        )));
    }
    let mut t = before.clone();
    if !engine::rebaseline(conn, &state.sla, &mut t)? {
        return Ok(None);
    }
    let now = state.now();
    let data = json!({
        "reason": reason,
        "from_policy_version": before.sla_policy_version,
        "to_policy_version": t.sla_policy_version,
    });
    save(
        conn,
        state,
        Some(&actor.user_id),
        before,
        &mut t,
        "sla_rebaselined",
        data,
        now,
    )
    .map(Some)
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/sla/rebaseline", tag = "sla", request_body = RebaselineBody,
    params(("id" = String, Path, description = "Ticket UUID or number")),
    description = "Moves an open ticket to the current version of its policy and calendar. Elapsed and paused time are kept; deadlines are recomputed.",
    responses((status = 200, body = TicketDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn rebaseline(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<RebaselineBody>,
) -> ApiResult<HttpResponse> {
    require_supervisor(&actor)?;
    let reason = reason(&body.value.reason)?;
    let id = id.into_inner();
    let st = state.clone();
    let t = state
        .write(move |conn| {
            let before = load_visible(conn, &actor, &id)?;
            rebaseline_one(conn, &st, &actor, &before, &reason)?.ok_or_else(|| {
                ApiError::Conflict("the ticket already uses the current policy and calendar".into())
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(t))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRebaseline {
    pub policy_id: String,
    pub version: i32,
    pub rebaselined: usize,
}

#[utoipa::path(post, path = "/api/v1/sla-policies/{id}/rebaseline", tag = "sla", request_body = RebaselineBody,
    params(("id" = String, Path)),
    description = "Re-baselines every open ticket on an older version of this policy, one transaction per ticket.",
    responses((status = 200, body = BulkRebaseline), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn rebaseline_policy(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<RebaselineBody>,
) -> ApiResult<HttpResponse> {
    require_supervisor(&actor)?;
    let reason = reason(&body.value.reason)?;
    let id = path_id(&id)?.to_string();
    let pid = id.clone();
    let policy = state
        .read(move |conn| {
            q::policy(conn, &pid)?.ok_or_else(|| ApiError::NotFound(format!("no SLA policy {pid}")))
        })
        .await?;
    let mut done = 0;
    loop {
        let (pid, v) = (policy.id.clone(), policy.version);
        let batch = state
            .read(move |conn| Ok(q::stale_open_tickets(conn, &pid, v, 100)?))
            .await?;
        if batch.is_empty() {
            break;
        }
        for tid in batch {
            let (st, a, r) = (state.clone(), actor.clone(), reason.clone());
            let changed = state
                .write(move |conn| {
                    let Some(before) = crate::db::queries::tickets::get(conn, &tid)? else {
                        return Ok(false);
                    };
                    rebaseline_one(conn, &st, &a, &before, &r).map(|t| t.is_some())
                })
                .await?;
            done += usize::from(changed);
        }
    }
    Ok(HttpResponse::Ok().json(BulkRebaseline {
        policy_id: policy.id,
        version: policy.version,
        rebaselined: done,
    }))
}
