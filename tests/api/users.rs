use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn tokens_are_shown_once_work_and_can_be_revoked() {
    let app = spawn_app().await;
    let uid = app.user_id("TECH_BAPENDA").await;
    let created = app
        .post(
            &format!("/api/v1/users/{uid}/tokens"),
            "TECH_BAPENDA",
            json!({"label": "laptop"}),
        )
        .await
        .expect(201);
    let secret = created["token"].as_str().expect("token").to_string();
    let tid = created["id"].as_str().expect("id").to_string();

    let use_it = |secret: String| {
        let client = app.client.clone();
        let url = format!("{}/api/v1/me", app.base);
        async move {
            client
                .get(url)
                .insert_header(("Authorization", format!("Bearer {secret}")))
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16()
        }
    };
    assert_eq!(use_it(secret.clone()).await, 200);

    // The listing shows metadata and the last use, never the secret or its hash.
    let list = app
        .get(&format!("/api/v1/users/{uid}/tokens"), "TECH_BAPENDA")
        .await
        .expect(200);
    let entry = list
        .as_array()
        .and_then(|a| a.iter().find(|t| t["id"] == tid.as_str()))
        .cloned()
        .expect("listed");
    assert!(entry["last_used_at"].is_string());
    assert!(entry.get("token").is_none() && entry.get("token_hash").is_none());

    // Another technician may not manage this user's tokens.
    app.get(&format!("/api/v1/users/{uid}/tokens"), "TECH_DINKES")
        .await
        .problem(403);

    let r = app
        .send(
            "DELETE",
            &format!("/api/v1/users/{uid}/tokens/{tid}"),
            Some("TECH_BAPENDA"),
            None,
        )
        .await;
    assert_eq!(r.status.as_u16(), 204);
    assert_eq!(use_it(secret).await, 401);
}

#[actix_web::test]
async fn only_admins_create_users_and_roles_must_fit_the_organization() {
    let app = spawn_app().await;
    let dinkes = app.org_id("DINKES").await;
    let body = json!({"name": "Teknisi Baru", "email": "baru@makassarkota.go.id", "organization_id": dinkes, "role": "technician", "nip": "198501012010011001"});
    app.post("/api/v1/users", "SUPERVISOR", body.clone())
        .await
        .problem(403);
    let u = app
        .post("/api/v1/users", "ADMIN", body.clone())
        .await
        .expect(201);
    assert_eq!(u["role"], "technician");
    // Same e-mail again: a clear validation error, not a 500.
    app.post("/api/v1/users", "ADMIN", body).await.problem(422);
    // An operator belongs to the Dinas, not to a PD.
    let e = app
        .post("/api/v1/users", "ADMIN", json!({"name": "Salah", "email": "salah@makassarkota.go.id", "organization_id": dinkes, "role": "operator"}))
        .await
        .problem(422);
    assert_eq!(e["errors"][0]["field"], "role");
}

#[actix_web::test]
async fn deactivated_users_lose_access() {
    let app = spawn_app().await;
    let uid = app.user_id("TECH_BKPSDM").await;
    app.get("/api/v1/me", "TECH_BKPSDM").await.expect(200);
    app.patch(
        &format!("/api/v1/users/{uid}"),
        "ADMIN",
        json!({"active": false}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", "TECH_BKPSDM").await.problem(401);
}
