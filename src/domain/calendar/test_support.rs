use super::*;
use proptest::prelude::*;

pub const MICROS_PER_MINUTE: i64 = 60_000_000;

/// Zones whose offset is fixed over the generated dates, so local minutes are UTC minutes.
pub const FIXED_ZONES: [Tz; 4] = [
    chrono_tz::Asia::Makassar,
    chrono_tz::Asia::Jakarta,
    chrono_tz::Asia::Jayapura,
    chrono_tz::UTC,
];

#[derive(Clone, Debug)]
pub struct RandomCal {
    pub tz: Tz,
    /// Per weekday, intervals in minutes of the local day (end up to 1440).
    pub week: [Vec<(u32, u32)>; 7],
    pub holidays: Vec<NaiveDate>,
    pub base: NaiveDate,
    pub cal: Calendar,
}

impl RandomCal {
    pub fn new(
        tz: Tz,
        week: [Vec<(u32, u32)>; 7],
        holidays: Vec<NaiveDate>,
        base: NaiveDate,
    ) -> RandomCal {
        let to_time = |m: u32| {
            if m == 1440 {
                END_OF_DAY
            } else {
                NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("valid test input")
            }
        };
        let schedule = WeekSchedule {
            days: week.clone().map(|day| {
                day.into_iter()
                    .map(|(s, e)| (to_time(s), to_time(e)))
                    .collect()
            }),
        };
        let cal = Calendar::new(tz, schedule, holidays.clone()).expect("valid test input");
        RandomCal {
            tz,
            week,
            holidays,
            base,
            cal,
        }
    }

    /// Working time read directly off the local clock.
    pub fn working(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.tz).naive_local();
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let micros = i64::from(local.time().num_seconds_from_midnight()) * 1_000_000
            + i64::from(local.time().nanosecond() / 1000);
        let weekday = local.date().weekday().num_days_from_monday() as usize;
        self.week[weekday].iter().any(|&(s, e)| {
            i64::from(s) * MICROS_PER_MINUTE <= micros && micros < i64::from(e) * MICROS_PER_MINUTE
        })
    }

    /// Working time is constant between these breakpoints: whole UTC minutes (the zones
    /// have whole-hour offsets and the intervals whole minutes).
    pub fn next_minute(t: DateTime<Utc>) -> DateTime<Utc> {
        let us = t.timestamp_micros();
        DateTime::from_timestamp_micros((us.div_euclid(MICROS_PER_MINUTE) + 1) * MICROS_PER_MINUTE)
            .expect("valid test input")
    }

    pub fn reference_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let mut total = TimeDelta::zero();
        let mut t = a;
        while t < b {
            let next = Self::next_minute(t).min(b);
            if self.working(t) {
                total += next - t;
            }
            t = next;
        }
        total
    }

    /// `Ok(deadline)`, or `Err(t)` when the walk gave up at `t` after `max_steps` steps.
    pub fn reference_add(
        &self,
        start: DateTime<Utc>,
        d: TimeDelta,
        max_steps: u32,
    ) -> Result<DateTime<Utc>, DateTime<Utc>> {
        let mut remaining = d;
        let mut t = start;
        for _ in 0..max_steps {
            let next = Self::next_minute(t);
            if self.working(t) {
                if remaining <= next - t {
                    return Ok(t + remaining);
                }
                remaining -= next - t;
            }
            t = next;
        }
        Err(t)
    }

    /// A local wall time on `base + days`, `seconds` after midnight (may be negative).
    pub fn local(&self, days: i64, seconds: i64, micros: i64) -> DateTime<Utc> {
        let naive = self.base.and_time(NaiveTime::MIN)
            + TimeDelta::days(days)
            + TimeDelta::seconds(seconds);
        self.tz
            .from_local_datetime(&naive)
            .single()
            .expect("valid test input")
            .with_timezone(&Utc)
            + TimeDelta::microseconds(micros)
    }

    /// Every interval boundary of the week, in seconds after midnight.
    pub fn boundary_seconds(&self) -> Vec<i64> {
        let mut all: Vec<i64> = vec![0, 12 * 3600, 86_400];
        all.extend(
            self.week
                .iter()
                .flatten()
                .flat_map(|&(s, e)| [i64::from(s) * 60, i64::from(e) * 60]),
        );
        all
    }
}

fn default_week() -> [Vec<(u32, u32)>; 7] {
    let mon_thu = vec![(450, 720), (780, 960)];
    let fri = vec![(450, 690), (780, 990)];
    [
        mon_thu.clone(),
        mon_thu.clone(),
        mon_thu.clone(),
        mon_thu,
        fri,
        vec![],
        vec![],
    ]
}

fn arb_minute() -> impl Strategy<Value = u32> {
    prop_oneof![
        2 => 0u32..=1440,
        1 => prop::sample::select(vec![0u32, 450, 690, 720, 780, 960, 990, 1440]),
    ]
}

/// 0 to 3 sorted, non-overlapping intervals on minute boundaries.
fn arb_day() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop::collection::vec(arb_minute(), 0..=6).prop_map(|mut minutes| {
        minutes.sort_unstable();
        minutes.dedup();
        minutes
            .chunks_exact(2)
            .map(|pair| (pair[0], pair[1]))
            .collect()
    })
}

pub fn arb_week() -> impl Strategy<Value = [Vec<(u32, u32)>; 7]> {
    prop_oneof![
        1 => Just(default_week()),
        3 => prop::array::uniform7(arb_day()),
    ]
}

/// Dates biased toward year ends.
pub fn arb_base_date() -> impl Strategy<Value = NaiveDate> {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid test input");
    prop_oneof![
        (2024i32..=2031, -12i64..8).prop_map(|(year, offset)| {
            NaiveDate::from_ymd_opt(year, 1, 1).expect("valid test input") + TimeDelta::days(offset)
        }),
        (0i64..2600).prop_map(move |offset| start + TimeDelta::days(offset)),
    ]
}

pub fn arb_calendar_in(zones: Vec<Tz>) -> impl Strategy<Value = RandomCal> {
    (
        prop::sample::select(zones),
        arb_week(),
        arb_base_date(),
        prop::collection::vec(-6i64..24, 0..8),
    )
        .prop_map(|(tz, week, base, offsets)| {
            let holidays = offsets
                .into_iter()
                .map(|o| base + TimeDelta::days(o))
                .collect();
            RandomCal::new(tz, week, holidays, base)
        })
}

pub fn arb_calendar() -> impl Strategy<Value = RandomCal> {
    arb_calendar_in(FIXED_ZONES.to_vec())
}

/// An instant near `rc.base`: often on or next to an interval edge, sometimes with a
/// sub-second part.
pub fn arb_instant(rc: &RandomCal) -> impl Strategy<Value = DateTime<Utc>> {
    let rc = rc.clone();
    let edges = rc.boundary_seconds();
    let seconds = prop_oneof![
        2 => (prop::sample::select(edges), prop::sample::select(vec![-61i64, -60, -1, 0, 0, 0, 1, 30, 60])).prop_map(|(edge, nudge)| edge + nudge),
        1 => 0i64..86_400,
    ];
    let micros = prop_oneof![3 => Just(0i64), 1 => 0i64..1_000_000];
    (-1i64..5, seconds, micros)
        .prop_map(move |(days, seconds, micros)| rc.local(days, seconds, micros))
}

/// Durations up to three default working days, often whole minutes, sometimes zero.
pub fn arb_duration() -> impl Strategy<Value = TimeDelta> {
    prop_oneof![
        1 => Just(TimeDelta::zero()),
        3 => (0i64..=1350).prop_map(TimeDelta::minutes),
        1 => (0i64..=81_000).prop_map(TimeDelta::seconds),
        1 => (0i64..=81_000_000_000).prop_map(TimeDelta::microseconds),
    ]
}
