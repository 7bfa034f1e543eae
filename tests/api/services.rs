use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_pd_proposes_and_the_dinas_designates_a_critical_service() {
    let app = spawn_app().await;
    let simpus = app.service_id("SIMPUS").await;
    let base = format!("/api/v1/services/{simpus}");
    // Only the owning PD (or the Dinas) proposes.
    app.post(
        &format!("{base}/propose-critical"),
        "TECH_BAPENDA",
        json!({"reason": "penting"}),
    )
    .await
    .problem(403);
    let s = app
        .post(
            &format!("{base}/propose-critical"),
            "TECH_DINKES",
            json!({"reason": "Rekam medis 40 puskesmas"}),
        )
        .await
        .expect(200);
    assert_eq!(s["criticality"], "proposed");
    app.post(
        &format!("{base}/propose-critical"),
        "TECH_DINKES",
        json!({"reason": "lagi"}),
    )
    .await
    .problem(409);
    // Only the Dinas supervisor designates.
    app.post(
        &format!("{base}/designate"),
        "TECH_DINKES",
        json!({"decision": "critical", "reason": "ok"}),
    )
    .await
    .problem(403);
    app.post(
        &format!("{base}/designate"),
        "OPERATOR",
        json!({"decision": "critical", "reason": "ok"}),
    )
    .await
    .problem(403);
    app.post(
        &format!("{base}/designate"),
        "SUPERVISOR",
        json!({"decision": "normal", "reason": "ok"}),
    )
    .await
    .problem(422);
    let s = app
        .post(
            &format!("{base}/designate"),
            "SUPERVISOR",
            json!({"decision": "critical", "reason": "Layanan kesehatan dasar"}),
        )
        .await
        .expect(200);
    assert_eq!(s["criticality"], "critical");
    app.post(
        &format!("{base}/designate"),
        "SUPERVISOR",
        json!({"decision": "rejected", "reason": "x y z"}),
    )
    .await
    .problem(409);
    let listed = app
        .get("/api/v1/services?criticality=critical", "TECH_BAPENDA")
        .await
        .expect(200);
    let codes: Vec<&str> = listed["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["code"].as_str()).collect())
        .unwrap_or_default();
    // Lists run in creation order, not by code: both critical services, whichever first.
    assert_eq!(codes.len(), 2);
    assert!(
        codes.contains(&"SIAK") && codes.contains(&"SIMPUS"),
        "{codes:?}"
    );

    let events = app
        .get(&format!("{base}/events"), "AUDITOR")
        .await
        .expect(200);
    let events = &events["items"];
    let actions: Vec<&str> = events
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        ["created", "criticality_proposed", "criticality_designated"]
    );
    let designated = &events[2];
    assert_eq!(
        designated["actor_id"],
        app.user_id("SUPERVISOR").await.as_str()
    );
    assert_eq!(
        designated["changes"]["criticality"],
        json!({"before": "proposed", "after": "critical"})
    );
    assert_eq!(designated["data"]["reason"], "Layanan kesehatan dasar");
}

#[actix_web::test]
async fn a_rejected_proposal_can_be_proposed_again_and_a_designation_revoked() {
    let app = spawn_app().await;
    let id = app.service_id("SIMPEG").await;
    let base = format!("/api/v1/services/{id}");
    app.post(
        &format!("{base}/propose-critical"),
        "TECH_BKPSDM",
        json!({"reason": "gaji pegawai"}),
    )
    .await
    .expect(200);
    let s = app
        .post(
            &format!("{base}/designate"),
            "SUPERVISOR",
            json!({"decision": "rejected", "reason": "belum memenuhi"}),
        )
        .await
        .expect(200);
    assert_eq!(s["criticality"], "rejected");
    app.post(
        &format!("{base}/propose-critical"),
        "TECH_BKPSDM",
        json!({"reason": "data baru"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("{base}/designate"),
        "SUPERVISOR",
        json!({"decision": "critical", "reason": "disetujui"}),
    )
    .await
    .expect(200);
    let s = app
        .post(
            &format!("{base}/revoke-critical"),
            "SUPERVISOR",
            json!({"reason": "sistem diganti"}),
        )
        .await
        .expect(200);
    assert_eq!(s["criticality"], "normal");
    assert_eq!(s["version"], 6);
}

#[actix_web::test]
async fn each_pd_maintains_its_own_catalogue() {
    let app = spawn_app().await;
    let s = app
        .post(
            "/api/v1/services",
            "TECH_BAPENDA",
            json!({"code": "PBB-ONLINE", "name": "PBB Online", "kind": "system"}),
        )
        .await
        .expect(201);
    assert_eq!(s["organization_id"], app.org_id("BAPENDA").await.as_str());
    assert_eq!(s["criticality"], "normal");
    assert_eq!(s["availability_target_percent"], 99.0);
    let dinkes = app.org_id("DINKES").await;
    app.post(
        "/api/v1/services",
        "TECH_BAPENDA",
        json!({"organization_id": dinkes, "code": "X", "name": "Xx", "kind": "system"}),
    )
    .await
    .problem(403);
    app.post(
        "/api/v1/services",
        "TECH_BAPENDA",
        json!({"code": "PBB-ONLINE", "name": "Lagi", "kind": "system"}),
    )
    .await
    .problem(409);
    let e = app.post("/api/v1/services", "TECH_BAPENDA", json!({"code": "bad code", "name": "Y", "kind": "app", "availability_target_percent": 101})).await.problem(422);
    assert_eq!(e["errors"][0]["field"], "kind");
    let e = app.post("/api/v1/services", "TECH_BAPENDA", json!({"code": "bad code", "name": "Y", "kind": "system", "availability_target_percent": 101})).await.problem(422);
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["code", "name", "availability_target_percent"]);
    let id = s["id"].as_str().expect("id");
    // Suspension is a Dinas decision.
    app.patch(
        &format!("/api/v1/services/{id}"),
        "TECH_BAPENDA",
        json!({"status": "suspended"}),
    )
    .await
    .problem(403);
    let r = app
        .patch(
            &format!("/api/v1/services/{id}"),
            "SUPERVISOR",
            json!({"version": 1, "status": "suspended"}),
        )
        .await
        .expect(200);
    assert_eq!(r["status"], "suspended");
    app.patch(
        &format!("/api/v1/services/{id}"),
        "TECH_BAPENDA",
        json!({"version": 1, "name": "PBB"}),
    )
    .await
    .problem(409);
}
