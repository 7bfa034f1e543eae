//! PostgreSQL stopped under load: the daemon answers 503 at once while the server is down
//! and serves again by itself within seconds of its return, with every acknowledged ticket
//! kept. Runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL set), on a private
//! cluster of its own so that stopping it disturbs no other test.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cli::{assert_all_there, demo_city, serve_ready};

/// A throw-away PostgreSQL cluster on a free loopback port, removed on drop.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

fn pg_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL's server binaries under /usr/lib/postgresql (apt-get install postgresql)",
        )
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found
        .pop()
        .expect("a pg_ctl under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    /// PostgreSQL refuses to run as root: under root (as in CI) the cluster belongs to the
    /// `postgres` account.
    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().expect(tool);
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn new() -> Cluster {
        let dir = tempfile::tempdir().expect("dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        if is_root() {
            use std::os::unix::fs::PermissionsExt;
            let id = |flag: &str| -> u32 {
                let out = Command::new("id")
                    .args([flag, "postgres"])
                    .output()
                    .expect("id");
                String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse()
                    .expect("the postgres account")
            };
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            std::os::unix::fs::chown(&data, Some(id("-u")), Some(id("-g"))).expect("chown");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let c = Cluster {
            bin: pg_bin(),
            data,
            port,
            _dir: dir,
        };
        c.run(
            "initdb",
            &["-D", &c.data_str(), "-U", "postgres", "--auth=trust", "-N"],
        );
        c.start();
        c
    }

    fn data_str(&self) -> String {
        self.data.display().to_string()
    }

    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.data_str()
        );
        let log = self.data.join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data_str(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data_str(), "-m", "fast", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data_str(), "-m", "immediate", "stop"])
            .output();
    }
}

/// One answer seen by a client: when the request was sent, how long it took, its status,
/// and the ticket id of a 201.
struct Seen {
    sent: Instant,
    took: Duration,
    status: u16,
    retry_after: bool,
    problem: bool,
    id: Option<String>,
}

#[actix_web::test]
async fn a_postgres_outage_gets_fast_503s_and_the_daemon_recovers_by_itself() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("outage test: runs in the PostgreSQL pass (TEST_DATABASE_URL)");
        return;
    }
    let cluster = Cluster::new();
    let url = cluster.url();
    let (dir, token) = demo_city(&url);
    let (mut daemon, port) = serve_ready(&url, dir.path()).await;

    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..6 {
        let (token, seen, stop) = (token.clone(), seen.clone(), stop.clone());
        clients.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let body = serde_json::json!({"title": format!("Gangguan {c}-{i}"), "kind": "incident", "reporter": {"name": "Warga"}});
                let sent = Instant::now();
                let mut r = client
                    .post(format!("http://127.0.0.1:{port}/api/v1/tickets"))
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .send_json(&body)
                    .await
                    .expect("the daemon answers every request, database or not");
                let status = r.status().as_u16();
                let problem = r
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.as_bytes() == b"application/problem+json");
                let retry_after = r.headers().contains_key("retry-after");
                let v: serde_json::Value = r.json().await.unwrap_or_default();
                seen.lock().expect("lock").push(Seen {
                    sent,
                    took: sent.elapsed(),
                    status,
                    retry_after,
                    problem,
                    id: v["id"].as_str().map(str::to_string),
                });
                if status == 503 {
                    // A well-behaved client backs off a little.
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    let count = |status: u16| {
        seen.lock()
            .expect("lock")
            .iter()
            .filter(|s| s.status == status)
            .count()
    };
    while count(201) < 30 {
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.stop();
    let down_from = Instant::now();
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let down_until = Instant::now();
    cluster.start();
    let back = Instant::now();
    let deadline = back + Duration::from_secs(30);
    let recovered = loop {
        let first = seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| s.status == 201 && s.sent >= back)
            .map(|s| s.sent + s.took)
            .min();
        if let Some(at) = first {
            break at - back;
        }
        assert!(
            Instant::now() < deadline,
            "no ticket created 30 s after PostgreSQL came back"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for c in clients {
        c.await.expect("client");
    }
    let seen = std::mem::take(&mut *seen.lock().expect("lock"));
    for s in &seen {
        assert!(
            matches!(s.status, 201 | 503),
            "only 201 or 503 are expected, got {}",
            s.status
        );
        if s.status == 503 {
            assert!(
                s.problem && s.retry_after,
                "a 503 is problem+json with Retry-After"
            );
        }
    }
    // While the server was down (sent a moment after the stop, so no request that was
    // already inside the database counts), every answer was a quick 503.
    let while_down: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.sent > down_from + Duration::from_millis(500) && s.sent < down_until)
        .collect();
    assert!(
        while_down.len() >= 6,
        "the clients kept asking while the server was down"
    );
    assert!(while_down.iter().all(|s| s.status == 503));
    let slowest = while_down.iter().map(|s| s.took).max().unwrap_or_default();
    assert!(
        slowest < Duration::from_secs(2),
        "a 503 took {slowest:?} (the pool's connect timeout is 10 s: failing fast means well under it)"
    );
    assert!(
        recovered < Duration::from_secs(10),
        "the first ticket after PostgreSQL's return took {recovered:?}"
    );
    // Nothing acknowledged was lost.
    let acknowledged: Vec<String> = seen.iter().filter_map(|s| s.id.clone()).collect();
    assert!(acknowledged.len() > 30);
    assert_all_there(port, &token, &acknowledged).await;
    eprintln!(
        "outage: {} answers, {} while down (slowest {slowest:?}), first 201 {recovered:?} after the restart",
        seen.len(),
        while_down.len()
    );
    daemon.kill().expect("stop");
    daemon.wait().expect("reaped");
}
