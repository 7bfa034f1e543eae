use super::*;

fn actor(role: Role, org: &str) -> Actor {
    Actor {
        user_id: format!("u-{org}-{role}"),
        name: "x".into(),
        role,
        organization_id: org.into(),
        scope_orgs: vec![org.into()],
    }
}

fn ticket<'a>(owner: &'a str, reporter: &'a str, tier: u8, c: Classification) -> TicketScope<'a> {
    TicketScope {
        organization_id: owner,
        reporter_organization_id: reporter,
        tier,
        classification: c,
        assignee_id: None,
    }
}

#[test]
fn technicians_see_their_own_pd_only() {
    let a = actor(Role::Technician, "A");
    let b = actor(Role::Technician, "B");
    let t = ticket("A", "A", 1, Classification::Normal);
    assert!(can_view(&a, &t));
    assert!(!can_view(&b, &t));
    // The reporting PD follows a normal ticket about another PD's service...
    let t = ticket("A", "B", 1, Classification::Normal);
    assert!(can_view(&b, &t));
    // ...but not a restricted one.
    let t = ticket("A", "B", 1, Classification::Restricted);
    assert!(!can_view(&b, &t));
    assert!(can_view(&a, &t));
}

#[test]
fn unit_kerja_tickets_are_seen_by_their_pd() {
    let mut a = actor(Role::Technician, "A");
    a.scope_orgs.push("A-unit".into());
    assert!(can_view(
        &a,
        &ticket("A-unit", "A-unit", 1, Classification::Restricted)
    ));
}

#[test]
fn operators_see_tier_2_only() {
    let op = actor(Role::Operator, "DINAS");
    assert!(!can_view(&op, &ticket("A", "A", 1, Classification::Normal)));
    assert!(can_view(&op, &ticket("A", "A", 2, Classification::Normal)));
    assert!(can_view(
        &op,
        &ticket("A", "A", 2, Classification::Restricted)
    ));
}

#[test]
fn restricted_tickets_skip_coordinator_and_admin_but_not_supervisor_or_auditor() {
    let t = ticket("A", "A", 2, Classification::Restricted);
    assert!(can_view(&actor(Role::Supervisor, "D"), &t));
    assert!(can_view(&actor(Role::Auditor, "I"), &t));
    assert!(!can_view(&actor(Role::Coordinator, "T"), &t));
    assert!(!can_view(&actor(Role::Admin, "D"), &t));
    let n = ticket("A", "A", 2, Classification::Normal);
    assert!(can_view(&actor(Role::Coordinator, "T"), &n));
}

#[test]
fn the_assignee_always_sees_the_ticket() {
    let b = actor(Role::Technician, "B");
    let mut t = ticket("A", "A", 1, Classification::Restricted);
    let id = b.user_id.clone();
    t.assignee_id = Some(&id);
    assert!(can_view(&b, &t));
}

#[test]
fn read_only_roles_and_tier_1_after_escalation() {
    let t1 = ticket("A", "A", 1, Classification::Normal);
    let t2 = ticket("A", "A", 2, Classification::Normal);
    for r in [Role::Auditor, Role::Coordinator, Role::Admin] {
        assert!(check_act(&actor(r, "X"), &t1, Action::Comment).is_err());
    }
    let a = actor(Role::Technician, "A");
    assert!(check_act(&a, &t1, Action::Resolve).is_ok());
    assert!(check_act(&a, &t2, Action::Resolve).is_err());
    assert!(check_act(&a, &t2, Action::Comment).is_ok());
    assert!(check_act(&actor(Role::Operator, "D"), &t2, Action::Resolve).is_ok());
}

#[test]
fn assignees_match_the_tier() {
    let a = vec!["A".to_string()];
    assert!(can_be_assignee(Role::Technician, &a, "A", 1).is_ok());
    assert!(can_be_assignee(Role::Technician, &a, "B", 1).is_err());
    assert!(can_be_assignee(Role::Technician, &a, "A", 2).is_err());
    assert!(can_be_assignee(Role::Operator, &a, "A", 1).is_err());
    assert!(can_be_assignee(Role::Operator, &a, "A", 2).is_ok());
    assert!(can_be_assignee(Role::Auditor, &a, "A", 2).is_err());
}
