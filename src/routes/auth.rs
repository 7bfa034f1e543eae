//! Bearer tokens: random, shown once, stored as SHA-256, revocable, with a last-used time.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use chrono::TimeDelta;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::db::queries::{organizations, tokens};
use crate::db::DbConn;
use crate::domain::scope::Actor;
use crate::domain::Role;
use crate::error::ApiError;

pub const TOKEN_PREFIX: &str = "sdk_";

/// A new secret token: 32 random bytes, hex, with a recognisable prefix (so secret scanners
/// and operators can tell what it is).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How stale `last_used_at` may get before a request records its use; keeps
/// authentication a pure read on almost every request.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// Looks a token up and builds the actor; None for unknown, revoked, or inactive user.
/// The second value is the token id when its last-used time should be recorded.
pub fn authenticate(
    conn: &mut DbConn,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(Actor, Option<String>)>, ApiError> {
    let Some((tok, user)) = tokens::find_active(conn, &hash_token(token))? else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&user.role) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "user {} has unknown role {}",
            user.id,
            user.role
        )));
    };
    let mut scope_orgs = vec![user.organization_id.clone()];
    if role == Role::Technician {
        scope_orgs.extend(organizations::children(conn, &user.organization_id)?);
    }
    let stale = tok
        .last_used_at
        .is_none_or(|t| t < now.naive_utc() - TOUCH_EVERY);
    let actor = Actor {
        user_id: user.id,
        name: user.name,
        role,
        organization_id: user.organization_id,
        scope_orgs,
    };
    Ok(Some((actor, stale.then_some(tok.id))))
}

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
            let now = state.now();
            let found = state
                .read(move |conn| authenticate(conn, &token, now))
                .await?;
            let (actor, touch) = found.ok_or_else(|| {
                ApiError::Unauthorized(
                    "the token is unknown, revoked, or its user is inactive".into(),
                )
            })?;
            if let Some(id) = touch {
                let n = now.naive_utc();
                state
                    .write(move |conn| Ok(tokens::touch(conn, &id, n, n - TOUCH_EVERY)?))
                    .await?;
            }
            Ok(actor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashes_are_stable() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        // FIPS 180-2 test vector.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
