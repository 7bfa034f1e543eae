//! The console's pages: each parses its request, calls the service layer (which checks
//! identity and scope, as for the API) and renders a template.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::cookie::time::Duration as CookieAge;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use minijinja::{context, Value};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    call, check_pre, cookie, not_found_failure, pre_token, safe_next, see_other, Console, Failure,
    Page, Signed, PRE_COOKIE, SESSION_COOKIE,
};
use crate::app::console::Session;
use crate::app::reports::Format;
use crate::app::tickets::{
    actions_now, CommentBody, CreateTicket, ReporterIn, TicketAction, TicketView,
};
use crate::app::{AppError, PageAt};
use crate::db::queries::tickets::TicketFilter;
use crate::domain::scope::{self, Actor};
use crate::domain::ticket::Action;
use crate::domain::{
    priority, Classification, CommentVisibility, Level, Priority, Role, TicketKind, TicketStatus,
};
use crate::routes::dto::TicketDto;
use crate::routes::AppState;

type State = web::Data<AppState>;

/// The signed-in user as every page's header shows them.
fn me(s: &Session) -> Value {
    let a = &s.actor;
    Value::from_serialize(json!({
        "id": a.user_id,
        "name": a.name,
        "email": s.email,
        "role": a.role.as_str(),
        "csrf": s.csrf,
        "can_create": scope::check_create(a).is_ok(),
        "can_dashboard": matches!(a.role, Role::Supervisor | Role::Auditor),
        "can_reports": matches!(a.role, Role::Coordinator | Role::Supervisor | Role::Auditor),
    }))
}

pub async fn home(_: Signed) -> HttpResponse {
    see_other("/console/queue")
}

pub async fn not_found(req: HttpRequest) -> Page {
    Err(not_found_failure(req.path()))
}

// ---- sign-in ----

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in page; sets the double-submit cookie its forms need.
fn sign_in_response(
    req: &HttpRequest,
    console: &Console,
    status: StatusCode,
    next: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let (pre, new) = pre_token(req);
    let mut res = console.page(
        status,
        "sign_in.html",
        context! {
            pre => pre,
            next => next,
            notice => notice,
            error => error,
            mail_links => console.mail_links,
        },
    );
    if new {
        let c = cookie(req, console, PRE_COOKIE, pre, "/console/sign-in");
        if let Err(e) = res.add_cookie(&c) {
            tracing::warn!(error = %e, "could not set the sign-in cookie");
        }
    }
    res
}

pub async fn sign_in_page(req: HttpRequest, console: Console, q: web::Query<NextQuery>) -> Page {
    let next = safe_next(q.next.as_deref());
    Ok(sign_in_response(
        &req,
        &console,
        StatusCode::OK,
        &next,
        None,
        None,
    ))
}

#[derive(Deserialize)]
pub struct LinkRequest {
    email: String,
    csrf: String,
    next: Option<String>,
}

pub async fn request_link(
    req: HttpRequest,
    console: Console,
    state: State,
    form: web::Form<LinkRequest>,
) -> Page {
    check_pre(&req, &form.csrf)?;
    let next = safe_next(form.next.as_deref());
    let (email, landing) = (form.email.clone(), next.clone());
    match call(&state, move |app| {
        app.request_sign_in_link(&email, &landing)
    })
    .await
    {
        Ok(()) => Ok(sign_in_response(
            &req,
            &console,
            StatusCode::OK,
            &next,
            Some("sign_in.link_sent"),
            None,
        )),
        Err(f) => Ok(sign_in_failed(&req, &console, &next, f)),
    }
}

fn sign_in_failed(req: &HttpRequest, console: &Console, next: &str, f: Failure) -> HttpResponse {
    match f {
        Failure::Page { status, message } => {
            sign_in_response(req, console, status, next, None, Some(&message))
        }
        other => actix_web::ResponseError::error_response(&other),
    }
}

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
    next: Option<String>,
}

/// The page a mailed link opens: one button that spends the link. A GET never spends it,
/// so a mail scanner that follows links signs nobody in.
pub async fn link_page(req: HttpRequest, console: Console, q: web::Query<CodeQuery>) -> Page {
    let (pre, new) = pre_token(&req);
    let mut res = console.ok(
        "link.html",
        context! {
            pre => pre,
            code => q.code.clone().unwrap_or_default(),
            next => safe_next(q.next.as_deref()),
        },
    );
    if new {
        let c = cookie(&req, &console, PRE_COOKIE, pre, "/console/sign-in");
        res.add_cookie(&c)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    csrf: String,
    next: Option<String>,
}

fn signed_in(req: &HttpRequest, console: &Console, secret: String, next: &str) -> Page {
    let mut res = see_other(next);
    let c = cookie(req, console, SESSION_COOKIE, secret, "/console");
    let mut gone = cookie(req, console, PRE_COOKIE, String::new(), "/console/sign-in");
    gone.set_max_age(CookieAge::ZERO);
    for c in [c, gone] {
        res.add_cookie(&c)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(res)
}

/// Checks a sign-in form's token, runs the sign-in, and lands on `next` with the session's
/// cookie, or shows the sign-in page with what went wrong.
async fn sign_in_with<F>(
    req: &HttpRequest,
    console: &Console,
    state: &State,
    csrf: &str,
    next: Option<&str>,
    sign_in: F,
) -> Page
where
    F: FnOnce(&crate::app::App) -> crate::app::AppResult<crate::app::console::NewSession>
        + Send
        + 'static,
{
    check_pre(req, csrf)?;
    let next = safe_next(next);
    match call(state, sign_in).await {
        Ok(s) => signed_in(req, console, s.secret, &next),
        Err(f) => Ok(sign_in_failed(req, console, &next, f)),
    }
}

pub async fn redeem_link(
    req: HttpRequest,
    console: Console,
    state: State,
    form: web::Form<CodeForm>,
) -> Page {
    let code = form.code.clone();
    sign_in_with(
        &req,
        &console,
        &state,
        &form.csrf,
        form.next.as_deref(),
        move |app| app.redeem_sign_in_link(&code),
    )
    .await
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
    csrf: String,
    next: Option<String>,
}

pub async fn token_sign_in(
    req: HttpRequest,
    console: Console,
    state: State,
    form: web::Form<TokenForm>,
) -> Page {
    let token = form.token.clone();
    sign_in_with(
        &req,
        &console,
        &state,
        &form.csrf,
        form.next.as_deref(),
        move |app| app.sign_in_with_token(&token),
    )
    .await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn sign_out(
    req: HttpRequest,
    console: Console,
    state: State,
    signed: Signed,
    form: web::Form<CsrfForm>,
) -> Page {
    signed.check_csrf(&form.csrf)?;
    let secret = signed.secret.clone();
    call(&state, move |app| app.sign_out(&secret)).await?;
    let mut res = see_other("/console/sign-in");
    let mut gone = cookie(&req, &console, SESSION_COOKIE, String::new(), "/console");
    gone.set_max_age(CookieAge::ZERO);
    res.add_cookie(&gone)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(res)
}

// ---- the queue ----

/// The queue's filters, from a query string that may repeat keys (`status=new&status=pending`).
struct QueueParams {
    filter: TicketFilter,
    /// The query string to refresh with.
    query: String,
    chosen: HashMap<&'static str, Vec<String>>,
}

const QUEUE_LIMIT: i64 = 100;

fn queue_params(actor: &Actor, pairs: &[(String, String)]) -> Result<QueueParams, Failure> {
    let mut f = TicketFilter {
        limit: QUEUE_LIMIT,
        ..TicketFilter::default()
    };
    let mut chosen: HashMap<&'static str, Vec<String>> = HashMap::new();
    let bad = |field: &str, v: &str| {
        Failure::from(AppError::field(
            field,
            format!("{v:?} is not one of the choices"),
        ))
    };
    let mut tier_set = false;
    for (k, v) in pairs {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "status" => {
                TicketStatus::parse(v).ok_or_else(|| bad("status", v))?;
                f.status.push(v.into());
                chosen.entry("status").or_default().push(v.into());
            }
            "priority" => {
                Priority::parse(v).ok_or_else(|| bad("priority", v))?;
                f.priority.push(v.into());
                chosen.entry("priority").or_default().push(v.into());
            }
            "kind" => {
                TicketKind::parse(v).ok_or_else(|| bad("kind", v))?;
                f.kind.push(v.into());
                chosen.entry("kind").or_default().push(v.into());
            }
            "tier" => {
                tier_set = true;
                f.tier = match v {
                    "1" => Some(1),
                    "2" => Some(2),
                    "all" => None,
                    _ => return Err(bad("tier", v)),
                };
                chosen.entry("tier").or_default().push(v.into());
            }
            "breached" => {
                f.breached = Some(true);
                chosen.entry("breached").or_default().push("1".into());
            }
            "mine" => {
                f.assignee_id = Some(actor.user_id.clone());
                chosen.entry("mine").or_default().push("1".into());
            }
            "q" => {
                if v.chars().count() > 200 {
                    return Err(AppError::field("q", "is longer than 200 characters").into());
                }
                f.q = Some(v.to_lowercase());
                chosen.entry("q").or_default().push(v.into());
            }
            _ => {}
        }
    }
    // Tier 1 works its PD's queue, Tier 2 the Dinas queue; others see both unless they pick.
    if !tier_set {
        f.tier = match actor.role {
            Role::Technician => Some(1),
            Role::Operator => Some(2),
            _ => None,
        };
    }
    let query = serde_urlencoded::to_string(
        pairs
            .iter()
            .filter(|(k, v)| !v.trim().is_empty() && k.len() < 16)
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    Ok(QueueParams {
        filter: f,
        query,
        chosen,
    })
}

/// One row of a queue: the ticket and the state of its nearest running deadline.
fn queue_row(
    v: &TicketView,
    orgs: &HashMap<String, (String, String)>,
    names: &HashMap<String, String>,
    now: chrono::DateTime<Utc>,
) -> serde_json::Value {
    let dto = TicketDto::new(v, now);
    let active: Vec<_> = dto
        .sla
        .targets
        .values()
        .filter(|x| x.ended_at.is_none())
        .collect();
    let nearest = active
        .iter()
        .filter(|x| !x.paused)
        .min_by_key(|x| x.due_at)
        .or_else(|| active.first());
    let state = if v.sla.is_none() || active.is_empty() {
        "none"
    } else if active.iter().any(|x| x.breached_at.is_some()) {
        "breached"
    } else if active.iter().all(|x| x.paused) {
        "paused"
    } else if active.iter().any(|x| x.warned_at.is_some()) {
        "warned"
    } else {
        "running"
    };
    let t = &v.ticket;
    json!({
        "id": t.id,
        "number": t.number,
        "title": t.title,
        "pd": orgs.get(&t.organization_id).map(|o| o.0.clone()).unwrap_or_default(),
        "pd_name": orgs.get(&t.organization_id).map(|o| o.1.clone()).unwrap_or_default(),
        "priority": t.priority,
        "status": t.status,
        "tier": t.tier,
        "assignee": t.assignee_id.as_ref().map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone())),
        "sla_state": state,
        "remaining": nearest.map(|x| x.remaining_minutes),
        "due_at": nearest.and_then(|x| x.due_at),
    })
}

async fn queue_data(
    state: &State,
    actor: Actor,
    pairs: Vec<(String, String)>,
) -> Result<(QueueParams, Vec<serde_json::Value>), Failure> {
    let params = queue_params(&actor, &pairs)?;
    let filter = params.filter.clone();
    let rows = call(state, move |app| {
        let views = app.queue(&actor, &filter)?;
        let orgs = app.organization_names()?;
        let ids: HashSet<String> = views
            .iter()
            .filter_map(|v| v.ticket.assignee_id.clone())
            .collect();
        let names = app.user_names(ids.into_iter().collect())?;
        let now = app.now();
        Ok(views
            .iter()
            .map(|v| queue_row(v, &orgs, &names, now))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok((params, rows))
}

pub async fn queue(
    signed: Signed,
    console: Console,
    state: State,
    q: web::Query<Vec<(String, String)>>,
) -> Page {
    let me = me(&signed.session);
    let role = signed.session.actor.role;
    let (params, rows) = queue_data(&state, signed.session.actor, q.into_inner()).await?;
    Ok(console.ok(
        "queue.html",
        context! {
            me => me,
            active => "queue",
            rows => rows,
            query => params.query,
            chosen => params.chosen,
            limit => QUEUE_LIMIT,
            refresh => console.refresh_seconds,
            heading => match role {
                Role::Technician => "queue.tier1",
                Role::Operator => "queue.tier2",
                _ => "queue.all",
            },
            statuses => [TicketStatus::New, TicketStatus::InProgress, TicketStatus::Pending].map(|s| s.as_str()),
            priorities => Priority::values(),
            kinds => TicketKind::values(),
            may_pick_tier => !matches!(role, Role::Technician | Role::Operator),
        },
    ))
}

/// The queue's rows alone, for the page to refresh itself in place.
pub async fn queue_rows(
    signed: Signed,
    console: Console,
    state: State,
    q: web::Query<Vec<(String, String)>>,
) -> Page {
    let (params, rows) = queue_data(&state, signed.session.actor, q.into_inner()).await?;
    Ok(console.ok(
        "rows.html",
        context! { rows => rows, query => params.query, refresh => console.refresh_seconds },
    ))
}

// ---- one ticket ----

/// Everything the ticket page shows, read in one blocking call.
fn ticket_context(
    app: &crate::app::App,
    actor: &Actor,
    id: &str,
) -> crate::app::AppResult<serde_json::Value> {
    let view = app.ticket(actor, id)?;
    let now = app.now();
    let dto = TicketDto::new(&view, now);
    let facts = app.sla_facts(actor, &view.ticket.id)?;
    let sla = crate::routes::ticket_sla::explain(facts, now);
    let mut events = Vec::new();
    let mut page = PageAt {
        limit: 200,
        after: None,
    };
    loop {
        let p = app.ticket_events(actor, &view.ticket.id, &page)?;
        let last = p.items.last().map(|e| (e.seq, e.id.clone()));
        events.extend(p.items);
        match (p.more, last) {
            (true, Some(l)) if events.len() < 2000 => page.after = Some(l),
            _ => break,
        }
    }
    let mut ids: HashSet<String> = events.iter().filter_map(|e| e.actor_id.clone()).collect();
    ids.extend(view.ticket.assignee_id.clone());
    ids.insert(view.ticket.created_by.clone());
    let names = app.user_names(ids.into_iter().collect())?;
    let orgs = app.organization_names()?;
    let timeline: Vec<serde_json::Value> = events
        .into_iter()
        .map(|e| {
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
            let changes: serde_json::Value = serde_json::from_str(&e.changes).unwrap_or_default();
            json!({
                "at": e.occurred_at.and_utc(),
                "action": e.action,
                "actor": e.actor_id.as_ref().map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone())),
                "data": data,
                "changes": changes,
                "body": data.get("body").and_then(|b| b.as_str()),
                "visibility": data.get("visibility").and_then(|b| b.as_str()),
                "reason": data.get("reason").or_else(|| data.get("resolution")).and_then(|b| b.as_str()),
            })
        })
        .collect();
    let actions: Vec<&str> = actions_now(actor, &view.ticket)
        .into_iter()
        .filter_map(action_name)
        .collect();
    let org = |id: &str| {
        orgs.get(id)
            .map(|o| format!("{} ({})", o.1, o.0))
            .unwrap_or_else(|| id.to_string())
    };
    Ok(json!({
        "tk": dto,
        "sla": sla,
        "timeline": timeline,
        "actions": actions,
        "pd": org(&view.ticket.organization_id),
        "reporter_pd": org(&view.ticket.reporter_organization_id),
        "assignee": view.ticket.assignee_id.as_ref().map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone())),
        "assigned_to_me": view.ticket.assignee_id.as_deref() == Some(actor.user_id.as_str()),
        "created_by": names.get(&view.ticket.created_by).cloned().unwrap_or_else(|| view.ticket.created_by.clone()),
        "pause_reasons": app.settings.sla.pause_reasons,
    }))
}

/// The console's name of an action (its form's path), for those it offers.
fn action_name(a: Action) -> Option<&'static str> {
    Some(match a {
        Action::Acknowledge => "acknowledge",
        Action::Comment => "comment",
        Action::Assign => "assign",
        Action::Escalate => "escalate",
        Action::Pause => "pause",
        Action::Resume => "resume",
        Action::Resolve => "resolve",
        Action::Close => "close",
        Action::Reopen => "reopen",
        Action::Cancel => "cancel",
        Action::Edit => return None,
    })
}

async fn ticket_page(
    signed: &Signed,
    console: &Console,
    state: &State,
    id: String,
    status: StatusCode,
    error: Option<String>,
) -> Page {
    let actor = signed.session.actor.clone();
    let ctx = call(state, move |app| ticket_context(app, &actor, &id)).await?;
    Ok(console.page(
        status,
        "ticket.html",
        context! { me => me(&signed.session), active => "queue", error => error, ..Value::from_serialize(&ctx) },
    ))
}

fn ticket_id(raw: &str) -> Result<String, Failure> {
    crate::routes::path_id(raw)
        .map(str::to_string)
        .map_err(|_| AppError::NotFound(format!("no ticket {raw}")).into())
}

pub async fn ticket(signed: Signed, console: Console, state: State, id: web::Path<String>) -> Page {
    let id = ticket_id(&id)?;
    ticket_page(&signed, &console, &state, id, StatusCode::OK, None).await
}

/// A ticket action from its form. Success goes back to the ticket (post, redirect, get);
/// a refusal shows the ticket again with the API's message and status.
pub async fn act(
    signed: Signed,
    console: Console,
    state: State,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> Page {
    let (raw, action) = path.into_inner();
    let id = ticket_id(&raw)?;
    let form = form.into_inner();
    signed.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let version = match form.get("version").map(|v| v.parse::<i32>()) {
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => return Err(AppError::field("version", "is not a number").into()),
        None => None,
    };
    let actor = signed.session.actor.clone();
    let ticket_action = match action.as_str() {
        "acknowledge" => Some(TicketAction::Acknowledge),
        "resume" => Some(TicketAction::Resume),
        "close" => Some(TicketAction::Close),
        "assign" => Some(TicketAction::Assign {
            assignee_id: Some(actor.user_id.clone()),
        }),
        "escalate" => Some(TicketAction::Escalate {
            reason: field("reason"),
        }),
        "pause" => Some(TicketAction::Pause {
            reason: field("reason"),
            note: Some(field("note")).filter(|n| !n.is_empty()),
        }),
        "resolve" => Some(TicketAction::Resolve {
            resolution: field("resolution"),
        }),
        "reopen" => Some(TicketAction::Reopen {
            reason: field("reason"),
        }),
        "cancel" => Some(TicketAction::Cancel {
            reason: field("reason"),
        }),
        "comment" => None,
        _ => {
            return Err(not_found_failure(&format!(
                "/console/tickets/{raw}/{action}"
            )))
        }
    };
    let target = id.clone();
    let result = match ticket_action {
        Some(a) => {
            call(&state, move |app| {
                app.act(&actor, &target, version, a.checked()?).map(|_| ())
            })
            .await
        }
        None => {
            let visibility = match field("visibility").as_str() {
                "internal" => CommentVisibility::Internal,
                _ => CommentVisibility::Public,
            };
            let body = CommentBody {
                body: field("body"),
                visibility: Some(visibility),
                from_reporter: Some(form.contains_key("from_reporter")),
            };
            call(&state, move |app| {
                app.comment(&actor, &target, &body).map(|_| ())
            })
            .await
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/console/tickets/{id}"))),
        Err(Failure::Page { status, message })
            if status.is_client_error() && status != StatusCode::NOT_FOUND =>
        {
            ticket_page(&signed, &console, &state, id, status, Some(message)).await
        }
        Err(f) => Err(f),
    }
}

// ---- a new ticket ----

/// The impact x urgency matrix as the domain computes it, for the form to show.
fn matrix() -> Vec<serde_json::Value> {
    let levels = [Level::High, Level::Medium, Level::Low];
    levels
        .iter()
        .map(|i| {
            json!({
                "impact": i.as_str(),
                "cells": levels.iter().map(|u| json!({
                    "urgency": u.as_str(),
                    "priority": priority::matrix(*i, *u).as_str(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

async fn new_ticket_page(
    signed: &Signed,
    console: &Console,
    state: &State,
    status: StatusCode,
    values: serde_json::Value,
    error: Option<String>,
) -> Page {
    let actor = signed.session.actor.clone();
    if let Err(d) = scope::check_create(&actor) {
        return Err(AppError::Forbidden(d.0).into());
    }
    let org = actor.organization_id.clone();
    let services = call(state, move |app| {
        let page = PageAt {
            limit: 200,
            after: None,
        };
        let org = (actor.role == Role::Technician).then_some(org);
        Ok(app
            .services(org.as_deref(), None, None, &page)?
            .items
            .into_iter()
            .map(|s| json!({"id": s.id, "code": s.code, "name": s.name}))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(console.page(
        status,
        "new_ticket.html",
        context! {
            me => me(&signed.session),
            active => "new",
            services => services,
            matrix => matrix(),
            kinds => TicketKind::values(),
            levels => [Level::High, Level::Medium, Level::Low].map(|l| l.as_str()),
            key => uuid::Uuid::new_v4().to_string(),
            v => values,
            error => error,
        },
    ))
}

pub async fn new_ticket(signed: Signed, console: Console, state: State) -> Page {
    let defaults = json!({"kind": "incident", "impact": "medium", "urgency": "medium"});
    new_ticket_page(&signed, &console, &state, StatusCode::OK, defaults, None).await
}

pub async fn create_ticket(
    signed: Signed,
    console: Console,
    state: State,
    form: web::Form<BTreeMap<String, String>>,
) -> Page {
    let form = form.into_inner();
    signed.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let optional = |k: &str| Some(field(k)).filter(|v| !v.is_empty());
    let values = json!({
        "title": field("title"), "description": field("description"), "kind": field("kind"),
        "impact": field("impact"), "urgency": field("urgency"), "service_id": field("service_id"),
        "classification": field("classification"), "reporter_name": field("reporter_name"),
        "reporter_email": field("reporter_email"), "reporter_phone": field("reporter_phone"),
    });
    let parsed = (|| -> Result<CreateTicket, AppError> {
        let choice = |k: &str, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(AppError::field(k, "pick one of the choices"))
            }
        };
        let kind = TicketKind::parse(&field("kind"));
        choice("kind", kind.is_some())?;
        let impact = Level::parse(&field("impact"));
        choice("impact", impact.is_some())?;
        let urgency = Level::parse(&field("urgency"));
        choice("urgency", urgency.is_some())?;
        let classification = match optional("classification") {
            None => None,
            Some(c) => {
                let c = Classification::parse(&c);
                choice("classification", c.is_some())?;
                c
            }
        };
        Ok(CreateTicket {
            title: field("title"),
            description: field("description"),
            kind: kind.unwrap_or(TicketKind::Incident),
            impact,
            urgency,
            priority: None,
            service_id: optional("service_id"),
            organization_id: None,
            reporter_organization_id: None,
            classification,
            reporter: ReporterIn {
                name: field("reporter_name"),
                email: optional("reporter_email"),
                phone: optional("reporter_phone"),
            },
            reported_at: None,
            outage: None,
        })
    })();
    let input = match parsed {
        Ok(i) => i,
        Err(e) => {
            let Failure::Page { status, message } = Failure::from(e) else {
                return Err(not_found_failure("/console/tickets"));
            };
            return new_ticket_page(&signed, &console, &state, status, values, Some(message)).await;
        }
    };
    // The form's one-time key makes a second submit (a double click, a reload) answer
    // with the first ticket instead of opening another.
    let key = field("key");
    let fingerprint = hex::encode(Sha256::digest(values.to_string().as_bytes()));
    let actor = signed.session.actor.clone();
    let result = call(&state, move |app| {
        let idem =
            (!key.is_empty() && key.len() <= 64).then_some((key.as_str(), fingerprint.as_str()));
        app.create_ticket(&actor, &input, idem)
            .map(|(v, _)| v.ticket.id)
    })
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/console/tickets/{id}"))),
        Err(Failure::Page { status, message }) if status.is_client_error() => {
            new_ticket_page(&signed, &console, &state, status, values, Some(message)).await
        }
        Err(f) => Err(f),
    }
}

// ---- the supervisors' dashboard ----

/// A report's SLA met percent per PD as bars of a chart: SVG geometry computed here (no
/// script needed), with the report's finding threshold as `target`.
fn met_chart(report: &serde_json::Value, target: f64) -> serde_json::Value {
    let items: Vec<(&str, &str, Option<f64>)> = report["pds"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["code"].as_str().unwrap_or_default(),
                        p["name"].as_str().unwrap_or_default(),
                        p["sla_met_percent"].as_f64(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    const ROW: f64 = 28.0;
    const LABEL: f64 = 150.0;
    const WIDTH: f64 = 420.0;
    let rows: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, (code, name, pct))| {
            let p = pct.unwrap_or(0.0).clamp(0.0, 100.0);
            json!({
                "code": code, "name": name, "pct": pct,
                "y": i as f64 * ROW, "w": (p / 100.0 * WIDTH).round(),
                "below": pct.is_some_and(|p| p < target),
            })
        })
        .collect();
    json!({
        "rows": rows,
        "label": LABEL,
        "width": WIDTH,
        "row": ROW,
        "height": (items.len().max(1) as f64) * ROW + 20.0,
        "target_x": LABEL + target / 100.0 * WIDTH,
        "target": target,
    })
}

pub async fn dashboard(signed: Signed, console: Console, state: State) -> Page {
    let actor = signed.session.actor.clone();
    let data = call(&state, move |app| {
        let d = app.dashboard(&actor)?;
        let orgs = app.organization_names()?;
        let now = app.now();
        let mut ids: HashSet<String> = d.tier2.iter().filter_map(|(_, a, _)| a.clone()).collect();
        ids.extend(d.soon.iter().filter_map(|v| v.ticket.assignee_id.clone()));
        let names = app.user_names(ids.into_iter().collect())?;
        let soon: Vec<_> = d.soon.iter().map(|v| queue_row(v, &orgs, &names, now)).collect();
        let mut load: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        let (mut open, mut unassigned) = (0, 0);
        for (status, assignee, n) in &d.tier2 {
            open += n;
            let who = match assignee {
                Some(a) => names.get(a).cloned().unwrap_or_else(|| a.clone()),
                None => {
                    unassigned += n;
                    continue;
                }
            };
            let e = load.entry(who).or_default();
            match status.as_str() {
                "new" => e.0 += n,
                "in_progress" => e.1 += n,
                _ => e.2 += n,
            }
        }
        Ok(json!({
            "breaches_today": d.breaches_today,
            "soon": soon,
            "soon_hours": d.soon_hours,
            "month": d.month.label,
            "totals": d.month_report["totals"],
            "chart": met_chart(&d.month_report, app.settings.reports.pd_met_below_percent),
            "tier2": {
                "open": open,
                "unassigned": unassigned,
                "by": load.into_iter().map(|(k, (n, p, w))| json!({"name": k, "new": n, "in_progress": p, "pending": w})).collect::<Vec<_>>(),
            },
        }))
    })
    .await?;
    Ok(console.ok(
        "dashboard.html",
        context! { me => me(&signed.session), active => "dashboard", ..Value::from_serialize(&data) },
    ))
}

// ---- reports ----

#[derive(Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

pub async fn reports(
    signed: Signed,
    console: Console,
    state: State,
    q: web::Query<PeriodQuery>,
) -> Page {
    let actor = signed.session.actor.clone();
    let label = q.period.clone().filter(|p| !p.trim().is_empty());
    let data = call(&state, move |app| {
        app.may_read_reports(&actor)?;
        let tz = app.report_tz()?;
        let now = app.now();
        // Default: the month that ended last, the one the Tim Koordinasi meets about.
        let label = match label {
            Some(l) => l,
            None => {
                crate::domain::report::Period::month_before(now, tz)
                    .map_err(|m| AppError::Internal(anyhow::anyhow!("{m}")))?
                    .label
            }
        };
        let monthly = label.len() == 7;
        let period = app.report_period(label.trim(), monthly)?;
        let report = app.report_json(&period)?;
        // The last twelve months to pick from.
        let mut months = Vec::new();
        let mut at = now;
        for _ in 0..12 {
            if let Ok(p) = crate::domain::report::Period::month_before(at, tz) {
                at = p.start;
                months.push(p.label);
            }
        }
        Ok(json!({
            "period": period.label,
            "monthly": monthly,
            "report": report,
            "chart": met_chart(&report, app.settings.reports.pd_met_below_percent),
            "months": months,
        }))
    })
    .await?;
    Ok(console.ok(
        "reports.html",
        context! { me => me(&signed.session), active => "reports", ..Value::from_serialize(&data) },
    ))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    format: String,
    sheet: Option<String>,
}

pub async fn download(
    signed: Signed,
    state: State,
    path: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> Page {
    let actor = signed.session.actor.clone();
    let label = path.into_inner();
    let (format, sheet) = (q.format.clone(), q.sheet.clone());
    let out = call(&state, move |app| {
        app.may_read_reports(&actor)?;
        let format =
            Format::parse(&format, sheet.as_deref()).map_err(|m| AppError::field("format", m))?;
        let period = app.report_period(&label, label.len() == 7)?;
        app.report(&actor, &period, format)
    })
    .await?;
    Ok(crate::routes::reports::respond(state, out))
}
