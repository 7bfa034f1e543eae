//! Impact x urgency priority matrix (PRODUCT.md, "Priority").

use super::{Level, Priority};

/// high+high = critical; high+medium or medium+high = high; medium+medium, high+low,
/// low+high = medium; everything else = low.
pub fn matrix(impact: Level, urgency: Level) -> Priority {
    use Level::*;
    match (impact, urgency) {
        (High, High) => Priority::Critical,
        (High, Medium) | (Medium, High) => Priority::High,
        (Medium, Medium) | (High, Low) | (Low, High) => Priority::Medium,
        _ => Priority::Low,
    }
}

#[cfg(test)]
mod tests;
