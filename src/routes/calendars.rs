//! Business calendars: time zone, weekly working intervals, holidays. Every edit is a new
//! immutable version; policies on the calendar get a new version too, and open tickets move
//! to it only by an audited re-baseline.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::utc;
use super::extract::{JsonBody, RawBody};
use super::tickets::expected_version;
use super::{path_id, State};
use crate::app::calendars::{CreateCalendar, PatchCalendar};
use crate::app::record::CalendarView;
use crate::app::sla::{Holiday, WorkingHours};
use crate::domain::scope::Actor;
use crate::routes::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDto {
    pub id: String,
    pub name: String,
    /// IANA zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT).
    pub timezone: String,
    /// `{"mon": [["07:30","12:00"], ["13:00","16:00"]], ..., "sun": []}`.
    #[schema(value_type = Object)]
    pub working_hours: WorkingHours,
    pub holidays: Vec<Holiday>,
    /// Business minutes in a week without holidays.
    pub weekly_minutes: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CalendarView> for CalendarDto {
    fn from(v: CalendarView) -> Self {
        CalendarDto {
            id: v.row.id,
            name: v.row.name,
            timezone: v.row.timezone,
            working_hours: v.working_hours,
            holidays: v.holidays,
            weekly_minutes: v.weekly_minutes,
            version: v.row.version,
            created_at: utc(v.row.created_at),
            updated_at: utc(v.row.updated_at),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/calendars", tag = "sla", request_body = CreateCalendar,
    responses((status = 201, body = CalendarDto), (status = 409, body = Problem, description = "The code, name, e-mail or NIP is already used"), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateCalendar>,
) -> ApiResult<HttpResponse> {
    let input = body.value;
    let c = state
        .call(move |app| app.create_calendar(&actor, &input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/calendars/{}", c.row.id),
        ))
        .json(CalendarDto::from(c)))
}

#[utoipa::path(get, path = "/api/v1/calendars", tag = "sla",
    responses((status = 200, body = [CalendarDto])), security(("bearer" = [])))]
pub async fn list(state: State, _actor: Actor) -> ApiResult<HttpResponse> {
    let list = state.call(|app| app.calendars()).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(CalendarDto::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = CalendarDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let c = state.call(move |app| app.calendar(&id)).await?;
    Ok(HttpResponse::Ok().json(CalendarDto::from(c)))
}

#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "sla", request_body = PatchCalendar,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    description = "Saves a new version. Open tickets keep the version they started with until re-baselined.",
    responses((status = 200, body = CalendarDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchCalendar>,
) -> ApiResult<HttpResponse> {
    let p = body.value;
    let expected = expected_version(&req, p.version)?;
    let id = path_id(&id)?.to_string();
    let c = state
        .call(move |app| app.update_calendar(&actor, &id, expected, &p))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", c.row.version)))
        .json(CalendarDto::from(c)))
}

#[utoipa::path(post, path = "/api/v1/calendars/{id}/holidays/import", tag = "sla",
    params(("id" = String, Path)),
    request_body(content = String, content_type = "text/calendar", description = "An iCalendar file; every all-day event becomes a holiday"),
    responses((status = 200, body = CalendarDto), (status = 403, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import_holidays(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("text/calendar") {
        return Err(ApiError::UnsupportedMediaType(
            "send the .ics file as Content-Type: text/calendar".into(),
        ));
    }
    let text = std::str::from_utf8(&body.0)
        .map_err(|_| ApiError::field("body", "the calendar file is not UTF-8"))?;
    let imported = crate::ics::parse_holidays(text).map_err(|m| ApiError::field("body", m))?;
    let id = path_id(&id)?.to_string();
    let c = state
        .call(move |app| app.import_holidays(&actor, &id, imported))
        .await?;
    Ok(HttpResponse::Ok().json(CalendarDto::from(c)))
}
