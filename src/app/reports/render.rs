//! The report's three formats, written from the same figures and the same ticket rows:
//! JSON (one document), CSV (one sheet per request, UTF-8, header row) and XLSX (named
//! sheets, header styles, frozen header rows, number and date formats, two charts). Ticket
//! rows stream through; nothing here holds more than one row of the ticket sheet.

use std::io::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, Format as XFormat, FormatAlign, Workbook, Worksheet, XlsxError,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::report::{Figures, SanctionLine};

/// The sheets of the report (CSV gives one at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    Summary,
    Pds,
    Services,
    Tier2,
    Findings,
    Sanctions,
    Tickets,
}

impl Sheet {
    pub const ALL: [Sheet; 7] = [
        Sheet::Summary,
        Sheet::Pds,
        Sheet::Services,
        Sheet::Tier2,
        Sheet::Findings,
        Sheet::Sanctions,
        Sheet::Tickets,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Sheet::Summary => "summary",
            Sheet::Pds => "pds",
            Sheet::Services => "services",
            Sheet::Tier2 => "tier2",
            Sheet::Findings => "findings",
            Sheet::Sanctions => "sanctions",
            Sheet::Tickets => "tickets",
        }
    }

    pub fn parse(s: &str) -> Option<Sheet> {
        Sheet::ALL.into_iter().find(|x| x.key() == s)
    }

    fn title(self, english: bool) -> &'static str {
        match (self, english) {
            (Sheet::Summary, false) => "Ringkasan",
            (Sheet::Pds, false) => "Perangkat Daerah",
            (Sheet::Services, false) => "Layanan",
            (Sheet::Tier2, false) => "Tier 2",
            (Sheet::Findings, false) => "Temuan",
            (Sheet::Sanctions, false) => "Sanksi",
            (Sheet::Tickets, false) => "Tiket",
            (Sheet::Summary, true) => "Summary",
            (Sheet::Pds, true) => "Agencies (PD)",
            (Sheet::Services, true) => "Services",
            (Sheet::Tier2, true) => "Tier 2",
            (Sheet::Findings, true) => "Findings",
            (Sheet::Sanctions, true) => "Sanctions",
            (Sheet::Tickets, true) => "Tickets",
        }
    }
}

/// How a column is written to XLSX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    /// Minutes or percent, two decimals.
    Num,
    Time,
    Bool,
}

/// One column: its CSV/JSON key, its XLSX headers (Bahasa Indonesia, English), its kind.
struct Col(&'static str, &'static str, &'static str, Kind);

const PD_COLS: &[Col] = &[
    Col("code", "Kode PD", "PD code", Kind::Text),
    Col("name", "Perangkat Daerah", "Agency", Kind::Text),
    Col("opened", "Tiket masuk", "Opened", Kind::Int),
    Col("resolved", "Selesai", "Resolved", Kind::Int),
    Col(
        "resolved_at_tier1",
        "Selesai di Tier 1",
        "Resolved at Tier 1",
        Kind::Int,
    ),
    Col(
        "escalated_manual",
        "Eskalasi manual",
        "Escalated (manual)",
        Kind::Int,
    ),
    Col(
        "escalated_automatic",
        "Eskalasi otomatis",
        "Escalated (automatic)",
        Kind::Int,
    ),
    Col(
        "response_breaches",
        "Pelanggaran respons",
        "Response breaches",
        Kind::Int,
    ),
    Col(
        "resolution_breaches",
        "Pelanggaran penyelesaian",
        "Resolution breaches",
        Kind::Int,
    ),
    Col("sla_met", "SLA tercapai", "SLA met", Kind::Int),
    Col("sla_missed", "SLA terlewat", "SLA missed", Kind::Int),
    Col(
        "sla_met_percent",
        "SLA tercapai (%)",
        "SLA met (%)",
        Kind::Num,
    ),
    Col(
        "median_resolution_minutes",
        "Median penyelesaian (menit kerja)",
        "Median resolution (business minutes)",
        Kind::Num,
    ),
    Col(
        "p90_resolution_minutes",
        "P90 penyelesaian (menit kerja)",
        "P90 resolution (business minutes)",
        Kind::Num,
    ),
    Col(
        "backlog_at_end",
        "Tunggakan akhir periode",
        "Backlog at period end",
        Kind::Int,
    ),
    Col(
        "technicians",
        "Teknisi Tier 1 aktif",
        "Active Tier 1 technicians",
        Kind::Int,
    ),
    Col(
        "without_technician",
        "Tanpa teknisi",
        "Without a technician",
        Kind::Text,
    ),
];

const SERVICE_COLS: &[Col] = &[
    Col("code", "Kode layanan", "Service code", Kind::Text),
    Col("name", "Layanan", "Service", Kind::Text),
    Col("pd", "PD pemilik", "Owning PD", Kind::Text),
    Col("criticality", "Kritikalitas", "Criticality", Kind::Text),
    Col("status", "Status", "Status", Kind::Text),
    Col("incidents", "Insiden", "Incidents", Kind::Int),
    Col(
        "downtime_minutes",
        "Gangguan (menit)",
        "Downtime (minutes)",
        Kind::Num,
    ),
    Col(
        "availability_percent",
        "Ketersediaan (%)",
        "Availability (%)",
        Kind::Num,
    ),
    Col(
        "availability_target_percent",
        "Target ketersediaan (%)",
        "Availability target (%)",
        Kind::Num,
    ),
    Col(
        "meets_availability_target",
        "Memenuhi target",
        "Meets target",
        Kind::Bool,
    ),
    Col(
        "fulfilment_met_percent",
        "(a) Pemenuhan permintaan tercapai (%)",
        "(a) Fulfilment met (%)",
        Kind::Num,
    ),
    Col(
        "incident_met_percent_critical",
        "(c) Insiden kritis tercapai (%)",
        "(c) Critical incidents met (%)",
        Kind::Num,
    ),
    Col(
        "incident_met_percent_high",
        "(c) Insiden tinggi tercapai (%)",
        "(c) High incidents met (%)",
        Kind::Num,
    ),
    Col(
        "incident_met_percent_medium",
        "(c) Insiden sedang tercapai (%)",
        "(c) Medium incidents met (%)",
        Kind::Num,
    ),
    Col(
        "incident_met_percent_low",
        "(c) Insiden rendah tercapai (%)",
        "(c) Low incidents met (%)",
        Kind::Num,
    ),
    Col(
        "incident_resolution_missed",
        "(c) Terlewat",
        "(c) Missed",
        Kind::Bool,
    ),
    Col(
        "recommended_sanction",
        "Rekomendasi sanksi",
        "Recommended sanction",
        Kind::Text,
    ),
    Col(
        "sop_missing",
        "SOP belum lengkap",
        "SOP parts missing",
        Kind::Text,
    ),
    Col(
        "sanctions",
        "Sanksi tercatat",
        "Sanctions recorded",
        Kind::Int,
    ),
];

const TIER2_COLS: &[Col] = &[
    Col(
        "escalations_received",
        "Eskalasi diterima",
        "Escalations received",
        Kind::Int,
    ),
    Col("escalated_manual", "Manual", "Manual", Kind::Int),
    Col("escalated_automatic", "Otomatis", "Automatic", Kind::Int),
    Col("ola_met", "OLA tercapai", "OLA met", Kind::Int),
    Col("ola_missed", "OLA terlewat", "OLA missed", Kind::Int),
    Col(
        "ola_met_percent",
        "OLA tercapai (%)",
        "OLA met (%)",
        Kind::Num,
    ),
    Col(
        "resolved",
        "Selesai di Tier 2",
        "Resolved at Tier 2",
        Kind::Int,
    ),
    Col(
        "median_resolution_minutes",
        "Median penyelesaian (menit kerja)",
        "Median resolution (business minutes)",
        Kind::Num,
    ),
    Col(
        "p90_resolution_minutes",
        "P90 penyelesaian (menit kerja)",
        "P90 resolution (business minutes)",
        Kind::Num,
    ),
];

const FINDING_COLS: &[Col] = &[
    Col("kind", "Jenis temuan", "Finding", Kind::Text),
    Col("subject", "Subjek", "Subject", Kind::Text),
    Col("detail", "Uraian", "Detail", Kind::Text),
];

const SANCTION_COLS: &[Col] = &[
    Col("service", "Layanan", "Service", Kind::Text),
    Col("level", "Tingkat", "Level", Kind::Text),
    Col("letter_number", "Nomor surat", "Letter number", Kind::Text),
    Col("issued_on", "Tanggal", "Issued on", Kind::Text),
    Col("report_month", "Bulan laporan", "Report month", Kind::Text),
    Col("lifted_at", "Dicabut", "Lifted", Kind::Time),
    Col("remediation", "Perbaikan PD", "PD remediation", Kind::Text),
];

const TICKET_COLS: &[Col] = &[
    Col("number", "Nomor", "Number", Kind::Text),
    Col("pd", "PD", "PD", Kind::Text),
    Col("service", "Layanan", "Service", Kind::Text),
    Col("kind", "Jenis", "Kind", Kind::Text),
    Col("priority", "Prioritas", "Priority", Kind::Text),
    Col(
        "classification",
        "Klasifikasi",
        "Classification",
        Kind::Text,
    ),
    Col("title", "Judul", "Title", Kind::Text),
    Col("status", "Status", "Status", Kind::Text),
    Col("tier", "Tier", "Tier", Kind::Int),
    Col("created_at", "Dibuat", "Created", Kind::Time),
    Col("resolved_at", "Diselesaikan", "Resolved", Kind::Time),
    Col("closed_at", "Ditutup", "Closed", Kind::Time),
    Col("cancelled_at", "Dibatalkan", "Cancelled", Kind::Time),
    Col(
        "escalation_mode",
        "Mode eskalasi",
        "Escalation mode",
        Kind::Text,
    ),
    Col("escalated_at", "Dieskalasi", "Escalated", Kind::Time),
    Col(
        "response_due_at",
        "Batas respons",
        "Response due",
        Kind::Time,
    ),
    Col(
        "response_breached",
        "Respons terlewat (periode)",
        "Response breached (period)",
        Kind::Bool,
    ),
    Col(
        "resolution_due_at",
        "Batas penyelesaian",
        "Resolution due",
        Kind::Time,
    ),
    Col(
        "resolution_breached",
        "Penyelesaian terlewat (periode)",
        "Resolution breached (period)",
        Kind::Bool,
    ),
    Col(
        "resolution_met",
        "SLA tercapai (periode)",
        "SLA met (period)",
        Kind::Bool,
    ),
    Col(
        "resolution_minutes",
        "Waktu penyelesaian (menit kerja)",
        "Resolution time (business minutes)",
        Kind::Num,
    ),
    Col(
        "tier2_met",
        "OLA tercapai (periode)",
        "OLA met (period)",
        Kind::Bool,
    ),
    Col(
        "tier2_minutes",
        "Waktu Tier 2 (menit kerja)",
        "Tier 2 time (business minutes)",
        Kind::Num,
    ),
    Col("outage_start", "Gangguan mulai", "Outage start", Kind::Time),
    Col("outage_end", "Gangguan selesai", "Outage end", Kind::Time),
    Col(
        "outage_minutes",
        "Gangguan dalam periode (menit)",
        "Outage in period (minutes)",
        Kind::Num,
    ),
    Col("opened", "Masuk (periode)", "Opened (period)", Kind::Bool),
    Col(
        "resolved",
        "Selesai (periode)",
        "Resolved (period)",
        Kind::Bool,
    ),
    Col(
        "resolved_at_tier1",
        "Selesai di Tier 1 (periode)",
        "Resolved at Tier 1 (period)",
        Kind::Bool,
    ),
    Col(
        "open_at_end",
        "Terbuka di akhir periode",
        "Open at period end",
        Kind::Bool,
    ),
];

/// The position of a column, for chart ranges.
fn col_of(columns: &[Col], key: &str) -> u16 {
    columns
        .iter()
        .position(|c| c.0 == key)
        .and_then(|i| u16::try_from(i).ok())
        .unwrap_or(0)
}

fn cols(sheet: Sheet) -> &'static [Col] {
    match sheet {
        Sheet::Summary => &[],
        Sheet::Pds => PD_COLS,
        Sheet::Services => SERVICE_COLS,
        Sheet::Tier2 => TIER2_COLS,
        Sheet::Findings => FINDING_COLS,
        Sheet::Sanctions => SANCTION_COLS,
        Sheet::Tickets => TICKET_COLS,
    }
}

/// The report's header: what it covers, when it was made, and the audit checkpoint that
/// vouches for the trail it was made from.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub period: String,
    pub kind: &'static str,
    pub timezone: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
    /// True for an ended period: these figures are stored and never change.
    pub frozen: bool,
    pub thresholds: crate::domain::report::Thresholds,
    /// The newest signed checkpoint over the audit trail when the report was made (null
    /// when no key is configured).
    pub audit_checkpoint: Option<Value>,
    pub definitions: &'static str,
}

/// Everything but the ticket rows, as the JSON document's and the sheets' rows.
pub struct Doc<'a> {
    pub meta: &'a Meta,
    pub figures: &'a Figures,
    pub sanctions: &'a [SanctionLine],
    pub service_codes: &'a std::collections::HashMap<String, String>,
    pub english: bool,
    pub tz: Tz,
}

fn pct_by(p: &std::collections::BTreeMap<String, Option<f64>>, k: &str) -> Value {
    json!(p.get(k).copied().flatten())
}

impl Doc<'_> {
    /// The rows of one sheet (not the tickets), as JSON objects keyed like the columns.
    fn rows(&self, sheet: Sheet) -> Vec<Value> {
        let f = self.figures;
        match sheet {
            Sheet::Summary | Sheet::Tickets => Vec::new(),
            Sheet::Pds => f
                .pds
                .iter()
                .map(|p| {
                    json!({
                        "code": p.code, "name": p.name, "opened": p.opened, "resolved": p.resolved,
                        "resolved_at_tier1": p.resolved_at_tier1, "escalated_manual": p.escalated_manual,
                        "escalated_automatic": p.escalated_automatic, "response_breaches": p.response_breaches,
                        "resolution_breaches": p.resolution_breaches, "sla_met": p.sla.met, "sla_missed": p.sla.missed,
                        "sla_met_percent": p.sla_met_percent, "median_resolution_minutes": p.median_resolution_minutes,
                        "p90_resolution_minutes": p.p90_resolution_minutes, "backlog_at_end": p.backlog_at_end,
                        "technicians": p.technicians, "without_technician": p.without_technician.join(" "),
                    })
                })
                .collect(),
            Sheet::Services => f
                .services
                .iter()
                .map(|s| {
                    let c = s.critical.as_ref();
                    let by = |k: &str| c.map_or(Value::Null, |c| pct_by(&c.incident_resolution_met_percent, k));
                    json!({
                        "code": s.code, "name": s.name, "pd": s.organization_code, "criticality": s.criticality,
                        "status": s.status, "incidents": s.incidents, "downtime_minutes": s.downtime_minutes,
                        "availability_percent": s.availability_percent,
                        "availability_target_percent": s.availability_target_percent,
                        "meets_availability_target": s.meets_availability_target,
                        "fulfilment_met_percent": c.and_then(|c| c.fulfilment_met_percent),
                        "incident_met_percent_critical": by("critical"), "incident_met_percent_high": by("high"),
                        "incident_met_percent_medium": by("medium"), "incident_met_percent_low": by("low"),
                        "incident_resolution_missed": c.map(|c| c.incident_resolution_missed),
                        "recommended_sanction": s.recommended_sanction, "sop_missing": s.sop_missing.join(" "),
                        "sanctions": s.sanctions.len(),
                    })
                })
                .collect(),
            Sheet::Tier2 => {
                let t = &f.tier2;
                vec![json!({
                    "escalations_received": t.escalations_received, "escalated_manual": t.escalated_manual,
                    "escalated_automatic": t.escalated_automatic, "ola_met": t.ola.met, "ola_missed": t.ola.missed,
                    "ola_met_percent": t.ola_met_percent, "resolved": t.resolved,
                    "median_resolution_minutes": t.median_resolution_minutes,
                    "p90_resolution_minutes": t.p90_resolution_minutes,
                })]
            }
            Sheet::Findings => f
                .findings
                .iter()
                .map(|x| json!({"kind": x.kind, "subject": x.subject, "detail": x.detail}))
                .collect(),
            Sheet::Sanctions => self
                .sanctions
                .iter()
                .map(|s| {
                    json!({
                        "service": self.service_codes.get(&s.service_id), "level": s.level,
                        "letter_number": s.letter_number, "issued_on": s.issued_on.to_string(),
                        "report_month": s.report_month, "lifted_at": s.lifted_at, "remediation": s.remediation,
                    })
                })
                .collect(),
        }
    }

    /// Key and value lines of the summary.
    fn summary(&self) -> Vec<(String, Value)> {
        let m = self.meta;
        let t = &self.figures.totals;
        let mut out = vec![
            ("period".to_string(), json!(m.period)),
            ("timezone".into(), json!(m.timezone)),
            ("start".into(), json!(m.start)),
            ("end".into(), json!(m.end)),
            ("generated_at".into(), json!(m.generated_at)),
            ("frozen".into(), json!(m.frozen)),
            ("opened".into(), json!(t.opened)),
            ("resolved".into(), json!(t.resolved)),
            ("escalated".into(), json!(t.escalated)),
            ("sla_met".into(), json!(t.sla.met)),
            ("sla_missed".into(), json!(t.sla.missed)),
            ("sla_met_percent".into(), json!(t.sla_met_percent)),
            ("backlog_at_end".into(), json!(t.backlog_at_end)),
            ("tickets_on_sheet".into(), json!(t.tickets_on_sheet)),
            ("findings".into(), json!(self.figures.findings.len())),
        ];
        if let Some(c) = &m.audit_checkpoint {
            for k in ["seq", "created_at", "root", "public_key", "signature"] {
                out.push((format!("audit_checkpoint_{k}"), c[k].clone()));
            }
        }
        out.push(("definitions".into(), json!(m.definitions)));
        out
    }
}

/// A cell as CSV text: times in the period's zone with their offset, booleans as
/// true/false, nothing as empty.
fn csv_text(v: &Value, kind: Kind, tz: Tz) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if kind == Kind::Time => DateTime::parse_from_rfc3339(s)
            .map(|t| {
                t.with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            })
            .unwrap_or_else(|_| s.clone()),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes one sheet as CSV; `tickets` gives the ticket rows for the ticket sheet.
pub fn write_csv<W: Write>(
    out: W,
    doc: &Doc<'_>,
    sheet: Sheet,
    tickets: &mut dyn Iterator<Item = anyhow::Result<Value>>,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    if sheet == Sheet::Summary {
        w.write_record(["key", "value"])?;
        for (k, v) in doc.summary() {
            w.write_record([k, csv_text(&v, Kind::Text, doc.tz)])?;
        }
        w.flush()?;
        return Ok(());
    }
    let columns = cols(sheet);
    w.write_record(columns.iter().map(|c| c.0))?;
    let mut put = |row: &Value| -> anyhow::Result<()> {
        w.write_record(columns.iter().map(|c| csv_text(&row[c.0], c.3, doc.tz)))?;
        Ok(())
    };
    if sheet == Sheet::Tickets {
        for row in tickets {
            put(&row?)?;
        }
    } else {
        for row in doc.rows(sheet) {
            put(&row)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Writes the JSON document: header and figures first, then the ticket rows one by one.
pub fn write_json<W: Write>(
    mut out: W,
    doc: &Doc<'_>,
    tickets: &mut dyn Iterator<Item = anyhow::Result<Value>>,
) -> anyhow::Result<()> {
    let f = doc.figures;
    let head = json!({
        "report": doc.meta,
        "totals": f.totals,
        "pds": f.pds,
        "services": f.services,
        "tier2": f.tier2,
        "findings": f.findings,
        "sanctions": doc.sanctions,
    });
    let text = head.to_string();
    // The head is an object; the ticket rows are appended as its last member.
    let open = text.strip_suffix('}').unwrap_or(&text);
    out.write_all(open.as_bytes())?;
    out.write_all(b",\"tickets\":[")?;
    let mut first = true;
    for row in tickets {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut out, &row?)?;
    }
    out.write_all(b"]}")?;
    out.flush()?;
    Ok(())
}

struct Styles {
    header: XFormat,
    number: XFormat,
    time: XFormat,
    title: XFormat,
}

fn styles() -> Styles {
    Styles {
        header: XFormat::new()
            .set_bold()
            .set_background_color(0x1F4E78)
            .set_font_color(0xFFFFFF)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter),
        number: XFormat::new().set_num_format("0.00"),
        time: XFormat::new().set_num_format("yyyy-mm-dd hh:mm"),
        title: XFormat::new().set_bold().set_font_size(14),
    }
}

fn x(e: XlsxError) -> anyhow::Error {
    anyhow::anyhow!("writing the workbook: {e}")
}

/// How cells are written: styles, the zone of times, the language of yes and no.
struct Cells<'a> {
    st: &'a Styles,
    tz: Tz,
    english: bool,
}

fn put_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Value,
    kind: Kind,
    cx: &Cells<'_>,
) -> anyhow::Result<()> {
    let (st, tz, english) = (cx.st, cx.tz, cx.english);
    match (v, kind) {
        (Value::Null, _) => {}
        (Value::Bool(b), _) => {
            let text = match (b, english) {
                (true, false) => "ya",
                (false, false) => "tidak",
                (true, true) => "yes",
                (false, true) => "no",
            };
            ws.write_string(row, col, text).map_err(x)?;
        }
        (Value::Number(n), Kind::Int) => {
            ws.write_number(row, col, n.as_f64().unwrap_or_default())
                .map_err(x)?;
        }
        (Value::Number(n), _) => {
            ws.write_number_with_format(row, col, n.as_f64().unwrap_or_default(), &st.number)
                .map_err(x)?;
        }
        (Value::String(s), Kind::Time) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                ws.write_datetime_with_format(
                    row,
                    col,
                    t.with_timezone(&tz).naive_local(),
                    &st.time,
                )
                .map_err(x)?;
            }
            Err(_) => {
                ws.write_string(row, col, s).map_err(x)?;
            }
        },
        (Value::String(s), _) => {
            ws.write_string(row, col, s).map_err(x)?;
        }
        (other, _) => {
            ws.write_string(row, col, other.to_string()).map_err(x)?;
        }
    }
    Ok(())
}

fn header(ws: &mut Worksheet, columns: &[Col], st: &Styles, english: bool) -> anyhow::Result<()> {
    for (i, c) in columns.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, if english { c.2 } else { c.1 }, &st.header)
            .map_err(x)?;
        let width = if c.3 == Kind::Text { 22 } else { 14 };
        ws.set_column_width(col, width).map_err(x)?;
    }
    ws.set_row_height(0, 45).map_err(x)?;
    ws.set_freeze_panes(1, 0).map_err(x)?;
    Ok(())
}

/// Writes the workbook to `out`. Ticket rows go to a constant-memory sheet.
pub fn write_xlsx<W: Write + std::io::Seek + Send>(
    out: W,
    doc: &Doc<'_>,
    tickets: &mut dyn Iterator<Item = anyhow::Result<Value>>,
) -> anyhow::Result<()> {
    let st = styles();
    let en = doc.english;
    let cx = Cells {
        st: &st,
        tz: doc.tz,
        english: en,
    };
    let mut wb = Workbook::new();
    // A fixed creation time: the same figures give the same bytes.
    let created = doc.meta.generated_at.naive_utc();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("Laporan Tim Koordinasi SPBE {}", doc.meta.period))
            .set_author("spbe-desk")
            .set_creation_datetime(&created),
    );
    // Summary.
    {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(Sheet::Summary.title(en)).map_err(x)?;
        let title = if en {
            format!("SPBE service desk report {}", doc.meta.period)
        } else {
            format!("Laporan Service Desk SPBE {}", doc.meta.period)
        };
        ws.write_string_with_format(0, 0, title, &st.title)
            .map_err(x)?;
        ws.set_column_width(0, 30).map_err(x)?;
        ws.set_column_width(1, 60).map_err(x)?;
        for (i, (k, v)) in doc.summary().into_iter().enumerate() {
            let r = u32::try_from(i).unwrap_or(u32::MAX - 2) + 2;
            ws.write_string(r, 0, &k).map_err(x)?;
            let kind = match k.as_str() {
                "start" | "end" | "generated_at" | "audit_checkpoint_created_at" => Kind::Time,
                _ if v.is_u64() => Kind::Int,
                _ => Kind::Num,
            };
            put_cell(ws, r, 1, &v, kind, &cx)?;
        }
    }
    for sheet in [
        Sheet::Pds,
        Sheet::Services,
        Sheet::Tier2,
        Sheet::Findings,
        Sheet::Sanctions,
    ] {
        let rows = doc.rows(sheet);
        let columns = cols(sheet);
        let ws = wb.add_worksheet_with_constant_memory();
        let name = sheet.title(en);
        ws.set_name(name).map_err(x)?;
        header(ws, columns, &st, en)?;
        for (i, row) in rows.iter().enumerate() {
            let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
            for (c, col) in columns.iter().enumerate() {
                let c16 = u16::try_from(c).unwrap_or(u16::MAX);
                put_cell(ws, r, c16, &row[col.0], col.3, &cx)?;
            }
        }
        let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        match sheet {
            Sheet::Pds if n > 0 => {
                let mut chart = Chart::new(ChartType::Bar);
                chart.title().set_name(if en {
                    "SLA met (%) per PD"
                } else {
                    "SLA tercapai (%) per PD"
                });
                chart
                    .add_series()
                    .set_categories((name, 1, 0, n, 0))
                    .set_values((
                        name,
                        1,
                        col_of(PD_COLS, "sla_met_percent"),
                        n,
                        col_of(PD_COLS, "sla_met_percent"),
                    ))
                    .set_name(if en {
                        "SLA met (%)"
                    } else {
                        "SLA tercapai (%)"
                    });
                chart.x_axis().set_min(0).set_max(100);
                chart.set_width(640).set_height(24 * n.max(12));
                ws.insert_chart(n + 2, 0, &chart).map_err(x)?;
            }
            Sheet::Services => {
                // Critical services come first (`Figures::new` orders them so).
                let critical = u32::try_from(
                    doc.figures
                        .services
                        .iter()
                        .filter(|s| s.critical.is_some())
                        .count(),
                )
                .unwrap_or(0);
                if critical > 0 {
                    let avail = col_of(SERVICE_COLS, "availability_percent");
                    let target = col_of(SERVICE_COLS, "availability_target_percent");
                    let mut chart = Chart::new(ChartType::Column);
                    chart.title().set_name(if en {
                        "Availability of critical services against target (%)"
                    } else {
                        "Ketersediaan layanan kritikal terhadap target (%)"
                    });
                    chart
                        .add_series()
                        .set_categories((name, 1, 0, critical, 0))
                        .set_values((name, 1, avail, critical, avail))
                        .set_name(if en {
                            "Availability (%)"
                        } else {
                            "Ketersediaan (%)"
                        });
                    chart
                        .add_series()
                        .set_categories((name, 1, 0, critical, 0))
                        .set_values((name, 1, target, critical, target))
                        .set_name("Target (%)");
                    chart.set_width(640);
                    ws.insert_chart(n + 2, 0, &chart).map_err(x)?;
                }
            }
            _ => {}
        }
    }
    {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(Sheet::Tickets.title(en)).map_err(x)?;
        header(ws, TICKET_COLS, &st, en)?;
        let mut r = 0u32;
        for row in tickets {
            let row = row?;
            r += 1;
            for (c, col) in TICKET_COLS.iter().enumerate() {
                let c16 = u16::try_from(c).unwrap_or(u16::MAX);
                put_cell(ws, r, c16, &row[col.0], col.3, &cx)?;
            }
        }
    }
    wb.save_to_writer(out).map_err(x)?;
    Ok(())
}
