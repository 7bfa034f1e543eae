//! Backup and restore: a portable, versioned archive of every table, taken from one
//! consistent snapshot of either backend, with a SHA-256 manifest; restored into an empty
//! database of either backend (a city moves from SQLite to PostgreSQL this way).
//!
//! The archive is JSON Lines: a header line, one line per row (`{"t": table, "r": row}`),
//! tables in an order that respects their foreign keys and rows in a fixed order, and a
//! manifest line last: per table the row count and the SHA-256 of its lines, and the
//! SHA-256 of everything before the manifest. The same data gives the same table hashes
//! whichever backend it was read from. A flipped byte, a truncated file or a foreign one is
//! refused, and a restore that fails leaves the target database as it was.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::models::*;
use crate::db::schema;
use crate::db::{Db, DbConn};

pub const FORMAT: u32 = 1;
const MAGIC: &str = "spbe_desk_backup";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSum {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub tables: Vec<TableSum>,
    /// SHA-256 of every line before the manifest (header included).
    pub archive_sha256: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    spbe_desk_backup: u32,
    created_at: chrono::DateTime<chrono::Utc>,
    backend: String,
}

#[derive(Deserialize)]
struct Line {
    t: String,
    r: serde_json::Value,
}

#[derive(Deserialize)]
struct ManifestLine {
    manifest: Manifest,
}

/// Every table, parents before children.
const TABLES: &[&str] = &[
    "organizations",
    "users",
    "api_tokens",
    "calendars",
    "calendar_versions",
    "sla_policies",
    "sla_policy_versions",
    "services",
    "ticket_counters",
    "tickets",
    "personal_data",
    "ticket_comments",
    "idempotency_keys",
    "sla_targets",
    "sla_events",
    "audit_events",
    "audit_checkpoints",
    "ticket_participants",
    "outbox",
    "sanctions",
    "reports",
    "report_chunks",
];

fn rows_json<T: Serialize>(rows: Vec<T>) -> anyhow::Result<Vec<String>> {
    let mut out = rows
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()?;
    // A fixed order that does not depend on the backend's collation.
    out.sort();
    Ok(out)
}

/// One table's rows as JSON, in archive order.
fn dump_table(conn: &mut DbConn, table: &str) -> anyhow::Result<Vec<String>> {
    use schema::*;
    Ok(match table {
        "organizations" => {
            let rows = organizations::table
                .select(Organization::as_select())
                .load(conn)?;
            // Parents first: a Unit Kerja refers to its PD.
            let (top, units): (Vec<_>, Vec<_>) =
                rows.into_iter().partition(|o| o.parent_id.is_none());
            let mut out = rows_json(top)?;
            out.extend(rows_json(units)?);
            out
        }
        "users" => rows_json(users::table.select(User::as_select()).load(conn)?)?,
        "api_tokens" => rows_json(api_tokens::table.select(ApiToken::as_select()).load(conn)?)?,
        "calendars" => rows_json(
            calendars::table
                .select(CalendarRow::as_select())
                .load(conn)?,
        )?,
        "calendar_versions" => rows_json(
            calendar_versions::table
                .select(CalendarVersion::as_select())
                .load(conn)?,
        )?,
        "sla_policies" => rows_json(
            sla_policies::table
                .select(PolicyRow::as_select())
                .load(conn)?,
        )?,
        "sla_policy_versions" => rows_json(
            sla_policy_versions::table
                .select(PolicyVersion::as_select())
                .load(conn)?,
        )?,
        "services" => rows_json(services::table.select(Service::as_select()).load(conn)?)?,
        "ticket_counters" => rows_json(
            ticket_counters::table
                .select(TicketCounter::as_select())
                .load(conn)?,
        )?,
        "tickets" => {
            // Oldest first, so that a restore gives SQLite rowids in creation order, as the
            // daemon's own inserts do: a search walks a page's rowid range (see
            // `db::queries::tickets`), which would otherwise span the whole table.
            let mut rows = tickets::table.select(Ticket::as_select()).load(conn)?;
            rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            rows.iter()
                .map(serde_json::to_string)
                .collect::<Result<Vec<_>, _>>()?
        }
        "personal_data" => rows_json(
            personal_data::table
                .select(PersonalData::as_select())
                .load(conn)?,
        )?,
        "ticket_comments" => rows_json(
            ticket_comments::table
                .select(Comment::as_select())
                .load(conn)?,
        )?,
        "idempotency_keys" => rows_json(
            idempotency_keys::table
                .select(IdempotencyKey::as_select())
                .load(conn)?,
        )?,
        "sla_targets" => rows_json(
            sla_targets::table
                .select(TargetRow::as_select())
                .load(conn)?,
        )?,
        "sla_events" => rows_json(
            sla_events::table
                .select(SlaEventRow::as_select())
                .load(conn)?,
        )?,
        "audit_events" => rows_json(
            audit_events::table
                .select(AuditEvent::as_select())
                .load(conn)?,
        )?,
        "audit_checkpoints" => rows_json(
            audit_checkpoints::table
                .select(AuditCheckpoint::as_select())
                .load(conn)?,
        )?,
        "ticket_participants" => rows_json(
            ticket_participants::table
                .select(Participant::as_select())
                .load(conn)?,
        )?,
        "outbox" => rows_json(crate::db::queries::outbox::all(conn)?)?,
        "sanctions" => rows_json(sanctions::table.select(Sanction::as_select()).load(conn)?)?,
        "reports" => rows_json(
            reports::table
                .select(StoredReport::as_select())
                .load(conn)?,
        )?,
        "report_chunks" => rows_json(
            report_chunks::table
                .select(ReportChunk::as_select())
                .load(conn)?,
        )?,
        other => anyhow::bail!("no table {other}"),
    })
}

/// Inserts one archived row into its table.
fn restore_row(conn: &mut DbConn, table: &str, row: serde_json::Value) -> anyhow::Result<()> {
    use schema::*;
    macro_rules! put {
        ($t:ident, $m:ty) => {{
            let r: $m = serde_json::from_value(row)
                .map_err(|e| anyhow::anyhow!("a row of {table} is not readable: {e}"))?;
            diesel::insert_into($t::table).values(&r).execute(conn)?;
        }};
    }
    match table {
        "organizations" => put!(organizations, Organization),
        "users" => put!(users, User),
        "api_tokens" => put!(api_tokens, ApiToken),
        "calendars" => put!(calendars, CalendarRow),
        "calendar_versions" => put!(calendar_versions, CalendarVersion),
        "sla_policies" => put!(sla_policies, PolicyRow),
        "sla_policy_versions" => put!(sla_policy_versions, PolicyVersion),
        "services" => put!(services, Service),
        "ticket_counters" => put!(ticket_counters, TicketCounter),
        "tickets" => put!(tickets, Ticket),
        "personal_data" => put!(personal_data, PersonalData),
        "ticket_comments" => put!(ticket_comments, Comment),
        "idempotency_keys" => put!(idempotency_keys, IdempotencyKey),
        "sla_targets" => put!(sla_targets, TargetRow),
        "sla_events" => put!(sla_events, SlaEventRow),
        "audit_events" => put!(audit_events, AuditEvent),
        "audit_checkpoints" => put!(audit_checkpoints, AuditCheckpoint),
        "ticket_participants" => put!(ticket_participants, Participant),
        "outbox" => {
            let r: OutboxRow = serde_json::from_value(row)
                .map_err(|e| anyhow::anyhow!("a row of {table} is not readable: {e}"))?;
            crate::db::queries::outbox::restore(conn, &r)?;
        }
        "sanctions" => put!(sanctions, Sanction),
        "reports" => put!(reports, StoredReport),
        "report_chunks" => put!(report_chunks, ReportChunk),
        other => anyhow::bail!("the archive names an unknown table {other:?}"),
    }
    Ok(())
}

/// Writes one line and adds it to the archive's hash.
fn put(w: &mut BufWriter<std::fs::File>, all: &mut Sha256, line: &str) -> anyhow::Result<()> {
    all.update(line.as_bytes());
    all.update(b"\n");
    w.write_all(line.as_bytes())?;
    w.write_all(b"\n")?;
    Ok(())
}

fn hex_sum(h: Sha256) -> String {
    hex::encode(h.finalize())
}

/// Writes a backup of `db` to `out` from one consistent snapshot; `progress` is told how
/// many rows are written. Returns the manifest.
pub fn write_archive(
    db: &Db,
    out: &Path,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Manifest> {
    let backend = match db.backend() {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    let tmp = out.with_extension("partial");
    let file = std::fs::File::create(&tmp)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", tmp.display()))?;
    let mut w = BufWriter::new(file);
    let mut all = Sha256::new();
    let header = serde_json::to_string(&Header {
        spbe_desk_backup: FORMAT,
        created_at: chrono::Utc::now(),
        backend: backend.into(),
    })?;
    put(&mut w, &mut all, &header)?;
    let mut written = 0u64;
    let tables = db.snapshot(|conn| {
        let mut sums = Vec::new();
        for table in TABLES {
            let mut h = Sha256::new();
            let rows = dump_table(conn, table)?;
            for r in &rows {
                let line = format!("{{\"t\":\"{table}\",\"r\":{r}}}");
                h.update(line.as_bytes());
                h.update(b"\n");
                put(&mut w, &mut all, &line)?;
                written += 1;
                progress(written);
            }
            sums.push(TableSum {
                table: (*table).to_string(),
                rows: rows.len() as u64,
                sha256: hex_sum(h),
            });
        }
        Ok(sums)
    })?;
    let manifest = Manifest {
        format: FORMAT,
        tables,
        archive_sha256: hex_sum(all),
    };
    writeln!(w, "{}", serde_json::json!({ "manifest": manifest }))?;
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", tmp.display()))?
        .sync_all()?;
    // The archive appears whole or not at all.
    std::fs::rename(&tmp, out)?;
    Ok(manifest)
}

/// Whether the database holds nothing yet. Every row of every other table hangs off one of
/// these, and counting them costs nothing on a full database.
fn empty(conn: &mut DbConn) -> anyhow::Result<bool> {
    use schema::*;
    let rows: i64 = organizations::table.count().get_result::<i64>(conn)?
        + calendars::table.count().get_result::<i64>(conn)?
        + audit_events::table.count().get_result::<i64>(conn)?
        + ticket_counters::table.count().get_result::<i64>(conn)?;
    Ok(rows == 0)
}

/// Restores an archive into the empty database `db`, in one transaction: a damaged, cut or
/// foreign archive is refused and the database stays empty. Returns the archive's manifest.
pub fn restore_archive(
    db: &Db,
    from: &Path,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Manifest> {
    let file = std::fs::File::open(from)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", from.display()))?;
    let mut lines = BufReader::new(file).lines();
    let refuse = |why: String| anyhow::anyhow!("{} is refused: {why}", from.display());
    let first = lines
        .next()
        .transpose()
        .map_err(|e| refuse(format!("unreadable ({e})")))?
        .ok_or_else(|| refuse("it is empty".into()))?;
    let header: Header = serde_json::from_str(&first)
        .ok()
        .filter(|_| first.contains(MAGIC))
        .ok_or_else(|| refuse("it is not an spbe-desk backup".into()))?;
    if header.spbe_desk_backup != FORMAT {
        return Err(refuse(format!(
            "it is backup format {}, this program reads format {FORMAT}",
            header.spbe_desk_backup
        )));
    }
    let mut conn = db.conn()?;
    (*conn).transaction(|conn| {
        if !empty(conn)? {
            anyhow::bail!("the target database is not empty; restore only into an empty one");
        }
        let mut all = Sha256::new();
        all.update(first.as_bytes());
        all.update(b"\n");
        let mut sums: BTreeMap<String, (u64, Sha256)> = BTreeMap::new();
        let mut done = 0u64;
        let mut manifest = None;
        for line in lines {
            let line = line.map_err(|e| refuse(format!("unreadable ({e})")))?;
            if manifest.is_some() {
                return Err(refuse("there is data after its manifest".into()));
            }
            if line.starts_with("{\"manifest\"") {
                let m: ManifestLine = serde_json::from_str(&line)
                    .map_err(|e| refuse(format!("its manifest is damaged ({e})")))?;
                manifest = Some(m.manifest);
                continue;
            }
            all.update(line.as_bytes());
            all.update(b"\n");
            let row: Line = serde_json::from_str(&line)
                .map_err(|e| refuse(format!("line {} is damaged ({e})", done + 2)))?;
            let entry = sums
                .entry(row.t.clone())
                .or_insert_with(|| (0, Sha256::new()));
            entry.0 += 1;
            entry.1.update(line.as_bytes());
            entry.1.update(b"\n");
            restore_row(conn, &row.t, row.r).map_err(|e| refuse(e.to_string()))?;
            done += 1;
            progress(done);
        }
        let manifest = manifest.ok_or_else(|| refuse("it is cut short (no manifest)".into()))?;
        let got = hex_sum(all);
        if got != manifest.archive_sha256 {
            return Err(refuse(format!(
                "its content does not match its manifest (SHA-256 {got}, manifest says {})",
                manifest.archive_sha256
            )));
        }
        for t in &manifest.tables {
            let (rows, sum) = sums
                .remove(&t.table)
                .map(|(n, h)| (n, hex_sum(h)))
                .unwrap_or((0, hex_sum(Sha256::new())));
            if rows != t.rows || sum != t.sha256 {
                return Err(refuse(format!(
                    "table {} does not match its manifest ({rows} rows read, {} listed)",
                    t.table, t.rows
                )));
            }
        }
        if let Some(extra) = sums.keys().next() {
            return Err(refuse(format!("table {extra} is not in its manifest")));
        }
        Db::reset_serials(conn)?;
        crate::db::queries::tickets::index_pending_search(conn)?;
        Ok(manifest)
    })
}

/// Restores `from` into a scratch SQLite database, backs that up again, and checks that
/// the two manifests list the same tables, rows and hashes. Returns the archive's manifest.
pub fn verify_archive(from: &Path, scratch_dir: &Path) -> anyhow::Result<Manifest> {
    let name = format!("spbe-desk-verify-{}", uuid::Uuid::new_v4().simple());
    let db_path = scratch_dir.join(format!("{name}.db"));
    let again = scratch_dir.join(format!("{name}.backup"));
    let result = (|| {
        let url = format!("sqlite://{}", db_path.display());
        let db = Db::connect(&url, 2, std::time::Duration::from_secs(10))?;
        let original = restore_archive(&db, from, |_| {})?;
        let copy = write_archive(&db, &again, |_| {})?;
        if copy.tables != original.tables {
            anyhow::bail!("the restored copy differs from the archive");
        }
        Ok(original)
    })();
    for p in [
        db_path.clone(),
        db_path.with_extension("db-wal"),
        db_path.with_extension("db-shm"),
        again,
    ] {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// An archive in a backup directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub path: std::path::PathBuf,
    pub bytes: u64,
    /// From the archive's header; None when it is not a readable backup.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the file ends with a manifest (a cut file does not).
    pub complete: bool,
}

const EXTENSION: &str = "spbe";

/// The archives in `dir`, oldest first.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != EXTENSION) {
            continue;
        }
        let bytes = std::fs::metadata(&path)?.len();
        let text = std::fs::File::open(&path).map(BufReader::new)?;
        let mut first = String::new();
        let mut last = String::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.unwrap_or_default();
            if i == 0 {
                first = line.clone();
            }
            last = line;
        }
        let created_at = serde_json::from_str::<Header>(&first)
            .ok()
            .map(|h| h.created_at);
        out.push(Listed {
            path,
            bytes,
            created_at,
            complete: serde_json::from_str::<ManifestLine>(&last).is_ok(),
        });
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.path.cmp(&b.path)));
    Ok(out)
}

/// Keeps the newest `keep` archives in `dir` and removes the rest; returns what it removed.
fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let all = list(dir)?;
    let excess = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for old in all.into_iter().take(excess) {
        std::fs::remove_file(&old.path)?;
        removed.push(old.path);
    }
    Ok(removed)
}

/// One scheduled backup: an archive named by its time into `settings.dir`, a copy into
/// `settings.offsite_dir` when set, and old ones pruned to `settings.keep` in each.
pub fn scheduled(
    db: &Db,
    settings: &crate::config::BackupSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<std::path::PathBuf> {
    std::fs::create_dir_all(&settings.dir)
        .map_err(|e| anyhow::anyhow!("backup.dir {}: {e}", settings.dir.display()))?;
    let name = format!("spbe-desk-{}.{EXTENSION}", now.format("%Y%m%d-%H%M%S"));
    let path = settings.dir.join(&name);
    write_archive(db, &path, |_| {})?;
    if settings.verify {
        verify_archive(&path, &settings.dir).map_err(|e| {
            anyhow::anyhow!("{} was written but does not restore: {e}", path.display())
        })?;
    }
    prune(&settings.dir, settings.keep)?;
    if !settings.offsite_dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&settings.offsite_dir).map_err(|e| {
            anyhow::anyhow!("backup.offsite_dir {}: {e}", settings.offsite_dir.display())
        })?;
        // Copied under a temporary name, so the off-site directory never holds half a file.
        let tmp = settings.offsite_dir.join(format!("{name}.partial"));
        std::fs::copy(&path, &tmp)?;
        std::fs::rename(&tmp, settings.offsite_dir.join(&name))?;
        prune(&settings.offsite_dir, settings.keep)?;
    }
    Ok(path)
}

/// Hours between scheduled backups now: `critical_every_hours` while any service is
/// designated critical, else `every_hours` (whichever is shorter wins, so a misconfigured
/// critical cadence never slows backups down).
pub fn cadence_hours(db: &Db, settings: &crate::config::BackupSettings) -> anyhow::Result<u64> {
    use schema::services::dsl as s;
    let mut conn = db.conn()?;
    let critical: i64 = s::services
        .filter(s::criticality.eq(crate::domain::Criticality::Critical.as_str()))
        .count()
        .get_result(&mut **conn)?;
    Ok(if critical > 0 {
        settings.critical_every_hours.min(settings.every_hours)
    } else {
        settings.every_hours
    })
}

/// When the next scheduled backup is due: the newest whole archive in `settings.dir` plus
/// the cadence, or `now` when there is none. Read from the directory, so a restarted daemon
/// keeps the rhythm instead of starting it over.
pub fn next_due(
    db: &Db,
    settings: &crate::config::BackupSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let hours = cadence_hours(db, settings)?;
    let last = match list(&settings.dir) {
        Ok(all) => all
            .into_iter()
            .filter(|a| a.complete)
            .filter_map(|a| a.created_at)
            .max(),
        // The directory does not exist yet: nothing was ever written.
        Err(_) => None,
    };
    Ok(match last {
        Some(at) => at + chrono::Duration::hours(hours as i64),
        None => now,
    })
}
