//! The service catalogue's criticality workflow (Makassar Ps 32(2)): the owning PD proposes
//! a service as critical; the Dinas designates it critical or rejects the proposal; the
//! Dinas may later revoke a designation.

use super::Criticality::{self, *};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriticalityStep {
    Propose,
    Designate,
    Reject,
    Revoke,
}

pub fn next(current: Criticality, step: CriticalityStep) -> Result<Criticality, String> {
    match (step, current) {
        (CriticalityStep::Propose, Normal | Rejected) => Ok(Proposed),
        (CriticalityStep::Propose, c) => Err(format!("a {c} service cannot be proposed")),
        (CriticalityStep::Designate, Proposed) => Ok(Critical),
        (CriticalityStep::Reject, Proposed) => Ok(Rejected),
        (CriticalityStep::Designate | CriticalityStep::Reject, c) => Err(format!(
            "only a proposed service can be designated or rejected; this one is {c}"
        )),
        (CriticalityStep::Revoke, Critical) => Ok(Normal),
        (CriticalityStep::Revoke, c) => Err(format!(
            "only a critical service can have its designation revoked; this one is {c}"
        )),
    }
}

#[cfg(test)]
mod tests;
