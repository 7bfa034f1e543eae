//! The catalogue of ICT services per owning PD (Makassar Ps 32(1)) and the criticality
//! workflow (Ps 32(2)): the PD proposes, the Dinas supervisor designates or rejects.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::dto::{EventDto, ServiceDto};
use super::extract::{JsonBody, StrictQuery};
use super::tickets::expected_version;
use super::{new_id, path_id, State};
use crate::db::models::Service;
use crate::db::queries::{audit, organizations, services};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::catalogue::{self, CriticalityStep};
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{Criticality, OrgKind, Role, ServiceKind, ServiceStatus};
use crate::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    /// The owning PD (PD Pemilik Layanan). Default: the technician's own PD.
    pub organization_id: Option<String>,
    /// Unique code, e.g. `SIMPEG`.
    pub code: String,
    pub name: String,
    pub kind: ServiceKind,
    /// Availability target in percent (Ps 32(3)(b)); default 99.0.
    pub availability_target_percent: Option<f64>,
    /// The SLA policy of the service (Ps 32(3)); without one, tickets use the default policy.
    pub sla_policy_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchService {
    /// The version you read; or send `If-Match`.
    pub version: Option<i32>,
    pub name: Option<String>,
    pub kind: Option<ServiceKind>,
    pub availability_target_percent: Option<f64>,
    /// `suspended` records a temporary closure; Dinas supervisors only.
    pub status: Option<ServiceStatus>,
    /// `null` removes the service's own policy (not allowed for a critical service).
    #[serde(default, deserialize_with = "crate::routes::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub sla_policy_id: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriticalityBody {
    pub reason: String,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignateBody {
    /// `critical` or `rejected`.
    pub decision: Criticality,
    pub reason: String,
    pub version: Option<i32>,
}

fn svc_value(s: &Service) -> ApiResult<serde_json::Value> {
    serde_json::to_value(ServiceDto::from(s.clone()))
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))
}

/// Who maintains a PD's catalogue: its own technicians, the Dinas supervisor, the admin.
fn may_maintain(actor: &Actor, org_id: &str) -> ApiResult<()> {
    match actor.role {
        Role::Admin | Role::Supervisor => Ok(()),
        Role::Technician if actor.in_scope(org_id) => Ok(()),
        r => Err(ApiError::Forbidden(format!(
            "the {r} role cannot maintain this PD's catalogue"
        ))),
    }
}

fn check_availability(e: &mut Errors, v: f64) {
    if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
        e.add(
            "availability_target_percent",
            "must be a percentage between 0 and 100",
        );
    }
}

/// Inserts a service after checking it; shared by the API and `demo`.
pub fn insert_checked(
    conn: &mut DbConn,
    actor: &Actor,
    input: &CreateService,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Service> {
    let org_id = match (&input.organization_id, actor.role) {
        (Some(o), _) => o.clone(),
        (None, Role::Technician) => actor.organization_id.clone(),
        (None, _) => return Err(ApiError::field("organization_id", "is required")),
    };
    may_maintain(actor, &org_id)?;
    let mut e = Errors::new();
    let code = e.code("code", &input.code, 32);
    let name = e.line("name", &input.name, 2, 200);
    let availability = input.availability_target_percent.unwrap_or(99.0);
    check_availability(&mut e, availability);
    if let Some(pid) = &input.sla_policy_id {
        if crate::db::queries::sla::policy(conn, pid)?.is_none() {
            e.add("sla_policy_id", "no such SLA policy");
        }
    }
    match organizations::get(conn, &org_id)? {
        Some(o) if o.kind == OrgKind::Pd.as_str() || o.kind == OrgKind::Dinas.as_str() => {}
        Some(_) => e.add("organization_id", "services are owned by a PD or the Dinas"),
        None => e.add("organization_id", "no such organization"),
    }
    e.finish()?;
    let n = now.naive_utc();
    let svc = Service {
        id: new_id(),
        organization_id: org_id,
        code,
        name,
        kind: input.kind.as_str().into(),
        sla_policy_id: input.sla_policy_id.clone(),
        availability_target_percent: availability,
        criticality: Criticality::Normal.as_str().into(),
        status: ServiceStatus::Active.as_str().into(),
        version: 1,
        created_at: n,
        updated_at: n,
    };
    services::insert(conn, &svc).map_err(|err| {
        if is_unique_violation(&err) {
            ApiError::field("code", "is already used by another service")
        } else {
            err.into()
        }
    })?;
    audit::created(
        conn,
        now,
        Some(&actor.user_id),
        "service",
        &svc.id,
        &svc_value(&svc)?,
        &["version"],
    )?;
    Ok(svc)
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = CreateService,
    responses((status = 201, body = ServiceDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateService>,
) -> ApiResult<HttpResponse> {
    let st = state.clone();
    let s = state
        .write(move |conn| insert_checked(conn, &actor, &body.value, st.now()))
        .await?;
    Ok(HttpResponse::Created().json(ServiceDto::from(s)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ServiceQuery {
    pub organization_id: Option<String>,
    /// Exact service code, e.g. `SIAK`.
    pub code: Option<String>,
    pub criticality: Option<Criticality>,
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ServiceQuery),
    responses((status = 200, body = [ServiceDto])), security(("bearer" = [])))]
pub async fn list(
    state: State,
    _actor: Actor,
    q: StrictQuery<ServiceQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let list = state
        .read(move |conn| {
            Ok(services::list(
                conn,
                q.organization_id.as_deref(),
                q.code.as_deref(),
                q.criticality.map(Criticality::as_str),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(ServiceDto::from).collect::<Vec<_>>()))
}

fn load(conn: &mut DbConn, id: &str) -> ApiResult<Service> {
    services::get(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("no service {id}")))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = ServiceDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let s = state.read(move |conn| load(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(ServiceDto::from(s)))
}

#[utoipa::path(get, path = "/api/v1/services/{id}/events", tag = "services", params(("id" = String, Path)),
    responses((status = 200, body = [EventDto]), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn events(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let list = state
        .read(move |conn| {
            let s = load(conn, &id)?;
            audit::for_entity(conn, "service", &s.id)?
                .into_iter()
                .map(EventDto::try_from)
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Loads, lets `change` modify, and saves a service under its version, with an audit event.
async fn change_service<F>(
    state: State,
    actor: Actor,
    id: String,
    expected: Option<i32>,
    action: &'static str,
    change: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(&Actor, &mut Service) -> ApiResult<serde_json::Value> + Send + 'static,
{
    let id = path_id(&id)?.to_string();
    let st = state.clone();
    let s = state
        .write(move |conn| {
            let now = st.now();
            let before = load(conn, &id)?;
            if let Some(v) = expected {
                if v != before.version {
                    return Err(ApiError::Conflict(format!(
                        "the service was changed by someone else: you sent version {v}, it is now at version {}",
                        before.version
                    )));
                }
            }
            let mut s = before.clone();
            let data = change(&actor, &mut s)?;
            let changes = Changes::diff(&svc_value(&before)?, &svc_value(&s)?, &["version", "updated_at"]);
            if changes.is_empty() {
                return Ok(before);
            }
            s.version = before.version + 1;
            s.updated_at = now.naive_utc();
            if !services::update_versioned(conn, &s, before.version)? {
                return Err(ApiError::Conflict("the service was changed by someone else meanwhile".into()));
            }
            audit::record(conn, audit::Record {
                at: now, actor_id: Some(&actor.user_id), entity_type: "service", entity_id: &s.id,
                ticket_id: None, action, changes: &changes, data,
            })?;
            Ok(s)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ServiceDto::from(s)))
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
    change_service(
        state,
        actor,
        id.into_inner(),
        expected,
        "updated",
        move |actor, s| {
            may_maintain(actor, &s.organization_id)?;
            let mut e = Errors::new();
            if let Some(n) = &p.name {
                s.name = e.line("name", n, 2, 200);
            }
            if let Some(k) = p.kind {
                s.kind = k.as_str().into();
            }
            if let Some(a) = p.availability_target_percent {
                check_availability(&mut e, a);
                s.availability_target_percent = a;
            }
            if let Some(policy) = &p.sla_policy_id {
                if policy.is_none() && s.criticality == Criticality::Critical.as_str() {
                    e.add(
                        "sla_policy_id",
                        "a critical service must keep an SLA policy (Ps 32(3))",
                    );
                }
                s.sla_policy_id = policy.clone();
            }
            if let Some(st) = p.status {
                if actor.role != Role::Supervisor && st.as_str() != s.status {
                    return Err(ApiError::Forbidden(
                        "only a Dinas supervisor suspends or reactivates a service".into(),
                    ));
                }
                s.status = st.as_str().into();
            }
            e.finish()?;
            Ok(json!({}))
        },
    )
    .await
}

fn step(s: &mut Service, st: CriticalityStep) -> ApiResult<()> {
    let current = Criticality::parse(&s.criticality).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "service {} has criticality {}",
            s.id,
            s.criticality
        ))
    })?;
    s.criticality = catalogue::next(current, st)
        .map_err(ApiError::Conflict)?
        .as_str()
        .into();
    Ok(())
}

fn reason(raw: &str) -> ApiResult<String> {
    let mut e = Errors::new();
    let r = e.text("reason", raw, 3, 5000);
    e.finish()?;
    Ok(r)
}

fn require_supervisor(actor: &Actor) -> ApiResult<()> {
    if actor.role == Role::Supervisor {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only a Dinas supervisor designates critical services".into(),
        ))
    }
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
    let reason = reason(&body.value.reason)?;
    let expected = expected_version(&req, body.value.version)?;
    change_service(
        state,
        actor,
        id.into_inner(),
        expected,
        "criticality_proposed",
        move |actor, s| {
            match actor.role {
                Role::Supervisor => {}
                Role::Technician if actor.in_scope(&s.organization_id) => {}
                _ => {
                    return Err(ApiError::Forbidden(
                        "the owning PD's technician or a Dinas supervisor proposes".into(),
                    ))
                }
            }
            step(s, CriticalityStep::Propose)?;
            Ok(json!({ "reason": reason }))
        },
    )
    .await
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
    require_supervisor(&actor)?;
    let reason = reason(&body.value.reason)?;
    let st = match body.value.decision {
        Criticality::Critical => CriticalityStep::Designate,
        Criticality::Rejected => CriticalityStep::Reject,
        _ => {
            return Err(ApiError::field(
                "decision",
                "must be \"critical\" or \"rejected\"",
            ))
        }
    };
    let expected = expected_version(&req, body.value.version)?;
    let action = if st == CriticalityStep::Designate {
        "criticality_designated"
    } else {
        "criticality_rejected"
    };
    change_service(
        state,
        actor,
        id.into_inner(),
        expected,
        action,
        move |_, s| {
            step(s, st)?;
            Ok(json!({ "reason": reason }))
        },
    )
    .await
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
    require_supervisor(&actor)?;
    let reason = reason(&body.value.reason)?;
    let expected = expected_version(&req, body.value.version)?;
    change_service(
        state,
        actor,
        id.into_inner(),
        expected,
        "criticality_revoked",
        move |_, s| {
            step(s, CriticalityStep::Revoke)?;
            Ok(json!({ "reason": reason }))
        },
    )
    .await
}
