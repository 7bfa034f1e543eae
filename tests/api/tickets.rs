use chrono::TimeDelta;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn numbers_are_sequential_per_year_and_tickets_are_found_by_number() {
    let app = spawn_app().await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(
            app.create_ticket("TECH_BAPENDA", json!({})).await["number"]
                .as_str()
                .map(String::from),
        );
    }
    assert_eq!(
        numbers,
        [
            Some("SD-2026-000001".into()),
            Some("SD-2026-000002".into()),
            Some("SD-2026-000003".into())
        ]
    );
    let t = app
        .get("/api/v1/tickets/SD-2026-000002", "TECH_BAPENDA")
        .await
        .expect(200);
    assert_eq!(t["number"], "SD-2026-000002");
    // The year is the calendar year in WITA: 2026-12-31 16:30 UTC is already 2027 in Makassar.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-31T16:30:00Z")
            .expect("ts")
            .to_utc(),
    );
    let t = app.create_ticket("TECH_BAPENDA", json!({})).await;
    assert_eq!(t["number"], "SD-2027-000001");
}

#[actix_web::test]
async fn priority_follows_the_matrix() {
    let app = spawn_app().await;
    for (i, u, p) in [
        ("high", "high", "critical"),
        ("high", "medium", "high"),
        ("low", "high", "medium"),
        ("medium", "low", "low"),
    ] {
        let t = app
            .create_ticket("TECH_BAPENDA", json!({"impact": i, "urgency": u}))
            .await;
        assert_eq!(t["priority"], p, "{i} x {u}");
        assert_eq!(t["priority_overridden"], false);
    }
    let t = app
        .create_ticket(
            "TECH_BAPENDA",
            json!({"impact": "low", "urgency": "low", "priority": "high"}),
        )
        .await;
    assert_eq!(t["priority"], "high");
    assert_eq!(t["priority_overridden"], true);
}

#[actix_web::test]
async fn a_created_ticket_has_every_contract_field() {
    let app = spawn_app().await;
    let t = app
        .create_ticket(
            "TECH_BAPENDA",
            json!({"outage": {"start": "2026-11-23T10:30:00+08:00"}}),
        )
        .await;
    for f in [
        "id",
        "number",
        "organization_id",
        "reporter_organization_id",
        "service_id",
        "kind",
        "priority",
        "impact",
        "urgency",
        "status",
        "tier",
        "assignee_id",
        "title",
        "description",
        "classification",
        "reporter",
        "reported_at",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
        "version",
        "escalation",
        "outage",
        "sla",
    ] {
        assert!(t.get(f).is_some(), "missing {f}");
    }
    assert_eq!(t["status"], "new");
    assert_eq!(t["tier"], 1);
    assert_eq!(t["version"], 1);
    assert_eq!(t["escalation"], json!(null));
    assert_eq!(
        t["outage"],
        json!({"start": "2026-11-23T02:30:00Z", "end": null})
    );
    assert_eq!(t["reporter"]["name"], "Budi Santoso");
    assert_eq!(t["sla"]["paused"], false);
    assert!(uuid::Uuid::parse_str(t["id"].as_str().unwrap_or("")).is_ok());
    // A read answers what the creation answered, targets included, by id and by number.
    assert_eq!(t["sla"]["targets"].as_object().map(|o| o.len()), Some(3));
    for key in ["id", "number"] {
        let path = format!("/api/v1/tickets/{}", t[key].as_str().unwrap_or(""));
        assert_eq!(app.get(&path, "TECH_BAPENDA").await.expect(200), t);
    }
}

#[actix_web::test]
async fn stale_versions_conflict_and_missing_versions_are_required() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    let path = format!("/api/v1/tickets/{id}");
    // No version at all: 428.
    app.patch(&path, "TECH_DUKCAPIL", json!({"title": "Judul baru"}))
        .await
        .problem(428);
    // Two people read version 1; the first write wins...
    app.patch(
        &path,
        "TECH_DUKCAPIL",
        json!({"version": 1, "title": "Judul A"}),
    )
    .await
    .expect(200);
    // ...the second gets 409 and changes nothing.
    let p = app
        .patch(
            &path,
            "TECH_DUKCAPIL2",
            json!({"version": 1, "title": "Judul B"}),
        )
        .await
        .problem(409);
    assert!(p["detail"].as_str().unwrap_or("").contains("version"));
    // If-Match works the same way, quoted or not.
    app.send_raw(
        "PATCH",
        &path,
        Some("TECH_DUKCAPIL2"),
        Some(json!({"title": "Judul C"}).to_string()),
        &[("If-Match", "\"1\"")],
    )
    .await
    .problem(409);
    let ok = app
        .send_raw(
            "PATCH",
            &path,
            Some("TECH_DUKCAPIL2"),
            Some(json!({"title": "Judul C"}).to_string()),
            &[("If-Match", "\"2\"")],
        )
        .await
        .expect(200);
    assert_eq!(ok["title"], "Judul C");
    assert_eq!(ok["version"], 3);
    // Actions honour a stale version too.
    app.action(id, "acknowledge", "TECH_DUKCAPIL", json!({"version": 2}))
        .await
        .problem(409);
    let t = app.get(&path, "TECH_DUKCAPIL").await.expect(200);
    assert_eq!(t["status"], "new");
    assert_eq!(t["title"], "Judul C");
    // If-Match and body disagreeing is a client error.
    app.send_raw(
        "PATCH",
        &path,
        Some("TECH_DUKCAPIL"),
        Some(json!({"version": 3, "title": "D"}).to_string()),
        &[("If-Match", "4")],
    )
    .await
    .problem(409);
}

#[actix_web::test]
async fn lists_filter_search_and_paginate_without_gaps() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        app.clock.advance(TimeDelta::seconds(1));
        let kind = if i % 2 == 0 { "incident" } else { "request" };
        let t = app
            .create_ticket(
                "TECH_DINKES",
                json!({"kind": kind, "title": format!("Masalah nomor {i}")}),
            )
            .await;
        ids.push(t["id"].as_str().expect("id").to_string());
    }
    app.action(&ids[0], "acknowledge", "TECH_DINKES", json!({}))
        .await
        .expect(200);
    app.action(
        &ids[1],
        "escalate",
        "TECH_DINKES",
        json!({"reason": "butuh Dinas"}),
    )
    .await
    .expect(200);

    // Pages of 3 cover every ticket exactly once, newest first.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/tickets?limit=3{cursor}"), "TECH_DINKES")
            .await
            .expect(200);
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .filter_map(|t| t["id"].as_str().map(String::from)),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let count = |v: serde_json::Value| v["items"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(
        count(
            app.get("/api/v1/tickets?kind=request", "TECH_DINKES")
                .await
                .expect(200)
        ),
        3
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?kind=request,incident", "TECH_DINKES")
                .await
                .expect(200)
        ),
        7
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?status=in_progress", "TECH_DINKES")
                .await
                .expect(200)
        ),
        1
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?tier=2", "TECH_DINKES")
                .await
                .expect(200)
        ),
        1
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?tier=2", "OPERATOR")
                .await
                .expect(200)
        ),
        1
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?q=NOMOR%203", "TECH_DINKES")
                .await
                .expect(200)
        ),
        1
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?q=SD-2026-000007", "TECH_DINKES")
                .await
                .expect(200)
        ),
        1
    );
    // LIKE wildcards in the search text match literally.
    assert_eq!(
        count(
            app.get("/api/v1/tickets?q=%25", "TECH_DINKES")
                .await
                .expect(200)
        ),
        0
    );
    assert_eq!(
        count(
            app.get("/api/v1/tickets?priority=medium", "TECH_DINKES")
                .await
                .expect(200)
        ),
        7
    );
    let dinkes = app.org_id("DINKES").await;
    assert_eq!(
        count(
            app.get(
                &format!("/api/v1/tickets?organization_id={dinkes}"),
                "SUPERVISOR"
            )
            .await
            .expect(200)
        ),
        7
    );
}

#[actix_web::test]
async fn comments_are_listed_and_public_ones_count_as_first_response() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    app.clock.advance(TimeDelta::minutes(2));
    let c = app
        .action(
            id,
            "comments",
            "TECH_DUKCAPIL",
            json!({"body": "catatan internal", "visibility": "internal"}),
        )
        .await
        .expect(201);
    assert_eq!(c["visibility"], "internal");
    let t1 = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(
        t1["sla"]["first_response_at"],
        json!(null),
        "an internal note is not a response"
    );
    app.clock.advance(TimeDelta::minutes(2));
    app.action(
        id,
        "comments",
        "TECH_DUKCAPIL",
        json!({"body": "Kami sedang menangani"}),
    )
    .await
    .expect(201);
    let t2 = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(t2["sla"]["first_response_at"], "2026-11-23T03:04:00Z");
    let list = app
        .get(&format!("/api/v1/tickets/{id}/comments"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    let bodies: Vec<&str> = list["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["body"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(bodies, ["catatan internal", "Kami sedang menangani"]);
}

/// `q` finds a text anywhere in title, description or number, whatever its case, follows
/// edits, takes quotes and wildcards literally, and works for texts too short to index.
#[actix_web::test]
async fn search_finds_substrings_follows_edits_and_takes_text_literally() {
    let app = spawn_app().await;
    let a = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"title": "Server SIAK lambat", "description": "Antrian \"cetak\" 100% macet"}),
        )
        .await;
    let b = app
        .create_ticket("TECH_DUKCAPIL", json!({"title": "Jaringan putus di loket"}))
        .await;
    let numbers = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["number"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let search = |q: &str| {
        let q = q.to_string();
        let app = &app;
        async move {
            numbers(
                app.get(&format!("/api/v1/tickets?q={q}"), "SUPERVISOR")
                    .await
                    .expect(200),
            )
        }
    };
    let (na, nb) = (
        a["number"].as_str().expect("number").to_string(),
        b["number"].as_str().expect("number").to_string(),
    );
    assert_eq!(search("siak").await, [na.as_str()]);
    assert_eq!(search("RVER%20SI").await, [na.as_str()]);
    assert_eq!(search("%22cetak%22").await, [na.as_str()]);
    assert_eq!(search("100%25").await, [na.as_str()]);
    assert_eq!(search("LOKET").await, [nb.as_str()]);
    assert_eq!(search("lo").await, [nb.as_str()]);
    assert_eq!(search(&na).await, [na.as_str()]);
    assert!(search("tidak%20ada").await.is_empty());
    // An edited title is found by its new words only.
    let id = b["id"].as_str().expect("id");
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        "TECH_DUKCAPIL",
        json!({"version": 1, "title": "Jaringan pulih kembali"}),
    )
    .await
    .expect(200);
    assert!(search("putus").await.is_empty());
    assert_eq!(search("pulih").await, [nb.as_str()]);
}
