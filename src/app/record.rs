//! What the audit trail records of each entity: the entity's own fields as JSON, so that
//! `Changes::diff` of two records gives `{field: {before, after}}`. These are the audit
//! trail's shapes, kept here rather than borrowed from the API views so that a change to a
//! response can never rewrite what history means.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};

use super::sla::{build_calendar, Holiday, WorkingHours};
use super::{AppError, AppResult};
use crate::db::models::{CalendarRow, Organization, PolicyRow, Service, Ticket, User};
use crate::domain::sla_policy::PolicyTargets;

/// Ticket fields that change on every write and say nothing of their own.
pub const TICKET_IGNORED: &[&str] = &["updated_at", "version"];

fn utc(n: NaiveDateTime) -> DateTime<Utc> {
    n.and_utc()
}

fn utc_opt(n: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    n.map(utc)
}

/// A ticket's own fields. Clock details live in the SLA ledger, so only the SLA facts stored
/// on the ticket appear here.
pub fn ticket(t: &Ticket) -> Value {
    let escalation = match (&t.escalation_mode, t.escalated_at) {
        (Some(mode), Some(at)) => json!({
            "mode": mode,
            "reason": t.escalation_reason,
            "at": utc(at),
            "by": t.escalated_by,
        }),
        _ => Value::Null,
    };
    let outage = match t.outage_start {
        Some(s) => json!({ "start": utc(s), "end": utc_opt(t.outage_end) }),
        None => Value::Null,
    };
    json!({
        "id": t.id,
        "number": t.number,
        "organization_id": t.organization_id,
        "reporter_organization_id": t.reporter_organization_id,
        "service_id": t.service_id,
        "kind": t.kind,
        "priority": t.priority,
        "priority_overridden": t.priority_overridden,
        "impact": t.impact,
        "urgency": t.urgency,
        "status": t.status,
        "tier": t.tier,
        "assignee_id": t.assignee_id,
        "title": t.title,
        "description": t.description,
        "classification": t.classification,
        "reporter": {
            "name": t.reporter_name,
            "email": t.reporter_email,
            "phone": t.reporter_phone,
        },
        "reported_at": utc(t.reported_at),
        "created_by": t.created_by,
        "created_at": utc(t.created_at),
        "updated_at": utc(t.updated_at),
        "resolved_at": utc_opt(t.resolved_at),
        "resolution": t.resolution,
        "closed_at": utc_opt(t.closed_at),
        "cancelled_at": utc_opt(t.cancelled_at),
        "escalation": escalation,
        "pending_reason": t.pending_reason,
        "pending_since": utc_opt(t.pending_since),
        "outage": outage,
        "sla": {
            "policy_id": t.sla_policy_id,
            "policy_version": t.sla_policy_version,
            "calendar_version": t.sla_calendar_version,
            "first_response_at": utc_opt(t.first_response_at),
            "breached": t.sla_breached,
            "paused": t.status == "pending",
        },
        "version": t.version,
    })
}

pub fn organization(o: &Organization) -> Value {
    json!({
        "id": o.id,
        "code": o.code,
        "name": o.name,
        "kind": o.kind,
        "parent_id": o.parent_id,
        "email": o.email,
        "created_at": utc(o.created_at),
        "updated_at": utc(o.updated_at),
    })
}

pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "nip": u.nip,
        "organization_id": u.organization_id,
        "role": u.role,
        "active": u.active,
        "created_at": utc(u.created_at),
        "updated_at": utc(u.updated_at),
    })
}

pub fn service(s: &Service) -> Value {
    json!({
        "id": s.id,
        "organization_id": s.organization_id,
        "code": s.code,
        "name": s.name,
        "kind": s.kind,
        "sla_policy_id": s.sla_policy_id,
        "availability_target_percent": s.availability_target_percent,
        "criticality": s.criticality,
        "status": s.status,
        "sop": serde_json::from_str::<Value>(&s.sop).unwrap_or(Value::Null),
        "version": s.version,
        "created_at": utc(s.created_at),
        "updated_at": utc(s.updated_at),
    })
}

/// A calendar as stored, with its JSON columns read back.
#[derive(Debug, Clone)]
pub struct CalendarView {
    pub row: CalendarRow,
    pub working_hours: WorkingHours,
    pub holidays: Vec<Holiday>,
    /// Business minutes in a week without holidays.
    pub weekly_minutes: i64,
}

impl CalendarView {
    pub fn read(row: CalendarRow) -> AppResult<Self> {
        let bad = |e: String| AppError::corrupt(&format!("calendar {}", row.id), e);
        let working_hours: WorkingHours =
            serde_json::from_str(&row.working_hours).map_err(|e| bad(e.to_string()))?;
        let holidays: Vec<Holiday> =
            serde_json::from_str(&row.holidays).map_err(|e| bad(e.to_string()))?;
        let weekly_minutes = build_calendar(&row.timezone, &working_hours, &holidays)
            .map(|c| c.weekly_minutes())
            .map_err(bad)?;
        Ok(CalendarView {
            row,
            working_hours,
            holidays,
            weekly_minutes,
        })
    }

    pub fn record(&self) -> Value {
        let r = &self.row;
        json!({
            "id": r.id,
            "name": r.name,
            "timezone": r.timezone,
            "working_hours": self.working_hours,
            "holidays": self.holidays,
            "weekly_minutes": self.weekly_minutes,
            "version": r.version,
            "created_at": utc(r.created_at),
            "updated_at": utc(r.updated_at),
        })
    }
}

/// A policy as stored, with its targets read back.
#[derive(Debug, Clone)]
pub struct PolicyView {
    pub row: PolicyRow,
    pub targets: PolicyTargets,
}

impl PolicyView {
    pub fn read(row: PolicyRow) -> AppResult<Self> {
        let targets = serde_json::from_str(&row.targets)
            .map_err(|e| AppError::corrupt(&format!("policy {}", row.id), e))?;
        Ok(PolicyView { row, targets })
    }

    pub fn record(&self) -> Value {
        let r = &self.row;
        json!({
            "id": r.id,
            "name": r.name,
            "calendar_id": r.calendar_id,
            "warn_at_percent": r.warn_at_percent,
            "targets": self.targets,
            "version": r.version,
            "created_at": utc(r.created_at),
            "updated_at": utc(r.updated_at),
        })
    }
}
