//! Human ticket numbers: `SD-2026-000123`, unique per prefix and year.

/// Formats a number; the sequence is zero-padded to six digits and grows beyond when a
/// year has more than 999,999 tickets (a national deployment can).
pub fn format(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}-{year:04}-{seq:06}")
}

/// True if `s` has the shape of a ticket number (not whether it exists).
pub fn looks_like_number(s: &str) -> bool {
    let mut parts = s.rsplitn(3, '-');
    let (Some(seq), Some(year), Some(prefix)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !prefix.is_empty()
        && prefix.len() <= 16
        && prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && (6..=12).contains(&seq.len())
        && seq.chars().all(|c| c.is_ascii_digit())
}

/// The scope under which numbers are counted: one counter per prefix and year.
pub fn counter_scope(prefix: &str, year: i32) -> String {
    format!("{prefix}-{year:04}")
}

#[cfg(test)]
mod tests;
