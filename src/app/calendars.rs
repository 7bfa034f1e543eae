//! Business calendars and SLA policies. Every edit is a new immutable version; an edit of a
//! calendar versions every policy on it too, and open tickets move to a new version only by
//! an audited re-baseline.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::record::{CalendarView, PolicyView};
use super::sla::{build_calendar, shipped_holidays, Holiday, WorkingHours};
use super::{check_version, json_text, new_id, App, AppError, AppResult};
use crate::db::models::{CalendarRow, PolicyRow};
use crate::db::queries::{audit, sla as q};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::sla_policy::{check_warn_percent, PolicyTargets};
use crate::domain::validate::Errors;
use crate::domain::Role;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCalendar {
    #[schema(schema_with = crate::domain::validate::schema::name)]
    pub name: String,
    #[schema(schema_with = crate::domain::validate::schema::timezone)]
    pub timezone: String,
    #[schema(schema_with = crate::domain::validate::schema::working_hours_schema)]
    pub working_hours: WorkingHours,
    /// Default: the national holidays and cuti bersama shipped with the daemon.
    pub holidays: Option<Vec<Holiday>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchCalendar {
    pub version: Option<i32>,
    #[schema(schema_with = crate::domain::validate::schema::name_or_null)]
    pub name: Option<String>,
    #[schema(schema_with = crate::domain::validate::schema::timezone_or_null)]
    pub timezone: Option<String>,
    #[schema(schema_with = crate::domain::validate::schema::working_hours_or_null)]
    pub working_hours: Option<WorkingHours>,
    pub holidays: Option<Vec<Holiday>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    #[schema(schema_with = crate::domain::validate::schema::name)]
    pub name: String,
    pub calendar_id: String,
    #[schema(minimum = 1, maximum = 99)]
    pub warn_at_percent: Option<i32>,
    pub targets: PolicyTargets,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPolicy {
    pub version: Option<i32>,
    #[schema(schema_with = crate::domain::validate::schema::name_or_null)]
    pub name: Option<String>,
    pub calendar_id: Option<String>,
    #[schema(minimum = 1, maximum = 99)]
    pub warn_at_percent: Option<i32>,
    pub targets: Option<PolicyTargets>,
}

fn require_sla_admin(actor: &Actor) -> AppResult<()> {
    match actor.role {
        Role::Supervisor | Role::Admin => Ok(()),
        r => Err(AppError::Forbidden(format!(
            "the {r} role cannot change calendars or SLA policies"
        ))),
    }
}

fn check(e: &mut Errors, tz: &str, wh: &WorkingHours, holidays: &[Holiday]) {
    match build_calendar(tz, wh, holidays) {
        Err(m) => {
            let field = if m.contains("time zone") || m.contains("timezone") {
                "timezone"
            } else {
                "working_hours"
            };
            e.add(field, m);
        }
        // Without working time no deadline would ever fall due.
        Ok(c) if c.weekly_minutes() == 0 => {
            e.add("working_hours", "a calendar needs some working time")
        }
        Ok(_) => {}
    }
    for (i, h) in holidays.iter().enumerate() {
        e.text(
            &format!("holidays[{i}].name"),
            &h.name,
            crate::domain::validate::TITLE,
        );
    }
    if holidays.len() > 5000 {
        e.add("holidays", "at most 5000 holidays");
    }
}

fn sorted(mut h: Vec<Holiday>) -> Vec<Holiday> {
    h.sort_by_key(|x| x.date);
    h.dedup_by(|a, b| a.date == b.date);
    h
}

fn unique(field_owner: &'static str) -> impl Fn(diesel::result::Error) -> AppError {
    move |err| {
        if is_unique_violation(&err) {
            AppError::Conflict(format!("the name is already used by another {field_owner}"))
        } else {
            err.into()
        }
    }
}

fn load_calendar(conn: &mut DbConn, id: &str) -> AppResult<CalendarRow> {
    q::calendar(conn, id)?.ok_or_else(|| AppError::NotFound(format!("no calendar {id}")))
}

fn load_policy(conn: &mut DbConn, id: &str) -> AppResult<PolicyRow> {
    q::policy(conn, id)?.ok_or_else(|| AppError::NotFound(format!("no SLA policy {id}")))
}

fn calendar_version(conn: &mut DbConn, e: &mut Errors, id: &str) -> AppResult<i32> {
    match q::calendar(conn, id)? {
        Some(c) => Ok(c.version),
        None => {
            e.add("calendar_id", "no such calendar");
            Ok(0)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn audited(
    conn: &mut DbConn,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
    action: &str,
    changes: &Changes,
    data: Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id: Some(&actor.user_id),
            entity_type,
            entity_id,
            ticket_id: None,
            action,
            changes,
            data,
        },
    )?;
    Ok(())
}

/// Saves a new version of a calendar and of every policy that uses it.
fn save_calendar_version(
    conn: &mut DbConn,
    actor: &Actor,
    before: CalendarRow,
    mut after: CalendarRow,
    action: &str,
    data: Value,
    now: DateTime<Utc>,
) -> AppResult<CalendarView> {
    let b = CalendarView::read(before.clone())?;
    let changes = Changes::diff(
        &b.record(),
        &CalendarView::read(after.clone())?.record(),
        &["version", "updated_at", "weekly_minutes"],
    );
    if changes.is_empty() {
        return Ok(b);
    }
    after.version = before.version + 1;
    after.updated_at = now.naive_utc();
    if !q::update_calendar(conn, &after, before.version).map_err(unique("calendar"))? {
        return Err(AppError::Conflict(
            "the calendar was changed by someone else meanwhile".into(),
        ));
    }
    audited(
        conn, actor, "calendar", &after.id, action, &changes, data, now,
    )?;
    for p in q::policies_on_calendar(conn, &after.id)? {
        let next = PolicyRow {
            version: p.version + 1,
            updated_at: now.naive_utc(),
            ..p.clone()
        };
        if !q::update_policy(conn, &next, p.version, after.version)? {
            return Err(AppError::Conflict(
                "a policy on this calendar changed meanwhile; retry".into(),
            ));
        }
        let mut c = Changes::new();
        c.set(
            "calendar_version",
            json!(before.version),
            json!(after.version),
        );
        audited(
            conn,
            actor,
            "sla_policy",
            &p.id,
            "calendar_changed",
            &c,
            json!({ "calendar_id": after.id }),
            now,
        )?;
    }
    CalendarView::read(after)
}

impl App {
    pub fn create_calendar(
        &self,
        actor: &Actor,
        input: &CreateCalendar,
    ) -> AppResult<CalendarView> {
        require_sla_admin(actor)?;
        let holidays = match &input.holidays {
            Some(h) => sorted(h.clone()),
            None => shipped_holidays().map_err(AppError::Internal)?,
        };
        let mut e = Errors::new();
        let name = e.text("name", &input.name, crate::domain::validate::NAME);
        check(&mut e, &input.timezone, &input.working_hours, &holidays);
        e.finish()?;
        self.write(|conn| {
            let now = self.now();
            let n = now.naive_utc();
            let row = CalendarRow {
                id: new_id(),
                name: name.clone(),
                timezone: input.timezone.clone(),
                working_hours: json_text(&input.working_hours)?,
                holidays: json_text(&holidays)?,
                version: 1,
                created_at: n,
                updated_at: n,
            };
            q::insert_calendar(conn, &row).map_err(unique("calendar"))?;
            let view = CalendarView::read(row)?;
            audit::created(
                conn,
                now,
                Some(&actor.user_id),
                "calendar",
                &view.row.id,
                &view.record(),
                &[],
            )?;
            Ok(view)
        })
    }

    pub fn calendars(&self) -> AppResult<Vec<CalendarView>> {
        self.read(|conn| {
            q::calendars(conn)?
                .into_iter()
                .map(CalendarView::read)
                .collect()
        })
    }

    pub fn calendar(&self, id: &str) -> AppResult<CalendarView> {
        self.read(|conn| CalendarView::read(load_calendar(conn, id)?))
    }

    pub fn update_calendar(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        p: &PatchCalendar,
    ) -> AppResult<CalendarView> {
        require_sla_admin(actor)?;
        self.write(|conn| {
            let now = self.now();
            let before = load_calendar(conn, id)?;
            check_version("calendar", expected, before.version)?;
            let cur = CalendarView::read(before.clone())?;
            let tz = p.timezone.clone().unwrap_or(cur.row.timezone);
            let wh = p.working_hours.clone().unwrap_or(cur.working_hours);
            let holidays = sorted(p.holidays.clone().unwrap_or(cur.holidays));
            let mut e = Errors::new();
            let name = match &p.name {
                Some(n) => e.text("name", n, crate::domain::validate::NAME),
                None => cur.row.name,
            };
            check(&mut e, &tz, &wh, &holidays);
            e.finish()?;
            let after = CalendarRow {
                name,
                timezone: tz,
                working_hours: json_text(&wh)?,
                holidays: json_text(&holidays)?,
                ..before.clone()
            };
            save_calendar_version(conn, actor, before, after, "updated", json!({}), now)
        })
    }

    /// Adds holidays (from an iCalendar file, already parsed) to a calendar.
    pub fn import_holidays(
        &self,
        actor: &Actor,
        id: &str,
        imported: Vec<Holiday>,
    ) -> AppResult<CalendarView> {
        require_sla_admin(actor)?;
        self.write(|conn| {
            let now = self.now();
            let before = load_calendar(conn, id)?;
            let cur = CalendarView::read(before.clone())?;
            let count = imported.len();
            let mut all = cur.holidays;
            all.extend(imported.iter().cloned());
            let after = CalendarRow {
                holidays: json_text(&sorted(all))?,
                ..before.clone()
            };
            save_calendar_version(
                conn,
                actor,
                before,
                after,
                "holidays_imported",
                json!({ "events_days": count }),
                now,
            )
        })
    }

    pub fn create_policy(&self, actor: &Actor, input: &CreatePolicy) -> AppResult<PolicyView> {
        require_sla_admin(actor)?;
        self.write(|conn| {
            let now = self.now();
            let mut e = Errors::new();
            let name = e.text("name", &input.name, crate::domain::validate::NAME);
            let warn = input.warn_at_percent.unwrap_or(75);
            check_warn_percent(&mut e, "warn_at_percent", warn);
            input.targets.check(&mut e, "targets");
            let cal_version = calendar_version(conn, &mut e, &input.calendar_id)?;
            e.finish()?;
            let n = now.naive_utc();
            let row = PolicyRow {
                id: new_id(),
                name,
                calendar_id: input.calendar_id.clone(),
                warn_at_percent: warn,
                targets: json_text(&input.targets)?,
                version: 1,
                created_at: n,
                updated_at: n,
            };
            q::insert_policy(conn, &row, cal_version).map_err(unique("policy"))?;
            let view = PolicyView::read(row)?;
            audit::created(
                conn,
                now,
                Some(&actor.user_id),
                "sla_policy",
                &view.row.id,
                &view.record(),
                &[],
            )?;
            Ok(view)
        })
    }

    pub fn policies(&self) -> AppResult<Vec<PolicyView>> {
        self.read(|conn| {
            q::policies(conn)?
                .into_iter()
                .map(PolicyView::read)
                .collect()
        })
    }

    pub fn policy(&self, id: &str) -> AppResult<PolicyView> {
        self.read(|conn| PolicyView::read(load_policy(conn, id)?))
    }

    pub fn update_policy(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        p: &PatchPolicy,
    ) -> AppResult<PolicyView> {
        require_sla_admin(actor)?;
        self.write(|conn| {
            let now = self.now();
            let before = load_policy(conn, id)?;
            check_version("policy", expected, before.version)?;
            let mut e = Errors::new();
            let mut after = before.clone();
            if let Some(n) = &p.name {
                after.name = e.text("name", n, crate::domain::validate::NAME);
            }
            if let Some(w) = p.warn_at_percent {
                check_warn_percent(&mut e, "warn_at_percent", w);
                after.warn_at_percent = w;
            }
            if let Some(t) = &p.targets {
                t.check(&mut e, "targets");
                after.targets = json_text(t)?;
            }
            if let Some(c) = &p.calendar_id {
                after.calendar_id = c.clone();
            }
            let cal_version = calendar_version(conn, &mut e, &after.calendar_id)?;
            e.finish()?;
            let b = PolicyView::read(before.clone())?;
            let changes = Changes::diff(
                &b.record(),
                &PolicyView::read(after.clone())?.record(),
                &["version", "updated_at"],
            );
            if changes.is_empty() {
                return Ok(b);
            }
            after.version = before.version + 1;
            after.updated_at = now.naive_utc();
            if !q::update_policy(conn, &after, before.version, cal_version)
                .map_err(unique("policy"))?
            {
                return Err(AppError::Conflict(
                    "the policy was changed by someone else meanwhile".into(),
                ));
            }
            audited(
                conn,
                actor,
                "sla_policy",
                &after.id,
                "updated",
                &changes,
                json!({}),
                now,
            )?;
            PolicyView::read(after)
        })
    }
}
