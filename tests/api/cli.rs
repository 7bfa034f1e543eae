//! The real binary: init, migrate, configuration errors, and serve with a graceful stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::test_database;

pub(crate) fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spbe-desk"));
    // Run from an empty directory so no config/default.toml is picked up by accident.
    c.env_remove("SPBE_DESK_CONFIG")
        .env("SPBE_DESK_LOG__LEVEL", "warn")
        // Load tests, not limit tests (those are in operations.rs).
        .env("SPBE_DESK_HTTP__RATE_LIMIT", "off")
        .env("SPBE_DESK_HTTP__RATE_LIMIT_PER_ADDRESS", "off");
    c
}

fn last_line(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string()
}

#[actix_web::test]
async fn init_is_idempotent_and_its_token_works_against_the_served_daemon() {
    let (url, _db) = test_database();
    let dir = tempfile::tempdir().expect("dir");
    let init = |email: &str| {
        bin()
            .current_dir(dir.path())
            .env("SPBE_DESK_DATABASE__URL", &url)
            .args(["init", "--admin-email", email])
            .output()
            .expect("run init")
    };
    let first = init("Admin@Makassarkota.go.id");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = init("admin@makassarkota.go.id");
    assert!(second.status.success());
    let (t1, t2) = (last_line(&first.stdout), last_line(&second.stdout));
    assert!(
        t1.starts_with("sdk_") && t2.starts_with("sdk_"),
        "{t1} {t2}"
    );
    assert_ne!(t1, t2, "each run prints a new token");

    let migrate = bin()
        .current_dir(dir.path())
        .env("SPBE_DESK_DATABASE__URL", &url)
        .arg("migrate")
        .output()
        .expect("migrate");
    assert!(migrate.status.success());

    // Serve on a free port and use the token.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = bin()
        .current_dir(dir.path())
        .env("SPBE_DESK_DATABASE__URL", &url)
        .env("SPBE_DESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("SPBE_DESK_LOG__LEVEL", "info")
        .arg("serve")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let client = awc::Client::default();
    let deadline = Instant::now() + Duration::from_secs(20);
    let me = loop {
        let r = client
            .get(format!("http://127.0.0.1:{port}/api/v1/me"))
            .insert_header(("Authorization", format!("Bearer {t1}")))
            .send()
            .await;
        if let Ok(mut r) = r {
            break r.json::<serde_json::Value>().await.expect("json");
        }
        assert!(Instant::now() < deadline, "the daemon did not come up");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(me["role"], "admin");
    assert_eq!(me["email"], "admin@makassarkota.go.id");
    let ready = client
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .expect("readyz")
        .status();
    assert_eq!(ready.as_u16(), 200);
    // The container health check asks the same.
    let health = |port: u16| {
        bin()
            .env("SPBE_DESK_HTTP__BIND", format!("0.0.0.0:{port}"))
            .arg("healthcheck")
            .output()
            .expect("healthcheck")
    };
    let h = health(port);
    assert!(h.status.success(), "{}", String::from_utf8_lossy(&h.stderr));
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    assert_eq!(health(free).status.code(), Some(1), "nothing listens there");

    // SIGTERM: the daemon drains and exits cleanly.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "the daemon did not stop");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "exit status {status}");
    let mut log = String::new();
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            log.push_str(&line);
            log.push('\n');
        }
    }
    assert!(log.contains("spbe-desk stopped"), "{log}");
}

#[test]
fn a_bad_setting_stops_the_program_naming_the_key() {
    let out = bin()
        .env("SPBE_DESK_HTTP__BIND", "not-an-address")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http.bind"), "{err}");
    let out = bin()
        .env("SPBE_DESK_DATABASE__URL", "mysql://x")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"));
    let out = bin()
        .env("SPBE_DESK_SCHEDULER__TICK_SECONDS", "soon")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tick_seconds"));
    let out = bin()
        .args(["--config", "/nonexistent/spbe.toml", "migrate"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Loads the demo city into the database at `url` with the real binary; returns the
/// directory it ran in and the Disdukcapil technician's token.
pub(crate) fn demo_city(url: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("dir");
    let demo = bin()
        .current_dir(dir.path())
        .env("SPBE_DESK_DATABASE__URL", url)
        .args(["demo", "--no-serve"])
        .output()
        .expect("demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let env = std::fs::read_to_string(dir.path().join("var/demo-tokens.env")).expect("tokens");
    let token = env
        .lines()
        .find_map(|l| l.strip_prefix("export TECH_DUKCAPIL_TOKEN="))
        .expect("technician token")
        .to_string();
    (dir, token)
}

/// Asserts that every ticket in `ids` (each acknowledged with 201) reads back with 200.
pub(crate) async fn assert_all_there(port: u16, token: &str, ids: &[String]) {
    let client = awc::Client::default();
    for id in ids {
        let status = client
            .get(format!("http://127.0.0.1:{port}/api/v1/tickets/{id}"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16();
        assert_eq!(
            status, 200,
            "ticket {id} was acknowledged with 201 and is gone"
        );
    }
}

/// Serves on a free port from `dir` and waits until `/readyz` answers.
// The caller owns the returned child and waits for it; clippy cannot see through the return.
#[allow(clippy::zombie_processes)]
pub(crate) async fn serve_ready(url: &str, dir: &std::path::Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = bin()
        .current_dir(dir)
        .env("SPBE_DESK_DATABASE__URL", url)
        .env("SPBE_DESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .arg("serve")
        .spawn()
        .expect("serve");
    let client = awc::Client::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if r.is_ok_and(|r| r.status().is_success()) {
            return (child, port);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the daemon did not come up");
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn every_ticket_acknowledged_before_a_sigkill_is_there_after_the_restart() {
    let (url, _db) = test_database();
    let (dir, token) = demo_city(&url);
    let (mut daemon, port) = serve_ready(&url, dir.path()).await;
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for c in 0..8 {
        let (token, acknowledged) = (token.clone(), acknowledged.clone());
        clients.push(actix_web::rt::spawn(async move {
            let client = awc::Client::default();
            for i in 0.. {
                let body = serde_json::json!({"title": format!("Gangguan {c}-{i}"), "kind": "incident", "reporter": {"name": "Warga"}});
                let sent = client
                    .post(format!("http://127.0.0.1:{port}/api/v1/tickets"))
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .send_json(&body)
                    .await;
                let Ok(mut r) = sent else { return };
                if r.status().as_u16() != 201 {
                    continue;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else { return };
                if let Some(id) = v["id"].as_str() {
                    acknowledged.lock().expect("lock").push(id.to_string());
                }
            }
        }));
    }
    // Let the creations run, then kill the daemon without warning.
    while acknowledged.lock().expect("lock").len() < 50 {
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.kill().expect("SIGKILL");
    daemon.wait().expect("reaped");
    for c in clients {
        c.await.expect("client");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let (mut daemon, port) = serve_ready(&url, dir.path()).await;
    assert_all_there(port, &token, &acknowledged).await;
    daemon.kill().expect("stop");
    daemon.wait().expect("reaped");
}
