//! The HTTP surface. `configure` is the whole URL map; handlers live one resource per file
//! with their DTOs beside them.

pub mod auth;
pub mod calendars;
pub mod console;
pub mod dto;
pub mod error;
pub mod extract;
pub mod health;
pub mod limits;
pub mod openapi;
pub mod organizations;
pub mod outbox;
pub mod participants;
pub mod reports;
pub mod services;
pub mod sla_policies;
pub mod ticket_actions;
pub mod ticket_sla;
pub mod tickets;
pub mod users;

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::{App, AppResult, PageAt, Paged};
use crate::domain::validate::Errors;
use crate::routes::error::{ApiError, ApiResult};

/// Shared by every handler; built once at start.
pub struct AppState {
    pub app: Arc<App>,
}

pub type State = web::Data<AppState>;

impl AppState {
    /// Runs one service call on the blocking pool (the service layer is synchronous).
    pub async fn call<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&App) -> AppResult<T> + Send + 'static,
    {
        let app = self.app.clone();
        Ok(web::block(move || f(&app)).await??)
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(web::resource("/metrics").get(health::metrics))
        .service(
            web::scope("/api/v1")
                .service(web::resource("/openapi.json").get(openapi::spec))
                .service(web::resource("/me").get(users::me))
                .service(web::resource("/outbox").get(outbox::list))
                .service(web::resource("/outbox/retry-dead").post(outbox::retry_dead))
                .service(web::resource("/outbox/{id}/retry").post(outbox::retry))
                .service(
                    web::resource("/organizations")
                        .get(organizations::list)
                        .post(organizations::create),
                )
                .service(
                    web::resource("/organizations/{id}")
                        .get(organizations::get)
                        .patch(organizations::update),
                )
                .service(web::resource("/users").get(users::list).post(users::create))
                .service(
                    web::resource("/users/{id}")
                        .get(users::get)
                        .patch(users::update),
                )
                .service(
                    web::resource("/users/{id}/tokens")
                        .get(users::list_tokens)
                        .post(users::create_token),
                )
                .service(web::resource("/users/{id}/tokens/{token_id}").delete(users::revoke_token))
                .service(
                    web::resource("/users/{id}/tokens/{token_id}/rotate").post(users::rotate_token),
                )
                .service(web::resource("/users/{id}/events").get(users::events))
                .service(
                    web::resource("/services")
                        .get(services::list)
                        .post(services::create),
                )
                .service(
                    web::resource("/services/{id}")
                        .get(services::get)
                        .patch(services::update),
                )
                .service(web::resource("/services/{id}/events").get(services::events))
                .service(
                    web::resource("/services/{id}/propose-critical")
                        .post(services::propose_critical),
                )
                .service(web::resource("/services/{id}/designate").post(services::designate))
                .service(
                    web::resource("/services/{id}/revoke-critical").post(services::revoke_critical),
                )
                .service(web::resource("/reports/monthly/{month}").get(reports::monthly))
                .service(web::resource("/reports/yearly/{year}").get(reports::yearly))
                .service(web::resource("/reports/{kind}/{period}/manifest").get(reports::manifest))
                .service(
                    web::resource("/services/{id}/sanctions")
                        .get(services::sanctions)
                        .post(services::record_sanction),
                )
                .service(
                    web::resource("/services/{id}/sanctions/{sid}/lift")
                        .post(services::lift_sanction),
                )
                .service(
                    web::resource("/calendars")
                        .get(calendars::list)
                        .post(calendars::create),
                )
                .service(
                    web::resource("/calendars/{id}")
                        .get(calendars::get)
                        .patch(calendars::update),
                )
                .service(
                    web::resource("/calendars/{id}/holidays/import")
                        .post(calendars::import_holidays),
                )
                .service(
                    web::resource("/sla-policies")
                        .get(sla_policies::list)
                        .post(sla_policies::create),
                )
                .service(
                    web::resource("/sla-policies/{id}")
                        .get(sla_policies::get)
                        .patch(sla_policies::update),
                )
                .service(
                    web::resource("/sla-policies/{id}/rebaseline")
                        .post(ticket_sla::rebaseline_policy),
                )
                .service(
                    web::resource("/tickets")
                        .get(tickets::list)
                        .post(tickets::create),
                )
                .service(web::resource("/tickets/{id}/sla").get(ticket_sla::get))
                .service(web::resource("/tickets/{id}/sla/rebaseline").post(ticket_sla::rebaseline))
                .service(
                    web::resource("/tickets/{id}")
                        .get(tickets::get)
                        .patch(tickets::update),
                )
                .service(web::resource("/tickets/{id}/events").get(tickets::events))
                .service(
                    web::resource("/tickets/{id}/participants")
                        .get(participants::list)
                        .post(participants::add),
                )
                .service(
                    web::resource("/tickets/{id}/participants/{participant_id}")
                        .delete(participants::remove),
                )
                .service(
                    web::resource("/tickets/{id}/comments")
                        .get(ticket_actions::list_comments)
                        .post(ticket_actions::comment),
                )
                .service(
                    web::resource("/tickets/{id}/acknowledge").post(ticket_actions::acknowledge),
                )
                .service(web::resource("/tickets/{id}/assign").post(ticket_actions::assign))
                .service(web::resource("/tickets/{id}/escalate").post(ticket_actions::escalate))
                .service(web::resource("/tickets/{id}/pause").post(ticket_actions::pause))
                .service(web::resource("/tickets/{id}/resume").post(ticket_actions::resume))
                .service(web::resource("/tickets/{id}/resolve").post(ticket_actions::resolve))
                .service(web::resource("/tickets/{id}/close").post(ticket_actions::close))
                .service(web::resource("/tickets/{id}/reopen").post(ticket_actions::reopen))
                .service(web::resource("/tickets/{id}/cancel").post(ticket_actions::cancel)),
        )
        .default_service(web::to(not_found));
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())).error_response()
}

/// Path segments are opaque ids; keep them short and printable before touching the database.
pub fn path_id(raw: &str) -> ApiResult<&str> {
    if raw.is_empty()
        || raw.len() > 64
        || !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ApiError::NotFound("no such record".into()));
    }
    Ok(raw)
}

/// A page cursor: the position and id of the last row of a page, as `<position>_<id>`;
/// the position is the creation time in microseconds, or an audit event's sequence
/// number. Any string of this form is a valid place to start (keyset pagination), which
/// is what the `cursor` pattern in the document says.
pub fn encode_cursor(position: i64, id: &str) -> String {
    format!("{position}_{id}")
}

/// The cursor of a row ordered by (created_at, id).
pub fn time_cursor(created_at: chrono::NaiveDateTime, id: &str) -> String {
    encode_cursor(created_at.and_utc().timestamp_micros(), id)
}

/// Checks `limit` (1 to 200, default 50) and `cursor` (`^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$`).
pub fn page_at(e: &mut Errors, limit: Option<i64>, cursor: Option<&str>) -> PageAt {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        e.add("limit", "must be between 1 and 200");
    }
    let after = cursor.and_then(|c| {
        let parsed = c.split_once('_').and_then(|(pos, id)| {
            let pos_ok = (1..=16).contains(&pos.len()) && pos.bytes().all(|b| b.is_ascii_digit());
            let id_ok = (1..=64).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            (pos_ok && id_ok)
                .then(|| pos.parse::<i64>().ok().map(|p| (p, id.to_string())))
                .flatten()
        });
        if parsed.is_none() {
            e.add("cursor", "is not a cursor returned by this endpoint");
        }
        parsed
    });
    PageAt { limit, after }
}

/// The page parameters of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,16}_[0-9A-Za-z-]{1,64}$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn check(&self) -> ApiResult<PageAt> {
        let mut e = Errors::new();
        let p = page_at(&mut e, self.limit, self.cursor.as_deref());
        e.finish()?;
        Ok(p)
    }
}

/// A page of a list: `next_cursor` is null on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page's DTOs, with the cursor of its last row when more follow.
    pub fn of<R>(page: Paged<R>, cursor: impl Fn(&R) -> String, dto: impl FnMut(R) -> T) -> Self {
        let next_cursor = if page.more {
            page.items.last().map(cursor)
        } else {
            None
        };
        Page {
            items: page.items.into_iter().map(dto).collect(),
            next_cursor,
        }
    }
}
