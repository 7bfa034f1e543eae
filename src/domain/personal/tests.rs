use serde_json::{json, Value};

use super::*;

fn sealer() -> impl FnMut(&str) -> String {
    |v: &str| reference(&digest(b"salt", v))
}

#[test]
fn a_reporter_is_sealed_on_both_sides_and_nothing_else_is() {
    let mut changes = json!({
        "reporter": {
            "before": {"name": "Andi", "email": "andi@example.org", "phone": null},
            "after": {"name": "Budi", "email": null, "phone": "+62811"}
        },
        "title": {"before": "a", "after": "b"}
    });
    let mut data = json!({"name": "stays"});
    seal("updated", &mut changes, &mut data, sealer());
    let text = changes.to_string();
    for personal in ["Andi", "andi@example.org", "Budi", "+62811"] {
        assert!(!text.contains(personal), "{personal} left in {text}");
    }
    assert_eq!(changes["title"]["after"], "b");
    assert_eq!(changes["reporter"]["before"]["phone"], Value::Null);
    assert_eq!(data["name"], "stays", "only participant actions seal data");
    assert_eq!(
        changes["reporter"]["after"]["name"],
        json!(reference(&digest(b"salt", "Budi")))
    );
}

#[test]
fn participant_actions_seal_name_and_email_in_data() {
    let mut changes = json!({});
    let mut data = json!({"participant_id": "p1", "email": "kepala@pd.go.id", "name": "Kepala"});
    seal("participant_added", &mut changes, &mut data, sealer());
    assert_eq!(data["participant_id"], "p1");
    assert!(referenced(data["email"].as_str().expect("sealed")).is_some());
    assert!(referenced(data["name"].as_str().expect("sealed")).is_some());
}

#[test]
fn reveal_puts_values_back_or_null_once_erased() {
    let kept = digest(b"a", "Andi");
    let erased = digest(b"b", "0812");
    let mut v = json!({"r": {"after": {"name": reference(&kept), "phone": reference(&erased), "x": "pii:short"}}});
    let mut found = Vec::new();
    references(&v, &mut found);
    assert_eq!(found, [kept.clone(), erased.clone()]);
    reveal(&mut v, &|d: &str| (d == kept).then(|| "Andi".to_string()));
    assert_eq!(
        v,
        json!({"r": {"after": {"name": "Andi", "phone": null, "x": "pii:short"}}})
    );
}

#[test]
fn the_digest_depends_on_the_salt() {
    assert_ne!(digest(b"one", "0812"), digest(b"two", "0812"));
    assert_eq!(digest(b"one", "0812"), digest(b"one", "0812"));
    assert_eq!(digest(b"", "").len(), 64);
}
