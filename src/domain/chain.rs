//! The audit trail's hash chains: the hash of one audit event, and the Merkle root over the
//! heads of all chains that a signed checkpoint covers. Pure functions; the database and the
//! signing key are elsewhere.

use chrono::NaiveDateTime;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::canonical;

/// The fields of one audit event that its hash covers, as stored.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub id: &'a str,
    pub occurred_at: NaiveDateTime,
    pub actor_id: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub ticket_id: Option<&'a str>,
    pub action: &'a str,
    /// The stored canonical JSON text.
    pub changes: &'a str,
    pub data: &'a str,
    pub chain_seq: i64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 (hex) of an event's fields and the hash of the event before it in its entity's
/// chain (`""` for the first). The input is canonical JSON, so the same event always hashes
/// the same on both backends.
pub fn link_hash(prev_hash: &str, l: &Link<'_>) -> String {
    let v = json!({
        "prev": prev_hash,
        "seq": l.chain_seq,
        "id": l.id,
        "at": l.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        "actor_id": l.actor_id,
        "entity_type": l.entity_type,
        "entity_id": l.entity_id,
        "ticket_id": l.ticket_id,
        "action": l.action,
        "changes": l.changes,
        "data": l.data,
    });
    sha256_hex(canonical(&v).as_bytes())
}

/// One chain's head: entity type, entity id, its last sequence, that event's hash.
pub type Head = (String, String, i64, String);

/// The Merkle root (hex) over chain heads, in their sorted order: leaves are the hashes of
/// `type/id/seq/hash`, pairs are hashed up level by level, an odd last node is carried up.
/// The root of no heads is the hash of nothing.
pub fn merkle_root(heads: &[Head]) -> String {
    let mut sorted: Vec<&Head> = heads.iter().collect();
    sorted.sort();
    let mut level: Vec<Vec<u8>> = sorted
        .iter()
        .map(|(t, id, seq, h)| Sha256::digest(format!("{t}/{id}/{seq}/{h}").as_bytes()).to_vec())
        .collect();
    if level.is_empty() {
        return sha256_hex(b"");
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => {
                    let mut h = Sha256::new();
                    h.update(a);
                    h.update(b);
                    h.finalize().to_vec()
                }
                [a] => a.clone(),
                _ => Vec::new(),
            })
            .collect();
    }
    hex::encode(&level[0])
}

#[cfg(test)]
mod tests;
