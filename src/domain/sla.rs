//! The clock of one SLA target: business time from its start, less the time it was stopped.
//!
//! Definitions are those of `shared/SLA.md`: elapsed(t) is the business time between the
//! target's start and `t` minus the business time of every stopped interval (merged first, so
//! overlapping stops are not subtracted twice); the deadline of M minutes is the earliest
//! instant at which elapsed reaches M, with M = 0 meaning the first running working instant.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::calendar::Calendar;

const MICROS_PER_MINUTE: i64 = 60_000_000;

/// A stretch during which the clock did not run: `[from, to)`, or from `from` on while `to` is
/// `None` (paused or resolved and not resumed yet). A stop with `to <= from` is ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

/// One target (response, escalation, resolution, Tier 2) of a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetClock {
    pub start: DateTime<Utc>,
    /// Whole business minutes; a negative value is treated as zero.
    pub minutes: i64,
    /// In any order; they may overlap and may begin before `start` (only the part after
    /// `start` matters).
    pub stops: Vec<Stop>,
}

/// A stretch of time with an optional end (`None`: open-ended).
type Span = (DateTime<Utc>, Option<DateTime<Utc>>);

impl TargetClock {
    pub fn new(start: DateTime<Utc>, minutes: i64) -> TargetClock {
        TargetClock {
            start,
            minutes,
            stops: Vec::new(),
        }
    }

    /// The target as a duration, `None` if `minutes` does not fit a `TimeDelta`.
    pub fn target(&self) -> Option<TimeDelta> {
        TimeDelta::try_minutes(self.minutes.max(0))
    }

    /// Whether some stop is still open (the clock is stopped now and until a resume).
    pub fn is_stopped(&self) -> bool {
        self.stops.iter().any(|stop| stop.to.is_none())
    }

    /// Whether the clock is stopped at `t`: some stop has `from <= t < to` (or is open).
    pub fn is_stopped_at(&self, t: DateTime<Utc>) -> bool {
        self.stops
            .iter()
            .any(|stop| stop.from <= t && stop.to.is_none_or(|to| t < to))
    }

    /// Stops clipped to `[start, ∞)`, without empty ones, sorted and merged (touching stops
    /// merge too), so that no time is subtracted twice.
    fn merged_stops(&self) -> Vec<Span> {
        let mut stops: Vec<Span> = self
            .stops
            .iter()
            .filter_map(|stop| {
                let from = stop.from.max(self.start);
                match stop.to {
                    Some(to) if to <= from => None,
                    to => Some((from, to)),
                }
            })
            .collect();
        stops.sort_by_key(|&(from, _)| from);
        let mut merged: Vec<Span> = Vec::with_capacity(stops.len());
        for (from, to) in stops {
            if let Some(last) = merged.last_mut() {
                // An open stop swallows every later one.
                let reaches = last.1.is_none_or(|end| from <= end);
                if reaches {
                    last.1 = match (last.1, to) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                    continue;
                }
            }
            merged.push((from, to));
        }
        merged
    }

    /// The stretches during which the clock runs, in order; the last one is open-ended unless
    /// the clock is stopped now.
    pub fn running_segments(&self) -> Vec<Span> {
        let mut segments = Vec::new();
        let mut cursor = self.start;
        for (from, to) in self.merged_stops() {
            if from > cursor {
                segments.push((cursor, Some(from)));
            }
            match to {
                Some(to) => cursor = cursor.max(to),
                None => return segments,
            }
        }
        segments.push((cursor, None));
        segments
    }

    /// Business time the clock has run between `start` and `t` (zero before `start`).
    pub fn elapsed(&self, cal: &Calendar, t: DateTime<Utc>) -> TimeDelta {
        // Summing the running segments equals "business time minus merged stops" and cannot
        // subtract anything twice.
        self.running_segments()
            .into_iter()
            .take_while(|&(from, _)| from < t)
            .map(|(from, to)| cal.business_time_between(from, to.map_or(t, |to| to.min(t))))
            .sum()
    }

    /// Target minus elapsed at `t`; negative once overdue.
    pub fn remaining(&self, cal: &Calendar, t: DateTime<Utc>) -> TimeDelta {
        self.target().unwrap_or(TimeDelta::MAX) - self.elapsed(cal, t)
    }

    /// The earliest instant at which elapsed reaches `amount` while the clock runs in working
    /// time; for a zero amount, the first running working instant. This may lie before an open
    /// stop (the target ran out before the pause), which lets a caller see that a paused target
    /// was already used up; `None` if `amount` is not reached before an open stop or within the
    /// calendar's horizon.
    pub fn reached_at(&self, cal: &Calendar, amount: TimeDelta) -> Option<DateTime<Utc>> {
        let mut remaining = amount.max(TimeDelta::zero());
        for (from, to) in self.running_segments() {
            let Some(to) = to else {
                return cal.add_business_time(from, remaining);
            };
            let available = cal.business_time_between(from, to);
            // With nothing left to count, the answer is the first working instant of a segment
            // that has one; a segment with no working time cannot hold it.
            if remaining < available || (remaining == available && available > TimeDelta::zero()) {
                return cal.add_business_time(from, remaining);
            }
            remaining -= available;
        }
        None
    }

    /// The deadline: the earliest instant at which elapsed reaches `minutes`. It may be in the
    /// past and before a later stop (the target ran out first). `None` while the clock is
    /// stopped (an open stop: SLA.md leaves the due time undefined then), if `minutes` is out of
    /// range, or if the calendar has no working time within its horizon.
    pub fn deadline(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        if self.is_stopped() {
            return None;
        }
        self.reached_at(cal, self.target()?)
    }

    /// The instant elapsed reaches `percent` of the target, the warning time. The threshold is
    /// exact: `minutes * percent / 100` minutes is `minutes * percent * 600_000` microseconds,
    /// an integer, so nothing is rounded. Like [`TargetClock::deadline`], `None` while stopped
    /// (use [`TargetClock::reached_at`] to ask about the past) or on overflow.
    pub fn warn_at(&self, cal: &Calendar, percent: u32) -> Option<DateTime<Utc>> {
        if self.is_stopped() {
            return None;
        }
        let micros = self
            .minutes
            .max(0)
            .checked_mul(i64::from(percent))?
            .checked_mul(MICROS_PER_MINUTE / 100)?;
        self.reached_at(cal, TimeDelta::microseconds(micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::WeekSchedule;
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    use chrono_tz::Asia::Makassar;

    fn wita(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
            .expect("valid test input");
        Makassar
            .from_local_datetime(&naive)
            .single()
            .expect("valid test input")
            .with_timezone(&Utc)
    }

    fn default_cal() -> Calendar {
        let holidays = ["2026-12-24", "2026-12-25"]
            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("valid test input"));
        Calendar::new(Makassar, WeekSchedule::spbe_default(), holidays).expect("valid test input")
    }

    fn clock(start: &str, minutes: i64, stops: &[(&str, Option<&str>)]) -> TargetClock {
        TargetClock {
            start: wita(start),
            minutes,
            stops: stops
                .iter()
                .map(|&(from, to)| Stop {
                    from: wita(from),
                    to: to.map(wita),
                })
                .collect(),
        }
    }

    /// Checks the deadline and that it is exactly where elapsed first reaches the target.
    fn assert_deadline(c: &TargetClock, expected: &str) {
        let cal = default_cal();
        let due = c
            .deadline(&cal)
            .expect("a running clock on a working calendar has a deadline");
        assert_eq!(due, wita(expected));
        assert_eq!(c.elapsed(&cal, due), TimeDelta::minutes(c.minutes));
        if c.minutes > 0 {
            assert!(
                c.elapsed(&cal, due - TimeDelta::microseconds(1)) < TimeDelta::minutes(c.minutes)
            );
        }
        assert_eq!(c.remaining(&cal, due), TimeDelta::zero());
    }

    // --- the nine worked examples of SLA.md ---

    #[test]
    fn example_1_across_lunch() {
        assert_deadline(&clock("2026-11-23 11:00", 120, &[]), "2026-11-23 14:00");
    }

    #[test]
    fn example_2_friday_afternoon_to_monday() {
        assert_deadline(&clock("2026-11-27 16:00", 60, &[]), "2026-11-30 08:00");
    }

    #[test]
    fn example_3_start_on_holiday() {
        assert_deadline(&clock("2026-12-24 10:00", 30, &[]), "2026-12-28 08:00");
    }

    #[test]
    fn example_4_uses_up_interval_ends_at_noon() {
        assert_deadline(&clock("2026-11-23 07:30", 270, &[]), "2026-11-23 12:00");
    }

    #[test]
    fn example_5_start_on_saturday() {
        assert_deadline(&clock("2026-11-21 09:00", 450, &[]), "2026-11-23 16:00");
    }

    #[test]
    fn example_6_seconds_count() {
        assert_deadline(&clock("2026-11-23 08:00:30", 1, &[]), "2026-11-23 08:01:30");
    }

    #[test]
    fn example_7_pending_over_lunch() {
        let c = clock(
            "2026-11-23 08:00",
            240,
            &[("2026-11-23 09:00", Some("2026-11-23 14:00"))],
        );
        assert_deadline(&c, "2026-11-24 08:30");
    }

    #[test]
    fn example_8_resolved_then_reopened_next_morning() {
        let c = clock(
            "2026-11-23 08:00",
            240,
            &[("2026-11-23 10:00", Some("2026-11-24 08:00"))],
        );
        assert_deadline(&c, "2026-11-24 10:00");
    }

    #[test]
    fn example_9_pending_from_a_second_offset() {
        let c = clock(
            "2026-11-23 08:00:00",
            240,
            &[("2026-11-23 09:00:30", Some("2026-11-23 14:00"))],
        );
        assert_deadline(&c, "2026-11-24 08:29:30");
    }

    // --- stops ---

    #[test]
    fn open_stop_has_no_deadline_and_frozen_remaining() {
        let cal = default_cal();
        let c = clock("2026-11-23 08:00", 240, &[("2026-11-23 10:00", None)]);
        assert!(c.is_stopped());
        assert_eq!(c.deadline(&cal), None);
        assert_eq!(c.warn_at(&cal, 80), None);
        let frozen = TimeDelta::minutes(120);
        assert_eq!(c.remaining(&cal, wita("2026-11-23 10:00")), frozen);
        assert_eq!(c.remaining(&cal, wita("2026-11-25 15:00")), frozen);
        assert!(c.is_stopped_at(wita("2026-11-23 10:00")));
        assert!(!c.is_stopped_at(wita("2026-11-23 09:59:59")));
    }

    #[test]
    fn pending_over_a_weekend() {
        // Fri 10:00-11:30 and 13:00-14:00 run 150 minutes; pending until Mon 09:00; 90 more.
        let c = clock(
            "2026-11-27 10:00",
            240,
            &[("2026-11-27 14:00", Some("2026-11-30 09:00"))],
        );
        assert_deadline(&c, "2026-11-30 10:30");
        let cal = default_cal();
        assert_eq!(
            c.elapsed(&cal, wita("2026-11-30 09:00")),
            TimeDelta::minutes(150)
        );
        assert_eq!(
            clock("2026-11-27 10:00", 240, &[]).deadline(&cal),
            Some(wita("2026-11-27 15:30"))
        );
    }

    #[test]
    fn minutes_ran_out_before_the_stop() {
        let cal = default_cal();
        // 60 minutes from 08:00 are used at 09:00; the resolve at 10:00 comes after.
        let c = clock(
            "2026-11-23 08:00",
            60,
            &[("2026-11-23 10:00", Some("2026-11-24 08:00"))],
        );
        assert_deadline(&c, "2026-11-23 09:00");
        assert_eq!(
            c.remaining(&cal, wita("2026-11-24 09:00")),
            TimeDelta::minutes(-120)
        );
        // While still resolved the deadline is undefined, but when it was reached is known.
        let open = clock("2026-11-23 08:00", 60, &[("2026-11-23 10:00", None)]);
        assert_eq!(open.deadline(&cal), None);
        assert_eq!(
            open.reached_at(&cal, TimeDelta::minutes(60)),
            Some(wita("2026-11-23 09:00"))
        );
        assert_eq!(open.reached_at(&cal, TimeDelta::minutes(121)), None);
    }

    #[test]
    fn minutes_run_out_exactly_at_the_stop() {
        // 120 minutes end at 10:00 exactly, when the stop begins: the deadline is 10:00.
        let c = clock(
            "2026-11-23 08:00",
            120,
            &[("2026-11-23 10:00", Some("2026-11-24 08:00"))],
        );
        assert_deadline(&c, "2026-11-23 10:00");
    }

    #[test]
    fn overlapping_stops_are_not_subtracted_twice() {
        let cal = default_cal();
        let c = clock(
            "2026-11-23 08:00",
            240,
            &[
                ("2026-11-23 10:00", Some("2026-11-23 12:30")),
                ("2026-11-23 09:00", Some("2026-11-23 11:00")),
                ("2026-11-23 09:00", Some("2026-11-23 11:00")),
                ("2026-11-23 12:30", Some("2026-11-23 13:30")),
            ],
        );
        // Runs 08:00-09:00 and from 13:30.
        assert_eq!(
            c.elapsed(&cal, wita("2026-11-23 14:00")),
            TimeDelta::minutes(90)
        );
        // 60 by 09:00, 150 from 13:30 to 16:00, the last 30 on Tuesday.
        assert_deadline(&c, "2026-11-24 08:00");
        assert_eq!(
            c.running_segments(),
            vec![
                (wita("2026-11-23 08:00"), Some(wita("2026-11-23 09:00"))),
                (wita("2026-11-23 13:30"), None)
            ]
        );
    }

    #[test]
    fn stops_before_start_and_empty_stops_are_ignored() {
        let cal = default_cal();
        let c = clock(
            "2026-11-23 08:00",
            60,
            &[
                ("2026-11-20 08:00", Some("2026-11-23 08:30")),
                ("2026-11-23 10:00", Some("2026-11-23 10:00")),
                ("2026-11-23 11:00", Some("2026-11-23 10:00")),
            ],
        );
        assert_eq!(
            c.elapsed(&cal, wita("2026-11-23 09:00")),
            TimeDelta::minutes(30)
        );
        assert_deadline(&c, "2026-11-23 09:30");
    }

    #[test]
    fn zero_minutes_waits_for_a_running_working_instant() {
        let cal = default_cal();
        assert_deadline(&clock("2026-11-23 12:10", 0, &[]), "2026-11-23 13:00");
        // Stopped over the first working instants: the clock first runs at 08:00.
        let c = clock(
            "2026-11-23 06:00",
            0,
            &[("2026-11-23 06:30", Some("2026-11-23 08:00"))],
        );
        assert_eq!(c.deadline(&cal), Some(wita("2026-11-23 08:00")));
        assert_eq!(c.warn_at(&cal, 80), Some(wita("2026-11-23 08:00")));
    }

    #[test]
    fn warn_at_is_an_exact_fraction() {
        let cal = default_cal();
        // 80% of 240 = 192 minutes: 08:00 + 192 = 11:12.
        let c = clock("2026-11-23 08:00", 240, &[]);
        assert_eq!(c.warn_at(&cal, 80), Some(wita("2026-11-23 11:12")));
        assert_eq!(c.warn_at(&cal, 100), c.deadline(&cal));
        // 50% of 7 minutes is 3.5 minutes, not 3 or 4.
        let c = clock("2026-11-23 11:58", 7, &[]);
        assert_eq!(c.warn_at(&cal, 50), Some(wita("2026-11-23 13:01:30")));
        // 33% of 1 minute = 19.8 s.
        let c = clock("2026-11-23 08:00", 1, &[]);
        assert_eq!(c.warn_at(&cal, 33), Some(wita("2026-11-23 08:00:19.8")));
        assert_eq!(c.warn_at(&cal, 0), Some(wita("2026-11-23 08:00")));
        // With a closed stop the warning moves like the deadline.
        let c = clock(
            "2026-11-23 08:00",
            240,
            &[("2026-11-23 09:00", Some("2026-11-23 14:00"))],
        );
        assert_eq!(c.warn_at(&cal, 50), Some(wita("2026-11-23 15:00")));
    }

    #[test]
    fn remaining_and_elapsed_before_start() {
        let cal = default_cal();
        let c = clock("2026-11-23 08:00", 240, &[]);
        assert_eq!(c.elapsed(&cal, wita("2026-11-23 07:00")), TimeDelta::zero());
        assert_eq!(
            c.remaining(&cal, wita("2026-11-23 07:00")),
            TimeDelta::minutes(240)
        );
        assert_eq!(
            c.remaining(&cal, wita("2026-11-23 12:00")),
            TimeDelta::zero()
        );
        assert_eq!(
            c.remaining(&cal, wita("2026-11-23 14:00")),
            TimeDelta::minutes(-60)
        );
        assert_eq!(
            c.remaining(&cal, wita("2026-11-24 08:00")),
            TimeDelta::minutes(-210)
        );
    }

    #[test]
    fn stopped_at_is_half_open() {
        let c = clock(
            "2026-11-23 08:00",
            240,
            &[("2026-11-23 09:00", Some("2026-11-23 14:00"))],
        );
        assert!(!c.is_stopped());
        assert!(c.is_stopped_at(wita("2026-11-23 09:00")));
        assert!(c.is_stopped_at(wita("2026-11-23 13:59:59.999999")));
        assert!(!c.is_stopped_at(wita("2026-11-23 14:00")));
    }

    #[test]
    fn no_working_time_means_no_deadline() {
        let cal = Calendar::new(Makassar, WeekSchedule::default(), []).expect("valid test input");
        let c = TargetClock::new(wita("2026-11-23 08:00"), 30);
        assert_eq!(c.deadline(&cal), None);
        assert_eq!(c.elapsed(&cal, wita("2026-12-23 08:00")), TimeDelta::zero());
    }
}

#[cfg(test)]
mod properties {
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
}
