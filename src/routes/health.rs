//! Liveness and readiness for load balancers and systemd.

use actix_web::HttpResponse;
use serde_json::json;

use super::State;

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "The database answers"), (status = 503, description = "The database does not answer")))]
pub async fn readyz(state: State) -> HttpResponse {
    let ok = state.call(|app| Ok(app.ready())).await.unwrap_or(false);
    if ok {
        HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "database": "unreachable" }))
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    description = "Prometheus text exposition: requests by route and status, latency histograms, tickets by status and tier, SLA warnings, breaches and escalations, scheduler lag and tick duration, the outbox, the database pool. No personal data; restrict it at the reverse proxy.",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 503, description = "The database does not answer")))]
pub async fn metrics(state: State) -> HttpResponse {
    let out = state
        .call(|app| {
            let s = app.metrics_snapshot()?;
            Ok(app.metrics.render(&s))
        })
        .await;
    match out {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}
