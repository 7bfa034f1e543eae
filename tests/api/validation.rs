//! Bad input gets a field-level 422 (or 400 for broken syntax) and writes nothing.

use chrono::TimeDelta;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, t0};

fn valid() -> Value {
    json!({
        "title": "Jaringan lambat",
        "kind": "incident",
        "reporter": {"name": "Siti"}
    })
}

fn with(mut base: Value, key: &str, v: Value) -> Value {
    if let Some(o) = base.as_object_mut() {
        o.insert(key.into(), v);
    }
    base
}

fn without(mut base: Value, key: &str) -> Value {
    if let Some(o) = base.as_object_mut() {
        o.remove(key);
    }
    base
}

#[actix_web::test]
async fn invalid_tickets_are_refused_with_the_field_named_and_nothing_written() {
    let app = spawn_app().await;
    let siak_missing = uuid::Uuid::new_v4().to_string();
    let bapenda = app.org_id("BAPENDA").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing title", without(valid(), "title"), "title"),
        ("missing kind", without(valid(), "kind"), "kind"),
        ("missing reporter", without(valid(), "reporter"), "reporter"),
        (
            "reporter without name",
            with(valid(), "reporter", json!({"email": "a@b.go.id"})),
            "reporter.name",
        ),
        ("blank title", with(valid(), "title", json!("   ")), "title"),
        (
            "oversized title",
            with(valid(), "title", json!("x".repeat(201))),
            "title",
        ),
        (
            "oversized description",
            with(valid(), "description", json!("x".repeat(20_001))),
            "description",
        ),
        (
            "ill-typed impact",
            with(valid(), "impact", json!(5)),
            "impact",
        ),
        (
            "ill-typed title",
            with(valid(), "title", json!(["a"])),
            "title",
        ),
        (
            "unknown urgency",
            with(valid(), "urgency", json!("urgent")),
            "urgency",
        ),
        (
            "unknown kind",
            with(valid(), "kind", json!("keluhan")),
            "kind",
        ),
        (
            "unknown classification",
            with(valid(), "classification", json!("secret")),
            "classification",
        ),
        (
            "unknown field",
            with(valid(), "colour", json!("red")),
            "colour",
        ),
        (
            "future reported_at",
            with(
                valid(),
                "reported_at",
                json!((t0() + TimeDelta::minutes(1)).to_rfc3339()),
            ),
            "reported_at",
        ),
        (
            "too old reported_at",
            with(
                valid(),
                "reported_at",
                json!((t0() - TimeDelta::days(8)).to_rfc3339()),
            ),
            "reported_at",
        ),
        (
            "reported_at without offset",
            with(valid(), "reported_at", json!("2026-11-23T10:00:00")),
            "reported_at",
        ),
        (
            "bad reporter e-mail",
            with(
                valid(),
                "reporter",
                json!({"name": "Siti", "email": "siti-at-home"}),
            ),
            "reporter.email",
        ),
        (
            "bad reporter phone",
            with(
                valid(),
                "reporter",
                json!({"name": "Siti", "phone": "telepon saya"}),
            ),
            "reporter.phone",
        ),
        (
            "outage on a request",
            with(
                with(valid(), "kind", json!("request")),
                "outage",
                json!({"start": t0().to_rfc3339()}),
            ),
            "outage",
        ),
        (
            "outage ending before it starts",
            with(
                valid(),
                "outage",
                json!({"start": t0().to_rfc3339(), "end": (t0() - TimeDelta::hours(1)).to_rfc3339()}),
            ),
            "outage.end",
        ),
        (
            "unknown service",
            with(valid(), "service_id", json!(siak_missing)),
            "service_id",
        ),
        (
            "another PD without a service",
            with(valid(), "organization_id", json!(bapenda)),
            "organization_id",
        ),
        ("null title", with(valid(), "title", Value::Null), "title"),
    ];
    for (name, body, field) in cases {
        let r = app.post("/api/v1/tickets", "TECH_DUKCAPIL", body).await;
        assert_eq!(r.status.as_u16(), 422, "{name}: {}", r.body);
        let p = r.problem(422);
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            fields.contains(&field),
            "{name}: expected field {field}, got {p}"
        );
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
    assert!(
        app.list_all("SUPERVISOR", "").await.is_empty(),
        "a refused request wrote a ticket"
    );
    // The first valid ticket still gets the first number: refusals consume nothing.
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    assert_eq!(t["number"], "SD-2026-000001");
}

#[actix_web::test]
async fn all_field_errors_are_reported_together() {
    let app = spawn_app().await;
    let body = json!({"title": "", "kind": "incident", "reporter": {"name": "", "email": "nope"}});
    let p = app
        .post("/api/v1/tickets", "TECH_DUKCAPIL", body)
        .await
        .problem(422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["title", "reporter.name", "reporter.email"]);
}

#[actix_web::test]
async fn back_dating_within_the_limit_is_kept_exactly() {
    let app = spawn_app().await;
    let at = t0() - TimeDelta::days(6) - TimeDelta::seconds(30);
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"reported_at": at.with_timezone(&chrono_tz::Asia::Makassar).to_rfc3339()}),
        )
        .await;
    assert_eq!(t["reported_at"], "2026-11-17T02:59:30Z");
    assert_eq!(t["created_at"], "2026-11-23T03:00:00Z");
}

#[actix_web::test]
async fn invalid_patches_change_nothing() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    for (body, field) in [
        (json!({"version": 1, "title": "x".repeat(201)}), "title"),
        (json!({"version": 1, "impact": "huge"}), "impact"),
        (json!({"version": 1, "status": "closed"}), "status"),
        (json!({"version": 1, "tier": 2}), "tier"),
        (json!({"version": "one"}), "version"),
    ] {
        let p = app
            .patch(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL", body)
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let after = app
        .get(&format!("/api/v1/tickets/{id}"), "TECH_DUKCAPIL")
        .await
        .expect(200);
    assert_eq!(after, t);
    assert_eq!(app.events(id, "TECH_DUKCAPIL").await.len(), 1);
}
