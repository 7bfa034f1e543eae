//! Organizations: PD (optionally a Unit Kerja under a PD), the Dinas, the Tim Koordinasi.

use crate::domain::validate::Errors;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::OrganizationDto;
use super::extract::{JsonBody, StrictQuery};
use super::{page_at, path_id, time_cursor, Page, State};
use crate::app::directory::{CreateOrganization, PatchOrganization};
use crate::domain::scope::Actor;
use crate::domain::OrgKind;
use crate::routes::error::{ApiResult, Problem};

#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = CreateOrganization,
    responses((status = 201, body = OrganizationDto), (status = 409, body = Problem, description = "The code, name, e-mail or NIP is already used"), (status = 403, body = Problem), (status = 422, body = Problem)),
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
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/organizations/{}", org.id),
        ))
        .json(OrganizationDto::from(org)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// `pd`, `dinas` or `coordination`.
    #[param(inline)]
    pub kind: Option<OrgKind>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(OrgQuery),
    description = "Organizations, oldest first.",
    responses((status = 200, body = Page<OrganizationDto>), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    state: State,
    _actor: Actor,
    q: StrictQuery<OrgQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut e = Errors::new();
    let page = page_at(&mut e, q.limit, q.cursor.as_deref());
    e.finish()?;
    let orgs = state
        .call(move |app| app.organizations(q.kind, &page))
        .await?;
    Ok(HttpResponse::Ok().json(Page::of(
        orgs,
        |o| time_cursor(o.created_at, &o.id),
        OrganizationDto::from,
    )))
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
