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
mod tests;

#[cfg(test)]
mod properties;
