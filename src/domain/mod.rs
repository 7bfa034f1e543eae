//! The pure core: vocabulary, rules and arithmetic of the service desk. Nothing here does
//! I/O or knows about actix or diesel, so every rule can be unit- and property-tested.

pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod chain;
pub mod number;
pub mod personal;
pub mod priority;
pub mod report;
pub mod scope;
pub mod sla;
pub mod sla_policy;
pub mod targets;
pub mod ticket;
pub mod validate;

/// Defines a closed set of API/database string values with one spelling in one place.
macro_rules! str_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $s)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings.
            pub fn values() -> &'static [&'static str] {
                &[$($s),+]
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                [$($s),+].join(", ")
            }
        }

        // Written out because the derive cannot read `rename` from a macro fragment and
        // would document the Rust variant names instead of the API spellings.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($s),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use str_enum;

str_enum!(
    /// `pd` is a Perangkat Daerah (or, with a parent, one of its Unit Kerja).
    OrgKind { Pd => "pd", Dinas => "dinas", Coordination => "coordination" }
);
str_enum!(Role {
    Technician => "technician",
    Operator => "operator",
    Supervisor => "supervisor",
    Coordinator => "coordinator",
    Auditor => "auditor",
    Admin => "admin",
});
str_enum!(
    /// keluhan, gangguan, masalah, permintaan, perubahan.
    TicketKind {
        Complaint => "complaint",
        Incident => "incident",
        Problem => "problem",
        Request => "request",
        Change => "change",
    }
);
str_enum!(
    /// Impact or urgency of a ticket.
    Level { High => "high", Medium => "medium", Low => "low" }
);
str_enum!(
    /// kritis, tinggi, sedang, rendah.
    Priority { Critical => "critical", High => "high", Medium => "medium", Low => "low" }
);
str_enum!(TicketStatus {
    New => "new",
    InProgress => "in_progress",
    Pending => "pending",
    Resolved => "resolved",
    Closed => "closed",
    Cancelled => "cancelled",
});
str_enum!(SanctionLevel { Warning => "warning", Reprimand => "reprimand", Closure => "closure" });
str_enum!(Classification { Normal => "normal", Restricted => "restricted" });
str_enum!(EscalationMode { Manual => "manual", Automatic => "automatic" });
str_enum!(ServiceKind { System => "system", Service => "service" });
str_enum!(Criticality {
    Normal => "normal",
    Proposed => "proposed",
    Critical => "critical",
    Rejected => "rejected",
});
str_enum!(ServiceStatus { Active => "active", Suspended => "suspended" });
str_enum!(CommentVisibility { Public => "public", Internal => "internal" });

#[cfg(test)]
mod tests;
