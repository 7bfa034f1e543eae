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

    assert_eq!(status_with(&app, &secret).await, 200);

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
    assert_eq!(status_with(&app, &secret).await, 401);
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
    // Same e-mail again: a conflict with the existing account, not a 500.
    app.post("/api/v1/users", "ADMIN", body).await.problem(409);
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

async fn status_with(app: &crate::helpers::TestApp, secret: &str) -> u16 {
    app.client
        .get(format!("{}/api/v1/me", app.base))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[actix_web::test]
async fn nobody_raises_their_own_role_and_a_token_for_someone_else_is_on_record() {
    let app = spawn_app().await;
    let admin = app.user_id("ADMIN").await;
    // The admin cannot change their own role, not even downwards and back.
    for role in ["supervisor", "auditor", "technician"] {
        app.patch(
            &format!("/api/v1/users/{admin}"),
            "ADMIN",
            json!({"role": role}),
        )
        .await
        .problem(403);
    }
    // A supervisor cannot touch users at all, their own role included.
    let sup = app.user_id("SUPERVISOR").await;
    app.patch(
        &format!("/api/v1/users/{sup}"),
        "SUPERVISOR",
        json!({"role": "admin"}),
    )
    .await
    .problem(403);
    let me = app.get("/api/v1/me", "ADMIN").await.expect(200);
    assert_eq!(me["role"], "admin");

    // An admin issues a token for a technician: it works, and both the technician's token
    // list and the audit trail name the admin.
    let tech = app.user_id("TECH_DUKCAPIL").await;
    let t = app
        .post(
            &format!("/api/v1/users/{tech}/tokens"),
            "ADMIN",
            json!({"label": "pemeriksaan"}),
        )
        .await
        .expect(201);
    let secret = t["token"].as_str().expect("token");
    assert_eq!(status_with(&app, secret).await, 200);
    let list = app
        .get(&format!("/api/v1/users/{tech}/tokens"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    let entry = list
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == t["id"]))
        .cloned()
        .expect("listed for the user");
    assert_eq!(entry["issued_by"], admin.as_str());
    let events = app
        .get(&format!("/api/v1/users/{tech}/events"), "AUDITOR")
        .await
        .expect(200);
    let issued = events["items"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|e| e["action"] == "token_created" && e["data"]["token_id"] == t["id"])
        })
        .cloned()
        .expect("in the audit trail");
    assert_eq!(issued["actor_id"], admin.as_str());
    assert_eq!(issued["data"]["for_another_user"], true);
    // Another technician may not read that trail.
    app.get(&format!("/api/v1/users/{tech}/events"), "TECH_BAPENDA")
        .await
        .problem(403);
}

#[actix_web::test]
async fn tokens_expire_and_rotate() {
    let app = crate::helpers::spawn_app_with(&[("http.token_max_days", "30")]).await;
    let uid = app.user_id("TECH_BAPENDA").await;
    let base = format!("/api/v1/users/{uid}/tokens");
    let p = app
        .post(&base, "TECH_BAPENDA", json!({"expires_in_days": 31}))
        .await
        .problem(422);
    assert_eq!(p["errors"][0]["field"], "expires_in_days");
    app.post(&base, "TECH_BAPENDA", json!({"expires_in_days": 0}))
        .await
        .problem(422);
    // Without a choice, the longest allowed life.
    let long = app.post(&base, "TECH_BAPENDA", json!({})).await.expect(201);
    let short = app
        .post(&base, "TECH_BAPENDA", json!({"expires_in_days": 2}))
        .await
        .expect(201);
    let now = app.state.app.now();
    let expiry = |t: &serde_json::Value| {
        t["expires_at"]
            .as_str()
            .expect("expiry")
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("time")
    };
    assert_eq!(expiry(&long) - now, chrono::Duration::days(30));
    assert_eq!(expiry(&short) - now, chrono::Duration::days(2));
    let short_secret = short["token"].as_str().expect("token").to_string();
    assert_eq!(status_with(&app, &short_secret).await, 200);

    // Rotation: a new secret with the same lifetime; the old one stops at once.
    let tid = short["id"].as_str().expect("id");
    let rotated = app
        .post(&format!("{base}/{tid}/rotate"), "TECH_BAPENDA", json!({}))
        .await
        .expect(201);
    assert_eq!(status_with(&app, &short_secret).await, 401);
    let new_secret = rotated["token"].as_str().expect("token").to_string();
    assert_eq!(status_with(&app, &new_secret).await, 200);
    assert_eq!(expiry(&rotated) - now, chrono::Duration::days(2));
    app.post(&format!("{base}/{tid}/rotate"), "TECH_BAPENDA", json!({}))
        .await
        .problem(409);
    app.post(&format!("{base}/{tid}/rotate"), "TECH_DINKES", json!({}))
        .await
        .problem(403);

    // Three days on, the two-day token has expired; the thirty-day one still works.
    app.clock.advance(chrono::Duration::days(3));
    assert_eq!(status_with(&app, &new_secret).await, 401);
    assert_eq!(
        status_with(&app, long["token"].as_str().expect("token")).await,
        200
    );
}

/// The addresses a ticket's "created" notices went to.
async fn created_notice_recipients(app: &crate::helpers::TestApp, ticket: &str) -> Vec<String> {
    let page = app
        .get(&format!("/api/v1/outbox?ticket_id={ticket}"), "ADMIN")
        .await
        .expect(200);
    let mut to: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["event"] == "created")
        .filter_map(|m| m["recipient"].as_str().map(String::from))
        .collect();
    to.sort();
    to
}

#[actix_web::test]
async fn the_next_notice_follows_a_directory_change_at_once() {
    // Notices remember the directory for a second across requests; a change made through
    // this daemon must not wait for that.
    let app = spawn_app().await;
    let bkpsdm = app.org_id("BKPSDM").await;
    let first = app.create_ticket("TECH_BKPSDM", json!({})).await;
    let before = created_notice_recipients(&app, first["id"].as_str().expect("id")).await;
    assert!(!before.iter().any(|r| r == "baru@makassarkota.go.id"));
    let new = app
        .post(
            "/api/v1/users",
            "ADMIN",
            json!({"name": "Teknisi Baru", "email": "baru@makassarkota.go.id",
                   "organization_id": bkpsdm, "role": "technician"}),
        )
        .await
        .expect(201);
    let second = app.create_ticket("TECH_BKPSDM", json!({})).await;
    let with_new = created_notice_recipients(&app, second["id"].as_str().expect("id")).await;
    let mut expected = before.clone();
    expected.push("baru@makassarkota.go.id".into());
    expected.sort();
    assert_eq!(with_new, expected);
    app.patch(
        &format!("/api/v1/users/{}", new["id"].as_str().expect("id")),
        "ADMIN",
        json!({"active": false}),
    )
    .await
    .expect(200);
    let third = app.create_ticket("TECH_BKPSDM", json!({})).await;
    assert_eq!(
        created_notice_recipients(&app, third["id"].as_str().expect("id")).await,
        before
    );
}
