//! The Tim Koordinasi report (Makassar Ps 56(4), Ps 57, Ps 32(4)-(5)): figures per PD, per
//! service and for Tier 2, findings, the sanctions ledger and a ticket sheet, as JSON, CSV
//! and XLSX. A period still running is computed on each request. An ended period is
//! generated once, in all formats from one snapshot, stored with its SHA-256 and served as
//! those same bytes ever after, whatever happens to tickets, calendars or policies later.
//!
//! One pass over the tickets (a page at a time) feeds the figures and writes the sheet's
//! rows to a temporary file; the writers then read the rows back, so memory stays flat
//! whatever the period's size.

mod mail;
pub mod render;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use render::Sheet;

use super::{App, AppError, AppResult};
use crate::db::models::{ReportChunk, StoredReport, TargetRow, Ticket};
use crate::db::queries::{organizations, reports as q, sanctions, services, sla as slaq};
use crate::db::DbConn;
use crate::domain::report::{
    Figures, Flags, Org, Period, SanctionLine, ServiceInfo, TargetFacts, TicketFacts,
};
use crate::domain::scope::Actor;
use crate::domain::{Classification, Role};

/// Tickets read per query.
const PAGE: i64 = 2000;
/// Bytes per stored chunk.
const CHUNK: usize = 1 << 20;

/// A report format; CSV carries one sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xlsx,
    Csv(Sheet),
}

impl Format {
    /// `json`, `xlsx` or `csv` (with `sheet`, default `pds`).
    pub fn parse(format: &str, sheet: Option<&str>) -> Result<Format, String> {
        match (format, sheet) {
            ("json", None) => Ok(Format::Json),
            ("xlsx", None) => Ok(Format::Xlsx),
            ("json" | "xlsx", Some(_)) => Err("sheet is only for format=csv".into()),
            ("csv", None) => Ok(Format::Csv(Sheet::Pds)),
            ("csv", Some(s)) => Sheet::parse(s).map(Format::Csv).ok_or_else(|| {
                format!(
                    "no sheet {s:?}; one of {}",
                    Sheet::ALL.map(Sheet::key).join(", ")
                )
            }),
            (other, _) => Err(format!("no format {other:?}; json, csv or xlsx")),
        }
    }

    /// The stored name: `json`, `xlsx`, `csv:tickets`.
    pub fn key(self) -> String {
        match self {
            Format::Json => "json".into(),
            Format::Xlsx => "xlsx".into(),
            Format::Csv(s) => format!("csv:{}", s.key()),
        }
    }

    pub fn from_key(k: &str) -> Option<Format> {
        match k {
            "json" => Some(Format::Json),
            "xlsx" => Some(Format::Xlsx),
            _ => Sheet::parse(k.strip_prefix("csv:")?).map(Format::Csv),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv(_) => "text/csv; charset=utf-8",
        }
    }

    /// A file name for a download: `laporan-spbe-2026-11.xlsx`, `...-tickets.csv`.
    pub fn file_name(self, period: &str) -> String {
        match self {
            Format::Json => format!("laporan-spbe-{period}.json"),
            Format::Xlsx => format!("laporan-spbe-{period}.xlsx"),
            Format::Csv(s) => format!("laporan-spbe-{period}-{}.csv", s.key()),
        }
    }

    fn all() -> Vec<Format> {
        let mut v = vec![Format::Json, Format::Xlsx];
        v.extend(Sheet::ALL.map(Format::Csv));
        v
    }
}

/// Where a report's bytes are.
pub enum Body {
    /// Stored: read chunk by chunk with [`App::report_chunk`].
    Stored { chunks: i32 },
    /// Computed for a period still running.
    File(tempfile::NamedTempFile),
}

pub struct ReportOut {
    pub period: String,
    pub format: Format,
    pub sha256: String,
    pub bytes: u64,
    pub frozen: bool,
    pub generated_at: DateTime<Utc>,
    pub body: Body,
}

impl ReportOut {
    fn stored(m: StoredReport, format: Format) -> ReportOut {
        ReportOut {
            period: m.period,
            format,
            sha256: m.sha256,
            bytes: u64::try_from(m.bytes).unwrap_or_default(),
            frozen: true,
            generated_at: m.generated_at.and_utc(),
            body: Body::Stored { chunks: m.chunks },
        }
    }

    /// Copies the whole report to `out` (the CLI's export).
    pub fn copy_to(self, app: &App, out: &mut dyn Write) -> AppResult<()> {
        match self.body {
            Body::File(f) => {
                let mut r = f.reopen().map_err(internal)?;
                std::io::copy(&mut r, out).map_err(internal)?;
            }
            Body::Stored { chunks } => {
                for n in 0..chunks {
                    let bytes = app.report_chunk(&self.period, &self.format.key(), n)?;
                    out.write_all(&bytes).map_err(internal)?;
                }
            }
        }
        Ok(())
    }
}

fn internal(e: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(e.into())
}

/// Who reads the report: the Tim Koordinasi, the Dinas supervisors, the auditors.
fn may_read(actor: &Actor) -> AppResult<()> {
    match actor.role {
        Role::Coordinator | Role::Supervisor | Role::Auditor => Ok(()),
        r => Err(AppError::Forbidden(format!(
            "the report is for the Tim Koordinasi, supervisors and auditors, not the {r} role"
        ))),
    }
}

/// One ticket's facts: its fields and its SLA targets, with the business minutes each
/// ended target used, computed on the calendar version the ticket runs on.
fn facts_of(
    conn: &mut DbConn,
    env: &super::sla::Env,
    t: &Ticket,
    rows: &[TargetRow],
) -> AppResult<TicketFacts> {
    let ctx = match (&t.sla_policy_id, t.sla_policy_version) {
        (Some(p), Some(v)) => Some(env.context(conn, p, v)?),
        _ => None,
    };
    let mut f = TicketFacts {
        id: t.id.clone(),
        number: t.number.clone(),
        organization_id: t.organization_id.clone(),
        service_id: t.service_id.clone(),
        kind: t.kind.clone(),
        priority: t.priority.clone(),
        classification: t.classification.clone(),
        title: (t.classification != Classification::Restricted.as_str()).then(|| t.title.clone()),
        status: t.status.clone(),
        tier: t.tier,
        created_at: t.created_at.and_utc(),
        resolved_at: t.resolved_at.map(|x| x.and_utc()),
        closed_at: t.closed_at.map(|x| x.and_utc()),
        cancelled_at: t.cancelled_at.map(|x| x.and_utc()),
        escalation_mode: t.escalation_mode.clone(),
        escalated_at: t.escalated_at.map(|x| x.and_utc()),
        outage_start: t.outage_start.map(|x| x.and_utc()),
        outage_end: t.outage_end.map(|x| x.and_utc()),
        ..Default::default()
    };
    for row in rows {
        let target = super::sla::to_target(row)?;
        // A resolve stops the clock with an open stop (a reopen would resume it); a close
        // after it ends the target without moving the instant the clock stopped.
        let open_stop = target
            .clock
            .stops
            .iter()
            .filter(|s| s.to.is_none())
            .map(|s| s.from)
            .max();
        let by_resolve = target.stop_reason == Some(crate::domain::targets::StopReason::Resolved)
            || (target.ended_at.is_some() && open_stop.is_some() && t.resolved_at.is_some());
        let stopped_at = if by_resolve {
            open_stop.or(target.ended_at)
        } else {
            target.ended_at
        };
        let elapsed_minutes = match (&ctx, stopped_at) {
            (Some(c), Some(at)) => {
                let d = target.elapsed_at(&c.calendar, at);
                Some(crate::domain::report::round2(
                    d.num_milliseconds() as f64 / 60_000.0,
                ))
            }
            _ => None,
        };
        // A resolved target shows no deadline while stopped; the sheet wants the one it
        // was measured against: the deadline it had while its clock last ran.
        let due_at = row.due_at.map(|x| x.and_utc()).or_else(|| {
            let c = ctx.as_ref()?;
            let mut clock = target.clock.clone();
            clock.stops.retain(|s| s.to.is_some());
            clock.deadline(&c.calendar)
        });
        let facts = TargetFacts {
            due_at,
            stopped_at,
            by_resolve,
            breached_at: row.breached_at.map(|x| x.and_utc()),
            elapsed_minutes,
        };
        match row.target.as_str() {
            "response" => f.response = Some(facts),
            "resolution" => f.resolution = Some(facts),
            "tier2_resolution" => f.tier2 = Some(facts),
            _ => {}
        }
    }
    Ok(f)
}

/// The ticket sheet's row, keyed like `render::TICKET_COLS`.
fn ticket_row(
    t: &TicketFacts,
    f: &Flags,
    org_codes: &HashMap<String, String>,
    service_codes: &HashMap<String, String>,
) -> Value {
    json!({
        "number": t.number,
        "pd": org_codes.get(&t.organization_id),
        "service": t.service_id.as_ref().and_then(|s| service_codes.get(s)),
        "kind": t.kind,
        "priority": t.priority,
        "classification": t.classification,
        "title": t.title,
        "status": t.status,
        "tier": t.tier,
        "created_at": t.created_at,
        "resolved_at": t.resolved_at,
        "closed_at": t.closed_at,
        "cancelled_at": t.cancelled_at,
        "escalation_mode": t.escalation_mode,
        "escalated_at": t.escalated_at,
        "response_due_at": t.response.as_ref().and_then(|r| r.due_at),
        "response_breached": f.response_breached,
        "resolution_due_at": t.resolution.as_ref().and_then(|r| r.due_at),
        "resolution_breached": f.resolution_breached,
        "resolution_met": f.resolution_met,
        "resolution_minutes": f.resolution_minutes,
        "tier2_met": f.tier2_met,
        "tier2_minutes": f.tier2_minutes,
        "outage_start": t.outage_start,
        "outage_end": t.outage_end,
        "outage_minutes": crate::domain::report::round2(f.outage_minutes),
        "opened": f.opened,
        "resolved": f.resolved,
        "resolved_at_tier1": f.resolved_at_tier1,
        "open_at_end": f.open_at_end,
    })
}

/// One generated format in a temporary file, with its hash and size.
struct Written {
    format: Format,
    file: tempfile::NamedTempFile,
    sha256: String,
    bytes: u64,
}

fn hash_file(file: &mut std::fs::File) -> anyhow::Result<(String, u64)> {
    file.seek(SeekFrom::Start(0))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = file.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

impl App {
    /// The zone periods are read in: the default calendar's.
    pub(crate) fn report_tz(&self) -> AppResult<Tz> {
        let name = &self.settings.sla.default_calendar;
        let cal = self.read(|conn| Ok(slaq::calendar_by_name(conn, name)?))?;
        Ok(cal
            .and_then(|c| crate::domain::calendar::parse_timezone(&c.timezone).ok())
            .unwrap_or(self.ticket_tz))
    }

    /// Refuses everyone but the report's readers (before anything about the request is
    /// looked at).
    pub fn may_read_reports(&self, actor: &Actor) -> AppResult<()> {
        may_read(actor)
    }

    /// Parses `YYYY-MM` or `YYYY` (as `monthly` says) in the report zone; refuses a period
    /// that has not begun.
    pub fn report_period(&self, label: &str, monthly: bool) -> AppResult<Period> {
        let tz = self.report_tz()?;
        let p = Period::parse(label, tz).map_err(|m| AppError::field("period", m))?;
        if p.is_month() != monthly {
            return Err(AppError::NotFound(
                if monthly {
                    "no such monthly report: a month is YYYY-MM"
                } else {
                    "no such yearly report: a year is YYYY"
                }
                .into(),
            ));
        }
        if p.start > self.now() {
            return Err(AppError::NotFound(format!(
                "no report yet: {label} has not begun"
            )));
        }
        Ok(p)
    }

    /// The report of a period in one format, for a coordinator, supervisor or auditor.
    pub fn report(&self, actor: &Actor, period: &Period, format: Format) -> AppResult<ReportOut> {
        may_read(actor)?;
        self.report_for(period, format, &mut |_| {})
    }

    /// The report without an actor (the command line and the monthly job): stored bytes
    /// for an ended period (generated and stored first if needed), computed ones otherwise.
    /// `progress` hears how many tickets were read.
    pub fn report_for(
        &self,
        period: &Period,
        format: Format,
        progress: &mut dyn FnMut(u64),
    ) -> AppResult<ReportOut> {
        let now = self.now();
        if !period.has_ended(now) {
            let mut w = self.generate(period, &[format], now, progress)?;
            let one = w
                .pop()
                .ok_or_else(|| internal(anyhow::anyhow!("no report written")))?;
            return Ok(ReportOut {
                period: period.label.clone(),
                format,
                sha256: one.sha256,
                bytes: one.bytes,
                frozen: false,
                generated_at: now,
                body: Body::File(one.file),
            });
        }
        let key = format.key();
        if let Some(m) = self.read(|c| Ok(q::stored_format(c, &period.label, &key)?))? {
            return Ok(ReportOut::stored(m, format));
        }
        self.freeze(period, progress)?;
        let m = self
            .read(|c| Ok(q::stored_format(c, &period.label, &key)?))?
            .ok_or_else(|| internal(anyhow::anyhow!("the stored report vanished")))?;
        Ok(ReportOut::stored(m, format))
    }

    /// Generates every format of an ended period from one snapshot and stores them, unless
    /// another daemon stored the period first (then its copy stands). Returns whether this
    /// call stored it.
    pub fn freeze(&self, period: &Period, progress: &mut dyn FnMut(u64)) -> AppResult<bool> {
        let now = self.now();
        if self.read(|c| Ok(!q::stored(c, &period.label)?.is_empty()))? {
            return Ok(false);
        }
        let written = self.generate(period, &Format::all(), now, progress)?;
        // Storing tens of MiB is long: on SQLite it shares no group commit.
        self.write_alone(|conn| {
            if !q::stored(conn, &period.label)?.is_empty() {
                return Ok(false);
            }
            for w in &written {
                let mut file = w.file.reopen().map_err(internal)?;
                let key = w.format.key();
                let mut buf = vec![0u8; CHUNK];
                let mut n = 0i32;
                loop {
                    let mut filled = 0;
                    while filled < CHUNK {
                        let k = file.read(&mut buf[filled..]).map_err(internal)?;
                        if k == 0 {
                            break;
                        }
                        filled += k;
                    }
                    if filled == 0 && n > 0 {
                        break;
                    }
                    q::insert_chunk(
                        conn,
                        &ReportChunk {
                            period: period.label.clone(),
                            format: key.clone(),
                            n,
                            content: buf[..filled].to_vec(),
                        },
                    )?;
                    n += 1;
                    if filled < CHUNK {
                        break;
                    }
                }
                q::insert_manifest(
                    conn,
                    &StoredReport {
                        period: period.label.clone(),
                        format: key,
                        sha256: w.sha256.clone(),
                        bytes: i64::try_from(w.bytes).unwrap_or(i64::MAX),
                        chunks: n,
                        generated_at: now.naive_utc(),
                    },
                )?;
            }
            Ok(true)
        })
    }

    /// One stored chunk of a frozen report.
    pub fn report_chunk(&self, period: &str, format: &str, n: i32) -> AppResult<Vec<u8>> {
        self.read(|c| Ok(q::chunk(c, period, format, n)?))
    }

    /// The manifest of a frozen period: every stored format with its SHA-256. Empty while
    /// the period runs or before its first generation.
    pub fn report_manifest(&self, actor: &Actor, period: &Period) -> AppResult<Vec<StoredReport>> {
        may_read(actor)?;
        self.read(|c| Ok(q::stored(c, &period.label)?))
    }

    /// The stored reports a file's bytes are (by SHA-256); empty when it matches none.
    pub fn identify_report(&self, sha256: &str) -> AppResult<Vec<StoredReport>> {
        self.read(|c| Ok(q::by_sha256(c, sha256)?))
    }

    /// Writes the formats of a period into temporary files from one snapshot.
    fn generate(
        &self,
        period: &Period,
        formats: &[Format],
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(u64),
    ) -> AppResult<Vec<Written>> {
        let tz = self.report_tz()?;
        let frozen = period.has_ended(now);
        let until = if frozen { period.end } else { now };
        let thresholds = self.settings.reports.thresholds();
        let rows = tempfile::tempfile().map_err(internal)?;
        let mut sheet = BufWriter::new(rows.try_clone().map_err(internal)?);
        let collected = self.db.snapshot(|conn| {
            let techs: HashMap<String, i64> = q::technicians(conn)?.into_iter().collect();
            let orgs: Vec<Org> = organizations::list(conn, Some("pd"))?
                .into_iter()
                .map(|o| Org {
                    technicians: u32::try_from(techs.get(&o.id).copied().unwrap_or(0))
                        .unwrap_or(u32::MAX),
                    id: o.id,
                    code: o.code,
                    name: o.name,
                    parent_id: o.parent_id,
                })
                .collect();
            let mut org_codes: HashMap<String, String> = organizations::list(conn, None)?
                .into_iter()
                .map(|o| (o.id, o.code))
                .collect();
            org_codes.shrink_to_fit();
            let catalogue = services::list(conn, None, None, None)?;
            let service_codes: HashMap<String, String> = catalogue
                .iter()
                .map(|s| (s.id.clone(), s.code.clone()))
                .collect();
            let infos: Vec<ServiceInfo> = catalogue
                .into_iter()
                .map(|s| ServiceInfo {
                    sop_missing: crate::domain::catalogue::sop_missing(&s.sop),
                    id: s.id,
                    code: s.code,
                    name: s.name,
                    organization_id: s.organization_id,
                    criticality: s.criticality,
                    status: s.status,
                    availability_target_percent: s.availability_target_percent,
                })
                .collect();
            let mut figures = Figures::new(&orgs, &infos);
            let (start, end) = (period.start.naive_utc(), period.end.naive_utc());
            let mut after = String::new();
            let mut read = 0u64;
            loop {
                let page = q::tickets_page(conn, start, end, &after, PAGE)?;
                let Some(last) = page.last() else { break };
                after = last.number.clone();
                let ids: Vec<String> = page.iter().map(|t| t.id.clone()).collect();
                let mut targets: HashMap<String, Vec<TargetRow>> = HashMap::new();
                for row in slaq::targets_of_many(conn, &ids)? {
                    targets.entry(row.ticket_id.clone()).or_default().push(row);
                }
                for t in &page {
                    let rows = targets.get(&t.id).map(Vec::as_slice).unwrap_or(&[]);
                    let facts =
                        facts_of(conn, &self.sla, t, rows).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let flags = Flags::of(&facts, period, until);
                    figures.add(&facts, &flags, period, until);
                    if flags.on_sheet(&facts, period) {
                        serde_json::to_writer(
                            &mut sheet,
                            &ticket_row(&facts, &flags, &org_codes, &service_codes),
                        )?;
                        sheet.write_all(b"\n")?;
                    }
                }
                read += page.len() as u64;
                progress(read);
            }
            let days = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive().to_string();
            let ledger: Vec<SanctionLine> =
                sanctions::for_period(conn, &days(period.start), &days(period.end), start, end)?
                    .into_iter()
                    .filter_map(|s| {
                        Some(SanctionLine {
                            issued_on: s.issued_on.parse().ok()?,
                            id: s.id,
                            service_id: s.service_id,
                            level: s.level,
                            letter_number: s.letter_number,
                            report_month: s.report_month,
                            lifted_at: s.lifted_at.map(|x| x.and_utc()),
                            remediation: s.remediation,
                        })
                    })
                    .collect();
            let checkpoint = q::latest_checkpoint(conn)?.map(|c| {
                json!({
                    "seq": c.seq,
                    "created_at": c.created_at.and_utc(),
                    "root": c.root,
                    "public_key": c.public_key,
                    "signature": c.signature,
                })
            });
            Ok((figures, ledger, service_codes, checkpoint))
        });
        let (figures, ledger, service_codes, checkpoint) = collected.map_err(internal)?;
        sheet.flush().map_err(internal)?;
        drop(sheet);
        let figures = figures.finish(period, until, ledger.clone(), &thresholds);
        let meta = render::Meta {
            period: period.label.clone(),
            kind: if period.is_month() {
                "monthly"
            } else {
                "yearly"
            },
            timezone: period.timezone.clone(),
            start: period.start,
            end: period.end,
            generated_at: now,
            frozen,
            thresholds,
            audit_checkpoint: checkpoint,
            definitions: "docs/reports.md",
        };
        let doc = render::Doc {
            meta: &meta,
            figures: &figures,
            sanctions: &ledger,
            service_codes: &service_codes,
            english: self.settings.mail.language == crate::config::MailLanguage::En,
            tz,
        };
        let mut out = Vec::new();
        for &format in formats {
            let mut reader = rows.try_clone().map_err(internal)?;
            reader.seek(SeekFrom::Start(0)).map_err(internal)?;
            let mut lines = BufReader::new(reader)
                .lines()
                .map(|l| -> anyhow::Result<Value> { Ok(serde_json::from_str::<Value>(&l?)?) });
            let file = tempfile::NamedTempFile::new().map_err(internal)?;
            {
                let handle = file.reopen().map_err(internal)?;
                match format {
                    Format::Json => render::write_json(BufWriter::new(handle), &doc, &mut lines),
                    Format::Csv(s) => {
                        render::write_csv(BufWriter::new(handle), &doc, s, &mut lines)
                    }
                    Format::Xlsx => render::write_xlsx(BufWriter::new(handle), &doc, &mut lines),
                }
                .map_err(internal)?;
            }
            let (sha256, bytes) =
                hash_file(&mut file.reopen().map_err(internal)?).map_err(internal)?;
            out.push(Written {
                format,
                file,
                sha256,
                bytes,
            });
        }
        Ok(out)
    }
}
