//! `GET /api/v1/tickets/{id}/sla` explains a ticket's SLA computation; re-baselining moves
//! open tickets to the current version of their policy, keeping their accumulated pauses.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::{minutes_f64, TicketDto};
use super::extract::JsonBody;
use super::tickets::ticket_response;
use super::{path_id, State};
use crate::app::tickets::SlaFacts;
use crate::domain::scope::Actor;
use crate::domain::sla::Stop;
use crate::routes::error::{ApiResult, Problem};

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

pub(crate) fn explain(f: SlaFacts, now: DateTime<Utc>) -> SlaExplanation {
    let t = f.ticket;
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
        ledger: f
            .ledger
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
    let Some(sla) = f.sla else {
        return out;
    };
    let ctx = &sla.context;
    out.policy = Some(PolicyRef {
        id: ctx.policy_id.clone(),
        name: f.policy_name,
        version: ctx.policy_version,
        warn_at_percent: ctx.warn_percent,
    });
    out.calendar = Some(CalendarRef {
        id: ctx.calendar_id.clone(),
        name: f.calendar_name,
        version: ctx.calendar_version,
        timezone: ctx.calendar.timezone().name().to_string(),
        weekly_minutes: ctx.calendar.weekly_minutes(),
    });
    let cal = &ctx.calendar;
    for x in &sla.targets.targets {
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
    out
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "sla",
    params(("id" = String, Path, description = "Ticket UUID or number")),
    responses((status = 200, body = SlaExplanation), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let facts = state.call(move |app| app.sla_facts(&actor, &id)).await?;
    Ok(HttpResponse::Ok().json(explain(facts, state.app.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebaselineBody {
    #[schema(schema_with = crate::domain::validate::schema::short_reason)]
    pub reason: String,
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
    let id = id.into_inner();
    let reason = body.value.reason;
    let v = state
        .call(move |app| app.rebaseline_ticket(&actor, &id, &reason))
        .await?;
    Ok(ticket_response(&state, &v))
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
    let id = path_id(&id)?.to_string();
    let reason = body.value.reason;
    let (policy, done) = state
        .call(move |app| app.rebaseline_policy(&actor, &id, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(BulkRebaseline {
        policy_id: policy.id,
        version: policy.version,
        rebaselined: done,
    }))
}
