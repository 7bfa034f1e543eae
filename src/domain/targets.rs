//! The SLA targets of one ticket and how ticket events move them (SLA.md, "Targets of a
//! ticket"). Pure: the caller loads the targets, applies events, evaluates at "now", and
//! stores the result together with the ledger entries this module reports.

use chrono::{DateTime, TimeDelta, Utc};

use super::calendar::Calendar;
use super::sla::{Stop, TargetClock};
use super::sla_policy::TargetMinutes;
use super::{str_enum, TicketKind};

str_enum!(
    /// response and resolution are end to end (tier 0); escalation is the Tier 1 window;
    /// tier2_resolution is the Tier 2 OLA, opened by escalation.
    TargetKind {
        Response => "response",
        Escalation => "escalation",
        Resolution => "resolution",
        Tier2Resolution => "tier2_resolution",
    }
);

str_enum!(
    /// Why a target's clock is stopped now.
    StopReason { Pending => "pending", Resolved => "resolved" }
);

str_enum!(
    /// What the SLA ledger records.
    LedgerKind {
        Started => "started",
        Paused => "paused",
        Resumed => "resumed",
        Warned => "warned",
        Breached => "breached",
        Escalated => "escalated",
        Stopped => "stopped",
        Recomputed => "recomputed",
        Rebaselined => "rebaselined",
    }
);

impl TargetKind {
    /// 0 for the reporter's end-to-end targets, 1 for the Tier 1 segment, 2 for Tier 2.
    pub fn tier(self) -> u8 {
        match self {
            TargetKind::Response | TargetKind::Resolution => 0,
            TargetKind::Escalation => 1,
            TargetKind::Tier2Resolution => 2,
        }
    }

    pub fn minutes(self, m: &TargetMinutes, kind: TicketKind) -> i64 {
        match self {
            TargetKind::Response => m.response_minutes,
            TargetKind::Escalation => m.escalation_minutes,
            TargetKind::Resolution => m.resolution_for(kind),
            TargetKind::Tier2Resolution => m.tier2(),
        }
    }

    /// Targets that pending stops (SLA.md: response runs on; the rest stop).
    fn pauses_on_pending(self) -> bool {
        !matches!(self, TargetKind::Response)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub kind: TargetKind,
    pub clock: TargetClock,
    pub stop_reason: Option<StopReason>,
    pub ended_at: Option<DateTime<Utc>>,
    pub warned_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
}

/// One line for the SLA ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub target: TargetKind,
    pub kind: LedgerKind,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl Target {
    pub fn new(kind: TargetKind, start: DateTime<Utc>, minutes: i64) -> Self {
        Target {
            kind,
            clock: TargetClock::new(start, minutes),
            stop_reason: None,
            ended_at: None,
            warned_at: None,
            breached_at: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }

    pub fn is_paused(&self) -> bool {
        self.is_active() && self.clock.is_stopped()
    }

    /// The deadline: while the target runs, when it falls due; once it ended, the deadline
    /// it was met or missed against (SLA.md), which auditors and reports need. `None` only
    /// while the target is paused.
    pub fn due_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        if self.is_active() {
            return self.clock.deadline(cal);
        }
        // A target that ended while its clock stood (resolved, then closed) keeps the
        // deadline it had when its clock last ran.
        let mut clock = self.clock.clone();
        if clock.stops.last().is_some_and(|s| s.to.is_none()) {
            clock.stops.pop();
        }
        clock.deadline(cal)
    }

    /// Elapsed business time at `t`, frozen at the target's end.
    pub fn elapsed_at(&self, cal: &Calendar, t: DateTime<Utc>) -> TimeDelta {
        let t = self.ended_at.map_or(t, |e| e.min(t));
        self.clock.elapsed(cal, t)
    }

    pub fn remaining_at(&self, cal: &Calendar, t: DateTime<Utc>) -> TimeDelta {
        self.clock.target().unwrap_or(TimeDelta::MAX) - self.elapsed_at(cal, t)
    }

    /// Whether the clock is ticking at `t`: active, not stopped, inside working time.
    pub fn running_at(&self, cal: &Calendar, t: DateTime<Utc>) -> bool {
        self.is_active() && !self.clock.is_stopped_at(t) && cal.is_working(t)
    }

    pub fn outcome(&self) -> &'static str {
        match (self.breached_at, self.is_active(), self.clock.is_stopped()) {
            (Some(_), _, _) => "breached",
            (None, false, _) => "met",
            (None, true, true) => "paused",
            (None, true, false) => "running",
        }
    }

    fn warn_amount(&self, percent: u32) -> TimeDelta {
        let micros = self
            .clock
            .minutes
            .max(0)
            .saturating_mul(i64::from(percent))
            .saturating_mul(600_000);
        TimeDelta::microseconds(micros)
    }

    fn stop(&mut self, t: DateTime<Utc>, reason: StopReason, log: &mut Vec<LedgerEntry>) {
        if self.is_active() && !self.clock.is_stopped() {
            self.clock.stops.push(Stop { from: t, to: None });
            self.stop_reason = Some(reason);
            log.push(entry(
                self.kind,
                LedgerKind::Paused,
                t,
                Some(reason.as_str()),
            ));
        }
    }

    fn resume(&mut self, t: DateTime<Utc>, reason: StopReason, log: &mut Vec<LedgerEntry>) {
        if self.is_active() && self.stop_reason == Some(reason) {
            for s in self.clock.stops.iter_mut().filter(|s| s.to.is_none()) {
                s.to = Some(t.max(s.from));
            }
            self.stop_reason = None;
            log.push(entry(
                self.kind,
                LedgerKind::Resumed,
                t,
                Some(reason.as_str()),
            ));
        }
    }

    fn end(&mut self, t: DateTime<Utc>, why: &str, log: &mut Vec<LedgerEntry>) {
        if self.is_active() {
            self.ended_at = Some(t);
            log.push(entry(self.kind, LedgerKind::Stopped, t, Some(why)));
        }
    }
}

fn entry(
    target: TargetKind,
    kind: LedgerKind,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> LedgerEntry {
    LedgerEntry {
        target,
        kind,
        at,
        reason: reason.map(str::to_string),
    }
}

/// All targets of one ticket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TicketTargets {
    pub targets: Vec<Target>,
}

impl TicketTargets {
    /// The targets a new ticket starts with, all from `reported_at`.
    pub fn start(
        kind: TicketKind,
        minutes: &TargetMinutes,
        reported_at: DateTime<Utc>,
        log: &mut Vec<LedgerEntry>,
    ) -> Self {
        let targets = [
            TargetKind::Response,
            TargetKind::Escalation,
            TargetKind::Resolution,
        ]
        .into_iter()
        .map(|k| {
            log.push(entry(k, LedgerKind::Started, reported_at, None));
            Target::new(k, reported_at, k.minutes(minutes, kind))
        })
        .collect();
        TicketTargets { targets }
    }

    pub fn get(&self, kind: TargetKind) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == kind)
    }

    fn each(&mut self, mut f: impl FnMut(&mut Target)) {
        self.targets.iter_mut().for_each(&mut f);
    }

    pub fn first_response(&mut self, t: DateTime<Utc>, log: &mut Vec<LedgerEntry>) {
        self.each(|x| {
            if x.kind == TargetKind::Response {
                x.end(t, "first_response", log)
            }
        });
    }

    pub fn pause(&mut self, t: DateTime<Utc>, log: &mut Vec<LedgerEntry>) {
        self.each(|x| {
            if x.kind.pauses_on_pending() {
                x.stop(t, StopReason::Pending, log)
            }
        });
    }

    pub fn resume(&mut self, t: DateTime<Utc>, log: &mut Vec<LedgerEntry>) {
        self.each(|x| x.resume(t, StopReason::Pending, log));
    }

    /// Ends the Tier 1 window and opens the Tier 2 OLA at `t` (stopped at once if the
    /// ticket is pending).
    pub fn escalate(
        &mut self,
        t: DateTime<Utc>,
        tier2_minutes: i64,
        pending: bool,
        log: &mut Vec<LedgerEntry>,
    ) {
        self.each(|x| {
            if x.kind == TargetKind::Escalation {
                x.end(t, "escalated", log)
            }
        });
        if self.get(TargetKind::Tier2Resolution).is_none() {
            log.push(entry(
                TargetKind::Tier2Resolution,
                LedgerKind::Started,
                t,
                None,
            ));
            let mut tier2 = Target::new(TargetKind::Tier2Resolution, t, tier2_minutes);
            if pending {
                tier2.stop(t, StopReason::Pending, log);
            }
            self.targets.push(tier2);
        }
    }

    /// A resolve stops every running clock until a reopen resumes it.
    pub fn resolve(&mut self, t: DateTime<Utc>, log: &mut Vec<LedgerEntry>) {
        self.each(|x| {
            if x.kind != TargetKind::Response {
                x.stop(t, StopReason::Resolved, log)
            }
        });
    }

    pub fn reopen(&mut self, t: DateTime<Utc>, log: &mut Vec<LedgerEntry>) {
        self.each(|x| x.resume(t, StopReason::Resolved, log));
    }

    /// Close or cancel: every target ends for good.
    pub fn finish(&mut self, t: DateTime<Utc>, why: &str, log: &mut Vec<LedgerEntry>) {
        self.each(|x| x.end(t, why, log));
    }

    /// New minutes for every active target (priority change, re-baseline): same start, same
    /// stops; a deadline now in the past is caught by the next `evaluate`.
    pub fn set_minutes(
        &mut self,
        t: DateTime<Utc>,
        minutes: impl Fn(TargetKind) -> i64,
        why: LedgerKind,
        log: &mut Vec<LedgerEntry>,
    ) {
        self.each(|x| {
            let m = minutes(x.kind);
            // A re-baseline is logged even when the minutes stay: the calendar may differ.
            if x.is_active() && (x.clock.minutes != m || why == LedgerKind::Rebaselined) {
                x.clock.minutes = m;
                log.push(entry(x.kind, why, t, Some(&format!("{m} minutes"))));
            }
        });
    }

    /// Records warnings and breaches that happened by `now` (sticky: set once, never
    /// cleared). A target that ran out before it was stopped or ended is breached at the
    /// instant it ran out; a warning is not recorded for a target breached at the same time.
    pub fn evaluate(
        &mut self,
        cal: &Calendar,
        warn_percent: u32,
        now: DateTime<Utc>,
        log: &mut Vec<LedgerEntry>,
    ) {
        for x in &mut self.targets {
            let limit = x.ended_at.map_or(now, |e| e.min(now));
            if x.breached_at.is_none() {
                if let Some(at) = x.clock.target().and_then(|d| x.clock.reached_at(cal, d)) {
                    if at <= limit {
                        x.breached_at = Some(at);
                        log.push(entry(x.kind, LedgerKind::Breached, at, None));
                        continue;
                    }
                }
                if x.warned_at.is_none() {
                    if let Some(at) = x.clock.reached_at(cal, x.warn_amount(warn_percent)) {
                        if at <= limit {
                            x.warned_at = Some(at);
                            log.push(entry(x.kind, LedgerKind::Warned, at, None));
                        }
                    }
                }
            }
        }
    }

    /// When `evaluate` could next have something to record: the earliest pending warning or
    /// deadline of a running target. `None` when every clock is stopped, ended or breached.
    pub fn next_check(&self, cal: &Calendar, warn_percent: u32) -> Option<DateTime<Utc>> {
        self.targets
            .iter()
            .filter(|x| x.is_active() && !x.clock.is_stopped() && x.breached_at.is_none())
            .flat_map(|x| {
                let warn = if x.warned_at.is_none() {
                    x.clock.warn_at(cal, warn_percent)
                } else {
                    None
                };
                [warn, x.clock.deadline(cal)]
            })
            .flatten()
            .min()
    }

    /// The nearest deadline of a target whose clock runs, breached ones included (a queue
    /// sorted by it shows the most overdue first); None when every clock is stopped or ended.
    pub fn next_deadline(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        self.targets
            .iter()
            .filter(|x| x.is_active())
            .filter_map(|x| x.clock.deadline(cal))
            .min()
    }

    pub fn any_breached(&self) -> bool {
        self.targets.iter().any(|x| x.breached_at.is_some())
    }

    /// True when the Tier 1 window has run out and the ticket is still waiting at Tier 1.
    pub fn escalation_due(&self) -> bool {
        self.get(TargetKind::Escalation)
            .is_some_and(|x| x.is_active() && !x.clock.is_stopped() && x.breached_at.is_some())
    }
}

#[cfg(test)]
mod tests;
