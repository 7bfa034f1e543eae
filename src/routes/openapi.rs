//! `GET /api/v1/openapi.json`, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    calendars, health, organizations, outbox, participants, reports, services, sla_policies,
    ticket_actions, ticket_sla, tickets, users,
};

struct BearerAuth;

/// Every error is `application/problem+json`, and a few can come from any operation (bad
/// syntax, no token, too large, not JSON, database down); say so in every operation.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = || {
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op.security.is_some();
                let responses = &mut op.responses.responses;
                for (code, resp) in responses.iter_mut() {
                    if let (true, RefOr::T(r)) = (code.parse::<u16>().is_ok_and(|c| c >= 400), resp)
                    {
                        if let Some(c) = r.content.shift_remove("application/json") {
                            r.content.insert("application/problem+json".into(), c);
                        }
                    }
                }
                let mut common = vec![
                    (
                        "503",
                        "The database is not reachable, or too busy with concurrent changes to the same record; retry after Retry-After seconds",
                    ),
                    (
                        "429",
                        "Over http.rate_limit for this token or client address; retry after Retry-After seconds",
                    ),
                ];
                let by_path = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path)
                });
                if by_path {
                    common.push(("404", "No such record, or one the caller may not see"));
                }
                if secured {
                    common.push(("401", "Missing, unknown or revoked token"));
                }
                if op.request_body.is_some() {
                    common.extend([
                        ("400", "The body is not valid JSON"),
                        ("413", "The body is larger than http.max_body_bytes"),
                        ("415", "The body is not of the documented media type"),
                        ("422", "A field is missing, of the wrong type, or invalid"),
                    ]);
                }
                if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    common.push(("400", "A query parameter or header is malformed"));
                }
                for (code, description) in common {
                    responses.entry(code.into()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(description)
                                .content("application/problem+json", problem())
                                .build(),
                        )
                    });
                }
            }
        }
    }
}

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "spbe-desk", description = "Two-tier SPBE service desk: Tier 1 at each Perangkat Daerah, Tier 2 at the Dinas."),
    modifiers(&BearerAuth, &ProblemResponses),
    components(schemas(crate::routes::error::Problem, crate::routes::error::ProblemField)),
    paths(
        health::healthz, health::readyz, health::metrics,
        organizations::create, organizations::list, organizations::get, organizations::update,
        users::create, users::list, users::get, users::update, users::me,
        users::create_token, users::list_tokens, users::revoke_token, users::rotate_token, users::events,
        services::create, services::list, services::get, services::update, services::events,
        services::propose_critical, services::designate, services::revoke_critical,
        services::sanctions, services::record_sanction, services::lift_sanction,
        reports::monthly, reports::yearly, reports::manifest,
        tickets::create, tickets::list, tickets::get, tickets::update, tickets::events,
        ticket_actions::acknowledge, ticket_actions::assign, ticket_actions::escalate,
        ticket_actions::pause, ticket_actions::resume, ticket_actions::resolve,
        ticket_actions::close, ticket_actions::reopen, ticket_actions::cancel,
        ticket_actions::comment, ticket_actions::list_comments,
        calendars::create, calendars::list, calendars::get, calendars::update, calendars::import_holidays,
        sla_policies::create, sla_policies::list, sla_policies::get, sla_policies::update,
        ticket_sla::get, ticket_sla::rebaseline, ticket_sla::rebaseline_policy,
        outbox::list, outbox::retry, outbox::retry_dead,
        participants::list, participants::add, participants::remove,
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document")))]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
