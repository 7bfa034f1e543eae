//! Business calendar: a time zone, weekly working intervals and holiday dates.
//!
//! Working time is the union, over every local day that is not a holiday, of that weekday's
//! half-open intervals `[start, end)` read in the calendar's zone (see `shared/SLA.md`).
//! All arithmetic is exact: instants are `DateTime<Utc>` (microsecond precision is kept) and
//! durations are `TimeDelta`; nothing goes through floating point.
//!
//! Local wall times are mapped to UTC with `from_local_datetime(..).earliest()`: when a wall time
//! occurs twice (clocks set back) the first occurrence is used, so an interval that starts in the
//! repeated hour starts at its first pass and contains the whole repeated stretch. When a wall
//! time does not exist (clocks set forward) it is moved to the first instant after the gap, i.e.
//! the transition itself; an interval lying wholly inside a gap therefore becomes empty, and one
//! straddling it is shortened by the gap. Indonesian zones have no DST, so none of this changes
//! their results; it only keeps other zones well defined.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Timelike, Utc,
};
use chrono_tz::{GapInfo, Tz};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Keys of [`WeekSchedule::from_map`], Monday first, matching the index of `WeekSchedule::days`.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A stretch of this many consecutive local days without any working time ends a search with
/// `None`, so a calendar with no working hours (or a long run of holidays) cannot loop forever.
pub const HORIZON_DAYS: u32 = 3 * 366;

/// Last local date a deadline may fall on: RFC 3339, which the API speaks, has four-digit years.
/// It also bounds the work a huge target can cause.
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    // Evaluated at compile time: a bad constant fails the build, never a request.
    None => panic!("9999-12-31 is a valid date"),
};

/// Errors from building or parsing a calendar. The messages are written for API users.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("invalid time \"{value}\": expected HH:MM between 00:00 and 23:59 (24:00 may end an interval)")]
    InvalidTime { value: String },
    #[error("24:00 can only be the end of an interval, not its start")]
    EndOfDayAsStart,
    #[error("an interval cannot end at 00:00; use 24:00 for the end of the day")]
    MidnightAsEnd,
    #[error("{day}: interval {start}-{end} ends before it starts")]
    EndsBeforeStart {
        day: &'static str,
        start: String,
        end: String,
    },
    #[error("{day}: interval {start}-{end} is empty")]
    EmptyInterval {
        day: &'static str,
        start: String,
        end: String,
    },
    #[error("{day}: intervals {first} and {second} overlap")]
    Overlap {
        day: &'static str,
        first: String,
        second: String,
    },
    #[error(
        "{day}: interval {second} is listed after {first}; list intervals in order of start time"
    )]
    NotSorted {
        day: &'static str,
        first: String,
        second: String,
    },
    #[error("{day}: time {time} is not supported (leap seconds and sub-microsecond precision are not allowed)")]
    UnsupportedTime { day: &'static str, time: String },
    #[error("unknown weekday \"{key}\": expected one of mon, tue, wed, thu, fri, sat, sun")]
    UnknownDay { key: String },
    #[error("{day}: {source}")]
    InDay {
        day: &'static str,
        #[source]
        source: Box<CalendarError>,
    },
    #[error("unknown time zone \"{name}\": expected an IANA name such as Asia/Makassar")]
    UnknownTimeZone { name: String },
}

/// Weekly working intervals, indexed Monday = 0 .. Sunday = 6.
///
/// Each interval is half-open `[start, end)` in local time. Because `NaiveTime` cannot hold
/// 24:00, an **end** of `00:00` means the end of the day (24:00); an interval can never end at
/// the midnight that starts its own day, so this reading is unambiguous.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekSchedule {
    pub days: [Vec<(NaiveTime, NaiveTime)>; 7],
}

/// `NaiveTime` value that stands for 24:00 when used as an interval end.
pub const END_OF_DAY: NaiveTime = NaiveTime::MIN;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("constant hour and minute are in range")
}

impl WeekSchedule {
    /// The SPBE default (PRODUCT.md): Mon-Thu 07:30-12:00 and 13:00-16:00, Fri 07:30-11:30 and
    /// 13:00-16:30, nothing on Saturday and Sunday (37.5 hours a week).
    pub fn spbe_default() -> WeekSchedule {
        let mon_thu = vec![(hm(7, 30), hm(12, 0)), (hm(13, 0), hm(16, 0))];
        let fri = vec![(hm(7, 30), hm(11, 30)), (hm(13, 0), hm(16, 30))];
        WeekSchedule {
            days: [
                mon_thu.clone(),
                mon_thu.clone(),
                mon_thu.clone(),
                mon_thu,
                fri,
                Vec::new(),
                Vec::new(),
            ],
        }
    }

    /// Parses the API form `{"mon": [["07:30","12:00"], ...], ...}`. A missing weekday has no
    /// working time; an unknown key is an error. The result is validated as in [`Calendar::new`].
    pub fn from_map(
        map: &BTreeMap<String, Vec<[String; 2]>>,
    ) -> Result<WeekSchedule, CalendarError> {
        let mut week = WeekSchedule::default();
        for (key, intervals) in map {
            let index = WEEKDAY_KEYS
                .iter()
                .position(|k| k == key)
                .ok_or_else(|| CalendarError::UnknownDay { key: key.clone() })?;
            let day = WEEKDAY_KEYS[index];
            let in_day = |source| CalendarError::InDay {
                day,
                source: Box::new(source),
            };
            for [start, end] in intervals {
                let start = parse_hhmm(start).map_err(in_day)?;
                let end = parse_hhmm_end(end).map_err(in_day)?;
                week.days[index].push((start, end));
            }
        }
        validate(&week)?;
        Ok(week)
    }

    /// The API form, the inverse of [`WeekSchedule::from_map`]: every weekday is present and an
    /// end of the day is written "24:00".
    pub fn to_map(&self) -> BTreeMap<String, Vec<[String; 2]>> {
        WEEKDAY_KEYS
            .iter()
            .zip(self.days.iter())
            .map(|(key, intervals)| {
                let list = intervals
                    .iter()
                    .map(|&(s, e)| [fmt_time(s, false), fmt_time(e, true)])
                    .collect();
                (key.to_string(), list)
            })
            .collect()
    }
}

/// Parses a start time "HH:MM" (00:00-23:59). "24:00" is rejected: it may only end an interval.
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, CalendarError> {
    match parse_clock(s)? {
        Clock::Time(t) => Ok(t),
        Clock::EndOfDay => Err(CalendarError::EndOfDayAsStart),
    }
}

/// Parses an end time "HH:MM" or "24:00"; "24:00" becomes [`END_OF_DAY`]. "00:00" is rejected
/// because as an end it could only mean 24:00, and we want the user to say so.
pub fn parse_hhmm_end(s: &str) -> Result<NaiveTime, CalendarError> {
    match parse_clock(s)? {
        Clock::EndOfDay => Ok(END_OF_DAY),
        Clock::Time(t) if t == NaiveTime::MIN => Err(CalendarError::MidnightAsEnd),
        Clock::Time(t) => Ok(t),
    }
}

/// Parses an IANA zone name such as "Asia/Makassar".
pub fn parse_timezone(name: &str) -> Result<Tz, CalendarError> {
    name.parse::<Tz>()
        .map_err(|_| CalendarError::UnknownTimeZone {
            name: name.to_string(),
        })
}

enum Clock {
    Time(NaiveTime),
    EndOfDay,
}

fn parse_clock(s: &str) -> Result<Clock, CalendarError> {
    let invalid = || CalendarError::InvalidTime {
        value: s.to_string(),
    };
    // Strict "HH:MM" so that what an auditor reads in the stored calendar is what we computed.
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return Err(invalid());
    }
    let digit = |i: usize| {
        let c = b[i];
        if c.is_ascii_digit() {
            Ok(u32::from(c - b'0'))
        } else {
            Err(invalid())
        }
    };
    let hour = digit(0)? * 10 + digit(1)?;
    let minute = digit(3)? * 10 + digit(4)?;
    if hour == 24 && minute == 0 {
        return Ok(Clock::EndOfDay);
    }
    NaiveTime::from_hms_opt(hour, minute, 0)
        .map(Clock::Time)
        .ok_or_else(invalid)
}

fn fmt_time(t: NaiveTime, is_end: bool) -> String {
    if is_end && t == END_OF_DAY {
        return "24:00".to_string();
    }
    let micros = t.nanosecond() / 1000;
    if t.second() == 0 && t.nanosecond() == 0 {
        t.format("%H:%M").to_string()
    } else if micros == 0 {
        t.format("%H:%M:%S").to_string()
    } else {
        format!("{}.{:06}", t.format("%H:%M:%S"), micros)
    }
}

/// Microseconds since local midnight; `None` for leap seconds or sub-microsecond values, which
/// an exact microsecond calendar cannot represent.
fn time_micros(t: NaiveTime) -> Option<i64> {
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 || nanos % 1000 != 0 {
        return None;
    }
    Some(i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(nanos / 1000))
}

/// Validates `week` and returns it as microsecond spans of the local day (end up to 24:00).
fn validate(week: &WeekSchedule) -> Result<[Vec<(i64, i64)>; 7], CalendarError> {
    let mut out: [Vec<(i64, i64)>; 7] = Default::default();
    for (index, intervals) in week.days.iter().enumerate() {
        let day = WEEKDAY_KEYS[index];
        let mut previous: Option<(i64, i64, String)> = None;
        for &(start, end) in intervals {
            let unsupported = |t: NaiveTime| CalendarError::UnsupportedTime {
                day,
                time: format!("{t}"),
            };
            let s = time_micros(start).ok_or_else(|| unsupported(start))?;
            let e = if end == END_OF_DAY {
                MICROS_PER_DAY
            } else {
                time_micros(end).ok_or_else(|| unsupported(end))?
            };
            let label = format!("{}-{}", fmt_time(start, false), fmt_time(end, true));
            if e < s {
                return Err(CalendarError::EndsBeforeStart {
                    day,
                    start: fmt_time(start, false),
                    end: fmt_time(end, true),
                });
            }
            if e == s {
                return Err(CalendarError::EmptyInterval {
                    day,
                    start: fmt_time(start, false),
                    end: fmt_time(end, true),
                });
            }
            if let Some((ps, pe, plabel)) = &previous {
                if s < *ps {
                    return Err(CalendarError::NotSorted {
                        day,
                        first: plabel.clone(),
                        second: label,
                    });
                }
                // Touching intervals (12:00-13:00 after 07:30-12:00) are fine: half-open.
                if s < *pe {
                    return Err(CalendarError::Overlap {
                        day,
                        first: plabel.clone(),
                        second: label,
                    });
                }
            }
            out[index].push((s, e));
            previous = Some((s, e, label));
        }
    }
    Ok(out)
}

/// A business calendar. Cheap to query; all methods are pure.
#[derive(Clone, Debug)]
pub struct Calendar {
    tz: Tz,
    week: WeekSchedule,
    /// Per weekday, intervals as microseconds since local midnight (end may be 24:00).
    spans: [Vec<(i64, i64)>; 7],
    /// Sorted and deduplicated, so a day walk can keep a cursor instead of searching.
    holidays: Vec<NaiveDate>,
    week_micros: i64,
    max_day_micros: i64,
    /// Built on the first long query and shared by clones: a calendar never changes, so the
    /// index stays valid for its life (see [`DayIndex`]).
    index: Arc<OnceLock<Option<DayIndex>>>,
}

impl Calendar {
    pub fn new(
        tz: Tz,
        week: WeekSchedule,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarError> {
        let spans = validate(&week)?;
        let mut holidays: Vec<NaiveDate> = holidays.into_iter().collect();
        holidays.sort_unstable();
        holidays.dedup();
        let day_micros = |day: &Vec<(i64, i64)>| day.iter().map(|(s, e)| e - s).sum::<i64>();
        let week_micros = spans.iter().map(day_micros).sum();
        let max_day_micros = spans.iter().map(day_micros).max().unwrap_or(0);
        Ok(Calendar {
            tz,
            week,
            spans,
            holidays,
            week_micros,
            max_day_micros,
            index: Arc::default(),
        })
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    pub fn week(&self) -> &WeekSchedule {
        &self.week
    }

    /// Holiday dates, sorted and without duplicates.
    pub fn holidays(&self) -> &[NaiveDate] {
        &self.holidays
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.binary_search(&date).is_ok()
    }

    /// Nominal working minutes of a week without holidays (wall-clock length of the intervals,
    /// whole minutes rounded down), e.g. 2250 for the SPBE default.
    pub fn weekly_minutes(&self) -> i64 {
        self.week_micros / 60_000_000
    }

    /// Whether `t` lies in working time (interval starts are working, ends are not).
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        let Some(mut walk) = self.walk_from(t) else {
            return false;
        };
        let t = t.timestamp_micros();
        // The day before and after cover any shift a time-zone transition can cause.
        for _ in 0..3 {
            let mut hit = false;
            walk.for_each_interval(|s, e| hit |= s <= t && t < e);
            if hit {
                return true;
            }
            if walk.advance().is_none() {
                break;
            }
        }
        false
    }

    /// The first working instant at or after `t`; `None` if no working time starts within
    /// [`HORIZON_DAYS`] days.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.add_business_time(t, TimeDelta::zero())
    }

    /// Length of `[a, b)` ∩ working time; zero if `b <= a`.
    ///
    /// Spans of more than a few days are answered from the day index (see [`DayIndex`]), with
    /// exactly the result of the day-by-day walk in [`Calendar::business_time_by_walk`].
    pub fn business_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let Some((first, last)) = self.span_days(a, b) else {
            return TimeDelta::zero();
        };
        let total = self
            .between_indexed(a, b, first, last)
            .unwrap_or_else(|| self.between_walk(a, b, first, last));
        TimeDelta::microseconds(total)
    }

    /// [`Calendar::business_time_between`] by walking every local day of the span: the
    /// definition the indexed path must match to the microsecond. Public only so that the
    /// benchmark can time it.
    #[doc(hidden)]
    pub fn business_time_by_walk(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        let Some((first, last)) = self.span_days(a, b) else {
            return TimeDelta::zero();
        };
        TimeDelta::microseconds(self.between_walk(a, b, first, last))
    }

    /// The local days whose intervals `[a, b)` may meet, first and last; `None` when there is
    /// nothing to count.
    fn span_days(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
        if b <= a || self.week_micros == 0 {
            return None;
        }
        // A walk starts the day before a's (see `walk_from`), and intervals of local days
        // after the day following b's all begin after b.
        let first = self.local_date(a).pred_opt()?;
        let last = self.local_date(b).succ_opt().unwrap_or(NaiveDate::MAX);
        Some((first, last))
    }

    /// The walk over local days `first..=last`, clipping each day's intervals to `[a, b)`;
    /// microseconds.
    fn between_walk(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> i64 {
        let mut walk = DayWalk::new(self, first);
        let (a, b) = (a.timestamp_micros(), b.timestamp_micros());
        let mut total = 0i64;
        loop {
            walk.for_each_interval(|s, e| {
                let s = s.max(a);
                let e = e.min(b);
                if s < e {
                    total += e - s;
                }
            });
            if walk.date >= last || walk.advance().is_none() {
                return total;
            }
        }
    }

    /// The deadline of `d` business time counted from `start`: the earliest instant `t` with
    /// `business_time_between(start, t) == d`, and for `d == 0` the next working instant at or
    /// after `start`. A `d` that uses up an interval exactly ends at that interval's end.
    /// A negative `d` is treated as zero. `None` when a run of more than [`HORIZON_DAYS`] days
    /// without working time comes before the deadline, or the deadline would fall after
    /// [`LAST_DATE`].
    ///
    /// A deadline further away than the first days is found in the day index (see
    /// [`DayIndex`]), with exactly the result of [`Calendar::add_business_time_by_walk`].
    pub fn add_business_time(&self, start: DateTime<Utc>, d: TimeDelta) -> Option<DateTime<Utc>> {
        let (first, mut search) = self.begin_search(start, d)?;
        // A target that may end within the first days is walked there: that is as quick as
        // the index, and short targets (most of them) then never build it.
        let walk = if search.remaining <= i64::from(WALK_FIRST_DAYS) * self.max_day_micros {
            let mut walk = DayWalk::new(self, first);
            for _ in 0..WALK_FIRST_DAYS {
                match search.day(&walk) {
                    DayOutcome::Found(t) => return DateTime::from_timestamp_micros(t),
                    DayOutcome::GiveUp => return None,
                    DayOutcome::Next => walk.advance()?,
                }
            }
            Some(walk)
        } else {
            None
        };
        if let Some(due) = self.add_indexed(walk.as_ref(), first, search) {
            return due;
        }
        search.finish(walk.unwrap_or_else(|| DayWalk::new(self, first)))
    }

    /// [`Calendar::add_business_time`] by walking every local day up to the deadline: the
    /// definition the indexed path must match to the microsecond. Public only so that the
    /// benchmark can time it.
    #[doc(hidden)]
    pub fn add_business_time_by_walk(
        &self,
        start: DateTime<Utc>,
        d: TimeDelta,
    ) -> Option<DateTime<Utc>> {
        let (first, search) = self.begin_search(start, d)?;
        search.finish(DayWalk::new(self, first))
    }

    /// The checks that answer `None` before any day is looked at, and the walk's first day.
    fn begin_search(&self, start: DateTime<Utc>, d: TimeDelta) -> Option<(NaiveDate, Search)> {
        if self.week_micros == 0 {
            return None;
        }
        // A walk starts the day before start's (see `walk_from`).
        let first = self.local_date(start).pred_opt()?;
        // TimeDelta beyond i64 microseconds (~292,000 years) cannot be reached before LAST_DATE.
        let remaining = d.max(TimeDelta::zero()).num_microseconds()?;
        // Reject absurd targets at once instead of walking millions of days to LAST_DATE: no
        // local day holds more than its longest weekday plus a day repeated by a transition.
        let days_left = (LAST_DATE - first).num_days() + 1;
        let most_per_day = self.max_day_micros + MICROS_PER_DAY;
        if days_left <= 0 || remaining / most_per_day > days_left {
            return None;
        }
        let search = Search {
            start: start.timestamp_micros(),
            remaining,
            idle_days: 0,
        };
        Some((first, search))
    }

    /// The day index, built on first use; `None` if this calendar cannot have one (see
    /// [`DayIndex::build`]).
    fn index(&self) -> Option<&DayIndex> {
        self.index.get_or_init(|| DayIndex::build(self)).as_ref()
    }

    /// `business_time_between` from the index, in microseconds, over the walk's days `first` to
    /// `last`: the days at either end whose intervals `a` or `b` may cut are clipped exactly as
    /// the walk clips them, and the whole days between come from the cumulative sums. `None`
    /// when the walk should answer (a short span, one reaching outside the index, or an
    /// unexpected shape at its end).
    ///
    /// Intervals only move forward from day to day (checked when the index is built): every
    /// interval of a day starts at or after the end of every interval of the days before it.
    fn between_indexed(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Option<i64> {
        if (last - first).num_days() < i64::from(SHORT_SPAN_DAYS) {
            return None;
        }
        let index = self.index()?;
        let (first_day, last) = (index.position(first)?, index.position(last)?);
        let (a, b) = (a.timestamp_micros(), b.timestamp_micros());
        let mut total = 0i64;
        let clip = |walk: &DayWalk<'_>, total: &mut i64| {
            walk.for_each_interval(|s, e| {
                let s = s.max(a);
                let e = e.min(b);
                if s < e {
                    *total += e - s;
                }
            });
        };
        let ends_by = |walk: &DayWalk<'_>, t: i64| walk.bounds().is_some_and(|(_, end)| end <= t);
        // If the first working day from a's starts by `a`, the days before it end by `a` and
        // count nothing; otherwise begin with the walk's first day.
        let from_a = index
            .next_working_day(first_day + 1)
            .filter(|&d| d <= last)
            .and_then(|d| Some((index.walk_at(self, d)?, d)))
            .filter(|(walk, _)| walk.bounds().is_some_and(|(start, _)| start <= a));
        let (mut walk, mut day) = match from_a {
            Some(from_a) => from_a,
            None => (index.walk_at(self, first_day)?, first_day),
        };
        // Clip days until one ends at or after `a`: every later interval starts at or after
        // that end, so no later day begins before `a`.
        loop {
            clip(&walk, &mut total);
            if walk.bounds().is_some_and(|(_, end)| end >= a) {
                break;
            }
            match index.step(&mut walk, day, last) {
                Some(next) => day = next,
                None => return Some(total),
            }
        }
        let whole_first = day + 1;
        // The first working day from b's: if it starts by `b`, every earlier day ends by `b`,
        // so the days from `whole_first` up to it are whole.
        let cut = index
            .next_working_day(last.checked_sub(1)?)
            .filter(|&d| d <= last);
        match cut {
            // The clipped days reach into the cut ones: go on clipping from there.
            Some(cut) if cut < whole_first => {}
            Some(cut) => {
                let cut_walk = index.walk_at(self, cut)?;
                let (cut_start, _) = cut_walk.bounds()?;
                if cut_start > b {
                    // It starts after `b`, and so does everything later: nothing left to clip
                    // if the working day before it ends by `b`.
                    let before = index.prev_working_day(cut - 1)?;
                    if before >= whole_first && !ends_by(&index.walk_at(self, before)?, b) {
                        return None;
                    }
                    return Some(total + index.cumulative[cut] - index.cumulative[whole_first]);
                }
                total += index.cumulative[cut] - index.cumulative[whole_first];
                (walk, day) = (cut_walk, cut);
                clip(&walk, &mut total);
            }
            // No working time on the days b may cut: whole days up to the end if the last
            // working day ends by `b`.
            None => {
                let before = index.prev_working_day(last)?;
                if before >= whole_first && !ends_by(&index.walk_at(self, before)?, b) {
                    return None;
                }
                return Some(total + index.cumulative[last + 1] - index.cumulative[whole_first]);
            }
        }
        // Clip the rest until a day ends at or after `b`: every later interval starts after.
        while walk.bounds().is_none_or(|(_, end)| end < b) {
            match index.step(&mut walk, day, last) {
                Some(next) => day = next,
                None => break,
            }
            clip(&walk, &mut total);
        }
        Some(total)
    }

    /// `add_business_time` from the index, continuing a search the walk has brought to
    /// `walk`'s day, or beginning one on the walk's first day `first`: days are searched as the
    /// walk searches them until one ends at or after the start, then a binary search over the
    /// cumulative sums finds the deadline's day, and the walk's own step finds the instant
    /// within it. `None` when the walk should go on instead (the deadline lies outside the
    /// index); `Some(None)` when the walk would give up.
    fn add_indexed(
        &self,
        walk: Option<&DayWalk<'_>>,
        first: NaiveDate,
        search: Search,
    ) -> Option<Option<DateTime<Utc>>> {
        let index = self.index()?;
        let last = index.days() - 1;
        // A copy: should the index not reach the deadline, the caller's search goes on.
        let mut search = search;
        let idle = |search: &mut Search, days: usize| {
            search.idle_days = search
                .idle_days
                .saturating_add(u32::try_from(days).unwrap_or(u32::MAX));
            search.idle_days <= HORIZON_DAYS
        };
        let (mut walk, mut day) = match walk {
            Some(walk) => (walk.clone(), index.position(walk.date)?),
            None => {
                let first_day = index.position(first)?;
                // If the first working day from the start's begins by the start, the days
                // before it end by then: idle days to the walk, with nothing to find.
                let from_start = index
                    .next_working_day(first_day + 1)
                    .and_then(|d| Some((index.walk_at(self, d)?, d)))
                    .filter(|(walk, _)| walk.bounds().is_some_and(|(s, _)| s <= search.start));
                match from_start {
                    Some((walk, day)) => {
                        if !idle(&mut search, day - first_day) {
                            return Some(None);
                        }
                        (walk, day)
                    }
                    None => (index.walk_at(self, first_day)?, first_day),
                }
            }
        };
        loop {
            match search.day(&walk) {
                DayOutcome::Found(t) => return Some(DateTime::from_timestamp_micros(t)),
                DayOutcome::GiveUp => return Some(None),
                DayOutcome::Next => {}
            }
            if walk.bounds().is_some_and(|(_, end)| end >= search.start) {
                break;
            }
            let next = index.step(&mut walk, day, last)?;
            // The days stepped over have no working time: idle days to the walk.
            if !idle(&mut search, next - day - 1) {
                return Some(None);
            }
            day = next;
        }
        // Every later interval starts at or after that day's end, so from here a day is worked
        // exactly when it has working time, and the walk uses up whole days until the first one
        // that holds what remains.
        let first_worked = index.next_working_day(day + 1)?;
        if !idle(&mut search, first_worked - day - 1) {
            return Some(None);
        }
        let base = index.cumulative[first_worked];
        let target = base.checked_add(search.remaining)?;
        let later = &index.cumulative[first_worked + 1..];
        let due_day = first_worked + later.partition_point(|&c| c < target);
        if due_day > last {
            return None;
        }
        // Working days on both sides bound every idle run in between: the walk gives up within
        // any such run longer than the horizon.
        if index
            .long_idle_runs
            .iter()
            .any(|&(run_first, _)| first_worked < run_first && run_first < due_day)
        {
            return Some(None);
        }
        search.remaining -= index.cumulative[due_day] - base;
        match search.day(&index.walk_at(self, due_day)?) {
            DayOutcome::Found(t) => Some(DateTime::from_timestamp_micros(t)),
            // The index and the day disagree, which its build rules out; the walk decides.
            DayOutcome::GiveUp | DayOutcome::Next => None,
        }
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// A walk starting the local day before `t`'s: a clock set back around midnight can make
    /// the previous day's intervals end after `t`, and starting a day early costs little.
    fn walk_from(&self, t: DateTime<Utc>) -> Option<DayWalk<'_>> {
        let date = self.local_date(t).pred_opt()?;
        Some(DayWalk::new(self, date))
    }

    /// UTC instant of `micros` after local midnight of `date` (see the module comment for the
    /// handling of repeated and skipped wall times).
    fn local_to_utc(&self, date: NaiveDate, micros: i64) -> Option<DateTime<Utc>> {
        let local: NaiveDateTime = date
            .and_time(NaiveTime::MIN)
            .checked_add_signed(TimeDelta::microseconds(micros))?;
        if let Some(t) = self.tz.from_local_datetime(&local).earliest() {
            return Some(t.with_timezone(&Utc));
        }
        match GapInfo::new(&local, &self.tz).and_then(|gap| gap.end) {
            Some(after_gap) => Some(after_gap.with_timezone(&Utc)),
            // A gap always has an end in tzdb data; should that ever fail, reading the wall
            // time with the offset in force at that UTC reading still gives a nearby instant
            // instead of silently dropping the interval.
            None => {
                let fixed = self.tz.offset_from_utc_datetime(&local).fix();
                Some(
                    local
                        .checked_sub_signed(TimeDelta::seconds(i64::from(fixed.local_minus_utc())))?
                        .and_utc(),
                )
            }
        }
    }
}

/// Sequential walk over local days that keeps the weekday and the holiday cursor up to date.
/// Instants inside the walk are microseconds since the Unix epoch: plain integer arithmetic in
/// the hot loop instead of `DateTime` normalisation.
///
/// Converting every interval boundary through the zone costs a tzdb search each. Instead each
/// working day is checked once: if the UTC offset in force at the day's local midnight is still
/// in force at the next local midnight, the whole day has that offset and boundaries are plain
/// additions. This rests on one assumption about tzdb: a zone never changes its offset twice
/// within one day (so an unchanged offset at both ends means no change in between). A scan of
/// the bundled tzdb, 1900-2100 at 15-minute resolution, found no two changes closer than 6.9
/// days. Days whose check fails (transition days) fall back to converting each boundary, which
/// is exact. The check at one midnight is reused as the start of the next day, so a run of
/// working days costs one offset lookup per day.
#[derive(Clone)]
struct DayWalk<'a> {
    cal: &'a Calendar,
    date: NaiveDate,
    weekday: usize,
    holiday_cursor: usize,
    /// This day's local midnight in UTC microseconds, when the whole day has one offset.
    fixed_midnight: Option<i64>,
    /// Offset (seconds east of UTC) verified at this day's closing midnight, if it was checked.
    offset_at_end: Option<i32>,
}

impl<'a> DayWalk<'a> {
    fn new(cal: &'a Calendar, date: NaiveDate) -> DayWalk<'a> {
        let mut walk = DayWalk {
            cal,
            date,
            weekday: date.weekday().num_days_from_monday() as usize,
            holiday_cursor: cal.holidays.partition_point(|h| *h < date),
            fixed_midnight: None,
            offset_at_end: None,
        };
        walk.settle(None);
        walk
    }

    /// A walk on `date` settled with `offset` as `settle` would have fixed it (`None`: convert
    /// each boundary), for a day whose settling is already known.
    fn with_offset(cal: &'a Calendar, date: NaiveDate, offset: Option<i32>) -> DayWalk<'a> {
        let midnight = date.and_time(NaiveTime::MIN).and_utc().timestamp_micros();
        DayWalk {
            cal,
            date,
            weekday: date.weekday().num_days_from_monday() as usize,
            holiday_cursor: cal.holidays.partition_point(|h| *h < date),
            fixed_midnight: offset.map(|offset| midnight - i64::from(offset) * 1_000_000),
            offset_at_end: offset,
        }
    }

    fn is_holiday(&self) -> bool {
        self.cal.holidays.get(self.holiday_cursor) == Some(&self.date)
    }

    fn spans(&self) -> &'a [(i64, i64)] {
        if self.is_holiday() {
            &[]
        } else {
            &self.cal.spans[self.weekday]
        }
    }

    /// Chooses between the fixed-offset fast path and per-boundary conversion for the current
    /// day. `carried` is the offset already verified at this day's opening midnight, if any.
    fn settle(&mut self, carried: Option<i32>) {
        (self.fixed_midnight, self.offset_at_end) = self.settled(carried);
    }

    /// What `settle` chooses, `(fixed_midnight, offset_at_end)`, without changing the walk: the
    /// day index compares the choice made with a carried offset to a fresh one.
    fn settled(&self, carried: Option<i32>) -> (Option<i64>, Option<i32>) {
        if self.spans().is_empty() {
            // Nothing to convert; the next working day starts its own check.
            return (None, None);
        }
        let tz = &self.cal.tz;
        let midnight = self.date.and_time(NaiveTime::MIN);
        let offset = match carried {
            Some(offset) => offset,
            None => match tz.from_local_datetime(&midnight) {
                LocalResult::Single(t) => t.offset().fix().local_minus_utc(),
                // Midnight itself is skipped or repeated: a transition day, convert per boundary.
                _ => return (None, None),
            },
        };
        let start = midnight.and_utc().timestamp_micros() - i64::from(offset) * 1_000_000;
        let Some(end) = DateTime::from_timestamp_micros(start + MICROS_PER_DAY) else {
            return (None, None);
        };
        if tz
            .offset_from_utc_datetime(&end.naive_utc())
            .fix()
            .local_minus_utc()
            == offset
        {
            (Some(start), Some(offset))
        } else {
            (None, None)
        }
    }

    /// Whether settling the current day afresh gives what the carried offset gave.
    fn fresh_agrees(&self) -> bool {
        let settled = (self.fixed_midnight, self.offset_at_end);
        if let (Some(_), Some(carried)) = settled {
            let midnight = self.date.and_time(NaiveTime::MIN);
            // The same offset at midnight gives the same start and the same check at the end
            // of the day, which the carried choice passed: no need to look that up again.
            if let LocalResult::Single(t) = self.cal.tz.from_local_datetime(&midnight) {
                if t.offset().fix().local_minus_utc() == carried {
                    return true;
                }
            }
        }
        self.settled(None) == settled
    }

    /// Start of the day's first working interval and end of its last, as UTC microseconds.
    fn bounds(&self) -> Option<(i64, i64)> {
        let mut bounds: Option<(i64, i64)> = None;
        self.for_each_interval(|s, e| {
            bounds = Some((bounds.map_or(s, |(first, _)| first), e));
        });
        bounds
    }

    /// Calls `f(start, end)` for each non-empty working interval of the current day, in order,
    /// as UTC microseconds.
    fn for_each_interval(&self, mut f: impl FnMut(i64, i64)) {
        let spans = self.spans();
        if let Some(midnight) = self.fixed_midnight {
            for &(s, e) in spans {
                f(midnight + s, midnight + e);
            }
            return;
        }
        for &(s, e) in spans {
            let (Some(s), Some(e)) = (
                self.cal.local_to_utc(self.date, s),
                self.cal.local_to_utc(self.date, e),
            ) else {
                continue;
            };
            let (s, e) = (s.timestamp_micros(), e.timestamp_micros());
            // Empty when the whole interval falls in a skipped (DST gap) stretch.
            if s < e {
                f(s, e);
            }
        }
    }

    fn advance(&mut self) -> Option<()> {
        self.date = self.date.succ_opt()?;
        self.weekday = (self.weekday + 1) % 7;
        while self
            .cal
            .holidays
            .get(self.holiday_cursor)
            .is_some_and(|h| *h < self.date)
        {
            self.holiday_cursor += 1;
        }
        let carried = self.offset_at_end;
        self.settle(carried);
        Some(())
    }
}

/// `add_business_time`'s state between days. One step, [`Search::day`], serves both the walk
/// and the indexed path, so the two apply the same rules to every day they look at.
#[derive(Clone, Copy, Debug)]
struct Search {
    /// The search's start, UTC microseconds.
    start: i64,
    /// Business time still to find, microseconds.
    remaining: i64,
    /// Consecutive days so far without working time after `start`.
    idle_days: u32,
}

enum DayOutcome {
    Found(i64),
    GiveUp,
    Next,
}

impl Search {
    /// Searches the walk's current day.
    fn day(&mut self, walk: &DayWalk<'_>) -> DayOutcome {
        let mut found = None;
        let mut worked = false;
        let (start, remaining) = (self.start, &mut self.remaining);
        walk.for_each_interval(|s, e| {
            if found.is_some() || e <= start {
                return;
            }
            let s = s.max(start);
            worked = true;
            let len = e - s;
            if *remaining <= len {
                // `remaining == len` lands on the interval end (12:00, not 13:00).
                found = Some(s + *remaining);
            } else {
                *remaining -= len;
            }
        });
        if let Some(t) = found {
            return DayOutcome::Found(t);
        }
        if worked {
            self.idle_days = 0;
        } else {
            self.idle_days += 1;
            if self.idle_days > HORIZON_DAYS {
                return DayOutcome::GiveUp;
            }
        }
        if walk.date >= LAST_DATE {
            return DayOutcome::GiveUp;
        }
        DayOutcome::Next
    }

    /// Walks on from `walk`'s current day to the deadline.
    fn finish(mut self, mut walk: DayWalk<'_>) -> Option<DateTime<Utc>> {
        loop {
            match self.day(&walk) {
                DayOutcome::Found(t) => return DateTime::from_timestamp_micros(t),
                DayOutcome::GiveUp => return None,
                DayOutcome::Next => walk.advance()?,
            }
        }
    }
}

/// Spans over fewer local days than this are walked: the indexed path looks at about as many
/// days (those at either end) plus two binary searches, and short spans (most of them) then
/// never build the index.
const SHORT_SPAN_DAYS: u32 = 8;

/// A target that this many of the calendar's longest days could hold is walked for this many
/// local days (from the day before the start's) before the index is asked: deadlines a day or
/// two away are found as quickly, and without building the index.
const WALK_FIRST_DAYS: u32 = 4;

/// First local date of the day index.
///
/// The index covers 2000-2099: every instant this desk deals in (tickets reported since SPBE
/// began in 2018, back-dated imports, their clocks, deadlines a few years out, monthly reports)
/// lies inside it with decades to spare, and its cost scales with its length: 36,525 days are
/// 428 KiB per calendar and one walk of a few milliseconds to build (1970-2200 would cost 2.3
/// times as much). An instant outside it is answered by the walk, exactly and more slowly.
const INDEX_FIRST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a valid date"),
};

/// The local date after the index's last.
const INDEX_END: NaiveDate = match NaiveDate::from_ymd_opt(2100, 1, 1) {
    Some(date) => date,
    None => panic!("2100-01-01 is a valid date"),
};

/// In [`DayIndex::offsets`], a day without a fixed offset; no zone is a day away from UTC.
const NOT_FIXED: i32 = i32::MIN;

/// Business time accumulated over the local dates `INDEX_FIRST..INDEX_END`, so that long spans
/// and far deadlines cost a binary search instead of a walk over every day.
///
/// Each day's business time is what the walk's `for_each_interval` yields for it, taken from
/// one walk over the whole range; the indexed paths only ever replace whole days the walk would
/// count in full, and look at the others with the walk's own code, each day settled as that one
/// walk settled it. Two properties make this the walk's answer, and the build checks both on
/// every day; a calendar (a zone) failing either has no index and is always walked:
/// - a day's intervals do not depend on where a walk started: the offset carried in from the
///   previous day gives the same choice as a fresh look-up (the tzdb assumption `DayWalk`
///   documents), so the index's one long walk and a walk starting at any day agree on it;
/// - intervals only move forward: each starts at or after the end of the one before, across
///   days too, so the days wholly inside a span are one run and can be found from its ends.
struct DayIndex {
    /// `cumulative[i]`: business microseconds in the `i` days from `INDEX_FIRST`.
    cumulative: Vec<i64>,
    /// Per day, the offset the walk settled it with (its `offset_at_end`), or [`NOT_FIXED`]
    /// when it converts each boundary or has no working time: the days at a span's ends are
    /// then looked at without a time-zone look-up.
    offsets: Vec<i32>,
    /// Maximal runs of days without working time longer than [`HORIZON_DAYS`], as the
    /// positions of their first and last days: `add_business_time` gives up within them.
    long_idle_runs: Vec<(usize, usize)>,
}

impl DayIndex {
    fn build(cal: &Calendar) -> Option<DayIndex> {
        let days = usize::try_from((INDEX_END - INDEX_FIRST).num_days()).ok()?;
        let mut cumulative = Vec::with_capacity(days + 1);
        cumulative.push(0);
        let mut offsets = Vec::with_capacity(days);
        let mut long_idle_runs = Vec::new();
        // Starting a day early, the first indexed day is reached with a carried offset and
        // checked like every other.
        let mut walk = DayWalk::new(cal, INDEX_FIRST.pred_opt()?);
        let mut last_end = i64::MIN;
        Self::ordered_length(&walk, &mut last_end)?;
        let mut total = 0i64;
        let mut idle_since = None;
        for position in 0..days {
            let carried = walk.offset_at_end;
            walk.advance()?;
            if carried.is_some() && !walk.fresh_agrees() {
                return None;
            }
            let length = Self::ordered_length(&walk, &mut last_end)?;
            total = total.checked_add(length)?;
            cumulative.push(total);
            offsets.push(walk.offset_at_end.unwrap_or(NOT_FIXED));
            if length == 0 {
                idle_since.get_or_insert(position);
            } else if let Some(first) = idle_since.take() {
                if position - first > HORIZON_DAYS as usize {
                    long_idle_runs.push((first, position - 1));
                }
            }
        }
        if let Some(first) = idle_since {
            if days - first > HORIZON_DAYS as usize {
                long_idle_runs.push((first, days - 1));
            }
        }
        Some(DayIndex {
            cumulative,
            offsets,
            long_idle_runs,
        })
    }

    /// The business time of the walk's current day; `None` if an interval starts before the
    /// end of the one before it (`last_end`, carried from day to day).
    fn ordered_length(walk: &DayWalk<'_>, last_end: &mut i64) -> Option<i64> {
        let mut length = 0i64;
        let mut ordered = true;
        walk.for_each_interval(|s, e| {
            ordered &= *last_end <= s;
            *last_end = e;
            length += e - s;
        });
        ordered.then_some(length)
    }

    /// Number of days indexed.
    fn days(&self) -> usize {
        self.cumulative.len() - 1
    }

    fn position(&self, date: NaiveDate) -> Option<usize> {
        usize::try_from((date - INDEX_FIRST).num_days())
            .ok()
            .filter(|&day| day < self.days())
    }

    fn date(&self, position: usize) -> Option<NaiveDate> {
        INDEX_FIRST.checked_add_days(Days::new(u64::try_from(position).ok()?))
    }

    fn has_work(&self, day: usize) -> bool {
        matches!(self.cumulative.get(day..day + 2), Some([before, after]) if before < after)
    }

    /// Moves `walk` from day `day` to the next day with working time and returns that day:
    /// a run of days without any (a weekend, years of holidays) costs one binary search.
    /// `None`, and `walk` left alone, if there is none up to day `limit`.
    fn step(&self, walk: &mut DayWalk<'_>, day: usize, limit: usize) -> Option<usize> {
        let next = self
            .next_working_day(day + 1)
            .filter(|&next| next <= limit)?;
        *walk = self.walk_at(walk.cal, next)?;
        Some(next)
    }

    /// The walk on day `day`, settled as the index's walk settled it: no time-zone look-up.
    fn walk_at<'a>(&self, cal: &'a Calendar, day: usize) -> Option<DayWalk<'a>> {
        let offset = *self.offsets.get(day)?;
        let offset = (offset != NOT_FIXED).then_some(offset);
        Some(DayWalk::with_offset(cal, self.date(day)?, offset))
    }

    /// The first day at or after `day` with working time.
    fn next_working_day(&self, day: usize) -> Option<usize> {
        if self.has_work(day) {
            return Some(day);
        }
        let before = *self.cumulative.get(day)?;
        let later = self.cumulative.get(day + 1..)?;
        let worked = day + later.partition_point(|&c| c <= before);
        (worked < self.days()).then_some(worked)
    }

    /// The last day at or before `day` with working time.
    fn prev_working_day(&self, day: usize) -> Option<usize> {
        let through = self.cumulative.get(..day + 2)?;
        let end = *through.last()?;
        through.partition_point(|&c| c < end).checked_sub(1)
    }
}

impl std::fmt::Debug for DayIndex {
    // Not the 36,525 sums: a calendar's debug output is read by people.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DayIndex")
            .field("days", &self.days())
            .field("long_idle_runs", &self.long_idle_runs)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;

/// Random calendars and a second-by-second reference, shared by the property tests here and
/// in the SLA module. The reference reads each instant's local time directly, without any of
/// the interval arithmetic above, and steps through time one minute (or less) at a time.
#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod properties;

/// The indexed paths against the walk, over long spans and many zones.
#[cfg(test)]
mod index_tests;
