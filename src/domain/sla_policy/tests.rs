use super::*;

fn t(r: i64, e: i64, res: i64, f: i64) -> TargetMinutes {
    TargetMinutes {
        response_minutes: r,
        escalation_minutes: e,
        resolution_minutes: res,
        fulfillment_minutes: f,
        tier2_resolution_minutes: None,
    }
}

fn good() -> PolicyTargets {
    PolicyTargets {
        critical: t(15, 60, 240, 480),
        high: t(30, 120, 480, 900),
        medium: t(60, 240, 1350, 2250),
        low: t(120, 450, 2250, 4500),
    }
}

#[test]
fn a_sensible_policy_passes() {
    let mut e = Errors::new();
    good().check(&mut e, "targets");
    assert!(e.finish().is_ok());
}

#[test]
fn typos_are_caught_with_the_field_named() {
    let mut p = good();
    p.low.resolution_minutes = 100;
    p.high.escalation_minutes = 9999;
    p.medium.response_minutes = -1;
    let mut e = Errors::new();
    p.check(&mut e, "targets");
    let errs = e.finish().expect_err("invalid");
    let fields: Vec<_> = errs.iter().map(|f| f.field.as_str()).collect();
    assert!(
        fields.contains(&"targets.high.escalation_minutes"),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"targets.medium.response_minutes"),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"targets.low.resolution_minutes"),
        "{fields:?}"
    );
}

#[test]
fn requests_use_fulfilment_and_tier2_defaults_to_resolution() {
    let p = good();
    assert_eq!(
        p.for_priority(Priority::High)
            .resolution_for(TicketKind::Request),
        900
    );
    assert_eq!(
        p.for_priority(Priority::High)
            .resolution_for(TicketKind::Incident),
        480
    );
    assert_eq!(p.for_priority(Priority::High).tier2(), 480);
}
