//! Business calendars: time zone, weekly working intervals, holidays. Every edit is a new
//! immutable version; policies on the calendar get a new version too, and open tickets move
//! to it only by an audited re-baseline.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::dto::utc;
use super::extract::{JsonBody, RawBody};
use super::tickets::expected_version;
use super::{json_text, new_id, path_id, State};
use crate::db::models::{CalendarRow, PolicyRow};
use crate::db::queries::{audit, sla as q};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::Role;
use crate::engine::{build_calendar, shipped_holidays, Holiday, WorkingHours};
use crate::error::{ApiError, ApiResult, Problem};

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

fn to_dto(row: CalendarRow) -> ApiResult<CalendarDto> {
    let bad = |e: serde_json::Error| {
        ApiError::Internal(anyhow::anyhow!("calendar {} is corrupt: {e}", row.id))
    };
    let working_hours: WorkingHours = serde_json::from_str(&row.working_hours).map_err(bad)?;
    let holidays: Vec<Holiday> = serde_json::from_str(&row.holidays).map_err(bad)?;
    let weekly_minutes = build_calendar(&row.timezone, &working_hours, &holidays)
        .map(|c| c.weekly_minutes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("calendar {} is corrupt: {e}", row.id)))?;
    Ok(CalendarDto {
        id: row.id,
        name: row.name,
        timezone: row.timezone,
        working_hours,
        holidays,
        weekly_minutes,
        version: row.version,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

pub(crate) fn require_sla_admin(actor: &Actor) -> ApiResult<()> {
    match actor.role {
        Role::Supervisor | Role::Admin => Ok(()),
        r => Err(ApiError::Forbidden(format!(
            "the {r} role cannot change calendars or SLA policies"
        ))),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCalendar {
    pub name: String,
    pub timezone: String,
    #[schema(value_type = Object)]
    pub working_hours: WorkingHours,
    /// Default: the national holidays and cuti bersama shipped with the daemon.
    pub holidays: Option<Vec<Holiday>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCalendar {
    pub version: Option<i32>,
    pub name: Option<String>,
    pub timezone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub working_hours: Option<WorkingHours>,
    pub holidays: Option<Vec<Holiday>>,
}

fn check(e: &mut Errors, tz: &str, wh: &WorkingHours, holidays: &[Holiday]) {
    match build_calendar(tz, wh, holidays) {
        Err(m) => {
            let field = if m.contains("time zone") || m.contains("timezone") {
                "timezone"
            } else {
                "working_hours"
            };
            e.add(field, m);
        }
        // Without working time no deadline would ever fall due.
        Ok(c) if c.weekly_minutes() == 0 => {
            e.add("working_hours", "a calendar needs some working time")
        }
        Ok(_) => {}
    }
    for (i, h) in holidays.iter().enumerate() {
        if h.name.trim().is_empty() || h.name.chars().count() > 200 {
            e.add(
                &format!("holidays[{i}].name"),
                "must be 1 to 200 characters",
            );
        }
    }
    if holidays.len() > 5000 {
        e.add("holidays", "at most 5000 holidays");
    }
}

fn sorted(mut h: Vec<Holiday>) -> Vec<Holiday> {
    h.sort_by_key(|x| x.date);
    h.dedup_by(|a, b| a.date == b.date);
    h
}

#[utoipa::path(post, path = "/api/v1/calendars", tag = "sla", request_body = CreateCalendar,
    responses((status = 201, body = CalendarDto), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: State,
    actor: Actor,
    body: JsonBody<CreateCalendar>,
) -> ApiResult<HttpResponse> {
    require_sla_admin(&actor)?;
    let input = body.value;
    let holidays = match input.holidays {
        Some(h) => sorted(h),
        None => shipped_holidays().map_err(ApiError::Internal)?,
    };
    let mut e = Errors::new();
    let name = e.line("name", &input.name, 2, 200);
    check(&mut e, &input.timezone, &input.working_hours, &holidays);
    e.finish()?;
    let st = state.clone();
    let row = state
        .write(move |conn| {
            let n = st.now().naive_utc();
            let row = CalendarRow {
                id: new_id(),
                name,
                timezone: input.timezone,
                working_hours: json_text(&input.working_hours)?,
                holidays: json_text(&holidays)?,
                version: 1,
                created_at: n,
                updated_at: n,
            };
            q::insert_calendar(conn, &row).map_err(|err| {
                if is_unique_violation(&err) {
                    ApiError::field("name", "is already used by another calendar")
                } else {
                    err.into()
                }
            })?;
            let dto = to_dto(row.clone())?;
            let after = serde_json::to_value(&dto).map_err(|e| ApiError::Internal(e.into()))?;
            audit::created(
                conn,
                st.now(),
                Some(&actor.user_id),
                "calendar",
                &row.id,
                &after,
                &[],
            )?;
            Ok(dto)
        })
        .await?;
    Ok(HttpResponse::Created().json(row))
}

#[utoipa::path(get, path = "/api/v1/calendars", tag = "sla",
    responses((status = 200, body = [CalendarDto])), security(("bearer" = [])))]
pub async fn list(state: State, _actor: Actor) -> ApiResult<HttpResponse> {
    let list = state
        .read(|conn| {
            q::calendars(conn)?
                .into_iter()
                .map(to_dto)
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

fn load(conn: &mut DbConn, id: &str) -> ApiResult<CalendarRow> {
    q::calendar(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("no calendar {id}")))
}

#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "sla", params(("id" = String, Path)),
    responses((status = 200, body = CalendarDto), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get(state: State, _actor: Actor, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id)?.to_string();
    let c = state.read(move |conn| to_dto(load(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Saves a new version of a calendar and of every policy that uses it.
fn save_version(
    conn: &mut DbConn,
    actor: &Actor,
    before: CalendarRow,
    mut after: CalendarRow,
    action: &str,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> ApiResult<CalendarDto> {
    let b =
        serde_json::to_value(to_dto(before.clone())?).map_err(|e| ApiError::Internal(e.into()))?;
    let a =
        serde_json::to_value(to_dto(after.clone())?).map_err(|e| ApiError::Internal(e.into()))?;
    let changes = Changes::diff(&b, &a, &["version", "updated_at", "weekly_minutes"]);
    if changes.is_empty() {
        return to_dto(before);
    }
    after.version = before.version + 1;
    after.updated_at = now.naive_utc();
    if !q::update_calendar(conn, &after, before.version).map_err(|err| {
        if is_unique_violation(&err) {
            ApiError::field("name", "is already used by another calendar")
        } else {
            err.into()
        }
    })? {
        return Err(ApiError::Conflict(
            "the calendar was changed by someone else meanwhile".into(),
        ));
    }
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id: Some(&actor.user_id),
            entity_type: "calendar",
            entity_id: &after.id,
            ticket_id: None,
            action,
            changes: &changes,
            data,
        },
    )?;
    for p in q::policies_on_calendar(conn, &after.id)? {
        let next = PolicyRow {
            version: p.version + 1,
            updated_at: now.naive_utc(),
            ..p.clone()
        };
        if !q::update_policy(conn, &next, p.version, after.version)? {
            return Err(ApiError::Conflict(
                "a policy on this calendar changed meanwhile; retry".into(),
            ));
        }
        let mut c = Changes::new();
        c.set(
            "calendar_version",
            json!(before.version),
            json!(after.version),
        );
        audit::record(
            conn,
            audit::Record {
                at: now,
                actor_id: Some(&actor.user_id),
                entity_type: "sla_policy",
                entity_id: &p.id,
                ticket_id: None,
                action: "calendar_changed",
                changes: &c,
                data: json!({ "calendar_id": after.id }),
            },
        )?;
    }
    to_dto(after)
}

#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "sla", request_body = PatchCalendar,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    description = "Saves a new version. Open tickets keep the version they started with until re-baselined.",
    responses((status = 200, body = CalendarDto), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<PatchCalendar>,
) -> ApiResult<HttpResponse> {
    require_sla_admin(&actor)?;
    let p = body.value;
    let expected = expected_version(&req, p.version)?;
    let id = path_id(&id)?.to_string();
    let st = state.clone();
    let c = state
        .write(move |conn| {
            let now = st.now();
            let before = load(conn, &id)?;
            if expected.is_some_and(|v| v != before.version) {
                return Err(ApiError::Conflict(format!(
                    "the calendar is at version {}",
                    before.version
                )));
            }
            let cur = to_dto(before.clone())?;
            let tz = p.timezone.unwrap_or(cur.timezone);
            let wh = p.working_hours.unwrap_or(cur.working_hours);
            let holidays = sorted(p.holidays.unwrap_or(cur.holidays));
            let mut e = Errors::new();
            let name = match &p.name {
                Some(n) => e.line("name", n, 2, 200),
                None => cur.name,
            };
            check(&mut e, &tz, &wh, &holidays);
            e.finish()?;
            let after = CalendarRow {
                name,
                timezone: tz,
                working_hours: json_text(&wh)?,
                holidays: json_text(&holidays)?,
                ..before.clone()
            };
            save_version(conn, &actor, before, after, "updated", json!({}), now)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", c.version)))
        .json(c))
}

#[utoipa::path(post, path = "/api/v1/calendars/{id}/holidays/import", tag = "sla",
    params(("id" = String, Path)),
    request_body(content = String, content_type = "text/calendar", description = "An iCalendar file; every all-day event becomes a holiday"),
    responses((status = 200, body = CalendarDto), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import_holidays(
    state: State,
    actor: Actor,
    req: HttpRequest,
    id: web::Path<String>,
    body: RawBody,
) -> ApiResult<HttpResponse> {
    require_sla_admin(&actor)?;
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
    let st = state.clone();
    let c = state
        .write(move |conn| {
            let now = st.now();
            let before = load(conn, &id)?;
            let cur = to_dto(before.clone())?;
            let count = imported.len();
            let mut all = cur.holidays;
            all.extend(imported);
            let all = sorted(all);
            let after = CalendarRow {
                holidays: json_text(&all)?,
                ..before.clone()
            };
            save_version(
                conn,
                &actor,
                before,
                after,
                "holidays_imported",
                json!({ "events_days": count }),
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(c))
}
