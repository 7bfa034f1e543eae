use serde_json::json;

use crate::helpers::spawn_app;

fn body() -> serde_json::Value {
    json!({"title": "Email dinas tidak terkirim", "kind": "incident", "reporter": {"name": "Andi"}})
}

#[actix_web::test]
async fn the_same_key_returns_the_first_ticket() {
    let app = spawn_app().await;
    let send = |who: &'static str, key: &'static str, b: serde_json::Value| {
        let app = &app;
        async move {
            app.send_raw(
                "POST",
                "/api/v1/tickets",
                Some(who),
                Some(b.to_string()),
                &[("Idempotency-Key", key)],
            )
            .await
        }
    };
    let first = send("TECH_DUKCAPIL", "k-123", body()).await.expect(201);
    let again = send("TECH_DUKCAPIL", "k-123", body()).await.expect(200);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["number"], again["number"]);
    // A different body under the same key is a client bug, not a new ticket.
    let mut other = body();
    other["title"] = json!("Lain");
    send("TECH_DUKCAPIL", "k-123", other).await.problem(409);
    // Keys belong to a user: another user's same key is a different request.
    let theirs = send("TECH_DUKCAPIL2", "k-123", body()).await.expect(201);
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(app.list_all("SUPERVISOR", "").await.len(), 2);
}

#[actix_web::test]
async fn concurrent_requests_with_one_key_make_one_ticket() {
    let app = spawn_app().await;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/tickets", app.base);
        let token = app.token("TECH_DINKES").to_string();
        handles.push(actix_web::rt::spawn(async move {
            let mut r = client
                .post(url)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Idempotency-Key", "same-key"))
                .send_json(&body())
                .await
                .expect("sent");
            let v: serde_json::Value = r.json().await.expect("json");
            (r.status().as_u16(), v["id"].as_str().map(String::from))
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut created = 0;
    for h in handles {
        let (status, id) = h.await.expect("join");
        assert!(status == 201 || status == 200, "status {status}");
        created += usize::from(status == 201);
        ids.insert(id.expect("id"));
    }
    assert_eq!(ids.len(), 1, "one ticket for one key");
    assert_eq!(created, 1);
    assert_eq!(app.list_all("SUPERVISOR", "").await.len(), 1);
}

#[actix_web::test]
async fn malformed_keys_are_refused() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    app.send_raw(
        "POST",
        "/api/v1/tickets",
        Some("TECH_DINKES"),
        Some(body().to_string()),
        &[("Idempotency-Key", long.as_str())],
    )
    .await
    .problem(400);
    assert!(app.list_all("SUPERVISOR", "").await.is_empty());
}
