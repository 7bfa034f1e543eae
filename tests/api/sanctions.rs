//! The sanctions ledger (Makassar Ps 32(5)) and the SOP record of a service (Ps 33(4)).

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn letters_and_a_closure_are_recorded_by_the_right_people_and_audited() {
    let app = spawn_app().await;
    let siak = app.service_id("SIAK").await;
    let base = format!("/api/v1/services/{siak}/sanctions");
    let letter = json!({"level": "warning", "letter_number": "800/12/TK-SPBE/2026", "issued_on": "2026-11-20", "report_month": "2026-10", "reason": "Insiden kritis SIAK melewati SLA"});
    // A letter is the Tim Koordinasi's; a closure is the Dinas supervisor's.
    for who in ["SUPERVISOR", "OPERATOR", "TECH_DUKCAPIL", "AUDITOR"] {
        app.post(&base, who, letter.clone()).await.problem(403);
    }
    let w = app
        .post(&base, "COORDINATOR", letter.clone())
        .await
        .expect(201);
    assert_eq!(w["level"], "warning");
    assert_eq!(w["addressed_to"], app.org_id("DISKOMINFO").await);
    // Bad input changes nothing.
    for (bad, field) in [
        (
            json!({"level": "warning", "issued_on": "2026-11-20", "reason": "tanpa nomor"}),
            "letter_number",
        ),
        (
            json!({"level": "reprimand", "letter_number": "1", "issued_on": "2027-01-01", "reason": "masa depan"}),
            "issued_on",
        ),
        (
            json!({"level": "reprimand", "letter_number": "1", "issued_on": "2026-11-20", "report_month": "2026-13", "reason": "bulan salah"}),
            "report_month",
        ),
        (
            json!({"level": "reprimand", "letter_number": "1", "issued_on": "2026-11-20", "report_month": "2026-12", "reason": "bulan belum selesai"}),
            "report_month",
        ),
    ] {
        let p = app.post(&base, "COORDINATOR", bad).await.problem(422);
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let p = app
        .post(
            &base,
            "COORDINATOR",
            json!({"level": "suspension", "issued_on": "2026-11-20", "reason": "x y z"}),
        )
        .await
        .problem(422);
    assert_eq!(p["errors"][0]["field"], "level");
    // A closure suspends the service; a second one is refused while it stands.
    app.post(
        &base,
        "COORDINATOR",
        json!({"level": "closure", "issued_on": "2026-11-21", "reason": "ditutup"}),
    )
    .await
    .problem(403);
    let c = app
        .post(&base, "SUPERVISOR", json!({"level": "closure", "issued_on": "2026-11-21", "report_month": "2026-10", "reason": "Ditutup sementara sampai diperbaiki"}))
        .await
        .expect(201);
    let s = app
        .get(&format!("/api/v1/services/{siak}"), "OPERATOR")
        .await
        .expect(200);
    assert_eq!(s["status"], "suspended");
    app.post(
        &base,
        "SUPERVISOR",
        json!({"level": "closure", "issued_on": "2026-11-21", "reason": "lagi"}),
    )
    .await
    .problem(409);
    // Lifting: supervisors, with the PD's remediation; a letter is never lifted.
    let cid = c["id"].as_str().expect("id");
    let wid = w["id"].as_str().expect("id");
    app.post(
        &format!("{base}/{cid}/lift"),
        "COORDINATOR",
        json!({"remediation": "server diganti"}),
    )
    .await
    .problem(403);
    app.post(
        &format!("{base}/{wid}/lift"),
        "SUPERVISOR",
        json!({"remediation": "server diganti"}),
    )
    .await
    .problem(409);
    app.post(
        &format!("{base}/{cid}/lift"),
        "SUPERVISOR",
        json!({"remediation": "sudah diperbaiki", "version": 7}),
    )
    .await
    .problem(409);
    let lifted = app
        .post(
            &format!("{base}/{cid}/lift"),
            "SUPERVISOR",
            json!({"remediation": "Server basis data diganti oleh Disdukcapil"}),
        )
        .await
        .expect(200);
    assert!(lifted["lifted_at"].is_string());
    app.post(
        &format!("{base}/{cid}/lift"),
        "SUPERVISOR",
        json!({"remediation": "lagi"}),
    )
    .await
    .problem(409);
    let s = app
        .get(&format!("/api/v1/services/{siak}"), "OPERATOR")
        .await
        .expect(200);
    assert_eq!(s["status"], "active");
    let ledger = app.get(&base, "TECH_DUKCAPIL").await.expect(200);
    let levels: Vec<&str> = ledger
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x["level"].as_str())
        .collect();
    assert_eq!(levels, ["warning", "closure"]);
    // All on the service's audit chain.
    let events = app
        .get(&format!("/api/v1/services/{siak}/events"), "AUDITOR")
        .await
        .expect(200);
    let actions: Vec<&str> = events["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.ends_with(&[
            "sanction_letter_recorded",
            "closed_temporarily",
            "closure_lifted"
        ]),
        "{actions:?}"
    );
    // Only a critical service is sanctioned.
    let simpus = app.service_id("SIMPUS").await;
    app.post(
        &format!("/api/v1/services/{simpus}/sanctions"),
        "COORDINATOR",
        letter,
    )
    .await
    .problem(409);
}

#[actix_web::test]
async fn a_services_sop_parts_are_recorded_and_the_missing_ones_named() {
    let app = spawn_app().await;
    let siak = app.service_id("SIAK").await;
    let s = app
        .get(&format!("/api/v1/services/{siak}"), "OPERATOR")
        .await
        .expect(200);
    assert_eq!(s["sop_missing"], json!(["customer_relations"]));
    let v = s["version"].clone();
    let s = app
        .patch(
            &format!("/api/v1/services/{siak}"),
            "TECH_DUKCAPIL",
            json!({"version": v, "sop": {"definition": "SOP 1", "policy": "Perwali 12", "incident_problem": "SOP 2", "requests": "SOP 3", "customer_relations": "SOP 4", "service_level": "SLA"}}),
        )
        .await
        .expect(200);
    assert_eq!(s["sop_missing"], json!([]));
    assert_eq!(s["sop"]["customer_relations"], "SOP 4");
    let long = "x".repeat(2001);
    let p = app
        .patch(
            &format!("/api/v1/services/{siak}"),
            "TECH_DUKCAPIL",
            json!({"version": s["version"], "sop": {"definition": long}}),
        )
        .await
        .problem(422);
    assert_eq!(p["errors"][0]["field"], "sop.definition");
}
