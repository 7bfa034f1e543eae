//! Rate limits (`http.rate_limit`, `http.rate_limit_per_address`) with actix-governor: one
//! limiter keyed by bearer token (requests without one by client address), one by client
//! address whatever the token. Over a limit: 429 problem+json with `Retry-After`.

use std::net::IpAddr;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::governor::NotUntil;
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use sha2::{Digest, Sha256};

use crate::config::{HttpSettings, RateLimit};
use crate::routes::error::ApiError;

/// The client's address: the peer, or, behind a trusted proxy, the last address that proxy
/// put in `X-Forwarded-For` (the one it saw; earlier ones the client could forge).
fn client_address(req: &ServiceRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    req.headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .or(Some(peer))
}

fn too_many(negative: &NotUntil<QuantaInstant>, mut response: HttpResponseBuilder) -> HttpResponse {
    let wait = negative
        .wait_time_from(DefaultClock::default().now())
        .as_secs()
        .max(1);
    let mut r = ApiError::TooManyRequests(format!(
        "too many requests; retry in {wait} s (http.rate_limit)"
    ))
    .error_response();
    // The governor's builder carries Retry-After and the X-RateLimit-* headers.
    let built = response.finish();
    for (k, v) in built.headers() {
        r.headers_mut().insert(k.clone(), v.clone());
    }
    r
}

/// Keys a request by the hash of its bearer token, or by its client address.
#[derive(Clone)]
pub struct ByToken {
    trusted: Vec<IpAddr>,
}

impl KeyExtractor for ByToken {
    type Key = String;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<String, Self::KeyExtractionError> {
        let token = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        Ok(match token {
            // Hashed: the limiter's table never holds a usable secret.
            Some(t) => format!("t:{}", hex::encode(&Sha256::digest(t.as_bytes())[..16])),
            None => format!(
                "a:{}",
                client_address(req, &self.trusted).map_or("?".into(), |a| a.to_string())
            ),
        })
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        response: HttpResponseBuilder,
    ) -> HttpResponse {
        too_many(negative, response)
    }
}

/// Keys a request by its client address.
#[derive(Clone)]
pub struct ByAddress {
    trusted: Vec<IpAddr>,
}

impl KeyExtractor for ByAddress {
    type Key = String;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<String, Self::KeyExtractionError> {
        Ok(client_address(req, &self.trusted).map_or("?".into(), |a| a.to_string()))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        response: HttpResponseBuilder,
    ) -> HttpResponse {
        too_many(negative, response)
    }
}

fn config<K: KeyExtractor>(
    key: K,
    limit: RateLimit,
) -> Option<GovernorConfig<K, NoOpMiddleware<QuantaInstant>>> {
    GovernorConfigBuilder::default()
        .period(limit.period)
        .burst_size(limit.burst)
        .key_extractor(key)
        .finish()
}

/// One limiter: whether it is on, and its configuration (a placeholder when off, since the
/// middleware is mounted either way and only switched).
pub struct Limiter<K: KeyExtractor> {
    pub on: bool,
    pub config: GovernorConfig<K, NoOpMiddleware<QuantaInstant>>,
}

fn limiter<K: KeyExtractor>(key: K, spec: &str) -> Option<Limiter<K>> {
    let limit = crate::config::parse_rate_limit(spec).ok()?;
    let placeholder = RateLimit {
        period: std::time::Duration::from_secs(1),
        burst: 1,
    };
    Some(Limiter {
        on: limit.is_some(),
        config: config(key, limit.unwrap_or(placeholder))?,
    })
}

/// The per-token and the per-address limiters as configured (None only for a setting the
/// configuration check would have refused).
pub fn limiters(s: &HttpSettings) -> Option<(Limiter<ByToken>, Limiter<ByAddress>)> {
    let trusted: Vec<IpAddr> = s
        .trusted_proxies
        .iter()
        .filter_map(|p| p.parse().ok())
        .collect();
    Some((
        limiter(
            ByToken {
                trusted: trusted.clone(),
            },
            &s.rate_limit,
        )?,
        limiter(ByAddress { trusted }, &s.rate_limit_per_address)?,
    ))
}
