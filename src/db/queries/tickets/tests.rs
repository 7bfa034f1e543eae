use chrono::NaiveDateTime;

use super::{rowid_ranges, WALK_RANGE_GAP};

fn chunk(rowids: &[i64]) -> Vec<(i64, NaiveDateTime, String)> {
    rowids
        .iter()
        .map(|&r| (r, NaiveDateTime::default(), format!("t{r}")))
        .collect()
}

#[test]
fn a_chunk_is_checked_in_one_range_per_cluster_of_nearby_rowids() {
    // Tickets made before a bulk load sit at the start of the rowids, the newest loaded
    // ones near the end; page order mixes them.
    let mut rowids: Vec<i64> = (999_800..1_000_000).rev().collect();
    rowids.extend(1..=84);
    rowids.push(999_000);
    assert_eq!(rowid_ranges(&chunk(&rowids)), [(1, 84), (999_000, 999_999)]);
    // A gap of exactly the limit joins; one more splits.
    assert_eq!(
        rowid_ranges(&chunk(&[10, 10 + WALK_RANGE_GAP])),
        [(10, 10 + WALK_RANGE_GAP)]
    );
    assert_eq!(
        rowid_ranges(&chunk(&[10 + WALK_RANGE_GAP + 1, 10])),
        [(10, 10), (10 + WALK_RANGE_GAP + 1, 10 + WALK_RANGE_GAP + 1)]
    );
    assert!(rowid_ranges(&chunk(&[])).is_empty());
}
