//! The bearer token of a request, resolved to an [`Actor`] by the service layer.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::AppState;
use crate::domain::scope::Actor;
use crate::routes::error::ApiError;

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <token>".into()))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not valid text".into()))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        ApiError::Unauthorized("use the Bearer scheme: Authorization: Bearer <token>".into())
    })?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > 256 {
        return Err(ApiError::Unauthorized(
            "use the Bearer scheme: Authorization: Bearer <token>".into(),
        ));
    }
    Ok(token.to_string())
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token?;
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState missing")))?;
            if let Some(actor) = state.app.known_actor(&token) {
                return Ok(actor);
            }
            state
                .call(move |app| app.authenticate(&token))
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "the token is unknown, revoked, or its user is inactive".into(),
                    )
                })
        })
    }
}
