//! `/api/v1/tickets/{id}/participants`: extra people who follow a ticket by e-mail.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::utc;
use super::extract::JsonBody;
use super::{path_id, State};
use crate::app::tickets::NewParticipant;
use crate::db::models::Participant;
use crate::domain::scope::Actor;
use crate::routes::error::{ApiResult, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantDto {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub added_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<Participant> for ParticipantDto {
    fn from(p: Participant) -> Self {
        ParticipantDto {
            id: p.id,
            email: p.email,
            name: p.name,
            added_by: p.added_by,
            created_at: utc(p.created_at),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/participants", tag = "tickets",
    params(("id" = String, Path, description = "Ticket UUID or number")),
    responses((status = 200, body = [ParticipantDto]), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(state: State, actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let list = state.call(move |app| app.participants(&actor, &id)).await?;
    Ok(HttpResponse::Ok().json(
        list.into_iter()
            .map(ParticipantDto::from)
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/participants", tag = "tickets",
    request_body = NewParticipant,
    params(("id" = String, Path, description = "Ticket UUID or number")),
    description = "Adds someone who follows the ticket by e-mail (a PD head, a vendor contact); audited.",
    responses((status = 201, body = ParticipantDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Already a participant, or the ticket is closed", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add(
    state: State,
    actor: Actor,
    id: web::Path<String>,
    body: JsonBody<NewParticipant>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let input = body.value;
    let p = state
        .call(move |app| app.add_participant(&actor, &id, &input))
        .await?;
    Ok(HttpResponse::Created().json(ParticipantDto::from(p)))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}/participants/{participant_id}", tag = "tickets",
    params(("id" = String, Path, description = "Ticket UUID or number"), ("participant_id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove(
    state: State,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, pid) = path.into_inner();
    let pid = path_id(&pid)?.to_string();
    state
        .call(move |app| app.remove_participant(&actor, &id, &pid))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
