//! SLA policy targets per priority (Makassar Ps 32(3)-(4)): the regulations give no numbers,
//! so every number is configuration; `config/sla.toml` ships documented placeholders.

use serde::{Deserialize, Serialize};

use super::validate::Errors;
use super::{Priority, TicketKind};

/// Longest accepted target: one calendar year of minutes is far beyond any real SLA.
pub const MAX_TARGET_MINUTES: i64 = 525_600;

/// Business minutes for one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetMinutes {
    /// Until the first response.
    pub response_minutes: i64,
    /// The Tier 1 window: when it runs out, the ticket escalates to Tier 2 automatically.
    pub escalation_minutes: i64,
    /// Until resolution (incidents, complaints, problems, changes).
    pub resolution_minutes: i64,
    /// Until fulfilment, used instead of resolution for kind `request`.
    pub fulfillment_minutes: i64,
    /// The Tier 2 OLA, counted from escalation; when absent, `resolution_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier2_resolution_minutes: Option<i64>,
}

impl TargetMinutes {
    pub fn tier2(&self) -> i64 {
        self.tier2_resolution_minutes
            .unwrap_or(self.resolution_minutes)
    }

    /// Resolution, or fulfilment for a request.
    pub fn resolution_for(&self, kind: TicketKind) -> i64 {
        if kind == TicketKind::Request {
            self.fulfillment_minutes
        } else {
            self.resolution_minutes
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyTargets {
    pub critical: TargetMinutes,
    pub high: TargetMinutes,
    pub medium: TargetMinutes,
    pub low: TargetMinutes,
}

impl PolicyTargets {
    pub fn for_priority(&self, p: Priority) -> &TargetMinutes {
        match p {
            Priority::Critical => &self.critical,
            Priority::High => &self.high,
            Priority::Medium => &self.medium,
            Priority::Low => &self.low,
        }
    }

    /// Every number in range, the Tier 1 window inside the resolution time, and no lower
    /// priority stricter than a higher one (which is almost always a typo).
    pub fn check(&self, e: &mut Errors, field: &str) {
        let levels = [
            ("critical", &self.critical),
            ("high", &self.high),
            ("medium", &self.medium),
            ("low", &self.low),
        ];
        for (name, t) in levels {
            let fields = [
                ("response_minutes", Some(t.response_minutes)),
                ("escalation_minutes", Some(t.escalation_minutes)),
                ("resolution_minutes", Some(t.resolution_minutes)),
                ("fulfillment_minutes", Some(t.fulfillment_minutes)),
                ("tier2_resolution_minutes", t.tier2_resolution_minutes),
            ];
            for (f, v) in fields {
                if let Some(v) = v {
                    if !(0..=MAX_TARGET_MINUTES).contains(&v) {
                        e.add(
                            &format!("{field}.{name}.{f}"),
                            format!("must be between 0 and {MAX_TARGET_MINUTES} business minutes"),
                        );
                    }
                }
            }
            if t.escalation_minutes > t.resolution_minutes {
                e.add(
                    &format!("{field}.{name}.escalation_minutes"),
                    "the Tier 1 window cannot be longer than the resolution time",
                );
            }
        }
        for pair in levels.windows(2) {
            let ((hi_name, hi), (lo_name, lo)) = (pair[0], pair[1]);
            let stricter = [
                ("response_minutes", hi.response_minutes, lo.response_minutes),
                (
                    "resolution_minutes",
                    hi.resolution_minutes,
                    lo.resolution_minutes,
                ),
                (
                    "fulfillment_minutes",
                    hi.fulfillment_minutes,
                    lo.fulfillment_minutes,
                ),
            ];
            for (f, h, l) in stricter {
                if h > l {
                    e.add(
                        &format!("{field}.{lo_name}.{f}"),
                        format!("is shorter than {hi_name}'s; a lower priority cannot be stricter"),
                    );
                }
            }
        }
    }
}

pub fn check_warn_percent(e: &mut Errors, field: &str, v: i32) {
    if !(1..=99).contains(&v) {
        e.add(field, "must be a percentage between 1 and 99");
    }
}

#[cfg(test)]
mod tests;
