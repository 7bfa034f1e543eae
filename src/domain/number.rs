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
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_the_contract_example() {
        assert_eq!(format("SD", 2026, 123), "SD-2026-000123");
        assert_eq!(format("SD", 2026, 1_234_567), "SD-2026-1234567");
    }

    #[test]
    fn rejects_non_numbers() {
        for s in [
            "",
            "SD",
            "SD-2026",
            "SD-26-000001",
            "sd-2026-000001",
            "SD-2026-12",
            "SD-2026-00000x",
            "../etc",
        ] {
            assert!(!looks_like_number(s), "{s}");
        }
    }

    proptest! {
        #[test]
        fn every_formatted_number_is_recognised(year in 2000i32..2100, seq in 1i64..10_000_000_000) {
            prop_assert!(looks_like_number(&format("SD", year, seq)));
        }
    }
}
