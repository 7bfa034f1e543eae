//! `GET /api/v1/openapi.json`, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    calendars, health, organizations, services, sla_policies, ticket_actions, ticket_sla, tickets,
    users,
};

struct BearerAuth;

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
    modifiers(&BearerAuth),
    paths(
        health::healthz, health::readyz,
        organizations::create, organizations::list, organizations::get, organizations::update,
        users::create, users::list, users::get, users::update, users::me,
        users::create_token, users::list_tokens, users::revoke_token,
        services::create, services::list, services::get, services::update, services::events,
        services::propose_critical, services::designate, services::revoke_critical,
        tickets::create, tickets::list, tickets::get, tickets::update, tickets::events,
        ticket_actions::acknowledge, ticket_actions::assign, ticket_actions::escalate,
        ticket_actions::pause, ticket_actions::resume, ticket_actions::resolve,
        ticket_actions::close, ticket_actions::reopen, ticket_actions::cancel,
        ticket_actions::comment, ticket_actions::list_comments,
        calendars::create, calendars::list, calendars::get, calendars::update, calendars::import_holidays,
        sla_policies::create, sla_policies::list, sla_policies::get, sla_policies::update,
        ticket_sla::get, ticket_sla::rebaseline, ticket_sla::rebaseline_policy,
    )
)]
pub struct ApiDoc;

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document")))]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
