//! The sanctions ledger (Makassar Ps 32(5)): when a critical service's incident SLA is
//! missed, the Tim Koordinasi sends the Dinas a warning and/or a reprimand letter, and the
//! Dinas closes the service temporarily until its owning PD has repaired it. The desk
//! recommends (in the report); people decide and record here. Nothing is closed
//! automatically. Every entry is audited on the service's chain.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::catalogue::save_service;
use super::{new_id, App, AppError, AppResult};
use crate::db::models::{Sanction, Service};
use crate::db::queries::{audit, organizations, sanctions as q, services};
use crate::db::DbConn;
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{OrgKind, Role, SanctionLevel, ServiceStatus};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSanction {
    /// `warning` or `reprimand` (a letter of the Tim Koordinasi to the Dinas: coordinators),
    /// or `closure` (the Dinas closes the service temporarily: supervisors).
    pub level: SanctionLevel,
    /// The letter's number; required for a letter.
    #[schema(schema_with = crate::domain::validate::schema::label_or_null)]
    pub letter_number: Option<String>,
    /// The date on the letter, or of the closure (YYYY-MM-DD, not in the future).
    pub issued_on: NaiveDate,
    /// The report month that motivated it (YYYY-MM).
    #[schema(pattern = r"^([2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$")]
    pub report_month: Option<String>,
    /// Why, in a sentence or more.
    #[schema(schema_with = crate::domain::validate::schema::reason)]
    pub reason: String,
    /// Whom a letter is addressed to; default: the Dinas.
    pub addressed_to: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftSanction {
    /// What the owning PD repaired (its remediation note).
    #[schema(schema_with = crate::domain::validate::schema::reason)]
    pub remediation: String,
    /// The version of the sanction you read; or send `If-Match`.
    pub version: Option<i32>,
}

fn sanction_record(s: &Sanction) -> serde_json::Value {
    json!({
        "sanction_id": s.id,
        "level": s.level,
        "letter_number": s.letter_number,
        "issued_on": s.issued_on,
        "addressed_to": s.addressed_to,
        "report_month": s.report_month,
        "reason": s.reason,
        "lifted_at": s.lifted_at.map(|t| t.and_utc()),
        "remediation": s.remediation,
    })
}

fn load_service(conn: &mut DbConn, id: &str) -> AppResult<Service> {
    services::get(conn, id)?.ok_or_else(|| AppError::NotFound(format!("no service {id}")))
}

/// Sets a service's status under its version, with the sanction on the service's audit
/// chain.
fn set_status(
    conn: &mut DbConn,
    actor: &Actor,
    before: &Service,
    status: ServiceStatus,
    action: &str,
    data: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut s = before.clone();
    s.status = status.as_str().into();
    save_service(conn, actor, before, s, action, data, true, now).map(|_| ())
}

impl App {
    /// The ledger of one service, oldest first. Every signed-in user may read it.
    pub fn sanctions(&self, service_id: &str) -> AppResult<Vec<Sanction>> {
        self.read(|conn| {
            let s = load_service(conn, service_id)?;
            Ok(q::of_service(conn, &s.id)?)
        })
    }

    /// Records a letter (coordinators) or a temporary closure (supervisors; the service
    /// becomes `suspended`).
    pub fn record_sanction(
        &self,
        actor: &Actor,
        service_id: &str,
        input: &NewSanction,
    ) -> AppResult<Sanction> {
        match (input.level, actor.role) {
            (SanctionLevel::Closure, Role::Supervisor) => {}
            (SanctionLevel::Closure, r) => {
                return Err(AppError::Forbidden(format!(
                    "a temporary closure is recorded by a Dinas supervisor, not the {r} role"
                )))
            }
            (_, Role::Coordinator) => {}
            (_, r) => {
                return Err(AppError::Forbidden(format!(
                "letters are recorded by the Tim Koordinasi (coordinator role), not the {r} role"
            )))
            }
        }
        let mut e = Errors::new();
        let reason = e.text("reason", &input.reason, crate::domain::validate::REASON);
        let letter = input
            .letter_number
            .as_deref()
            .map(|n| e.text("letter_number", n, crate::domain::validate::LABEL));
        if input.level != SanctionLevel::Closure && letter.is_none() {
            e.add("letter_number", "a letter needs its number");
        }
        let now = self.now();
        let today = now.with_timezone(&self.ticket_tz).date_naive();
        if input.issued_on > today {
            e.add("issued_on", "cannot be in the future");
        }
        if let Some(m) = &input.report_month {
            match crate::domain::report::Period::parse(m, self.ticket_tz) {
                Ok(p) if p.is_month() && p.has_ended(now) => {}
                Ok(_) => e.add("report_month", "must be a month that has ended (YYYY-MM)"),
                Err(msg) => e.add("report_month", msg),
            }
        }
        e.finish()?;
        self.write(|conn| {
            let service = load_service(conn, service_id)?;
            if service.criticality != crate::domain::Criticality::Critical.as_str() {
                return Err(AppError::Conflict(format!(
                    "{} is not a critical service: sanctions follow a missed SLA of a critical service (Ps 32(5))",
                    service.code
                )));
            }
            let addressed_to = match (&input.addressed_to, input.level) {
                (Some(id), _) => Some(
                    organizations::get(conn, id)?
                        .ok_or_else(|| AppError::field("addressed_to", "no such organization"))?
                        .id,
                ),
                (None, SanctionLevel::Closure) => Some(service.organization_id.clone()),
                (None, _) => organizations::list(conn, Some(OrgKind::Dinas.as_str()))?
                    .into_iter()
                    .next()
                    .map(|o| o.id),
            };
            let existing = q::of_service(conn, &service.id)?;
            if input.level == SanctionLevel::Closure
                && existing
                    .iter()
                    .any(|x| x.level == SanctionLevel::Closure.as_str() && x.lifted_at.is_none())
            {
                return Err(AppError::Conflict(format!(
                    "{} is already closed; lift that closure first",
                    service.code
                )));
            }
            let row = Sanction {
                id: new_id(),
                service_id: service.id.clone(),
                level: input.level.as_str().into(),
                letter_number: letter.clone(),
                issued_on: input.issued_on.to_string(),
                addressed_to,
                report_month: input.report_month.clone(),
                reason: reason.clone(),
                recorded_by: actor.user_id.clone(),
                recorded_at: now.naive_utc(),
                lifted_at: None,
                lifted_by: None,
                remediation: None,
                version: 1,
            };
            q::insert(conn, &row)?;
            let data = sanction_record(&row);
            if input.level == SanctionLevel::Closure {
                set_status(conn, actor, &service, ServiceStatus::Suspended, "closed_temporarily", data, now)?;
            } else {
                audit::record(
                    conn,
                    audit::Record {
                        at: now,
                        actor_id: Some(&actor.user_id),
                        entity_type: "service",
                        entity_id: &service.id,
                        ticket_id: None,
                        action: "sanction_letter_recorded",
                        changes: &Changes::new(),
                        data,
                    },
                )?;
            }
            Ok(row)
        })
    }

    /// Lifts a temporary closure once the owning PD has repaired the service; the service
    /// becomes `active` again. Supervisors only.
    pub fn lift_sanction(
        &self,
        actor: &Actor,
        service_id: &str,
        sanction_id: &str,
        expected: Option<i32>,
        input: &LiftSanction,
    ) -> AppResult<Sanction> {
        if actor.role != Role::Supervisor {
            return Err(AppError::Forbidden(
                "a closure is lifted by a Dinas supervisor".into(),
            ));
        }
        let remediation = super::reason(
            "remediation",
            &input.remediation,
            crate::domain::validate::REASON,
        )?;
        let expected = expected.or(input.version);
        self.write(|conn| {
            let now = self.now();
            let service = load_service(conn, service_id)?;
            let mut row = q::get(conn, &service.id, sanction_id)?.ok_or_else(|| {
                AppError::NotFound(format!("no sanction {sanction_id} on this service"))
            })?;
            super::check_version("sanction", expected, row.version)?;
            if row.level != SanctionLevel::Closure.as_str() {
                return Err(AppError::Conflict(
                    "only a temporary closure is lifted; a letter stays on record".into(),
                ));
            }
            if row.lifted_at.is_some() {
                return Err(AppError::Conflict("this closure was already lifted".into()));
            }
            let before = row.version;
            row.lifted_at = Some(now.naive_utc());
            row.lifted_by = Some(actor.user_id.clone());
            row.remediation = Some(remediation.clone());
            row.version += 1;
            if !q::update_versioned(conn, &row, before)? {
                return Err(AppError::Conflict(
                    "the sanction was changed by someone else meanwhile".into(),
                ));
            }
            let status = if service.status == ServiceStatus::Suspended.as_str() {
                ServiceStatus::Active
            } else {
                // Reactivated by hand meanwhile: the lifting is still recorded.
                ServiceStatus::parse(&service.status).unwrap_or(ServiceStatus::Active)
            };
            set_status(
                conn,
                actor,
                &service,
                status,
                "closure_lifted",
                sanction_record(&row),
                now,
            )?;
            Ok(row)
        })
    }
}
