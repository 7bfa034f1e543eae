use super::test_support::arb_week;
use super::*;
use proptest::prelude::*;

/// The Indonesian zones, zones whose clocks change around 02:00 (Berlin, New York), at
/// midnight (Santiago) and by half an hour (Lord Howe), and UTC.
const ZONES: [Tz; 8] = [
    chrono_tz::Asia::Jakarta,
    chrono_tz::Asia::Makassar,
    chrono_tz::Asia::Jayapura,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::America::Santiago,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::UTC,
];

const MICROS_PER_MINUTE: i64 = 60_000_000;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test input")
}

fn calendar(tz: Tz, week: &[Vec<(u32, u32)>; 7], holidays: Vec<NaiveDate>) -> Calendar {
    let time = |m: u32| {
        if m == 1440 {
            END_OF_DAY
        } else {
            NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("valid test input")
        }
    };
    let week = WeekSchedule {
        days: week
            .clone()
            .map(|day| day.into_iter().map(|(s, e)| (time(s), time(e))).collect()),
    };
    Calendar::new(tz, week, holidays).expect("valid test input")
}

/// `micros` after local midnight of `date`, mapped as the calendar maps interval edges, so
/// that an edge-biased choice lands exactly on an interval's edge in every zone.
fn local(cal: &Calendar, date: NaiveDate, micros: i64) -> DateTime<Utc> {
    cal.local_to_utc(date, micros).expect("valid test input")
}

/// Micro-seconds after local midnight: mostly on or next to one of the week's interval
/// edges (or midnight), sometimes anywhere, sometimes with a sub-second part.
fn arb_time_of_day(week: &[Vec<(u32, u32)>; 7]) -> impl Strategy<Value = i64> {
    let mut edges: Vec<i64> = vec![0, MICROS_PER_DAY];
    edges.extend(
        week.iter()
            .flatten()
            .flat_map(|&(s, e)| [i64::from(s), i64::from(e)])
            .map(|m| m * MICROS_PER_MINUTE),
    );
    let nudges = vec![-MICROS_PER_MINUTE, -1, 0, 0, 0, 0, 1, MICROS_PER_MINUTE];
    prop_oneof![
        3 => (prop::sample::select(edges), prop::sample::select(nudges)).prop_map(|(e, n)| e + n),
        1 => (0i64..86_400).prop_map(|s| s * 1_000_000),
        1 => 0i64..MICROS_PER_DAY,
    ]
}

/// Dates from 2000 to the 2090s, some in the weeks when Europe, the United States, Chile or
/// Lord Howe Island change their clocks, and some just inside and outside either end of the
/// index.
fn arb_base() -> impl Strategy<Value = NaiveDate> {
    let transition_weeks = vec![(3, 8), (3, 25), (10, 25), (11, 1), (4, 1), (9, 1), (10, 1)];
    prop_oneof![
        4 => (0u64..33_000).prop_map(|d| date(2000, 1, 1) + Days::new(d)),
        2 => (2000i32..2100, prop::sample::select(transition_weeks), 0u32..7)
            .prop_map(|(y, (m, d), more)| date(y, m, d + more)),
        1 => (0u64..60).prop_map(|d| date(1999, 12, 1) + Days::new(d)),
        1 => (0u64..3_700).prop_map(|d| date(2089, 12, 1) + Days::new(d)),
    ]
}

/// From a few minutes to about ten years ahead, in days.
fn arb_span_days() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..3, 0i64..40, 0i64..400, 0i64..3_700]
}

/// Up to ten years of business time: often whole minutes, sometimes any microsecond.
fn arb_target() -> impl Strategy<Value = TimeDelta> {
    prop_oneof![
        1 => Just(TimeDelta::zero()),
        2 => (0i64..5_256_000).prop_map(TimeDelta::minutes),
        1 => (0i64..20_000).prop_map(TimeDelta::minutes),
        1 => (0i64..315_360_000_000_000).prop_map(TimeDelta::microseconds),
    ]
}

/// Single holidays and runs of up to three weeks, from a year before the base to about ten
/// years after it.
fn arb_holidays(base: NaiveDate) -> impl Strategy<Value = Vec<NaiveDate>> {
    let run = prop_oneof![3 => Just(1u64), 1 => 1u64..22];
    prop::collection::vec((-400i64..3_800, run), 0..30).prop_map(move |runs| {
        runs.into_iter()
            .flat_map(|(offset, length)| {
                let first = base + TimeDelta::days(offset);
                first.iter_days().take(length as usize)
            })
            .collect()
    })
}

#[derive(Debug)]
struct Case {
    cal: Calendar,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
    target: TimeDelta,
}

fn arb_case() -> impl Strategy<Value = Case> {
    (prop::sample::select(ZONES.to_vec()), arb_week(), arb_base())
        .prop_flat_map(|(tz, week, base)| {
            (
                Just((tz, week.clone(), base)),
                arb_holidays(base),
                -2i64..3,
                arb_time_of_day(&week),
                arb_span_days(),
                arb_time_of_day(&week),
                arb_target(),
                prop_oneof![3 => Just(None), 1 => (-3i64..=1).prop_map(Some)],
            )
        })
        .prop_map(
            |((tz, week, base), mut holidays, a_day, a_time, span, b_time, target, cover)| {
                let a_date = base + TimeDelta::days(a_day);
                // Sometimes holidays from a's day to about b's, so that the span's first
                // working day is next to its last, or there is none.
                if let Some(more) = cover {
                    let days = usize::try_from(span + more).unwrap_or(0);
                    holidays.extend(a_date.iter_days().take(days));
                }
                let cal = calendar(tz, &week, holidays);
                let a = local(&cal, a_date, a_time);
                let b = local(&cal, a_date + TimeDelta::days(span), b_time);
                Case { cal, a, b, target }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Both operations, indexed, give the walk's answer to the microsecond: the span's
    /// business time, deadlines that use it up exactly or miss it by a microsecond, a random
    /// target, and zero.
    #[test]
    fn indexed_arithmetic_matches_the_walk(case in arb_case()) {
        let Case { cal, a, b, target } = case;
        let between = cal.business_time_between(a, b);
        prop_assert_eq!(between, cal.business_time_by_walk(a, b));
        prop_assert_eq!(cal.business_time_between(b, a), cal.business_time_by_walk(b, a));
        let one = TimeDelta::microseconds(1);
        for d in [TimeDelta::zero(), between, between + one, between - one, target] {
            for start in [a, b] {
                prop_assert_eq!(
                    cal.add_business_time(start, d),
                    cal.add_business_time_by_walk(start, d),
                    "start {}, d {}", start, d
                );
            }
        }
    }
}

/// The proptest compares the indexed paths with the walk; that proves something only if
/// the indexed paths answer, so check that they do in every zone it draws from.
#[test]
fn the_index_answers_in_every_tested_zone() {
    for tz in ZONES {
        let cal = Calendar::new(tz, WeekSchedule::spbe_default(), []).expect("valid test input");
        let a = local(&cal, date(2026, 11, 23), 9 * 3_600_000_000);
        let b = local(&cal, date(2036, 11, 24), 10 * 3_600_000_000);
        let (first, last) = cal.span_days(a, b).expect("a span");
        let total = cal.between_indexed(a, b, first, last).expect("indexed");
        assert_eq!(
            TimeDelta::microseconds(total),
            cal.business_time_by_walk(a, b)
        );
        let (first, search) = cal
            .begin_search(a, TimeDelta::minutes(450 * 2_000))
            .expect("a working calendar");
        let due = cal.add_indexed(None, first, search).expect("indexed");
        assert_eq!(
            due,
            cal.add_business_time_by_walk(a, TimeDelta::minutes(450 * 2_000))
        );
    }
}

/// The index's record of how each day was settled gives the same intervals as settling the
/// day afresh, on every day of the index, transition days included.
#[test]
fn every_indexed_day_is_the_day_a_walk_sees() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid test input");
    let weeks = [
        WeekSchedule::spbe_default(),
        WeekSchedule {
            days: std::array::from_fn(|_| vec![(NaiveTime::MIN, t(2, 30)), (t(3, 0), END_OF_DAY)]),
        },
    ];
    let intervals = |walk: &DayWalk<'_>| {
        let mut all = Vec::new();
        walk.for_each_interval(|s, e| all.push((s, e)));
        all
    };
    for tz in ZONES {
        for week in &weeks {
            let cal =
                Calendar::new(tz, week.clone(), [date(2026, 3, 29)]).expect("valid test input");
            let index = cal.index().expect("indexed");
            for day in 0..index.days() {
                let stored = index.walk_at(&cal, day).expect("in the index");
                let fresh = DayWalk::new(&cal, stored.date);
                let got = intervals(&stored);
                assert_eq!(got, intervals(&fresh), "{} {}", tz.name(), stored.date);
                let length: i64 = got.iter().map(|(s, e)| e - s).sum();
                assert_eq!(
                    length,
                    index.cumulative[day + 1] - index.cumulative[day],
                    "{} {}",
                    tz.name(),
                    stored.date
                );
            }
        }
    }
}

/// Every zone in the bundled tzdb keeps the two properties the index rests on over the whole
/// range, for a schedule with edges at the usual transition hours and one of whole days.
/// Slow in a debug build (half a minute), so run on demand:
/// `cargo test --lib every_zone_can_be_indexed -- --ignored`.
#[test]
#[ignore]
fn every_zone_can_be_indexed() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid test input");
    let weeks = [
        WeekSchedule {
            days: std::array::from_fn(|_| vec![(NaiveTime::MIN, t(2, 30)), (t(3, 0), t(23, 30))]),
        },
        WeekSchedule {
            days: std::array::from_fn(|_| vec![(NaiveTime::MIN, END_OF_DAY)]),
        },
    ];
    for tz in chrono_tz::TZ_VARIANTS {
        for week in &weeks {
            let cal = Calendar::new(tz, week.clone(), []).expect("valid test input");
            assert!(DayIndex::build(&cal).is_some(), "{}", tz.name());
        }
    }
}

/// A run of days without working time longer than the horizon makes the walk give up; the
/// indexed path must give up in exactly the same cases, on either side of the limit, whether
/// the search starts weeks before the run, the day before it, or inside it.
#[test]
fn idle_runs_around_the_horizon_end_the_search_as_the_walk_does() {
    // The run begins on a Monday, so the weekend before it belongs to it too. A search
    // starting inside it counts about 30 days fewer, so the lengths cover both limits.
    let first = date(2030, 1, 7);
    let mut outcomes = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for holidays in (HORIZON_DAYS - 4)..=(HORIZON_DAYS + 36) {
        let run: Vec<NaiveDate> = first.iter_days().take(holidays as usize).collect();
        let cal = Calendar::new(chrono_tz::Asia::Makassar, WeekSchedule::spbe_default(), run)
            .expect("valid test input");
        let before = local(&cal, date(2029, 12, 3), 10 * 3_600_000_000);
        let inside = local(&cal, first + Days::new(30), 10 * 3_600_000_000);
        // The Friday before, during work and after it: the start's own day is the last
        // worked one before the run, or the run's first idle day.
        let just_before = local(&cal, date(2030, 1, 4), 10 * 3_600_000_000);
        let after_close = local(&cal, date(2030, 1, 4), 17 * 3_600_000_000);
        let until_run = cal.business_time_by_walk(before, local(&cal, first, 0));
        let starts = [before, inside, just_before, after_close];
        for (start, outcomes) in starts.into_iter().zip(&mut outcomes) {
            for d in [
                TimeDelta::zero(),
                TimeDelta::minutes(1),
                until_run,
                until_run + TimeDelta::microseconds(1),
                until_run + TimeDelta::minutes(450 * 30),
            ] {
                let due = cal.add_business_time(start, d);
                assert_eq!(
                    due,
                    cal.add_business_time_by_walk(start, d),
                    "{holidays} holidays, start {start}, d {d}"
                );
                outcomes.push(due.is_some());
            }
        }
    }
    // The limit was crossed from both starts: some searches ended, some gave up.
    for outcomes in outcomes {
        assert!(outcomes.contains(&true) && outcomes.contains(&false));
    }
}

/// Spans and searches that cross either end of the index.
#[test]
fn the_ends_of_the_index_match_the_walk() {
    for tz in [chrono_tz::Asia::Makassar, chrono_tz::Europe::Berlin] {
        let holidays = [date(2000, 1, 1), date(2099, 12, 25), date(2100, 1, 1)];
        let cal =
            Calendar::new(tz, WeekSchedule::spbe_default(), holidays).expect("valid test input");
        let at = |y, m, d, h: i64| local(&cal, date(y, m, d), h * 3_600_000_000);
        let spans = [
            (at(1999, 12, 1, 9), at(2000, 3, 2, 9)),
            (at(1999, 12, 30, 9), at(2000, 1, 12, 9)),
            (at(2000, 1, 1, 0), at(2010, 1, 1, 0)),
            (at(2090, 1, 1, 9), at(2099, 12, 20, 9)),
            (at(2099, 11, 1, 9), at(2100, 2, 1, 9)),
            (at(2099, 12, 20, 9), at(2100, 1, 10, 9)),
        ];
        for (a, b) in spans {
            assert_eq!(
                cal.business_time_between(a, b),
                cal.business_time_by_walk(a, b),
                "{a} to {b}"
            );
            let d = cal.business_time_by_walk(a, b);
            for d in [d, d + TimeDelta::minutes(1), TimeDelta::days(100)] {
                assert_eq!(
                    cal.add_business_time(a, d),
                    cal.add_business_time_by_walk(a, d),
                    "{a} + {d}"
                );
            }
        }
    }
}

#[test]
fn no_working_time_over_long_spans_is_as_before() {
    let cal = Calendar::new(chrono_tz::Asia::Makassar, WeekSchedule::default(), [])
        .expect("valid test input");
    let t = local(&cal, date(2026, 11, 23), 8 * 3_600_000_000);
    let later = t + TimeDelta::days(3_650);
    assert_eq!(cal.business_time_between(t, later), TimeDelta::zero());
    assert_eq!(cal.business_time_by_walk(t, later), TimeDelta::zero());
    for d in [
        TimeDelta::zero(),
        TimeDelta::minutes(1),
        TimeDelta::days(3_650),
    ] {
        assert_eq!(cal.add_business_time(t, d), None);
        assert_eq!(cal.add_business_time_by_walk(t, d), None);
    }
    // Nothing to index, so nothing was built.
    assert!(cal.index.get().is_none());
}

#[test]
fn the_index_stays_out_of_debug_output() {
    let cal = Calendar::new(chrono_tz::Asia::Makassar, WeekSchedule::spbe_default(), [])
        .expect("valid test input");
    let days = cal.index().expect("indexed").days();
    assert_eq!(days, 36_525);
    assert!(format!("{cal:?}").len() < 2_000);
}
