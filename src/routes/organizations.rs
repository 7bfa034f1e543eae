//! Organizations: PD (optionally a Unit Kerja under a PD), the Dinas, the Tim Koordinasi.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::dto::OrganizationDto;
use super::extract::{double_option, JsonBody, StrictQuery};
use super::{new_id, path_id, State};
use crate::db::models::Organization;
use crate::db::queries::{audit, organizations};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{OrgKind, Role};
use crate::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// Short unique code, A-Z 0-9 - _, e.g. `DISDUKCAPIL`.
    pub code: String,
    pub name: String,
    pub kind: OrgKind,
    /// For a Unit Kerja: the PD it belongs to.
    pub parent_id: Option<String>,
    /// The unit's official mailbox.
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrganization {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

pub(crate) fn require_admin(actor: &Actor) -> ApiResult<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only an admin may do this".into()))
    }
}

fn org_value(o: &Organization) -> ApiResult<serde_json::Value> {
    serde_json::to_value(OrganizationDto::from(o.clone()))
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))
}

/// Inserts an organization after checking it; shared by the API and `demo`/`init`.
pub fn insert_checked(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    input: &CreateOrganization,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Organization> {
    let mut e = Errors::new();
    let code = e.code("code", &input.code, 32);
    let name = e.line("name", &input.name, 2, 200);
    let email = input.email.as_deref().map(|v| e.email("email", v));
    if let Some(pid) = &input.parent_id {
        match organizations::get(conn, pid)? {
            None => e.add("parent_id", "no such organization"),
            Some(p) if p.kind != OrgKind::Pd.as_str() || p.parent_id.is_some() => e.add(
                "parent_id",
                "a Unit Kerja's parent must be a PD that is not itself a unit",
            ),
            Some(_) if input.kind != OrgKind::Pd => {
                e.add("parent_id", "only a PD (Unit Kerja) may have a parent")
            }
            Some(_) => {}
        }
    }
    e.finish()?;
    let n = now.naive_utc();
    let org = Organization {
        id: new_id(),
        code,
        name,
        kind: input.kind.as_str().into(),
        parent_id: input.parent_id.clone(),
        email,
        created_at: n,
        updated_at: n,
    };
    organizations::insert(conn, &org).map_err(|err| {
        if is_unique_violation(&err) {
            ApiError::field("code", "is already used by another organization")
        } else {
            err.into()
        }
    })?;
    audit::created(
        conn,
        now,
        actor_id,
        "organization",
        &org.id,
        &org_value(&org)?,
        &[],
    )?;
    Ok(org)
}

#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = CreateOrganization,
    responses((status = 201, body = OrganizationDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateOrganization>,
) -> ApiResult<HttpResponse> {
    require_admin(&actor)?;
    let st = state.clone();
    let org = state
        .write(move |conn| insert_checked(conn, Some(&actor.user_id), &body.value, st.now()))
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
    let orgs = state
        .read(move |conn| Ok(organizations::list(conn, kind.map(OrgKind::as_str))?))
        .await?;
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
    let org = state
        .read(move |conn| {
            organizations::get(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("no organization {id}")))
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationDto::from(org)))
}

#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", request_body = PatchOrganization,
    params(("id" = String, Path)),
    responses((status = 200, body = OrganizationDto), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<PatchOrganization>,
) -> ApiResult<HttpResponse> {
    require_admin(&actor)?;
    let id = path_id(&id)?.to_string();
    let st = state.clone();
    let org = state
        .write(move |conn| {
            let now = st.now();
            let before = organizations::get(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("no organization {id}")))?;
            let mut o = before.clone();
            let mut e = Errors::new();
            if let Some(n) = &body.value.name {
                o.name = e.line("name", n, 2, 200);
            }
            if let Some(m) = &body.value.email {
                o.email = m.as_deref().map(|v| e.email("email", v));
            }
            e.finish()?;
            let changes = Changes::diff(&org_value(&before)?, &org_value(&o)?, &["updated_at"]);
            if changes.is_empty() {
                return Ok(before);
            }
            o.updated_at = now.naive_utc();
            organizations::update(conn, &o)?;
            audit::record(
                conn,
                audit::Record {
                    at: now,
                    actor_id: Some(&actor.user_id),
                    entity_type: "organization",
                    entity_id: &o.id,
                    ticket_id: None,
                    action: "updated",
                    changes: &changes,
                    data: json!({}),
                },
            )?;
            Ok(o)
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganizationDto::from(org)))
}
