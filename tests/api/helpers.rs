//! `TestApp`: the real daemon on port 0 with its own database (a SQLite file in a temp
//! directory, or a fresh PostgreSQL database when TEST_DATABASE_URL is set), a manual
//! clock, and the demo city loaded so every role has a token.

use std::collections::HashMap;
use std::sync::Arc;

use awc::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::{json, Value};

use spbe_desk::clock::ManualClock;
use spbe_desk::config::Settings;
use spbe_desk::startup::{open_db, Application};

/// Monday 2026-11-23 11:00 WITA.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0)
        .single()
        .expect("valid instant")
}

pub enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self {
            if let Ok(mut c) = diesel::PgConnection::establish(admin_url) {
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

/// Test connections go over loopback without TLS unless the URL asks for it: libpq's
/// OpenSSL state is torn down at process exit while pooled connections of finished tests
/// may still live on other threads, which can abort the test binary after every test passed.
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

pub fn test_database() -> (String, TestDb) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let admin_url = without_tls(&admin_url);
            let name = format!("spbe_test_{}", uuid::Uuid::new_v4().simple());
            let mut c =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            (url.to_string(), TestDb::Postgres { admin_url, name })
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, TestDb::Sqlite(dir))
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    pub clock: ManualClock,
    /// Demo tokens by role name: ADMIN, SUPERVISOR, OPERATOR, TECH_DUKCAPIL, ...
    pub tokens: HashMap<&'static str, String>,
    pub state: actix_web::web::Data<spbe_desk::routes::AppState>,
    pub db_url: String,
    _db: TestDb,
    _mail_dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
}

impl Resp {
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts a problem+json answer with this status and returns it.
    #[track_caller]
    pub fn problem(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], json!(status));
        assert!(
            self.body["type"].is_string()
                && self.body["title"].is_string()
                && self.body["detail"].is_string()
        );
        self.body
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let (url, db) = test_database();
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let mail_path = mail_dir.path().display().to_string();
    let mut all: Vec<(&str, &str)> = vec![
        ("database.url", url.as_str()),
        // Tests send mail themselves (`send_mail`); nothing is written under var/.
        ("mail.poll_seconds", "0"),
        ("mail.file_dir", mail_path.as_str()),
        ("http.bind", "127.0.0.1:0"),
        ("http.workers", "2"),
        ("database.pool_size", "4"),
        ("log.level", "warn"),
        // Tests drive the scheduler with `tick()`; one test turns the background loop on.
        ("scheduler.tick_seconds", "0"),
        // Tests freeze and mail reports themselves (`App::monthly_reports`).
        ("reports.monthly", "false"),
        // Tests fire requests as fast as they can; the limits have a test of their own.
        ("http.rate_limit", "off"),
        ("http.rate_limit_per_address", "off"),
    ];
    all.extend_from_slice(overrides);
    let settings = Settings::defaults_with(&all).expect("test settings");
    let clock = ManualClock::new(t0());
    let pool = open_db(&settings).await.expect("open test database");
    let loader = spbe_desk::app::App::new(pool.clone(), Arc::new(clock.clone()), settings.clone())
        .expect("service");
    let demo = tokio::task::spawn_blocking(move || spbe_desk::cli::demo::load(&loader))
        .await
        .expect("join")
        .expect("load demo city");
    let tokens = demo.into_iter().map(|t| (t.env, t.token)).collect();
    let db_url = settings.database.url.clone();
    let app =
        Application::build_with_db(settings, Arc::new(clock.clone()), pool).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .finish(),
        clock,
        tokens,
        state,
        db_url,
        _db: db,
        _mail_dir: mail_dir,
    }
}

impl TestApp {
    /// `spbe-desk audit verify`'s walk over every chain, without a checkpoint key.
    pub async fn verify_audit(&self) -> spbe_desk::app::audit::AuditReport {
        let app = self.state.app.clone();
        tokio::task::spawn_blocking(move || app.verify_audit(None))
            .await
            .expect("join")
            .expect("verify")
    }

    /// One scheduler pass at the test clock's "now", as one daemon.
    pub async fn tick(&self) -> spbe_desk::jobs::scheduler::TickReport {
        let (app, now) = (self.state.app.clone(), self.clock.now_utc());
        tokio::task::spawn_blocking(move || {
            spbe_desk::jobs::scheduler::tick(&app, now, "test-daemon")
        })
        .await
        .expect("join")
        .expect("tick")
    }

    /// The number a `SELECT COUNT(*) AS n ...` answers, read straight from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        count_in(self.state.app.db.clone(), sql).await
    }

    /// One pass of the outbox worker at the test clock's "now", through the configured
    /// transport.
    pub async fn send_mail(&self) -> spbe_desk::jobs::outbox::PassReport {
        let transport = spbe_desk::mail::Transport::from_settings(&self.state.app.settings.mail)
            .expect("mail transport");
        spbe_desk::jobs::outbox::pass(&self.state.app, &transport, "test-mailer")
            .await
            .expect("mail pass")
    }

    pub fn token(&self, who: &str) -> &str {
        self.tokens
            .get(who)
            .unwrap_or_else(|| panic!("no demo token {who}"))
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.send_raw(method, path, who, body.map(|b| b.to_string()), &[])
            .await
    }

    /// Sends a request with an arbitrary body and headers (for malformed-input tests).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        who: Option<&str>,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let m = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let has_ct = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        // The test client's own connection pool can fail to hand out a connection on a
        // machine loaded by other jobs (seen once: `Connect(Disconnected)`). Nothing reached
        // the daemon then, so sending again is safe; anything else fails the test.
        let mut attempt = 0;
        let mut resp = loop {
            let mut req = self
                .client
                .request(m.clone(), format!("{}{}", self.base, path));
            if let Some(w) = who {
                req = req.insert_header(("Authorization", format!("Bearer {}", self.token(w))));
            }
            for (k, v) in headers {
                req = req.insert_header((*k, *v));
            }
            let sent = match &body {
                Some(b) => {
                    if !has_ct {
                        req = req.insert_header(("Content-Type", "application/json"));
                    }
                    req.send_body(b.clone()).await
                }
                None => req.send().await,
            };
            match sent {
                Err(awc::error::SendRequestError::Connect(e)) if attempt < 3 => {
                    attempt += 1;
                    eprintln!("test client could not connect ({e}); sending again");
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                other => break other.expect("request sent"),
            }
        };
        let status = resp.status();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = resp
            .body()
            .limit(50 * 1024 * 1024)
            .await
            .expect("body read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            body,
            content_type,
        }
    }

    pub async fn get(&self, path: &str, who: &str) -> Resp {
        self.send("GET", path, Some(who), None).await
    }

    pub async fn post(&self, path: &str, who: &str, body: Value) -> Resp {
        self.send("POST", path, Some(who), Some(body)).await
    }

    pub async fn patch(&self, path: &str, who: &str, body: Value) -> Resp {
        self.send("PATCH", path, Some(who), Some(body)).await
    }

    pub async fn org_id(&self, code: &str) -> String {
        let orgs = self.pages("/api/v1/organizations", "ADMIN").await;
        orgs.iter()
            .find(|o| o["code"] == code)
            .and_then(|o| o["id"].as_str())
            .unwrap_or_else(|| panic!("no organization {code}"))
            .to_string()
    }

    pub async fn service_id(&self, code: &str) -> String {
        let list = self.pages("/api/v1/services", "ADMIN").await;
        list.iter()
            .find(|o| o["code"] == code)
            .and_then(|o| o["id"].as_str())
            .unwrap_or_else(|| panic!("no service {code}"))
            .to_string()
    }

    pub async fn user_id(&self, who: &str) -> String {
        let me = self.get("/api/v1/me", who).await.expect(200);
        me["id"].as_str().expect("id").to_string()
    }

    /// Creates a ticket as `who` with `extra` fields merged over a valid minimal body.
    pub async fn create_ticket(&self, who: &str, extra: Value) -> Value {
        let mut body = json!({
            "title": "Printer di loket tidak bisa mencetak",
            "description": "Antrian cetak macet sejak pagi.",
            "kind": "incident",
            "impact": "medium",
            "urgency": "medium",
            "reporter": {"name": "Budi Santoso", "email": "budi@makassarkota.go.id", "phone": "0411-123456"}
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post("/api/v1/tickets", who, body).await.expect(201)
    }

    /// Every ticket `who` can list, following cursors.
    pub async fn list_all(&self, who: &str, query: &str) -> Vec<Value> {
        self.pages(&format!("/api/v1/tickets?limit=50{query}"), who)
            .await
    }

    /// Every item of a paginated list, following `next_cursor` to the end.
    pub async fn pages(&self, list: &str, who: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let sep = if list.contains('?') { '&' } else { '?' };
        loop {
            let mut path = list.to_string();
            if let Some(c) = &cursor {
                path.push_str(&format!("{sep}cursor={c}"));
            }
            let page = self.get(&path, who).await.expect(200);
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    pub async fn action(&self, id: &str, action: &str, who: &str, body: Value) -> Resp {
        self.post(&format!("/api/v1/tickets/{id}/{action}"), who, body)
            .await
    }

    pub async fn events(&self, id: &str, who: &str) -> Vec<Value> {
        self.pages(&format!("/api/v1/tickets/{id}/events"), who)
            .await
    }
}

/// The number a `SELECT COUNT(*) AS n ...` answers in `db`.
pub async fn count_in(db: spbe_desk::db::Db, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = sql.to_string();
    tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        diesel::sql_query(&sql)
            .get_result::<Count>(&mut **c)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
    })
    .await
    .expect("join")
}
