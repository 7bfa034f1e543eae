//! What an audit event says changed. Serialised canonically (keys sorted, no whitespace), so
//! a later hash chain over rows is stable across backends and releases.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// `{field: {"before": .., "after": ..}}` for each field that differs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes(BTreeMap<String, (Value, Value)>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, field: &str, before: Value, after: Value) {
        if before != after {
            self.0.insert(field.to_string(), (before, after));
        }
    }

    /// Field-by-field difference of two JSON objects, skipping `ignore`d keys. A `before`
    /// of `Value::Null` records a creation: every present field goes from null.
    pub fn diff(before: &Value, after: &Value, ignore: &[&str]) -> Self {
        let empty = Map::new();
        let b = before.as_object().unwrap_or(&empty);
        let a = after.as_object().unwrap_or(&empty);
        let mut c = Changes::new();
        for key in b.keys().chain(a.keys()) {
            if ignore.contains(&key.as_str()) || c.0.contains_key(key) {
                continue;
            }
            let bv = b.get(key).cloned().unwrap_or(Value::Null);
            let av = a.get(key).cloned().unwrap_or(Value::Null);
            c.set(key, bv, av);
        }
        c
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        for (k, (b, a)) in &self.0 {
            let mut pair = Map::new();
            pair.insert("after".into(), a.clone());
            pair.insert("before".into(), b.clone());
            m.insert(k.clone(), Value::Object(pair));
        }
        Value::Object(m)
    }
}

/// The canonical text of a JSON value: serde_json's default map is ordered by key, and
/// `to_string` adds no whitespace.
pub fn canonical(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests;
