//! The monthly report in the Tim Koordinasi's mailbox: one notice per mailbox, queued in the
//! outbox with the stored XLSX as an attachment. The notice's source is the period, and the
//! outbox refuses a second notice of one source to one address, so several daemons queue it
//! once.

use std::collections::HashMap;

use serde_json::json;

use super::{internal, Format, Sheet};
use crate::app::notify::{mailboxes, NewMessage};
use crate::app::{App, AppError, AppResult};
use crate::db::queries::{outbox, reports as q};
use crate::domain::report::Period;
use crate::domain::OrgKind;
use crate::mail::format_instant;

impl App {
    /// All bytes of a stored report format.
    fn stored_bytes(&self, period: &str, format: &str) -> AppResult<Vec<u8>> {
        let m = self
            .read(|c| Ok(q::stored_format(c, period, format)?))?
            .ok_or_else(|| AppError::NotFound(format!("no stored report {period} {format}")))?;
        let mut out = Vec::with_capacity(usize::try_from(m.bytes).unwrap_or(0));
        for n in 0..m.chunks {
            out.extend(self.report_chunk(period, format, n)?);
        }
        Ok(out)
    }

    /// What an outbox row's `attachment` names: file name, content type, bytes.
    pub fn attachment(&self, reference: &str) -> AppResult<(String, String, Vec<u8>)> {
        let mut parts = reference.splitn(3, ':');
        let (Some("report"), Some(period), Some(key)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AppError::NotFound(format!(
                "unknown attachment {reference}"
            )));
        };
        let format = Format::from_key(key)
            .ok_or_else(|| AppError::NotFound(format!("unknown report format {key}")))?;
        let bytes = self.stored_bytes(period, key)?;
        Ok((
            format.file_name(period),
            format.content_type().to_string(),
            bytes,
        ))
    }

    /// Queues the frozen report of `period` for the Tim Koordinasi's mailboxes (once per
    /// address, whoever asks). Returns how many notices were queued now.
    pub fn queue_report_mail(&self, period: &Period) -> AppResult<usize> {
        let xlsx = Format::Xlsx.key();
        let Some(manifest) = self.read(|c| Ok(q::stored_format(c, &period.label, &xlsx)?))? else {
            return Err(AppError::Conflict(format!(
                "the report {} is not frozen yet",
                period.label
            )));
        };
        // The summary and the findings sheets are small: the mail quotes them.
        let summary: HashMap<String, String> = {
            let bytes = self.stored_bytes(&period.label, &Format::Csv(Sheet::Summary).key())?;
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            r.records()
                .filter_map(Result::ok)
                .filter_map(|rec| Some((rec.get(0)?.to_string(), rec.get(1)?.to_string())))
                .collect()
        };
        let findings: Vec<String> = {
            let bytes = self.stored_bytes(&period.label, &Format::Csv(Sheet::Findings).key())?;
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            r.records()
                .filter_map(Result::ok)
                .filter_map(|rec| rec.get(2).map(str::to_string))
                .collect()
        };
        let lang = self.settings.mail.language;
        let report_tz: chrono_tz::Tz = period.timezone.parse().unwrap_or(self.ticket_tz);
        let last_instant = period.end - chrono::Duration::seconds(1);
        let attached = u64::try_from(manifest.bytes).unwrap_or(u64::MAX)
            <= self.settings.reports.attachment_max_bytes;
        let kind = if period.is_month() {
            "monthly"
        } else {
            "yearly"
        };
        let ctx = json!({
            "report": {
                "period": period.label,
                "start": format_instant(lang, report_tz, period.start),
                "end": format_instant(lang, report_tz, last_instant),
                "opened": summary.get("opened"),
                "resolved": summary.get("resolved"),
                "sla_met_percent": summary.get("sla_met_percent").filter(|v| !v.is_empty()),
                "backlog": summary.get("backlog_at_end"),
                "findings": findings,
                "attached": attached,
                "url": format!(
                    "{}/api/v1/reports/{kind}/{}?format=xlsx",
                    self.settings.mail.desk_url.trim_end_matches('/'),
                    period.label
                ),
                "sha256": manifest.sha256,
            }
        });
        let rendered = self
            .mail
            .render("report", &ctx)
            .map_err(|e| internal(anyhow::anyhow!("mail template report: {e:#}")))?;
        let source = format!("report:{}", period.label);
        self.write(|conn| {
            let now = self.now();
            let addresses = mailboxes(conn, OrgKind::Coordination)?;
            if addresses.is_empty() {
                tracing::warn!(
                    period = %period.label,
                    "no Tim Koordinasi mailbox (an organization of kind coordination with an e-mail): the report is stored but not mailed"
                );
            }
            let mut rows = Vec::new();
            for address in addresses {
                let address = address.trim().to_ascii_lowercase();
                if outbox::exists(conn, &source, &address)? {
                    continue;
                }
                rows.push(self.outbox_row(NewMessage {
                    ticket_id: None,
                    event: "report",
                    source_id: source.clone(),
                    recipient: address,
                    rendered: &rendered,
                    thread_id: None,
                    staff: true,
                    not_before: now,
                    now,
                    attachment: attached.then(|| format!("report:{}:{xlsx}", period.label)),
                }));
            }
            outbox::insert(conn, &rows)?;
            Ok(rows.len())
        })
    }

    /// The start-of-month run: freezes the month just ended (and, in January, the year) and
    /// queues the month's report for the Tim Koordinasi. Safe to run any number of times
    /// from any number of daemons.
    pub fn monthly_reports(&self) -> AppResult<Option<String>> {
        let now = self.now();
        let tz = self.report_tz()?;
        let month = Period::month_before(now, tz).map_err(|m| internal(anyhow::anyhow!(m)))?;
        let year =
            Period::parse(&month.label[..4], tz).map_err(|m| internal(anyhow::anyhow!(m)))?;
        self.freeze(&month, &mut |_| {})?;
        if year.has_ended(now) {
            self.freeze(&year, &mut |_| {})?;
        }
        let queued = self.queue_report_mail(&month)?;
        Ok((queued > 0).then(|| month.label.clone()))
    }
}
