//! Cost of the calendar arithmetic against the length of the span.
//!
//! `cargo bench --bench calendar`. Times `business_time_between` over spans of 1, 30, 365 and
//! 3650 days and `add_business_time` for the business time of those spans (so the deadline is
//! as far away), each through the public functions (which use the day index beyond a few
//! days) and through the day-by-day walk they are defined by. The printed ratios are the
//! claim: the 3650-day cost over the 1-day cost should be about 1 with the index and grow
//! with the span without it. Also prints what building the index costs on first use (the
//! time of a fresh calendar's first long call).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use spbe_desk::domain::calendar::{Calendar, WeekSchedule};

const SPANS: [i64; 4] = [1, 30, 365, 3650];
/// Different starts (a day and 37 minutes apart), cycled, so that no single interval edge or
/// weekday decides the figure.
const STARTS: i64 = 64;
const BUDGET: Duration = Duration::from_millis(300);
const BUILDS: usize = 5;

fn calendar(tz: Tz) -> Calendar {
    // Three holidays a year, as the SLA tests use, over the years the spans cover.
    let holidays = (2026..2045).flat_map(|y| {
        [(1, 1), (8, 17), (12, 25)]
            .map(|(m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("valid date"))
    });
    Calendar::new(tz, WeekSchedule::spbe_default(), holidays).expect("valid calendar")
}

fn starts(tz: Tz) -> Vec<DateTime<Utc>> {
    let first = tz
        .with_ymd_and_hms(2026, 11, 23, 9, 17, 45)
        .single()
        .expect("valid instant")
        .with_timezone(&Utc);
    (0..STARTS)
        .map(|i| first + TimeDelta::days(i) + TimeDelta::minutes(37 * i))
        .collect()
}

/// Nanoseconds per call of `op` over the starts, repeated for about `BUDGET`.
fn time_per_op(mut op: impl FnMut(usize)) -> f64 {
    let began = Instant::now();
    let mut calls = 0u64;
    while began.elapsed() < BUDGET {
        for i in 0..STARTS as usize {
            op(i);
        }
        calls += STARTS as u64;
    }
    began.elapsed().as_nanos() as f64 / calls as f64
}

fn main() {
    println!("calendar arithmetic: SPBE week (2250 min), 3 holidays a year, 2026-2044");
    for tz in [chrono_tz::Asia::Makassar, chrono_tz::Europe::Berlin] {
        let a = starts(tz)[0];
        // The first long call on a fresh calendar builds its index.
        let builds: Vec<f64> = (0..BUILDS)
            .map(|_| {
                let cal = calendar(tz);
                let began = Instant::now();
                black_box(cal.business_time_between(a, a + TimeDelta::days(3650)));
                began.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let fastest = builds.iter().copied().fold(f64::INFINITY, f64::min);
        let slowest = builds.iter().copied().fold(0.0, f64::max);
        println!(
            "\n{}: first long call on a fresh calendar (builds the day index): \
             {fastest:.2} to {slowest:.2} ms over {BUILDS} calendars",
            tz.name(),
        );
        let cal = calendar(tz);
        let starts = starts(tz);
        println!(
            "{:<24} {:>6} {:>14} {:>14} {:>8}",
            "operation", "span", "indexed ns/op", "walk ns/op", "speed-up"
        );
        let mut between = Vec::new();
        let mut add = Vec::new();
        for days in SPANS {
            let ends: Vec<DateTime<Utc>> =
                starts.iter().map(|&s| s + TimeDelta::days(days)).collect();
            let fast = time_per_op(|i| {
                black_box(cal.business_time_between(black_box(starts[i]), black_box(ends[i])));
            });
            let walk = time_per_op(|i| {
                black_box(cal.business_time_by_walk(black_box(starts[i]), black_box(ends[i])));
            });
            println!(
                "{:<24} {:>5}d {fast:>14.0} {walk:>14.0} {:>7.1}x",
                "business_time_between",
                days,
                walk / fast
            );
            between.push((fast, walk));

            let targets: Vec<TimeDelta> = starts
                .iter()
                .zip(&ends)
                .map(|(&s, &e)| cal.business_time_between(s, e))
                .collect();
            for i in 0..STARTS as usize {
                // The benchmark is only worth reading if both paths agree.
                let due = cal.add_business_time(starts[i], targets[i]);
                assert_eq!(due, cal.add_business_time_by_walk(starts[i], targets[i]));
                assert_eq!(
                    cal.business_time_between(starts[i], ends[i]),
                    cal.business_time_by_walk(starts[i], ends[i])
                );
            }
            let fast = time_per_op(|i| {
                black_box(cal.add_business_time(black_box(starts[i]), black_box(targets[i])));
            });
            let walk = time_per_op(|i| {
                black_box(
                    cal.add_business_time_by_walk(black_box(starts[i]), black_box(targets[i])),
                );
            });
            println!(
                "{:<24} {:>5}d {fast:>14.0} {walk:>14.0} {:>7.1}x",
                "add_business_time",
                days,
                walk / fast
            );
            add.push((fast, walk));
        }
        for (name, rows) in [
            ("business_time_between", &between),
            ("add_business_time", &add),
        ] {
            let (first, last) = (rows[0], rows[rows.len() - 1]);
            println!(
                "{name}: 3650-day cost / 1-day cost: indexed {:.2}, walk {:.0}",
                last.0 / first.0,
                last.1 / first.1
            );
        }
    }
}
