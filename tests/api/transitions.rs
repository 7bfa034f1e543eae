//! Every action from every status over HTTP, against a table written here by hand.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const ACTIONS: &[&str] = &[
    "acknowledge",
    "pause",
    "resume",
    "resolve",
    "close",
    "reopen",
    "cancel",
    "escalate",
    "assign",
    "comments",
];

/// (from status, action) -> Some(status after) if legal, None if 409.
fn expected(from: &str, action: &str) -> Option<&'static str> {
    let same = |s: &str| -> &'static str {
        match s {
            "new" => "new",
            "in_progress" => "in_progress",
            "pending" => "pending",
            "resolved" => "resolved",
            _ => "?",
        }
    };
    match (from, action) {
        ("new", "acknowledge") => Some("in_progress"),
        ("in_progress", "pause") => Some("pending"),
        ("pending", "resume") => Some("in_progress"),
        ("in_progress", "resolve") => Some("resolved"),
        ("resolved", "close") => Some("closed"),
        ("resolved", "reopen") => Some("in_progress"),
        ("new" | "in_progress" | "pending", "cancel") => Some("cancelled"),
        ("new" | "in_progress" | "pending", "escalate" | "assign") => Some(same(from)),
        ("new" | "in_progress" | "pending" | "resolved", "comments") => Some(same(from)),
        _ => None,
    }
}

fn body(action: &str, assignee: &str) -> Value {
    match action {
        "pause" => {
            json!({"reason": "waiting_for_reporter", "note": "menunggu foto layar dari pelapor"})
        }
        "reopen" | "cancel" | "escalate" => json!({"reason": "alasan yang jelas"}),
        "resolve" => json!({"resolution": "Kabel jaringan diganti"}),
        "assign" => json!({"assignee_id": assignee}),
        "comments" => json!({"body": "Sedang dicek"}),
        _ => json!({}),
    }
}

async fn ticket_in(app: &TestApp, status: &str) -> String {
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id").to_string();
    let path: &[&str] = match status {
        "new" => &[],
        "in_progress" => &["acknowledge"],
        "pending" => &["acknowledge", "pause"],
        "resolved" => &["acknowledge", "resolve"],
        "closed" => &["acknowledge", "resolve", "close"],
        "cancelled" => &["cancel"],
        other => panic!("{other}"),
    };
    for a in path {
        app.action(&id, a, "TECH_DUKCAPIL", body(a, ""))
            .await
            .expect(200);
    }
    id
}

#[actix_web::test]
async fn every_legal_and_illegal_transition() {
    let app = spawn_app().await;
    let colleague = app.user_id("TECH_DUKCAPIL2").await;
    for from in [
        "new",
        "in_progress",
        "pending",
        "resolved",
        "closed",
        "cancelled",
    ] {
        for action in ACTIONS {
            let id = ticket_in(&app, from).await;
            let before = app
                .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
                .await
                .expect(200);
            assert_eq!(before["status"], from);
            let r = app
                .action(&id, action, "TECH_DUKCAPIL", body(action, &colleague))
                .await;
            let after = app
                .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
                .await
                .expect(200);
            match expected(from, action) {
                Some(to) => {
                    let code = if *action == "comments" { 201 } else { 200 };
                    assert_eq!(r.status.as_u16(), code, "{from} --{action}--> {}", r.body);
                    assert_eq!(after["status"], to, "{from} --{action}-->");
                    assert_eq!(
                        after["version"].as_i64(),
                        before["version"].as_i64().map(|v| v + 1),
                        "{from} --{action}--> bumps version"
                    );
                    let want_tier = if *action == "escalate" { 2 } else { 1 };
                    assert_eq!(after["tier"], want_tier, "{from} --{action}-->");
                }
                None => {
                    let p = r.problem(409);
                    assert!(
                        p["detail"].as_str().is_some_and(|d| d.len() > 10),
                        "409 gives a reason: {p}"
                    );
                    assert_eq!(
                        after, before,
                        "{from} --{action}--> refused but changed the ticket"
                    );
                }
            }
        }
    }
}

#[actix_web::test]
async fn escalation_happens_once_and_records_who_why_and_when() {
    let app = spawn_app().await;
    let id = ticket_in(&app, "in_progress").await;
    let uid = app.user_id("TECH_DUKCAPIL").await;
    let r = app
        .action(
            &id,
            "escalate",
            "TECH_DUKCAPIL",
            json!({"reason": "Server aplikasi di Dinas"}),
        )
        .await
        .expect(200);
    assert_eq!(r["tier"], 2);
    assert_eq!(r["escalation"]["mode"], "manual");
    assert_eq!(r["escalation"]["reason"], "Server aplikasi di Dinas");
    assert_eq!(r["escalation"]["by"], uid.as_str());
    assert!(r["escalation"]["at"].is_string());
    let again = app
        .action(&id, "escalate", "OPERATOR", json!({"reason": "lagi"}))
        .await
        .problem(409);
    assert!(again["detail"].as_str().unwrap_or("").contains("Tier 2"));
    // A reason is required.
    let id2 = ticket_in(&app, "new").await;
    let e = app
        .action(&id2, "escalate", "TECH_DUKCAPIL", json!({}))
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "reason");
    let e = app
        .action(&id2, "escalate", "TECH_DUKCAPIL", json!({"reason": " "}))
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "reason");
}

#[actix_web::test]
async fn timestamps_follow_the_life_of_a_ticket() {
    let app = spawn_app().await;
    let id = ticket_in(&app, "new").await;
    app.clock.advance(chrono::TimeDelta::minutes(5));
    let t = app
        .action(&id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    assert_eq!(t["sla"]["first_response_at"], "2026-11-23T03:05:00Z");
    app.clock.advance(chrono::TimeDelta::minutes(5));
    let t = app
        .action(
            &id,
            "resolve",
            "TECH_DUKCAPIL",
            json!({"resolution": "Diganti toner"}),
        )
        .await
        .expect(200);
    assert_eq!(t["resolved_at"], "2026-11-23T03:10:00Z");
    assert_eq!(t["resolution"], "Diganti toner");
    let t = app
        .action(
            &id,
            "reopen",
            "TECH_DUKCAPIL",
            json!({"reason": "Masih macet"}),
        )
        .await
        .expect(200);
    assert_eq!(t["resolved_at"], json!(null));
    assert_eq!(
        t["sla"]["first_response_at"], "2026-11-23T03:05:00Z",
        "the first response stays the first"
    );
    app.action(
        &id,
        "resolve",
        "TECH_DUKCAPIL",
        json!({"resolution": "Printer diganti"}),
    )
    .await
    .expect(200);
    app.clock.advance(chrono::TimeDelta::minutes(1));
    let t = app
        .action(&id, "close", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    assert_eq!(t["closed_at"], "2026-11-23T03:11:00Z");
    let c = ticket_in(&app, "cancelled").await;
    let t = app
        .get(&format!("/api/v1/tickets/{c}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert!(t["cancelled_at"].is_string());
}
