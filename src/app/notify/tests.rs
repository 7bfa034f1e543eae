use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use super::{remembered, BatchLookups, RecentDirectory, Shared};
use crate::domain::Role;

/// The operators' addresses, as remembered or as read: a read counts in `reads` and
/// answers `op<reads>@example.go.id`.
fn operators(shared: Shared, reads: &Cell<u32>) -> Vec<String> {
    remembered(
        |l| &mut l.people,
        shared,
        (None, Role::Operator),
        || {
            reads.set(reads.get() + 1);
            Ok(vec![format!("op{}@example.go.id", reads.get())])
        },
    )
    .expect("answer")
}

/// Asks twice in a batch of its own.
fn ask(recent: &Arc<RecentDirectory>, shared: Shared, reads: &Cell<u32>) -> Vec<String> {
    let _batch = BatchLookups::begin(recent);
    operators(shared, reads);
    operators(shared, reads)
}

#[test]
fn a_batch_finds_what_an_earlier_one_read_until_it_is_too_old() {
    let recent = Arc::new(RecentDirectory::fresh_for(Duration::from_millis(300)));
    let reads = Cell::new(0);
    assert_eq!(ask(&recent, Shared::Yes, &reads), ["op1@example.go.id"]);
    assert_eq!(ask(&recent, Shared::Yes, &reads), ["op1@example.go.id"]);
    assert_eq!(reads.get(), 1);
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(ask(&recent, Shared::Yes, &reads), ["op2@example.go.id"]);
    assert_eq!(reads.get(), 2);
}

#[test]
fn what_is_not_the_directory_is_kept_for_one_batch_only() {
    let recent = Arc::new(RecentDirectory::default());
    let reads = Cell::new(0);
    ask(&recent, Shared::No, &reads);
    assert_eq!(reads.get(), 1, "one read within the batch");
    assert_eq!(ask(&recent, Shared::No, &reads), ["op2@example.go.id"]);
}

#[test]
fn a_change_forgets_and_an_answer_read_before_it_is_not_kept() {
    let recent = Arc::new(RecentDirectory::default());
    let reads = Cell::new(0);
    ask(&recent, Shared::Yes, &reads);
    recent.forget_all();
    assert_eq!(ask(&recent, Shared::Yes, &reads), ["op2@example.go.id"]);
    // A batch that began before a change commits reads the old state: what it read is
    // not filed for the batches after the change.
    {
        let _batch = BatchLookups::begin(&recent);
        recent.forget_all();
        assert_eq!(operators(Shared::Yes, &reads), ["op3@example.go.id"]);
    }
    assert_eq!(ask(&recent, Shared::Yes, &reads), ["op4@example.go.id"]);
}

#[test]
fn without_a_batch_every_question_is_read() {
    let reads = Cell::new(0);
    operators(Shared::Yes, &reads);
    assert_eq!(operators(Shared::Yes, &reads), ["op2@example.go.id"]);
}
