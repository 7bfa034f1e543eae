//! The audit trail is append-only: this module inserts and reads, and the database refuses
//! UPDATE and DELETE on it (triggers), except for giving rows that predate the hash chains
//! their place in a chain once.

use diesel::prelude::*;

use crate::db::models::{
    AuditCheckpoint, AuditEvent, NewAuditCheckpoint, NewAuditEvent, PersonalData,
};
use crate::db::schema::audit_checkpoints::dsl as ck;
use crate::db::schema::audit_events::dsl as a;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, ev: &NewAuditEvent) -> QueryResult<()> {
    crate::insert_one!(conn, a::audit_events, ev)
}

pub fn for_ticket(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<AuditEvent>> {
    a::audit_events
        .filter(a::ticket_id.eq(ticket_id))
        .order(a::seq.asc())
        .load(conn)
}

pub fn for_entity(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: &str,
) -> QueryResult<Vec<AuditEvent>> {
    a::audit_events
        .filter(a::entity_type.eq(entity_type))
        .filter(a::entity_id.eq(entity_id))
        .order(a::seq.asc())
        .load(conn)
}

/// A page of a ticket's audit trail, oldest first (the position is `seq`).
pub fn page_for_ticket(
    conn: &mut DbConn,
    ticket_id: &str,
    page: &crate::app::PageAt,
) -> QueryResult<Vec<AuditEvent>> {
    let after = page.after.as_ref().map_or(0, |(seq, _)| *seq);
    a::audit_events
        .filter(a::ticket_id.eq(ticket_id))
        .filter(a::seq.gt(after))
        .order(a::seq.asc())
        .limit(page.limit + 1)
        .load(conn)
}

/// A page of one entity's audit trail, oldest first (the position is `seq`).
pub fn page_for_entity(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: &str,
    page: &crate::app::PageAt,
) -> QueryResult<Vec<AuditEvent>> {
    let after = page.after.as_ref().map_or(0, |(seq, _)| *seq);
    a::audit_events
        .filter(a::entity_type.eq(entity_type))
        .filter(a::entity_id.eq(entity_id))
        .filter(a::seq.gt(after))
        .order(a::seq.asc())
        .limit(page.limit + 1)
        .load(conn)
}

/// What one audit row says: who did what to which entity.
pub struct Record<'a> {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub ticket_id: Option<&'a str>,
    pub action: &'a str,
    pub changes: &'a crate::domain::audit::Changes,
    pub data: serde_json::Value,
}

/// The head of an entity's chain: its last sequence and hash.
pub fn head_of(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: &str,
) -> QueryResult<(i64, String)> {
    let h: Option<(Option<i64>, Option<String>)> = a::audit_events
        .filter(a::entity_type.eq(entity_type))
        .filter(a::entity_id.eq(entity_id))
        .filter(a::chain_seq.is_not_null())
        .order(a::chain_seq.desc())
        .select((a::chain_seq, a::hash))
        .first(conn)
        .optional()?;
    Ok(match h {
        Some((Some(seq), Some(hash))) => (seq, hash),
        _ => (0, String::new()),
    })
}

/// Appends one event to its entity's hash chain, in the caller's transaction, and returns
/// its id. Two writers appending to one entity at once cannot both win: the second insert
/// breaks the unique (entity, chain_seq) and its transaction runs again.
pub fn record(conn: &mut DbConn, r: Record<'_>) -> QueryResult<String> {
    let head = head_of(conn, r.entity_type, r.entity_id)?;
    append(conn, r, head)
}

/// Appends several events in order, in the caller's transaction, and returns their ids:
/// the heads of all the entities they name are read together and all rows go in one
/// INSERT (a scheduler batch records the warnings, breaches and escalations of many
/// tickets together).
pub fn record_all(conn: &mut DbConn, records: Vec<Record<'_>>) -> QueryResult<Vec<String>> {
    let mut heads = heads_of_records(conn, &records)?;
    let mut rows: Vec<NewAuditEvent> = Vec::with_capacity(records.len());
    for r in records {
        let key = (r.entity_type.to_string(), r.entity_id.to_string());
        let head = heads.remove(&key).unwrap_or((0, String::new()));
        let row = link(conn, r, head)?;
        heads.insert(
            key,
            (
                row.chain_seq.unwrap_or(0),
                row.hash.clone().unwrap_or_default(),
            ),
        );
        rows.push(row);
    }
    crate::insert_rows!(conn, a::audit_events, &rows)?;
    Ok(rows.into_iter().map(|e| e.id).collect())
}

type Heads = std::collections::HashMap<(String, String), (i64, String)>;

/// The chain heads of every entity `records` name: one statement for one entity, two for
/// each 500 entities of a type otherwise. Entities without events are absent.
fn heads_of_records(conn: &mut DbConn, records: &[Record<'_>]) -> QueryResult<Heads> {
    if records.is_empty() {
        return Ok(Heads::new());
    }
    // A head must see the events kept for the end of a `deferred` write.
    if let DbConn::Pg(c) = conn {
        crate::db::deferred::flush(c)?;
    }
    let mut by_type: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for r in records {
        by_type
            .entry(r.entity_type)
            .or_default()
            .insert(r.entity_id);
    }
    let mut heads = Heads::new();
    for (entity_type, ids) in by_type {
        let ids: Vec<&str> = ids.into_iter().collect();
        if let [id] = ids[..] {
            let head = head_of(conn, entity_type, id)?;
            if head.0 > 0 {
                heads.insert((entity_type.to_string(), id.to_string()), head);
            }
            continue;
        }
        for chunk in ids.chunks(crate::db::INSERT_CHUNK) {
            let last: std::collections::HashMap<String, i64> = a::audit_events
                .filter(a::entity_type.eq(entity_type))
                .filter(a::entity_id.eq_any(chunk))
                .group_by(a::entity_id)
                .select((a::entity_id, diesel::dsl::max(a::chain_seq)))
                .load::<(String, Option<i64>)>(conn)?
                .into_iter()
                .filter_map(|(id, seq)| Some((id, seq?)))
                .collect();
            let seqs: std::collections::BTreeSet<i64> = last.values().copied().collect();
            if seqs.is_empty() {
                continue;
            }
            let at_seqs: Vec<(String, Option<i64>, Option<String>)> = a::audit_events
                .filter(a::entity_type.eq(entity_type))
                .filter(a::entity_id.eq_any(chunk))
                .filter(a::chain_seq.eq_any(seqs))
                .select((a::entity_id, a::chain_seq, a::hash))
                .load(conn)?;
            for (id, seq, hash) in at_seqs {
                if let (Some(seq), Some(hash)) = (seq, hash) {
                    if last.get(&id) == Some(&seq) {
                        heads.insert((entity_type.to_string(), id), (seq, hash));
                    }
                }
            }
        }
    }
    Ok(heads)
}

/// Starts the chain of an entity created in the caller's transaction: it has no events
/// yet, so there is no head to read.
pub fn record_first(conn: &mut DbConn, r: Record<'_>) -> QueryResult<String> {
    append(conn, r, (0, String::new()))
}

fn append(conn: &mut DbConn, r: Record<'_>, head: (i64, String)) -> QueryResult<String> {
    let ev = link(conn, r, head)?;
    insert(conn, &ev)?;
    Ok(ev.id)
}

/// The event `r` as the next link after `head`; its personal values are sealed (inserted
/// into `personal_data`) on the way.
fn link(conn: &mut DbConn, r: Record<'_>, head: (i64, String)) -> QueryResult<NewAuditEvent> {
    use crate::domain::audit::canonical;
    use crate::domain::chain::{link_hash, Link};
    let id = crate::app::new_id();
    let (last, prev_hash) = head;
    let occurred_at = r.at.naive_utc();
    let mut changes = r.changes.to_value();
    let mut data = r.data;
    if let Some(ticket_id) = r.ticket_id {
        seal_personal(
            conn,
            ticket_id,
            r.action,
            &mut changes,
            &mut data,
            occurred_at,
        )?;
    }
    let changes = canonical(&changes);
    let data = canonical(&data);
    let chain_seq = last + 1;
    let hash = link_hash(
        &prev_hash,
        &Link {
            id: &id,
            occurred_at,
            actor_id: r.actor_id,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            ticket_id: r.ticket_id,
            action: r.action,
            changes: &changes,
            data: &data,
            chain_seq,
        },
    );
    Ok(NewAuditEvent {
        id,
        occurred_at,
        actor_id: r.actor_id.map(str::to_string),
        entity_type: r.entity_type.to_string(),
        entity_id: r.entity_id.to_string(),
        ticket_id: r.ticket_id.map(str::to_string),
        action: r.action.to_string(),
        changes,
        data,
        chain_seq: Some(chain_seq),
        prev_hash: Some(prev_hash),
        hash: Some(hash),
    })
}

/// Moves the personal values of one ticket event into `personal_data`, leaving references
/// in the event (see `domain::personal`).
fn seal_personal(
    conn: &mut DbConn,
    ticket_id: &str,
    action: &str,
    changes: &mut serde_json::Value,
    data: &mut serde_json::Value,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    use crate::domain::personal;
    let mut sealed = Vec::new();
    personal::seal(action, changes, data, |value| {
        let salt: [u8; 16] = rand::random();
        let digest = personal::digest(&salt, value);
        sealed.push(PersonalData {
            digest: digest.clone(),
            ticket_id: ticket_id.to_string(),
            salt: Some(hex::encode(salt)),
            value: Some(value.to_string()),
            created_at: at,
            erased_at: None,
        });
        personal::reference(&digest)
    });
    crate::insert_rows!(conn, crate::db::schema::personal_data::table, &sealed).map(|_| ())
}

/// The personal values of one ticket, by digest: the value, or None once erased.
pub fn personal_of(
    conn: &mut DbConn,
    ticket_id: &str,
) -> QueryResult<std::collections::HashMap<String, Option<String>>> {
    use crate::db::schema::personal_data::dsl as p;
    Ok(p::personal_data
        .filter(p::ticket_id.eq(ticket_id))
        .select((p::digest, p::value))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .collect())
}

/// Every personal value, `limit` rows after the digest `after` (for verification).
pub fn personal_page(conn: &mut DbConn, after: &str, limit: i64) -> QueryResult<Vec<PersonalData>> {
    use crate::db::schema::personal_data::dsl as p;
    p::personal_data
        .filter(p::digest.gt(after))
        .order(p::digest.asc())
        .limit(limit)
        .select(PersonalData::as_select())
        .load(conn)
}

/// Erases salt and value of a ticket's personal values; returns how many it erased.
pub fn erase_personal(
    conn: &mut DbConn,
    ticket_id: &str,
    at: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::personal_data::dsl as p;
    diesel::update(
        p::personal_data
            .filter(p::ticket_id.eq(ticket_id))
            .filter(p::erased_at.is_null()),
    )
    .set((
        p::salt.eq(None::<String>),
        p::value.eq(None::<String>),
        p::erased_at.eq(Some(at)),
    ))
    .execute(conn)
}

/// Every event of every chain in chain order, one entity after another (for verification
/// and checkpoints), `limit` rows after `after` (entity type, entity id, chain sequence).
pub fn chain_page(
    conn: &mut DbConn,
    after: Option<&(String, String, i64)>,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let mut q = a::audit_events.into_boxed();
    if let Some((t, id, seq)) = after {
        q = q.filter(
            a::entity_type
                .gt(t.clone())
                .or(a::entity_type.eq(t.clone()).and(
                    a::entity_id
                        .gt(id.clone())
                        .or(a::entity_id.eq(id.clone()).and(a::chain_seq.gt(*seq))),
                )),
        );
    }
    q.order((a::entity_type.asc(), a::entity_id.asc(), a::chain_seq.asc()))
        .limit(limit)
        .load(conn)
}

/// Events that predate the chains, oldest first.
pub fn unchained(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<AuditEvent>> {
    a::audit_events
        .filter(a::hash.is_null())
        .order(a::seq.asc())
        .limit(limit)
        .load(conn)
}

/// Gives an event that predates the chains its place in its entity's chain (the one UPDATE
/// the database allows on this table: on a row whose hash is still null).
pub fn set_link(
    conn: &mut DbConn,
    seq: i64,
    chain_seq: i64,
    prev_hash: &str,
    hash: &str,
) -> QueryResult<()> {
    diesel::update(a::audit_events.find(seq).filter(a::hash.is_null()))
        .set((
            a::chain_seq.eq(chain_seq),
            a::prev_hash.eq(prev_hash),
            a::hash.eq(hash),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_checkpoint(conn: &mut DbConn, c: &NewAuditCheckpoint) -> QueryResult<()> {
    diesel::insert_into(ck::audit_checkpoints)
        .values(c)
        .execute(conn)
        .map(|_| ())
}

pub fn checkpoints(conn: &mut DbConn) -> QueryResult<Vec<AuditCheckpoint>> {
    ck::audit_checkpoints.order(ck::seq.asc()).load(conn)
}

/// The stored hash of one event of a chain.
pub fn link_at(
    conn: &mut DbConn,
    entity_type: &str,
    entity_id: &str,
    chain_seq: i64,
) -> QueryResult<Option<Option<String>>> {
    a::audit_events
        .filter(a::entity_type.eq(entity_type))
        .filter(a::entity_id.eq(entity_id))
        .filter(a::chain_seq.eq(chain_seq))
        .select(a::hash)
        .first(conn)
        .optional()
}

/// Records the creation of a (non-ticket) entity: every field of `after` goes from null.
pub fn created(
    conn: &mut DbConn,
    at: chrono::DateTime<chrono::Utc>,
    actor_id: Option<&str>,
    entity_type: &str,
    entity_id: &str,
    after: &serde_json::Value,
    ignore: &[&str],
) -> QueryResult<()> {
    let changes = crate::domain::audit::Changes::diff(&serde_json::Value::Null, after, ignore);
    record_first(
        conn,
        Record {
            at,
            actor_id,
            entity_type,
            entity_id,
            ticket_id: None,
            action: "created",
            changes: &changes,
            data: serde_json::json!({}),
        },
    )
    .map(|_| ())
}
