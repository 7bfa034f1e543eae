//! Mail to participants through a real SMTP server process on loopback (aiosmtpd, started
//! from `tests/smtp_sink.py`): who gets what, in which language, threaded per ticket, a
//! restricted ticket's details never in a message, and exactly once when the server was
//! down for a while.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use chrono::TimeDelta;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};

const FROM: &str = "Service Desk SPBE <servicedesk@kominfo.makassarkota.go.id>";

/// The SMTP server process; stopped when dropped.
struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpSink {
    fn new() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        SmtpSink {
            port,
            dir: tempfile::tempdir().expect("sink dir"),
            child: None,
        }
    }

    fn start(&mut self) {
        self.start_with(&[]);
    }

    fn start_with(&mut self, args: &[&str]) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs tests/smtp_sink.py");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout).read_line(&mut line).expect("read");
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP test server did not start; it needs aiosmtpd (pip install aiosmtpd)"
        );
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message received so far.
    fn received(&self) -> Vec<Mail> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("sink dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| Mail::parse(&std::fs::read_to_string(p).expect("eml")))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Debug)]
struct Mail {
    to: Vec<String>,
    headers: BTreeMap<String, String>,
    raw: String,
}

impl Mail {
    fn parse(raw: &str) -> Mail {
        let head = raw.split("\r\n\r\n").next().unwrap_or("");
        let mut headers = BTreeMap::new();
        let mut last: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(k) = &last {
                    if let Some(v) = headers.get_mut(k) {
                        *v = format!("{v} {}", line.trim());
                    }
                }
            } else if let Some((k, v)) = line.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                headers.insert(k.clone(), v.trim().to_string());
                last = Some(k);
            }
        }
        let to = headers
            .get("x-envelope-to")
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        Mail {
            to,
            headers,
            raw: raw.replace("=\r\n", "").replace("\r\n", "\n"),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// Every outbox row as (recipient, <message-id>), asserting that all of them were sent.
async fn sent_messages(app: &TestApp) -> BTreeSet<(String, String)> {
    let mut expected = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/outbox?limit=200&cursor={c}"),
            None => "/api/v1/outbox?limit=200".into(),
        };
        let page = app.get(&path, "ADMIN").await.expect(200);
        for item in page["items"].as_array().expect("items") {
            assert_eq!(item["status"], "sent", "{item}");
            expected.insert((
                item["recipient"].as_str().expect("recipient").to_string(),
                format!("<{}>", item["message_id"].as_str().expect("message id")),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return expected,
        }
    }
}

async fn app_with_smtp(sink: &SmtpSink, language: &str) -> TestApp {
    let port = sink.port.to_string();
    spawn_app_with(&[
        ("mail.transport", "smtp"),
        ("mail.smtp_host", "127.0.0.1"),
        ("mail.smtp_port", port.as_str()),
        ("mail.from", FROM),
        ("mail.language", language),
    ])
    .await
}

async fn email_of(app: &TestApp, who: &str) -> String {
    app.get("/api/v1/me", who).await.expect(200)["email"]
        .as_str()
        .expect("email")
        .to_string()
}

/// A ticket's outbox as stored: (rows, notices, bodies), the bodies being the rows of
/// `outbox_bodies` that its rows name (every one of them exists: the foreign key).
async fn stored(app: &TestApp, ticket: &str) -> (i64, i64, i64) {
    let of = format!("FROM outbox WHERE ticket_id = '{ticket}'");
    (
        app.count(&format!("SELECT COUNT(*) AS n {of}")).await,
        app.count(&format!("SELECT COUNT(DISTINCT source_id) AS n {of}"))
            .await,
        app.count(&format!("SELECT COUNT(DISTINCT body_id) AS n {of}"))
            .await,
    )
}

fn to(mails: &[Mail], address: &str) -> Vec<usize> {
    mails
        .iter()
        .enumerate()
        .filter(|(_, m)| m.to.iter().any(|t| t == address))
        .map(|(i, _)| i)
        .collect()
}

#[actix_web::test]
async fn participants_get_threaded_notices_in_bahasa_indonesia() {
    let mut sink = SmtpSink::new();
    sink.start();
    let app = app_with_smtp(&sink, "id").await;
    let tech = email_of(&app, "TECH_DUKCAPIL").await;
    let operator = email_of(&app, "OPERATOR").await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let (id, number) = (
        t["id"].as_str().expect("id"),
        t["number"].as_str().expect("number"),
    );
    let report = app.send_mail().await;
    assert_eq!(report.failed, 0, "{report:?}");
    let mails = sink.received();
    // The reporter and the PD's mailbox hear of the new ticket; the technician who logged
    // it does not get mail about their own action.
    let reporter = to(&mails, "budi@makassarkota.go.id");
    assert_eq!(reporter.len(), 1, "{mails:#?}");
    let mailbox = to(&mails, "disdukcapil@makassarkota.go.id");
    assert_eq!(mailbox.len(), 1);
    // One notice to every recipient: its body is stored once, and each mail carries it.
    assert_eq!(stored(&app, id).await, (mails.len() as i64, 1, 1));
    assert!(mails.len() >= 2);
    assert!(mails[mailbox[0]].raw.contains("Laporan telah dicatat"));
    assert!(to(&mails, &tech).is_empty(), "no mail to the actor");
    let ack = &mails[reporter[0]];
    assert!(ack.header("subject").contains(number), "{ack:?}");
    assert!(ack.header("subject").contains("Tiket diterima"), "{ack:?}");
    assert!(ack.raw.contains("Laporan telah dicatat"), "{}", ack.raw);
    assert!(
        ack.raw.contains("balas e-mail ini"),
        "how to reply: {}",
        ack.raw
    );
    assert!(ack
        .header("from")
        .contains("servicedesk@kominfo.makassarkota.go.id"));
    let thread = format!("<ticket.{id}@kominfo.makassarkota.go.id>");
    assert_eq!(ack.header("in-reply-to"), thread);
    assert_eq!(ack.header("references"), thread);
    assert!(ack
        .header("message-id")
        .ends_with("@kominfo.makassarkota.go.id>"));

    // Escalation tells the Dinas: its mailbox and its operators, in the same thread.
    app.action(
        id,
        "escalate",
        "TECH_DUKCAPIL",
        json!({"reason": "butuh akses server pusat"}),
    )
    .await
    .expect(200);
    app.send_mail().await;
    let mails = sink.received();
    let to_dinas = to(&mails, "diskominfo@makassarkota.go.id");
    assert_eq!(to_dinas.len(), 1, "{mails:#?}");
    let esc = &mails[to_dinas[0]];
    assert!(
        esc.header("subject").contains("dieskalasi ke Tier 2"),
        "{esc:?}"
    );
    assert!(esc.raw.contains("butuh akses server pusat"));
    assert_eq!(esc.header("in-reply-to"), thread);
    assert_eq!(to(&mails, &operator).len(), 1);
    // Every message has its own id.
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.header("message-id")).collect();
    assert_eq!(ids.len(), mails.len());
    let (rows, notices, bodies) = stored(&app, id).await;
    assert_eq!(rows, mails.len() as i64);
    assert_eq!(
        bodies, notices,
        "one body a notice, however many recipients"
    );
    assert!(rows > notices);
    // The outbox records what was sent.
    let outbox = app
        .get(
            &format!("/api/v1/outbox?ticket_id={id}&status=sent"),
            "ADMIN",
        )
        .await
        .expect(200);
    assert_eq!(outbox["items"].as_array().map(Vec::len), Some(mails.len()));
    app.get("/api/v1/outbox", "SUPERVISOR").await.problem(403);
}

#[actix_web::test]
async fn a_restricted_ticket_never_mails_its_details_and_english_is_a_setting() {
    let mut sink = SmtpSink::new();
    sink.start();
    let app = app_with_smtp(&sink, "en").await;
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"classification": "restricted", "title": "Kebocoran data RAHASIA-TITLE", "description": "Isi RAHASIA-DESC"}),
        )
        .await;
    let id = t["id"].as_str().expect("id");
    app.action(id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        "TECH_DUKCAPIL",
        json!({"body": "Balasan RAHASIA-COMMENT"}),
    )
    .await
    .expect(201);
    app.action(
        id,
        "resolve",
        "TECH_DUKCAPIL",
        json!({"resolution": "Diperbaiki RAHASIA-RES"}),
    )
    .await
    .expect(200);
    app.send_mail().await;
    let mails = sink.received();
    let reporter = to(&mails, "budi@makassarkota.go.id");
    // created, the public comment, resolved.
    assert_eq!(reporter.len(), 3, "{mails:#?}");
    for m in &mails {
        assert!(!m.raw.contains("RAHASIA"), "restricted detail in {}", m.raw);
        assert!(m.raw.contains(t["number"].as_str().expect("number")));
    }
    let subjects: Vec<&str> = reporter
        .iter()
        .map(|i| mails[*i].header("subject"))
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("Ticket received")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("Ticket resolved")),
        "{subjects:?}"
    );
    assert!(mails.iter().all(|m| m.raw.contains("restricted")));
}

#[actix_web::test]
async fn mail_queued_while_the_server_is_down_arrives_exactly_once() {
    let mut sink = SmtpSink::new();
    let app = app_with_smtp(&sink, "id").await;
    for n in 0..200 {
        app.create_ticket("TECH_DINKES", json!({"title": format!("Gangguan {n}")}))
            .await;
    }
    // The server is down: every attempt fails and is put off, none is lost.
    let down = app.send_mail().await;
    assert_eq!(down.sent, 0);
    assert!(down.failed >= 400, "{down:?}");
    let queued = app
        .get("/api/v1/outbox?status=queued&limit=200", "ADMIN")
        .await
        .expect(200);
    let first = &queued["items"][0];
    assert_eq!(first["attempts"], 1);
    assert!(
        first["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{first}"
    );
    // Too early to retry: nothing is sent even with the server up.
    sink.start();
    assert_eq!(app.send_mail().await.sent, 0);
    app.clock.advance(TimeDelta::minutes(5));
    let up = app.send_mail().await;
    assert_eq!(up.failed, 0, "{up:?}");
    assert_eq!(up.sent, down.failed);
    // Every queued message arrived, each once.
    let mails = sink.received();
    let expected = sent_messages(&app).await;
    let got: Vec<(String, String)> = mails
        .iter()
        .flat_map(|m| {
            m.to.iter()
                .map(|t| (t.clone(), m.header("message-id").to_string()))
        })
        .collect();
    let unique: BTreeSet<_> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "a message arrived twice");
    assert_eq!(unique, expected);
    assert_eq!(expected.len(), down.failed);
}

#[actix_web::test]
async fn a_refused_recipient_is_kept_visible_as_dead_and_can_be_retried() {
    let mut sink = SmtpSink::new();
    let app = app_with_smtp(&sink, "id").await;
    // The server answers 550 for the reporter's domain.
    let mut refusing = SmtpSink {
        port: sink.port,
        dir: tempfile::tempdir().expect("dir"),
        child: None,
    };
    refusing.start_with(&["--refuse", "warga.example"]);
    app.create_ticket(
        "TECH_DUKCAPIL",
        json!({"reporter": {"name": "Warga", "email": "warga@warga.example"}}),
    )
    .await;
    app.send_mail().await;
    let dead = app
        .get("/api/v1/outbox?status=dead", "ADMIN")
        .await
        .expect(200);
    let items = dead["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(items[0]["recipient"], "warga@warga.example");
    assert!(
        items[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("550")),
        "{dead}"
    );
    // The PD's mailbox got its copy.
    assert_eq!(
        to(&refusing.received(), "disdukcapil@makassarkota.go.id").len(),
        1
    );
    // Once the address works again, an admin retries the dead row.
    refusing.stop();
    sink.start();
    let id = items[0]["id"].as_str().expect("id");
    let r = app
        .post(&format!("/api/v1/outbox/{id}/retry"), "ADMIN", json!({}))
        .await
        .expect(200);
    assert_eq!(r["requeued"], 1);
    app.post(&format!("/api/v1/outbox/{id}/retry"), "ADMIN", json!({}))
        .await
        .problem(409);
    app.send_mail().await;
    assert_eq!(to(&sink.received(), "warga@warga.example").len(), 1);
    let v: Value = app
        .get("/api/v1/outbox?status=dead", "ADMIN")
        .await
        .expect(200);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0));
}

#[actix_web::test]
async fn participants_follow_a_ticket_and_staff_mail_stays_official() {
    let mut sink = SmtpSink::new();
    sink.start();
    let port = sink.port.to_string();
    let app = spawn_app_with(&[
        ("mail.transport", "smtp"),
        ("mail.smtp_port", port.as_str()),
        ("mail.from", FROM),
        ("mail.staff_domains", "[makassarkota.go.id]"),
    ])
    .await;
    // A Disdukcapil technician whose address is outside the official domain.
    let dukcapil = app.org_id("DISDUKCAPIL").await;
    app.post(
        "/api/v1/users",
        "ADMIN",
        json!({"name": "Teknisi Vendor", "email": "teknisi@vendor.example", "organization_id": dukcapil, "role": "technician"}),
    )
    .await
    .expect(201);
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"reporter": {"name": "Warga", "email": "warga@surel.example"}}),
        )
        .await;
    let id = t["id"].as_str().expect("id");
    // A vendor contact follows the ticket.
    let p = app
        .post(
            &format!("/api/v1/tickets/{id}/participants"),
            "TECH_DUKCAPIL",
            json!({"email": "Kontak@Vendor.example", "name": "Kontak Vendor"}),
        )
        .await
        .expect(201);
    assert_eq!(p["email"], "kontak@vendor.example");
    app.post(
        &format!("/api/v1/tickets/{id}/participants"),
        "TECH_DUKCAPIL",
        json!({"email": "kontak@vendor.example"}),
    )
    .await
    .problem(409);
    app.post(
        &format!("/api/v1/tickets/{id}/participants"),
        "AUDITOR",
        json!({"email": "x@vendor.example"}),
    )
    .await
    .problem(403);
    app.post(
        &format!("/api/v1/tickets/{id}/participants"),
        "TECH_DUKCAPIL",
        json!({"email": "bukan alamat"}),
    )
    .await
    .problem(422);
    let listed = app
        .get(&format!("/api/v1/tickets/{id}/participants"), "SUPERVISOR")
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let events = app.events(id, "AUDITOR").await;
    assert!(events.iter().any(
        |e| e["action"] == "participant_added" && e["data"]["email"] == "kontak@vendor.example"
    ));
    app.action(id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.action(
        id,
        "resolve",
        "TECH_DUKCAPIL",
        json!({"resolution": "Kabel diganti"}),
    )
    .await
    .expect(200);
    app.send_mail().await;
    let mails = sink.received();
    let resolved: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.header("subject").contains("selesai ditangani"))
        .collect();
    let got: BTreeSet<&str> = resolved
        .iter()
        .flat_map(|m| m.to.iter().map(String::as_str))
        .collect();
    assert_eq!(
        got,
        BTreeSet::from(["kontak@vendor.example", "warga@surel.example"])
    );
    // The outside staff address was refused, and the refusal is on record.
    assert!(to(&mails, "teknisi@vendor.example").is_empty());
    let dead = app
        .get(
            "/api/v1/outbox?status=dead&recipient=teknisi@vendor.example",
            "ADMIN",
        )
        .await
        .expect(200);
    let items = dead["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{dead}");
    assert!(items[0]["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("staff_domains")));
    // Removed, the participant hears no more.
    let pid = p["id"].as_str().expect("id");
    let r = app
        .send(
            "DELETE",
            &format!("/api/v1/tickets/{id}/participants/{pid}"),
            Some("TECH_DUKCAPIL"),
            None,
        )
        .await;
    assert_eq!(r.status.as_u16(), 204);
    assert!(app
        .events(id, "AUDITOR")
        .await
        .iter()
        .any(|e| e["action"] == "participant_removed"));
    app.action(
        id,
        "reopen",
        "TECH_DUKCAPIL",
        json!({"reason": "masih putus"}),
    )
    .await
    .expect(200);
    app.send_mail().await;
    let reopened: Vec<Mail> = sink
        .received()
        .into_iter()
        .filter(|m| m.header("subject").contains("dibuka kembali"))
        .collect();
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0].to, vec!["warga@surel.example".to_string()]);

    // The command line sends dead messages again, on the same database.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spbe-desk"))
        .env_remove("SPBE_DESK_CONFIG")
        .env("SPBE_DESK_LOG__LEVEL", "warn")
        .env("SPBE_DESK_DATABASE__URL", &app.db_url)
        .current_dir(sink.dir.path())
        .args(["outbox", "retry", "--dead"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "requeued 1");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_spbe-desk"))
        .env_remove("SPBE_DESK_CONFIG")
        .env("SPBE_DESK_DATABASE__URL", &app.db_url)
        .current_dir(sink.dir.path())
        .args(["outbox", "status"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("dead 0") && text.contains("queued 1"),
        "{text}"
    );
}

/// The outbox rows of a ticket's SLA warnings.
async fn warned_rows(app: &TestApp, id: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/outbox?ticket_id={id}&limit=200"), "ADMIN")
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| r["event"] == "sla_warned")
        .cloned()
        .collect()
}

#[actix_web::test]
async fn a_notice_that_may_wait_leaves_at_the_next_working_instant() {
    use chrono::TimeZone;
    let mut sink = SmtpSink::new();
    sink.start();
    let app = app_with_smtp(&sink, "id").await;
    let wita = |d: u32, h: u32, m: u32| {
        chrono_tz::Asia::Makassar
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .single()
            .expect("instant")
            .with_timezone(&chrono::Utc)
    };
    // Friday 15:40: a medium ticket warns when 45 of its 60 response minutes have run, 16:25.
    app.clock.set(wita(27, 15, 40));
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    assert_eq!(t["priority"], "medium");
    // The scheduler comes by after the office closed (16:30 on Fridays).
    app.clock.set(wita(27, 16, 40));
    app.tick().await;
    app.send_mail().await;
    let id = t["id"].as_str().expect("id");
    let rows = warned_rows(&app, id).await;
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r["status"], "queued", "{r}");
        // Monday 07:30 WITA.
        assert_eq!(r["not_before"], "2026-11-29T23:30:00Z", "{r}");
    }
    app.clock.set(wita(30, 7, 31));
    app.send_mail().await;
    assert!(warned_rows(&app, id)
        .await
        .iter()
        .all(|r| r["status"] == "sent"));
    assert!(sink
        .received()
        .iter()
        .any(|m| m.header("subject").contains("Peringatan batas waktu SLA")));
}

#[actix_web::test]
async fn two_daemons_send_every_message_once() {
    let mut sink = SmtpSink::new();
    sink.start();
    let app = app_with_smtp(&sink, "id").await;
    for n in 0..60 {
        app.create_ticket("TECH_BAPENDA", json!({"title": format!("Pajak {n}")}))
            .await;
    }
    let a = app.state.app.clone();
    let second = spbe_desk::db::Db::connect(&app.db_url, 4, std::time::Duration::from_secs(10))
        .expect("second pool");
    let b = std::sync::Arc::new(
        spbe_desk::app::App::new(second, a.clock.clone(), a.settings.clone()).expect("second"),
    );
    let ta = spbe_desk::mail::Transport::from_settings(&a.settings.mail).expect("transport");
    let tb = spbe_desk::mail::Transport::from_settings(&b.settings.mail).expect("transport");
    let (ra, rb) = futures_util::future::join(
        spbe_desk::jobs::outbox::pass(&a, &ta, "daemon-a"),
        spbe_desk::jobs::outbox::pass(&b, &tb, "daemon-b"),
    )
    .await;
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    assert_eq!(ra.failed + rb.failed, 0);
    let mails = sink.received();
    assert_eq!(ra.sent + rb.sent, mails.len());
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.header("message-id")).collect();
    assert_eq!(ids.len(), mails.len(), "a message was sent twice");
    let queued = app
        .get("/api/v1/outbox?status=queued", "ADMIN")
        .await
        .expect(200);
    assert_eq!(queued["items"].as_array().map(Vec::len), Some(0));
    assert!(mails.len() >= 120, "{}", mails.len());
}

#[actix_web::test]
async fn a_sender_killed_mid_send_loses_nothing_and_resends_under_the_same_message_id() {
    let mut sink = SmtpSink::new();
    // Each message takes 50 ms to be accepted, so the daemon is killed in the middle.
    sink.start_with(&["--delay", "0.05"]);
    let app = app_with_smtp(&sink, "id").await;
    for n in 0..40 {
        app.create_ticket("TECH_DPMPTSP", json!({"title": format!("Izin {n}")}))
            .await;
    }
    let queued = || async {
        app.get("/api/v1/outbox?status=queued&limit=200", "ADMIN")
            .await
            .expect(200)["items"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let total = queued().await;
    assert!(total >= 80, "{total}");
    let daemon = || {
        Command::new(env!("CARGO_BIN_EXE_spbe-desk"))
            .env_remove("SPBE_DESK_CONFIG")
            .env("SPBE_DESK_LOG__LEVEL", "warn")
            .env("SPBE_DESK_DATABASE__URL", &app.db_url)
            .env("SPBE_DESK_HTTP__BIND", "127.0.0.1:0")
            .env("SPBE_DESK_SCHEDULER__TICK_SECONDS", "0")
            .env("SPBE_DESK_MAIL__TRANSPORT", "smtp")
            .env("SPBE_DESK_MAIL__SMTP_PORT", sink.port.to_string())
            .env("SPBE_DESK_MAIL__FROM", FROM)
            .env("SPBE_DESK_MAIL__POLL_SECONDS", "1")
            .env("SPBE_DESK_MAIL__LEASE_SECONDS", "5")
            .current_dir(sink.dir.path())
            .arg("serve")
            .spawn()
            .expect("daemon")
    };
    let mut first = daemon();
    let started = std::time::Instant::now();
    while sink.received().len() < 10 {
        assert!(started.elapsed().as_secs() < 60, "the daemon sent nothing");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // SIGKILL: no chance to record what is in flight.
    first.kill().expect("kill");
    first.wait().expect("reaped");
    let before_restart = sink.received().len();
    assert!(before_restart < total, "killed too late to test anything");
    let mut second = daemon();
    let started = std::time::Instant::now();
    while queued().await > 0 {
        assert!(
            started.elapsed().as_secs() < 90,
            "the restarted daemon did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    second.kill().expect("kill");
    second.wait().expect("reaped");
    // Every queued message arrived; a message sent twice is the same message.
    let mails = sink.received();
    let expected = sent_messages(&app).await;
    let got: BTreeSet<(String, String)> = mails
        .iter()
        .flat_map(|m| {
            m.to.iter()
                .map(|t| (t.clone(), m.header("message-id").to_string()))
        })
        .collect();
    assert_eq!(got, expected, "every message, and nothing else");
    assert!(mails.len() >= expected.len());
}
