//! Scale: the real daemon over BENCH_TICKETS (1,000,000) tickets.
//!
//! `cargo bench --bench scale` (SQLite in a temp dir; BENCH_DATABASE_URL=postgres://user:pw@
//! host/db for PostgreSQL: a scratch database is created beside it and dropped). Knobs:
//! BENCH_TICKETS (1000000), BENCH_REQUESTS (200 per measured variant), BENCH_SEED (1),
//! BENCH_OUTBOX (1; 0 leaves the copies' sent mail out when the disk cannot hold it),
//! BENCH_GATE (a file: measuring waits until it is gone, for two runs sharing a machine).
//!
//! 1. Templates: the demo city is loaded, the daemon started in-process, and 84 tickets are
//!    created and worked through the API (7 end states x 4 priorities x 3 kinds), so that
//!    every row a real ticket has (ticket, SLA targets, SLA ledger, audit chain, personal
//!    data, mail outbox) is written by the daemon itself.
//! 2. Bulk load: each of BENCH_TICKETS tickets is a copy of one template with fresh ids,
//!    number, title, description, PD, technician and dates (shifted as a whole), its audit
//!    chain re-hashed and its personal data re-salted; multi-row INSERTs, one transaction per
//!    2,000 tickets. Then the statistics the daemon would have: on SQLite `PRAGMA optimize`
//!    as each daemon connection runs it when opened, on PostgreSQL VACUUM ANALYZE, what
//!    autovacuum does after a bulk insert; and the ticket counters are set so that the
//!    daemon numbers on.
//! 3. Over HTTP, BENCH_REQUESTS sequential requests each after a warm-up: the first page of
//!    the ticket list for a technician of the largest PD, an operator and a supervisor,
//!    plain, filtered and searched; GET /tickets/{id}; statements per request (diesel's
//!    instrumentation on every connection of the process).
//! 4. A scheduler tick with 0, 10, 100 and 1000 due tickets; the report exports; database
//!    size per ticket; resident memory; for every list variant over 50 ms at p99, the plan
//!    and the time of each SQL statement the list runs, reproduced by hand.

#[path = "common/scratch.rs"]
mod scratch;
#[path = "common/statements.rs"]
mod statements;
use scratch::{env_usize, scratch_database, Scratch};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, FixedOffset, NaiveDateTime, TimeDelta, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use spbe_desk::clock::SystemClock;
use spbe_desk::config::Settings;
use spbe_desk::db::models::{AuditEvent, OutboxRow, PersonalData, SlaEventRow, TargetRow, Ticket};
use spbe_desk::db::schema;
use spbe_desk::domain::chain::{link_hash, Link};
use spbe_desk::startup::Application;

const P99_TARGET_MS: f64 = 50.0;
/// Tickets per load transaction.
const BATCH: usize = 2000;
/// A multi-row INSERT is cut at about this many bytes of SQL.
const STATEMENT_BYTES: usize = 1 << 20;

/// p50, p99 and max of some latencies, in milliseconds.
fn percentiles(mut v: Vec<Duration>) -> (f64, f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort();
    let at = |q: f64| {
        let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99), at(1.0))
}

/// VmRSS and VmHWM of this process (the daemon runs in it), in MiB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn print_rss(when: &str) {
    let (now, peak) = rss();
    println!("daemon RSS {when:<28} VmRSS {now:>8.1} MiB   VmHWM {peak:>8.1} MiB");
}

// ---------------------------------------------------------------------------------------
// A direct connection for the bulk load, the plans and the sizes.

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct NameSize {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

enum Raw {
    Lite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

impl Raw {
    fn open(scratch: &Scratch) -> Raw {
        match &scratch.sqlite_path {
            Some(p) => {
                let mut c = diesel::SqliteConnection::establish(&p.display().to_string())
                    .expect("open SQLite");
                // A large page cache for the load (random UUID keys in every table); shrunk
                // after it, so the RSS figures are the daemon's.
                c.batch_execute(
                    "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA cache_size = -524288;",
                )
                .expect("pragmas");
                Raw::Lite(c)
            }
            None => Raw::Pg(diesel::PgConnection::establish(&scratch.url).expect("connect")),
        }
    }

    fn is_pg(&self) -> bool {
        matches!(self, Raw::Pg(_))
    }

    fn exec(&mut self, sql: &str) {
        let r = match self {
            Raw::Lite(c) => c.batch_execute(sql),
            Raw::Pg(c) => c.batch_execute(sql),
        };
        if let Err(e) = r {
            panic!("{e}: {}", &sql[..sql.len().min(300)]);
        }
    }

    fn number(&mut self, sql: &str) -> i64 {
        let r: Vec<Number> = match self {
            Raw::Lite(c) => diesel::sql_query(sql).load(c),
            Raw::Pg(c) => diesel::sql_query(sql).load(c),
        }
        .expect("number query");
        r.first().map(|x| x.n).unwrap_or_default()
    }

    fn ids(&mut self, sql: &str) -> Vec<String> {
        let r: Vec<IdRow> = match self {
            Raw::Lite(c) => diesel::sql_query(sql).load(c),
            Raw::Pg(c) => diesel::sql_query(sql).load(c),
        }
        .expect("id query");
        r.into_iter().map(|x| x.id).collect()
    }

    fn sizes(&mut self, sql: &str) -> Vec<(String, i64)> {
        let r: Vec<NameSize> = match self {
            Raw::Lite(c) => diesel::sql_query(sql).load(c),
            Raw::Pg(c) => diesel::sql_query(sql).load(c),
        }
        .expect("size query");
        r.into_iter().map(|x| (x.name, x.n)).collect()
    }

    /// The plan: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL.
    fn plan(&mut self, sql: &str) -> Vec<String> {
        match self {
            Raw::Lite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<SqlitePlanLine>(c)
                .expect("explain")
                .into_iter()
                .map(|l| l.detail)
                .collect(),
            Raw::Pg(c) => diesel::sql_query(format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
                .load::<PgPlanLine>(c)
                .expect("explain")
                .into_iter()
                .map(|l| l.line)
                .collect(),
        }
    }

    /// The median of 5 runs of a query and its row count.
    fn time(&mut self, sql: &str) -> (f64, usize) {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..5 {
            let t = Instant::now();
            rows = self.ids(sql).len();
            times.push(t.elapsed());
        }
        times.sort();
        (times[2].as_secs_f64() * 1000.0, rows)
    }
}

// ---------------------------------------------------------------------------------------
// SQL literals (the same text on both backends; timestamps as diesel writes them).

fn q(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('\'');
    for ch in s.chars() {
        if ch == '\'' {
            o.push('\'');
        }
        o.push(ch);
    }
    o.push('\'');
    o
}

fn qo(s: Option<&str>) -> String {
    s.map(q).unwrap_or_else(|| "NULL".into())
}

fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%F %T%.f"))
}

fn tso(t: Option<NaiveDateTime>) -> String {
    t.map(ts).unwrap_or_else(|| "NULL".into())
}

fn b(v: bool) -> &'static str {
    if v {
        "TRUE"
    } else {
        "FALSE"
    }
}

/// Multi-row INSERTs of one table, cut at about STATEMENT_BYTES.
struct Inserts {
    head: String,
    current: String,
    done: Vec<String>,
    rows: u64,
}

impl Inserts {
    fn new(table: &str, columns: &str) -> Inserts {
        Inserts {
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            current: String::new(),
            done: Vec::new(),
            rows: 0,
        }
    }

    fn row(&mut self, values: &str) {
        if self.current.is_empty() {
            self.current.push_str(&self.head);
        } else {
            self.current.push_str(", ");
        }
        self.current.push('(');
        self.current.push_str(values);
        self.current.push(')');
        self.rows += 1;
        if self.current.len() > STATEMENT_BYTES {
            self.done.push(std::mem::take(&mut self.current));
        }
    }

    fn finish(mut self, out: &mut Vec<String>) -> u64 {
        if !self.current.is_empty() {
            self.done.push(std::mem::take(&mut self.current));
        }
        out.append(&mut self.done);
        self.rows
    }
}

// ---------------------------------------------------------------------------------------
// Templates: tickets made by the daemon, copied with their rows.

/// What a placeholder in a template's text stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Var {
    TicketId,
    Number,
    Title,
    Description,
    Org,
    Technician,
    /// The k-th fresh value of the copy (a new id, or a digest).
    Fresh(usize),
}

#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Var(Var),
}

/// A text cut at every occurrence of a template value.
#[derive(Debug, Clone)]
struct Text2(Vec<Part>);

impl Text2 {
    fn cut(text: &str, pats: &[(String, Var)]) -> Text2 {
        let mut parts = Vec::new();
        let mut rest = text;
        loop {
            let hit = pats
                .iter()
                .filter(|(p, _)| !p.is_empty())
                .filter_map(|(p, v)| rest.find(p.as_str()).map(|i| (i, p.len(), *v)))
                .min_by_key(|(i, len, _)| (*i, usize::MAX - len));
            match hit {
                Some((i, len, v)) => {
                    if i > 0 {
                        parts.push(Part::Lit(rest[..i].to_string()));
                    }
                    parts.push(Part::Var(v));
                    rest = &rest[i + len..];
                }
                None => {
                    if !rest.is_empty() {
                        parts.push(Part::Lit(rest.to_string()));
                    }
                    return Text2(parts);
                }
            }
        }
    }

    fn render(&self, v: &Values) -> String {
        let mut o = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(s) => o.push_str(s),
                Part::Var(x) => o.push_str(v.get(*x)),
            }
        }
        o
    }
}

/// The values of one copy.
struct Values {
    ticket_id: String,
    number: String,
    title: String,
    description: String,
    org: String,
    technician: String,
    fresh: Vec<String>,
}

impl Values {
    fn get(&self, v: Var) -> &str {
        match v {
            Var::TicketId => &self.ticket_id,
            Var::Number => &self.number,
            Var::Title => &self.title,
            Var::Description => &self.description,
            Var::Org => &self.org,
            Var::Technician => &self.technician,
            Var::Fresh(k) => self.fresh.get(k).map(String::as_str).unwrap_or(""),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Fresh {
    Uuid,
    /// The digest of personal_data row i under a new salt.
    Digest(usize),
}

struct Template {
    state: &'static str,
    ticket: Ticket,
    targets: Vec<(TargetRow, usize)>,
    sla_events: Vec<(SlaEventRow, usize, Text2)>,
    audit: Vec<(AuditEvent, usize, Text2, Text2)>,
    /// Each row, its fresh id, its texts, and the row whose id names its body (the first
    /// of its notice's rows; none once erased).
    outbox: Vec<(OutboxRow, usize, [Text2; 6], Option<usize>)>,
    personal: Vec<(PersonalData, usize)>,
    fresh: Vec<Fresh>,
}

fn load_template(
    conn: &mut spbe_desk::db::DbConn,
    state: &'static str,
    id: &str,
    technician: &str,
) -> Template {
    use schema::{audit_events as ae, personal_data as pd, sla_events as se};
    use schema::{sla_targets as st, tickets as tk};
    let ticket: Ticket = tk::table
        .find(id)
        .select(Ticket::as_select())
        .first(conn)
        .expect("template ticket");
    let targets: Vec<TargetRow> = st::table
        .filter(st::ticket_id.eq(id))
        .select(TargetRow::as_select())
        .load(conn)
        .expect("targets");
    let events: Vec<SlaEventRow> = se::table
        .filter(se::ticket_id.eq(id))
        .order(se::seq)
        .select(SlaEventRow::as_select())
        .load(conn)
        .expect("sla events");
    let audit: Vec<AuditEvent> = ae::table
        .filter(ae::ticket_id.eq(id))
        .filter(ae::entity_id.eq(id))
        .order(ae::seq)
        .select(AuditEvent::as_select())
        .load(conn)
        .expect("audit");
    let outbox: Vec<OutboxRow> = spbe_desk::db::queries::outbox::list(
        conn,
        &spbe_desk::db::queries::outbox::OutboxFilter {
            ticket_id: Some(id.to_string()),
            limit: 100_000,
            ..Default::default()
        },
    )
    .expect("outbox");
    // As the daemon stores them: one body per notice, shared by its recipients' rows.
    let bodies: Vec<Option<usize>> = outbox
        .iter()
        .map(|o| {
            (!o.body_text.is_empty() || !o.body_html.is_empty()).then(|| {
                outbox
                    .iter()
                    .position(|p| {
                        p.source_id == o.source_id
                            && p.body_text == o.body_text
                            && p.body_html == o.body_html
                    })
                    .unwrap_or(0)
            })
        })
        .collect();
    let personal: Vec<PersonalData> = pd::table
        .filter(pd::ticket_id.eq(id))
        .select(PersonalData::as_select())
        .load(conn)
        .expect("personal data");

    let mut fresh = Vec::new();
    let mut pats: Vec<(String, Var)> = vec![
        (ticket.id.clone(), Var::TicketId),
        (ticket.number.clone(), Var::Number),
        (ticket.title.clone(), Var::Title),
        (ticket.description.clone(), Var::Description),
        (ticket.organization_id.clone(), Var::Org),
        (technician.to_string(), Var::Technician),
    ];
    let mut new_fresh = |pats: &mut Vec<(String, Var)>, old: &str, kind: Fresh| {
        fresh.push(kind);
        let k = fresh.len() - 1;
        pats.push((old.to_string(), Var::Fresh(k)));
        k
    };
    let personal: Vec<(PersonalData, usize)> = personal
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let k = new_fresh(&mut pats, &p.digest, Fresh::Digest(i));
            (p, k)
        })
        .collect();
    let targets: Vec<(TargetRow, usize)> = targets
        .into_iter()
        .map(|r| {
            let k = new_fresh(&mut pats, &r.id, Fresh::Uuid);
            (r, k)
        })
        .collect();
    let audit_ids: Vec<usize> = audit
        .iter()
        .map(|e| new_fresh(&mut pats, &e.id, Fresh::Uuid))
        .collect();
    let event_ids: Vec<usize> = events
        .iter()
        .map(|e| new_fresh(&mut pats, &e.id, Fresh::Uuid))
        .collect();
    let outbox_ids: Vec<usize> = outbox
        .iter()
        .map(|o| new_fresh(&mut pats, &o.id, Fresh::Uuid))
        .collect();
    // A message id that holds none of the values above gets one of its own.
    for o in &outbox {
        let cut = Text2::cut(&o.message_id, &pats);
        if cut.0.iter().all(|p| matches!(p, Part::Lit(_))) {
            new_fresh(&mut pats, &o.message_id, Fresh::Uuid);
        }
    }
    let sla_events = events
        .into_iter()
        .zip(event_ids)
        .map(|(e, k)| {
            let data = Text2::cut(&e.data, &pats);
            (e, k, data)
        })
        .collect();
    let audit = audit
        .into_iter()
        .zip(audit_ids)
        .map(|(e, k)| {
            let (c, d) = (Text2::cut(&e.changes, &pats), Text2::cut(&e.data, &pats));
            (e, k, c, d)
        })
        .collect();
    let outbox = outbox
        .into_iter()
        .zip(outbox_ids)
        .zip(bodies)
        .map(|((o, k), body)| {
            let texts = [
                Text2::cut(&o.source_id, &pats),
                Text2::cut(&o.subject, &pats),
                Text2::cut(&o.body_text, &pats),
                Text2::cut(&o.body_html, &pats),
                Text2::cut(&o.message_id, &pats),
                Text2::cut(o.thread_id.as_deref().unwrap_or(""), &pats),
            ];
            (o, k, texts, body)
        })
        .collect();
    Template {
        state,
        ticket,
        targets,
        sla_events,
        audit,
        outbox,
        personal,
        fresh,
    }
}

// ---------------------------------------------------------------------------------------
// Words, so that a search finds some tickets and not others.

const OBJECTS: &[&str] = &[
    "printer",
    "komputer",
    "laptop",
    "jaringan wifi",
    "aplikasi SIAK",
    "email dinas",
    "server arsip",
    "scanner",
    "proyektor",
    "telepon IP",
    "akun SIMPEG",
    "website resmi",
    "kamera CCTV",
    "UPS",
    "router",
    "aplikasi e-Pajak",
    "mesin antrian",
    "aplikasi SIMPUS",
    "VPN kantor",
    "monitor",
];
const PROBLEMS: &[&str] = &[
    "tidak bisa dinyalakan",
    "sangat lambat",
    "sering putus",
    "menampilkan pesan galat",
    "tidak terhubung ke jaringan",
    "hang setelah pembaruan",
    "minta reset kata sandi",
    "permintaan instalasi baru",
    "tidak bisa login",
    "data tidak tersimpan",
    "layar berkedip",
    "suara tidak keluar",
];
const PLACES: &[&str] = &[
    "loket",
    "ruang rapat",
    "lantai",
    "bagian umum",
    "ruang arsip",
    "ruang kepala dinas",
    "ruang pelayanan",
    "gudang",
];
const SENTENCES: &[&str] = &[
    "Pegawai melaporkan masalah sejak pagi hari.",
    "Sudah dicoba dinyalakan ulang tetapi belum berhasil.",
    "Pelayanan kepada warga terganggu karena antrian menumpuk.",
    "Mohon segera ditindaklanjuti oleh teknisi.",
    "Masalah serupa pernah terjadi bulan lalu.",
    "Kabel sudah diperiksa dan terpasang dengan benar.",
    "Pengguna tidak dapat mencetak dokumen kependudukan.",
    "Koneksi internet di ruangan lain berjalan normal.",
    "Perangkat masih dalam masa garansi vendor.",
    "Diperlukan akses administrator untuk perbaikan.",
    "Laporan diterima melalui telepon dari staf.",
    "Dokumen penting belum bisa dikirim ke kantor camat.",
];

fn title_and_description(rng: &mut StdRng) -> (String, String) {
    let obj = OBJECTS[rng.gen_range(0..OBJECTS.len())];
    let prob = PROBLEMS[rng.gen_range(0..PROBLEMS.len())];
    let place = PLACES[rng.gen_range(0..PLACES.len())];
    let title = format!(
        "{} {prob} di {place} {}",
        capitalise(obj),
        rng.gen_range(1..40)
    );
    let mut desc = String::new();
    for _ in 0..rng.gen_range(2..5) {
        if !desc.is_empty() {
            desc.push(' ');
        }
        desc.push_str(SENTENCES[rng.gen_range(0..SENTENCES.len())]);
    }
    // An error code: one in 100,000 values, so a search for one finds a few tickets.
    desc.push_str(&format!(" Kode galat ERR{:05}.", rng.gen_range(0..100_000)));
    (title, desc)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// The bulk load.

struct Pd {
    id: String,
    weight: f64,
    technicians: Vec<String>,
}

struct Plan {
    /// (created_at, template index), oldest first.
    tickets: Vec<(NaiveDateTime, usize)>,
}

/// Samples kept for the measurements.
#[derive(Default)]
struct Samples {
    big_pd: Vec<String>,
    tier2: Vec<String>,
    any: Vec<String>,
    open: Vec<String>,
}

struct Batch {
    statements: Vec<String>,
    rows: u64,
    tickets: usize,
}

#[allow(clippy::too_many_arguments)]
fn generate(
    templates: &[Template],
    plan: &Plan,
    pds: &[Pd],
    prefix: &str,
    counters: &mut HashMap<i32, i64>,
    seed: u64,
    samples: &mut Samples,
    with_outbox: bool,
    tx: std::sync::mpsc::SyncSender<Batch>,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let tz = FixedOffset::east_opt(8 * 3600).expect("WITA");
    let now = Utc::now().naive_utc();
    let total_weight: f64 = pds.iter().map(|p| p.weight).sum();
    for (chunk_no, chunk) in plan.tickets.chunks(BATCH).enumerate() {
        let mut tickets = Inserts::new(
            "tickets",
            "id, number, organization_id, reporter_organization_id, service_id, kind, impact, urgency, priority, priority_overridden, status, tier, assignee_id, title, description, classification, reporter_name, reporter_email, reporter_phone, reported_at, created_by, created_at, updated_at, first_response_at, resolved_at, resolution, closed_at, cancelled_at, escalation_mode, escalation_reason, escalated_at, escalated_by, outage_start, outage_end, version, sla_policy_id, sla_policy_version, sla_calendar_id, sla_calendar_version, sla_breached, pending_since, pending_reason, sla_next_at, anonymised_at",
        );
        let mut targets = Inserts::new(
            "sla_targets",
            "id, ticket_id, target, tier, minutes, started_at, stops, stop_reason, ended_at, due_at, warned_at, breached_at",
        );
        let mut events = Inserts::new(
            "sla_events",
            "id, ticket_id, target, tier, kind, at, reason, policy_id, policy_version, calendar_id, calendar_version, data, recorded_at",
        );
        let mut audit = Inserts::new(
            "audit_events",
            "id, occurred_at, actor_id, entity_type, entity_id, ticket_id, action, changes, data, chain_seq, prev_hash, hash",
        );
        let mut outbox = Inserts::new(
            "outbox",
            "id, ticket_id, event, source_id, recipient, subject, message_id, thread_id, status, attempts, not_before, next_attempt_at, lease_owner, lease_until, last_error, created_at, sent_at, attachment, body_id",
        );
        let mut bodies = Inserts::new("outbox_bodies", "id, body_text, body_html");
        let mut personal = Inserts::new(
            "personal_data",
            "digest, ticket_id, salt, value, created_at, erased_at",
        );
        for (i, &(created, ti)) in chunk.iter().enumerate() {
            let tpl = &templates[ti];
            let t0 = &tpl.ticket;
            let delta = created - t0.created_at;
            let sh = |x: NaiveDateTime| x + delta;
            let sho = |x: Option<NaiveDateTime>| x.map(|x| x + delta);

            // PD: weighted; technician: one of the PD's.
            let mut r = rng.gen::<f64>() * total_weight;
            let mut pd = &pds[0];
            for p in pds {
                if r < p.weight {
                    pd = p;
                    break;
                }
                r -= p.weight;
            }
            let technician = pd.technicians[rng.gen_range(0..pd.technicians.len())].clone();
            let year = created.and_utc().with_timezone(&tz).year();
            let seq = counters.entry(year).or_insert(0);
            *seq += 1;
            let (title, description) = title_and_description(&mut rng);
            let mut salts: Vec<Option<String>> = vec![None; tpl.personal.len()];
            let fresh: Vec<String> = tpl
                .fresh
                .iter()
                .map(|f| match f {
                    Fresh::Uuid => new_uuid(&mut rng, created),
                    Fresh::Digest(i) => {
                        let salt: [u8; 16] = rng.gen();
                        let value = tpl.personal[*i].0.value.clone().unwrap_or_default();
                        salts[*i] = Some(hex::encode(salt));
                        spbe_desk::domain::personal::digest(&salt, &value)
                    }
                })
                .collect();
            let v = Values {
                ticket_id: new_uuid(&mut rng, created),
                number: spbe_desk::domain::number::format(prefix, year, *seq),
                title,
                description,
                org: pd.id.clone(),
                technician,
                fresh,
            };
            let user = |u: &Option<String>| -> Option<String> {
                u.as_ref().map(|u| {
                    if *u == tpl_tech(tpl) {
                        v.technician.clone()
                    } else {
                        u.clone()
                    }
                })
            };
            // The reporter's PD: one in ten tickets comes from another PD.
            let reporter_org = if rng.gen_bool(0.1) {
                pds[rng.gen_range(0..pds.len())].id.clone()
            } else {
                v.org.clone()
            };
            let classification = if rng.gen_bool(0.05) {
                "restricted"
            } else {
                t0.classification.as_str()
            };
            let open = matches!(t0.status.as_str(), "new" | "in_progress" | "pending");
            // An open ticket waits for the scheduler at some point in the next weeks.
            let next_at = open.then(|| now + TimeDelta::minutes(rng.gen_range(60..43_200)));
            let breached = rng.gen_bool(0.12);
            let values = [
                q(&v.ticket_id),
                q(&v.number),
                q(&v.org),
                q(&reporter_org),
                qo(t0.service_id.as_deref()),
                q(&t0.kind),
                q(&t0.impact),
                q(&t0.urgency),
                q(&t0.priority),
                b(t0.priority_overridden).into(),
                q(&t0.status),
                t0.tier.to_string(),
                qo(user(&t0.assignee_id).as_deref()),
                q(&v.title),
                q(&v.description),
                q(classification),
                q(&t0.reporter_name),
                qo(t0.reporter_email.as_deref()),
                qo(t0.reporter_phone.as_deref()),
                ts(sh(t0.reported_at)),
                q(&user(&Some(t0.created_by.clone())).unwrap_or_default()),
                ts(sh(t0.created_at)),
                ts(sh(t0.updated_at)),
                tso(sho(t0.first_response_at)),
                tso(sho(t0.resolved_at)),
                qo(t0.resolution.as_deref()),
                tso(sho(t0.closed_at)),
                tso(sho(t0.cancelled_at)),
                qo(t0.escalation_mode.as_deref()),
                qo(t0.escalation_reason.as_deref()),
                tso(sho(t0.escalated_at)),
                qo(user(&t0.escalated_by).as_deref()),
                tso(sho(t0.outage_start)),
                tso(sho(t0.outage_end)),
                t0.version.to_string(),
                qo(t0.sla_policy_id.as_deref()),
                t0.sla_policy_version
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "NULL".into()),
                qo(t0.sla_calendar_id.as_deref()),
                t0.sla_calendar_version
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "NULL".into()),
                b(breached).into(),
                tso(sho(t0.pending_since)),
                qo(t0.pending_reason.as_deref()),
                tso(next_at),
                "NULL".into(),
            ];
            tickets.row(&values.join(", "));
            for (r, k) in &tpl.targets {
                targets.row(
                    &[
                        q(v.get(Var::Fresh(*k))),
                        q(&v.ticket_id),
                        q(&r.target),
                        r.tier.to_string(),
                        r.minutes.to_string(),
                        ts(sh(r.started_at)),
                        q(&r.stops),
                        qo(r.stop_reason.as_deref()),
                        tso(sho(r.ended_at)),
                        tso(sho(r.due_at)),
                        tso(sho(r.warned_at)),
                        tso(sho(r.breached_at)),
                    ]
                    .join(", "),
                );
            }
            for (e, k, data) in &tpl.sla_events {
                events.row(
                    &[
                        q(v.get(Var::Fresh(*k))),
                        q(&v.ticket_id),
                        q(&e.target),
                        e.tier.to_string(),
                        q(&e.kind),
                        ts(sh(e.at)),
                        qo(e.reason.as_deref()),
                        q(&e.policy_id),
                        e.policy_version.to_string(),
                        q(&e.calendar_id),
                        e.calendar_version.to_string(),
                        q(&data.render(&v)),
                        ts(sh(e.recorded_at)),
                    ]
                    .join(", "),
                );
            }
            let mut prev = String::new();
            for (e, k, changes, data) in &tpl.audit {
                let (changes, data) = (changes.render(&v), data.render(&v));
                let id = v.get(Var::Fresh(*k)).to_string();
                let actor = user(&e.actor_id);
                let chain_seq = e.chain_seq.unwrap_or(1);
                let occurred = sh(e.occurred_at);
                let hash = link_hash(
                    &prev,
                    &Link {
                        id: &id,
                        occurred_at: occurred,
                        actor_id: actor.as_deref(),
                        entity_type: &e.entity_type,
                        entity_id: &v.ticket_id,
                        ticket_id: Some(&v.ticket_id),
                        action: &e.action,
                        changes: &changes,
                        data: &data,
                        chain_seq,
                    },
                );
                audit.row(
                    &[
                        q(&id),
                        ts(occurred),
                        qo(actor.as_deref()),
                        q(&e.entity_type),
                        q(&v.ticket_id),
                        q(&v.ticket_id),
                        q(&e.action),
                        q(&changes),
                        q(&data),
                        chain_seq.to_string(),
                        q(&prev),
                        q(&hash),
                    ]
                    .join(", "),
                );
                prev = hash;
            }
            for (j, (o, k, texts, body)) in tpl.outbox.iter().enumerate() {
                if !with_outbox {
                    break;
                }
                let body_id = body.map(|b| v.get(Var::Fresh(tpl.outbox[b].1)).to_string());
                if let (Some(id), true) = (&body_id, *body == Some(j)) {
                    bodies
                        .row(&[q(id), q(&texts[2].render(&v)), q(&texts[3].render(&v))].join(", "));
                }
                let sent = sh(o.created_at) + TimeDelta::seconds(rng.gen_range(5..300));
                outbox.row(
                    &[
                        q(v.get(Var::Fresh(*k))),
                        q(&v.ticket_id),
                        q(&o.event),
                        q(&texts[0].render(&v)),
                        q(&o.recipient),
                        q(&texts[1].render(&v)),
                        q(&texts[4].render(&v)),
                        if o.thread_id.is_some() {
                            q(&texts[5].render(&v))
                        } else {
                            "NULL".into()
                        },
                        q("sent"),
                        "1".into(),
                        ts(sh(o.not_before)),
                        ts(sh(o.next_attempt_at)),
                        "NULL".into(),
                        "NULL".into(),
                        "NULL".into(),
                        ts(sh(o.created_at)),
                        ts(sent),
                        qo(o.attachment.as_deref()),
                        qo(body_id.as_deref()),
                    ]
                    .join(", "),
                );
            }
            for (n, (p, k)) in tpl.personal.iter().enumerate() {
                personal.row(
                    &[
                        q(v.get(Var::Fresh(*k))),
                        q(&v.ticket_id),
                        qo(salts[n].as_deref()),
                        qo(p.value.as_deref()),
                        ts(sh(p.created_at)),
                        "NULL".into(),
                    ]
                    .join(", "),
                );
            }

            // Samples for the measurements (about 1 in 200 of each kind).
            let n = chunk_no * BATCH + i;
            if n % 199 == 0 {
                samples.any.push(v.ticket_id.clone());
            }
            if pd.id == pds[0].id && n % 61 == 0 {
                samples.big_pd.push(v.ticket_id.clone());
            }
            if t0.tier == 2 && n % 41 == 0 {
                samples.tier2.push(v.ticket_id.clone());
            }
            if open && n % 37 == 0 {
                samples.open.push(v.ticket_id.clone());
            }
        }
        let mut statements = Vec::new();
        let mut rows = 0;
        rows += tickets.finish(&mut statements);
        rows += targets.finish(&mut statements);
        rows += events.finish(&mut statements);
        rows += audit.finish(&mut statements);
        rows += bodies.finish(&mut statements);
        rows += outbox.finish(&mut statements);
        rows += personal.finish(&mut statements);
        if tx
            .send(Batch {
                statements,
                rows,
                tickets: chunk.len(),
            })
            .is_err()
        {
            return;
        }
    }
}

/// A version 7 id at `at`, as the daemon makes them (time-ordered, so a copy's rows sit
/// near the rows of the tickets made about when it was, as in a desk's own database).
fn new_uuid(rng: &mut StdRng, at: NaiveDateTime) -> String {
    let millis = u64::try_from(at.and_utc().timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &rng.gen())
        .into_uuid()
        .to_string()
}

/// The technician the templates were made with (every template's creator).
fn tpl_tech(t: &Template) -> String {
    t.ticket.created_by.clone()
}

// ---------------------------------------------------------------------------------------
// HTTP.

struct Http {
    client: awc::Client,
    base: String,
}

impl Http {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "POST" => self.client.post(url),
            _ => self.client.get(url),
        }
        .insert_header(("Authorization", format!("Bearer {token}")));
        let res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        match res {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let bytes = r.body().limit(1 << 30).await.map(|b| b.to_vec());
                (status, bytes.unwrap_or_default())
            }
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    async fn ok(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let (status, bytes) = self.send(method, path, token, body).await;
        if !(200..300).contains(&status) {
            panic!(
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    /// `requests` timed GETs (after `requests / 10` untimed), p50/p99/max and statements a
    /// request.
    async fn measure(
        &self,
        token: &str,
        paths: &[String],
        requests: usize,
    ) -> ((f64, f64, f64), f64) {
        for i in 0..(requests / 10).max(5) {
            let p = &paths[i % paths.len()];
            let (status, body) = self.send("GET", p, token, None).await;
            assert_eq!(status, 200, "{p}: {}", String::from_utf8_lossy(&body));
        }
        let mut lat = Vec::with_capacity(requests);
        let before = statements::sent();
        for i in 0..requests {
            let p = &paths[(i * 7 + 3) % paths.len()];
            let t = Instant::now();
            let (status, body) = self.send("GET", p, token, None).await;
            lat.push(t.elapsed());
            assert_eq!(status, 200, "{p}: {}", String::from_utf8_lossy(&body));
        }
        let statements = (statements::sent() - before) as f64 / requests as f64;
        (percentiles(lat), statements)
    }
}

// ---------------------------------------------------------------------------------------
// The list's SQL, as db::queries::tickets::list builds it (one statement per scope branch).
// Two reads differ: a register branch filtered by status reads each status apart, and a
// SQLite search for a text in 2,000 tickets or more walks each branch (a statement per
// chunk); the statement printed for such a search is the full match a walk falls back to.

struct Who {
    role: &'static str,
    user_id: String,
    org_id: String,
}

fn branch_sql(who: &Who, filter: &str, search: Option<&str>, pg: bool) -> Vec<String> {
    let me = q(&who.user_id);
    let org = q(&who.org_id);
    let branches: Vec<String> = match who.role {
        "technician" => vec![
            format!("tickets.organization_id = {org}"),
            format!("tickets.assignee_id = {me}"),
            format!(
                "tickets.reporter_organization_id = {org} AND tickets.classification = 'normal'"
            ),
        ],
        "operator" => vec![
            "tickets.tier = 2".into(),
            format!("tickets.assignee_id = {me}"),
        ],
        _ => vec!["1 = 1".into()],
    };
    let mut extra = String::new();
    if filter == "filtered" {
        extra.push_str(
            " AND tickets.status IN ('new', 'in_progress') AND tickets.priority IN ('high')",
        );
    }
    if let Some(text) = search {
        if pg {
            let pat = q(&format!("%{}%", text.to_lowercase()));
            extra.push_str(&format!(
                " AND (lower(tickets.title) LIKE {pat} ESCAPE '\\' OR lower(tickets.description) LIKE {pat} ESCAPE '\\' OR lower(tickets.number) LIKE {pat} ESCAPE '\\')"
            ));
        } else {
            extra.push_str(&format!(
                " AND tickets.rowid IN (SELECT rowid FROM tickets_search WHERE tickets_search MATCH {})",
                q(&format!("\"{text}\""))
            ));
        }
    }
    branches
        .into_iter()
        .map(|br| {
            format!(
                "SELECT tickets.* FROM tickets WHERE {br}{extra} ORDER BY tickets.created_at DESC, tickets.id DESC LIMIT 51"
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------

#[actix_web::main]
async fn main() {
    statements::install();
    let total = env_usize("BENCH_TICKETS", 1_000_000);
    let requests = env_usize("BENCH_REQUESTS", 200);
    let seed = env_usize("BENCH_SEED", 1) as u64;
    // BENCH_OUTBOX=0 leaves out the copies' sent mail (about half of the bytes), when the
    // disk cannot hold it; the figures then say so.
    let with_outbox = env_usize("BENCH_OUTBOX", 1) != 0;
    let scratch = scratch_database("scale");
    let pg = scratch.pg_admin.is_some();
    let backend = if pg { "postgresql" } else { "sqlite" };
    let overrides: Vec<(&str, &str)> = vec![
        ("database.url", scratch.url.as_str()),
        ("http.bind", "127.0.0.1:0"),
        ("http.rate_limit", "off"),
        ("http.rate_limit_per_address", "off"),
        // The largest export takes longer than the default 10 s; the figures say so.
        ("http.request_timeout_seconds", "600"),
        ("mail.poll_seconds", "0"),
        ("reports.monthly", "false"),
        ("retention.daily", "false"),
        // Ticks are timed below, one at a time.
        ("scheduler.tick_seconds", "0"),
        ("log.level", "error"),
    ];
    let settings = Settings::defaults_with(&overrides).expect("settings");
    let prefix = settings.tickets.number_prefix.clone();
    println!(
        "spbe-desk scale, {backend}, {total} tickets, {requests} requests a variant, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    print_rss("at start");
    let (db, [tech, operator, supervisor]) =
        scratch::demo_city(&settings, ["TECH_DUKCAPIL", "OPERATOR", "SUPERVISOR"]).await;
    let app = Application::build_with_db(settings.clone(), Arc::new(SystemClock), db.clone())
        .expect("build");
    let http = Http {
        client: awc::Client::builder()
            .timeout(Duration::from_secs(900))
            .finish(),
        base: format!("http://127.0.0.1:{}", app.port()),
    };
    actix_web::rt::spawn(app.run_until_stopped());
    print_rss("before load");

    // Who is who.
    let me_tech = http.ok("GET", "/api/v1/me", &tech, None).await;
    let me_op = http.ok("GET", "/api/v1/me", &operator, None).await;
    let me_sup = http.ok("GET", "/api/v1/me", &supervisor, None).await;
    let id_of = |v: &Value| v["id"].as_str().expect("me.id").to_string();
    let org_of = |v: &Value| v["organization_id"].as_str().expect("me.org").to_string();
    let (tech_id, op_id) = (id_of(&me_tech), id_of(&me_op));
    let big_pd = org_of(&me_tech);

    // 1. Templates, through the API.
    let started = Instant::now();
    let states: [&'static str; 7] = [
        "new",
        "in_progress",
        "pending",
        "resolved",
        "closed",
        "t2_in_progress",
        "t2_closed",
    ];
    let levels = [
        ("high", "high"),
        ("high", "medium"),
        ("medium", "medium"),
        ("low", "low"),
    ];
    let mut made: Vec<(&'static str, String)> = Vec::new();
    for kind in ["incident", "request", "complaint"] {
        for (impact, urgency) in levels {
            for state in states {
                let t = http
                    .ok(
                        "POST",
                        "/api/v1/tickets",
                        &tech,
                        Some(json!({
                            "title": "Printer di loket 3 tidak bisa mencetak",
                            "description": "Antrian cetak macet sejak pagi. Sudah dicoba dinyalakan ulang.",
                            "kind": kind,
                            "impact": impact,
                            "urgency": urgency,
                            "reporter": {"name": "Budi Santoso", "email": "budi.santoso@makassarkota.go.id", "phone": "+6281234567890"}
                        })),
                    )
                    .await;
                let id = t["id"].as_str().expect("ticket id").to_string();
                let act = |a: &str| format!("/api/v1/tickets/{id}/{a}");
                let tier2 = state.starts_with("t2_");
                if state != "new" {
                    http.ok("POST", &act("acknowledge"), &tech, Some(json!({})))
                        .await;
                }
                if tier2 {
                    http.ok(
                        "POST",
                        &act("escalate"),
                        &tech,
                        Some(json!({"reason": "Perlu akses server pusat di Dinas"})),
                    )
                    .await;
                    http.ok(
                        "POST",
                        &act("assign"),
                        &operator,
                        Some(json!({"assignee_id": op_id})),
                    )
                    .await;
                } else if state != "new" {
                    http.ok(
                        "POST",
                        &act("assign"),
                        &tech,
                        Some(json!({"assignee_id": tech_id})),
                    )
                    .await;
                }
                if state == "pending" {
                    http.ok(
                        "POST",
                        &act("pause"),
                        &tech,
                        Some(json!({"reason": "waiting_for_reporter", "note": "Menunggu konfirmasi pelapor"})),
                    )
                    .await;
                }
                let worker = if tier2 { &operator } else { &tech };
                if matches!(state, "resolved" | "closed" | "t2_closed") {
                    http.ok(
                        "POST",
                        &act("resolve"),
                        worker,
                        Some(
                            json!({"resolution": "Driver dipasang ulang dan antrian dibersihkan"}),
                        ),
                    )
                    .await;
                }
                if matches!(state, "closed" | "t2_closed") {
                    http.ok("POST", &act("close"), worker, Some(json!({})))
                        .await;
                }
                made.push((state, id));
            }
        }
    }
    let templates: Vec<Template> = {
        let mut c = db.conn().expect("conn");
        made.iter()
            .map(|(state, id)| load_template(&mut c, state, id, &tech_id))
            .collect()
    };
    let per = |f: &dyn Fn(&Template) -> usize| {
        templates.iter().map(f).sum::<usize>() as f64 / templates.len() as f64
    };
    println!(
        "{} templates through the API in {:.1?}; rows a ticket: {:.1} SLA targets, {:.1} SLA events, {:.1} audit events, {:.1} outbox, {:.1} personal data",
        templates.len(),
        started.elapsed(),
        per(&|t| t.targets.len()),
        per(&|t| t.sla_events.len()),
        per(&|t| t.audit.len()),
        per(&|t| t.outbox.len()),
        per(&|t| t.personal.len()),
    );
    for t in templates
        .iter()
        .filter(|t| t.ticket.priority == "medium")
        .take(7)
    {
        println!(
            "  {:<15} {} targets, {} SLA events, {} audit, {} outbox",
            t.state,
            t.targets.len(),
            t.sla_events.len(),
            t.audit.len(),
            t.outbox.len()
        );
    }

    // 2. The bulk load.
    let mut raw = Raw::open(&scratch);
    let pds: Vec<Pd> = {
        // The demo PDs with Tier 1 technicians; Disdukcapil (the measured technician's)
        // holds 30%.
        let mut out = Vec::new();
        for (code, weight) in [
            ("DISDUKCAPIL", 30.0),
            ("DINKES", 25.0),
            ("BAPENDA", 20.0),
            ("DPMPTSP", 15.0),
            ("BKPSDM", 10.0),
        ] {
            let id = raw
                .ids(&format!(
                    "SELECT id FROM organizations WHERE code = {}",
                    q(code)
                ))
                .pop()
                .expect("demo PD");
            let technicians = raw.ids(&format!(
                "SELECT id FROM users WHERE organization_id = {} AND role = 'technician' ORDER BY email",
                q(&id)
            ));
            assert!(!technicians.is_empty(), "{code} has no technician");
            out.push(Pd {
                id,
                weight,
                technicians,
            });
        }
        out
    };
    assert_eq!(
        pds[0].id, big_pd,
        "the measured technician is Disdukcapil's"
    );
    let mut counters: HashMap<i32, i64> = HashMap::new();
    for (scope, n) in raw.sizes("SELECT scope AS name, last_value AS n FROM ticket_counters") {
        if let Some(y) = scope
            .strip_prefix(&format!("{prefix}-"))
            .and_then(|y| y.parse().ok())
        {
            counters.insert(y, n);
        }
    }
    let plan = {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5ca1e);
        let now = Utc::now().naive_utc() - TimeDelta::minutes(10);
        let span = 3 * 365 * 24 * 60;
        let by_state = |s: &str| -> Vec<usize> {
            templates
                .iter()
                .enumerate()
                .filter(|(_, t)| t.state == s)
                .map(|(i, _)| i)
                .collect()
        };
        let pick = |rng: &mut StdRng, s: &str| {
            let v = by_state(s);
            v[rng.gen_range(0..v.len())]
        };
        let mut tickets = Vec::with_capacity(total);
        for _ in 0..total {
            let x: f64 = rng.gen();
            // 70% ended (resolved or closed), 30% open; one in five at Tier 2.
            let t2 = rng.gen_bool(0.2);
            let state = if x < 0.10 {
                "resolved"
            } else if x < 0.70 {
                if t2 {
                    "t2_closed"
                } else {
                    "closed"
                }
            } else if t2 {
                "t2_in_progress"
            } else if x < 0.80 {
                "new"
            } else if x < 0.93 {
                "in_progress"
            } else {
                "pending"
            };
            let open = x >= 0.70;
            // Open tickets: half of them from the last 30 days, the rest a backlog.
            let minutes_ago = if open && rng.gen_bool(0.5) {
                rng.gen_range(0..30 * 24 * 60)
            } else {
                rng.gen_range(0..span)
            };
            let created = now - TimeDelta::minutes(minutes_ago)
                + TimeDelta::milliseconds(rng.gen_range(0..60_000));
            tickets.push((created, pick(&mut rng, state)));
        }
        tickets.sort();
        Plan { tickets }
    };
    let load_started = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(3);
    let (templates_ref, pds_ref) = (&templates, &pds);
    let (samples, rows, loaded) = std::thread::scope(|s| {
        let prefix = prefix.clone();
        let counters = &mut counters;
        let generator = s.spawn(move || {
            let mut samples = Samples::default();
            generate(
                templates_ref,
                &plan,
                pds_ref,
                &prefix,
                counters,
                seed,
                &mut samples,
                with_outbox,
                tx,
            );
            samples
        });
        let mut rows = 0u64;
        let mut loaded = 0usize;
        let mut next_report = 100_000;
        for batch in rx {
            raw.exec("BEGIN");
            for st in &batch.statements {
                raw.exec(st);
            }
            // As the daemon's commits do: the batch's tickets indexed for search together.
            if let Raw::Lite(c) = &mut raw {
                spbe_desk::db::queries::tickets::index_pending_search_sqlite(c)
                    .expect("search index");
            }
            raw.exec("COMMIT");
            rows += batch.rows;
            loaded += batch.tickets;
            if loaded >= next_report {
                let secs = load_started.elapsed().as_secs_f64();
                println!(
                    "  loaded {loaded} tickets, {rows} rows in {secs:.0} s ({:.0} tickets/s)",
                    loaded as f64 / secs
                );
                next_report += 100_000;
            }
        }
        let samples = generator.join().expect("generator");
        (samples, rows, loaded)
    });
    let load_secs = load_started.elapsed().as_secs_f64();
    if !raw.is_pg() {
        raw.exec("PRAGMA cache_size = -2000; PRAGMA shrink_memory;");
    }
    for (year, n) in &counters {
        let scope = spbe_desk::domain::number::counter_scope(&prefix, *year);
        raw.exec(&format!(
            "DELETE FROM ticket_counters WHERE scope = {0}; INSERT INTO ticket_counters (scope, last_value) VALUES ({0}, {n})",
            q(&scope)
        ));
    }
    if !with_outbox {
        println!("BENCH_OUTBOX=0: the copies have no outbox rows (the templates have theirs)");
    }
    println!(
        "load: {loaded} tickets, {rows} rows in {load_secs:.1} s: {:.0} tickets/s, {:.0} rows/s",
        loaded as f64 / load_secs,
        rows as f64 / load_secs
    );
    let t = Instant::now();
    if raw.is_pg() {
        raw.exec("VACUUM (ANALYZE)");
        println!("VACUUM (ANALYZE): {:.1} s", t.elapsed().as_secs_f64());
    } else {
        raw.exec(&format!(
            "PRAGMA optimize = {:#x}",
            spbe_desk::db::SQLITE_OPTIMIZE
        ));
        println!("PRAGMA optimize: {:.1} s", t.elapsed().as_secs_f64());
    }
    let tickets_now = raw.number("SELECT count(*) AS n FROM tickets");

    // Database size per ticket, before the exports store their reports.
    let db_bytes = match &scratch.sqlite_path {
        Some(p) => {
            raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            let size = |suffix: &str| {
                std::fs::metadata(format!("{}{suffix}", p.display()))
                    .map(|m| m.len())
                    .unwrap_or(0)
            };
            size("") + size("-wal") + size("-shm")
        }
        None => u64::try_from(raw.number("SELECT pg_database_size(current_database()) AS n"))
            .unwrap_or(0),
    };
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "database: {:.0} MiB for {tickets_now} tickets: {:.0} bytes a ticket",
        mib(db_bytes as f64),
        db_bytes as f64 / tickets_now as f64
    );
    let by_table = if raw.is_pg() {
        raw.sizes("SELECT relname::text AS name, pg_total_relation_size(oid) AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY n DESC LIMIT 8")
    } else {
        // dbstat reads every page: about as long as a full scan.
        raw.sizes("SELECT coalesce((SELECT tbl_name FROM sqlite_master m WHERE m.name = d.name), d.name) AS name, sum(pgsize) AS n FROM dbstat d GROUP BY 1 ORDER BY n DESC LIMIT 8")
    };
    for (name, n) in by_table {
        println!(
            "  {name:<20} {:>8.0} MiB  {:>6.0} bytes a ticket (with indexes)",
            mib(n as f64),
            n as f64 / tickets_now as f64
        );
    }
    // What sharing a notice's body among its recipients saves: the bodies' bytes as stored,
    // against the bytes they would take written once per recipient's row.
    let stored = raw.number(
        "SELECT COALESCE(SUM(LENGTH(body_text) + LENGTH(body_html)), 0) AS n FROM outbox_bodies",
    );
    let per_row = raw.number(
        "SELECT COALESCE(SUM(LENGTH(b.body_text) + LENGTH(b.body_html)), 0) AS n \
         FROM outbox o JOIN outbox_bodies b ON b.id = o.body_id",
    );
    println!(
        "  outbox bodies: {:.0} bytes a ticket stored once a notice; once a recipient they would take {:.0} (x{:.2})",
        stored as f64 / tickets_now as f64,
        per_row as f64 / tickets_now as f64,
        per_row as f64 / stored.max(1) as f64
    );
    print_rss("after load");

    // Two runs sharing a machine: the later one measures only when the gate file is gone.
    if let Ok(gate) = std::env::var("BENCH_GATE") {
        let waited = Instant::now();
        while std::path::Path::new(&gate).exists() {
            std::thread::sleep(Duration::from_secs(5));
        }
        println!("waited {:.0} s for {gate}", waited.elapsed().as_secs_f64());
    }

    // 3. Lists, searches and fetches.
    let rare = {
        // An error code that some ticket has.
        let id = samples.big_pd.first().cloned().unwrap_or_default();
        let desc = raw.ids(&format!(
            "SELECT description AS id FROM tickets WHERE id = {}",
            q(&id)
        ));
        desc.first()
            .and_then(|d| d.split("ERR").nth(1))
            .map(|c| format!("ERR{}", &c[..5.min(c.len())]))
            .unwrap_or_else(|| "ERR00001".into())
    };
    let variants: Vec<(&str, String, Option<String>)> = vec![
        ("plain", String::new(), None),
        (
            "filtered",
            "&status=new,in_progress&priority=high".into(),
            None,
        ),
        (
            "search common",
            "&q=printer".into(),
            Some("printer".to_string()),
        ),
        ("search rare", format!("&q={rare}"), Some(rare.clone())),
        (
            "search nothing",
            "&q=zzqxv".into(),
            Some("zzqxv".to_string()),
        ),
    ];
    let whos = [
        (
            Who {
                role: "technician",
                user_id: tech_id.clone(),
                org_id: big_pd.clone(),
            },
            &tech,
        ),
        (
            Who {
                role: "operator",
                user_id: op_id.clone(),
                org_id: org_of(&me_op),
            },
            &operator,
        ),
        (
            Who {
                role: "supervisor",
                user_id: id_of(&me_sup),
                org_id: org_of(&me_sup),
            },
            &supervisor,
        ),
    ];
    println!("\nfirst page (limit 50), {requests} requests each:");
    let mut acceptance: Vec<(String, f64, f64, Vec<String>)> = Vec::new();
    for (who, tok) in &whos {
        for (label, query, search) in &variants {
            let path = format!("/api/v1/tickets?limit=50{query}");
            let (_, body) = http.send("GET", &path, tok, None).await;
            let items = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["items"].as_array().map(Vec::len))
                .unwrap_or(0);
            let ((p50, p99, max), stmts) = http.measure(tok, &[path], requests).await;
            let name = format!("list {} {label}", who.role);
            println!(
                "{name:<34} p50 {p50:>8.2} ms   p99 {p99:>8.2} ms   max {max:>8.2} ms   {stmts:>4.1} statements   {items} items"
            );
            let filter = if *label == "filtered" { "filtered" } else { "" };
            let sqls = branch_sql(who, filter, search.as_deref(), raw.is_pg());
            acceptance.push((name, p99, stmts, sqls));
        }
    }
    println!("\nGET /tickets/{{id}} of random visible tickets, {requests} requests each:");
    for ((who, tok), ids) in whos
        .iter()
        .zip([&samples.big_pd, &samples.tier2, &samples.any])
    {
        let paths: Vec<String> = ids
            .iter()
            .map(|id| format!("/api/v1/tickets/{id}"))
            .collect();
        let ((p50, p99, max), stmts) = http.measure(tok, &paths, requests).await;
        println!(
            "{:<34} p50 {p50:>8.2} ms   p99 {p99:>8.2} ms   max {max:>8.2} ms   {stmts:>4.1} statements   ({} ids)",
            format!("fetch {}", who.role),
            ids.len()
        );
    }

    // Plans of what missed.
    for (name, p99, _, sqls) in &acceptance {
        if *p99 < P99_TARGET_MS {
            continue;
        }
        println!("\n{name}: p99 {p99:.1} ms; its statements, each timed alone (median of 5):");
        for sql in sqls {
            let (ms, n) = raw.time(sql);
            println!("  {ms:>8.2} ms, {n} rows: {sql}");
            for line in raw.plan(sql) {
                println!("      {line}");
            }
        }
    }

    // 4. Scheduler ticks.
    println!("\nscheduler tick among {tickets_now} tickets:");
    let tick_app = spbe_desk::app::App::new(db.clone(), Arc::new(SystemClock), settings.clone())
        .expect("service");
    let tick_app = Arc::new(tick_app);
    let mut open_ids = samples.open.clone().into_iter();
    for due in [0usize, 10, 100, 1000] {
        let ids: Vec<String> = open_ids.by_ref().take(due).collect();
        if ids.len() < due {
            println!("  {due:>5} due: not enough open tickets sampled");
            continue;
        }
        for chunk in ids.chunks(500) {
            let list = chunk.iter().map(|i| q(i)).collect::<Vec<_>>().join(", ");
            raw.exec(&format!(
                "UPDATE tickets SET sla_next_at = {} WHERE id IN ({list})",
                ts(Utc::now().naive_utc() - TimeDelta::minutes(1))
            ));
        }
        let a = tick_app.clone();
        let before = statements::sent();
        let t = Instant::now();
        let r = tokio::task::spawn_blocking(move || {
            spbe_desk::jobs::scheduler::tick(&a, Utc::now(), "bench")
        })
        .await
        .expect("join")
        .expect("tick");
        let took = t.elapsed();
        let stmts = statements::sent() - before;
        println!(
            "  {due:>5} due: {:>10.2?}   {:>8.2?} a due ticket   processed {} changed {} escalated {}   {stmts} statements",
            took,
            took / u32::try_from(due.max(1)).unwrap_or(1),
            r.processed,
            r.changed,
            r.escalated
        );
    }

    // Exports.
    println!("\nexports (supervisor):");
    let today = Utc::now().date_naive();
    let last_month = {
        let first = today.with_day(1).expect("first of month");
        (first - TimeDelta::days(1)).format("%Y-%m").to_string()
    };
    let this_month = today.format("%Y-%m").to_string();
    let last_year = (today.year() - 1).to_string();
    for (what, path) in [
        (
            "month just ended, xlsx (freezes all formats)",
            format!("/api/v1/reports/monthly/{last_month}?format=xlsx"),
        ),
        (
            "month just ended, xlsx again (stored)",
            format!("/api/v1/reports/monthly/{last_month}?format=xlsx"),
        ),
        (
            "month just ended, csv tickets (stored)",
            format!("/api/v1/reports/monthly/{last_month}?format=csv&sheet=tickets"),
        ),
        (
            "running month, xlsx (computed)",
            format!("/api/v1/reports/monthly/{this_month}?format=xlsx"),
        ),
        (
            "last year, xlsx (freezes all formats)",
            format!("/api/v1/reports/yearly/{last_year}?format=xlsx"),
        ),
        (
            "last year, csv tickets (stored)",
            format!("/api/v1/reports/yearly/{last_year}?format=csv&sheet=tickets"),
        ),
    ] {
        let t = Instant::now();
        let (status, body) = http.send("GET", &path, &supervisor, None).await;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "  {what:<46} {status} {:>9.1} MiB in {secs:>7.2} s{}",
            mib(body.len() as f64),
            if secs > 10.0 {
                "  (over the default http.request_timeout_seconds = 10)"
            } else {
                ""
            }
        );
    }
    print_rss("after the measurements");

    println!(
        "\nacceptance at {tickets_now} tickets, {backend} (first page p99 < {P99_TARGET_MS} ms):"
    );
    for (name, p99, stmts, _) in &acceptance {
        println!(
            "  {name:<34} p99 {p99:>8.2} ms  {stmts:>4.1} statements  {}",
            if *p99 < P99_TARGET_MS { "PASS" } else { "MISS" }
        );
    }
}
