//! Builds the daemon on a listener it binds itself (port 0 in tests) and runs it until a
//! signal stops it; actix-web drains in-flight requests on SIGTERM/SIGINT.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_governor::Governor;
use actix_web::dev::{Server, Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{Condition, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpServer};

use crate::app::App as DeskApp;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::routes::{self, extract::BodyLimit, AppState};

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    scheduler: Option<tokio::task::JoinHandle<()>>,
    mailer: Option<tokio::task::JoinHandle<()>>,
    checkpoints: Option<tokio::task::JoinHandle<()>>,
    backups: Option<tokio::task::JoinHandle<()>>,
    retention: Option<tokio::task::JoinHandle<()>>,
    reports: Option<tokio::task::JoinHandle<()>>,
    wal: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects to the database (running migrations), binds `http.bind` and prepares the
    /// server. Nothing is served until `run_until_stopped`.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let db = open_db(&settings).await?;
        Self::build_with_db(settings, clock, db)
    }

    pub fn build_with_db(
        settings: Settings,
        clock: Arc<dyn Clock>,
        db: Db,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.http.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let limit = BodyLimit(settings.http.max_body_bytes);
        let workers = settings.http.workers;
        let app = Arc::new(DeskApp::new(db, clock, settings)?);
        let wal = (app.db.backend() == crate::db::Backend::Sqlite)
            .then(|| tokio::spawn(crate::jobs::wal::run(app.clone())));
        let scheduler = (app.settings.scheduler.tick_seconds > 0)
            .then(|| tokio::spawn(crate::jobs::scheduler::run(app.clone())));
        let checkpoints = match (
            app.settings.audit.key_file.as_os_str().is_empty(),
            app.settings.audit.checkpoint_minutes,
        ) {
            (false, minutes) if minutes > 0 => {
                let key = crate::app::audit::read_signing_key(&app.settings.audit.key_file)?;
                Some(tokio::spawn(crate::jobs::checkpoint::run(app.clone(), key)))
            }
            _ => None,
        };
        let backups = (!app.settings.backup.dir.as_os_str().is_empty())
            .then(|| tokio::spawn(crate::jobs::backup::run(app.clone())));
        let reports = app
            .settings
            .reports
            .monthly
            .then(|| tokio::spawn(crate::jobs::reports::run(app.clone())));
        let retention = (app.settings.retention.daily && app.settings.retention.is_on())
            .then(|| tokio::spawn(crate::jobs::retention::run(app.clone())));
        let mailer = if app.settings.mail.poll_seconds > 0 {
            let transport = crate::mail::Transport::from_settings(&app.settings.mail)?;
            Some(tokio::spawn(crate::jobs::outbox::run(
                app.clone(),
                transport,
            )))
        } else {
            None
        };
        let (per_token, per_address) = crate::routes::limits::limiters(&app.settings.http)
            .ok_or_else(|| anyhow::anyhow!("http.rate_limit: not a rate limit"))?;
        let request_timeout = Duration::from_secs(app.settings.http.request_timeout_seconds);
        let console = if app.settings.console.enabled {
            Some(web::Data::new(crate::routes::console::Console::new(
                &app.settings,
                app.ticket_tz,
            )?))
        } else {
            None
        };
        let state = web::Data::new(AppState { app });
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let console = console.clone();
            App::new()
                .app_data(app_state.clone())
                .app_data(limit)
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    crate::routes::error::ApiError::NotFound(format!("no such record: {e}")).into()
                }))
                .wrap(
                    ErrorHandlers::new()
                        .handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed),
                )
                .wrap(Condition::new(
                    per_token.on,
                    Governor::new(&per_token.config),
                ))
                .wrap(Condition::new(
                    per_address.on,
                    Governor::new(&per_address.config),
                ))
                .wrap_fn(|req, srv| {
                    let started = Instant::now();
                    let method = req.method().clone();
                    let path = req.path().to_owned();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
                            let route = res
                                .request()
                                .match_pattern()
                                .unwrap_or_else(|| "unmatched".into());
                            state.app.metrics.http(
                                method.as_str(),
                                &route,
                                res.status().as_u16(),
                                started.elapsed().as_secs_f64(),
                            );
                        }
                        tracing::info!(
                            %method,
                            %path,
                            status = res.status().as_u16(),
                            micros = started.elapsed().as_micros() as u64,
                            "request"
                        );
                        Ok(res)
                    }
                })
                .configure(|cfg| {
                    if let Some(c) = console {
                        cfg.app_data(c);
                        crate::routes::console::configure(cfg);
                    }
                })
                .configure(routes::configure)
        })
        .shutdown_timeout(30)
        .client_request_timeout(request_timeout)
        .listen(listener)?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            state,
            scheduler,
            mailer,
            checkpoints,
            backups,
            retention,
            reports,
            wal,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM (in-flight requests drain for up to 30 s), then stops
    /// the scheduler. A tick cut short leaves its claims to expire; nothing is half-written,
    /// because each ticket is processed in one transaction.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        // A send cut short leaves its claim to expire; the message is sent again later
        // with the same Message-ID.
        for job in [
            self.scheduler,
            self.mailer,
            self.checkpoints,
            self.backups,
            self.retention,
            self.reports,
            self.wal,
        ]
        .into_iter()
        .flatten()
        {
            job.abort();
        }
        result
    }
}

/// actix answers a known path with an unsupported method with an empty 405; give it the
/// same problem+json body as every other error.
fn method_not_allowed<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    use actix_web::ResponseError;
    let (req, original) = res.into_parts();
    let detail = format!("{} is not supported on {}", req.method(), req.path());
    let mut resp = crate::routes::error::ApiError::MethodNotAllowed(detail).error_response();
    // Keep the Allow header actix computed from the resource's routes (RFC 9110).
    if let Some(allow) = original.headers().get(actix_web::http::header::ALLOW) {
        resp.headers_mut()
            .insert(actix_web::http::header::ALLOW, allow.clone());
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, resp).map_into_right_body(),
    ))
}

/// Opens the database off the async threads (connecting and migrating block).
pub async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database.url.clone();
    let size = settings.database.pool_size;
    let timeout = Duration::from_secs(settings.database.connect_timeout_seconds);
    let sync = settings.database.sqlite_synchronous;
    let writers = settings.database.write_connections;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let mut db = Db::connect_with(&url, size, timeout, sync)?;
        db.set_write_connections(writers);
        let now = crate::clock::SystemClock.now();
        db.write(|conn| crate::app::sla::seed(conn, now))?;
        // Events written before the hash chains existed get their place in them, once.
        let chained = db.write(crate::app::audit::chain_legacy_events)?;
        if chained > 0 {
            tracing::info!(events = chained, "audit events chained");
        }
        Ok(db)
    })
    .await?
}
