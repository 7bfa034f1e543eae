//! SLA policies: per-priority targets in business minutes on one calendar (Makassar
//! Ps 32(3)-(4)). Every edit is a new immutable version.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::utc;
use super::extract::JsonBody;
use super::tickets::expected_version;
use super::{path_id, State};
use crate::app::calendars::{CreatePolicy, PatchPolicy};
use crate::app::record::PolicyView;
use crate::domain::scope::Actor;
use crate::domain::sla_policy::PolicyTargets;
use crate::routes::error::{ApiResult, Problem};

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

impl From<PolicyView> for PolicyDto {
    fn from(v: PolicyView) -> Self {
        PolicyDto {
            id: v.row.id,
            name: v.row.name,
            calendar_id: v.row.calendar_id,
            warn_at_percent: v.row.warn_at_percent,
            targets: v.targets,
            version: v.row.version,
            created_at: utc(v.row.created_at),
            updated_at: utc(v.row.updated_at),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = CreatePolicy,
    responses((status = 201, body = PolicyDto), (status = 409, body = Problem, description = "The code, name, e-mail or NIP is already used"), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreatePolicy>,
) -> ApiResult<HttpResponse> {
    let input = body.value;
    let p = state
        .call(move |app| app.create_policy(&actor, &input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/sla-policies/{}", p.row.id),
        ))
        .json(PolicyDto::from(p)))
}

#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla",
    responses((status = 200, body = [PolicyDto])), security(("bearer" = [])))]
pub async fn list(state: State, _actor: Actor) -> ApiResult<HttpResponse> {
    let list = state.call(|app| app.policies()).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(PolicyDto::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = PolicyDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let p = state.call(move |app| app.policy(&id)).await?;
    Ok(HttpResponse::Ok().json(PolicyDto::from(p)))
}

#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "sla", request_body = PatchPolicy,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    description = "Saves a new version. Open tickets keep the version they started with until re-baselined; closed tickets never change.",
    responses((status = 200, body = PolicyDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchPolicy>,
) -> ApiResult<HttpResponse> {
    let p = body.value;
    let expected = expected_version(&req, p.version)?;
    let id = path_id(&id)?.to_string();
    let v = state
        .call(move |app| app.update_policy(&actor, &id, expected, &p))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", v.row.version)))
        .json(PolicyDto::from(v)))
}
