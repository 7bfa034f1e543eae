//! Users (staff accounts) and their API tokens.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::auth::{generate_token, hash_token};
use super::dto::{utc, UserDto};
use super::extract::{double_option, JsonBody, StrictQuery};
use super::organizations::require_admin;
use super::{new_id, path_id, State};
use crate::db::models::{ApiToken, User};
use crate::db::queries::{audit, organizations, tokens, users};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{OrgKind, Role};
use crate::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub name: String,
    /// Official (government) e-mail address; unique.
    pub email: String,
    /// Nomor Induk Pegawai, 18 digits; unique when given.
    pub nip: Option<String>,
    pub organization_id: String,
    pub role: Role,
    /// Default true.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    pub name: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub nip: Option<Option<String>>,
    pub organization_id: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Which kind of organization each role belongs to.
fn role_fits(role: Role, kind: &str) -> Result<(), String> {
    let need = match role {
        Role::Technician => Some(OrgKind::Pd),
        Role::Operator | Role::Supervisor => Some(OrgKind::Dinas),
        Role::Coordinator => Some(OrgKind::Coordination),
        Role::Auditor | Role::Admin => None,
    };
    match need {
        Some(k) if k.as_str() != kind => {
            Err(format!("a {role} belongs to an organization of kind {k}"))
        }
        _ => Ok(()),
    }
}

fn check_nip(e: &mut Errors, nip: &str) -> String {
    let v = nip.trim().replace(' ', "");
    if v.len() != 18 || !v.chars().all(|c| c.is_ascii_digit()) {
        e.add("nip", "must be the 18-digit Nomor Induk Pegawai");
    }
    v
}

fn user_value(u: &User) -> ApiResult<serde_json::Value> {
    serde_json::to_value(UserDto::from(u.clone()))
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))
}

fn unique_error(err: diesel::result::Error) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::Validation(vec![crate::domain::validate::FieldError {
            field: "email".into(),
            message: "the e-mail address or NIP is already used by another user".into(),
        }])
    } else {
        err.into()
    }
}

/// Inserts a user after checking it; shared by the API and `demo`/`init`.
pub fn insert_checked(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    input: &CreateUser,
    now: DateTime<Utc>,
) -> ApiResult<User> {
    let mut e = Errors::new();
    let name = e.line("name", &input.name, 2, 200);
    let email = e.email("email", &input.email);
    let nip = input.nip.as_deref().map(|n| check_nip(&mut e, n));
    match organizations::get(conn, &input.organization_id)? {
        None => e.add("organization_id", "no such organization"),
        Some(o) => {
            if let Err(m) = role_fits(input.role, &o.kind) {
                e.add("role", m);
            }
        }
    }
    e.finish()?;
    let n = now.naive_utc();
    let user = User {
        id: new_id(),
        name,
        email,
        nip,
        organization_id: input.organization_id.clone(),
        role: input.role.as_str().into(),
        active: input.active.unwrap_or(true),
        created_at: n,
        updated_at: n,
    };
    users::insert(conn, &user).map_err(unique_error)?;
    audit::created(
        conn,
        now,
        actor_id,
        "user",
        &user.id,
        &user_value(&user)?,
        &[],
    )?;
    Ok(user)
}

/// Creates a token for `user_id` and returns the secret, which is never stored.
pub fn issue_token(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    user_id: &str,
    label: &str,
    now: DateTime<Utc>,
) -> ApiResult<(ApiToken, String)> {
    let secret = generate_token();
    let tok = ApiToken {
        id: new_id(),
        user_id: user_id.to_string(),
        token_hash: hash_token(&secret),
        label: label.to_string(),
        created_at: now.naive_utc(),
        last_used_at: None,
        revoked_at: None,
    };
    tokens::insert(conn, &tok)?;
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id,
            entity_type: "user",
            entity_id: user_id,
            ticket_id: None,
            action: "token_created",
            changes: &Changes::new(),
            data: json!({ "token_id": tok.id, "label": label }),
        },
    )?;
    Ok((tok, secret))
}

/// Admins, supervisors and auditors see every account; others see their own organization's
/// (colleagues to assign work to), not other PDs' staff data.
fn can_see_user(actor: &Actor, u: &User) -> bool {
    matches!(actor.role, Role::Admin | Role::Supervisor | Role::Auditor)
        || u.organization_id == actor.organization_id
        || u.id == actor.user_id
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateUser>,
) -> ApiResult<HttpResponse> {
    require_admin(&actor)?;
    let st = state.clone();
    let u = state
        .write(move |conn| insert_checked(conn, Some(&actor.user_id), &body.value, st.now()))
        .await?;
    Ok(HttpResponse::Created().json(UserDto::from(u)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub organization_id: Option<String>,
    pub role: Option<Role>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = [UserDto])), security(("bearer" = [])))]
pub async fn list(
    state: State,
    actor: Actor,
    q: StrictQuery<UserQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let list = state
        .read(move |conn| {
            let all = users::list(conn, q.organization_id.as_deref(), q.role.map(Role::as_str))?;
            Ok(all
                .into_iter()
                .filter(|u| can_see_user(&actor, u))
                .map(UserDto::from)
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

fn load_user(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<User> {
    match users::get(conn, id)? {
        Some(u) if can_see_user(actor, &u) => Ok(u),
        _ => Err(ApiError::NotFound(format!("no user {id}"))),
    }
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let u = state.read(move |conn| load_user(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(u)))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = UserDto)), security(("bearer" = [])))]
pub async fn me(state: State, actor: Actor) -> ApiResult<HttpResponse> {
    let u = state
        .read(move |conn| load_user(conn, &actor, &actor.user_id))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(u)))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = PatchUser, params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<PatchUser>,
) -> ApiResult<HttpResponse> {
    require_admin(&actor)?;
    let id = path_id(&id)?.to_string();
    let st = state.clone();
    let u = state
        .write(move |conn| {
            let now = st.now();
            let p = body.value;
            let before = load_user(conn, &actor, &id)?;
            let mut u = before.clone();
            let mut e = Errors::new();
            if let Some(v) = &p.name {
                u.name = e.line("name", v, 2, 200);
            }
            if let Some(v) = &p.email {
                u.email = e.email("email", v);
            }
            if let Some(v) = &p.nip {
                u.nip = v.as_deref().map(|n| check_nip(&mut e, n));
            }
            if let Some(v) = &p.organization_id {
                u.organization_id = v.clone();
            }
            if let Some(r) = p.role {
                u.role = r.as_str().into();
            }
            if let Some(a) = p.active {
                if !a && u.id == actor.user_id {
                    e.add("active", "you cannot deactivate yourself");
                }
                u.active = a;
            }
            match (
                organizations::get(conn, &u.organization_id)?,
                Role::parse(&u.role),
            ) {
                (None, _) => e.add("organization_id", "no such organization"),
                (Some(o), Some(r)) => {
                    if let Err(m) = role_fits(r, &o.kind) {
                        e.add("role", m);
                    }
                }
                (Some(_), None) => e.add("role", "unknown role"),
            }
            e.finish()?;
            let changes = Changes::diff(&user_value(&before)?, &user_value(&u)?, &["updated_at"]);
            if changes.is_empty() {
                return Ok(before);
            }
            u.updated_at = now.naive_utc();
            users::update(conn, &u).map_err(unique_error)?;
            audit::record(
                conn,
                audit::Record {
                    at: now,
                    actor_id: Some(&actor.user_id),
                    entity_type: "user",
                    entity_id: &u.id,
                    ticket_id: None,
                    action: "updated",
                    changes: &changes,
                    data: json!({}),
                },
            )?;
            Ok(u)
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(u)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. "laptop" or "monitoring script".
    pub label: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    pub id: String,
    /// The secret, shown only in this response.
    pub token: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn may_manage_tokens(actor: &Actor, user_id: &str) -> ApiResult<()> {
    if actor.role == Role::Admin || actor.user_id == user_id {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the user or an admin manages a user's tokens".into(),
        ))
    }
}

#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "users", request_body = CreateToken, params(("id" = String, Path)),
    responses((status = 201, body = NewTokenDto), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_token(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<CreateToken>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    may_manage_tokens(&actor, &id)?;
    let mut e = Errors::new();
    let label = e.line(
        "label",
        body.value.label.as_deref().unwrap_or("api"),
        1,
        100,
    );
    e.finish()?;
    let st = state.clone();
    let (tok, secret) = state
        .write(move |conn| {
            let u = load_user(conn, &actor, &id)?;
            if !u.active {
                return Err(ApiError::Conflict("the user is inactive".into()));
            }
            issue_token(conn, Some(&actor.user_id), &u.id, &label, st.now())
        })
        .await?;
    Ok(HttpResponse::Created().json(NewTokenDto {
        id: tok.id,
        token: secret,
        label: tok.label,
        created_at: utc(tok.created_at),
    }))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = [TokenDto]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_tokens(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    may_manage_tokens(&actor, &id)?;
    let list = state
        .read(move |conn| Ok(tokens::list_for_user(conn, &id)?))
        .await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(|t| TokenDto {
                id: t.id,
                label: t.label,
                created_at: utc(t.created_at),
                last_used_at: t.last_used_at.map(utc),
                revoked_at: t.revoked_at.map(utc),
            })
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = String, Path), ("token_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revoke_token(
    state: State,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (uid, tid) = path.into_inner();
    let (uid, tid) = (path_id(&uid)?.to_string(), path_id(&tid)?.to_string());
    may_manage_tokens(&actor, &uid)?;
    let st = state.clone();
    state
        .write(move |conn| {
            let now = st.now();
            match tokens::get(conn, &tid)? {
                Some(t) if t.user_id == uid => {
                    if tokens::revoke(conn, &tid, now.naive_utc())? == 1 {
                        audit::record(
                            conn,
                            audit::Record {
                                at: now,
                                actor_id: Some(&actor.user_id),
                                entity_type: "user",
                                entity_id: &uid,
                                ticket_id: None,
                                action: "token_revoked",
                                changes: &Changes::new(),
                                data: json!({ "token_id": tid }),
                            },
                        )?;
                    }
                    Ok(())
                }
                _ => Err(ApiError::NotFound(format!("no token {tid} for user {uid}"))),
            }
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
