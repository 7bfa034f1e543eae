//! No malformed body, header, path or query produces a 500; each gets a problem+json 4xx.

use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::helpers::spawn_app;

/// `want` 0 accepts any 4xx (a nesting bomb may fail as syntax or as shape).
fn check(r: crate::helpers::Resp, want: u16) {
    if want == 0 {
        let s = r.status.as_u16();
        assert!((400..500).contains(&s), "got {s}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
    } else {
        r.problem(want);
    }
}

#[actix_web::test]
async fn malformed_bodies_are_client_errors() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id").to_string();
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(String, Option<&str>, u16)> = vec![
        ("not json".into(), None, 400),
        ("{".into(), None, 400),
        ("{,}".into(), None, 400),
        ("[]".into(), None, 422),
        ("null".into(), None, 422),
        ("42".into(), None, 422),
        (deep, None, 0),
        ("\"\\ud800\"".into(), None, 0),
        ("{\"title\":\"x\"}".into(), Some("text/plain"), 415),
        (
            "{\"title\":\"x\"}".into(),
            Some("application/x-www-form-urlencoded"),
            415,
        ),
        ("x".repeat(300 * 1024), None, 413),
    ];
    for (body, ct, want) in cases {
        let headers: Vec<(&str, &str)> = ct.map(|c| vec![("Content-Type", c)]).unwrap_or_default();
        for path in [
            "/api/v1/tickets".to_string(),
            format!("/api/v1/tickets/{id}/escalate"),
        ] {
            let r = app
                .send_raw(
                    "POST",
                    &path,
                    Some("TECH_DUKCAPIL"),
                    Some(body.clone()),
                    &headers,
                )
                .await;
            check(r, want);
        }
        let r = app
            .send_raw(
                "PATCH",
                &format!("/api/v1/tickets/{id}"),
                Some("TECH_DUKCAPIL"),
                Some(body.clone()),
                &headers,
            )
            .await;
        check(r, want);
    }
    assert_eq!(
        app.events(&id, "TECH_DUKCAPIL").await.len(),
        1,
        "nothing was written"
    );
}

#[actix_web::test]
async fn bad_authorization_is_401() {
    let app = spawn_app().await;
    for value in [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer nope",
        "bearer sdk_0000",
        &format!("Bearer {}", "a".repeat(5000)),
    ] {
        let r = app
            .send_raw(
                "GET",
                "/api/v1/tickets",
                None,
                None,
                &[("Authorization", value)],
            )
            .await;
        r.problem(401);
    }
    app.send("GET", "/api/v1/tickets", None, None)
        .await
        .problem(401);
    // A non-UTF-8 header value.
    let mut req = app.client.get(format!("{}/api/v1/tickets", app.base));
    req = req.insert_header((
        "Authorization",
        awc::http::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("opaque header"),
    ));
    let status = req.send().await.expect("sent").status().as_u16();
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn odd_paths_and_queries_are_client_errors() {
    let app = spawn_app().await;
    for p in [
        "/api/v1/tickets/not-a-ticket",
        "/api/v1/tickets/%00",
        "/api/v1/tickets/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/tickets/SD-2026-999999",
        "/api/v1/tickets/00000000-0000-0000-0000-000000000000",
        "/api/v1/tickets/%F0%9F%92%A9/events",
        "/api/v1/users/%27%20OR%201=1",
        "/api/v1/services/x/events",
        "/api/v1/organizations/nope",
    ] {
        let long = format!("/api/v1/tickets/{}", "9".repeat(300));
        for path in [p, long.as_str()] {
            app.get(path, "SUPERVISOR").await.problem(404);
        }
    }
    for (q, want) in [
        ("limit=abc", 400),
        ("limit=0", 422),
        ("limit=201", 422),
        ("tier=5", 422),
        ("tier=x", 400),
        ("cursor=garbage", 422),
        ("cursor=1_", 422),
        ("cursor=1_a%21", 422),
        ("status=open", 422),
        ("priority=urgent", 422),
        ("unknown=1", 400),
        ("q=", 422),
    ] {
        app.get(&format!("/api/v1/tickets?{q}"), "SUPERVISOR")
            .await
            .problem(want);
    }
    // Any well-formed cursor is a place in the order (keyset), as the document says.
    let after = app
        .get("/api/v1/tickets?cursor=1_2", "SUPERVISOR")
        .await
        .expect(200);
    assert_eq!(after["items"], json!([]));
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id");
    app.send_raw(
        "PATCH",
        &format!("/api/v1/tickets/{id}"),
        Some("TECH_DUKCAPIL"),
        Some("{}".into()),
        &[("If-Match", "abc")],
    )
    .await
    .problem(400);
}

#[actix_web::test]
async fn random_bodies_never_cause_a_server_error() {
    let app = spawn_app().await;
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id").to_string();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5be_de5c);
    let fragments = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"title\"",
        "\"kind\"",
        "\"incident\"",
        "\"reporter\"",
        "{\"name\":\"a\"}",
        "null",
        "true",
        "1e999",
        "-0",
        "\"\\u0000\"",
        "\"reported_at\"",
        "\"2026-13-40T99:99:99Z\"",
        "\"version\"",
        "99999999999",
        "\"priority\"",
        "\"outage\"",
        "{\"start\":1}",
        "\"é\"",
        " ",
    ];
    let paths = [
        ("POST", "/api/v1/tickets".to_string()),
        ("PATCH", format!("/api/v1/tickets/{id}")),
        ("POST", format!("/api/v1/tickets/{id}/resolve")),
        ("POST", format!("/api/v1/tickets/{id}/assign")),
        ("POST", "/api/v1/services".to_string()),
        ("POST", "/api/v1/users".to_string()),
    ];
    for i in 0..300 {
        let n = rng.gen_range(0..12);
        let mut body = String::new();
        for _ in 0..n {
            body.push_str(fragments[rng.gen_range(0..fragments.len())]);
        }
        if i % 10 == 0 {
            body = (0..rng.gen_range(1..64))
                .map(|_| rng.gen::<u8>() as char)
                .collect();
        }
        let (method, path) = &paths[i % paths.len()];
        let who = if path.ends_with("users") {
            "ADMIN"
        } else {
            "TECH_DUKCAPIL"
        };
        let r = app
            .send_raw(method, path, Some(who), Some(body.clone()), &[])
            .await;
        assert!(
            r.status.as_u16() < 500,
            "{method} {path} with {body:?} gave {} {}",
            r.status,
            r.body
        );
    }
}
