//! The ticket state machine: which action is legal in which status and tier, and what it
//! leads to. Handlers ask here first; a refusal becomes a 409 carrying `reason`.
//!
//! ```text
//! new -> in_progress <-> pending
//!        in_progress -> resolved -> closed
//!                       resolved -> in_progress (reopen)
//! new | in_progress | pending -> cancelled
//! tier 1 -> tier 2 (escalate), never back
//! ```

use super::TicketStatus::{self, *};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Acknowledge,
    Comment,
    Assign,
    Escalate,
    Pause,
    Resume,
    Resolve,
    Close,
    Reopen,
    Cancel,
    /// A PATCH of the ticket's fields.
    Edit,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Acknowledge,
        Action::Comment,
        Action::Assign,
        Action::Escalate,
        Action::Pause,
        Action::Resume,
        Action::Resolve,
        Action::Close,
        Action::Reopen,
        Action::Cancel,
        Action::Edit,
    ];

    /// Actions that only comment on or describe a ticket, as opposed to working it. Tier 1
    /// keeps these after escalation ("Tier 1 stays informed").
    pub fn is_informational(self) -> bool {
        matches!(self, Action::Comment)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: TicketStatus,
    pub tier: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
}

fn refuse(reason: impl Into<String>) -> Result<State, Refusal> {
    Err(Refusal {
        reason: reason.into(),
    })
}

pub fn is_open(status: TicketStatus) -> bool {
    matches!(status, New | InProgress | Pending)
}

/// Whether staff performing `action` gives the ticket its first response (SLA.md:
/// acknowledge, public comment, or a status change by staff). Comments are decided by the
/// caller, who knows the visibility.
pub fn is_first_response(action: Action) -> bool {
    matches!(
        action,
        Action::Acknowledge | Action::Pause | Action::Resume | Action::Resolve | Action::Cancel
    )
}

/// The state after `action`, or why it is not allowed now.
pub fn apply(state: State, action: Action) -> Result<State, Refusal> {
    let s = state.status;
    let next = |status| Ok(State { status, ..state });
    match action {
        Action::Acknowledge => match s {
            New => next(InProgress),
            _ => refuse(format!(
                "only a new ticket can be acknowledged; this ticket is {s}"
            )),
        },
        Action::Comment => match s {
            Closed | Cancelled => refuse(format!("a {s} ticket takes no more comments")),
            _ => Ok(state),
        },
        Action::Edit => match s {
            Closed | Cancelled => refuse(format!("a {s} ticket can no longer be changed")),
            _ => Ok(state),
        },
        Action::Assign => match s {
            New | InProgress | Pending => Ok(state),
            _ => refuse(format!("a {s} ticket cannot be assigned")),
        },
        Action::Escalate => {
            if state.tier >= 2 {
                return refuse("the ticket is already at Tier 2");
            }
            match s {
                New | InProgress | Pending => Ok(State { tier: 2, ..state }),
                _ => refuse(format!("a {s} ticket cannot be escalated")),
            }
        }
        Action::Pause => match s {
            InProgress => next(Pending),
            New => refuse("acknowledge the ticket before setting it pending"),
            Pending => refuse("the ticket is already pending"),
            _ => refuse(format!("a {s} ticket cannot be set pending")),
        },
        Action::Resume => match s {
            Pending => next(InProgress),
            _ => refuse(format!(
                "only a pending ticket can be resumed; this ticket is {s}"
            )),
        },
        Action::Resolve => match s {
            InProgress => next(Resolved),
            New => refuse("acknowledge the ticket before resolving it"),
            Pending => refuse("resume the pending ticket before resolving it"),
            _ => refuse(format!("a {s} ticket cannot be resolved")),
        },
        Action::Close => match s {
            Resolved => next(Closed),
            _ => refuse(format!(
                "only a resolved ticket can be closed; this ticket is {s}"
            )),
        },
        Action::Reopen => match s {
            Resolved => next(InProgress),
            _ => refuse(format!(
                "only a resolved ticket can be reopened; this ticket is {s}"
            )),
        },
        Action::Cancel => match s {
            New | InProgress | Pending => next(Cancelled),
            _ => refuse(format!("a {s} ticket cannot be cancelled")),
        },
    }
}

#[cfg(test)]
mod tests;
