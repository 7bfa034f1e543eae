//! Who sees and who works which ticket (PRODUCT.md rule 7, Kalbar Ps 13(1)(c)).
//!
//! The same rules are expressed as a SQL filter in `db::queries::tickets::scope_filter`;
//! the integration tests check that lists and single reads agree.

use super::ticket::Action;
use super::{Classification, Role};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    pub organization_id: String,
    /// The caller's organization and, for a PD, its Unit Kerja: the PD "sees its own".
    pub scope_orgs: Vec<String>,
}

impl Actor {
    pub fn in_scope(&self, org_id: &str) -> bool {
        self.scope_orgs.iter().any(|o| o == org_id)
    }

    /// Roles that may look but never change a ticket.
    pub fn is_read_only_on_tickets(&self) -> bool {
        matches!(self.role, Role::Auditor | Role::Coordinator | Role::Admin)
    }
}

/// The facts about a ticket that visibility depends on.
#[derive(Debug, Clone, Copy)]
pub struct TicketScope<'a> {
    pub organization_id: &'a str,
    pub reporter_organization_id: &'a str,
    pub tier: u8,
    pub classification: Classification,
    pub assignee_id: Option<&'a str>,
}

pub fn can_view(actor: &Actor, t: &TicketScope<'_>) -> bool {
    let assigned_to_me = t.assignee_id == Some(actor.user_id.as_str());
    let normal = t.classification == Classification::Normal;
    match actor.role {
        Role::Technician => {
            actor.in_scope(t.organization_id)
                || assigned_to_me
                || (normal && actor.in_scope(t.reporter_organization_id))
        }
        Role::Operator => t.tier >= 2 || assigned_to_me,
        Role::Supervisor | Role::Auditor => true,
        // Restricted tickets go to the owning PD, the assignee, Tier 2 once escalated, the
        // supervisor and the auditor only (Makassar Ps 46(2)).
        Role::Coordinator | Role::Admin => normal,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

/// Whether `actor`, who can see the ticket, may perform `action` on it.
pub fn check_act(actor: &Actor, t: &TicketScope<'_>, action: Action) -> Result<(), Denied> {
    if actor.is_read_only_on_tickets() {
        return Err(Denied(format!(
            "the {} role has read-only access to tickets",
            actor.role
        )));
    }
    match actor.role {
        Role::Technician if t.tier >= 2 && !action.is_informational() => Err(Denied(
            "the ticket has been escalated to Tier 2; Tier 1 can follow it and comment only".into(),
        )),
        _ => Ok(()),
    }
}

/// Who may log tickets: Tier 1 technicians for their PD, and Dinas staff on a PD's behalf.
pub fn check_create(actor: &Actor) -> Result<(), Denied> {
    match actor.role {
        Role::Technician | Role::Operator | Role::Supervisor => Ok(()),
        r => Err(Denied(format!("the {r} role cannot create tickets"))),
    }
}

/// Whether `candidate` may be assigned a ticket at `tier` owned by `owning_org`.
pub fn can_be_assignee(
    role: Role,
    user_scope_orgs: &[String],
    owning_org: &str,
    tier: u8,
) -> Result<(), String> {
    match (role, tier) {
        (Role::Supervisor, _) => Ok(()),
        (Role::Technician, 1) if user_scope_orgs.iter().any(|o| o == owning_org) => Ok(()),
        (Role::Technician, 1) => {
            Err("a Tier 1 assignee must be a technician of the owning PD".into())
        }
        (Role::Operator, 2) => Ok(()),
        (_, 1) => Err("a Tier 1 ticket is assigned to a technician of the owning PD".into()),
        _ => Err("a Tier 2 ticket is assigned to a Dinas operator".into()),
    }
}

#[cfg(test)]
mod tests {
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

    fn ticket<'a>(
        owner: &'a str,
        reporter: &'a str,
        tier: u8,
        c: Classification,
    ) -> TicketScope<'a> {
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
}
