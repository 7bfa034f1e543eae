//! The HTTP layer's error and its one mapping to problem+json. Error policy (after
//! crates.io's `util/errors.rs`):
//!
//! - `db::queries` returns `diesel::QueryResult`; the service layer (`app`) returns
//!   `AppError`, which knows no HTTP; request handlers return [`ApiError`], and the
//!   `From<AppError>` impl here is the one place a use case's error becomes a status.
//! - Every error leaves the daemon as `application/problem+json` (RFC 9457) with `type`,
//!   `title`, `status`, `detail`, and `errors: [{field, message}]` for validation failures.
//! - Bad input is always a 4xx that says what is wrong. Anything unexpected is a 500 whose
//!   body says only "internal error"; the cause chain goes to the log, never to the client.
//! - All conversions from lower-level errors are the `From` impls in this file, so the
//!   mapping to status codes is decided in one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::app::AppError;
use crate::domain::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use ApiError::*;
        match self {
            Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not Found"),
            BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad Request"),
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-error",
                "Validation Failed",
            ),
            Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method Not Allowed",
            ),
            PreconditionRequired(_) => (
                StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                "Precondition Required",
            ),
            PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload Too Large",
            ),
            UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported Media Type",
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service Unavailable",
            ),
            TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too Many Requests",
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal Server Error",
            ),
        }
    }

    pub(crate) fn detail(&self) -> String {
        use ApiError::*;
        match self {
            Unauthorized(d)
            | Forbidden(d)
            | NotFound(d)
            | BadRequest(d)
            | Conflict(d)
            | MethodNotAllowed(d)
            | PreconditionRequired(d)
            | PayloadTooLarge(d)
            | UnsupportedMediaType(d)
            | Unavailable(d)
            | TooManyRequests(d) => d.clone(),
            Validation(errs) => match errs.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid", errs.len()),
            },
            Internal(_) => "internal error; the cause has been logged".into(),
        }
    }
}

/// The problem+json body; also the OpenAPI schema of every error response.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
}

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

pub const PROBLEM_BASE: &str = "https://spbe-desk.id/problems/";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, slug, title) = self.parts();
        if let ApiError::Internal(e) = self {
            tracing::error!(error = %error_chain(e), "internal error");
        }
        let errors = match self {
            ApiError::Validation(errs) => Some(
                errs.iter()
                    .map(|f| ProblemField {
                        field: f.field.clone(),
                        message: f.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        let body = Problem {
            type_: format!("{PROBLEM_BASE}{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors,
        };
        let mut resp = HttpResponse::build(status);
        resp.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        // The database was busy or unreachable: the same request may well work shortly.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.insert_header((header::RETRY_AFTER, "1"));
        }
        resp.json(body)
    }
}

use crate::app::error_chain;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Forbidden(d) => ApiError::Forbidden(d),
            AppError::NotFound(d) => ApiError::NotFound(d),
            AppError::Invalid(errs) => ApiError::Validation(errs),
            AppError::Conflict(d) => ApiError::Conflict(d),
            AppError::VersionRequired(d) => ApiError::PreconditionRequired(d),
            AppError::Busy(d) => ApiError::Unavailable(d),
            AppError::Db(e) => ApiError::Internal(anyhow::Error::new(e).context("database query")),
            AppError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errs: Vec<FieldError>) -> Self {
        ApiError::Validation(errs)
    }
}
