use super::new_id;

/// Ids made one after another sort in that order as text (what puts each new row at the
/// end of the B-trees keyed by them), and are all different, even many to a millisecond.
#[test]
fn new_ids_increase_as_text() {
    let ids: Vec<String> = (0..10_000).map(|_| new_id()).collect();
    for pair in ids.windows(2) {
        assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
    }
}
