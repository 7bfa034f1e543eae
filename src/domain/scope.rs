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
mod tests;
