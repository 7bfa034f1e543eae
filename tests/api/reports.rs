//! The Tim Koordinasi report: a November of tickets with outcomes worked out by hand
//! (breaches, escalations both ways, overlapping outages, a PD and a Unit Kerja without a
//! technician, a ticket opened in October and resolved in November, a restricted one),
//! every figure asserted in JSON, CSV and XLSX (read back with calamine), and an ended month
//! that answers the same bytes after its tickets change.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn wita(m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Makassar
        .with_ymd_and_hms(2026, m, d, h, mi, 0)
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

struct Raw {
    status: u16,
    headers: HashMap<String, String>,
    bytes: Vec<u8>,
}

async fn fetch(app: &TestApp, path: &str, who: &str) -> Raw {
    let mut r = app
        .client
        .get(format!("{}{}", app.base, path))
        .insert_header(("Authorization", format!("Bearer {}", app.token(who))))
        .send()
        .await
        .expect("sent");
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let bytes = r.body().limit(64 << 20).await.expect("body").to_vec();
    Raw {
        status: r.status().as_u16(),
        headers,
        bytes,
    }
}

async fn create(app: &TestApp, who: &str, body: Value) -> String {
    let t = app.create_ticket(who, body).await;
    t["id"].as_str().expect("id").to_string()
}

async fn act(app: &TestApp, id: &str, action: &str, who: &str, body: Value) {
    let r = app.action(id, action, who, body).await;
    assert!(r.status.is_success(), "{action}: {}", r.body);
}

async fn version(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/tickets/{id}"), "SUPERVISOR")
        .await
        .expect(200)["version"]
        .clone()
}

/// Builds the month. Returns the ticket ids by letter.
async fn november(app: &TestApp) -> HashMap<&'static str, String> {
    let mut ids = HashMap::new();
    let simpus = app.service_id("SIMPUS").await;
    let siak = app.service_id("SIAK").await;
    let epajak = app.service_id("E-PAJAK").await;
    let operator = app.user_id("OPERATOR").await;

    // F: opened Friday 30 October 15:00, resolved Monday 2 November 08:00: 120 business
    // minutes (15:00-16:30 and 07:30-08:00), met.
    app.clock.set(wita(10, 30, 15, 0));
    let f = create(
        app,
        "TECH_DINKES",
        json!({"service_id": simpus, "impact": "medium", "urgency": "medium"}),
    )
    .await;
    act(app, &f, "acknowledge", "TECH_DINKES", json!({})).await;
    app.clock.set(wita(11, 2, 8, 0));
    act(
        app,
        &f,
        "resolve",
        "TECH_DINKES",
        json!({"resolution": "Kabel jaringan diganti"}),
    )
    .await;
    ids.insert("F", f);

    // Monday 23 November.
    app.clock.set(wita(11, 23, 11, 0));
    // A: high incident on SIAK, outage 10:00-12:30, acknowledged 11:10, resolved 13:00 at
    // Tier 1: 60 business minutes, met.
    let a = create(
        app,
        "TECH_DUKCAPIL",
        json!({"service_id": siak, "impact": "high", "urgency": "medium",
        "outage": {"start": wita(11, 23, 10, 0)}}),
    )
    .await;
    app.clock.set(wita(11, 23, 11, 1));
    // B: critical incident on SIAK, outage 11:00-14:00, never acknowledged: response
    // breached 11:16, escalated automatically by the 13:05 tick (its window ran out at
    // 13:01), resolution breached Tuesday 07:31 and the OLA (180 minutes from 13:05) at
    // 07:35, resolved by Tier 2 Tuesday 09:00: 329 business minutes, 265 of them at Tier 2.
    let b = create(
        app,
        "TECH_DUKCAPIL",
        json!({"service_id": siak, "impact": "high", "urgency": "high",
        "outage": {"start": wita(11, 23, 11, 0)}}),
    )
    .await;
    app.clock.set(wita(11, 23, 11, 2));
    // C: medium request on SIAK, escalated by hand 11:30, resolved by Tier 2 at 14:00: 118
    // business minutes, 90 of them at Tier 2; both met.
    let c = create(
        app,
        "TECH_DUKCAPIL",
        json!({"service_id": siak, "kind": "request", "impact": "medium", "urgency": "medium"}),
    )
    .await;
    app.clock.set(wita(11, 23, 11, 5));
    act(app, &c, "acknowledge", "TECH_DUKCAPIL", json!({})).await;
    // E: a restricted incident on SIMPUS, cancelled at once.
    let e = create(
        app,
        "TECH_DINKES",
        json!({"service_id": simpus, "classification": "restricted", "title": "Rahasia pasien"}),
    )
    .await;
    app.clock.set(wita(11, 23, 11, 6));
    act(
        app,
        &e,
        "cancel",
        "TECH_DINKES",
        json!({"reason": "Salah lapor"}),
    )
    .await;
    // D: a low request at BAPENDA, acknowledged, still open when the month ends.
    app.clock.set(wita(11, 23, 11, 7));
    let d = create(
        app,
        "TECH_BAPENDA",
        json!({"service_id": epajak, "kind": "request", "impact": "low", "urgency": "low"}),
    )
    .await;
    act(app, &d, "acknowledge", "TECH_BAPENDA", json!({})).await;
    app.clock.set(wita(11, 23, 11, 10));
    act(app, &a, "acknowledge", "TECH_DUKCAPIL", json!({})).await;
    app.clock.set(wita(11, 23, 11, 20));
    app.tick().await;
    app.clock.set(wita(11, 23, 11, 30));
    act(
        app,
        &c,
        "escalate",
        "TECH_DUKCAPIL",
        json!({"reason": "Butuh akses basis data pusat"}),
    )
    .await;
    app.clock.set(wita(11, 23, 12, 30));
    let v = version(app, &a).await;
    app.patch(&format!("/api/v1/tickets/{a}"), "TECH_DUKCAPIL",
        json!({"version": v, "outage": {"start": wita(11, 23, 10, 0), "end": wita(11, 23, 12, 30)}}))
        .await
        .expect(200);
    app.clock.set(wita(11, 23, 13, 0));
    act(
        app,
        &a,
        "resolve",
        "TECH_DUKCAPIL",
        json!({"resolution": "Layanan dipulihkan"}),
    )
    .await;
    app.clock.set(wita(11, 23, 13, 5));
    app.tick().await;
    app.clock.set(wita(11, 23, 14, 0));
    let v = version(app, &b).await;
    app.patch(
        &format!("/api/v1/tickets/{b}"),
        "OPERATOR",
        json!({"version": v, "outage": {"start": wita(11, 23, 11, 0), "end": wita(11, 23, 14, 0)}}),
    )
    .await
    .expect(200);
    act(
        app,
        &c,
        "assign",
        "OPERATOR",
        json!({"assignee_id": operator}),
    )
    .await;
    act(
        app,
        &c,
        "resolve",
        "OPERATOR",
        json!({"resolution": "Akses diberikan"}),
    )
    .await;
    // Tuesday 24 November.
    app.clock.set(wita(11, 24, 7, 40));
    app.tick().await;
    app.clock.set(wita(11, 24, 9, 0));
    act(
        app,
        &b,
        "assign",
        "OPERATOR",
        json!({"assignee_id": operator}),
    )
    .await;
    act(app, &b, "acknowledge", "OPERATOR", json!({})).await;
    act(
        app,
        &b,
        "resolve",
        "OPERATOR",
        json!({"resolution": "Server basis data dipulihkan"}),
    )
    .await;
    // The Tim Koordinasi's letter about SIAK.
    app.post(&format!("/api/v1/services/{siak}/sanctions"), "COORDINATOR",
        json!({"level": "warning", "letter_number": "800/21/TK-SPBE/XI/2026", "issued_on": "2026-11-24", "report_month": "2026-10", "reason": "Insiden kritis SIAK melewati SLA"}))
        .await
        .expect(201);
    for (k, v) in [("A", a), ("B", b), ("C", c), ("D", d), ("E", e)] {
        ids.insert(k, v);
    }
    ids
}

fn by_code<'a>(rows: &'a Value, code: &str) -> &'a Value {
    rows.as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {rows}"))
}

const FINDINGS: [(&str, &str); 6] = [
    ("no_technician", "PKM-KASSI"),
    ("pd_sla_below_threshold", "DISDUKCAPIL"),
    ("no_technician", "INSPEKTORAT"),
    ("below_availability_target", "SIAK"),
    ("incident_sla_missed", "SIAK"),
    ("sop_incomplete", "SIAK"),
];

fn check_json(r: &Value) {
    assert_eq!(r["report"]["period"], "2026-11");
    assert_eq!(r["report"]["frozen"], true);
    assert_eq!(r["report"]["timezone"], "Asia/Makassar");
    assert_eq!(r["report"]["start"], "2026-10-31T16:00:00Z");
    let t = &r["totals"];
    assert_eq!(
        (
            t["opened"].as_u64(),
            t["resolved"].as_u64(),
            t["escalated"].as_u64()
        ),
        (Some(5), Some(4), Some(2))
    );
    assert_eq!(t["sla"], json!({"met": 3, "missed": 1}));
    assert_eq!(t["sla_met_percent"], 75.0);
    assert_eq!(t["backlog_at_end"], 1);
    assert_eq!(t["tickets_on_sheet"], 6);

    let dukcapil = by_code(&r["pds"], "DISDUKCAPIL");
    let expect = json!({
        "opened": 3, "resolved": 3, "resolved_at_tier1": 1, "escalated_manual": 1,
        "escalated_automatic": 1, "response_breaches": 1, "resolution_breaches": 1,
        "sla": {"met": 2, "missed": 1}, "sla_met_percent": 66.67,
        "median_resolution_minutes": 118.0, "p90_resolution_minutes": 329.0,
        "backlog_at_end": 0, "technicians": 2, "without_technician": [],
    });
    for (k, v) in expect.as_object().expect("object") {
        assert_eq!(&dukcapil[k], v, "DISDUKCAPIL {k}");
    }
    let dinkes = by_code(&r["pds"], "DINKES");
    for (k, v) in
        json!({"opened": 1, "resolved": 1, "resolved_at_tier1": 1, "sla_met_percent": 100.0,
        "median_resolution_minutes": 120.0, "backlog_at_end": 0, "technicians": 1,
        "without_technician": ["PKM-KASSI"]})
        .as_object()
        .expect("object")
    {
        assert_eq!(&dinkes[k], v, "DINKES {k}");
    }
    let bapenda = by_code(&r["pds"], "BAPENDA");
    assert_eq!(
        (
            bapenda["opened"].as_u64(),
            bapenda["backlog_at_end"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(bapenda["sla_met_percent"], Value::Null);
    assert_eq!(
        by_code(&r["pds"], "INSPEKTORAT")["without_technician"],
        json!(["INSPEKTORAT"])
    );
    assert_eq!(
        r["pds"].as_array().map(Vec::len),
        Some(6),
        "six PDs; the Unit Kerja counts within DINKES"
    );

    let t2 = &r["tier2"];
    for (k, v) in json!({"escalations_received": 2, "escalated_manual": 1, "escalated_automatic": 1,
        "ola": {"met": 1, "missed": 1}, "ola_met_percent": 50.0, "resolved": 2,
        "median_resolution_minutes": 177.5, "p90_resolution_minutes": 265.0})
    .as_object()
    .expect("object")
    {
        assert_eq!(&t2[k], v, "tier2 {k}");
    }

    let siak = by_code(&r["services"], "SIAK");
    assert_eq!(r["services"][0]["code"], "SIAK", "critical services first");
    let month = 30.0 * 24.0 * 60.0;
    let availability = ((month - 240.0) * 100.0 / month * 100.0_f64).round() / 100.0;
    for (k, v) in
        json!({"incidents": 2, "downtime_minutes": 240.0, "availability_percent": availability,
        "availability_target_percent": 99.5, "meets_availability_target": false,
        "recommended_sanction": "closure", "sop_missing": ["customer_relations"]})
        .as_object()
        .expect("object")
    {
        assert_eq!(&siak[k], v, "SIAK {k}");
    }
    let c = &siak["critical"];
    assert_eq!(c["fulfilment"], json!({"met": 1, "missed": 0}));
    assert_eq!(c["fulfilment_met_percent"], 100.0);
    assert_eq!(
        c["incident_resolution_met_percent"],
        json!({"critical": 0.0, "high": 100.0})
    );
    assert_eq!(c["incident_resolution_missed"], true);
    assert_eq!(
        siak["sanctions"][0]["letter_number"],
        "800/21/TK-SPBE/XI/2026"
    );
    let simpus = by_code(&r["services"], "SIMPUS");
    assert_eq!(
        (
            simpus["incidents"].as_u64(),
            simpus["meets_availability_target"].as_bool()
        ),
        (Some(1), Some(true))
    );
    assert_eq!(simpus["critical"], Value::Null);

    let found: Vec<(&str, &str)> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or(""),
                f["subject"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(found, FINDINGS);
    assert_eq!(r["sanctions"].as_array().map(Vec::len), Some(1));
}

fn check_tickets(rows: &[Value], ids: &HashMap<&str, String>, numbers: &HashMap<String, String>) {
    let by_letter = |l: &str| {
        let n = &numbers[&ids[l]];
        rows.iter()
            .find(|r| r["number"] == n.as_str())
            .unwrap_or_else(|| panic!("ticket {l} ({n}) is not on the sheet"))
    };
    assert_eq!(rows.len(), 6);
    let b = by_letter("B");
    assert_eq!(b["escalation_mode"], "automatic");
    assert_eq!(
        b["escalated_at"],
        json!(wita(11, 23, 13, 5)),
        "at the tick that found the window run out"
    );
    assert_eq!(b["response_breached"], true);
    assert_eq!(b["resolution_breached"], true);
    assert_eq!(b["resolution_met"], false);
    assert_eq!(b["resolution_minutes"], 329.0);
    assert_eq!(b["tier2_met"], false);
    assert_eq!(b["tier2_minutes"], 265.0);
    assert_eq!(b["outage_minutes"], 180.0);
    assert_eq!(b["resolution_due_at"], json!(wita(11, 24, 7, 31)));
    let c = by_letter("C");
    assert_eq!(
        (
            c["resolution_minutes"].as_f64(),
            c["tier2_minutes"].as_f64()
        ),
        (Some(118.0), Some(90.0))
    );
    assert_eq!(c["escalation_mode"], "manual");
    let f = by_letter("F");
    assert_eq!(
        (
            f["opened"].as_bool(),
            f["resolved"].as_bool(),
            f["resolution_minutes"].as_f64()
        ),
        (Some(false), Some(true), Some(120.0))
    );
    let e = by_letter("E");
    assert_eq!(
        e["title"],
        Value::Null,
        "a restricted ticket's title never leaves"
    );
    assert_eq!(e["classification"], "restricted");
    assert_eq!(by_letter("D")["open_at_end"], true);
    assert_eq!(by_letter("A")["resolved_at_tier1"], true);
}

fn csv_rows(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().expect("header row").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn xlsx_sheets(bytes: &[u8]) -> HashMap<String, Vec<Vec<calamine::Data>>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("sheet");
            (name, range.rows().map(<[calamine::Data]>::to_vec).collect())
        })
        .collect()
}

fn cell(row: &[calamine::Data], i: usize) -> String {
    row.get(i).map(ToString::to_string).unwrap_or_default()
}

#[actix_web::test]
async fn a_month_with_known_outcomes_in_every_format_frozen_once_ended() {
    let app = spawn_app().await;
    let ids = november(&app).await;
    let mut numbers = HashMap::new();
    for id in ids.values() {
        let t = app
            .get(&format!("/api/v1/tickets/{id}"), "SUPERVISOR")
            .await
            .expect(200);
        numbers.insert(
            id.clone(),
            t["number"].as_str().expect("number").to_string(),
        );
    }
    // While November runs, it is computed on each request.
    let live = fetch(&app, "/api/v1/reports/monthly/2026-11", "SUPERVISOR").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.headers["x-report-frozen"], "false");

    // The audit trail's signed checkpoint goes into the report (data-safety issue).
    let a = app.state.app.clone();
    let (_, root) = tokio::task::spawn_blocking(move || {
        a.audit_checkpoint(&ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]))
    })
    .await
    .expect("join")
    .expect("checkpoint");

    // December: November has ended.
    app.clock.set(wita(12, 1, 9, 0));
    for who in ["TECH_DUKCAPIL", "OPERATOR", "ADMIN"] {
        app.get("/api/v1/reports/monthly/2026-11", who)
            .await
            .problem(403);
    }
    for bad in ["2026-13", "11-2026"] {
        app.get(&format!("/api/v1/reports/monthly/{bad}"), "COORDINATOR")
            .await
            .problem(422);
    }
    // A year is not a month, and a month that has not begun has no report yet.
    for missing in ["2026", "2027-01"] {
        app.get(&format!("/api/v1/reports/monthly/{missing}"), "COORDINATOR")
            .await
            .problem(404);
    }
    app.get("/api/v1/reports/monthly/2026-11?format=pdf", "COORDINATOR")
        .await
        .problem(400);
    // JSON holds every sheet: `sheet` changes nothing there.
    let whole = app
        .get("/api/v1/reports/monthly/2026-11?format=json", "COORDINATOR")
        .await
        .expect(200);
    let with_sheet = app
        .get(
            "/api/v1/reports/monthly/2026-11?format=json&sheet=pds",
            "COORDINATOR",
        )
        .await
        .expect(200);
    assert_eq!(whole, with_sheet);

    let json_raw = fetch(
        &app,
        "/api/v1/reports/monthly/2026-11?format=json",
        "COORDINATOR",
    )
    .await;
    assert_eq!(json_raw.status, 200);
    assert_eq!(json_raw.headers["x-report-frozen"], "true");
    let doc: Value = serde_json::from_slice(&json_raw.bytes).expect("json");
    check_json(&doc);
    assert_eq!(doc["report"]["audit_checkpoint"]["root"], root.as_str());
    check_tickets(doc["tickets"].as_array().expect("tickets"), &ids, &numbers);

    // CSV: the same figures, sheet by sheet.
    let pds = csv_rows(
        &fetch(
            &app,
            "/api/v1/reports/monthly/2026-11?format=csv&sheet=pds",
            "AUDITOR",
        )
        .await
        .bytes,
    );
    let d = pds
        .iter()
        .find(|r| r["code"] == "DISDUKCAPIL")
        .expect("row");
    for (k, v) in [
        ("opened", "3"),
        ("resolved", "3"),
        ("resolved_at_tier1", "1"),
        ("escalated_manual", "1"),
        ("escalated_automatic", "1"),
        ("response_breaches", "1"),
        ("resolution_breaches", "1"),
        ("sla_met", "2"),
        ("sla_missed", "1"),
        ("sla_met_percent", "66.67"),
        ("median_resolution_minutes", "118.0"),
        ("p90_resolution_minutes", "329.0"),
        ("backlog_at_end", "0"),
        ("technicians", "2"),
    ] {
        assert_eq!(d[k], v, "csv DISDUKCAPIL {k}");
    }
    let dinkes = pds.iter().find(|r| r["code"] == "DINKES").expect("row");
    assert_eq!(dinkes["without_technician"], "PKM-KASSI");
    let services = csv_rows(
        &fetch(
            &app,
            "/api/v1/reports/monthly/2026-11?format=csv&sheet=services",
            "AUDITOR",
        )
        .await
        .bytes,
    );
    let siak = services.iter().find(|r| r["code"] == "SIAK").expect("row");
    for (k, v) in [
        ("downtime_minutes", "240.0"),
        ("meets_availability_target", "false"),
        ("incident_met_percent_critical", "0.0"),
        ("incident_met_percent_high", "100.0"),
        ("fulfilment_met_percent", "100.0"),
        ("recommended_sanction", "closure"),
        ("sanctions", "1"),
    ] {
        assert_eq!(siak[k], v, "csv SIAK {k}");
    }
    let tier2 = csv_rows(
        &fetch(
            &app,
            "/api/v1/reports/monthly/2026-11?format=csv&sheet=tier2",
            "AUDITOR",
        )
        .await
        .bytes,
    );
    assert_eq!(
        (
            tier2[0]["ola_met_percent"].as_str(),
            tier2[0]["median_resolution_minutes"].as_str()
        ),
        ("50.0", "177.5")
    );
    let findings = csv_rows(
        &fetch(
            &app,
            "/api/v1/reports/monthly/2026-11?format=csv&sheet=findings",
            "AUDITOR",
        )
        .await
        .bytes,
    );
    let kinds: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["kind"].as_str(), f["subject"].as_str()))
        .collect();
    assert_eq!(kinds, FINDINGS);
    let tickets = csv_rows(
        &fetch(
            &app,
            "/api/v1/reports/monthly/2026-11?format=csv&sheet=tickets",
            "AUDITOR",
        )
        .await
        .bytes,
    );
    assert_eq!(tickets.len(), 6);
    let b = tickets
        .iter()
        .find(|r| r["number"] == numbers[&ids["B"]])
        .expect("B");
    assert_eq!(
        b["escalated_at"], "2026-11-23T13:05:00+08:00",
        "times in WITA with their offset"
    );
    assert_eq!(
        (b["resolution_minutes"].as_str(), b["tier2_met"].as_str()),
        ("329.0", "false")
    );
    let e = tickets
        .iter()
        .find(|r| r["number"] == numbers[&ids["E"]])
        .expect("E");
    assert_eq!(e["title"], "");

    // XLSX, read back by an independent reader.
    let x = fetch(
        &app,
        "/api/v1/reports/monthly/2026-11?format=xlsx",
        "COORDINATOR",
    )
    .await;
    assert_eq!(
        x.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let sheets = xlsx_sheets(&x.bytes);
    let mut names: Vec<&String> = sheets.keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Layanan",
            "Perangkat Daerah",
            "Ringkasan",
            "Sanksi",
            "Temuan",
            "Tier 2",
            "Tiket"
        ]
    );
    let pd = &sheets["Perangkat Daerah"];
    assert_eq!(cell(&pd[0], 0), "Kode PD");
    let d = pd
        .iter()
        .find(|r| cell(r, 0) == "DISDUKCAPIL")
        .expect("row");
    let nums: Vec<String> = (2..16).map(|i| cell(d, i)).collect();
    assert_eq!(
        nums,
        ["3", "3", "1", "1", "1", "1", "1", "2", "1", "66.67", "118", "329", "0", "2"]
    );
    let l = &sheets["Layanan"];
    assert_eq!(cell(&l[1], 0), "SIAK");
    assert_eq!(
        (cell(&l[1], 6), cell(&l[1], 9), cell(&l[1], 16)),
        ("240".into(), "tidak".into(), "closure".into())
    );
    assert_eq!(cell(&sheets["Tier 2"][1], 5), "50");
    let temuan: Vec<(String, String)> = sheets["Temuan"][1..]
        .iter()
        .map(|r| (cell(r, 0), cell(r, 1)))
        .collect();
    assert_eq!(
        temuan,
        FINDINGS.map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(sheets["Tiket"].len(), 7, "header and six tickets");
    let tb = sheets["Tiket"]
        .iter()
        .find(|r| cell(r, 0) == numbers[&ids["B"]])
        .expect("B");
    assert!(
        matches!(tb[14], calamine::Data::DateTime(_)),
        "a date cell: {:?}",
        tb[14]
    );
    assert_eq!(cell(tb, 20), "329");
    let ringkasan = &sheets["Ringkasan"];
    assert!(ringkasan
        .iter()
        .any(|r| cell(r, 0) == "sla_met_percent" && cell(r, 1) == "75"));

    // Frozen: after tickets of November change, the same bytes and checksum.
    let d_id = &ids["D"];
    let v = version(&app, d_id).await;
    app.patch(
        &format!("/api/v1/tickets/{d_id}"),
        "TECH_BAPENDA",
        json!({"version": v, "priority": "critical"}),
    )
    .await
    .expect(200);
    // Critical now, its Tier 1 window long gone: escalated at once, in December.
    let d = app
        .get(&format!("/api/v1/tickets/{d_id}"), "SUPERVISOR")
        .await
        .expect(200);
    assert_eq!(d["tier"], 2);
    for (path, before) in [("?format=json", &json_raw), ("?format=xlsx", &x)] {
        let again = fetch(
            &app,
            &format!("/api/v1/reports/monthly/2026-11{path}"),
            "AUDITOR",
        )
        .await;
        assert_eq!(again.bytes, before.bytes, "{path} changed");
        assert_eq!(
            again.headers["x-content-sha256"],
            before.headers["x-content-sha256"]
        );
        assert_eq!(
            again.headers["etag"],
            format!("\"{}\"", before.headers["x-content-sha256"])
        );
    }
    // The manifest lists every stored format, and a copy is recognised by its hash.
    let manifest = app
        .get("/api/v1/reports/monthly/2026-11/manifest", "AUDITOR")
        .await
        .expect(200);
    let formats: Vec<&str> = manifest
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["format"].as_str())
        .collect();
    assert_eq!(formats.len(), 9, "{formats:?}");
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&x.bytes));
    assert_eq!(sha, x.headers["x-content-sha256"]);
    let a = app.state.app.clone();
    let found = tokio::task::spawn_blocking(move || a.identify_report(&sha))
        .await
        .expect("join")
        .expect("identify");
    assert_eq!(
        (found[0].period.as_str(), found[0].format.as_str()),
        ("2026-11", "xlsx")
    );
    let mut flipped = x.bytes.clone();
    flipped[100] ^= 1;
    let sha = hex::encode(sha2::Sha256::digest(&flipped));
    let a = app.state.app.clone();
    let found = tokio::task::spawn_blocking(move || a.identify_report(&sha))
        .await
        .expect("join")
        .expect("identify");
    assert!(found.is_empty());

    // The start-of-month run mails November to the Tim Koordinasi with the XLSX attached,
    // once however often it runs.
    let a = app.state.app.clone();
    let mailed = tokio::task::spawn_blocking(move || {
        let first = a.monthly_reports().expect("monthly run");
        let again = a.monthly_reports().expect("monthly run again");
        (first, again)
    })
    .await
    .expect("join");
    assert_eq!(mailed, (Some("2026-11".to_string()), None));
    assert!(app.send_mail().await.sent >= 1);
    let dir = app.state.app.settings.mail.file_dir.clone();
    let emls: Vec<String> = std::fs::read_dir(&dir)
        .expect("mail dir")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|m| m.contains("laporan-spbe-2026-11.xlsx"))
        .collect();
    assert_eq!(emls.len(), 1);
    let eml = &emls[0];
    assert!(eml.contains("timkoor-spbe@makassarkota.go.id"), "{eml}");
    assert!(eml.contains("Laporan Service Desk SPBE 2026-11"));
    assert!(eml.contains("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert!(
        eml.contains(&x.headers["x-content-sha256"]),
        "the mail quotes the XLSX's checksum"
    );

    // The yearly roll-up of 2026 is still running: computed, with October's ticket too.
    let y = fetch(
        &app,
        "/api/v1/reports/yearly/2026?format=json",
        "SUPERVISOR",
    )
    .await;
    assert_eq!(y.headers["x-report-frozen"], "false");
    let y: Value = serde_json::from_slice(&y.bytes).expect("json");
    assert_eq!(y["totals"]["opened"], 6);
}

#[actix_web::test]
async fn concurrent_first_requests_of_an_ended_month_store_it_once() {
    let app = spawn_app().await;
    let siak = app.service_id("SIAK").await;
    app.clock.set(wita(11, 23, 9, 0));
    for n in 0..5 {
        create(
            &app,
            "TECH_DUKCAPIL",
            json!({"service_id": siak, "title": format!("Gangguan {n}")}),
        )
        .await;
    }
    app.clock.set(wita(12, 1, 9, 0));
    let mut clients = Vec::new();
    for (i, who) in [
        "COORDINATOR",
        "SUPERVISOR",
        "AUDITOR",
        "COORDINATOR",
        "SUPERVISOR",
        "AUDITOR",
    ]
    .into_iter()
    .enumerate()
    {
        let (base, token) = (app.base.clone(), app.token(who).to_string());
        let format = if i % 2 == 0 { "xlsx" } else { "json" };
        clients.push(actix_web::rt::spawn(async move {
            let mut r = awc::Client::default()
                .get(format!(
                    "{base}/api/v1/reports/monthly/2026-11?format={format}"
                ))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .send()
                .await
                .expect("sent");
            let sha = r
                .headers()
                .get("x-content-sha256")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = r.body().limit(64 << 20).await.expect("body").to_vec();
            (format, r.status().as_u16(), sha, body)
        }));
    }
    let mut seen: HashMap<&str, (String, Vec<u8>)> = HashMap::new();
    for c in clients {
        let (format, status, sha, body) = c.await.expect("client");
        assert_eq!(status, 200);
        if let Some((first_sha, first_body)) = seen.get(format) {
            assert_eq!(
                (first_sha, first_body),
                (&sha, &body),
                "{format}: every answer is the stored copy"
            );
        } else {
            seen.insert(format, (sha, body));
        }
    }
    let manifest = app
        .get("/api/v1/reports/monthly/2026-11/manifest", "AUDITOR")
        .await
        .expect(200);
    assert_eq!(
        manifest.as_array().map(Vec::len),
        Some(9),
        "one stored set: {manifest}"
    );
}
