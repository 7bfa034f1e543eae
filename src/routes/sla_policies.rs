//! SLA policies: per-priority targets in business minutes on one calendar (Makassar
//! Ps 32(3)-(4)). Every edit is a new immutable version.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::calendars::require_sla_admin;
use super::dto::utc;
use super::extract::JsonBody;
use super::tickets::expected_version;
use super::{json_text, new_id, path_id, State};
use crate::db::models::PolicyRow;
use crate::db::queries::{audit, sla as q};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::sla_policy::{check_warn_percent, PolicyTargets};
use crate::domain::validate::Errors;
use crate::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    pub id: String,
    pub name: String,
    pub calendar_id: String,
    /// A warning is recorded once elapsed time reaches this share of a target.
    pub warn_at_percent: i32,
    pub targets: PolicyTargets,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn to_dto(p: PolicyRow) -> ApiResult<PolicyDto> {
    let targets = serde_json::from_str(&p.targets)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("policy {} is corrupt: {e}", p.id)))?;
    Ok(PolicyDto {
        id: p.id,
        name: p.name,
        calendar_id: p.calendar_id,
        warn_at_percent: p.warn_at_percent,
        targets,
        version: p.version,
        created_at: utc(p.created_at),
        updated_at: utc(p.updated_at),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    pub name: String,
    pub calendar_id: String,
    pub warn_at_percent: Option<i32>,
    pub targets: PolicyTargets,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPolicy {
    pub version: Option<i32>,
    pub name: Option<String>,
    pub calendar_id: Option<String>,
    pub warn_at_percent: Option<i32>,
    pub targets: Option<PolicyTargets>,
}

fn unique(err: diesel::result::Error) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::field("name", "is already used by another policy")
    } else {
        err.into()
    }
}

fn calendar_version(conn: &mut DbConn, e: &mut Errors, id: &str) -> ApiResult<i32> {
    match q::calendar(conn, id)? {
        Some(c) => Ok(c.version),
        None => {
            e.add("calendar_id", "no such calendar");
            Ok(0)
        }
    }
}

#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = CreatePolicy,
    responses((status = 201, body = PolicyDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreatePolicy>,
) -> ApiResult<HttpResponse> {
    require_sla_admin(&actor)?;
    let input = body.value;
    let st = state.clone();
    let dto = state
        .write(move |conn| {
            let now = st.now();
            let mut e = Errors::new();
            let name = e.line("name", &input.name, 2, 200);
            let warn = input.warn_at_percent.unwrap_or(75);
            check_warn_percent(&mut e, "warn_at_percent", warn);
            input.targets.check(&mut e, "targets");
            let cal_version = calendar_version(conn, &mut e, &input.calendar_id)?;
            e.finish()?;
            let n = now.naive_utc();
            let row = PolicyRow {
                id: new_id(),
                name,
                calendar_id: input.calendar_id,
                warn_at_percent: warn,
                targets: json_text(&input.targets)?,
                version: 1,
                created_at: n,
                updated_at: n,
            };
            q::insert_policy(conn, &row, cal_version).map_err(unique)?;
            let dto = to_dto(row)?;
            let after = serde_json::to_value(&dto).map_err(|e| ApiError::Internal(e.into()))?;
            audit::created(
                conn,
                now,
                Some(&actor.user_id),
                "sla_policy",
                &dto.id,
                &after,
                &[],
            )?;
            Ok(dto)
        })
        .await?;
    Ok(HttpResponse::Created().json(dto))
}

#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla",
    responses((status = 200, body = [PolicyDto])), security(("bearer" = [])))]
pub async fn list(state: State, _actor: Actor) -> ApiResult<HttpResponse> {
    let list = state
        .read(|conn| {
            q::policies(conn)?
                .into_iter()
                .map(to_dto)
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

fn load(conn: &mut DbConn, id: &str) -> ApiResult<PolicyRow> {
    q::policy(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("no SLA policy {id}")))
}

#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = PolicyDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let p = state.read(move |conn| to_dto(load(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(p))
}

#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "sla", request_body = PatchPolicy,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    description = "Saves a new version. Open tickets keep the version they started with until re-baselined; closed tickets never change.",
    responses((status = 200, body = PolicyDto), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchPolicy>,
) -> ApiResult<HttpResponse> {
    require_sla_admin(&actor)?;
    let p = body.value;
    let expected = expected_version(&req, p.version)?;
    let id = path_id(&id)?.to_string();
    let st = state.clone();
    let dto = state
        .write(move |conn| {
            let now = st.now();
            let before = load(conn, &id)?;
            if expected.is_some_and(|v| v != before.version) {
                return Err(ApiError::Conflict(format!(
                    "the policy is at version {}",
                    before.version
                )));
            }
            let mut e = Errors::new();
            let mut after = before.clone();
            if let Some(n) = &p.name {
                after.name = e.line("name", n, 2, 200);
            }
            if let Some(w) = p.warn_at_percent {
                check_warn_percent(&mut e, "warn_at_percent", w);
                after.warn_at_percent = w;
            }
            if let Some(t) = &p.targets {
                t.check(&mut e, "targets");
                after.targets = json_text(t)?;
            }
            if let Some(c) = &p.calendar_id {
                after.calendar_id = c.clone();
            }
            let cal_version = calendar_version(conn, &mut e, &after.calendar_id)?;
            e.finish()?;
            let b = serde_json::to_value(to_dto(before.clone())?)
                .map_err(|e| ApiError::Internal(e.into()))?;
            let a = serde_json::to_value(to_dto(after.clone())?)
                .map_err(|e| ApiError::Internal(e.into()))?;
            let changes = Changes::diff(&b, &a, &["version", "updated_at"]);
            if changes.is_empty() {
                return to_dto(before);
            }
            after.version = before.version + 1;
            after.updated_at = now.naive_utc();
            if !q::update_policy(conn, &after, before.version, cal_version).map_err(unique)? {
                return Err(ApiError::Conflict(
                    "the policy was changed by someone else meanwhile".into(),
                ));
            }
            audit::record(
                conn,
                audit::Record {
                    at: now,
                    actor_id: Some(&actor.user_id),
                    entity_type: "sla_policy",
                    entity_id: &after.id,
                    ticket_id: None,
                    action: "updated",
                    changes: &changes,
                    data: json!({}),
                },
            )?;
            to_dto(after)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", dto.version)))
        .json(dto))
}
