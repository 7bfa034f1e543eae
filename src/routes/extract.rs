//! Request decoding that fails as problem+json: bodies are read under a size limit and
//! decoded with the path of the offending field, so `reporter.email` is named in the error
//! instead of a line and column.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::domain::validate::FieldError;
use crate::routes::error::ApiError;

/// Largest accepted body, set from `http.max_body_bytes`.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body of type `T`. An empty body decodes as `{}` when `T` allows it (actions
/// whose fields are all optional).
pub struct JsonBody<T> {
    pub value: T,
    /// The raw bytes, for request fingerprints (Idempotency-Key).
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, declared_len) = limit_of(req);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.to_ascii_lowercase());
        let payload = payload.take();
        Box::pin(async move {
            let raw = read_limited(payload, limit, declared_len).await?;
            let is_empty = raw.iter().all(u8::is_ascii_whitespace);
            if !is_empty {
                let json = content_type.as_deref().is_some_and(|ct| {
                    let mime = ct.split(';').next().unwrap_or("").trim();
                    mime == "application/json" || mime.ends_with("+json")
                });
                if !json {
                    return Err(ApiError::UnsupportedMediaType(
                        "send the body as Content-Type: application/json".into(),
                    ));
                }
            }
            let text: &[u8] = if is_empty { b"{}" } else { &raw };
            let value = decode::<T>(text)?;
            Ok(JsonBody { value, raw })
        })
    }
}

fn limit_of(req: &HttpRequest) -> (usize, Option<usize>) {
    let limit = req
        .app_data::<BodyLimit>()
        .map(|l| l.0)
        .unwrap_or(256 * 1024);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    (limit, declared)
}

/// Reads a whole body, refusing more than `limit` bytes (before reading, when the client
/// declared the length).
async fn read_limited(
    mut payload: Payload,
    limit: usize,
    declared: Option<usize>,
) -> Result<web::Bytes, ApiError> {
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A raw body (for non-JSON uploads such as .ics files), under the same size limit.
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, declared) = limit_of(req);
        let payload = payload.take();
        Box::pin(async move { read_limited(payload, limit, declared).await.map(RawBody) })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"))
}

/// Decodes JSON, turning serde's message into a field-level error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid JSON: {e}")))?;
    // Every body is an object; serde would also take a struct from an array of its fields.
    if !value.is_object() {
        return Err(ApiError::Validation(vec![FieldError {
            field: "body".into(),
            message: "must be a JSON object".into(),
        }]));
    }
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::Validation(vec![field_error(&path, e.inner())])
    })
}

/// JSON Schema counts `3.0` as an integer, and so do many clients' encoders; serde does
/// not. Every whole number written with a fraction becomes an integer before decoding.
fn integral_floats_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // Exactly representable whole numbers only: |f| < 2^63.
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    let i = f as i64;
                    *v = Value::from(i);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn field_error(path: &str, e: &serde_json::Error) -> FieldError {
    // serde_json appends " at line L column C"; the field path says more.
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let base = if path == "." { "" } else { path };
    // A missing field is reported at its parent; name the field itself.
    let named = msg
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match named {
        Some(name) if base.is_empty() => name.to_string(),
        Some(name) => format!("{base}.{name}"),
        None if base.is_empty() => "body".to_string(),
        None => base.to_string(),
    };
    FieldError {
        field,
        message: msg,
    }
}

/// Query strings decode strictly too: an unknown parameter is an error, not ignored.
pub struct StrictQuery<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for StrictQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            serde_urlencoded::from_str::<T>(req.query_string())
                .map(StrictQuery)
                .map_err(|e| ApiError::BadRequest(format!("invalid query string: {e}"))),
        )
    }
}

pub use crate::app::double_option;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        title: String,
        inner: Inner,
        n: Option<u8>,
    }

    fn fields(body: &str) -> Vec<String> {
        match decode::<Outer>(body.as_bytes()) {
            Err(ApiError::Validation(errs)) => errs.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(fields(r#"{"inner": {"name": "x"}}"#), ["title"]);
        assert_eq!(fields(r#"{"title": "t", "inner": {}}"#), ["inner.name"]);
        assert_eq!(fields(r#"{"title": 5, "inner": {"name": "x"}}"#), ["title"]);
        assert_eq!(
            fields(r#"{"title": "t", "inner": {"name": "x", "zz": 1}}"#),
            ["inner.zz"]
        );
        assert_eq!(
            fields(r#"{"title": "t", "inner": {"name": "x"}, "n": 300}"#),
            ["n"]
        );
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            decode::<Outer>(b"{\"title\": "),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            decode::<Outer>(b"{\"title\": \"a\", \"inner\": {"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
