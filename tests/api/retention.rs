//! Retention: a closed ticket's reporter details, participants and mail addresses are erased
//! after the configured period, by classification, and the audit trail still verifies.

use chrono::TimeDelta;
use serde_json::json;

use crate::helpers::{spawn_app_with, TestApp};

const NAME: &str = "Andi Retensi Warga";
const EMAIL: &str = "andi.retensi@surel.example";
const PHONE: &str = "+6281234567890";
const FOLLOWER: &str = "kontak.retensi@vendor.example";

async fn closed_ticket(app: &TestApp, extra: serde_json::Value) -> String {
    let mut body = json!({"reporter": {"name": NAME, "email": EMAIL, "phone": PHONE}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let t = app.create_ticket("TECH_DUKCAPIL", body).await;
    let id = t["id"].as_str().expect("id").to_string();
    app.post(
        &format!("/api/v1/tickets/{id}/participants"),
        "TECH_DUKCAPIL",
        json!({"email": FOLLOWER, "name": "Kontak Retensi"}),
    )
    .await
    .expect(201);
    for (action, body) in [
        ("acknowledge", json!({})),
        ("resolve", json!({"resolution": "Printer diganti"})),
        ("close", json!({})),
    ] {
        app.clock.advance(TimeDelta::minutes(5));
        app.action(&id, action, "TECH_DUKCAPIL", body)
            .await
            .expect(200);
    }
    id
}

async fn retention(app: &TestApp, dry_run: bool) -> spbe_desk::app::retention::RetentionReport {
    let a = app.state.app.clone();
    tokio::task::spawn_blocking(move || a.apply_retention(dry_run))
        .await
        .expect("join")
        .expect("retention")
}

async fn archive_text(app: &TestApp) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("all.spbe");
    let (db, p) = (app.state.app.db.clone(), path.clone());
    tokio::task::spawn_blocking(move || {
        spbe_desk::app::backup::write_archive(&db, &p, |_| {}).expect("backup")
    })
    .await
    .expect("join");
    std::fs::read_to_string(&path).expect("read archive")
}

#[actix_web::test]
async fn reporter_details_go_after_the_period_and_the_trail_still_verifies() {
    let app = spawn_app_with(&[
        ("retention.normal_days", "30"),
        ("retention.restricted_days", "90"),
    ])
    .await;
    let normal = closed_ticket(&app, json!({})).await;
    let restricted = closed_ticket(&app, json!({"classification": "restricted"})).await;
    // Mail went out to the reporter and the follower.
    let sent = app.send_mail().await;
    assert!(sent.sent > 0);
    // A ticket still open is never touched, however old.
    let open = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"reporter": {"name": NAME, "email": EMAIL, "phone": PHONE}}),
        )
        .await;
    let open = open["id"].as_str().expect("id").to_string();
    let before = archive_text(&app).await;
    for v in [NAME, EMAIL, PHONE, FOLLOWER] {
        assert!(before.contains(v), "{v} is in the data before retention");
    }

    // 29 days after closing: nothing is due.
    app.clock.advance(TimeDelta::days(29));
    assert!(retention(&app, false).await.tickets.is_empty());
    // 31 days: the normal ticket is due, the restricted one (90 days) is not.
    app.clock.advance(TimeDelta::days(2));
    let dry = retention(&app, true).await;
    assert_eq!(dry.tickets.len(), 1);
    assert!(dry.dry_run);
    let t = app
        .get(&format!("/api/v1/tickets/{normal}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(t["reporter"]["email"], EMAIL, "a dry run changes nothing");
    let number = t["number"].as_str().expect("number").to_string();
    assert_eq!(dry.tickets, std::slice::from_ref(&number));

    let done = retention(&app, false).await;
    assert_eq!(done.tickets, [number]);
    // name, e-mail and phone of the reporter, e-mail and name of the follower (added, and
    // not removed).
    assert_eq!(done.personal_values, 5);
    assert_eq!(done.participants, 1);
    assert!(done.mail >= 2, "{done:?}");
    // The erased rows name no body, the other recipients' rows keep the body they shared,
    // and no body is left that no row names.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE recipient LIKE 'erased:%' AND body_id IS NOT NULL").await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE recipient NOT LIKE 'erased:%' AND body_id IS NULL").await,
        0
    );
    assert!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE recipient NOT LIKE 'erased:%'")
            .await
            > 0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox_bodies b WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.body_id = b.id)").await,
        0
    );
    assert_eq!(done.legacy_events, 0);

    let t = app
        .get(&format!("/api/v1/tickets/{normal}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(t["reporter"]["name"], "");
    assert_eq!(t["reporter"]["email"], serde_json::Value::Null);
    assert_eq!(t["reporter"]["phone"], serde_json::Value::Null);
    assert!(t["reporter"]["anonymised_at"].is_string());
    let participants = app
        .get(
            &format!("/api/v1/tickets/{normal}/participants"),
            "TECH_DUKCAPIL",
        )
        .await
        .expect(200);
    assert_eq!(participants, json!([]));
    let events = app.events(&normal, "AUDITOR").await;
    let created = &events[0];
    assert_eq!(created["action"], "created");
    assert_eq!(
        created["changes"]["reporter"]["after"],
        json!({"name": null, "email": null, "phone": null})
    );
    let last = events.last().expect("events");
    assert_eq!(last["action"], "anonymised");
    assert_eq!(last["data"]["rule"]["days_after_end"], 30);
    // The other tickets still carry theirs.
    for other in [&restricted, &open] {
        let t = app
            .get(&format!("/api/v1/tickets/{other}"), "SUPERVISOR")
            .await
            .expect(200);
        assert_eq!(t["reporter"]["email"], EMAIL);
    }

    // The chains and the personal values still verify.
    assert_eq!(app.verify_audit().await.broken, None);

    // A personal value changed outside the desk is named by verification.
    let mut conn = app.state.app.db.conn().expect("conn");
    diesel::connection::SimpleConnection::batch_execute(
        &mut **conn,
        &format!("UPDATE personal_data SET value = 'Orang Lain' WHERE value = '{NAME}'"),
    )
    .expect("tamper");
    let broken = app.verify_audit().await.broken.expect("the edit is found");
    assert!(broken.contains("does not match its digest"), "{broken}");
    diesel::connection::SimpleConnection::batch_execute(
        &mut **conn,
        &format!("UPDATE personal_data SET value = '{NAME}' WHERE value = 'Orang Lain'"),
    )
    .expect("undo");
    drop(conn);

    // Run again: nothing more to do. After 90 days the restricted one goes too, and then
    // nothing in the whole database (a backup of every table) names the reporter except
    // the ticket that is still open.
    assert!(retention(&app, false).await.tickets.is_empty());
    app.clock.advance(TimeDelta::days(60));
    assert_eq!(retention(&app, false).await.tickets.len(), 1);
    let open_number = app
        .get(&format!("/api/v1/tickets/{open}"), "SUPERVISOR")
        .await
        .expect(200)["id"]
        .clone();
    let after = archive_text(&app).await;
    let lines_naming = |v: &str| {
        after
            .lines()
            .filter(|l| l.contains(v))
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
    };
    for v in [NAME, EMAIL, PHONE] {
        for line in lines_naming(v) {
            assert!(
                line.contains(open_number.as_str().expect("id")),
                "{v} survives retention in: {line}"
            );
        }
    }
    assert!(
        lines_naming(FOLLOWER).is_empty(),
        "{:?}",
        lines_naming(FOLLOWER)
    );
}
