use serde_json::Value;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let h = app.send("GET", "/healthz", None, None).await.expect(200);
    assert_eq!(h["status"], "ok");
    let r = app.send("GET", "/readyz", None, None).await.expect(200);
    assert_eq!(r["database"], "ok");
}

#[actix_web::test]
async fn openapi_describes_every_route() {
    let app = spawn_app().await;
    let spec = app
        .send("GET", "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    assert!(spec["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));
    let paths: Vec<&str> = spec["paths"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for p in [
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/events",
        "/api/v1/tickets/{id}/comments",
        "/api/v1/tickets/{id}/acknowledge",
        "/api/v1/tickets/{id}/assign",
        "/api/v1/tickets/{id}/escalate",
        "/api/v1/tickets/{id}/pause",
        "/api/v1/tickets/{id}/resume",
        "/api/v1/tickets/{id}/resolve",
        "/api/v1/tickets/{id}/close",
        "/api/v1/tickets/{id}/reopen",
        "/api/v1/tickets/{id}/cancel",
        "/api/v1/organizations",
        "/api/v1/users/{id}/tokens",
        "/api/v1/services/{id}/designate",
        "/healthz",
        "/readyz",
        "/api/v1/calendars",
        "/api/v1/calendars/{id}/holidays/import",
        "/api/v1/sla-policies/{id}",
        "/api/v1/sla-policies/{id}/rebaseline",
        "/api/v1/tickets/{id}/sla",
        "/api/v1/tickets/{id}/sla/rebaseline",
    ] {
        assert!(paths.contains(&p), "openapi.json lacks {p}");
    }
    // Every documented operation says how it authenticates or is public on purpose.
    let ticket_post = &spec["paths"]["/api/v1/tickets"]["post"];
    assert!(ticket_post["requestBody"].is_object());
    assert!(ticket_post["security"].is_array());
    assert!(spec["components"]["schemas"]["TicketDto"].is_object());
    // Enums are documented with the spellings the API accepts.
    let kind =
        serde_json::to_string(&spec["components"]["schemas"]["CreateTicket"]["properties"]["kind"])
            .unwrap_or_default();
    assert!(
        kind.contains("TicketKind") || kind.contains("\"incident\""),
        "{kind}"
    );
    assert_eq!(
        spec["components"]["schemas"]["TicketKind"]["enum"],
        serde_json::json!(["complaint", "incident", "problem", "request", "change"])
    );
    // Errors are documented as problem+json, including the ones any operation can give.
    let errs = &spec["paths"]["/api/v1/tickets"]["post"]["responses"];
    for code in ["401", "413", "415", "422", "429", "503"] {
        assert!(
            errs[code]["content"]["application/problem+json"].is_object(),
            "{code}: {}",
            errs[code]
        );
    }
    assert_ne!(spec["components"]["securitySchemes"]["bearer"], Value::Null);
    // An operation on a record by id documents its 404.
    assert!(spec["paths"]["/api/v1/tickets/{id}"]["patch"]["responses"]["404"].is_object());
    // Every reference resolves (a schema used only by a query parameter is easy to miss).
    let mut refs = Vec::new();
    collect_refs(&spec, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
        assert!(
            spec["components"]["schemas"][name].is_object(),
            "unresolvable reference {r}"
        );
    }
    // Every link names an operation that exists, and a created ticket leads to its page.
    let created = &spec["paths"]["/api/v1/tickets"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        created["get_id"]["operationRef"],
        "#/paths/~1api~1v1~1tickets~1{id}/get"
    );
    let mut links = 0;
    for item in spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            for link in op["responses"]["201"]["links"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
            {
                let target = link["operationRef"]
                    .as_str()
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|p| spec.pointer(p));
                assert!(target.is_some_and(Value::is_object), "dangling link {link}");
                links += 1;
            }
        }
    }
    assert!(links >= 20, "only {links} links");
    // Query parameters are never null, and the pause reasons are this installation's.
    let users = &spec["paths"]["/api/v1/users"]["get"]["parameters"];
    assert!(users.as_array().is_some_and(|ps| ps
        .iter()
        .all(|p| p["in"] == "query" && !p["schema"].to_string().contains("null"))));
    assert_eq!(
        spec["components"]["schemas"]["PauseBody"]["properties"]["reason"]["enum"],
        serde_json::json!(app.state.app.settings.sla.pause_reasons)
    );
    for p in [
        "/api/v1/reports/monthly/{month}",
        "/api/v1/services/{id}/sanctions",
        "/api/v1/users/{id}/tokens/{token_id}/rotate",
        "/metrics",
    ] {
        assert!(paths.contains(&p), "openapi.json lacks {p}");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn unknown_routes_are_problem_404s() {
    let app = spawn_app().await;
    app.send("GET", "/api/v1/nothing-here", Some("ADMIN"), None)
        .await
        .problem(404);
    app.send("GET", "/nope", None, None).await.problem(404);
    app.send("PUT", "/api/v1/tickets", Some("ADMIN"), None)
        .await
        .problem(405);
    app.send("DELETE", "/api/v1/organizations", Some("ADMIN"), None)
        .await
        .problem(405);
}

#[derive(diesel::QueryableByName)]
struct Synchronous {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    synchronous: i32,
}

#[actix_web::test]
async fn sqlite_commits_are_durable_by_default() {
    use diesel::RunQueryDsl;
    let app = crate::helpers::spawn_app().await;
    let db = app.state.app.db.clone();
    let level = tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        match &mut **c {
            spbe_desk::db::DbConn::Sqlite(s) => Some(
                diesel::sql_query("PRAGMA synchronous")
                    .get_result::<Synchronous>(s)
                    .expect("pragma")
                    .synchronous,
            ),
            spbe_desk::db::DbConn::Pg(_) => None,
        }
    })
    .await
    .expect("join");
    // 2 is FULL: the WAL is synced at every commit (PostgreSQL keeps its operator's setting).
    if let Some(level) = level {
        assert_eq!(level, 2);
    }
}

/// SQLite's log is checkpointed by the daemon's background job after commits, not by the
/// commit that happens to cross SQLite's threshold (`jobs::wal`); PostgreSQL has no such job.
#[actix_web::test]
async fn the_wal_is_checkpointed_in_the_background_after_writes() {
    let app = spawn_app().await;
    let sqlite = app.db_url.starts_with("sqlite://");
    app.create_ticket("TECH_DUKCAPIL", serde_json::json!({}))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let s = loop {
        let s = scrape(&app).await;
        let done = value(&s, "spbe_desk_db_wal_checkpoints_total", &[]) >= 1.0;
        if done || !sqlite || std::time::Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let checkpoints = s
        .samples
        .iter()
        .filter(|x| x.metric == "spbe_desk_db_wal_checkpoints_total")
        .count();
    if sqlite {
        assert!(value(&s, "spbe_desk_db_wal_checkpoints_total", &[]) >= 1.0);
        // No reader held on to an older snapshot, so the whole log was copied.
        assert_eq!(value(&s, "spbe_desk_db_wal_frames_pending", &[]), 0.0);
    } else {
        assert_eq!(checkpoints, 0, "PostgreSQL runs no WAL job");
    }
}

/// One metric's value from a scrape, parsed by an independent Prometheus parser.
async fn scrape(app: &crate::helpers::TestApp) -> prometheus_parse::Scrape {
    let mut r = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 200);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let body = r.body().await.expect("body");
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses")
}

fn value(s: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    s.samples
        .iter()
        .filter(|x| x.metric == metric)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

#[actix_web::test]
async fn metrics_parse_and_move_with_creation_escalation_and_breach() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    let created = value(&before, "spbe_desk_tickets_created_total", &[]);
    // A critical incident: response 15 minutes, Tier 1 window 60.
    let t = app
        .create_ticket(
            "TECH_DUKCAPIL",
            serde_json::json!({"impact": "high", "urgency": "high"}),
        )
        .await;
    assert_eq!(t["priority"], "critical");
    let s = scrape(&app).await;
    assert_eq!(
        value(&s, "spbe_desk_tickets_created_total", &[]),
        created + 1.0
    );
    // The creation was a write transaction (with the token's first-use stamp, two), and
    // they took time to run and commit.
    assert_eq!(
        value(&s, "spbe_desk_db_write_transactions_total", &[]),
        value(&before, "spbe_desk_db_write_transactions_total", &[]) + 2.0
    );
    // One after the other, they committed apart (nobody else was waiting to share).
    assert_eq!(
        value(&s, "spbe_desk_db_commits_total", &[]),
        value(&before, "spbe_desk_db_commits_total", &[]) + 2.0
    );
    for phase in ["work", "commit"] {
        let spent = |scrape| {
            value(
                scrape,
                "spbe_desk_db_write_time_seconds",
                &[("phase", phase)],
            )
        };
        assert!(spent(&s) > spent(&before), "{phase} did not move");
    }
    assert_eq!(
        value(&s, "spbe_desk_tickets", &[("status", "new"), ("tier", "1")]),
        1.0
    );
    assert!(
        value(
            &s,
            "spbe_desk_http_requests_total",
            &[
                ("route", "/api/v1/tickets"),
                ("method", "POST"),
                ("status", "201")
            ]
        ) >= 1.0,
        "requests are counted by route pattern"
    );
    assert!(s.samples.iter().any(|x| x
        .metric
        .starts_with("spbe_desk_http_request_duration_seconds")));
    assert!(
        !s.samples.iter().any(|x| x
            .labels
            .get("route")
            .is_some_and(|r| r.contains(t["id"].as_str().unwrap_or("-")))),
        "ids never become labels"
    );
    // Twenty minutes on: the response target is breached.
    app.clock.advance(chrono::TimeDelta::minutes(20));
    app.tick().await;
    let s = scrape(&app).await;
    assert_eq!(
        value(&s, "spbe_desk_sla_events_total", &[("kind", "breached")]),
        1.0
    );
    assert_eq!(
        value(&s, "spbe_desk_sla_events_total", &[("kind", "escalated")]),
        0.0
    );
    // An hour and a half on: the Tier 1 window ran out, escalated automatically.
    app.clock.advance(chrono::TimeDelta::minutes(70));
    app.tick().await;
    let s = scrape(&app).await;
    assert_eq!(
        value(&s, "spbe_desk_sla_events_total", &[("kind", "escalated")]),
        1.0
    );
    assert_eq!(
        value(&s, "spbe_desk_tickets", &[("status", "new"), ("tier", "2")]),
        1.0
    );
    assert_eq!(
        value(&s, "spbe_desk_tickets", &[("status", "new"), ("tier", "1")]),
        0.0
    );
    assert!(value(&s, "spbe_desk_outbox_messages", &[("status", "queued")]) >= 1.0);
    assert!(value(&s, "spbe_desk_db_pool_connections", &[("state", "idle")]) >= 0.0);
    assert!(
        s.docs.contains_key("spbe_desk_sla_events_total"),
        "described with HELP"
    );
}

/// Statuses of `n` requests sent at once with `who`'s token.
async fn burst(
    app: &crate::helpers::TestApp,
    who: &str,
    n: usize,
) -> Vec<(u16, Option<String>, String)> {
    let mut all = Vec::new();
    for _ in 0..n {
        let mut r = app
            .client
            .get(format!("{}/api/v1/me", app.base))
            .insert_header(("Authorization", format!("Bearer {}", app.token(who))))
            .send()
            .await
            .expect("sent");
        let retry = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let _ = r.body().await;
        all.push((r.status().as_u16(), retry, ct));
    }
    all
}

#[actix_web::test]
async fn a_burst_over_the_limit_gets_429_with_retry_after_and_off_means_off() {
    let app = crate::helpers::spawn_app_with(&[("http.rate_limit", "1/min burst 5")]).await;
    let seen = burst(&app, "TECH_BAPENDA", 8).await;
    let ok = seen.iter().filter(|s| s.0 == 200).count();
    assert_eq!(ok, 5, "the burst: {seen:?}");
    for (status, retry, ct) in seen.iter().filter(|s| s.0 != 200) {
        assert_eq!(*status, 429);
        let secs: u64 = retry
            .as_deref()
            .and_then(|r| r.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=60).contains(&secs), "{secs}");
        assert_eq!(ct, "application/problem+json");
    }
    // Per token: another user's token still gets through.
    assert!(burst(&app, "TECH_DINKES", 1)
        .await
        .iter()
        .all(|s| s.0 == 200));
    // The same per client address whatever the token.
    let app =
        crate::helpers::spawn_app_with(&[("http.rate_limit_per_address", "1/min burst 4")]).await;
    let mut seen = burst(&app, "TECH_BAPENDA", 3).await;
    seen.extend(burst(&app, "TECH_DINKES", 3).await);
    assert_eq!(seen.iter().filter(|s| s.0 == 429).count(), 2, "{seen:?}");
    // Off: the test defaults; nothing is refused however fast.
    let app = spawn_app().await;
    assert!(burst(&app, "TECH_BAPENDA", 60)
        .await
        .iter()
        .all(|s| s.0 == 200));
}

/// The README promises a build and a runtime without system libraries: the daemon binary
/// must link nothing beyond libc's own objects (no libpq, libssl, libcrypto or libsqlite3).
#[test]
fn the_binary_links_no_database_or_tls_library() {
    let out = std::process::Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_spbe-desk"))
        .output()
        .expect("ldd runs (Debian's libc-bin)");
    assert!(out.status.success(), "ldd failed: {out:?}");
    let listing = String::from_utf8_lossy(&out.stdout);
    let linked: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(linked.iter().any(|l| l.starts_with("libc.so")), "{listing}");
    for lib in &linked {
        assert!(
            !["libpq", "libssl", "libcrypto", "libsqlite3"]
                .iter()
                .any(|forbidden| lib.starts_with(forbidden)),
            "the binary links {lib}:\n{listing}"
        );
    }
}

/// Every list that used to load a whole table pages by cursor: small pages, followed to
/// the end, give the same rows in the same order as one large page, with no gaps.
#[actix_web::test]
async fn every_list_pages_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let t = app
        .create_ticket("TECH_DUKCAPIL", serde_json::json!({}))
        .await;
    let id = t["id"].as_str().expect("id");
    for n in 0..5 {
        app.post(
            &format!("/api/v1/tickets/{id}/comments"),
            "TECH_DUKCAPIL",
            serde_json::json!({"body": format!("catatan {n}")}),
        )
        .await
        .expect(201);
    }
    let svc = app.service_id("SIAK").await;
    let me = app.user_id("TECH_DUKCAPIL").await;
    for (list, who) in [
        ("/api/v1/organizations".to_string(), "ADMIN"),
        ("/api/v1/users".to_string(), "ADMIN"),
        ("/api/v1/users".to_string(), "TECH_DUKCAPIL"),
        ("/api/v1/services".to_string(), "ADMIN"),
        (format!("/api/v1/tickets/{id}/comments"), "TECH_DUKCAPIL"),
        (format!("/api/v1/tickets/{id}/events"), "AUDITOR"),
        (format!("/api/v1/services/{svc}/events"), "AUDITOR"),
        (format!("/api/v1/users/{me}/events"), "AUDITOR"),
    ] {
        let whole = app.get(&format!("{list}?limit=200"), who).await.expect(200);
        assert_eq!(whole["next_cursor"], Value::Null, "{list}");
        let whole = whole["items"].as_array().cloned().expect("items");
        assert!(
            whole.len() >= 2,
            "{list} has too few rows to page: {}",
            whole.len()
        );
        let paged = app.pages(&format!("{list}?limit=2"), who).await;
        let ids = |v: &[Value]| -> Vec<String> {
            v.iter()
                .map(|x| x["id"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(ids(&paged), ids(&whole), "{list} as {who}");
    }
    // The register filtered by several statuses is read one status at a time and merged:
    // the merge keeps page order across statuses and pages.
    for n in 0..3 {
        let t = app
            .create_ticket(
                "TECH_DUKCAPIL",
                serde_json::json!({"title": format!("Antrian {n}")}),
            )
            .await;
        if n != 1 {
            let tid = t["id"].as_str().expect("id");
            app.action(tid, "acknowledge", "TECH_DUKCAPIL", serde_json::json!({}))
                .await
                .expect(200);
        }
    }
    let list = "/api/v1/tickets?status=new,in_progress";
    let whole = app
        .get(&format!("{list}&limit=200"), "SUPERVISOR")
        .await
        .expect(200);
    let whole = whole["items"].as_array().cloned().expect("items");
    let statuses: std::collections::BTreeSet<&str> =
        whole.iter().filter_map(|x| x["status"].as_str()).collect();
    assert_eq!(statuses, ["in_progress", "new"].into_iter().collect());
    let paged = app.pages(&format!("{list}&limit=2"), "SUPERVISOR").await;
    let ids = |v: &[Value]| -> Vec<String> {
        v.iter()
            .map(|x| x["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(ids(&paged), ids(&whole));
    let created: Vec<chrono::DateTime<chrono::Utc>> = whole
        .iter()
        .filter_map(|x| x["created_at"].as_str()?.parse().ok())
        .collect();
    assert_eq!(created.len(), whole.len());
    let mut newest_first = created.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, newest_first);

    // A technician's list holds only their own PD's accounts, however it is paged.
    let techs = app.pages("/api/v1/users?limit=1", "TECH_DUKCAPIL").await;
    let own = app.org_id("DISDUKCAPIL").await;
    assert!(techs.iter().all(|u| u["organization_id"] == own.as_str()));
}
