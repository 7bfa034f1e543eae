//! The audit trail: one event per change, oldest first, with actor, time and before/after.

use chrono::TimeDelta;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_whole_life_is_in_the_trail_in_order() {
    let app = spawn_app().await;
    let tech = app.user_id("TECH_DUKCAPIL").await;
    let op = app.user_id("OPERATOR").await;
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"title": "SIAK error 500", "impact": "high", "urgency": "medium"}),
        )
        .await;
    let id = t["id"].as_str().expect("id");
    let steps: Vec<(&str, &str, serde_json::Value)> = vec![
        ("acknowledge", "TECH_DUKCAPIL", json!({})),
        (
            "comments",
            "TECH_DUKCAPIL",
            json!({"body": "cek log server", "visibility": "internal"}),
        ),
        (
            "escalate",
            "TECH_DUKCAPIL",
            json!({"reason": "Database di pusat data Dinas"}),
        ),
        ("assign", "OPERATOR", json!({"assignee_id": op})),
        (
            "pause",
            "OPERATOR",
            json!({"reason": "waiting_for_vendor", "note": "Menunggu vendor"}),
        ),
        ("resume", "OPERATOR", json!({})),
        (
            "resolve",
            "OPERATOR",
            json!({"resolution": "Index database dibangun ulang"}),
        ),
        ("close", "OPERATOR", json!({})),
    ];
    for (i, (action, who, body)) in steps.iter().enumerate() {
        app.clock.advance(TimeDelta::minutes(1));
        let r = app.action(id, action, who, body.clone()).await;
        assert!(r.status.is_success(), "step {i} {action}: {}", r.body);
    }
    let events = app.events(id, "AUDITOR").await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "created",
            "acknowledged",
            "commented",
            "escalated",
            "assigned",
            "paused",
            "resumed",
            "resolved",
            "closed"
        ]
    );
    let seqs: Vec<i64> = events.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let at: Vec<&str> = events.iter().filter_map(|e| e["at"].as_str()).collect();
    assert_eq!(at[0], "2026-11-23T03:00:00Z");
    assert_eq!(at[8], "2026-11-23T03:08:00Z");

    let created = &events[0];
    assert_eq!(created["actor_id"], tech.as_str());
    assert_eq!(
        created["changes"]["title"],
        json!({"before": null, "after": "SIAK error 500"})
    );
    assert_eq!(created["changes"]["priority"]["after"], "high");

    let ack = &events[1];
    assert_eq!(
        ack["changes"]["status"],
        json!({"before": "new", "after": "in_progress"})
    );
    assert_eq!(
        ack["changes"]["sla"]["after"]["first_response_at"],
        "2026-11-23T03:01:00Z"
    );

    let comment = &events[2];
    assert_eq!(comment["data"]["visibility"], "internal");
    assert_eq!(comment["data"]["body"], "cek log server");

    let esc = &events[3];
    assert_eq!(esc["actor_id"], tech.as_str());
    assert_eq!(esc["changes"]["tier"], json!({"before": 1, "after": 2}));
    assert_eq!(esc["changes"]["escalation"]["after"]["mode"], "manual");
    assert_eq!(esc["data"]["reason"], "Database di pusat data Dinas");

    let assign = &events[4];
    assert_eq!(assign["actor_id"], op.as_str());
    assert_eq!(
        assign["changes"]["assignee_id"],
        json!({"before": null, "after": op})
    );

    assert_eq!(events[5]["data"]["reason"], "waiting_for_vendor");
    assert_eq!(events[5]["data"]["note"], "Menunggu vendor");
    assert_eq!(
        events[5]["changes"]["pending_reason"],
        json!({"before": null, "after": "waiting_for_vendor"})
    );
    assert_eq!(
        events[7]["changes"]["resolution"]["after"],
        "Index database dibangun ulang"
    );
    assert_eq!(
        events[8]["changes"]["status"],
        json!({"before": "resolved", "after": "closed"})
    );
    // Bookkeeping fields are not reported as changes.
    assert!(
        events
            .iter()
            .all(|e| e["changes"].get("version").is_none()
                && e["changes"].get("updated_at").is_none())
    );
}

#[actix_web::test]
async fn a_priority_override_is_audited_and_can_be_undone() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("TECH_DUKCAPIL", json!({"impact": "low", "urgency": "low"}))
        .await;
    assert_eq!(t["priority"], "low");
    let id = t["id"].as_str().expect("id");
    let r = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            "TECH_DUKCAPIL",
            json!({"version": 1, "priority": "critical"}),
        )
        .await
        .expect(200);
    assert_eq!(r["priority"], "critical");
    assert_eq!(r["priority_overridden"], true);
    // Impact changes do not undo an explicit priority...
    let r = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            "TECH_DUKCAPIL",
            json!({"version": 2, "impact": "high"}),
        )
        .await
        .expect(200);
    assert_eq!(r["priority"], "critical");
    // ...but null hands the priority back to the matrix (high x low = medium).
    let r = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            "TECH_DUKCAPIL",
            json!({"version": 3, "priority": null}),
        )
        .await
        .expect(200);
    assert_eq!(r["priority"], "medium");
    assert_eq!(r["priority_overridden"], false);
    let events = app.events(id, "TECH_DUKCAPIL").await;
    assert_eq!(events.len(), 4);
    assert_eq!(events[1]["action"], "updated");
    assert_eq!(
        events[1]["changes"]["priority"],
        json!({"before": "low", "after": "critical"})
    );
    assert_eq!(
        events[1]["changes"]["priority_overridden"],
        json!({"before": false, "after": true})
    );
    assert_eq!(
        events[3]["changes"]["priority"],
        json!({"before": "critical", "after": "medium"})
    );
}

#[actix_web::test]
async fn a_no_op_patch_writes_no_event() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    let same = t["title"].clone();
    let r = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            "TECH_DUKCAPIL",
            json!({"version": 1, "title": same}),
        )
        .await
        .expect(200);
    assert_eq!(r["version"], 1);
    assert_eq!(app.events(id, "TECH_DUKCAPIL").await.len(), 1);
}
