use super::*;
use chrono::NaiveDate;

fn link(data: &str, seq: i64) -> Link<'_> {
    Link {
        id: "e1",
        occurred_at: NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_micro_opt(3, 0, 0, 123_456))
            .expect("instant"),
        actor_id: Some("u1"),
        entity_type: "ticket",
        entity_id: "t1",
        ticket_id: Some("t1"),
        action: "created",
        changes: "{}",
        data,
        chain_seq: seq,
    }
}

#[test]
fn a_link_hash_covers_every_field_and_the_previous_hash() {
    let base = link("{}", 1);
    let h = link_hash("", &base);
    assert_eq!(h.len(), 64);
    assert_eq!(h, link_hash("", &base), "deterministic");
    assert_ne!(h, link_hash("x", &base), "the previous hash counts");
    assert_ne!(h, link_hash("", &link("{\"a\":1}", 1)), "the data counts");
    assert_ne!(h, link_hash("", &link("{}", 2)), "the sequence counts");
    let mut other = base;
    other.actor_id = None;
    assert_ne!(h, link_hash("", &other), "the actor counts");
}

#[test]
fn the_merkle_root_depends_on_every_head_and_not_on_their_order() {
    let heads: Vec<Head> = (0..5)
        .map(|i| ("ticket".into(), format!("t{i}"), i + 1, format!("h{i}")))
        .collect();
    let root = merkle_root(&heads);
    let mut reversed = heads.clone();
    reversed.reverse();
    assert_eq!(root, merkle_root(&reversed));
    for i in 0..heads.len() {
        let mut changed = heads.clone();
        changed[i].3 = "tampered".into();
        assert_ne!(root, merkle_root(&changed), "head {i}");
    }
    assert_ne!(root, merkle_root(&heads[..4]), "a head removed");
    assert_eq!(merkle_root(&[]), merkle_root(&[]));
}
