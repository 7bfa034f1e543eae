//! `GET /api/v1/openapi.json`, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::validate::list_pattern;
use crate::domain::{Priority, TicketKind, TicketStatus};

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
pub async fn spec(state: super::State) -> HttpResponse {
    HttpResponse::Ok().json(document(&state.app.settings))
}

/// OpenAPI links from each creation (a 201 from `POST /x`) to every operation on
/// `/x/{id}` and below that needs no other path parameter, the `id` taken from the body:
/// the flows a client follows, and what schemathesis's stateful phase walks.
fn add_links(paths: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::{json, Map, Value};
    let targets: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            methods.into_iter().map(move |m| (path.clone(), m))
        })
        .collect();
    for (collection, item) in paths.iter_mut() {
        let Some(created) = item.pointer_mut("/post/responses/201") else {
            continue;
        };
        let prefix = format!("{collection}/{{id}}");
        let mut links = Map::new();
        for (path, method) in &targets {
            let rest = path.strip_prefix(&prefix);
            let single_param =
                rest.is_some_and(|r| r.is_empty() || (r.starts_with('/') && !r.contains('{')));
            if !single_param {
                continue;
            }
            let pointer = format!(
                "#/paths/{}/{method}",
                path.replace('~', "~0").replace('/', "~1")
            );
            let name = format!("{method}{}", path.trim_start_matches(collection.as_str()))
                .replace(['{', '}'], "")
                .replace('/', "_");
            links.insert(
                name,
                json!({"operationRef": pointer, "parameters": {"id": "$response.body#/id"}}),
            );
        }
        if !links.is_empty() {
            created["links"] = Value::Object(links);
        }
    }
}

/// `schema` without its `null` alternative.
fn not_null(schema: &mut serde_json::Value) {
    use serde_json::Value;
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    let one_of = schema.get("oneOf").and_then(Value::as_array).map(|alts| {
        alts.iter()
            .filter(|a| a["type"] != "null")
            .cloned()
            .collect::<Vec<_>>()
    });
    if let Some(mut rest) = one_of {
        if rest.len() == 1 {
            *schema = rest.remove(0);
        } else {
            schema["oneOf"] = Value::Array(rest);
        }
    }
}

/// If-Match as `expected_version` reads it: a version, bare or as a (weak) entity tag.
const IF_MATCH_PATTERN: &str = r#"^((W/)?"[0-9]{1,9}"|[0-9]{1,9})$"#;
/// Idempotency-Key as `tickets::create` reads it.
const IDEMPOTENCY_KEY_PATTERN: &str = r"^[\x21-\x7E]{1,255}$";

/// The document as served: the annotations, plus what only the running daemon or the
/// decoders know. Both are said once, here, for every operation:
/// - a body whose fields are all optional may be left out (it decodes as `{}`);
/// - If-Match and Idempotency-Key have the one syntax their parsers accept;
/// - a pause reason is one of this installation's `sla.pause_reasons`;
/// - a body may hold at most this installation's `http.max_body_bytes`.
pub fn document(settings: &crate::config::Settings) -> serde_json::Value {
    let pause_reasons = &settings.sla.pause_reasons;
    let max_body = settings.http.max_body_bytes;
    use serde_json::{json, Value};
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let all_optional = |schema: &Value| {
        let target = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix("#/components/schemas/")
                .and_then(|name| schemas.get(name)),
            None => Some(schema),
        };
        target.is_some_and(|s| {
            s.get("required")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        })
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        add_links(paths);
        for (path, op) in paths
            .iter_mut()
            .filter_map(|(path, item)| Some((path.clone(), item.as_object_mut()?)))
            .flat_map(|(path, item)| item.values_mut().map(move |op| (path.clone(), op)))
        {
            if let Some(too_large) = op.pointer_mut("/responses/413") {
                too_large["description"] = json!(format!(
                    "The body is larger than {max_body} bytes (http.max_body_bytes)"
                ));
            }
            if let Some(body) = op.get_mut("requestBody") {
                let optional = body
                    .pointer("/content/application~1json/schema")
                    .is_some_and(all_optional);
                if optional {
                    body["required"] = json!(false);
                }
            }
            for p in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if p.get("in").and_then(Value::as_str) == Some("query") {
                    // A query string has no null: an optional parameter is simply absent.
                    not_null(&mut p["schema"]);
                }
                let list =
                    |values: &[&str]| json!({"type": "string", "pattern": list_pattern(values)});
                let schema = match (
                    p.get("in").and_then(Value::as_str),
                    p.get("name").and_then(Value::as_str),
                ) {
                    (Some("header"), Some("If-Match")) => {
                        json!({"type": "string", "pattern": IF_MATCH_PATTERN})
                    }
                    (Some("header"), Some("Idempotency-Key")) => {
                        json!({"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN})
                    }
                    (Some("query"), Some("q")) => {
                        serde_json::to_value(crate::domain::validate::schema::search())
                            .unwrap_or(Value::Null)
                    }
                    (Some("query"), Some("status")) if path == "/api/v1/tickets" => {
                        list(TicketStatus::values())
                    }
                    (Some("query"), Some("priority")) if path == "/api/v1/tickets" => {
                        list(Priority::values())
                    }
                    (Some("query"), Some("kind")) if path == "/api/v1/tickets" => {
                        list(TicketKind::values())
                    }
                    _ => continue,
                };
                p["schema"] = schema;
            }
        }
    }
    if let Some(reason) = doc.pointer_mut("/components/schemas/PauseBody/properties/reason") {
        reason["enum"] = json!(pause_reasons);
    }
    doc
}
