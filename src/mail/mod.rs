//! E-mail: the message templates, how times are written for people in a zone, and the
//! transports (an .eml file per message, or SMTP through lettre). The outbox that decides
//! what to send lives in `app::notify`; the worker that sends it in `jobs::outbox`.

mod templates;
pub mod transport;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use lettre::message::Mailbox;

pub use templates::{Rendered, Templates};
pub use transport::{SendError, Transport};

use crate::config::MailLanguage;

/// The events that can notify, as named in `mail.recipients` and in the templates.
pub const EVENTS: &[&str] = &[
    "created",
    "assigned",
    "escalated",
    "sla_warned",
    "sla_breached",
    "paused",
    "resolved",
    "reopened",
    "closed",
    "commented",
];

/// Parses `Name <address>` or a bare address.
pub fn mailbox(s: &str) -> Option<Mailbox> {
    s.trim().parse().ok()
}

/// The domain of an address, for Message-IDs.
pub fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .filter(|d| !d.is_empty())
        .unwrap_or("localhost")
}

/// The abbreviation people in Indonesia use for their zone; the UTC offset elsewhere.
fn zone_name(tz: Tz, t: DateTime<Tz>) -> String {
    match tz.name() {
        "Asia/Jakarta" | "Asia/Pontianak" => "WIB".into(),
        "Asia/Makassar" => "WITA".into(),
        "Asia/Jayapura" => "WIT".into(),
        _ => t.format("UTC%:z").to_string(),
    }
}

const HARI: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const BULAN: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// An instant as people in `tz` write it: "Senin, 30 November 2026 pukul 08.00 WITA", or in
/// English "Monday, 30 November 2026 at 08:00 WITA".
pub fn format_instant(lang: MailLanguage, tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    let zone = zone_name(tz, local);
    match lang {
        MailLanguage::Id => format!(
            "{}, {} {} {} pukul {:02}.{:02} {}",
            HARI[local.weekday().num_days_from_monday() as usize],
            local.day(),
            BULAN[local.month0() as usize],
            local.year(),
            local.hour(),
            local.minute(),
            zone
        ),
        MailLanguage::En => format!(
            "{} at {:02}:{:02} {}",
            local.format("%A, %-d %B %Y"),
            local.hour(),
            local.minute(),
            zone
        ),
    }
}

/// The same instant in a table cell: "30 Nov 2026 08.00 WITA" ("08:00" in English).
pub fn format_short(lang: MailLanguage, tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    let zone = zone_name(tz, local);
    let month: String = match lang {
        MailLanguage::Id => BULAN[local.month0() as usize].chars().take(3).collect(),
        MailLanguage::En => local.format("%b").to_string(),
    };
    let sep = match lang {
        MailLanguage::Id => '.',
        MailLanguage::En => ':',
    };
    format!(
        "{} {month} {} {:02}{sep}{:02} {zone}",
        local.day(),
        local.year(),
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod tests;
