use super::*;

#[test]
fn propose_then_designate_or_reject() {
    assert_eq!(next(Normal, CriticalityStep::Propose), Ok(Proposed));
    assert_eq!(next(Proposed, CriticalityStep::Designate), Ok(Critical));
    assert_eq!(next(Proposed, CriticalityStep::Reject), Ok(Rejected));
    assert_eq!(next(Rejected, CriticalityStep::Propose), Ok(Proposed));
    assert_eq!(next(Critical, CriticalityStep::Revoke), Ok(Normal));
}

#[test]
fn no_shortcut_to_critical() {
    for c in [Normal, Rejected, Critical] {
        assert!(next(c, CriticalityStep::Designate).is_err());
    }
    assert!(next(Critical, CriticalityStep::Propose).is_err());
    assert!(next(Proposed, CriticalityStep::Propose).is_err());
    assert!(next(Normal, CriticalityStep::Revoke).is_err());
}
