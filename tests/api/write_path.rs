//! The ticket write path under concurrency: clients and two schedulers on the same tickets
//! (on both backends), ended targets keeping their deadlines, and idempotent replays that
//! respect scope.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::TimeDelta;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, t0};
use spbe_desk::db::schema::{audit_events, sla_events, sla_targets, tickets};

/// What the clients saw: every status code, and the writes the daemon acknowledged.
#[derive(Default)]
struct Seen {
    statuses: BTreeMap<u16, usize>,
    /// Comment ids answered 201, by ticket.
    comments: HashMap<String, Vec<String>>,
    /// PATCHes answered 200, by ticket.
    patches: HashMap<String, usize>,
    /// Pauses answered 200, by ticket.
    pauses: HashMap<String, usize>,
}

#[derive(Clone)]
struct Client {
    http: awc::Client,
    base: String,
    tech: String,
    supervisor: String,
}

impl Client {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
        if_match: Option<i64>,
    ) -> (u16, Value) {
        let m = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(m, format!("{}{}", self.base, path))
            .insert_header(("Authorization", format!("Bearer {token}")));
        if let Some(v) = if_match {
            req = req.insert_header(("If-Match", format!("\"{v}\"")));
        }
        let mut resp = req.send_json(&body).await.expect("sent");
        let status = resp.status().as_u16();
        let bytes = resp.body().limit(10 << 20).await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// One client: cycles through the tickets with comments, PATCHes under the version it
    /// just read, and pause/resume, until told to stop.
    async fn run(self, me: usize, ids: Vec<String>, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
        let mut i = me;
        while !stop.load(Ordering::Relaxed) {
            let id = &ids[(i * 7 + me) % ids.len()];
            i += 1;
            let (status, body, kind) = match i % 4 {
                0 => {
                    let (s, b) = self
                        .send(
                            "POST",
                            &format!("/api/v1/tickets/{id}/comments"),
                            &self.tech,
                            json!({"body": format!("catatan {me}-{i}"), "visibility": "internal"}),
                            None,
                        )
                        .await;
                    (s, b, "comment")
                }
                1 => {
                    let (s, t) = self
                        .send(
                            "GET",
                            &format!("/api/v1/tickets/{id}"),
                            &self.supervisor,
                            Value::Null,
                            None,
                        )
                        .await;
                    assert_eq!(s, 200, "{t}");
                    let v = t["version"].as_i64().expect("version");
                    let (s, b) = self
                        .send(
                            "PATCH",
                            &format!("/api/v1/tickets/{id}"),
                            &self.supervisor,
                            json!({"title": format!("Gangguan {me}-{i}")}),
                            Some(v),
                        )
                        .await;
                    (s, b, "patch")
                }
                2 => {
                    let (s, b) = self
                        .send(
                            "POST",
                            &format!("/api/v1/tickets/{id}/pause"),
                            &self.supervisor,
                            json!({"reason": "waiting_for_reporter"}),
                            None,
                        )
                        .await;
                    (s, b, "pause")
                }
                _ => {
                    let (s, b) = self
                        .send(
                            "POST",
                            &format!("/api/v1/tickets/{id}/resume"),
                            &self.supervisor,
                            json!({}),
                            None,
                        )
                        .await;
                    (s, b, "resume")
                }
            };
            assert!(status < 500, "{kind} on {id} answered {status}: {body}");
            let mut seen = seen.lock().expect("lock");
            *seen.statuses.entry(status).or_default() += 1;
            match (kind, status) {
                ("comment", 201) => seen
                    .comments
                    .entry(id.clone())
                    .or_default()
                    .push(body["id"].as_str().expect("comment id").to_string()),
                ("comment", s) => panic!("a comment on an open ticket answered {s}: {body}"),
                ("patch", 200) => *seen.patches.entry(id.clone()).or_default() += 1,
                ("pause", 200) => *seen.pauses.entry(id.clone()).or_default() += 1,
                _ => {}
            }
        }
    }
}

#[actix_web::test]
async fn clients_and_two_schedulers_record_every_sla_event_exactly_once() {
    let app = spawn_app().await;
    // Critical tickets at Monday 11:00 WITA: response warning 11:11:15 and breach 11:15,
    // Tier 1 window (escalation) 12:00, so every kind of SLA event falls due below.
    let mut ids = Vec::new();
    for n in 0..24 {
        let t = app
            .create_ticket(
                "TECH_DUKCAPIL",
                json!({"title": format!("Server {n}"), "impact": "high", "urgency": "high"}),
            )
            .await;
        assert_eq!(t["priority"], "critical");
        let id = t["id"].as_str().expect("id").to_string();
        // Half are worked (in progress, so they can be paused); half stay new.
        if n % 2 == 0 {
            app.action(&id, "acknowledge", "TECH_DUKCAPIL", json!({}))
                .await
                .expect(200);
        }
        ids.push(id);
    }

    let daemon_a = app.state.app.clone();
    let second = spbe_desk::db::Db::connect(&app.db_url, 4, std::time::Duration::from_secs(10))
        .expect("second pool");
    let daemon_b = Arc::new(
        spbe_desk::app::App::new(second, daemon_a.clock.clone(), daemon_a.settings.clone())
            .expect("second daemon"),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let client = Client {
        http: app.client.clone(),
        base: app.base.clone(),
        tech: app.token("TECH_DUKCAPIL").to_string(),
        supervisor: app.token("SUPERVISOR").to_string(),
    };
    let clients: Vec<_> = (0..6)
        .map(|me| {
            actix_web::rt::spawn(
                client
                    .clone()
                    .run(me, ids.clone(), stop.clone(), seen.clone()),
            )
        })
        .collect();

    // The clock walks from 11:00 to 13:30 in one-minute steps; at every step both daemons
    // tick at once while the clients keep writing.
    let clock = app.clock.clone();
    let stop_daemons = stop.clone();
    let daemons = std::thread::spawn(move || {
        let mut reports = Vec::new();
        for _ in 0..150 {
            clock.advance(TimeDelta::minutes(1));
            let now = clock.now_utc();
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| spbe_desk::jobs::scheduler::tick(&daemon_a, now, "daemon-a"));
                let b = s.spawn(|| spbe_desk::jobs::scheduler::tick(&daemon_b, now, "daemon-b"));
                (a.join().expect("a"), b.join().expect("b"))
            });
            reports.push(a.expect("tick a"));
            reports.push(b.expect("tick b"));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        stop_daemons.store(true, Ordering::Relaxed);
        reports
    });
    for c in clients {
        c.await.expect("client");
    }
    let reports = tokio::task::spawn_blocking(move || daemons.join().expect("daemons"))
        .await
        .expect("join");
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    let escalated: usize = reports.iter().map(|r| r.escalated).sum();
    assert_eq!(failed, 0, "no scheduler pass failed");
    assert!(escalated > 0, "some tickets escalated automatically");
    // Settle: one more pass at the final time finds nothing left to do twice.
    app.tick().await;

    let seen = std::mem::take(&mut *seen.lock().expect("lock"));
    eprintln!("statuses {:?}, escalated {escalated}", seen.statuses);
    assert!(
        seen.statuses.keys().all(|s| *s < 500),
        "{:?}",
        seen.statuses
    );
    assert!(
        seen.statuses.get(&201).copied().unwrap_or(0) > 20,
        "{:?}",
        seen.statuses
    );
    assert!(
        seen.statuses.get(&200).copied().unwrap_or(0) > 20,
        "{:?}",
        seen.statuses
    );

    // The database's view: every SLA event once, matching the targets and the audit trail.
    let db = app.state.app.db.clone();
    type Ledger = Vec<(String, String, String)>;
    type Targets = Vec<(
        String,
        String,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    )>;
    type Audit = Vec<(Option<String>, String, String)>;
    type Tiers = Vec<(String, i32, Option<String>)>;
    let (ledger, targets, audit, tiers): (Ledger, Targets, Audit, Tiers) =
        tokio::task::spawn_blocking(move || {
            let mut c = db.conn().expect("conn");
            let ledger = sla_events::table
                .filter(sla_events::kind.eq_any(["warned", "breached", "escalated"]))
                .select((sla_events::ticket_id, sla_events::target, sla_events::kind))
                .load(&mut **c)
                .expect("ledger");
            let targets = sla_targets::table
                .select((
                    sla_targets::ticket_id,
                    sla_targets::target,
                    sla_targets::warned_at,
                    sla_targets::breached_at,
                ))
                .load(&mut **c)
                .expect("targets");
            let audit = audit_events::table
                .filter(audit_events::entity_type.eq("ticket"))
                .select((
                    audit_events::ticket_id,
                    audit_events::action,
                    audit_events::data,
                ))
                .load(&mut **c)
                .expect("audit");
            let tiers = tickets::table
                .select((tickets::id, tickets::tier, tickets::escalation_mode))
                .load(&mut **c)
                .expect("tickets");
            (ledger, targets, audit, tiers)
        })
        .await
        .expect("join");

    let mut ledger_n: HashMap<(String, String, String), usize> = HashMap::new();
    for k in ledger {
        *ledger_n.entry(k).or_default() += 1;
    }
    assert!(
        ledger_n.values().all(|n| *n == 1),
        "an SLA event recorded twice: {ledger_n:?}"
    );
    let mut warned = 0;
    let mut breached = 0;
    for (tid, target, w, b) in &targets {
        let has =
            |kind: &str| ledger_n.contains_key(&(tid.clone(), target.clone(), kind.to_string()));
        assert_eq!(
            w.is_some(),
            has("warned"),
            "{tid} {target}: warned_at vs ledger"
        );
        assert_eq!(
            b.is_some(),
            has("breached"),
            "{tid} {target}: breached_at vs ledger"
        );
        warned += usize::from(w.is_some());
        breached += usize::from(b.is_some());
    }
    assert!(
        warned > 0 && breached > 0,
        "warnings {warned}, breaches {breached}"
    );
    // The audit trail says the same, once per ticket and target.
    let mut audit_n: HashMap<(String, String, String), usize> = HashMap::new();
    let mut by_action: HashMap<(String, String), usize> = HashMap::new();
    for (tid, action, data) in &audit {
        let tid = tid.clone().expect("ticket id");
        *by_action.entry((tid.clone(), action.clone())).or_default() += 1;
        if action == "sla_warned" || action == "sla_breached" {
            let d: Value = serde_json::from_str(data).expect("json");
            let kind = if action == "sla_warned" {
                "warned"
            } else {
                "breached"
            };
            let target = d["target"].as_str().expect("target").to_string();
            *audit_n.entry((tid, target, kind.to_string())).or_default() += 1;
        }
    }
    let sla_ledger: HashMap<_, _> = ledger_n
        .iter()
        .filter(|((_, _, k), _)| k != "escalated")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(
        audit_n, sla_ledger,
        "audit and ledger disagree on warnings and breaches"
    );
    for (tid, tier, mode) in &tiers {
        let escalations = by_action
            .get(&(tid.clone(), "escalated".to_string()))
            .copied()
            .unwrap_or(0);
        let ledger = usize::from(ledger_n.contains_key(&(
            tid.clone(),
            "escalation".to_string(),
            "escalated".to_string(),
        )));
        assert_eq!(
            escalations,
            usize::from(*tier == 2),
            "{tid}: escalated events"
        );
        assert_eq!(ledger, usize::from(*tier == 2), "{tid}: escalation ledger");
        if *tier == 2 {
            assert_eq!(mode.as_deref(), Some("automatic"));
        }
    }
    // No acknowledged write was lost.
    for id in &ids {
        let mut listed: Vec<String> = Vec::new();
        let mut cursor = String::new();
        loop {
            let (_, page) = client
                .send(
                    "GET",
                    &format!("/api/v1/tickets/{id}/comments?limit=200{cursor}"),
                    &client.tech,
                    Value::Null,
                    None,
                )
                .await;
            listed.extend(
                page["items"]
                    .as_array()
                    .expect("comments")
                    .iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_string)),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        for cid in seen.comments.get(id).into_iter().flatten() {
            assert!(
                listed.contains(cid),
                "comment {cid} on {id} was acknowledged but is gone"
            );
        }
        let count = |a: &str| {
            by_action
                .get(&(id.clone(), a.to_string()))
                .copied()
                .unwrap_or(0)
        };
        assert_eq!(
            count("commented"),
            seen.comments.get(id).map_or(0, Vec::len),
            "{id}"
        );
        assert_eq!(
            count("updated"),
            seen.patches.get(id).copied().unwrap_or(0),
            "{id}"
        );
        assert_eq!(
            count("paused"),
            seen.pauses.get(id).copied().unwrap_or(0),
            "{id}"
        );
    }
}

#[actix_web::test]
async fn ended_targets_keep_the_deadline_they_were_measured_against() {
    let app = spawn_app().await;
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"impact": "high", "urgency": "high"}),
        )
        .await;
    let id = t["id"].as_str().expect("id");
    let response_due = t["sla"]["response_due_at"].clone();
    let escalation_due = t["sla"]["escalation_due_at"].clone();
    assert!(
        response_due.is_string() && escalation_due.is_string(),
        "{t}"
    );
    app.clock.advance(TimeDelta::minutes(5));
    let acked = app
        .action(id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    assert_eq!(acked["sla"]["targets"]["response"]["outcome"], "met");
    assert_eq!(
        acked["sla"]["response_due_at"], response_due,
        "a met target keeps its deadline"
    );
    app.clock.advance(TimeDelta::minutes(5));
    let esc = app
        .action(
            id,
            "escalate",
            "TECH_DUKCAPIL",
            json!({"reason": "perlu Tier 2"}),
        )
        .await
        .expect(200);
    assert_eq!(esc["sla"]["targets"]["escalation"]["outcome"], "met");
    assert_eq!(esc["sla"]["escalation_due_at"], escalation_due);
    // Only a paused target has no deadline.
    let paused = app
        .action(
            id,
            "pause",
            "OPERATOR",
            json!({"reason": "waiting_for_reporter"}),
        )
        .await
        .expect(200);
    assert!(paused["sla"]["resolution_due_at"].is_null(), "{paused}");
    assert_eq!(paused["sla"]["escalation_due_at"], escalation_due);
}

#[actix_web::test]
async fn an_idempotent_replay_answers_only_while_the_caller_may_see_the_ticket() {
    let app = spawn_app().await;
    let siak = app.service_id("SIAK").await;
    // A Dinkes technician reports a problem with Disdukcapil's SIAK: Disdukcapil owns the
    // ticket, and Dinkes sees it as the reporting PD while it is not restricted.
    let body = json!({"title": "SIAK tidak bisa login", "kind": "incident", "service_id": siak, "reporter": {"name": "Sari"}});
    let send = || {
        app.send_raw(
            "POST",
            "/api/v1/tickets",
            Some("TECH_DINKES"),
            Some(body.to_string()),
            &[("Idempotency-Key", "siak-1")],
        )
    };
    let first = send().await.expect(201);
    let id = first["id"].as_str().expect("id");
    assert_eq!(send().await.expect(200)["id"], first["id"]);
    let v = first["version"].as_i64().expect("version");
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        "SUPERVISOR",
        json!({"version": v, "classification": "restricted"}),
    )
    .await
    .expect(200);
    app.get(&format!("/api/v1/tickets/{id}"), "TECH_DINKES")
        .await
        .problem(404);
    let replay = send().await.problem(404);
    assert!(
        !replay.to_string().contains("SIAK tidak bisa login"),
        "{replay}"
    );
    assert_eq!(
        app.list_all("SUPERVISOR", "").await.len(),
        1,
        "no second ticket"
    );
    // The clock never moved: the replay was refused for scope, not for age.
    assert_eq!(app.clock.now_utc(), t0());
}
