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
        assert!(c.elapsed(&cal, due - TimeDelta::microseconds(1)) < TimeDelta::minutes(c.minutes));
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
