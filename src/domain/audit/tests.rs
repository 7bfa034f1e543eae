use super::*;
use serde_json::json;

#[test]
fn diff_records_only_what_changed() {
    let b = json!({"status": "new", "title": "A", "version": 1});
    let a = json!({"status": "in_progress", "title": "A", "version": 2});
    let c = Changes::diff(&b, &a, &["version"]);
    assert_eq!(
        c.to_value(),
        json!({"status": {"before": "new", "after": "in_progress"}})
    );
}

#[test]
fn creation_is_a_diff_from_null() {
    let c = Changes::diff(&Value::Null, &json!({"title": "A", "x": null}), &[]);
    assert_eq!(c.fields().collect::<Vec<_>>(), ["title"]);
}

#[test]
fn canonical_text_sorts_keys() {
    let v = json!({"b": 1, "a": {"d": 2, "c": 3}});
    assert_eq!(canonical(&v), r#"{"a":{"c":3,"d":2},"b":1}"#);
}
