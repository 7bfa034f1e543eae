//! Templates, assets and error pages of the console.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, Value};

use super::text;
use crate::config::{MailLanguage, SecureCookies, Settings};

/// What the console needs besides the service layer: its templates and settings.
#[derive(Clone)]
pub struct Console {
    env: Arc<Environment<'static>>,
    pub lang: MailLanguage,
    pub secure_cookies: SecureCookies,
    /// Shared, so that handing the console to a handler copies no list.
    pub trusted_proxies: Arc<[IpAddr]>,
    pub refresh_seconds: u32,
    pub mail_links: bool,
}

/// The error page a `Failure` asks for, carried on its response to `error_pages`.
pub struct ErrorPage {
    pub message: String,
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

pub(super) const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "sign_in.html",
    "link.html",
    "queue.html",
    "rows.html",
    "ticket.html",
    "new_ticket.html",
    "dashboard.html",
    "reports.html",
    "error.html",
    "chart.html",
);

impl Console {
    /// Compiles every template; a broken one stops the daemon at start, not a page later.
    pub fn new(settings: &Settings, tz: Tz) -> anyhow::Result<Console> {
        let lang = settings.console.language;
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // Every template is HTML: values are escaped unless marked safe.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| anyhow::anyhow!("console template {name}: {e:#}"))?;
        }
        env.add_function("t", move |key: &str| text::get(lang, key).to_string());
        // A value's label where there is one (configured pause reasons, audit actions added
        // later), else the value itself.
        env.add_function("label", move |prefix: &str, value: &str| {
            text::find(lang, &format!("{prefix}.{value}"))
                .unwrap_or(value)
                .to_string()
        });
        env.add_filter("when", move |v: Value| -> String {
            v.as_str()
                .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                .map(|t| crate::mail::format_short(lang, tz, t))
                .unwrap_or_else(|| "-".into())
        });
        env.add_filter("mins", move |v: Value| -> String {
            f64::try_from(v).map_or_else(|_| "-".into(), |m| business_minutes(lang, m))
        });
        env.add_filter("pct", |v: Value| -> String {
            f64::try_from(v).map_or_else(|_| "-".into(), |p| format!("{p:.1}%"))
        });
        Ok(Console {
            env: Arc::new(env),
            lang,
            secure_cookies: settings.console.secure_cookies,
            trusted_proxies: settings
                .http
                .trusted_proxies
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<_>>()
                .into(),
            refresh_seconds: settings.console.refresh_seconds,
            mail_links: settings.console.mail_links,
        })
    }

    pub fn lang_code(&self) -> &'static str {
        match self.lang {
            MailLanguage::Id => "id",
            MailLanguage::En => "en",
        }
    }

    /// Renders a page; a template error is a fault of ours, logged, and a 500.
    pub fn page(&self, status: StatusCode, name: &str, ctx: Value) -> HttpResponse {
        match self
            .env
            .get_template(name)
            .and_then(|t| t.render(ctx_with(ctx, self.lang_code())))
        {
            Ok(html) => html_response(status, html),
            Err(e) => {
                tracing::error!(template = name, error = %format!("{e:#}"), "console template failed");
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("internal error; the cause has been logged")
            }
        }
    }

    /// Renders a page with status 200.
    pub fn ok(&self, name: &str, ctx: Value) -> HttpResponse {
        self.page(StatusCode::OK, name, ctx)
    }
}

fn ctx_with(ctx: Value, lang: &str) -> Value {
    minijinja::context! { lang => lang, ..ctx }
}

fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(html)
}

/// Business minutes as people read them: "2 j 05 m" / "2 h 05 m", "-" before an overdue
/// amount.
pub fn business_minutes(lang: MailLanguage, minutes: f64) -> String {
    if !minutes.is_finite() {
        return "-".into();
    }
    let sign = if minutes < 0.0 { "−" } else { "" };
    // Whole minutes, towards zero: 59.9 minutes left is not yet an hour.
    let total = minutes.abs().floor() as i64;
    let (d, h, m) = (total / (24 * 60), total / 60 % 24, total % 60);
    let hour = match lang {
        MailLanguage::Id => "j",
        MailLanguage::En => "h",
    };
    let day = match lang {
        MailLanguage::Id => "hr",
        MailLanguage::En => "d",
    };
    if d > 0 {
        format!("{sign}{d} {day} {h} {hour} {m:02} m")
    } else if h > 0 {
        format!("{sign}{h} {hour} {m:02} m")
    } else {
        format!("{sign}{m} m")
    }
}

/// The embedded assets: the vendored htmx and the style sheet.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, content_type): (&'static [u8], &str) = match name.as_str() {
        "htmx.min.js" => (
            include_bytes!("assets/htmx.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "console.css" => (
            include_bytes!("assets/console.css"),
            "text/css; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        // The binary's version names the assets: a new release is a new URL.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// Replaces the bare response of a failed console request with the console's error page.
pub fn error_pages<S>(
    req: ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
    S::Future: 'static,
{
    let fut = srv.call(req);
    async move {
        let res = fut.await?;
        let Some(message) = res
            .response()
            .extensions()
            .get::<ErrorPage>()
            .map(|e| e.message.clone())
        else {
            return Ok(res);
        };
        let status = res.status();
        let (req, _) = res.into_parts();
        let page = error_page(&req, status, &message);
        Ok(ServiceResponse::new(req, page.map_into_boxed_body()))
    }
}

fn error_page(req: &HttpRequest, status: StatusCode, message: &str) -> HttpResponse<BoxBody> {
    let Some(console) = req.app_data::<web::Data<Console>>() else {
        return HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(message.to_string().boxed());
    };
    // htmx swaps only successful answers; a plain request gets the whole page.
    console.page(
        status,
        "error.html",
        minijinja::context! { status => status.as_u16(), message => message },
    )
}
