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
