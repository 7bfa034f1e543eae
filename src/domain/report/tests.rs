use chrono::{TimeZone, Utc};

use super::*;

fn wita() -> Tz {
    chrono_tz::Asia::Makassar
}

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    // Local WITA time in November 2026.
    wita()
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .single()
        .expect("instant")
        .with_timezone(&Utc)
}

fn november() -> Period {
    Period::parse("2026-11", wita()).expect("period")
}

#[test]
fn periods_are_read_in_the_calendars_zone() {
    let p = november();
    assert_eq!(
        p.start,
        Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0)
            .single()
            .expect("t")
    );
    assert_eq!(
        p.end,
        Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0)
            .single()
            .expect("t")
    );
    let y = Period::parse("2026", wita()).expect("year");
    assert_eq!(
        y.start,
        Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0)
            .single()
            .expect("t")
    );
    assert_eq!(
        y.end,
        Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0)
            .single()
            .expect("t")
    );
    assert!(!y.is_month() && p.is_month());
    let dec = Period::parse("2026-12", wita()).expect("december");
    assert_eq!(
        dec.end,
        Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0)
            .single()
            .expect("t")
    );
    for bad in [
        "2026-13", "2026-00", "26-11", "2026/11", "abcd", "", "1999", "2026-1",
    ] {
        assert!(Period::parse(bad, wita()).is_err(), "{bad}");
    }
    // 1 December 00:30 WITA is still 30 November in UTC: the month before is November.
    let t = at(30, 0, 0) + TimeDelta::hours(24) + TimeDelta::minutes(30);
    assert_eq!(Period::month_before(t, wita()).expect("m").label, "2026-11");
    let jan = wita()
        .with_ymd_and_hms(2027, 1, 1, 8, 0, 0)
        .single()
        .expect("t")
        .with_timezone(&Utc);
    assert_eq!(
        Period::month_before(jan, wita()).expect("m").label,
        "2026-12"
    );
}

#[test]
fn median_and_nearest_rank_percentile() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[5.0]), Some(5.0));
    assert_eq!(median(&[1.0, 2.0, 10.0, 20.0]), Some(6.0));
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(percentile(&ten, 90.0), Some(9.0));
    assert_eq!(percentile(&ten, 100.0), Some(10.0));
    assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
    let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
    // ceil(0.9 * 11) = 10
    assert_eq!(percentile(&eleven, 90.0), Some(10.0));
}

#[test]
fn overlapping_outages_count_once() {
    let spans = vec![
        (at(2, 8, 0), at(2, 10, 0)),
        (at(2, 9, 0), at(2, 11, 0)),
        (at(2, 11, 0), at(2, 11, 30)),
        (at(3, 8, 0), at(3, 8, 15)),
    ];
    assert_eq!(merged_minutes(spans), 3.0 * 60.0 + 30.0 + 15.0);
    assert_eq!(merged_minutes(Vec::new()), 0.0);
}

fn ticket(number: &str) -> TicketFacts {
    TicketFacts {
        id: number.into(),
        number: number.into(),
        organization_id: "pd1".into(),
        service_id: Some("s1".into()),
        kind: "incident".into(),
        priority: "high".into(),
        classification: "normal".into(),
        title: Some("x".into()),
        status: "new".into(),
        tier: 1,
        created_at: at(2, 8, 0),
        ..Default::default()
    }
}

#[test]
fn flags_follow_the_definitions() {
    let p = november();
    let until = p.end;
    let mut t = ticket("A");
    t.resolved_at = Some(at(3, 9, 0));
    t.resolution = Some(TargetFacts {
        by_resolve: true,
        stopped_at: t.resolved_at,
        elapsed_minutes: Some(120.0),
        ..Default::default()
    });
    t.escalated_at = Some(at(2, 9, 0));
    t.escalation_mode = Some("automatic".into());
    t.outage_start = Some(at(2, 8, 0));
    t.outage_end = Some(at(2, 9, 30));
    let f = Flags::of(&t, &p, until);
    assert!(f.opened && f.resolved && !f.resolved_at_tier1);
    assert_eq!(f.escalated.as_deref(), Some("automatic"));
    assert_eq!(f.resolution_met, Some(true));
    assert_eq!(f.resolution_minutes, Some(120.0));
    assert_eq!(f.outage_minutes, 90.0);
    assert!(!f.open_at_end);
    assert!(f.on_sheet(&t, &p));

    // Breached in October, resolved in November: decided (missed) in October, not again.
    let mut old = ticket("B");
    old.created_at = at(1, 8, 0) - TimeDelta::days(10);
    old.resolved_at = Some(at(5, 8, 0));
    old.resolution = Some(TargetFacts {
        by_resolve: true,
        stopped_at: old.resolved_at,
        breached_at: Some(at(1, 8, 0) - TimeDelta::days(2)),
        elapsed_minutes: Some(900.0),
        ..Default::default()
    });
    let f = Flags::of(&old, &p, until);
    assert!(!f.opened && f.resolved && f.resolved_at_tier1);
    assert_eq!(f.resolution_met, None);
    assert!(!f.resolution_breached);
    assert_eq!(f.resolution_minutes, Some(900.0));

    // Still open at the end, with an outage still running: counted up to the end.
    let mut open = ticket("C");
    open.outage_start = Some(at(30, 0, 0));
    let f = Flags::of(&open, &p, until);
    assert!(f.open_at_end);
    assert_eq!(f.outage_minutes, 24.0 * 60.0);
    // A period still running counts only up to now.
    let now = at(30, 2, 0);
    assert_eq!(Flags::of(&open, &p, now).outage_minutes, 120.0);

    // Closed before the period: not on the sheet.
    let mut gone = ticket("D");
    gone.created_at = at(1, 8, 0) - TimeDelta::days(40);
    gone.resolved_at = Some(at(1, 8, 0) - TimeDelta::days(39));
    gone.closed_at = Some(at(1, 8, 0) - TimeDelta::days(38));
    let f = Flags::of(&gone, &p, until);
    assert!(!f.on_sheet(&gone, &p));
}

fn thresholds() -> Thresholds {
    Thresholds {
        pd_met_below: 90.0,
        warning_below: 100.0,
        reprimand_below: 80.0,
        closure_below: 50.0,
    }
}

#[test]
fn figures_sanctions_and_findings() {
    let p = november();
    let orgs = vec![
        Org {
            id: "pd1".into(),
            code: "PD1".into(),
            name: "PD Satu".into(),
            parent_id: None,
            technicians: 1,
        },
        Org {
            id: "uk1".into(),
            code: "UK1".into(),
            name: "Unit".into(),
            parent_id: Some("pd1".into()),
            technicians: 0,
        },
        Org {
            id: "pd2".into(),
            code: "PD2".into(),
            name: "PD Dua".into(),
            parent_id: None,
            technicians: 0,
        },
    ];
    let services = vec![ServiceInfo {
        id: "s1".into(),
        code: "SIAK".into(),
        name: "SIAK".into(),
        organization_id: "pd1".into(),
        criticality: "critical".into(),
        status: "active".into(),
        availability_target_percent: 99.9,
        sop_missing: vec!["policy".into()],
    }];
    let mut f = Figures::new(&orgs, &services);
    let mut met = ticket("A");
    met.resolved_at = Some(at(2, 10, 0));
    met.resolution = Some(TargetFacts {
        by_resolve: true,
        stopped_at: met.resolved_at,
        elapsed_minutes: Some(10.0),
        ..Default::default()
    });
    met.outage_start = Some(at(2, 8, 0));
    met.outage_end = Some(at(2, 9, 0));
    let mut missed = ticket("B");
    missed.resolution = Some(TargetFacts {
        breached_at: Some(at(4, 8, 0)),
        ..Default::default()
    });
    missed.outage_start = Some(at(2, 8, 30));
    missed.outage_end = Some(at(2, 10, 0));
    for t in [&met, &missed] {
        let fl = Flags::of(t, &p, p.end);
        f.add(t, &fl, &p, p.end);
    }
    let f = f.finish(&p, p.end, Vec::new(), &thresholds());
    let pd1 = &f.pds[0];
    assert_eq!((pd1.code.as_str(), pd1.opened, pd1.resolved), ("PD1", 2, 1));
    assert_eq!(pd1.sla, Decisions { met: 1, missed: 1 });
    assert_eq!(pd1.sla_met_percent, Some(50.0));
    assert_eq!(pd1.backlog_at_end, 1);
    assert_eq!(pd1.without_technician, ["UK1"]);
    assert_eq!(f.pds[1].without_technician, ["PD2"]);
    let s = &f.services[0];
    assert_eq!(s.incidents, 2);
    assert_eq!(s.downtime_minutes, 120.0);
    let month = 30.0 * 24.0 * 60.0;
    assert_eq!(
        s.availability_percent,
        round2((month - 120.0) * 100.0 / month)
    );
    assert!(!s.meets_availability_target);
    let c = s.critical.as_ref().expect("critical");
    assert_eq!(c.incident_resolution_met_percent["high"], Some(50.0));
    assert!(c.incident_resolution_missed);
    // 50% is not below the closure threshold of 50, but below the reprimand one.
    assert_eq!(s.recommended_sanction.as_deref(), Some("reprimand"));
    let kinds: Vec<(&str, &str)> = f
        .findings
        .iter()
        .map(|x| (x.kind.as_str(), x.subject.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("no_technician", "UK1"),
            ("pd_sla_below_threshold", "PD1"),
            ("no_technician", "PD2"),
            ("below_availability_target", "SIAK"),
            ("incident_sla_missed", "SIAK"),
            ("sop_incomplete", "SIAK"),
        ]
    );
    assert_eq!(f.totals.tickets_on_sheet, 2);
}
