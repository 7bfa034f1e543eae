//! The Tim Koordinasi report's figures, as pure functions of one row of facts per ticket
//! (`TicketFacts`), the catalogue and the directory. Every figure is defined in
//! docs/reports.md in terms of the ticket sheet's columns, so an auditor can recompute it
//! from the sheet itself; the definitions live here once. Rows are fed one at a time
//! (`Figures::add`), so a period of any size is aggregated in memory proportional to the
//! number of PDs and services, plus one number per resolved ticket for the medians.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// A report period: a calendar month or year in the default calendar's zone, [start, end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// `2026-11` or `2026`.
    pub label: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: String,
}

fn local_midnight(tz: Tz, d: NaiveDate) -> Result<DateTime<Utc>, String> {
    tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{d} has no midnight in {tz}"))
}

impl Period {
    /// `YYYY-MM` or `YYYY`.
    pub fn parse(s: &str, tz: Tz) -> Result<Period, String> {
        let bad = || format!("{s:?} is not a period: give YYYY-MM for a month or YYYY for a year");
        let (first, next) = match s.len() {
            4 => {
                let y: i32 = s.parse().map_err(|_| bad())?;
                (
                    NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(bad)?,
                    NaiveDate::from_ymd_opt(y + 1, 1, 1).ok_or_else(bad)?,
                )
            }
            7 if s.as_bytes()[4] == b'-' => {
                let y: i32 = s[..4].parse().map_err(|_| bad())?;
                let m: u32 = s[5..].parse().map_err(|_| bad())?;
                let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
                let next = if m == 12 {
                    NaiveDate::from_ymd_opt(y + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(y, m + 1, 1)
                }
                .ok_or_else(bad)?;
                (first, next)
            }
            _ => return Err(bad()),
        };
        if !(2000..=9998).contains(&first.year()) {
            return Err(format!("{s:?}: the year must be between 2000 and 9998"));
        }
        Ok(Period {
            label: s.to_string(),
            start: local_midnight(tz, first)?,
            end: local_midnight(tz, next)?,
            timezone: tz.name().to_string(),
        })
    }

    pub fn is_month(&self) -> bool {
        self.label.len() == 7
    }

    /// The month before the one holding `t` (what the start-of-month run reports on).
    pub fn month_before(t: DateTime<Utc>, tz: Tz) -> Result<Period, String> {
        let local = t.with_timezone(&tz).date_naive();
        let (y, m) = if local.month() == 1 {
            (local.year() - 1, 12)
        } else {
            (local.year(), local.month() - 1)
        };
        Period::parse(&format!("{y:04}-{m:02}"), tz)
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    fn holds(&self, t: Option<DateTime<Utc>>) -> bool {
        t.is_some_and(|t| self.contains(t))
    }

    pub fn has_ended(&self, now: DateTime<Utc>) -> bool {
        now >= self.end
    }
}

/// What one SLA target of a ticket shows when the figures are taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetFacts {
    pub due_at: Option<DateTime<Utc>>,
    /// When its clock stopped for the last time: the resolve (even if a close followed),
    /// or the cancel or close that ended it. None while it runs or is paused.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Whether a resolve stopped it (a cancelled ticket's target is never "met").
    pub by_resolve: bool,
    pub breached_at: Option<DateTime<Utc>>,
    /// Business minutes used when it ended (pauses not counted).
    pub elapsed_minutes: Option<f64>,
}

/// One ticket, as the report sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TicketFacts {
    pub id: String,
    pub number: String,
    pub organization_id: String,
    pub service_id: Option<String>,
    pub kind: String,
    pub priority: String,
    pub classification: String,
    /// None for a restricted ticket (Makassar Ps 46(2)).
    pub title: Option<String>,
    pub status: String,
    pub tier: i32,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub escalation_mode: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub response: Option<TargetFacts>,
    pub resolution: Option<TargetFacts>,
    pub tier2: Option<TargetFacts>,
    pub outage_start: Option<DateTime<Utc>>,
    pub outage_end: Option<DateTime<Utc>>,
}

/// How a target was decided within the period: met (resolved there, never breached),
/// missed (breached there), or not decided there.
fn decided(t: Option<&TargetFacts>, p: &Period) -> Option<bool> {
    let t = t?;
    match t.breached_at {
        Some(b) => p.contains(b).then_some(false),
        None => (t.by_resolve && p.holds(t.stopped_at)).then_some(true),
    }
}

/// The per-ticket columns of the ticket sheet that the figures are computed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Flags {
    pub opened: bool,
    pub resolved: bool,
    pub resolved_at_tier1: bool,
    /// `manual` or `automatic` when escalated within the period.
    pub escalated: Option<String>,
    pub response_breached: bool,
    pub resolution_breached: bool,
    /// The resolution (fulfilment for a request) target: met (true) or missed (false)
    /// within the period.
    pub resolution_met: Option<bool>,
    /// Business minutes to resolution, for a ticket resolved within the period.
    pub resolution_minutes: Option<f64>,
    pub tier2_met: Option<bool>,
    /// Business minutes of the Tier 2 target, when it ended within the period.
    pub tier2_minutes: Option<f64>,
    /// Wall-clock minutes of this ticket's outage that fall within the period.
    pub outage_minutes: f64,
    pub open_at_end: bool,
}

impl Flags {
    /// `until` is where the period stops counting (its end, or now for a period still
    /// running): an outage still open counts up to it.
    pub fn of(t: &TicketFacts, p: &Period, until: DateTime<Utc>) -> Flags {
        let resolved = p.holds(t.resolved_at);
        let escalated = if p.holds(t.escalated_at) {
            t.escalation_mode.clone()
        } else {
            None
        };
        let before_end = |x: Option<DateTime<Utc>>| x.is_some_and(|x| x < p.end);
        let outage = outage_span(t, p, until);
        Flags {
            opened: p.contains(t.created_at),
            resolved,
            resolved_at_tier1: resolved
                && match (t.escalated_at, t.resolved_at) {
                    (Some(e), Some(r)) => e > r,
                    _ => true,
                },
            escalated,
            response_breached: t.response.as_ref().is_some_and(|r| p.holds(r.breached_at)),
            resolution_breached: t
                .resolution
                .as_ref()
                .is_some_and(|r| p.holds(r.breached_at)),
            resolution_met: decided(t.resolution.as_ref(), p),
            resolution_minutes: if resolved {
                t.resolution.as_ref().and_then(|r| r.elapsed_minutes)
            } else {
                None
            },
            tier2_met: decided(t.tier2.as_ref(), p),
            tier2_minutes: t
                .tier2
                .as_ref()
                .filter(|x| x.by_resolve && p.holds(x.stopped_at))
                .and_then(|x| x.elapsed_minutes),
            outage_minutes: outage.map_or(0.0, |(a, b)| minutes(b - a)),
            open_at_end: t.created_at < p.end
                && !(before_end(t.resolved_at)
                    || before_end(t.closed_at)
                    || before_end(t.cancelled_at)),
        }
    }

    /// Whether the ticket belongs on the ticket sheet: something about it falls within the
    /// period, or it was still open at its end.
    pub fn on_sheet(&self, t: &TicketFacts, p: &Period) -> bool {
        self.opened
            || self.resolved
            || self.escalated.is_some()
            || self.response_breached
            || self.resolution_breached
            || self.resolution_met.is_some()
            || self.tier2_met.is_some()
            || self.outage_minutes > 0.0
            || self.open_at_end
            || p.holds(t.closed_at)
            || p.holds(t.cancelled_at)
    }
}

fn minutes(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 60_000.0
}

/// The part of a ticket's outage inside [period start, until).
fn outage_span(
    t: &TicketFacts,
    p: &Period,
    until: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = t.outage_start?.max(p.start);
    let end = t.outage_end.unwrap_or(until).min(until).min(p.end);
    (start < end).then_some((start, end))
}

/// Met and missed targets; the percentage is of those decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Decisions {
    pub met: u64,
    pub missed: u64,
}

impl Decisions {
    fn add(&mut self, d: Option<bool>) {
        match d {
            Some(true) => self.met += 1,
            Some(false) => self.missed += 1,
            None => {}
        }
    }

    /// Met of decided, in percent (two decimals); None when nothing was decided.
    pub fn percent(&self) -> Option<f64> {
        let n = self.met + self.missed;
        (n > 0).then(|| round2(self.met as f64 * 100.0 / n as f64))
    }
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The median (the mean of the two middle values for an even count), two decimals.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(round2(sorted[n / 2])),
        _ => Some(round2((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0)),
    }
}

/// The nearest-rank percentile: the value at rank ceil(p/100 * n) of the sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
    Some(round2(sorted[rank.min(n) - 1]))
}

/// Total length of the union of intervals (overlaps counted once), in minutes.
pub fn merged_minutes(mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> f64 {
    spans.sort();
    let mut total = TimeDelta::zero();
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (a, b) in spans {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    minutes(total)
}

/// A PD or Unit Kerja as the report names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Org {
    pub id: String,
    pub code: String,
    pub name: String,
    /// The PD of a Unit Kerja.
    pub parent_id: Option<String>,
    /// Active Tier 1 technicians of this PD or Unit Kerja itself.
    pub technicians: u32,
}

/// A catalogue service as the report sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceInfo {
    pub id: String,
    pub code: String,
    pub name: String,
    pub organization_id: String,
    pub criticality: String,
    pub status: String,
    pub availability_target_percent: f64,
    /// The SOP parts (Makassar Ps 33(4)) that are missing.
    pub sop_missing: Vec<String>,
}

/// A sanction from the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SanctionLine {
    pub id: String,
    pub service_id: String,
    pub level: String,
    pub letter_number: Option<String>,
    pub issued_on: NaiveDate,
    pub report_month: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
    pub remediation: Option<String>,
}

/// Thresholds of the findings and the recommended sanction (configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// A PD whose SLA met percent is below this is a finding.
    pub pd_met_below: f64,
    /// The worst incident-resolution met percent of a critical service (aspect c) below
    /// which a warning, a reprimand or a closure is recommended.
    pub warning_below: f64,
    pub reprimand_below: f64,
    pub closure_below: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PdFigures {
    pub organization_id: String,
    pub code: String,
    pub name: String,
    pub opened: u64,
    pub resolved: u64,
    pub resolved_at_tier1: u64,
    pub escalated_manual: u64,
    pub escalated_automatic: u64,
    pub response_breaches: u64,
    pub resolution_breaches: u64,
    pub sla: Decisions,
    pub sla_met_percent: Option<f64>,
    pub median_resolution_minutes: Option<f64>,
    pub p90_resolution_minutes: Option<f64>,
    pub backlog_at_end: u64,
    /// Active Tier 1 technicians of the PD and its Unit Kerja.
    pub technicians: u32,
    /// Codes of the PD itself and of its Unit Kerja that have none.
    pub without_technician: Vec<String>,
    #[serde(skip)]
    resolution_minutes: Vec<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CriticalAspects {
    /// (a) fulfilment time of requests.
    pub fulfilment: Decisions,
    pub fulfilment_met_percent: Option<f64>,
    /// (b) availability (the service's own figure).
    pub availability_percent: f64,
    /// (c) incident resolution per priority.
    pub incident_resolution: BTreeMap<String, Decisions>,
    pub incident_resolution_met_percent: BTreeMap<String, Option<f64>>,
    /// Whether (c) was missed: an incident resolution target missed at some priority.
    pub incident_resolution_missed: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceFigures {
    pub service_id: String,
    pub code: String,
    pub name: String,
    pub organization_id: String,
    pub organization_code: String,
    pub criticality: String,
    pub status: String,
    pub incidents: u64,
    pub downtime_minutes: f64,
    pub availability_percent: f64,
    pub availability_target_percent: f64,
    pub meets_availability_target: bool,
    pub sop_missing: Vec<String>,
    /// Only for a critical service (Ps 32(4)).
    pub critical: Option<CriticalAspects>,
    /// `warning`, `reprimand` or `closure` (Ps 32(5)); a recommendation only.
    pub recommended_sanction: Option<String>,
    /// Letters and closures recorded in the ledger within the period, and closures still
    /// in force at its end.
    pub sanctions: Vec<SanctionLine>,
    #[serde(skip)]
    outages: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tier2Figures {
    pub escalations_received: u64,
    pub escalated_manual: u64,
    pub escalated_automatic: u64,
    pub ola: Decisions,
    pub ola_met_percent: Option<f64>,
    pub resolved: u64,
    pub median_resolution_minutes: Option<f64>,
    pub p90_resolution_minutes: Option<f64>,
    #[serde(skip)]
    minutes: Vec<f64>,
}

/// One line of the Tim's problem inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `no_technician`, `below_availability_target`, `incident_sla_missed`,
    /// `pd_sla_below_threshold`, `sop_incomplete`.
    pub kind: String,
    /// The PD, Unit Kerja or service code.
    pub subject: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub opened: u64,
    pub resolved: u64,
    pub escalated: u64,
    pub sla: Decisions,
    pub sla_met_percent: Option<f64>,
    pub backlog_at_end: u64,
    pub tickets_on_sheet: u64,
}

/// Every aggregate figure of one period.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub totals: Totals,
    pub pds: Vec<PdFigures>,
    pub services: Vec<ServiceFigures>,
    pub tier2: Tier2Figures,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pd_index: BTreeMap<String, usize>,
    #[serde(skip)]
    service_index: BTreeMap<String, usize>,
}

impl Figures {
    /// Empty figures for these PDs (top-level organizations of kind pd, with their Unit
    /// Kerja among `orgs`) and services.
    pub fn new(orgs: &[Org], services: &[ServiceInfo]) -> Figures {
        let mut pds: Vec<PdFigures> = orgs
            .iter()
            .filter(|o| o.parent_id.is_none())
            .map(|o| {
                let units: Vec<&Org> = orgs
                    .iter()
                    .filter(|u| u.parent_id.as_deref() == Some(&o.id))
                    .collect();
                let mut without = Vec::new();
                if o.technicians == 0 {
                    without.push(o.code.clone());
                }
                without.extend(
                    units
                        .iter()
                        .filter(|u| u.technicians == 0)
                        .map(|u| u.code.clone()),
                );
                PdFigures {
                    organization_id: o.id.clone(),
                    code: o.code.clone(),
                    name: o.name.clone(),
                    technicians: o.technicians + units.iter().map(|u| u.technicians).sum::<u32>(),
                    without_technician: without,
                    ..Default::default()
                }
            })
            .collect();
        pds.sort_by(|a, b| a.code.cmp(&b.code));
        let code_of = |id: &str| {
            orgs.iter()
                .find(|o| o.id == id)
                .map(|o| o.code.clone())
                .unwrap_or_default()
        };
        let mut svcs: Vec<ServiceFigures> = services
            .iter()
            .map(|s| ServiceFigures {
                service_id: s.id.clone(),
                code: s.code.clone(),
                name: s.name.clone(),
                organization_id: s.organization_id.clone(),
                organization_code: code_of(&s.organization_id),
                criticality: s.criticality.clone(),
                status: s.status.clone(),
                availability_target_percent: s.availability_target_percent,
                sop_missing: s.sop_missing.clone(),
                critical: (s.criticality == "critical").then(CriticalAspects::default),
                ..Default::default()
            })
            .collect();
        // Critical services first (the availability chart reads them as one range), then
        // by code.
        svcs.sort_by(|a, b| (a.critical.is_none(), &a.code).cmp(&(b.critical.is_none(), &b.code)));
        Figures {
            totals: Totals::default(),
            pd_index: {
                let mut index: BTreeMap<String, usize> = pds
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.organization_id.clone(), i))
                    .collect();
                // A ticket owned by a Unit Kerja counts for its PD.
                for o in orgs {
                    if let Some(i) = o.parent_id.as_ref().and_then(|p| index.get(p).copied()) {
                        index.insert(o.id.clone(), i);
                    }
                }
                index
            },
            service_index: svcs
                .iter()
                .enumerate()
                .map(|(i, s)| (s.service_id.clone(), i))
                .collect(),
            pds,
            services: svcs,
            tier2: Tier2Figures::default(),
            findings: Vec::new(),
        }
    }

    /// Adds one ticket with its flags.
    pub fn add(&mut self, t: &TicketFacts, f: &Flags, p: &Period, until: DateTime<Utc>) {
        let totals = &mut self.totals;
        totals.opened += u64::from(f.opened);
        totals.resolved += u64::from(f.resolved);
        totals.escalated += u64::from(f.escalated.is_some());
        totals.sla.add(f.resolution_met);
        totals.backlog_at_end += u64::from(f.open_at_end);
        totals.tickets_on_sheet += u64::from(f.on_sheet(t, p));
        if let Some(&i) = self.pd_index.get(&t.organization_id) {
            let pd = &mut self.pds[i];
            pd.opened += u64::from(f.opened);
            pd.resolved += u64::from(f.resolved);
            pd.resolved_at_tier1 += u64::from(f.resolved_at_tier1);
            match f.escalated.as_deref() {
                Some("manual") => pd.escalated_manual += 1,
                Some("automatic") => pd.escalated_automatic += 1,
                _ => {}
            }
            pd.response_breaches += u64::from(f.response_breached);
            pd.resolution_breaches += u64::from(f.resolution_breached);
            pd.sla.add(f.resolution_met);
            pd.backlog_at_end += u64::from(f.open_at_end);
            if let Some(m) = f.resolution_minutes {
                pd.resolution_minutes.push(m);
            }
        }
        if let Some(mode) = &f.escalated {
            self.tier2.escalations_received += 1;
            match mode.as_str() {
                "manual" => self.tier2.escalated_manual += 1,
                _ => self.tier2.escalated_automatic += 1,
            }
        }
        self.tier2.ola.add(f.tier2_met);
        if let Some(m) = f.tier2_minutes {
            self.tier2.resolved += 1;
            self.tier2.minutes.push(m);
        }
        let Some(&i) = t
            .service_id
            .as_ref()
            .and_then(|s| self.service_index.get(s))
        else {
            return;
        };
        let s = &mut self.services[i];
        if t.kind == "incident" && f.opened {
            s.incidents += 1;
        }
        if let Some(span) = outage_span(t, p, until) {
            s.outages.push(span);
        }
        if let Some(c) = &mut s.critical {
            match t.kind.as_str() {
                "request" => c.fulfilment.add(f.resolution_met),
                "incident" if f.resolution_met.is_some() => c
                    .incident_resolution
                    .entry(t.priority.clone())
                    .or_default()
                    .add(f.resolution_met),
                _ => {}
            }
        }
    }

    /// Completes the figures: percentages, medians, availability, sanctions, findings.
    pub fn finish(
        mut self,
        p: &Period,
        until: DateTime<Utc>,
        sanctions: Vec<SanctionLine>,
        th: &Thresholds,
    ) -> Figures {
        self.totals.sla_met_percent = self.totals.sla.percent();
        for pd in &mut self.pds {
            pd.sla_met_percent = pd.sla.percent();
            pd.resolution_minutes.sort_by(f64::total_cmp);
            pd.median_resolution_minutes = median(&pd.resolution_minutes);
            pd.p90_resolution_minutes = percentile(&pd.resolution_minutes, 90.0);
            pd.resolution_minutes = Vec::new();
        }
        let t2 = &mut self.tier2;
        t2.ola_met_percent = t2.ola.percent();
        t2.minutes.sort_by(f64::total_cmp);
        t2.median_resolution_minutes = median(&t2.minutes);
        t2.p90_resolution_minutes = percentile(&t2.minutes, 90.0);
        t2.minutes = Vec::new();
        let period_minutes = minutes(until.min(p.end) - p.start).max(0.0);
        for s in &mut self.services {
            s.downtime_minutes = round2(merged_minutes(std::mem::take(&mut s.outages)));
            s.availability_percent = if period_minutes > 0.0 {
                round2((period_minutes - s.downtime_minutes) * 100.0 / period_minutes)
            } else {
                100.0
            };
            s.meets_availability_target = s.availability_percent >= s.availability_target_percent;
            s.sanctions = sanctions
                .iter()
                .filter(|x| x.service_id == s.service_id)
                .cloned()
                .collect();
            if let Some(c) = &mut s.critical {
                c.fulfilment_met_percent = c.fulfilment.percent();
                c.availability_percent = s.availability_percent;
                c.incident_resolution_met_percent = c
                    .incident_resolution
                    .iter()
                    .map(|(k, d)| (k.clone(), d.percent()))
                    .collect();
                c.incident_resolution_missed = c.incident_resolution.values().any(|d| d.missed > 0);
                let worst = c
                    .incident_resolution_met_percent
                    .values()
                    .flatten()
                    .copied()
                    .fold(f64::INFINITY, f64::min);
                s.recommended_sanction = if worst < th.closure_below {
                    Some("closure".into())
                } else if worst < th.reprimand_below {
                    Some("reprimand".into())
                } else if worst < th.warning_below {
                    Some("warning".into())
                } else {
                    None
                };
            }
        }
        self.findings = findings(&self, th);
        self
    }
}

fn fmt_pct(x: f64) -> String {
    format!("{x:.2}")
}

fn findings(f: &Figures, th: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::new();
    for pd in &f.pds {
        for code in &pd.without_technician {
            out.push(Finding {
                kind: "no_technician".into(),
                subject: code.clone(),
                detail: format!("{code} has no active Tier 1 technician (Makassar Ps 51(7)(a))"),
            });
        }
        if let Some(pct) = pd.sla_met_percent.filter(|p| *p < th.pd_met_below) {
            out.push(Finding {
                kind: "pd_sla_below_threshold".into(),
                subject: pd.code.clone(),
                detail: format!(
                    "{}: SLA met {}% of {} decided, below {}%",
                    pd.code,
                    fmt_pct(pct),
                    pd.sla.met + pd.sla.missed,
                    fmt_pct(th.pd_met_below)
                ),
            });
        }
    }
    for s in &f.services {
        if !s.meets_availability_target {
            out.push(Finding {
                kind: "below_availability_target".into(),
                subject: s.code.clone(),
                detail: format!(
                    "{}: availability {}% against a target of {}% ({} minutes down)",
                    s.code,
                    fmt_pct(s.availability_percent),
                    fmt_pct(s.availability_target_percent),
                    s.downtime_minutes
                ),
            });
        }
        if let Some(c) = s.critical.as_ref().filter(|c| c.incident_resolution_missed) {
            let missed: Vec<String> = c
                .incident_resolution
                .iter()
                .filter(|(_, d)| d.missed > 0)
                .map(|(p, d)| format!("{p}: {} of {} missed", d.missed, d.met + d.missed))
                .collect();
            out.push(Finding {
                kind: "incident_sla_missed".into(),
                subject: s.code.clone(),
                detail: format!(
                    "critical service {}: incident resolution missed ({}); recommended: {} (Ps 32(5))",
                    s.code,
                    missed.join(", "),
                    s.recommended_sanction.as_deref().unwrap_or("none")
                ),
            });
        }
        if s.critical.is_some() && !s.sop_missing.is_empty() {
            out.push(Finding {
                kind: "sop_incomplete".into(),
                subject: s.code.clone(),
                detail: format!(
                    "critical service {}: SOP lacks {} (Makassar Ps 33(4))",
                    s.code,
                    s.sop_missing.join(", ")
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
