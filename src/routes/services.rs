//! The catalogue of ICT services per owning PD (Makassar Ps 32(1)) and the criticality
//! workflow (Ps 32(2)): the PD proposes, the Dinas supervisor designates or rejects.

use crate::domain::validate::Errors;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{EventDto, ServiceDto};
use super::extract::{JsonBody, StrictQuery};
use super::tickets::expected_version;
use super::{page_at, path_id, time_cursor, Page, PageQuery, State};
use crate::app::catalogue::{CreateService, CriticalityChange, PatchService};
use crate::domain::scope::Actor;
use crate::domain::Criticality;
use crate::routes::error::{ApiResult, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriticalityBody {
    #[schema(schema_with = crate::domain::validate::schema::reason)]
    pub reason: String,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignateBody {
    /// `critical` or `rejected`.
    #[schema(schema_with = decision_schema)]
    pub decision: Criticality,
    #[schema(schema_with = crate::domain::validate::schema::reason)]
    pub reason: String,
    pub version: Option<i32>,
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = CreateService,
    responses((status = 201, body = ServiceDto), (status = 409, body = Problem, description = "The code, name, e-mail or NIP is already used"), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateService>,
) -> ApiResult<HttpResponse> {
    let input = body.value;
    let s = state
        .call(move |app| app.create_service(&actor, &input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/services/{}", s.id),
        ))
        .json(ServiceDto::from(s)))
}

/// The two decisions a supervisor may take on a proposal.
fn decision_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["critical", "rejected"]))
        .build()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    pub organization_id: Option<String>,
    /// Exact service code, e.g. `SIAK`.
    pub code: Option<String>,
    #[param(inline)]
    pub criticality: Option<Criticality>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ServiceQuery),
    description = "The catalogue, oldest first.",
    responses((status = 200, body = Page<ServiceDto>), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    state: State,
    _actor: Actor,
    q: StrictQuery<ServiceQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut e = Errors::new();
    let page = page_at(&mut e, q.limit, q.cursor.as_deref());
    e.finish()?;
    let list = state
        .call(move |app| {
            app.services(
                q.organization_id.as_deref(),
                q.code.as_deref(),
                q.criticality,
                &page,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::of(
        list,
        |s| time_cursor(s.created_at, &s.id),
        ServiceDto::from,
    )))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = ServiceDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let s = state.call(move |app| app.service(&id)).await?;
    Ok(HttpResponse::Ok().json(ServiceDto::from(s)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/events", tag = "services", params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<EventDto>), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn events(
    state: State,
    _actor: Actor,
    id: web::Path<String>,
    q: StrictQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let page = q.0.check()?;
    let list = state
        .call(move |app| app.service_events(&id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(super::dto::event_page(list)?))
}

#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", request_body = PatchService, params(("id" = String, Path)),
    responses((status = 200, body = ServiceDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchService>,
) -> ApiResult<HttpResponse> {
    let p = body.value;
    let expected = expected_version(&req, p.version)?;
    let id = path_id(&id)?.to_string();
    let s = state
        .call(move |app| app.update_service(&actor, &id, expected, &p))
        .await?;
    Ok(HttpResponse::Ok().json(ServiceDto::from(s)))
}

/// One step of the criticality workflow.
async fn criticality(
    state: State,
    actor: Actor,
    req: &HttpRequest,
    id: &str,
    version: Option<i32>,
    change: CriticalityChange,
    reason: String,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(req, version)?;
    let id = path_id(id)?.to_string();
    let s = state
        .call(move |app| app.change_criticality(&actor, &id, expected, change, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(ServiceDto::from(s)))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/propose-critical", tag = "services", request_body = CriticalityBody,
    params(("id" = String, Path)), description = "The owning PD proposes the service as a layanan kritikal.",
    responses((status = 200, body = ServiceDto), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn propose_critical(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<CriticalityBody>,
) -> ApiResult<HttpResponse> {
    let b = body.value;
    let change = CriticalityChange::Propose;
    criticality(state, actor, &req, &id, b.version, change, b.reason).await
}

#[utoipa::path(post, path = "/api/v1/services/{id}/designate", tag = "services", request_body = DesignateBody,
    params(("id" = String, Path)), description = "The Dinas supervisor designates a proposed service critical, or rejects the proposal.",
    responses((status = 200, body = ServiceDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn designate(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<DesignateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.value;
    let change = CriticalityChange::Decide(b.decision);
    criticality(state, actor, &req, &id, b.version, change, b.reason).await
}

#[utoipa::path(post, path = "/api/v1/services/{id}/revoke-critical", tag = "services", request_body = CriticalityBody,
    params(("id" = String, Path)), description = "The Dinas supervisor returns a critical service to normal.",
    responses((status = 200, body = ServiceDto), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke_critical(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<CriticalityBody>,
) -> ApiResult<HttpResponse> {
    let b = body.value;
    let change = CriticalityChange::Revoke;
    criticality(state, actor, &req, &id, b.version, change, b.reason).await
}

/// One entry of a service's sanctions ledger.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SanctionDto {
    pub id: String,
    pub service_id: String,
    /// `warning`, `reprimand` or `closure`.
    pub level: String,
    pub letter_number: Option<String>,
    /// YYYY-MM-DD.
    pub issued_on: String,
    pub addressed_to: Option<String>,
    /// YYYY-MM.
    pub report_month: Option<String>,
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub lifted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub lifted_by: Option<String>,
    pub remediation: Option<String>,
    pub version: i32,
}

impl From<crate::db::models::Sanction> for SanctionDto {
    fn from(s: crate::db::models::Sanction) -> Self {
        Self {
            id: s.id,
            service_id: s.service_id,
            level: s.level,
            letter_number: s.letter_number,
            issued_on: s.issued_on,
            addressed_to: s.addressed_to,
            report_month: s.report_month,
            reason: s.reason,
            recorded_by: s.recorded_by,
            recorded_at: s.recorded_at.and_utc(),
            lifted_at: s.lifted_at.map(|t| t.and_utc()),
            lifted_by: s.lifted_by,
            remediation: s.remediation,
            version: s.version,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/services/{id}/sanctions", tag = "services",
    params(("id" = String, Path)), description = "The service's sanctions ledger (Makassar Ps 32(5)), oldest first.",
    responses((status = 200, body = [SanctionDto]), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn sanctions(
    state: State,
    _actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let rows = state.call(move |app| app.sanctions(&id)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(SanctionDto::from).collect::<Vec<_>>()))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/sanctions", tag = "services",
    request_body = crate::app::sanctions::NewSanction, params(("id" = String, Path)),
    description = "Records a letter of the Tim Koordinasi to the Dinas (`warning`, `reprimand`: coordinators) or a temporary closure (`closure`: Dinas supervisors; the service becomes `suspended`). Only for a critical service.",
    responses((status = 201, body = SanctionDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn record_sanction(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<crate::app::sanctions::NewSanction>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let input = body.value;
    let s = state
        .call(move |app| app.record_sanction(&actor, &id, &input))
        .await?;
    Ok(HttpResponse::Created().json(SanctionDto::from(s)))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/sanctions/{sid}/lift", tag = "services",
    request_body = crate::app::sanctions::LiftSanction,
    params(("id" = String, Path), ("sid" = String, Path), ("If-Match" = Option<String>, Header)),
    description = "Lifts a temporary closure after the owning PD's repair (Dinas supervisors); the service becomes `active`.",
    responses((status = 200, body = SanctionDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn lift_sanction(
    state: State,
    actor: Actor,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: JsonBody<crate::app::sanctions::LiftSanction>,
) -> ApiResult<HttpResponse> {
    let (id, sid) = path.into_inner();
    let (id, sid) = (path_id(&id)?.to_string(), path_id(&sid)?.to_string());
    let input = body.value;
    let expected = expected_version(&req, input.version)?;
    let s = state
        .call(move |app| app.lift_sanction(&actor, &id, &sid, expected, &input))
        .await?;
    Ok(HttpResponse::Ok().json(SanctionDto::from(s)))
}
