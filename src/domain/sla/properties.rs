use super::*;
use crate::domain::calendar::test_support::*;
use proptest::prelude::*;

/// Reference steps: 60 days of minutes.
const MAX_STEPS: u32 = 60 * 1440;

fn stopped(clock: &TargetClock, t: DateTime<Utc>) -> bool {
    clock
        .stops
        .iter()
        .any(|s| s.from <= t && s.to.is_none_or(|to| t < to))
}

/// The next instant after `t` at which running status may change.
fn next_breakpoint(clock: &TargetClock, t: DateTime<Utc>) -> DateTime<Utc> {
    clock
        .stops
        .iter()
        .flat_map(|s| [Some(s.from), s.to])
        .flatten()
        .filter(|&b| b > t)
        .fold(RandomCal::next_minute(t), DateTime::min)
}

/// Reference elapsed: walk from the start, counting running working time.
fn reference_elapsed(rc: &RandomCal, clock: &TargetClock, t: DateTime<Utc>) -> TimeDelta {
    let mut total = TimeDelta::zero();
    let mut at = clock.start;
    while at < t {
        let next = next_breakpoint(clock, at).min(t);
        if rc.working(at) && !stopped(clock, at) {
            total += next - at;
        }
        at = next;
    }
    total
}

/// Reference for `reached_at`: `Some(Some(t))`, `Some(None)` once an open stop has begun,
/// or `None` when the walk gave up.
fn reference_reach(
    rc: &RandomCal,
    clock: &TargetClock,
    amount: TimeDelta,
) -> Option<Option<DateTime<Utc>>> {
    let mut remaining = amount;
    let mut at = clock.start;
    for _ in 0..MAX_STEPS {
        if clock.stops.iter().any(|s| s.to.is_none() && s.from <= at) {
            return Some(None);
        }
        let next = next_breakpoint(clock, at);
        if rc.working(at) && !stopped(clock, at) {
            if remaining <= next - at {
                return Some(Some(at + remaining));
            }
            remaining -= next - at;
        }
        at = next;
    }
    None
}

fn arb_clock() -> impl Strategy<Value = (RandomCal, TargetClock)> {
    arb_calendar().prop_flat_map(|rc| {
        let start = arb_instant(&rc);
        let stops = prop::collection::vec(
            (
                arb_instant(&rc),
                // Often chain onto the previous stop: a resume followed by a new pause a
                // moment later (or at once, or overlapping it).
                prop_oneof![
                    1 => Just(None),
                    1 => prop::sample::select(vec![-60_000_000i64, 0, 1, 1_000_000, 60_000_000]).prop_map(Some),
                ],
                prop_oneof![
                    4 => (0i64..(2 * 86_400)).prop_map(Some),
                    1 => prop::sample::select(vec![0i64, 1, 3600, 86_400]).prop_map(Some),
                    1 => Just(None),
                ],
            ),
            0..4,
        );
        let minutes = prop_oneof![1 => Just(0i64), 4 => 0i64..=900];
        (Just(rc), start, stops, minutes)
    })
    .prop_map(|(rc, start, raw, minutes)| {
        let mut stops: Vec<Stop> = Vec::new();
        for (instant, chain_gap, seconds) in raw {
            let previous_end = stops.last().and_then(|s: &Stop| s.to);
            let from = match (previous_end, chain_gap) {
                (Some(end), Some(gap)) => end + TimeDelta::microseconds(gap),
                _ => instant,
            };
            stops.push(Stop {
                from,
                to: seconds.map(|s| from + TimeDelta::seconds(s)),
            });
        }
        (rc, TargetClock { start, minutes, stops })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn deadline_with_stops_matches_reference((rc, clock) in arb_clock()) {
        let target = TimeDelta::minutes(clock.minutes);
        let reached = clock.reached_at(&rc.cal, target);
        // When the reference gives up (a sparse calendar), the checks below still apply.
        if let Some(expected) = reference_reach(&rc, &clock, target) {
            prop_assert_eq!(reached, expected);
        }
        let deadline = clock.deadline(&rc.cal);
        if clock.is_stopped() {
            prop_assert_eq!(deadline, None);
        } else {
            prop_assert_eq!(deadline, reached);
        }
        if let Some(due) = reached {
            prop_assert_eq!(clock.elapsed(&rc.cal, due), target);
            prop_assert_eq!(reference_elapsed(&rc, &clock, due), target);
            if clock.minutes > 0 {
                prop_assert!(clock.elapsed(&rc.cal, due - TimeDelta::microseconds(1)) < target);
            }
        }
    }

    #[test]
    fn elapsed_matches_reference(
        (rc, clock) in arb_clock(),
        days in 0i64..4,
        seconds in 0i64..86_400,
        near_edge in any::<prop::sample::Index>(),
        nudge in prop::sample::select(vec![-1i64, 0, 0, 1, 1_000_000, 30_000_000]),
    ) {
        // Half the time just after (or at) a start, pause or resume, where clipping matters.
        let edges: Vec<DateTime<Utc>> = std::iter::once(clock.start)
            .chain(clock.stops.iter().flat_map(|s| [Some(s.from), s.to]).flatten())
            .collect();
        let t = if days % 2 == 0 {
            near_edge.get(&edges).to_owned() + TimeDelta::microseconds(nudge)
        } else {
            clock.start + TimeDelta::days(days) + TimeDelta::seconds(seconds)
        };
        let elapsed = clock.elapsed(&rc.cal, t);
        prop_assert_eq!(elapsed, reference_elapsed(&rc, &clock, t));
        prop_assert_eq!(clock.remaining(&rc.cal, t), TimeDelta::minutes(clock.minutes) - elapsed);
        prop_assert_eq!(clock.is_stopped_at(t), stopped(&clock, t));
    }

    #[test]
    fn warn_at_matches_reference((rc, clock) in arb_clock(), percent in 0u32..=120) {
        let exact = TimeDelta::microseconds(clock.minutes * i64::from(percent) * 600_000);
        let warn = clock.warn_at(&rc.cal, percent);
        if clock.is_stopped() {
            prop_assert_eq!(warn, None);
        } else if let Some(expected) = reference_reach(&rc, &clock, exact) {
            prop_assert_eq!(warn, expected);
        }
    }
}
