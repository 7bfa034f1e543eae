use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Slots;

fn slots(n: usize) -> Arc<Slots> {
    Arc::new(Slots {
        free: Mutex::new(n),
        freed: std::sync::Condvar::new(),
    })
}

#[test]
fn a_full_set_of_slots_refuses_after_the_timeout_and_a_release_lets_the_next_in() {
    let s = slots(2);
    let a = s.take(Duration::from_millis(10)).expect("first");
    let _b = s.take(Duration::from_millis(10)).expect("second");
    let t = Instant::now();
    assert!(s.take(Duration::from_millis(50)).is_none());
    assert!(t.elapsed() >= Duration::from_millis(50));

    // A waiter is woken by a release rather than by its timeout.
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let got = s.take(Duration::from_secs(10)).is_some();
            (got, t.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    drop(a);
    let (got, waited) = waiter.join().expect("waiter");
    assert!(got);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}
