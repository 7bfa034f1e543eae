//! Every role x scope rule, checked on single reads, lists, events, comments and actions.
//! The expected visibility is written out here by hand, independent of the daemon's code.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

struct City {
    /// name -> ticket id
    tickets: Vec<(&'static str, String)>,
}

async fn build_city(app: &TestApp) -> City {
    let siak = app.service_id("SIAK").await;
    let kassi = app.org_id("PKM-KASSI").await;
    let mut tickets = Vec::new();
    let mut add = |name: &'static str, t: Value| {
        tickets.push((name, t["id"].as_str().expect("id").to_string()))
    };
    add("A1", app.create_ticket("TECH_DUKCAPIL", json!({})).await);
    add(
        "A2",
        app.create_ticket("TECH_DUKCAPIL", json!({"classification": "restricted"}))
            .await,
    );
    add(
        "X1",
        app.create_ticket("TECH_DINKES", json!({"service_id": siak}))
            .await,
    );
    add(
        "X2",
        app.create_ticket(
            "TECH_DINKES",
            json!({"service_id": siak, "classification": "restricted"}),
        )
        .await,
    );
    let e1 = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let e2 = app
        .create_ticket("TECH_DUKCAPIL", json!({"classification": "restricted"}))
        .await;
    for t in [&e1, &e2] {
        let id = t["id"].as_str().expect("id");
        app.action(
            id,
            "escalate",
            "TECH_DUKCAPIL",
            json!({"reason": "butuh akses server Dinas"}),
        )
        .await
        .expect(200);
    }
    add("E1", e1);
    add("E2", e2);
    add(
        "U1",
        app.create_ticket("SUPERVISOR", json!({"organization_id": kassi}))
            .await,
    );
    City { tickets }
}

fn expected(who: &str) -> BTreeSet<&'static str> {
    let s: &[&str] = match who {
        "TECH_DUKCAPIL" | "TECH_DUKCAPIL2" => &["A1", "A2", "X1", "X2", "E1", "E2"],
        // The reporting PD follows normal tickets; the PD sees its Unit Kerja.
        "TECH_DINKES" => &["X1", "U1"],
        "TECH_BAPENDA" | "TECH_DPMPTSP" | "TECH_BKPSDM" => &[],
        "OPERATOR" => &["E1", "E2"],
        "SUPERVISOR" | "AUDITOR" => &["A1", "A2", "X1", "X2", "E1", "E2", "U1"],
        "COORDINATOR" | "ADMIN" => &["A1", "X1", "E1", "U1"],
        other => panic!("no expectation for {other}"),
    };
    s.iter().copied().collect()
}

const ROLES: &[&str] = &[
    "TECH_DUKCAPIL",
    "TECH_DUKCAPIL2",
    "TECH_DINKES",
    "TECH_BAPENDA",
    "OPERATOR",
    "SUPERVISOR",
    "AUDITOR",
    "COORDINATOR",
    "ADMIN",
];

#[actix_web::test]
async fn every_role_sees_exactly_its_scope_in_reads_and_lists() {
    let app = spawn_app().await;
    let city = build_city(&app).await;
    for who in ROLES {
        let want = expected(who);
        let listed: BTreeSet<String> = app
            .list_all(who, "")
            .await
            .iter()
            .filter_map(|t| t["id"].as_str().map(String::from))
            .collect();
        for (name, id) in &city.tickets {
            let visible = want.contains(name);
            assert_eq!(listed.contains(id), visible, "{who} listing {name}");
            let r = app.get(&format!("/api/v1/tickets/{id}"), who).await;
            if visible {
                r.expect(200);
            } else {
                let p = r.problem(404);
                assert!(
                    !p["detail"].as_str().unwrap_or("").contains("restricted"),
                    "404 must not explain"
                );
            }
            let ev = app.get(&format!("/api/v1/tickets/{id}/events"), who).await;
            assert_eq!(
                ev.status.as_u16(),
                if visible { 200 } else { 404 },
                "{who} events of {name}"
            );
            let cm = app
                .get(&format!("/api/v1/tickets/{id}/comments"), who)
                .await;
            assert_eq!(
                cm.status.as_u16(),
                if visible { 200 } else { 404 },
                "{who} comments of {name}"
            );
        }
        assert_eq!(listed.len(), want.len(), "{who} lists only its scope");
    }
}

#[actix_web::test]
async fn out_of_scope_tickets_are_404_for_every_action_and_by_number() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    let number = t["number"].as_str().expect("number");
    app.get(&format!("/api/v1/tickets/{number}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    app.get(&format!("/api/v1/tickets/{number}"), "TECH_BAPENDA")
        .await
        .problem(404);
    for (action, body) in [
        ("acknowledge", json!({})),
        ("comments", json!({"body": "halo"})),
        ("assign", json!({"assignee_id": null})),
        ("escalate", json!({"reason": "tidak bisa"})),
        ("pause", json!({"reason": "menunggu"})),
        ("resume", json!({})),
        ("resolve", json!({"resolution": "selesai"})),
        ("close", json!({})),
        ("reopen", json!({"reason": "belum"})),
        ("cancel", json!({"reason": "batal"})),
    ] {
        app.action(id, action, "TECH_BAPENDA", body.clone())
            .await
            .problem(404);
        app.action(id, action, "OPERATOR", body).await.problem(404);
    }
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        "TECH_BAPENDA",
        json!({"version": 1, "title": "x"}),
    )
    .await
    .problem(404);
    // Filtering by another PD reveals nothing either.
    let dukcapil = app.org_id("DISDUKCAPIL").await;
    let page = app
        .get(
            &format!("/api/v1/tickets?organization_id={dukcapil}"),
            "TECH_BAPENDA",
        )
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    // Nothing changed.
    let after = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(after["version"], 1);
    assert_eq!(app.events(id, "TECH_DUKCAPIL").await.len(), 1);
}

#[actix_web::test]
async fn read_only_roles_get_403_on_tickets_they_can_see() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    for who in ["AUDITOR", "COORDINATOR", "ADMIN"] {
        app.get(&format!("/api/v1/tickets/{id}"), who)
            .await
            .expect(200);
        app.action(id, "acknowledge", who, json!({}))
            .await
            .problem(403);
        app.action(id, "comments", who, json!({"body": "catatan"}))
            .await
            .problem(403);
        app.patch(
            &format!("/api/v1/tickets/{id}"),
            who,
            json!({"version": 1, "title": "baru"}),
        )
        .await
        .problem(403);
        app.post(
            "/api/v1/tickets",
            who,
            json!({"title": "x", "kind": "incident", "reporter": {"name": "x"}}),
        )
        .await
        .problem(403);
    }
    assert_eq!(app.events(id, "AUDITOR").await.len(), 1);
}

#[actix_web::test]
async fn after_escalation_tier_1_follows_and_comments_only() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    app.action(id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.action(
        id,
        "escalate",
        "TECH_DUKCAPIL",
        json!({"reason": "perlu Tier 2"}),
    )
    .await
    .expect(200);
    app.get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    app.action(
        id,
        "resolve",
        "TECH_DUKCAPIL",
        json!({"resolution": "sudah"}),
    )
    .await
    .problem(403);
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        "TECH_DUKCAPIL",
        json!({"version": 3, "title": "ubah"}),
    )
    .await
    .problem(403);
    app.action(
        id,
        "comments",
        "TECH_DUKCAPIL",
        json!({"body": "info tambahan dari PD"}),
    )
    .await
    .expect(201);
    let r = app
        .action(
            id,
            "resolve",
            "OPERATOR",
            json!({"resolution": "Sertifikat SSL diperbarui"}),
        )
        .await
        .expect(200);
    assert_eq!(r["status"], "resolved");
}

#[actix_web::test]
async fn the_reporting_pd_works_a_normal_ticket_about_another_pds_service() {
    let app = spawn_app().await;
    let siak = app.service_id("SIAK").await;
    let t = app
        .create_ticket("TECH_DINKES", json!({"service_id": siak}))
        .await;
    assert_eq!(
        t["organization_id"],
        app.org_id("DISDUKCAPIL").await.as_str()
    );
    assert_eq!(
        t["reporter_organization_id"],
        app.org_id("DINKES").await.as_str()
    );
    let id = t["id"].as_str().expect("id");
    app.action(id, "acknowledge", "TECH_DINKES", json!({}))
        .await
        .expect(200);
    app.action(id, "comments", "TECH_DUKCAPIL", json!({"body": "kami cek"}))
        .await
        .expect(201);
}

#[actix_web::test]
async fn assignees_must_fit_the_tier() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    let colleague = app.user_id("TECH_DUKCAPIL2").await;
    let stranger = app.user_id("TECH_BAPENDA").await;
    let operator = app.user_id("OPERATOR").await;
    let e = app
        .action(
            id,
            "assign",
            "TECH_DUKCAPIL",
            json!({"assignee_id": stranger}),
        )
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "assignee_id");
    app.action(
        id,
        "assign",
        "TECH_DUKCAPIL",
        json!({"assignee_id": operator}),
    )
    .await
    .problem(422);
    let r = app
        .action(
            id,
            "assign",
            "TECH_DUKCAPIL",
            json!({"assignee_id": colleague}),
        )
        .await
        .expect(200);
    assert_eq!(r["assignee_id"], colleague.as_str());
    let r = app
        .action(
            id,
            "escalate",
            "TECH_DUKCAPIL",
            json!({"reason": "butuh Tier 2"}),
        )
        .await
        .expect(200);
    assert_eq!(
        r["assignee_id"],
        json!(null),
        "escalation hands the ticket to the Tier 2 queue"
    );
    app.action(id, "assign", "OPERATOR", json!({"assignee_id": colleague}))
        .await
        .problem(422);
    let r = app
        .action(id, "assign", "OPERATOR", json!({"assignee_id": operator}))
        .await
        .expect(200);
    assert_eq!(r["assignee_id"], operator.as_str());
}
