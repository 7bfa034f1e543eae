use super::*;
use crate::domain::calendar::WeekSchedule;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Asia::Makassar;

fn cal() -> Calendar {
    let holidays = [
        NaiveDate::from_ymd_opt(2026, 12, 24),
        NaiveDate::from_ymd_opt(2026, 12, 25),
    ];
    Calendar::new(
        Makassar,
        WeekSchedule::spbe_default(),
        holidays.into_iter().flatten(),
    )
    .expect("calendar")
}

fn wita(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Makassar
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

fn minutes(r: i64, e: i64, res: i64) -> TargetMinutes {
    TargetMinutes {
        response_minutes: r,
        escalation_minutes: e,
        resolution_minutes: res,
        fulfillment_minutes: res * 2,
        tier2_resolution_minutes: Some(120),
    }
}

fn due(t: &TicketTargets, k: TargetKind) -> Option<DateTime<Utc>> {
    t.get(k).and_then(|x| x.due_at(&cal()))
}

#[test]
fn example_7_pending_stops_resolution_but_not_response() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(480, 240, 240),
        wita(23, 8, 0),
        &mut log,
    );
    t.pause(wita(23, 9, 0), &mut log);
    assert_eq!(
        due(&t, TargetKind::Resolution),
        None,
        "no deadline while paused"
    );
    assert!(t.get(TargetKind::Response).is_some_and(|x| !x.is_paused()));
    t.resume(wita(23, 14, 0), &mut log);
    assert_eq!(due(&t, TargetKind::Resolution), Some(wita(24, 8, 30)));
    // 480 minutes of response from Mon 08:00: 420 on Monday, 60 on Tuesday from 07:30.
    assert_eq!(
        due(&t, TargetKind::Response),
        Some(wita(24, 8, 30)),
        "response ignores pending"
    );
}

#[test]
fn example_8_resolved_time_does_not_count_after_reopen() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(60, 240, 240),
        wita(23, 8, 0),
        &mut log,
    );
    t.first_response(wita(23, 8, 10), &mut log);
    t.resolve(wita(23, 10, 0), &mut log);
    t.reopen(wita(24, 8, 0), &mut log);
    assert_eq!(due(&t, TargetKind::Resolution), Some(wita(24, 10, 0)));
}

#[test]
fn requests_count_fulfilment_not_resolution() {
    let mut log = vec![];
    let t = TicketTargets::start(
        TicketKind::Request,
        &minutes(60, 60, 120),
        wita(23, 8, 0),
        &mut log,
    );
    assert_eq!(
        t.get(TargetKind::Resolution).map(|x| x.clock.minutes),
        Some(240)
    );
}

#[test]
fn reopen_does_not_escalate_at_once() {
    // Peers count the resolved days and escalate the moment a ticket is reopened.
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 240, 900),
        wita(23, 8, 0),
        &mut log,
    );
    t.first_response(wita(23, 8, 5), &mut log);
    t.resolve(wita(23, 9, 0), &mut log);
    t.reopen(wita(25, 8, 0), &mut log);
    t.evaluate(&cal(), 75, wita(25, 8, 0), &mut log);
    assert!(!t.escalation_due());
    assert_eq!(due(&t, TargetKind::Escalation), Some(wita(25, 11, 0)));
}

#[test]
fn a_pending_ticket_does_not_run_out_its_tier_1_window() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 60, 900),
        wita(23, 8, 0),
        &mut log,
    );
    t.pause(wita(23, 8, 30), &mut log);
    t.evaluate(&cal(), 75, wita(27, 15, 0), &mut log);
    assert!(!t.escalation_due());
    assert_eq!(
        t.get(TargetKind::Escalation).and_then(|x| x.breached_at),
        None
    );
    assert_eq!(
        t.get(TargetKind::Response).and_then(|x| x.breached_at),
        Some(wita(23, 8, 30))
    );
    assert_eq!(
        t.next_check(&cal(), 75),
        None,
        "every clock is stopped or breached: nothing to schedule"
    );
}

#[test]
fn breaches_are_sticky_and_recorded_once_at_the_instant_they_happened() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 60, 900),
        wita(23, 8, 0),
        &mut log,
    );
    t.evaluate(&cal(), 50, wita(23, 10, 0), &mut log);
    let esc = t.get(TargetKind::Escalation).cloned().expect("escalation");
    assert_eq!(esc.breached_at, Some(wita(23, 9, 0)));
    assert_eq!(
        esc.warned_at, None,
        "no warning for a target found already breached"
    );
    assert!(t.escalation_due());
    let before = log.len();
    t.evaluate(&cal(), 50, wita(23, 11, 0), &mut log);
    assert_eq!(log.len(), before, "nothing recorded twice");
    // A resume or a longer target does not clear a breach.
    t.set_minutes(wita(23, 11, 0), |_| 5000, LedgerKind::Recomputed, &mut log);
    t.evaluate(&cal(), 50, wita(23, 11, 0), &mut log);
    assert_eq!(
        t.get(TargetKind::Escalation).and_then(|x| x.breached_at),
        Some(wita(23, 9, 0))
    );
}

#[test]
fn a_stricter_priority_whose_deadline_has_passed_breaches_at_once() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(480, 450, 900),
        wita(23, 8, 0),
        &mut log,
    );
    t.evaluate(&cal(), 75, wita(23, 10, 0), &mut log);
    assert!(!t.any_breached());
    t.set_minutes(
        wita(23, 10, 0),
        |k| if k == TargetKind::Response { 60 } else { 900 },
        LedgerKind::Recomputed,
        &mut log,
    );
    t.evaluate(&cal(), 75, wita(23, 10, 0), &mut log);
    assert_eq!(
        t.get(TargetKind::Response).and_then(|x| x.breached_at),
        Some(wita(23, 9, 0))
    );
}

#[test]
fn warnings_come_once_at_the_threshold() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(120, 450, 900),
        wita(23, 8, 0),
        &mut log,
    );
    assert_eq!(
        t.next_check(&cal(), 75),
        Some(wita(23, 9, 30)),
        "75% of 120 minutes"
    );
    t.evaluate(&cal(), 75, wita(23, 9, 30), &mut log);
    assert_eq!(
        t.get(TargetKind::Response).and_then(|x| x.warned_at),
        Some(wita(23, 9, 30))
    );
    assert_eq!(
        log.iter().filter(|e| e.kind == LedgerKind::Warned).count(),
        1
    );
    t.evaluate(&cal(), 75, wita(23, 9, 45), &mut log);
    assert_eq!(
        log.iter().filter(|e| e.kind == LedgerKind::Warned).count(),
        1
    );
}

#[test]
fn a_target_met_in_time_is_never_breached_later() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 60, 120),
        wita(23, 8, 0),
        &mut log,
    );
    t.first_response(wita(23, 8, 20), &mut log);
    t.evaluate(&cal(), 75, wita(24, 8, 0), &mut log);
    let r = t.get(TargetKind::Response).expect("response");
    assert_eq!(r.breached_at, None);
    assert_eq!(r.outcome(), "met");
}

#[test]
fn escalation_opens_the_tier_2_ola_and_ends_the_tier_1_window() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 60, 900),
        wita(23, 8, 0),
        &mut log,
    );
    t.escalate(wita(23, 8, 40), 120, false, &mut log);
    let esc = t.get(TargetKind::Escalation).expect("escalation");
    assert_eq!(esc.outcome(), "met");
    assert_eq!(due(&t, TargetKind::Tier2Resolution), Some(wita(23, 10, 40)));
    // Escalating a pending ticket starts the OLA stopped.
    let mut p = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 60, 900),
        wita(23, 8, 0),
        &mut log,
    );
    p.pause(wita(23, 8, 30), &mut log);
    p.escalate(wita(23, 9, 0), 120, true, &mut log);
    assert_eq!(due(&p, TargetKind::Tier2Resolution), None);
    p.resume(wita(23, 13, 0), &mut log);
    assert_eq!(due(&p, TargetKind::Tier2Resolution), Some(wita(23, 15, 0)));
}

#[test]
fn closing_ends_everything_and_keeps_the_outcome() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 60, 120),
        wita(23, 8, 0),
        &mut log,
    );
    t.first_response(wita(23, 8, 10), &mut log);
    t.resolve(wita(23, 9, 0), &mut log);
    t.finish(wita(30, 9, 0), "closed", &mut log);
    t.evaluate(&cal(), 75, wita(30, 9, 0), &mut log);
    assert!(t.targets.iter().all(|x| !x.is_active()));
    assert_eq!(
        t.get(TargetKind::Resolution).map(Target::outcome),
        Some("met")
    );
    assert_eq!(t.next_check(&cal(), 75), None);
}

#[test]
fn an_ended_target_keeps_the_deadline_it_was_measured_against() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(60, 240, 240),
        wita(23, 8, 0),
        &mut log,
    );
    // Response met at 08:10 against 09:00.
    t.first_response(wita(23, 8, 10), &mut log);
    assert_eq!(
        t.get(TargetKind::Response).map(|x| x.outcome()),
        Some("met")
    );
    assert_eq!(due(&t, TargetKind::Response), Some(wita(23, 9, 0)));
    // Resolved at 10:00 (clock stops, deadline undefined), then closed: the resolution
    // target ends and shows the 12:00 deadline it was met against.
    t.resolve(wita(23, 10, 0), &mut log);
    assert_eq!(due(&t, TargetKind::Resolution), None, "paused: no deadline");
    t.finish(wita(23, 11, 0), "closed", &mut log);
    assert_eq!(due(&t, TargetKind::Resolution), Some(wita(23, 12, 0)));
}

#[test]
fn a_breached_target_that_ended_shows_the_deadline_it_missed() {
    let mut log = vec![];
    let mut t = TicketTargets::start(
        TicketKind::Incident,
        &minutes(30, 240, 240),
        wita(23, 8, 0),
        &mut log,
    );
    t.evaluate(&cal(), 75, wita(23, 9, 0), &mut log);
    t.first_response(wita(23, 9, 0), &mut log);
    let r = t.get(TargetKind::Response).expect("response");
    assert_eq!(r.outcome(), "breached");
    assert_eq!(r.breached_at, Some(wita(23, 8, 30)));
    assert_eq!(due(&t, TargetKind::Response), Some(wita(23, 8, 30)));
}
