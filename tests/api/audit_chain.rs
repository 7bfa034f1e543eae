//! The tamper-evident audit trail: the database refuses UPDATE and DELETE on it; with the
//! triggers dropped, an edited or deleted row is named by verification; a consistent rewrite
//! of a whole chain is caught by the signed checkpoint.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp};
use spbe_desk::app::audit::AuditReport;
use spbe_desk::db::schema::audit_events as ae;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

async fn verify(app: &TestApp, key: Option<SigningKey>) -> AuditReport {
    let a = app.state.app.clone();
    tokio::task::spawn_blocking(move || {
        let public = key.map(|k| k.verifying_key());
        a.verify_audit(public.as_ref()).expect("verify")
    })
    .await
    .expect("join")
}

async fn sql(app: &TestApp, statement: &str) -> Result<(), String> {
    let (db, s) = (app.state.app.db.clone(), statement.to_string());
    tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        c.batch_execute(&s).map_err(|e| e.to_string())
    })
    .await
    .expect("join")
}

/// `spbe-desk audit verify` on the test's database: (success, what it printed).
fn verify_command(app: &TestApp) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spbe-desk"))
        .env_remove("SPBE_DESK_CONFIG")
        .env("SPBE_DESK_LOG__LEVEL", "warn")
        .env("SPBE_DESK_DATABASE__URL", &app.db_url)
        .current_dir(std::env::temp_dir())
        .args(["audit", "verify"])
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn drop_triggers(app: &TestApp) {
    let statement = if app.db_url.starts_with("postgres") {
        "DROP TRIGGER audit_events_append_only ON audit_events"
    } else {
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete"
    };
    sql(app, statement).await.expect("drop triggers");
}

/// A ticket with a few events: created, acknowledged, commented.
async fn ticket_with_history(app: &TestApp) -> String {
    let t = app.create_ticket("TECH_DUKCAPIL", json!({})).await;
    let id = t["id"].as_str().expect("id").to_string();
    app.action(&id, "acknowledge", "TECH_DUKCAPIL", json!({}))
        .await
        .expect(200);
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        "TECH_DUKCAPIL",
        json!({"body": "Sudah dicek", "visibility": "internal"}),
    )
    .await
    .expect(201);
    id
}

#[actix_web::test]
async fn an_edited_or_deleted_audit_row_is_named_by_verification() {
    let app = spawn_app().await;
    let id = ticket_with_history(&app).await;
    let intact = verify(&app, None).await;
    assert_eq!(intact.broken, None, "{intact:?}");
    assert!(intact.events >= 3 && intact.chains >= 1, "{intact:?}");
    let (ok, text) = verify_command(&app);
    assert!(ok && text.contains("audit trail intact"), "{text}");

    // The database itself refuses to change history.
    let update = format!("UPDATE audit_events SET data = '{{}}' WHERE ticket_id = '{id}'");
    let refused = sql(&app, &update).await.expect_err("UPDATE refused");
    assert!(refused.contains("append-only"), "{refused}");
    let delete = format!("DELETE FROM audit_events WHERE ticket_id = '{id}'");
    assert!(sql(&app, &delete).await.is_err(), "DELETE refused");

    // Someone with the power to drop the triggers edits the acknowledgement (sequence 2).
    drop_triggers(&app).await;
    sql(&app, &format!("UPDATE audit_events SET action = 'commented' WHERE entity_id = '{id}' AND chain_seq = 2"))
        .await
        .expect("tamper");
    let broken = verify(&app, None).await.broken.expect("caught");
    assert!(
        broken.contains(&format!("ticket {id}, sequence 2")),
        "{broken}"
    );
    assert!(broken.contains("does not match its hash"), "{broken}");
    let (ok, text) = verify_command(&app);
    assert!(
        !ok && text.contains(&format!("ticket {id}, sequence 2")),
        "{text}"
    );
    sql(&app, &format!("UPDATE audit_events SET action = 'acknowledged' WHERE entity_id = '{id}' AND chain_seq = 2"))
        .await
        .expect("restore");
    assert_eq!(verify(&app, None).await.broken, None, "restored exactly");

    // A deleted event leaves a gap that is named.
    sql(
        &app,
        &format!("DELETE FROM audit_events WHERE entity_id = '{id}' AND chain_seq = 2"),
    )
    .await
    .expect("delete");
    let broken = verify(&app, None).await.broken.expect("caught");
    assert!(
        broken.contains(&format!("ticket {id}, sequence 2: missing")),
        "{broken}"
    );
}

#[actix_web::test]
async fn a_consistent_rewrite_of_a_whole_chain_is_caught_by_the_signed_checkpoint() {
    let app = spawn_app().await;
    let id = ticket_with_history(&app).await;
    let a = app.state.app.clone();
    let (heads, _root) = tokio::task::spawn_blocking(move || a.audit_checkpoint(&key()))
        .await
        .expect("join")
        .expect("checkpoint");
    assert!(heads >= 1);
    let ok = verify(&app, Some(key())).await;
    assert_eq!((ok.broken.as_deref(), ok.checkpoints), (None, 1), "{ok:?}");
    // A checkpoint is checked against the operator's key, not the one stored beside it.
    let other = SigningKey::from_bytes(&[9u8; 32]);
    let wrong = verify(&app, Some(other)).await.broken.expect("wrong key");
    assert!(wrong.contains("signature does not verify"), "{wrong}");

    // Rewrite the ticket's whole chain consistently, hashes and all, from a copy of the code.
    drop_triggers(&app).await;
    let (db, tid) = (app.state.app.db.clone(), id.clone());
    tokio::task::spawn_blocking(move || {
        use spbe_desk::domain::chain::{link_hash, Link};
        let mut c = db.conn().expect("conn");
        let rows: Vec<spbe_desk::db::models::AuditEvent> = ae::table
            .filter(ae::entity_id.eq(&tid))
            .order(ae::chain_seq.asc())
            .load(&mut **c)
            .expect("rows");
        let mut prev = String::new();
        for r in rows {
            let seq = r.chain_seq.expect("chained");
            let data = "{\"forged\":true}".to_string();
            let hash = link_hash(
                &prev,
                &Link {
                    id: &r.id,
                    occurred_at: r.occurred_at,
                    actor_id: r.actor_id.as_deref(),
                    entity_type: &r.entity_type,
                    entity_id: &r.entity_id,
                    ticket_id: r.ticket_id.as_deref(),
                    action: &r.action,
                    changes: &r.changes,
                    data: &data,
                    chain_seq: seq,
                },
            );
            diesel::update(ae::table.filter(ae::seq.eq(r.seq)))
                .set((
                    ae::data.eq(&data),
                    ae::prev_hash.eq(&prev),
                    ae::hash.eq(&hash),
                ))
                .execute(&mut **c)
                .expect("rewrite");
            prev = hash;
        }
    })
    .await
    .expect("join");
    // The chains alone look fine; the signed checkpoint does not.
    let unsigned = verify(&app, None).await;
    assert!(
        unsigned
            .broken
            .as_deref()
            .is_some_and(|b| b.contains("checkpoint 1")),
        "{unsigned:?}"
    );
    let broken = verify(&app, Some(key())).await.broken.expect("caught");
    assert!(
        broken.contains("checkpoint 1") && broken.contains(&id) && broken.contains("rewritten"),
        "{broken}"
    );
}
