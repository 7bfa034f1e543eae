//! The tamper-evident audit trail: chaining events that predate the chains, signed
//! checkpoints over every chain's head, and verification that names the first broken link.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::{App, AppError, AppResult};
use crate::db::models::{AuditEvent, NewAuditCheckpoint};
use crate::db::queries::audit as q;
use crate::db::DbConn;
use crate::domain::chain::{link_hash, merkle_root, Head, Link};
use crate::domain::personal;

const PAGE: i64 = 5000;

fn link(e: &AuditEvent, chain_seq: i64) -> Link<'_> {
    Link {
        id: &e.id,
        occurred_at: e.occurred_at,
        actor_id: e.actor_id.as_deref(),
        entity_type: &e.entity_type,
        entity_id: &e.entity_id,
        ticket_id: e.ticket_id.as_deref(),
        action: &e.action,
        changes: &e.changes,
        data: &e.data,
        chain_seq,
    }
}

/// Gives every event written before the chains existed its place in its entity's chain, in
/// the order they were written. Runs at start, before anything else writes; returns how
/// many events it chained.
pub fn chain_legacy_events(conn: &mut DbConn) -> anyhow::Result<usize> {
    let mut done = 0;
    loop {
        let batch = q::unchained(conn, PAGE)?;
        if batch.is_empty() {
            return Ok(done);
        }
        for e in &batch {
            let head = q::head_of(conn, &e.entity_type, &e.entity_id)?;
            let seq = head.0 + 1;
            let hash = link_hash(&head.1, &link(e, seq));
            q::set_link(conn, e.seq, seq, &head.1, &hash)?;
            done += 1;
        }
    }
}

/// Reads a signing key: 32 bytes as 64 hex characters (what `spbe-desk audit keygen`
/// writes).
pub fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("audit key file {}: {e}", path.display()))?;
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "audit key file {} must hold 64 hex characters (a 32-byte Ed25519 key)",
                path.display()
            )
        })?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// Writes a new signing key to `path` (readable by its owner only) and returns its public
/// half, hex.
pub fn write_new_signing_key(path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    writeln!(f, "{}", hex::encode(key.to_bytes()))?;
    Ok(hex::encode(key.verifying_key().to_bytes()))
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub events: usize,
    pub chains: usize,
    pub checkpoints: usize,
    /// The first broken link, said plainly; None when everything holds.
    pub broken: Option<String>,
}

/// Walks every chain in order, checking sequence, previous hash and hash; calls `head` at
/// the end of each chain. Returns the first broken link.
fn walk(
    conn: &mut DbConn,
    mut head: impl FnMut(Head),
    events: &mut usize,
) -> AppResult<Option<String>> {
    let personal = match personal_digests(conn)? {
        Ok(all) => all,
        Err(broken) => return Ok(Some(broken)),
    };
    let mut after: Option<(String, String, i64)> = None;
    let mut current: Option<(String, String)> = None;
    let mut last: (i64, String) = (0, String::new());
    loop {
        let page = q::chain_page(conn, after.as_ref(), PAGE)?;
        let Some(tail) = page.last() else {
            break;
        };
        after = Some((
            tail.entity_type.clone(),
            tail.entity_id.clone(),
            tail.chain_seq.unwrap_or(i64::MAX),
        ));
        for e in &page {
            *events += 1;
            let entity = (e.entity_type.clone(), e.entity_id.clone());
            if current.as_ref() != Some(&entity) {
                if let Some((t, id)) = current.take() {
                    head((t, id, last.0, std::mem::take(&mut last.1)));
                }
                current = Some(entity);
                last = (0, String::new());
            }
            let name = format!("{} {}", e.entity_type, e.entity_id);
            let (Some(seq), Some(prev), Some(hash)) = (e.chain_seq, &e.prev_hash, &e.hash) else {
                return Ok(Some(format!(
                    "{name}: event {} (global seq {}) has no place in the chain",
                    e.id, e.seq
                )));
            };
            if seq != last.0 + 1 {
                return Ok(Some(format!(
                    "{name}, sequence {}: missing (the next event found is {seq})",
                    last.0 + 1
                )));
            }
            if *prev != last.1 {
                return Ok(Some(format!(
                    "{name}, sequence {seq}: previous hash {prev} differs from the hash of sequence {} ({})",
                    last.0, last.1
                )));
            }
            let computed = link_hash(prev, &link(e, seq));
            if computed != *hash {
                return Ok(Some(format!(
                    "{name}, sequence {seq}: the stored event does not match its hash (stored {hash}, computed {computed}): a field was changed"
                )));
            }
            if let Some(gone) = missing_personal(e, &personal) {
                return Ok(Some(format!(
                    "{name}, sequence {seq}: it refers to personal value {gone}, which is gone from personal_data"
                )));
            }
            last = (seq, hash.clone());
        }
    }
    if let Some((t, id)) = current {
        head((t, id, last.0, last.1));
    }
    Ok(None)
}

/// Every personal value's digest, each checked against its salt and value while it has
/// them (erased ones have neither); Err names the first that does not hold.
fn personal_digests(conn: &mut DbConn) -> AppResult<Result<HashSet<String>, String>> {
    let mut all = HashSet::new();
    let mut after = String::new();
    loop {
        let page = q::personal_page(conn, &after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(Ok(all));
        };
        after = last.digest.clone();
        for p in page {
            let holds = match (&p.salt, &p.value, p.erased_at) {
                (Some(salt), Some(value), None) => {
                    hex::decode(salt).is_ok_and(|salt| personal::digest(&salt, value) == p.digest)
                }
                (None, None, Some(_)) => true,
                _ => false,
            };
            if !holds {
                return Ok(Err(format!(
                    "personal value {} of ticket {}: its value does not match its digest (changed outside the desk)",
                    p.digest, p.ticket_id
                )));
            }
            all.insert(p.digest);
        }
    }
}

/// The first personal value an event refers to that is not in `personal`.
fn missing_personal(e: &AuditEvent, personal: &HashSet<String>) -> Option<String> {
    let mut refs = Vec::new();
    for text in [&e.changes, &e.data] {
        if text.contains(personal::MARK) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
                personal::references(&v, &mut refs);
            }
        }
    }
    refs.into_iter().find(|d| !personal.contains(d))
}

/// Puts the personal values an event refers to back in its text (null once erased), for
/// reading.
pub(crate) fn reveal(e: &mut AuditEvent, personal: &HashMap<String, Option<String>>) {
    for text in [&mut e.changes, &mut e.data] {
        if !text.contains(personal::MARK) {
            continue;
        }
        if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) {
            personal::reveal(&mut v, &|d| personal.get(d).cloned().flatten());
            *text = crate::domain::audit::canonical(&v);
        }
    }
}

impl App {
    /// Signs a checkpoint over the heads of every chain as they are now. The walk reads
    /// every event (time grows with the trail) from one snapshot, and only the checkpoint's
    /// row is written, in a transaction of its own: in a write transaction the walk had
    /// held SQLite's write lock, and every change of the desk waited, for all of it.
    pub fn audit_checkpoint(&self, key: &SigningKey) -> AppResult<(i64, String)> {
        let now = self.now();
        let heads = self.in_snapshot(|conn| {
            let mut heads: Vec<Head> = Vec::new();
            let mut events = 0;
            match walk(conn, |h| heads.push(h), &mut events)? {
                Some(broken) => Err(AppError::Conflict(format!(
                    "the audit trail is broken, so it is not signed: {broken}"
                ))),
                None => Ok(heads),
            }
        })?;
        let root = merkle_root(&heads);
        let signature = key.sign(root.as_bytes());
        let checkpoint = NewAuditCheckpoint {
            created_at: now.naive_utc(),
            heads: serde_json::to_string(&heads).map_err(|e| AppError::Internal(e.into()))?,
            root: root.clone(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
            signature: hex::encode(signature.to_bytes()),
        };
        self.write(|conn| Ok(q::insert_checkpoint(conn, &checkpoint)?))?;
        Ok((heads.len() as i64, root))
    }

    /// Verifies every chain and every checkpoint. Checkpoints are checked against `key` (the
    /// operator's public key, never the one stored beside them) when it is given. One
    /// snapshot: the personal values are read before the events that refer to them, and a
    /// ticket made between the two reads must not look like a broken chain.
    pub fn verify_audit(&self, key: Option<&VerifyingKey>) -> AppResult<AuditReport> {
        self.in_snapshot(|conn| {
            let mut report = AuditReport {
                events: 0,
                chains: 0,
                checkpoints: 0,
                broken: None,
            };
            let mut chains = 0;
            report.broken = walk(conn, |_| chains += 1, &mut report.events)?;
            report.chains = chains;
            if report.broken.is_some() {
                return Ok(report);
            }
            for c in q::checkpoints(conn)? {
                report.checkpoints += 1;
                if let Some(broken) = check_checkpoint(conn, &c, key)? {
                    report.broken = Some(format!("checkpoint {}: {broken}", c.seq));
                    return Ok(report);
                }
            }
            Ok(report)
        })
    }

    /// `f` on one consistent snapshot of the database (`Db::snapshot`), its own errors kept.
    fn in_snapshot<T>(&self, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        let mut out = None;
        self.db
            .snapshot(|conn| {
                out = Some(f(conn));
                Ok(())
            })
            .map_err(|e| match e.downcast::<crate::db::DbError>() {
                Ok(db) => AppError::from(db),
                Err(other) => AppError::Internal(other),
            })?;
        out.unwrap_or_else(|| {
            Err(AppError::Internal(anyhow::anyhow!(
                "the snapshot ran nothing"
            )))
        })
    }
}

fn check_checkpoint(
    conn: &mut DbConn,
    c: &crate::db::models::AuditCheckpoint,
    key: Option<&VerifyingKey>,
) -> AppResult<Option<String>> {
    let heads: Vec<Head> = match serde_json::from_str(&c.heads) {
        Ok(h) => h,
        Err(e) => return Ok(Some(format!("its list of heads is unreadable: {e}"))),
    };
    if merkle_root(&heads) != c.root {
        return Ok(Some("its root does not match its heads".into()));
    }
    let stored_key = hex::decode(&c.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = hex::decode(&c.signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    let Some(signature) = signature else {
        return Ok(Some("its signature is unreadable".into()));
    };
    let Some(verifier) = key.copied().or(stored_key) else {
        return Ok(Some("its public key is unreadable".into()));
    };
    if verifier.verify(c.root.as_bytes(), &signature).is_err() {
        return Ok(Some(
            "its signature does not verify with the configured key".into(),
        ));
    }
    for (t, id, seq, hash) in &heads {
        match q::link_at(conn, t, id, *seq)? {
            Some(Some(h)) if h == *hash => {}
            Some(Some(h)) => {
                return Ok(Some(format!(
                "{t} {id}, sequence {seq}: the chain was rewritten (signed hash {hash}, now {h})"
            )))
            }
            _ => {
                return Ok(Some(format!(
                    "{t} {id}, sequence {seq}: the signed event is gone"
                )))
            }
        }
    }
    Ok(None)
}
