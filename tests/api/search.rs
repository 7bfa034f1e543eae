//! `q` over many tickets. SQLite reads a search one of three ways (`db::queries::tickets`):
//! the rowids of a text few tickets contain, a walk of each scope branch in page order for
//! a text many contain, and the full match where a walk finds the branch holds few of the
//! many. Every page must be the unsearched list, filtered by the text: the same tickets in
//! the same order, whichever way was read.

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// The columns of `tickets`; a copy takes every one from the original except those below.
const COLUMNS: &str = "id, number, organization_id, reporter_organization_id, service_id, kind, impact, urgency, priority, priority_overridden, status, tier, assignee_id, title, description, classification, reporter_name, reporter_email, reporter_phone, reported_at, created_by, created_at, updated_at, first_response_at, resolved_at, resolution, closed_at, cancelled_at, escalation_mode, escalation_reason, escalated_at, escalated_by, outage_start, outage_end, version, sla_policy_id, sla_policy_version, sla_calendar_id, sla_calendar_version, sla_breached, pending_since, pending_reason, sla_next_at, sla_lease_owner, sla_lease_until, anonymised_at, sla_due_at";

/// Inserts `count` copies of ticket `id` straight into the table, titled by `title` (an SQL
/// expression over the copy's number `n`). Copy `n` is `count - n + 1` minutes older than
/// the original, so rowids follow creation order as the daemon's own inserts do; or, when
/// `scattered`, `(n * 7919) % count + 1` minutes: a permutation, so that rowid order is not
/// creation order (as after a restore of an archive that kept tickets in id order).
async fn copies(app: &TestApp, id: &str, count: u32, title: &str, scattered: bool) {
    let pg = app.db_url.starts_with("postgres");
    let older = if scattered {
        format!("((seq.n * 7919) % {count} + 1)")
    } else {
        format!("({count} - seq.n + 1)")
    };
    let created = if pg {
        format!("t.created_at - {older} * interval '1 minute'")
    } else {
        format!("datetime(t.created_at, '-' || {older} || ' minutes')")
    };
    let values: Vec<String> = COLUMNS
        .split(", ")
        .map(|c| match c {
            "id" => "t.id || '-' || seq.n".to_string(),
            "number" => "'C' || seq.n || '-' || t.number".to_string(),
            "title" => title.to_string(),
            "created_at" | "updated_at" => created.clone(),
            c => format!("t.{c}"),
        })
        .collect();
    let statement = format!(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) \
         INSERT INTO tickets ({COLUMNS}) SELECT {} FROM tickets t, seq WHERE t.id = '{id}'",
        values.join(", ")
    );
    let db = app.state.app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        c.batch_execute(&statement).expect("copies");
        // Rows written behind the daemon's back are indexed as its own commits index theirs.
        spbe_desk::db::queries::tickets::index_pending_search(&mut c).expect("index");
    })
    .await
    .expect("join");
}

fn numbers(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|t| t["number"].as_str().map(str::to_string))
        .collect()
}

/// The unsearched list's tickets whose title, description or number contain `text`,
/// whatever its case, in list order.
fn containing(all: &[Value], text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    let has = |t: &Value, f: &str| {
        t[f].as_str()
            .is_some_and(|s| s.to_lowercase().contains(&text))
    };
    numbers(
        &all.iter()
            .filter(|t| has(t, "title") || has(t, "description") || has(t, "number"))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

#[actix_web::test]
async fn a_search_pages_exactly_as_the_unsearched_list_filtered_by_its_text() {
    let app = spawn_app().await;
    let dinkes = app
        .create_ticket("TECH_DINKES", json!({"title": "Printer ruang rapat"}))
        .await;
    let dukcapil = app
        .create_ticket(
            "TECH_DUKCAPIL",
            json!({"title": "Jaringan lambat", "description": "Koneksi putus"}),
        )
        .await;
    // "printer" in more tickets than a search reads as rowids (2,000), nearly all of them
    // Dinkes', in creation order (a walk checks them in rowid ranges); the Dukcapil
    // technician's branch holds 30 of them among 30,000 scattered tickets (a walk falls
    // back to the full match).
    copies(
        &app,
        dinkes["id"].as_str().expect("id"),
        2_500,
        "'Printer macet ' || seq.n",
        false,
    )
    .await;
    copies(
        &app,
        dukcapil["id"].as_str().expect("id"),
        30_000,
        "CASE WHEN seq.n % 1000 = 0 THEN 'Printer rusak ' || seq.n \
         ELSE 'Jaringan lambat ' || seq.n END",
        true,
    )
    .await;

    for (who, filter) in [
        ("SUPERVISOR", ""),
        ("TECH_DUKCAPIL", ""),
        ("TECH_DINKES", "&status=new"),
    ] {
        let all = app
            .pages(&format!("/api/v1/tickets?limit=200{filter}"), who)
            .await;
        for text in ["printer", "PRINTER RUSAK", "macet 24", "zzqxv"] {
            let q = text.replace(' ', "%20");
            let found = app
                .pages(&format!("/api/v1/tickets?limit=200{filter}&q={q}"), who)
                .await;
            let expected = containing(&all, text);
            assert_eq!(
                numbers(&found),
                expected,
                "{who} q={text}{filter}: {} found, {} expected",
                found.len(),
                expected.len()
            );
        }
    }
    // The sizes above are what makes each way of reading run; check they hold.
    let supervisor = app
        .pages("/api/v1/tickets?limit=200&q=printer", "SUPERVISOR")
        .await;
    assert!(supervisor.len() > 2_500, "{}", supervisor.len());
    let technician = app
        .pages("/api/v1/tickets?limit=200&q=printer", "TECH_DUKCAPIL")
        .await;
    assert!(
        (30..100).contains(&technician.len()),
        "{}",
        technician.len()
    );
}
