//! The SLA engine over HTTP: deadlines against an independent reference, SLA.md's worked
//! examples, pauses, reopen, priority changes, re-baselining, and the scheduler (auto-
//! escalation, warnings, breaches, several daemons).

use std::collections::HashSet;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc, Weekday,
};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, t0, TestApp};

/// WITA wall time on a date in November/December 2026.
fn wita(month: u32, day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Makassar
        .with_ymd_and_hms(2026, month, day, h, m, s)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

fn ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.to_utc())
}

// ---- an independent reference: the default calendar walked second by second ----

fn holidays() -> HashSet<NaiveDate> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/holidays.toml"))
            .expect("holidays file");
    let v: toml::Value = toml::from_str(&text).expect("toml");
    v["holidays"]
        .as_array()
        .expect("list")
        .iter()
        .map(|h| {
            NaiveDate::parse_from_str(h["date"].as_str().expect("date"), "%Y-%m-%d").expect("date")
        })
        .collect()
}

fn working(t: DateTime<Utc>, hol: &HashSet<NaiveDate>) -> bool {
    let local = (t + TimeDelta::hours(8)).naive_utc();
    if hol.contains(&local.date()) {
        return false;
    }
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("time");
    let time = local.time();
    let within = |a, b| time >= a && time < b;
    match local.weekday() {
        Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu => {
            within(hm(7, 30), hm(12, 0)) || within(hm(13, 0), hm(16, 0))
        }
        Weekday::Fri => within(hm(7, 30), hm(11, 30)) || within(hm(13, 0), hm(16, 30)),
        _ => false,
    }
}

/// The instant at which `minutes` of working time have passed since `start`.
fn reference_deadline(
    start: DateTime<Utc>,
    minutes: i64,
    hol: &HashSet<NaiveDate>,
) -> DateTime<Utc> {
    let mut t = start;
    let mut left = minutes * 60;
    if left == 0 {
        while !working(t, hol) {
            t += TimeDelta::seconds(1);
        }
        return t;
    }
    loop {
        // Interval edges fall on whole minutes, so a working instant on a minute boundary
        // starts a whole working minute: take it in one step.
        if t.second() == 0 && left >= 60 && working(t, hol) {
            left -= 60;
            t += TimeDelta::seconds(60);
        } else if t.second() == 0 && !working(t, hol) {
            t += TimeDelta::seconds(60);
        } else {
            if working(t, hol) {
                left -= 1;
            }
            t += TimeDelta::seconds(1);
        }
        if left == 0 {
            return t;
        }
    }
}

/// The shipped placeholder policy (config/sla.toml): response, escalation, resolution,
/// fulfilment in business minutes, by priority.
fn policy(priority: &str) -> (i64, i64, i64, i64) {
    match priority {
        "critical" => (15, 60, 240, 450),
        "high" => (30, 120, 450, 900),
        "medium" => (60, 240, 1350, 2250),
        _ => (120, 450, 2250, 4500),
    }
}

fn matrix(i: &str, u: &str) -> &'static str {
    match (i, u) {
        ("high", "high") => "critical",
        ("high", "medium") | ("medium", "high") => "high",
        ("medium", "medium") | ("high", "low") | ("low", "high") => "medium",
        _ => "low",
    }
}

/// A target's deadline as the API shows it: `due_at` while ahead, `breached_at` once passed.
fn shown_deadline(t: &Value, target: &str) -> Option<DateTime<Utc>> {
    let x = &t["sla"]["targets"][target];
    ts(&x["due_at"]).or_else(|| ts(&x["breached_at"]))
}

#[actix_web::test]
async fn back_dated_deadlines_match_an_independent_reference() {
    let app = spawn_app().await;
    let hol = holidays();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
    let levels = ["high", "medium", "low"];
    let kinds = ["incident", "request", "complaint", "problem", "change"];
    let mut escalated_at_creation = 0;
    for i in 0..40 {
        // Anywhere in the last seven days, to the second: nights, weekends, breaks, edges.
        let back = if i % 5 == 0 {
            // Exactly on interval edges (07:30, 12:00, 13:00, 16:00...).
            let edges = [
                (7, 30),
                (12, 0),
                (13, 0),
                (16, 0),
                (11, 30),
                (16, 30),
                (0, 0),
            ];
            let (h, m) = edges[rng.gen_range(0..edges.len())];
            let day = rng.gen_range(17..=23);
            t0() - wita(11, day, h, m, 0)
        } else {
            TimeDelta::seconds(rng.gen_range(0..7 * 86_400))
        };
        let reported = t0() - back;
        if reported > t0() || reported < t0() - TimeDelta::days(7) {
            continue;
        }
        let (imp, urg) = (levels[rng.gen_range(0..3)], levels[rng.gen_range(0..3)]);
        let kind = kinds[rng.gen_range(0..kinds.len())];
        let t = app
            .create_ticket("TECH_BAPENDA", json!({"impact": imp, "urgency": urg, "kind": kind, "reported_at": reported.to_rfc3339()}))
            .await;
        let prio = matrix(imp, urg);
        assert_eq!(t["priority"], prio);
        let (r, e, res, ful) = policy(prio);
        let resolution = if kind == "request" { ful } else { res };
        for (target, minutes) in [
            ("response", r),
            ("escalation", e),
            ("resolution", resolution),
        ] {
            let want = reference_deadline(reported, minutes, &hol);
            assert_eq!(
                shown_deadline(&t, target),
                Some(want),
                "ticket {i} reported {reported} {prio} {kind} {target} {minutes}m"
            );
        }
        // A ticket whose Tier 1 window has already run out arrives at Tier 2 automatically.
        let esc = reference_deadline(reported, e, &hol);
        if esc <= t0() {
            assert_eq!(t["tier"], 2, "ticket {i} reported {reported}");
            assert_eq!(t["escalation"]["mode"], "automatic");
            assert_eq!(t["escalation"]["by"], Value::Null);
            escalated_at_creation += 1;
        } else {
            assert_eq!(t["tier"], 1);
        }
    }
    // A creation that escalates records its escalation after its "created" event, in the
    // same chain (on PostgreSQL the creation's inserts go as one statement at its end).
    assert!(escalated_at_creation > 0);
    assert_eq!(app.verify_audit().await.broken, None);
}

#[test]
fn the_reference_itself_agrees_with_sla_md() {
    let hol = holidays();
    let cases = [
        (wita(11, 23, 11, 0, 0), 120, wita(11, 23, 14, 0, 0)),
        (wita(11, 27, 16, 0, 0), 60, wita(11, 30, 8, 0, 0)),
        (wita(12, 24, 10, 0, 0), 30, wita(12, 28, 8, 0, 0)),
        (wita(11, 23, 7, 30, 0), 270, wita(11, 23, 12, 0, 0)),
        (wita(11, 21, 9, 0, 0), 450, wita(11, 23, 16, 0, 0)),
        (wita(11, 23, 8, 0, 30), 1, wita(11, 23, 8, 1, 30)),
    ];
    for (start, m, want) in cases {
        assert_eq!(reference_deadline(start, m, &hol), want, "{start} + {m}");
    }
}

/// A policy whose every target is `minutes` (on the default calendar) and a service on it.
async fn policy_service(app: &TestApp, minutes: i64) -> String {
    let cal = app.get("/api/v1/calendars", "SUPERVISOR").await.expect(200);
    let cal_id = cal
        .as_array()
        .and_then(|a| a.iter().find(|c| c["timezone"] == "Asia/Makassar"))
        .and_then(|c| c["id"].as_str())
        .expect("WITA")
        .to_string();
    let t = json!({"response_minutes": minutes, "escalation_minutes": minutes, "resolution_minutes": minutes, "fulfillment_minutes": minutes});
    let p = app
        .post(
            "/api/v1/sla-policies",
            "SUPERVISOR",
            json!({"name": format!("Uji {minutes}"), "calendar_id": cal_id, "warn_at_percent": 75,
            "targets": {"critical": t, "high": t, "medium": t, "low": t}}),
        )
        .await
        .expect(201);
    let dukcapil = app.org_id("DISDUKCAPIL").await;
    let s = app
        .post("/api/v1/services", "SUPERVISOR", json!({"organization_id": dukcapil, "code": format!("UJI-{minutes}"), "name": "Layanan uji", "kind": "system", "sla_policy_id": p["id"]}))
        .await
        .expect(201);
    s["id"].as_str().expect("id").to_string()
}

async fn ticket_at(app: &TestApp, at: DateTime<Utc>, service: &str) -> String {
    app.clock.set(at);
    let t = app
        .create_ticket("TECH_DUKCAPIL", json!({"service_id": service}))
        .await;
    t["id"].as_str().expect("id").to_string()
}

async fn act_at(app: &TestApp, at: DateTime<Utc>, id: &str, action: &str, body: Value) -> Value {
    app.clock.set(at);
    app.action(id, action, "TECH_DUKCAPIL", body)
        .await
        .expect(200)
}

#[actix_web::test]
async fn sla_md_examples_7_8_and_9_over_the_api() {
    let app = spawn_app().await;
    let svc = policy_service(&app, 240).await;
    let pause = json!({"reason": "waiting_for_reporter"});

    // 7: pending 09:00 to 14:00 stops resolution -> Tue 08:30.
    let id = ticket_at(&app, wita(11, 23, 8, 0, 0), &svc).await;
    act_at(&app, wita(11, 23, 9, 0, 0), &id, "acknowledge", json!({})).await;
    let t = act_at(&app, wita(11, 23, 9, 0, 0), &id, "pause", pause.clone()).await;
    assert_eq!(
        t["sla"]["resolution_due_at"],
        Value::Null,
        "no deadline while paused"
    );
    assert_eq!(t["sla"]["paused"], true);
    assert_eq!(t["sla"]["targets"]["resolution"]["paused"], true);
    let t = act_at(&app, wita(11, 23, 14, 0, 0), &id, "resume", json!({})).await;
    assert_eq!(
        ts(&t["sla"]["resolution_due_at"]),
        Some(wita(11, 24, 8, 30, 0))
    );
    assert_eq!(
        t["sla"]["targets"]["resolution"]["remaining_minutes"],
        180.0
    );
    let ex = app
        .get(&format!("/api/v1/tickets/{id}/sla"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    let res = ex["targets"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["target"] == "resolution"))
        .cloned()
        .expect("resolution");
    assert_eq!(res["stopped_minutes"], 240.0);
    assert_eq!(res["elapsed_minutes"], 60.0);
    assert_eq!(res["stops"][0]["from"], "2026-11-23T01:00:00Z");
    assert_eq!(res["stops"][0]["to"], "2026-11-23T06:00:00Z");
    assert_eq!(ex["calendar"]["timezone"], "Asia/Makassar");
    let kinds: Vec<&str> = ex["ledger"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        kinds.starts_with(&["started", "started", "started"]),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"paused") && kinds.contains(&"resumed"));
    let paused = ex["ledger"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|e| e["kind"] == "paused" && e["target"] == "resolution")
        })
        .cloned()
        .expect("paused");
    assert_eq!(paused["reason"], "pending: waiting_for_reporter");
    assert_eq!(paused["at"], "2026-11-23T01:00:00Z");
    assert!(paused["policy_version"] == 1 && paused["calendar_version"] == 1);

    // 8: resolved at 10:00, reopened Tue 08:00 -> Tue 10:00.
    let id = ticket_at(&app, wita(11, 23, 8, 0, 0), &svc).await;
    act_at(&app, wita(11, 23, 8, 0, 0), &id, "acknowledge", json!({})).await;
    act_at(
        &app,
        wita(11, 23, 10, 0, 0),
        &id,
        "resolve",
        json!({"resolution": "dipulihkan"}),
    )
    .await;
    let t = act_at(
        &app,
        wita(11, 24, 8, 0, 0),
        &id,
        "reopen",
        json!({"reason": "muncul lagi"}),
    )
    .await;
    assert_eq!(
        ts(&t["sla"]["resolution_due_at"]),
        Some(wita(11, 24, 10, 0, 0))
    );
    assert_eq!(
        t["tier"], 1,
        "reopening does not escalate a ticket with time left"
    );

    // 9: seconds count: pending 09:00:30 to 14:00 -> Tue 08:29:30.
    let id = ticket_at(&app, wita(11, 23, 8, 0, 0), &svc).await;
    act_at(&app, wita(11, 23, 9, 0, 30), &id, "acknowledge", json!({})).await;
    act_at(&app, wita(11, 23, 9, 0, 30), &id, "pause", pause).await;
    let t = act_at(&app, wita(11, 23, 14, 0, 0), &id, "resume", json!({})).await;
    assert_eq!(
        ts(&t["sla"]["resolution_due_at"]),
        Some(wita(11, 24, 8, 29, 30))
    );
}

#[actix_web::test]
async fn the_background_scheduler_escalates_within_two_ticks() {
    let app = spawn_app_with(&[("scheduler.tick_seconds", "1")]).await;
    // Critical: the Tier 1 window is 60 business minutes, 11:00 -> 12:00 WITA.
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"impact": "high", "urgency": "high"}),
        )
        .await;
    assert_eq!(
        ts(&t["sla"]["escalation_due_at"]),
        Some(wita(11, 23, 12, 0, 0))
    );
    let id = t["id"].as_str().expect("id").to_string();
    app.clock.set(wita(11, 23, 12, 0, 1));
    let mut escalated = Value::Null;
    for _ in 0..25 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = app
            .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
            .await
            .expect(200);
        if now["tier"] == 2 {
            escalated = now;
            break;
        }
    }
    assert_eq!(escalated["tier"], 2, "not escalated within two ticks");
    assert_eq!(escalated["escalation"]["mode"], "automatic");
    assert_eq!(escalated["escalation"]["by"], Value::Null);
    assert_eq!(escalated["escalation"]["at"], "2026-11-23T04:00:01Z");
    assert_eq!(
        escalated["sla"]["targets"]["escalation"]["breached_at"],
        "2026-11-23T04:00:00Z"
    );
    assert!(
        ts(&escalated["sla"]["tier2_resolution_due_at"]).is_some(),
        "the Tier 2 OLA starts at escalation"
    );
    // More ticks change nothing.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    let events = app.events(&id, "AUDITOR").await;
    let escalations: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "escalated")
        .collect();
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0]["actor_id"], Value::Null);
    assert_eq!(escalations[0]["data"]["mode"], "automatic");
    assert_eq!(
        escalations[0]["changes"]["tier"],
        json!({"before": 1, "after": 2})
    );
}

#[actix_web::test]
async fn pending_and_manually_escalated_tickets_are_not_auto_escalated() {
    let app = spawn_app().await;
    let crit = json!({"impact": "high", "urgency": "high"});
    let pending = app.create_ticket("TECH_DUKCAPIL", crit.clone()).await;
    let manual = app.create_ticket("TECH_DUKCAPIL", crit.clone()).await;
    let (p, m) = (
        pending["id"].as_str().expect("id"),
        manual["id"].as_str().expect("id"),
    );
    app.clock.set(wita(11, 23, 11, 10, 0));
    app.action(p, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.action(
        p,
        "pause",
        "TECH_DUKCAPIL",
        json!({"reason": "waiting_for_vendor"}),
    )
    .await
    .expect(200);
    app.action(
        m,
        "escalate",
        "TECH_DUKCAPIL",
        json!({"reason": "langsung ke Dinas"}),
    )
    .await
    .expect(200);
    app.clock.set(wita(11, 24, 15, 0, 0));
    app.tick().await;
    app.tick().await;
    let pt = app
        .get(&format!("/api/v1/tickets/{p}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(pt["tier"], 1, "a pending ticket is not escalated");
    assert_eq!(
        pt["sla"]["targets"]["escalation"]["remaining_minutes"], 50.0,
        "10 minutes ran before the pause"
    );
    let mt = app
        .get(&format!("/api/v1/tickets/{m}"), "OPERATOR")
        .await
        .expect(200);
    assert_eq!(mt["escalation"]["mode"], "manual");
    assert_eq!(
        app.events(m, "AUDITOR")
            .await
            .iter()
            .filter(|e| e["action"] == "escalated")
            .count(),
        1
    );
    // Resumed, the pending ticket has its 50 minutes left: 15:00 -> 15:50.
    let r = app
        .action(p, "resume", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    assert_eq!(
        ts(&r["sla"]["escalation_due_at"]),
        Some(wita(11, 24, 15, 50, 0))
    );
    app.clock.set(wita(11, 24, 15, 50, 0));
    let report = app.tick().await;
    assert_eq!(report.escalated, 1);
    let pt = app
        .get(&format!("/api/v1/tickets/{p}"), "OPERATOR")
        .await
        .expect(200);
    assert_eq!(pt["escalation"]["mode"], "automatic");
}

#[actix_web::test]
async fn a_stricter_priority_whose_deadlines_passed_breaches_at_once() {
    let app = spawn_app().await;
    app.clock.set(wita(11, 23, 8, 0, 0));
    let t = app
        .create_ticket("TECH_DUKCAPIL", json!({"impact": "low", "urgency": "low"}))
        .await;
    let id = t["id"].as_str().expect("id");
    app.clock.set(wita(11, 23, 10, 0, 0));
    let r = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            "TECH_DUKCAPIL",
            json!({"version": 1, "priority": "critical"}),
        )
        .await
        .expect(200);
    assert_eq!(r["sla"]["response_breached"], true);
    assert_eq!(
        r["sla"]["targets"]["response"]["breached_at"],
        "2026-11-23T00:15:00Z"
    );
    assert_eq!(r["sla"]["breached"], true);
    // The critical Tier 1 window (60 minutes) also ran out at 09:00: escalated at once.
    assert_eq!(r["tier"], 2);
    assert_eq!(r["escalation"]["mode"], "automatic");
    // Sticky: going back to low priority does not clear it.
    let v = r["version"].as_i64().expect("version");
    let r = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            "OPERATOR",
            json!({"version": v, "priority": "low"}),
        )
        .await
        .expect(200);
    assert_eq!(r["sla"]["response_breached"], true);
    let breached = app
        .get("/api/v1/tickets?breached=true", "SUPERVISOR")
        .await
        .expect(200);
    assert_eq!(breached["items"].as_array().map(Vec::len), Some(1));
    let events = app.events(id, "AUDITOR").await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "updated",
            "escalated",
            "sla_breached",
            "sla_breached",
            "updated"
        ]
    );
}

#[actix_web::test]
async fn warnings_are_recorded_once_and_say_whether_they_may_wait() {
    let app = spawn_app().await;
    let crit = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"impact": "high", "urgency": "high"}),
        )
        .await;
    let med = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    // 75% of critical's 15 response minutes is 11m15s.
    app.clock.set(wita(11, 23, 11, 11, 15));
    app.tick().await;
    app.tick().await;
    let ev = app
        .events(crit["id"].as_str().expect("id"), "AUDITOR")
        .await;
    let warned: Vec<&Value> = ev.iter().filter(|e| e["action"] == "sla_warned").collect();
    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0]["data"]["target"], "response");
    assert_eq!(warned[0]["data"]["at"], "2026-11-23T03:11:15Z");
    assert_eq!(
        warned[0]["data"]["may_wait_for_working_hours"], false,
        "never for critical"
    );
    // Medium: 75% of 60 response minutes is 45 minutes.
    app.clock.set(wita(11, 23, 11, 45, 0));
    app.tick().await;
    let ev = app.events(med["id"].as_str().expect("id"), "AUDITOR").await;
    let warned: Vec<&Value> = ev.iter().filter(|e| e["action"] == "sla_warned").collect();
    assert_eq!(warned.len(), 1);
    assert_eq!(warned[0]["data"]["may_wait_for_working_hours"], true);
}

#[actix_web::test]
async fn pauses_need_a_known_reason_end_on_a_reporter_reply_and_do_not_last_forever() {
    let app = spawn_app_with(&[("sla.max_pause_hours", "2")]).await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    app.action(id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    let e = app
        .action(
            id,
            "pause",
            "TECH_DUKCAPIL",
            json!({"reason": "makan siang"}),
        )
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "reason");
    let p = app
        .action(
            id,
            "pause",
            "TECH_DUKCAPIL",
            json!({"reason": "waiting_for_reporter", "note": "minta foto"}),
        )
        .await
        .expect(200);
    assert_eq!(p["pending_reason"], "waiting_for_reporter");
    // The reporter calls back; the technician records the reply and the clocks run again.
    app.clock.advance(TimeDelta::minutes(20));
    app.action(
        id,
        "comments",
        "TECH_DUKCAPIL",
        json!({"body": "Foto sudah dikirim", "from_reporter": true}),
    )
    .await
    .expect(201);
    let t = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["pending_reason"], Value::Null);
    let ev = app.events(id, "TECH_DUKCAPIL").await;
    assert_eq!(
        ev.last().map(|e| e["data"]["reason"].clone()),
        Some(json!("reporter_replied"))
    );
    // A pause past sla.max_pause_hours ends by itself.
    app.action(
        id,
        "pause",
        "TECH_DUKCAPIL",
        json!({"reason": "waiting_for_vendor"}),
    )
    .await
    .expect(200);
    app.clock.advance(TimeDelta::hours(2));
    app.tick().await;
    let t = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(t["status"], "in_progress");
    let ev = app.events(id, "AUDITOR").await;
    let last = ev.last().cloned().expect("event");
    assert_eq!(last["action"], "resumed");
    assert_eq!(last["actor_id"], Value::Null);
    assert_eq!(last["data"]["reason"], "max_pause_exceeded");
}

#[actix_web::test]
async fn policy_edits_apply_to_open_tickets_only_by_rebaseline_keeping_paused_time() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id").to_string();
    // Medium Tier 1 window 240: 11:00 -> 16:00 Monday.
    assert_eq!(
        ts(&t["sla"]["escalation_due_at"]),
        Some(wita(11, 23, 16, 0, 0))
    );
    let closed = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let cid = closed["id"].as_str().expect("id");
    app.action(cid, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.action(
        cid,
        "resolve",
        "TECH_DUKCAPIL",
        json!({"resolution": "selesai"}),
    )
    .await
    .expect(200);
    app.action(cid, "close", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.clock.set(wita(11, 23, 11, 30, 0));
    app.action(&id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.action(
        &id,
        "pause",
        "TECH_DUKCAPIL",
        json!({"reason": "waiting_for_reporter"}),
    )
    .await
    .expect(200);
    app.clock.set(wita(11, 23, 14, 0, 0));
    let r = app
        .action(&id, "resume", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    // 30 minutes used; 210 left: 14:00-16:00 and 90 minutes on Tuesday.
    assert_eq!(
        ts(&r["sla"]["escalation_due_at"]),
        Some(wita(11, 24, 9, 0, 0))
    );

    let policy_id = r["sla"]["policy_id"].as_str().expect("policy").to_string();
    let p = app
        .get(&format!("/api/v1/sla-policies/{policy_id}"), "SUPERVISOR")
        .await
        .expect(200);
    let mut targets = p["targets"].clone();
    targets["medium"]["escalation_minutes"] = json!(300);
    app.patch(
        &format!("/api/v1/sla-policies/{policy_id}"),
        "TECH_DUKCAPIL",
        json!({"targets": targets}),
    )
    .await
    .problem(403);
    let p2 = app
        .patch(
            &format!("/api/v1/sla-policies/{policy_id}"),
            "SUPERVISOR",
            json!({"version": 1, "targets": targets}),
        )
        .await
        .expect(200);
    assert_eq!(p2["version"], 2);
    // The open ticket keeps the version it started with...
    let same = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(same["sla"]["policy_version"], 1);
    assert_eq!(
        ts(&same["sla"]["escalation_due_at"]),
        Some(wita(11, 24, 9, 0, 0))
    );
    // ...until a supervisor re-baselines it: 270 left, paused time still not counted.
    app.post(
        &format!("/api/v1/tickets/{id}/sla/rebaseline"),
        "TECH_DUKCAPIL",
        json!({"reason": "kebijakan baru"}),
    )
    .await
    .problem(403);
    let rb = app
        .post(
            &format!("/api/v1/tickets/{id}/sla/rebaseline"),
            "SUPERVISOR",
            json!({"reason": "kebijakan baru"}),
        )
        .await
        .expect(200);
    assert_eq!(rb["sla"]["policy_version"], 2);
    assert_eq!(
        ts(&rb["sla"]["escalation_due_at"]),
        Some(wita(11, 24, 10, 0, 0))
    );
    app.post(
        &format!("/api/v1/tickets/{id}/sla/rebaseline"),
        "SUPERVISOR",
        json!({"reason": "lagi"}),
    )
    .await
    .problem(409);
    // A closed ticket is never rewritten.
    app.post(
        &format!("/api/v1/tickets/{cid}/sla/rebaseline"),
        "SUPERVISOR",
        json!({"reason": "coba"}),
    )
    .await
    .problem(409);
    let c = app
        .get(&format!("/api/v1/tickets/{cid}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(c["sla"]["policy_version"], 1);
    let ev = app.events(&id, "AUDITOR").await;
    let rebased = ev
        .iter()
        .find(|e| e["action"] == "sla_rebaselined")
        .cloned()
        .expect("audited");
    assert_eq!(rebased["data"]["reason"], "kebijakan baru");
    assert_eq!(rebased["changes"]["sla"]["after"]["policy_version"], 2);
    let ex = app
        .get(&format!("/api/v1/tickets/{id}/sla"), "SUPERVISOR")
        .await
        .expect(200);
    assert!(ex["ledger"].as_array().is_some_and(|l| l
        .iter()
        .any(|e| e["kind"] == "rebaselined" && e["policy_version"] == 2)));
}

#[actix_web::test]
async fn calendar_edits_and_ics_imports_version_the_calendar_and_its_policies() {
    let app = spawn_app().await;
    let cals = app
        .get("/api/v1/calendars", "TECH_DUKCAPIL")
        .await
        .expect(200);
    let names: Vec<&str> = cals
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["timezone"].as_str()).collect())
        .unwrap_or_default();
    for tz in ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] {
        assert!(names.contains(&tz), "{tz} calendar missing");
    }
    let wita_cal = cals
        .as_array()
        .and_then(|a| a.iter().find(|c| c["timezone"] == "Asia/Makassar"))
        .cloned()
        .expect("WITA");
    assert_eq!(wita_cal["weekly_minutes"], 2250);
    assert!(wita_cal["holidays"]
        .as_array()
        .is_some_and(|h| h.iter().any(|x| x["date"] == "2026-12-24")));
    let cal_id = wita_cal["id"].as_str().expect("id").to_string();

    app.clock.set(wita(11, 23, 15, 0, 0));
    let before = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    // Medium, 240 minutes from Mon 15:00: 60 Monday, 180 Tuesday -> Tue 10:30.
    assert_eq!(
        ts(&before["sla"]["escalation_due_at"]),
        Some(wita(11, 24, 10, 30, 0))
    );

    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pemkot//ID\r\nBEGIN:VEVENT\r\nUID:x1\r\nDTSTART;VALUE=DATE:20261124\r\nDTEND;VALUE=DATE:20261125\r\nSUMMARY:Hari Jadi Kota\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    app.send_raw(
        "POST",
        &format!("/api/v1/calendars/{cal_id}/holidays/import"),
        Some("SUPERVISOR"),
        Some(ics.into()),
        &[("Content-Type", "application/json")],
    )
    .await
    .problem(415);
    app.send_raw(
        "POST",
        &format!("/api/v1/calendars/{cal_id}/holidays/import"),
        Some("SUPERVISOR"),
        Some("nonsense".into()),
        &[("Content-Type", "text/calendar")],
    )
    .await
    .problem(422);
    let c = app
        .send_raw(
            "POST",
            &format!("/api/v1/calendars/{cal_id}/holidays/import"),
            Some("SUPERVISOR"),
            Some(ics.into()),
            &[("Content-Type", "text/calendar")],
        )
        .await
        .expect(200);
    assert_eq!(c["version"], 2);
    assert!(c["holidays"].as_array().is_some_and(|h| h
        .iter()
        .any(|x| x["date"] == "2026-11-24" && x["name"] == "Hari Jadi Kota")));
    let pol = app
        .get("/api/v1/sla-policies", "SUPERVISOR")
        .await
        .expect(200);
    assert!(
        pol.as_array().is_some_and(|a| a
            .iter()
            .all(|p| p["calendar_id"] != cal_id.as_str() || p["version"] == 2)),
        "policies on the calendar get a new version"
    );

    // The open ticket keeps the old calendar; a new ticket skips the new holiday.
    let kept = app
        .get(
            &format!("/api/v1/tickets/{}", before["id"].as_str().expect("id")),
            "TECH_DUKCAPIL",
        )
        .await
        .expect(200);
    assert_eq!(
        ts(&kept["sla"]["escalation_due_at"]),
        Some(wita(11, 24, 10, 30, 0))
    );
    let after = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    assert_eq!(
        ts(&after["sla"]["escalation_due_at"]),
        Some(wita(11, 25, 10, 30, 0))
    );

    // Bad calendars are refused with the field named.
    let e = app
        .post("/api/v1/calendars", "SUPERVISOR", json!({"name": "Salah", "timezone": "Asia/Makassar", "working_hours": {"mon": [["13:00", "12:00"]]}}))
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "working_hours");
    let e = app
        .post(
            "/api/v1/calendars",
            "SUPERVISOR",
            json!({"name": "Kosong", "timezone": "Asia/Makassar", "working_hours": {}}),
        )
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "working_hours");
    let e = app
        .post("/api/v1/calendars", "SUPERVISOR", json!({"name": "Zona", "timezone": "Asia/Bandung", "working_hours": {"mon": [["08:00", "16:00"]]}}))
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "timezone");
    app.post(
        "/api/v1/calendars",
        "TECH_DUKCAPIL",
        json!({"name": "X", "timezone": "Asia/Jakarta", "working_hours": {}}),
    )
    .await
    .problem(403);
    let wib = app
        .post("/api/v1/calendars", "SUPERVISOR", json!({"name": "Shift 24 jam", "timezone": "Asia/Jakarta", "working_hours": {"mon": [["00:00", "24:00"]], "tue": [["00:00", "24:00"]]}, "holidays": []}))
        .await
        .expect(201);
    assert_eq!(wib["weekly_minutes"], 2880);
}

#[actix_web::test]
async fn two_daemons_escalate_a_thousand_due_tickets_exactly_once() {
    use diesel::prelude::*;
    use spbe_desk::db::schema::{audit_events, sla_events};

    let app = spawn_app().await;
    let mut handles = Vec::new();
    for chunk in 0..8 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/tickets", app.base);
        let token = app.token("TECH_DUKCAPIL").to_string();
        handles.push(actix_web::rt::spawn(async move {
            for i in 0..125 {
                let body = json!({"title": format!("Gangguan {chunk}-{i}"), "kind": "incident", "impact": "high", "urgency": "high", "reporter": {"name": "Warga"}});
                let r = client.post(url.clone()).insert_header(("Authorization", format!("Bearer {token}"))).send_json(&body).await.expect("sent");
                assert_eq!(r.status().as_u16(), 201);
            }
        }));
    }
    for h in handles {
        h.await.expect("join");
    }
    // All critical, Tier 1 window 11:00 -> 12:00; at 12:30 all thousand are due.
    app.clock.set(wita(11, 23, 12, 30, 0));
    let now = app.clock.now_utc();
    let url = app.db_url.clone();
    // A second daemon: its own pool, its own claims (on SQLite, its own write lock too,
    // as a second process would have).
    let second = spbe_desk::db::Db::connect(&url, 4, std::time::Duration::from_secs(10))
        .expect("second pool");
    let daemon_a = app.state.app.clone();
    let daemon_b =
        spbe_desk::app::App::new(second, daemon_a.clock.clone(), daemon_a.settings.clone())
            .expect("second daemon");
    let a = std::thread::spawn(move || {
        spbe_desk::jobs::scheduler::tick(&daemon_a, now, "daemon-a").expect("tick a")
    });
    let b = std::thread::spawn(move || {
        spbe_desk::jobs::scheduler::tick(&daemon_b, now, "daemon-b").expect("tick b")
    });
    let (ra, rb) = (a.join().expect("a"), b.join().expect("b"));
    assert_eq!(ra.failed + rb.failed, 0, "{ra:?} {rb:?}");
    assert_eq!(ra.escalated + rb.escalated, 1000, "{ra:?} {rb:?}");
    assert_eq!(ra.processed + rb.processed, 1000, "{ra:?} {rb:?}");
    // On PostgreSQL the due work is shared, not queued behind one daemon. SQLite has one
    // writer: the daemons take turns at its lock, and which one wins the next batch is up
    // to its busy handler, so there either may do all of it.
    if app.db_url.starts_with("postgres") {
        assert!(ra.processed > 0 && rb.processed > 0, "{ra:?} {rb:?}");
    }
    let db = app.state.app.db.clone();
    let (audit_n, ledger_n, tickets_n): (i64, i64, i64) = tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        let a = audit_events::table
            .filter(audit_events::action.eq("escalated"))
            .count()
            .get_result(&mut **c)
            .expect("count");
        let l = sla_events::table
            .filter(sla_events::kind.eq("escalated"))
            .count()
            .get_result(&mut **c)
            .expect("count");
        let t = spbe_desk::db::schema::tickets::table
            .filter(spbe_desk::db::schema::tickets::tier.eq(2))
            .count()
            .get_result(&mut **c)
            .expect("count");
        (a, l, t)
    })
    .await
    .expect("join");
    assert_eq!((audit_n, ledger_n, tickets_n), (1000, 1000, 1000));
    // A further tick finds nothing due.
    let again = app.tick().await;
    assert_eq!(again.processed + again.escalated, 0);
}

/// A ticket the scheduler cannot work (here its policy version does not exist) fails alone:
/// the rest of its batch escalates in the same pass, and it is held by a lease for
/// `scheduler.lease_seconds` instead of being retried at every tick.
#[actix_web::test]
async fn a_ticket_that_fails_in_a_batch_fails_alone_and_is_held() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let crit = json!({"impact": "high", "urgency": "high"});
    let mut ids = Vec::new();
    for _ in 0..3 {
        let t = app.create_ticket("TECH_DUKCAPIL", crit.clone()).await;
        ids.push(t["id"].as_str().expect("id").to_string());
    }
    let (db, broken) = (app.state.app.db.clone(), ids[1].clone());
    tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        c.batch_execute(&format!(
            "UPDATE tickets SET sla_policy_version = 999 WHERE id = '{broken}'"
        ))
        .expect("break the ticket");
    })
    .await
    .expect("join");

    app.clock.set(wita(11, 24, 15, 0, 0));
    let first = app.tick().await;
    assert_eq!((first.failed, first.escalated), (1, 2), "{first:?}");
    for id in [&ids[0], &ids[2]] {
        let t = app
            .get(&format!("/api/v1/tickets/{id}"), "OPERATOR")
            .await
            .expect(200);
        assert_eq!(t["tier"], 2);
        assert_eq!(t["escalation"]["mode"], "automatic");
    }
    // Held: the next pass leaves it alone until the lease (120 s by default) runs out.
    let held = app.tick().await;
    assert_eq!((held.processed, held.failed), (0, 0), "{held:?}");
    app.clock.set(wita(11, 24, 15, 3, 0));
    let retried = app.tick().await;
    assert_eq!((retried.processed, retried.failed), (0, 1), "{retried:?}");
}

/// A scheduler batch reads the participants and the audit chain heads of all its tickets
/// at once: each ticket's escalation still goes to that ticket's own participants, and to
/// nobody else's, and each event is linked into its own ticket's chain.
#[actix_web::test]
async fn a_batch_tells_each_ticket_its_own_participants() {
    let app = spawn_app().await;
    let crit = json!({"impact": "high", "urgency": "high"});
    let mut ids = Vec::new();
    for i in 0..3 {
        let t = app.create_ticket("TECH_DUKCAPIL", crit.clone()).await;
        let id = t["id"].as_str().expect("id").to_string();
        // The last ticket has no participant.
        if i < 2 {
            app.post(
                &format!("/api/v1/tickets/{id}/participants"),
                "TECH_DUKCAPIL",
                json!({"email": format!("ikut{i}@vendor.example")}),
            )
            .await
            .expect(201);
        }
        ids.push(id);
    }
    app.clock.set(wita(11, 24, 15, 0, 0));
    let report = app.tick().await;
    // One batch, worked as a batch (a failed batch is redone ticket by ticket, which would
    // hide a fault of the set-based path from the checks below).
    assert_eq!(
        (report.escalated, report.failed, report.redone_batches),
        (3, 0, 0),
        "{report:?}"
    );
    // The batch read the three chains' heads together and linked each event to its own.
    let audit = app.verify_audit().await;
    assert_eq!(audit.broken, None, "{audit:?}");
    for (i, id) in ids.iter().enumerate() {
        let rows = app
            .get(&format!("/api/v1/outbox?ticket_id={id}&limit=200"), "ADMIN")
            .await
            .expect(200)["items"]
            .as_array()
            .expect("items")
            .clone();
        assert!(rows.iter().any(|r| r["event"] == "escalated"), "{rows:?}");
        let outsiders: std::collections::BTreeSet<&str> = rows
            .iter()
            .filter_map(|r| r["recipient"].as_str())
            .filter(|r| r.ends_with("@vendor.example"))
            .collect();
        let own = format!("ikut{i}@vendor.example");
        let expected: std::collections::BTreeSet<&str> =
            (i < 2).then_some(own.as_str()).into_iter().collect();
        assert_eq!(outsiders, expected, "ticket {i}");
    }
}
