//! Users (staff accounts) and their API tokens.

use crate::domain::validate::Errors;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{utc, UserDto};
use super::extract::{JsonBody, StrictQuery};
use super::{page_at, path_id, time_cursor, Page, PageQuery, State};
use crate::app::directory::{CreateUser, PatchUser};
use crate::domain::scope::Actor;
use crate::domain::Role;
use crate::routes::error::{ApiResult, Problem};

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserDto), (status = 409, body = Problem, description = "The code, name, e-mail or NIP is already used"), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateUser>,
) -> ApiResult<HttpResponse> {
    let input = body.value;
    let u = state
        .call(move |app| app.create_user(&actor, &input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/users/{}", u.id),
        ))
        .json(UserDto::from(u)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub organization_id: Option<String>,
    #[param(inline)]
    pub role: Option<Role>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$")]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    description = "The accounts the caller may see (technicians and operators: their own organization's), oldest first.",
    responses((status = 200, body = Page<UserDto>), (status = 422, body = Problem)), security(("bearer" = [])))]
pub async fn list(
    state: State,
    actor: Actor,
    q: StrictQuery<UserQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut e = Errors::new();
    let page = page_at(&mut e, q.limit, q.cursor.as_deref());
    e.finish()?;
    let list = state
        .call(move |app| app.users(&actor, q.organization_id.as_deref(), q.role, &page))
        .await?;
    Ok(HttpResponse::Ok().json(Page::of(
        list,
        |u| time_cursor(u.created_at, &u.id),
        UserDto::from,
    )))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let u = state.call(move |app| app.user(&actor, &id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(u)))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = UserDto)), security(("bearer" = [])))]
pub async fn me(state: State, actor: Actor) -> ApiResult<HttpResponse> {
    let u = state
        .call(move |app| app.user(&actor, &actor.user_id))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(u)))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = PatchUser, params(("id" = String, Path)),
    responses((status = 409, body = Problem, description = "The code, name, e-mail or NIP is already used"), (status = 200, body = UserDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<PatchUser>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let p = body.value;
    let u = state
        .call(move |app| app.update_user(&actor, &id, &p))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(u)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, e.g. "laptop" or "monitoring script".
    #[schema(schema_with = crate::domain::validate::schema::label_or_null)]
    pub label: Option<String>,
    /// Days until the token stops working (at most `http.token_max_days` when that is set;
    /// then also the default).
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    pub id: String,
    /// The secret, shown only in this response.
    pub token: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewTokenDto {
    fn new(tok: crate::db::models::ApiToken, secret: String) -> Self {
        Self {
            id: tok.id,
            token: secret,
            label: tok.label,
            created_at: utc(tok.created_at),
            expires_at: tok.expires_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who issued it: the user themself, or an administrator (null: `init` or `demo`).
    pub issued_by: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
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
    let CreateToken {
        label,
        expires_in_days,
    } = body.value;
    let (tok, secret) = state
        .call(move |app| app.create_token(&actor, &id, label.as_deref(), expires_in_days))
        .await?;
    Ok(HttpResponse::Created().json(NewTokenDto::new(tok, secret)))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/tokens/{token_id}/rotate", tag = "users",
    params(("id" = String, Path), ("token_id" = String, Path)),
    description = "Issues a new token with the same label and lifetime and revokes this one, in one step.",
    responses((status = 201, body = NewTokenDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn rotate_token(
    state: State,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (uid, tid) = path.into_inner();
    let (uid, tid) = (path_id(&uid)?.to_string(), path_id(&tid)?.to_string());
    let (tok, secret) = state
        .call(move |app| app.rotate_token(&actor, &uid, &tid))
        .await?;
    Ok(HttpResponse::Created().json(NewTokenDto::new(tok, secret)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = [TokenDto]), (status = 403, body = Problem)), security(("bearer" = [])))]
pub async fn list_tokens(
    state: State,
    actor: Actor,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let list = state.call(move |app| app.tokens(&actor, &id)).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(|t| TokenDto {
                id: t.id,
                label: t.label,
                created_at: utc(t.created_at),
                last_used_at: t.last_used_at.map(utc),
                revoked_at: t.revoked_at.map(utc),
                issued_by: t.issued_by,
                expires_at: t.expires_at.map(utc),
            })
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = String, Path), ("token_id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn revoke_token(
    state: State,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (uid, tid) = path.into_inner();
    let (uid, tid) = (path_id(&uid)?.to_string(), path_id(&tid)?.to_string());
    state
        .call(move |app| app.revoke_token(&actor, &uid, &tid))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/users/{id}/events", tag = "users", params(("id" = String, Path), PageQuery),
    description = "The user's audit trail, oldest first: changes, and every token issued (with its issuer), rotated or revoked. For auditors, admins and the user.",
    responses((status = 200, body = Page<super::dto::EventDto>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn events(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    q: StrictQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let page = q.0.check()?;
    let list = state
        .call(move |app| app.user_events(&actor, &id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(super::dto::event_page(list)?))
}
