//! Response shapes shared by several handlers, and row -> API conversions. Field names are
//! the contract of `API.md`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::sla::SlaState;
use crate::app::tickets::TicketView;
use crate::db::models;
use crate::domain::calendar::Calendar;
use crate::domain::targets::TicketTargets;
use crate::routes::error::ApiError;

pub fn utc(n: NaiveDateTime) -> DateTime<Utc> {
    n.and_utc()
}

fn utc_opt(n: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    n.map(utc)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDto {
    pub id: String,
    pub code: String,
    pub name: String,
    /// `pd`, `dinas` or `coordination`.
    pub kind: String,
    pub parent_id: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<models::Organization> for OrganizationDto {
    fn from(o: models::Organization) -> Self {
        Self {
            id: o.id,
            code: o.code,
            name: o.name,
            kind: o.kind,
            parent_id: o.parent_id,
            email: o.email,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub name: String,
    pub email: String,
    pub nip: Option<String>,
    pub organization_id: String,
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<models::User> for UserDto {
    fn from(u: models::User) -> Self {
        Self {
            id: u.id,
            name: u.name,
            email: u.email,
            nip: u.nip,
            organization_id: u.organization_id,
            role: u.role,
            active: u.active,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDto {
    pub id: String,
    pub organization_id: String,
    pub code: String,
    pub name: String,
    /// `system` or `service`.
    pub kind: String,
    pub sla_policy_id: Option<String>,
    pub availability_target_percent: f64,
    /// `normal`, `proposed`, `critical` or `rejected`.
    pub criticality: String,
    /// `active` or `suspended`.
    pub status: String,
    /// What the service's SOP covers (Makassar Ps 33(4)).
    pub sop: crate::app::catalogue::Sop,
    /// The SOP parts still missing: `definition`, `policy`, `incident_problem`, `requests`,
    /// `customer_relations`, `service_level`.
    pub sop_missing: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<models::Service> for ServiceDto {
    fn from(s: models::Service) -> Self {
        Self {
            id: s.id,
            organization_id: s.organization_id,
            code: s.code,
            name: s.name,
            kind: s.kind,
            sla_policy_id: s.sla_policy_id,
            availability_target_percent: s.availability_target_percent,
            criticality: s.criticality,
            status: s.status,
            sop: crate::app::catalogue::Sop::read(&s.sop),
            sop_missing: crate::domain::catalogue::sop_missing(&s.sop),
            version: s.version,
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterDto {
    /// Empty once anonymised.
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// When retention erased the reporter's details (see docs/operations.md).
    pub anonymised_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationDto {
    /// `manual` or `automatic`.
    pub mode: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    /// The user who escalated; null for an automatic escalation.
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutageDto {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaDto {
    pub policy_id: Option<String>,
    pub policy_version: Option<i32>,
    pub calendar_id: Option<String>,
    pub calendar_version: Option<i32>,
    /// Null only while the target's clock is stopped; after it ended, the deadline it was
    /// met or missed against.
    pub response_due_at: Option<DateTime<Utc>>,
    pub escalation_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub tier2_resolution_due_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub response_breached: bool,
    pub resolution_breached: bool,
    /// Any target breached (sticky).
    pub breached: bool,
    pub paused: bool,
    /// Per target (`response`, `escalation`, `resolution`, `tier2_resolution`).
    pub targets: BTreeMap<String, TargetView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDto {
    pub id: String,
    pub number: String,
    pub organization_id: String,
    pub reporter_organization_id: String,
    pub service_id: Option<String>,
    pub kind: String,
    pub priority: String,
    /// True when staff set the priority instead of the impact x urgency matrix.
    pub priority_overridden: bool,
    pub impact: String,
    pub urgency: String,
    pub status: String,
    pub tier: i32,
    pub assignee_id: Option<String>,
    pub title: String,
    pub description: String,
    pub classification: String,
    pub reporter: ReporterDto,
    pub reported_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub escalation: Option<EscalationDto>,
    /// Why and since when the ticket is pending (null otherwise).
    pub pending_reason: Option<String>,
    pub pending_since: Option<DateTime<Utc>>,
    pub outage: Option<OutageDto>,
    pub sla: SlaDto,
    pub version: i32,
}

impl From<&models::Ticket> for TicketDto {
    fn from(t: &models::Ticket) -> Self {
        let escalation = match (&t.escalation_mode, t.escalated_at) {
            (Some(mode), Some(at)) => Some(EscalationDto {
                mode: mode.clone(),
                reason: t.escalation_reason.clone(),
                at: utc(at),
                by: t.escalated_by.clone(),
            }),
            _ => None,
        };
        Self {
            id: t.id.clone(),
            number: t.number.clone(),
            organization_id: t.organization_id.clone(),
            reporter_organization_id: t.reporter_organization_id.clone(),
            service_id: t.service_id.clone(),
            kind: t.kind.clone(),
            priority: t.priority.clone(),
            priority_overridden: t.priority_overridden,
            impact: t.impact.clone(),
            urgency: t.urgency.clone(),
            status: t.status.clone(),
            tier: t.tier,
            assignee_id: t.assignee_id.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            classification: t.classification.clone(),
            reporter: ReporterDto {
                name: t.reporter_name.clone(),
                email: t.reporter_email.clone(),
                phone: t.reporter_phone.clone(),
                anonymised_at: t.anonymised_at.map(|a| a.and_utc()),
            },
            reported_at: utc(t.reported_at),
            created_by: t.created_by.clone(),
            created_at: utc(t.created_at),
            updated_at: utc(t.updated_at),
            resolved_at: utc_opt(t.resolved_at),
            resolution: t.resolution.clone(),
            closed_at: utc_opt(t.closed_at),
            cancelled_at: utc_opt(t.cancelled_at),
            escalation,
            pending_reason: t.pending_reason.clone(),
            pending_since: utc_opt(t.pending_since),
            outage: t.outage_start.map(|s| OutageDto {
                start: utc(s),
                end: utc_opt(t.outage_end),
            }),
            sla: SlaDto {
                policy_id: t.sla_policy_id.clone(),
                policy_version: t.sla_policy_version,
                calendar_id: t.sla_calendar_id.clone(),
                calendar_version: t.sla_calendar_version,
                response_due_at: None,
                escalation_due_at: None,
                resolution_due_at: None,
                tier2_resolution_due_at: None,
                first_response_at: utc_opt(t.first_response_at),
                response_breached: false,
                resolution_breached: false,
                breached: t.sla_breached,
                paused: t.status == "pending",
                targets: BTreeMap::new(),
            },
            version: t.version,
        }
    }
}

impl TicketDto {
    /// The API view of a ticket and its targets as of `now`.
    pub fn new(v: &TicketView, now: DateTime<Utc>) -> Self {
        let targets = v
            .sla
            .as_ref()
            .map(|s: &SlaState| target_views(&s.targets, &s.context.calendar, now))
            .unwrap_or_default();
        TicketDto::from(&v.ticket).with_targets(targets)
    }

    /// Fills the target-derived SLA fields.
    fn with_targets(mut self, targets: BTreeMap<String, TargetView>) -> Self {
        let due = |k: &str| targets.get(k).and_then(|v| v.due_at);
        let breached = |k: &str| targets.get(k).is_some_and(|v| v.breached_at.is_some());
        self.sla.response_due_at = due("response");
        self.sla.escalation_due_at = due("escalation");
        self.sla.resolution_due_at = due("resolution");
        self.sla.tier2_resolution_due_at = due("tier2_resolution");
        self.sla.response_breached = breached("response");
        self.sla.resolution_breached = breached("resolution");
        self.sla.targets = targets;
        self
    }
}

/// Per-target state for the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetView {
    /// 0 end to end, 1 the Tier 1 segment, 2 the Tier 2 OLA.
    pub tier: u8,
    pub minutes: i64,
    pub started_at: DateTime<Utc>,
    /// Null only while the clock is stopped; an ended target keeps the deadline it was met
    /// or missed against.
    pub due_at: Option<DateTime<Utc>>,
    pub warned_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// `running`, `paused`, `met` or `breached`.
    pub outcome: String,
    pub paused: bool,
    /// Business minutes left now (negative when overdue; frozen while paused).
    pub remaining_minutes: f64,
    /// Whether the clock ticks right now: active, not paused, inside working hours.
    pub running_now: bool,
}

pub fn minutes_f64(d: TimeDelta) -> f64 {
    // Micro-second exact, shown as fractional minutes (SLA.md: seconds count).
    d.num_microseconds()
        .map_or(f64::MAX, |m| m as f64 / 60_000_000.0)
}

pub fn target_views(
    tt: &TicketTargets,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> BTreeMap<String, TargetView> {
    tt.targets
        .iter()
        .map(|x| {
            (
                x.kind.as_str().to_string(),
                TargetView {
                    tier: x.kind.tier(),
                    minutes: x.clock.minutes,
                    started_at: x.clock.start,
                    due_at: x.due_at(cal),
                    warned_at: x.warned_at,
                    breached_at: x.breached_at,
                    ended_at: x.ended_at,
                    outcome: x.outcome().into(),
                    paused: x.is_paused(),
                    remaining_minutes: minutes_f64(x.remaining_at(cal, now)),
                    running_now: x.running_at(cal, now),
                },
            )
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentDto {
    pub id: String,
    pub ticket_id: String,
    pub author_id: String,
    /// `public` or `internal`.
    pub visibility: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// The reporter's own reply, recorded by staff.
    pub from_reporter: bool,
}

impl From<models::Comment> for CommentDto {
    fn from(c: models::Comment) -> Self {
        Self {
            id: c.id,
            ticket_id: c.ticket_id,
            author_id: c.author_id,
            visibility: c.visibility,
            body: c.body,
            created_at: utc(c.created_at),
            from_reporter: c.from_reporter,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub id: String,
    /// Global order of the audit trail.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The user who made the change; null for the daemon itself.
    pub actor_id: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    /// `{field: {before, after}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    /// Action details such as a reason or a comment id.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl TryFrom<models::AuditEvent> for EventDto {
    type Error = ApiError;

    fn try_from(e: models::AuditEvent) -> Result<Self, ApiError> {
        let parse = |s: &str| {
            serde_json::from_str(s).map_err(|err| {
                ApiError::Internal(anyhow::anyhow!(
                    "audit event {} holds invalid JSON: {err}",
                    e.id
                ))
            })
        };
        Ok(Self {
            changes: parse(&e.changes)?,
            data: parse(&e.data)?,
            id: e.id,
            seq: e.seq,
            at: utc(e.occurred_at),
            actor_id: e.actor_id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            action: e.action,
        })
    }
}

/// A page of audit events, positioned by their sequence number.
pub fn event_page(
    page: crate::app::Paged<models::AuditEvent>,
) -> crate::routes::error::ApiResult<super::Page<EventDto>> {
    let next_cursor = if page.more {
        page.items
            .last()
            .map(|e| super::encode_cursor(e.seq, &e.id))
    } else {
        None
    };
    Ok(super::Page {
        items: page
            .items
            .into_iter()
            .map(EventDto::try_from)
            .collect::<Result<_, _>>()?,
        next_cursor,
    })
}
