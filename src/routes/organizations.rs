//! Organizations: PD (optionally a Unit Kerja under a PD), the Dinas, the Tim Koordinasi.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::OrganizationDto;
use super::extract::{JsonBody, StrictQuery};
use super::{path_id, State};
use crate::app::directory::{CreateOrganization, PatchOrganization};
use crate::domain::scope::Actor;
use crate::domain::OrgKind;
use crate::routes::error::{ApiResult, Problem};

#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = CreateOrganization,
    responses((status = 201, body = OrganizationDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateOrganization>,
) -> ApiResult<HttpResponse> {
    let input = body.value;
    let org = state
        .call(move |app| app.create_organization(&actor, &input))
        .await?;
    Ok(HttpResponse::Created().json(OrganizationDto::from(org)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrgQuery {
    /// `pd`, `dinas` or `coordination`.
    pub kind: Option<OrgKind>,
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(OrgQuery),
    responses((status = 200, body = [OrganizationDto])), security(("bearer" = [])))]
pub async fn list(
    state: State,
    _actor: Actor,
    q: StrictQuery<OrgQuery>,
) -> ApiResult<HttpResponse> {
    let kind = q.0.kind;
    let orgs = state.call(move |app| app.organizations(kind)).await?;
    Ok(HttpResponse::Ok().json(
        orgs.into_iter()
            .map(OrganizationDto::from)
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path)),
    responses((status = 200, body = OrganizationDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let org = state.call(move |app| app.organization(&id)).await?;
    Ok(HttpResponse::Ok().json(OrganizationDto::from(org)))
}

#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", request_body = PatchOrganization,
    params(("id" = String, Path)),
    responses((status = 200, body = OrganizationDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<PatchOrganization>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let p = body.value;
    let org = state
        .call(move |app| app.update_organization(&actor, &id, &p))
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationDto::from(org)))
}
