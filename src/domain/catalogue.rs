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

/// The parts of a service's SOP that Makassar Ps 33(4) asks for, in its order: service
/// definition, service policy, incident and problem handling, request handling, customer
/// relations, service-level guarantee.
pub const SOP_PARTS: [&str; 6] = [
    "definition",
    "policy",
    "incident_problem",
    "requests",
    "customer_relations",
    "service_level",
];

/// The SOP parts missing from a service's stored SOP (JSON object of part to text or
/// document reference); an unreadable SOP misses them all.
pub fn sop_missing(sop: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(sop).unwrap_or_default();
    SOP_PARTS
        .iter()
        .filter(|part| {
            v.get(**part)
                .and_then(|x| x.as_str())
                .is_none_or(|x| x.trim().is_empty())
        })
        .map(|p| (*p).to_string())
        .collect()
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
