//! The web console under `/console`: server-rendered pages for the people who work the
//! queues, on the same service layer and scope rules as the API. Every page is plain HTML
//! and every action a plain form post; the vendored htmx (embedded in the binary, no build
//! step) only refreshes the queue in place. Templates are minijinja, like the mail.
//!
//! Sessions live on the server (`app::console`); the cookie holds the session's secret,
//! `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS, and every form carries the session's
//! CSRF token (the sign-in forms, before a session, a double-submit token).

mod pages;
mod render;
mod text;

use std::future::{ready, Future, Ready};
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::app::console::Session;
use crate::app::AppError;
use crate::config::SecureCookies;
use crate::routes::error::ApiError;
use crate::routes::AppState;
pub use render::Console;

/// The session cookie: the session's secret, for `/console` only.
pub const SESSION_COOKIE: &str = "spbe_console";
/// The double-submit token of the sign-in forms, before there is a session.
const PRE_COOKIE: &str = "spbe_console_pre";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .app_data(
                web::FormConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| Failure::bad_request(e.to_string()).into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| Failure::bad_request(e.to_string()).into()),
            )
            .wrap_fn(render::error_pages)
            .route("", web::get().to(pages::home))
            .route("/", web::get().to(pages::home))
            .route("/assets/{name}", web::get().to(render::asset))
            .route("/sign-in", web::get().to(pages::sign_in_page))
            .route("/sign-in/link-request", web::post().to(pages::request_link))
            .route("/sign-in/link", web::get().to(pages::link_page))
            .route("/sign-in/link", web::post().to(pages::redeem_link))
            .route("/sign-in/token", web::post().to(pages::token_sign_in))
            .route("/sign-out", web::post().to(pages::sign_out))
            .route("/queue", web::get().to(pages::queue))
            .route("/queue/rows", web::get().to(pages::queue_rows))
            .route("/tickets/new", web::get().to(pages::new_ticket))
            .route("/tickets", web::post().to(pages::create_ticket))
            .route("/tickets/{id}", web::get().to(pages::ticket))
            .route("/tickets/{id}/{action}", web::post().to(pages::act))
            .route("/dashboard", web::get().to(pages::dashboard))
            .route("/reports", web::get().to(pages::reports))
            .route("/reports/{period}/download", web::get().to(pages::download))
            .default_service(web::to(pages::not_found)),
    );
}

/// What went wrong, as the console shows it: a page with the message and the status the
/// API would answer (the same words as its problem+json), or a trip to the sign-in page.
#[derive(Debug)]
pub enum Failure {
    /// Not signed in (or no longer): to the sign-in page, then back to `next`. A request of
    /// the page's own refresh (htmx) is told to load the sign-in page instead of swapping
    /// it into the table.
    SignIn {
        next: String,
        htmx: bool,
    },
    Page {
        status: StatusCode,
        message: String,
    },
}

impl Failure {
    fn bad_request(message: String) -> Failure {
        Failure::Page {
            status: StatusCode::BAD_REQUEST,
            message,
        }
    }

    fn csrf() -> Failure {
        Failure::Page {
            status: StatusCode::FORBIDDEN,
            message: "the form is missing its security token or it is out of date; reload the page and try again".into(),
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Failure::SignIn { .. } => String::new(),
            Failure::Page { message, .. } => message.clone(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        if let AppError::Invalid(errs) = &e {
            // A form shows every field that is wrong, not a count.
            return Failure::Page {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: errs
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            };
        }
        let api = ApiError::from(e);
        if let ApiError::Internal(cause) = &api {
            // Logged with its cause, as the API logs it; the page says only what happened.
            tracing::error!(error = %crate::app::error_chain(cause), "console request failed");
        }
        Failure::Page {
            status: api.status_code(),
            message: api.detail(),
        }
    }
}

impl From<actix_web::error::BlockingError> for Failure {
    fn from(e: actix_web::error::BlockingError) -> Failure {
        AppError::Internal(anyhow::anyhow!("{e}")).into()
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        match self {
            Failure::SignIn { htmx: true, .. } => StatusCode::OK,
            Failure::SignIn { .. } => StatusCode::SEE_OTHER,
            Failure::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Failure::SignIn { next, htmx } => {
                let to = format!(
                    "/console/sign-in?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                if *htmx {
                    HttpResponse::Ok()
                        .insert_header(("HX-Redirect", to))
                        .finish()
                } else {
                    HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, to))
                        .finish()
                }
            }
            // `render::error_pages` turns this into the console's error page.
            Failure::Page { status, message } => {
                let mut res = HttpResponse::build(*status)
                    .content_type("text/plain; charset=utf-8")
                    .body(message.clone());
                res.extensions_mut().insert(render::ErrorPage {
                    message: message.clone(),
                });
                res
            }
        }
    }
}

pub type Page = Result<HttpResponse, Failure>;

/// Runs one service call on the blocking pool.
async fn call<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, Failure>
where
    T: Send + 'static,
    F: FnOnce(&crate::app::App) -> crate::app::AppResult<T> + Send + 'static,
{
    let app = state.app.clone();
    Ok(web::block(move || f(&app)).await??)
}

/// A signed-in request: the session and the secret its cookie holds.
pub struct Signed {
    pub session: Session,
    pub secret: String,
}

impl FromRequest for Signed {
    type Error = Failure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Failure>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let secret = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let htmx = req.headers().contains_key("HX-Request");
        // Only a whole page is worth coming back to after signing in.
        let next = match (req.method() == actix_web::http::Method::GET, htmx) {
            (true, false) => req
                .uri()
                .path_and_query()
                .map_or("/console", |p| p.as_str())
                .to_string(),
            (true, true) => "/console/queue".to_string(),
            _ => "/console".to_string(),
        };
        Box::pin(async move {
            let sign_in = || Failure::SignIn {
                next: next.clone(),
                htmx,
            };
            let secret = secret.ok_or_else(sign_in)?;
            let state = state.ok_or_else(|| {
                Failure::from(AppError::Internal(anyhow::anyhow!("AppState missing")))
            })?;
            let s = secret.clone();
            let session = call(&state, move |app| app.console_session(&s))
                .await?
                .ok_or_else(sign_in)?;
            Ok(Signed { session, secret })
        })
    }
}

impl Signed {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Failure> {
        same_secret(sent, &self.session.csrf)
            .then_some(())
            .ok_or_else(Failure::csrf)
    }
}

/// Compares two secrets by their digests, so the time taken says nothing about either.
fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Whether the request reached us over TLS: directly, or per `X-Forwarded-Proto` from a
/// trusted proxy.
fn over_tls(req: &HttpRequest, console: &Console) -> bool {
    match console.secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => {
            if req.connection_info().scheme() == "https" && req.app_config().secure() {
                return true;
            }
            let peer_trusted = req
                .peer_addr()
                .is_some_and(|p| console.trusted_proxies.contains(&p.ip()));
            peer_trusted
                && req
                    .headers()
                    .get("X-Forwarded-Proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.eq_ignore_ascii_case("https"))
        }
    }
}

fn cookie<'a>(
    req: &HttpRequest,
    console: &Console,
    name: &'a str,
    value: String,
    path: &'a str,
) -> Cookie<'a> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(req, console))
        .finish()
}

/// The sign-in forms' double-submit token: the one in the cookie, or a new one to set.
fn pre_token(req: &HttpRequest) -> (String, bool) {
    match req.cookie(PRE_COOKIE) {
        Some(c) if c.value().len() == 64 => (c.value().to_string(), false),
        _ => (hex::encode(rand::random::<[u8; 32]>()).to_string(), true),
    }
}

/// Refuses a sign-in form whose token does not match its cookie.
fn check_pre(req: &HttpRequest, sent: &str) -> Result<(), Failure> {
    let cookie = req.cookie(PRE_COOKIE).map(|c| c.value().to_string());
    match cookie {
        Some(c) if same_secret(sent, &c) => Ok(()),
        _ => Err(Failure::csrf()),
    }
}

/// A `next` that stays inside the console (never an open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console")
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() < 512 =>
        {
            n.to_string()
        }
        _ => "/console".to_string(),
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// The console's own 404 for anything under `/console` that is not a page.
pub fn not_found_failure(path: &str) -> Failure {
    Failure::Page {
        status: StatusCode::NOT_FOUND,
        message: format!("no page {path}"),
    }
}

/// A ready extractor of the console's templates and settings.
impl FromRequest for Console {
    type Error = Failure;
    type Future = Ready<Result<Self, Failure>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.app_data::<web::Data<Console>>()
                .map(|c| c.get_ref().clone())
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("console missing")).into()),
        )
    }
}
