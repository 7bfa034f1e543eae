//! The catalogue of ICT services per owning PD (Makassar Ps 32(1)) and the criticality
//! workflow (Ps 32(2)): the PD proposes, the Dinas supervisor designates or rejects.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::{
    check_version, double_option, new_id, reason, record, App, AppError, AppResult, PageAt, Paged,
};
use crate::db::models::{AuditEvent, Service};
use crate::db::queries::{audit, organizations, services};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::catalogue::{self, CriticalityStep};
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{Criticality, OrgKind, Role, ServiceKind, ServiceStatus};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateService {
    /// The owning PD (PD Pemilik Layanan). Default: the technician's own PD.
    pub organization_id: Option<String>,
    /// Unique code, e.g. `SIMPEG`.
    #[schema(schema_with = crate::domain::validate::schema::code)]
    pub code: String,
    #[schema(schema_with = crate::domain::validate::schema::name)]
    pub name: String,
    pub kind: ServiceKind,
    /// Availability target in percent (Ps 32(3)(b)); default 99.0.
    #[schema(minimum = 0, maximum = 100)]
    pub availability_target_percent: Option<f64>,
    /// The SLA policy of the service (Ps 32(3)); without one, tickets use the default policy.
    pub sla_policy_id: Option<String>,
    /// What the service's SOP covers (Makassar Ps 33(4)).
    pub sop: Option<Sop>,
}

/// A service's SOP (Makassar Ps 33(4)): each part a short text or a reference to the
/// document that holds it (a number, a URL). A part left out or empty is missing; the
/// report lists critical services with missing parts.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sop {
    /// Service definition.
    #[schema(max_length = 2000)]
    pub definition: Option<String>,
    /// Service policy.
    #[schema(max_length = 2000)]
    pub policy: Option<String>,
    /// Incident and problem handling.
    #[schema(max_length = 2000)]
    pub incident_problem: Option<String>,
    /// Request handling.
    #[schema(max_length = 2000)]
    pub requests: Option<String>,
    /// Customer relations.
    #[schema(max_length = 2000)]
    pub customer_relations: Option<String>,
    /// Service-level guarantee.
    #[schema(max_length = 2000)]
    pub service_level: Option<String>,
}

impl Sop {
    /// Checks lengths and gives the stored JSON (parts trimmed, empty ones left out).
    fn to_stored(&self, e: &mut Errors) -> String {
        let mut m = serde_json::Map::new();
        for (name, v) in [
            ("definition", &self.definition),
            ("policy", &self.policy),
            ("incident_problem", &self.incident_problem),
            ("requests", &self.requests),
            ("customer_relations", &self.customer_relations),
            ("service_level", &self.service_level),
        ] {
            if let Some(raw) = v.as_deref() {
                // As sent, as the document's maxLength counts.
                if raw.chars().count() > 2000 {
                    e.add(&format!("sop.{name}"), "must be at most 2000 characters");
                }
                let text = raw.trim();
                if !text.is_empty() {
                    m.insert(name.into(), Value::String(text.to_string()));
                }
            }
        }
        Value::Object(m).to_string()
    }

    /// The stored JSON read back.
    pub fn read(stored: &str) -> Sop {
        serde_json::from_str(stored).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchService {
    /// The version you read; or send `If-Match`.
    pub version: Option<i32>,
    #[schema(schema_with = crate::domain::validate::schema::name_or_null)]
    pub name: Option<String>,
    pub kind: Option<ServiceKind>,
    #[schema(minimum = 0, maximum = 100)]
    pub availability_target_percent: Option<f64>,
    /// `suspended` records a temporary closure; Dinas supervisors only.
    pub status: Option<ServiceStatus>,
    /// `null` removes the service's own policy (not allowed for a critical service).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub sla_policy_id: Option<Option<String>>,
    /// Replaces the whole SOP record.
    pub sop: Option<Sop>,
}

/// A step of the criticality workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriticalityChange {
    /// The owning PD (or the supervisor) proposes the service as critical.
    Propose,
    /// The supervisor decides on a proposal: `critical` or `rejected`.
    Decide(Criticality),
    /// The supervisor returns a critical service to normal.
    Revoke,
}

/// Who maintains a PD's catalogue: its own technicians, the Dinas supervisor, the admin.
fn may_maintain(actor: &Actor, org_id: &str) -> AppResult<()> {
    match actor.role {
        Role::Admin | Role::Supervisor => Ok(()),
        Role::Technician if actor.in_scope(org_id) => Ok(()),
        r => Err(AppError::Forbidden(format!(
            "the {r} role cannot maintain this PD's catalogue"
        ))),
    }
}

fn check_availability(e: &mut Errors, v: f64) {
    if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
        e.add(
            "availability_target_percent",
            "must be a percentage between 0 and 100",
        );
    }
}

fn require_supervisor(actor: &Actor) -> AppResult<()> {
    if actor.role == Role::Supervisor {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only a Dinas supervisor designates critical services".into(),
        ))
    }
}

fn step(s: &mut Service, st: CriticalityStep) -> AppResult<()> {
    let current = Criticality::parse(&s.criticality).ok_or_else(|| {
        AppError::corrupt(
            "service",
            format!("{} has criticality {}", s.id, s.criticality),
        )
    })?;
    s.criticality = catalogue::next(current, st)
        .map_err(AppError::Conflict)?
        .as_str()
        .into();
    Ok(())
}

/// Saves `after` over `before` under its version, with an audit event on the service's
/// chain (also when nothing changed, with `always`: a sanction is worth recording even if
/// the status already was what it asks). Returns the saved service.
#[allow(clippy::too_many_arguments)]
pub(crate) fn save_service(
    conn: &mut DbConn,
    actor: &Actor,
    before: &Service,
    mut after: Service,
    action: &str,
    data: Value,
    always: bool,
    now: DateTime<Utc>,
) -> AppResult<Service> {
    let changes = Changes::diff(
        &record::service(before),
        &record::service(&after),
        &["version", "updated_at"],
    );
    if changes.is_empty() && !always {
        return Ok(before.clone());
    }
    after.version = before.version + 1;
    after.updated_at = now.naive_utc();
    if !services::update_versioned(conn, &after, before.version)? {
        return Err(AppError::Conflict(
            "the service was changed by someone else meanwhile".into(),
        ));
    }
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id: Some(&actor.user_id),
            entity_type: "service",
            entity_id: &after.id,
            ticket_id: None,
            action,
            changes: &changes,
            data,
        },
    )?;
    Ok(after)
}

fn load(conn: &mut DbConn, id: &str) -> AppResult<Service> {
    services::get(conn, id)?.ok_or_else(|| AppError::NotFound(format!("no service {id}")))
}

/// Inserts a service after checking it, in the caller's transaction (the API and `demo`).
pub(crate) fn insert_service(
    conn: &mut DbConn,
    actor: &Actor,
    input: &CreateService,
    now: DateTime<Utc>,
) -> AppResult<Service> {
    let org_id = match (&input.organization_id, actor.role) {
        (Some(o), _) => o.clone(),
        (None, Role::Technician) => actor.organization_id.clone(),
        (None, _) => return Err(AppError::field("organization_id", "is required")),
    };
    may_maintain(actor, &org_id)?;
    let mut e = Errors::new();
    let code = e.code("code", &input.code);
    let name = e.text("name", &input.name, crate::domain::validate::NAME);
    let availability = input.availability_target_percent.unwrap_or(99.0);
    check_availability(&mut e, availability);
    if let Some(pid) = &input.sla_policy_id {
        if crate::db::queries::sla::policy(conn, pid)?.is_none() {
            e.add("sla_policy_id", "no such SLA policy");
        }
    }
    match organizations::get(conn, &org_id)? {
        Some(o) if o.kind == OrgKind::Pd.as_str() || o.kind == OrgKind::Dinas.as_str() => {}
        Some(_) => e.add("organization_id", "services are owned by a PD or the Dinas"),
        None => e.add("organization_id", "no such organization"),
    }
    let sop = input.sop.clone().unwrap_or_default().to_stored(&mut e);
    e.finish()?;
    let n = now.naive_utc();
    let svc = Service {
        id: new_id(),
        organization_id: org_id,
        code,
        name,
        kind: input.kind.as_str().into(),
        sla_policy_id: input.sla_policy_id.clone(),
        availability_target_percent: availability,
        criticality: Criticality::Normal.as_str().into(),
        status: ServiceStatus::Active.as_str().into(),
        version: 1,
        created_at: n,
        updated_at: n,
        sop,
    };
    services::insert(conn, &svc).map_err(|err| {
        if is_unique_violation(&err) {
            AppError::Conflict("the code is already used by another service".into())
        } else {
            err.into()
        }
    })?;
    audit::created(
        conn,
        now,
        Some(&actor.user_id),
        "service",
        &svc.id,
        &record::service(&svc),
        &["version"],
    )?;
    Ok(svc)
}

impl App {
    pub fn create_service(&self, actor: &Actor, input: &CreateService) -> AppResult<Service> {
        self.write(|conn| insert_service(conn, actor, input, self.now()))
    }

    pub fn services(
        &self,
        organization_id: Option<&str>,
        code: Option<&str>,
        criticality: Option<Criticality>,
        page: &PageAt,
    ) -> AppResult<Paged<Service>> {
        self.read(|conn| {
            let rows = services::page(
                conn,
                organization_id,
                code,
                criticality.map(Criticality::as_str),
                page,
            )?;
            Ok(Paged::of(rows, page))
        })
    }

    pub fn service(&self, id: &str) -> AppResult<Service> {
        self.read(|conn| load(conn, id))
    }

    pub fn service_events(&self, id: &str, page: &PageAt) -> AppResult<Paged<AuditEvent>> {
        self.read(|conn| {
            let s = load(conn, id)?;
            let rows = audit::page_for_entity(conn, "service", &s.id, page)?;
            Ok(Paged::of(rows, page))
        })
    }

    /// Loads, lets `change` modify, and saves a service under its version, with an audit
    /// event.
    fn change_service(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        action: &str,
        change: impl Fn(&mut Service) -> AppResult<Value>,
    ) -> AppResult<Service> {
        self.write(|conn| {
            let now = self.now();
            let before = load(conn, id)?;
            check_version("service", expected, before.version)?;
            let mut s = before.clone();
            let data = change(&mut s)?;
            save_service(conn, actor, &before, s, action, data, false, now)
        })
    }

    pub fn update_service(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        p: &PatchService,
    ) -> AppResult<Service> {
        self.change_service(actor, id, expected, "updated", |s| {
            may_maintain(actor, &s.organization_id)?;
            let mut e = Errors::new();
            if let Some(n) = &p.name {
                s.name = e.text("name", n, crate::domain::validate::NAME);
            }
            if let Some(k) = p.kind {
                s.kind = k.as_str().into();
            }
            if let Some(a) = p.availability_target_percent {
                check_availability(&mut e, a);
                s.availability_target_percent = a;
            }
            if let Some(policy) = &p.sla_policy_id {
                if policy.is_none() && s.criticality == Criticality::Critical.as_str() {
                    e.add(
                        "sla_policy_id",
                        "a critical service must keep an SLA policy (Ps 32(3))",
                    );
                }
                s.sla_policy_id = policy.clone();
            }
            if let Some(sop) = &p.sop {
                s.sop = sop.to_stored(&mut e);
            }
            if let Some(st) = p.status {
                if actor.role != Role::Supervisor && st.as_str() != s.status {
                    return Err(AppError::Forbidden(
                        "only a Dinas supervisor suspends or reactivates a service".into(),
                    ));
                }
                s.status = st.as_str().into();
            }
            e.finish()?;
            Ok(json!({}))
        })
    }

    /// One step of the criticality workflow, with its reason.
    pub fn change_criticality(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        change: CriticalityChange,
        reason_text: &str,
    ) -> AppResult<Service> {
        let (st, action) = match change {
            CriticalityChange::Propose => (CriticalityStep::Propose, "criticality_proposed"),
            CriticalityChange::Decide(Criticality::Critical) => {
                require_supervisor(actor)?;
                (CriticalityStep::Designate, "criticality_designated")
            }
            CriticalityChange::Decide(Criticality::Rejected) => {
                require_supervisor(actor)?;
                (CriticalityStep::Reject, "criticality_rejected")
            }
            CriticalityChange::Decide(_) => {
                require_supervisor(actor)?;
                reason("reason", reason_text, crate::domain::validate::REASON)?;
                return Err(AppError::field(
                    "decision",
                    "must be \"critical\" or \"rejected\"",
                ));
            }
            CriticalityChange::Revoke => {
                require_supervisor(actor)?;
                (CriticalityStep::Revoke, "criticality_revoked")
            }
        };
        let reason_text = reason("reason", reason_text, crate::domain::validate::REASON)?;
        self.change_service(actor, id, expected, action, |s| {
            if change == CriticalityChange::Propose {
                match actor.role {
                    Role::Supervisor => {}
                    Role::Technician if actor.in_scope(&s.organization_id) => {}
                    _ => {
                        return Err(AppError::Forbidden(
                            "the owning PD's technician or a Dinas supervisor proposes".into(),
                        ))
                    }
                }
            }
            step(s, st)?;
            Ok(json!({ "reason": reason_text }))
        })
    }
}
