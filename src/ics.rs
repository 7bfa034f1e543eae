//! Holidays from an iCalendar (.ics) file, e.g. a government or Google holiday calendar:
//! every all-day VEVENT becomes one holiday per day it covers.

use chrono::{NaiveDate, TimeDelta};

use crate::app::sla::Holiday;

/// Longest event accepted as a run of holidays (a week of cuti bersama is the longest).
const MAX_EVENT_DAYS: i64 = 14;

fn date_of(value: &str) -> Option<NaiveDate> {
    let digits: String = value.chars().take(8).collect();
    NaiveDate::parse_from_str(&digits, "%Y%m%d").ok()
}

fn unescape(text: &str) -> String {
    text.replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

/// Parses `.ics` text into holidays, sorted by date; the error says which event is wrong.
pub fn parse_holidays(text: &str) -> Result<Vec<Holiday>, String> {
    let mut out = Vec::new();
    let parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let mut calendars = 0;
    for cal in parser {
        let cal = cal.map_err(|e| format!("not a valid iCalendar file: {e}"))?;
        calendars += 1;
        for (i, ev) in cal.events.iter().enumerate() {
            let prop = |name: &str| {
                ev.properties
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
            };
            let summary = prop("SUMMARY")
                .and_then(|p| p.value.as_deref())
                .map(unescape)
                .unwrap_or_default();
            let label = if summary.is_empty() {
                format!("event {}", i + 1)
            } else {
                summary.clone()
            };
            let start = prop("DTSTART")
                .and_then(|p| p.value.as_deref())
                .and_then(date_of)
                .ok_or_else(|| format!("{label}: DTSTART is missing or not a date"))?;
            // DTEND of an all-day event is exclusive; without one the event is a single day.
            let end = match prop("DTEND").and_then(|p| p.value.as_deref()) {
                Some(v) => date_of(v).ok_or_else(|| format!("{label}: DTEND is not a date"))?,
                None => start + TimeDelta::days(1),
            };
            let days = (end - start).num_days();
            if !(1..=MAX_EVENT_DAYS).contains(&days) {
                return Err(format!(
                    "{label}: spans {days} days; a holiday event spans 1 to {MAX_EVENT_DAYS}"
                ));
            }
            let name: String = if summary.is_empty() {
                "Hari libur".into()
            } else {
                summary.chars().take(200).collect()
            };
            for d in 0..days {
                out.push(Holiday {
                    date: start + TimeDelta::days(d),
                    name: name.clone(),
                });
            }
        }
    }
    if calendars == 0 {
        return Err("not a valid iCalendar file: no VCALENDAR found".into());
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.name.cmp(&b.name)));
    out.dedup_by(|a, b| a.date == b.date);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261226\r\nSUMMARY:Natal\\, cuti bersama\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:Tahun Baru\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn all_day_events_become_one_holiday_per_day() {
        let h = parse_holidays(SAMPLE).expect("valid");
        let dates: Vec<String> = h.iter().map(|x| x.date.to_string()).collect();
        assert_eq!(dates, ["2026-12-24", "2026-12-25", "2027-01-01"]);
        assert_eq!(h[0].name, "Natal, cuti bersama");
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse_holidays("hello").is_err());
        let bad = SAMPLE.replace("DTSTART;VALUE=DATE:20270101", "DTSTART:tomorrow");
        let e = parse_holidays(&bad).expect_err("bad date");
        assert!(e.contains("Tahun Baru"), "{e}");
        let long = SAMPLE.replace("DTEND;VALUE=DATE:20261226", "DTEND;VALUE=DATE:20271226");
        assert!(parse_holidays(&long).is_err());
    }
}
