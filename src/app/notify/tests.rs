use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use super::{remembered, BatchLookups, RecentDirectory, Shared};
use crate::domain::Role;

/// Asks for the operators' addresses in a batch of its own, counting the reads.
fn ask(recent: &Arc<RecentDirectory>, shared: Shared, reads: &Cell<u32>) -> Vec<String> {
    let _batch = BatchLookups::begin(recent);
    let mut answer = Vec::new();
    for _ in 0..2 {
        answer = remembered(
            |l| &mut l.people,
            shared,
            (None, Role::Operator),
            || {
                reads.set(reads.get() + 1);
                Ok(vec![format!("op{}@example.go.id", reads.get())])
            },
        )
        .expect("answer");
    }
    answer
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
        remembered(
            |l| &mut l.people,
            Shared::Yes,
            (None, Role::Operator),
            || {
                reads.set(reads.get() + 1);
                Ok(vec!["stale@example.go.id".to_string()])
            },
        )
        .expect("answer");
    }
    assert_eq!(ask(&recent, Shared::Yes, &reads), ["op4@example.go.id"]);
}

#[test]
fn without_a_batch_every_question_is_read() {
    let reads = Cell::new(0);
    for _ in 0..2 {
        remembered(
            |l| &mut l.people,
            Shared::Yes,
            (None, Role::Operator),
            || {
                reads.set(reads.get() + 1);
                Ok(Vec::new())
            },
        )
        .expect("answer");
    }
    assert_eq!(reads.get(), 2);
}
