use super::*;

fn st(status: TicketStatus, tier: u8) -> State {
    State { status, tier }
}

#[test]
fn the_whole_happy_path_from_tier_1_to_tier_2() {
    let mut s = st(New, 1);
    for (a, want) in [
        (Action::Acknowledge, st(InProgress, 1)),
        (Action::Pause, st(Pending, 1)),
        (Action::Resume, st(InProgress, 1)),
        (Action::Escalate, st(InProgress, 2)),
        (Action::Resolve, st(Resolved, 2)),
        (Action::Reopen, st(InProgress, 2)),
        (Action::Resolve, st(Resolved, 2)),
        (Action::Close, st(Closed, 2)),
    ] {
        s = apply(s, a).unwrap_or_else(|r| panic!("{a:?} refused: {}", r.reason));
        assert_eq!(s, want, "after {a:?}");
    }
}

#[test]
fn the_legal_transition_table_is_exactly_this() {
    use Action::*;
    let legal: &[(TicketStatus, Action, TicketStatus)] = &[
        (New, Acknowledge, InProgress),
        (InProgress, Pause, Pending),
        (Pending, Resume, InProgress),
        (InProgress, Resolve, Resolved),
        (Resolved, Close, Closed),
        (Resolved, Reopen, InProgress),
        (New, Cancel, Cancelled),
        (InProgress, Cancel, Cancelled),
        (Pending, Cancel, Cancelled),
    ];
    for &from in TicketStatus::ALL {
        for &a in [Acknowledge, Pause, Resume, Resolve, Close, Reopen, Cancel].iter() {
            let got = apply(st(from, 1), a).ok().map(|s| s.status);
            let want = legal
                .iter()
                .find(|(f, aa, _)| *f == from && *aa == a)
                .map(|(_, _, to)| *to);
            assert_eq!(got, want, "{from} --{a:?}-->");
        }
    }
}

#[test]
fn closed_and_cancelled_are_final() {
    for &end in &[Closed, Cancelled] {
        for &a in Action::ALL {
            for tier in [1, 2] {
                assert!(apply(st(end, tier), a).is_err(), "{end} accepted {a:?}");
            }
        }
    }
}

#[test]
fn escalation_goes_only_up_and_only_once() {
    for &s in &[New, InProgress, Pending] {
        assert_eq!(apply(st(s, 1), Action::Escalate), Ok(st(s, 2)));
        let r = apply(st(s, 2), Action::Escalate).expect_err("second escalation");
        assert!(r.reason.contains("already at Tier 2"));
    }
    assert!(apply(st(Resolved, 1), Action::Escalate).is_err());
}

#[test]
fn no_action_other_than_escalate_changes_the_tier() {
    for &s in TicketStatus::ALL {
        for &a in Action::ALL {
            if a == Action::Escalate {
                continue;
            }
            for tier in [1, 2] {
                if let Ok(next) = apply(st(s, tier), a) {
                    assert_eq!(next.tier, tier, "{s} {a:?}");
                }
            }
        }
    }
}

#[test]
fn refusals_explain_themselves() {
    let r = apply(st(New, 1), Action::Resolve).expect_err("resolve new");
    assert_eq!(r.reason, "acknowledge the ticket before resolving it");
    let r = apply(st(Closed, 1), Action::Reopen).expect_err("reopen closed");
    assert!(r.reason.contains("closed"));
}
