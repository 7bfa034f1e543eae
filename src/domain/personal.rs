//! Personal data in the audit trail. A reporter's name, e-mail and phone, and a participant's
//! name and e-mail, are never written into an audit event's hashed text. The event holds a
//! reference `pii:<digest>` instead, where the digest is SHA-256 over a random salt and the
//! value; salt and value are kept beside the trail (the `personal_data` table). Retention
//! erases salt and value: the event, its hash and the chain stay exactly as they were, and
//! without the salt the digest says nothing about the value it sealed (a phone number cannot
//! be found by trying them all).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The prefix of a reference in an audit event's text.
pub const MARK: &str = "pii:";

/// The fields of a reporter that are personal.
const REPORTER_FIELDS: &[&str] = &["name", "email", "phone"];
/// The audit actions whose `data` names a participant.
const PARTICIPANT_ACTIONS: &[&str] = &["participant_added", "participant_removed"];
const PARTICIPANT_FIELDS: &[&str] = &["name", "email"];

/// SHA-256 (hex) of the salt and the value.
pub fn digest(salt: &[u8], value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(value.as_bytes());
    hex::encode(h.finalize())
}

/// The reference that stands in the trail for a value sealed under `digest`.
pub fn reference(digest: &str) -> String {
    format!("{MARK}{digest}")
}

/// The digest a reference names, when `s` is one.
pub fn referenced(s: &str) -> Option<&str> {
    s.strip_prefix(MARK)
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn seal_fields(obj: &mut Value, fields: &[&str], seal: &mut impl FnMut(&str) -> String) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    for f in fields {
        if let Some(Value::String(s)) = map.get_mut(*f) {
            if referenced(s).is_none() {
                *s = seal(s);
            }
        }
    }
}

/// Replaces every personal value of one ticket audit event (`changes` as
/// `{field: {before, after}}`, and `data`) by what `seal` returns for it: a reference.
pub fn seal(
    action: &str,
    changes: &mut Value,
    data: &mut Value,
    mut seal: impl FnMut(&str) -> String,
) {
    if let Some(reporter) = changes.get_mut("reporter") {
        for side in ["before", "after"] {
            if let Some(v) = reporter.get_mut(side) {
                seal_fields(v, REPORTER_FIELDS, &mut seal);
            }
        }
    }
    if PARTICIPANT_ACTIONS.contains(&action) {
        seal_fields(data, PARTICIPANT_FIELDS, &mut seal);
    }
}

/// Replaces every reference in `v` by what `value` finds for its digest: the value, or
/// null once erased (or when it cannot be found).
pub fn reveal(v: &mut Value, value: &impl Fn(&str) -> Option<String>) {
    match v {
        Value::String(s) => {
            if let Some(d) = referenced(s) {
                *v = value(d).map_or(Value::Null, Value::String);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| reveal(i, value)),
        Value::Object(map) => map.values_mut().for_each(|i| reveal(i, value)),
        _ => {}
    }
}

/// Every digest referenced in `v`.
pub fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(d) = referenced(s) {
                out.push(d.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        Value::Object(map) => map.values().for_each(|i| references(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
