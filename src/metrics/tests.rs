use super::{Metrics, Snapshot};

#[test]
fn redone_scheduler_batches_add_up_across_ticks() {
    let m = Metrics::new();
    m.tick(0.02, 0);
    m.tick(0.5, 2);
    m.tick(0.3, 1);
    let text = m.render(&Snapshot::default());
    let line = text
        .lines()
        .find(|l| l.starts_with("spbe_desk_scheduler_batches_redone_total "))
        .unwrap_or_else(|| panic!("no counter in:\n{text}"));
    assert_eq!(line, "spbe_desk_scheduler_batches_redone_total 3");
    assert!(text.contains("spbe_desk_scheduler_tick_duration_seconds_count 3"));
}
