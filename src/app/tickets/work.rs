//! Working a ticket: workflow actions, edits and comments.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::create::{check_outage, check_reporter, OutageIn, ReporterIn};
use super::{Applied, By, TicketView};
use crate::app::{double_option, new_id, reason, App, AppError, AppResult};
use crate::db::models::{Comment, Ticket};
use crate::db::queries::{comments, organizations, users};
use crate::db::DbConn;
use crate::domain::scope::{self, Actor};
use crate::domain::ticket::{self as machine, Action};
use crate::domain::validate::Errors;
use crate::domain::{
    priority, Classification, CommentVisibility, EscalationMode, Level, Priority, Role,
    TicketStatus,
};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTicket {
    /// The version you read; or send `If-Match: "<version>"`.
    pub version: Option<i32>,
    #[schema(schema_with = crate::domain::validate::schema::title_or_null)]
    pub title: Option<String>,
    #[schema(schema_with = crate::domain::validate::schema::description_or_null)]
    pub description: Option<String>,
    pub impact: Option<Level>,
    pub urgency: Option<Level>,
    /// An explicit priority (audited override); `null` returns to the matrix.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Priority>)]
    pub priority: Option<Option<Priority>>,
    pub classification: Option<Classification>,
    pub reporter: Option<ReporterIn>,
    /// `null` removes a recorded outage.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<OutageIn>)]
    pub outage: Option<Option<OutageIn>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[schema(schema_with = crate::domain::validate::schema::body)]
    pub body: String,
    /// `public` (default; counts as a first response) or `internal` (staff only).
    pub visibility: Option<CommentVisibility>,
    /// True when staff record the reporter's own reply (by phone or e-mail). It is not a
    /// response by staff, and it resumes a pending ticket.
    pub from_reporter: Option<bool>,
}

/// A workflow action with what it carries beyond the state machine's status and tier.
#[derive(Debug, Clone)]
pub enum TicketAction {
    Acknowledge,
    Resume,
    Close,
    Escalate {
        reason: String,
    },
    Pause {
        reason: String,
        note: Option<String>,
    },
    Resolve {
        resolution: String,
    },
    Reopen {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Assign {
        assignee_id: Option<String>,
    },
}

impl TicketAction {
    fn action(&self) -> Action {
        match self {
            TicketAction::Acknowledge => Action::Acknowledge,
            TicketAction::Resume => Action::Resume,
            TicketAction::Close => Action::Close,
            TicketAction::Escalate { .. } => Action::Escalate,
            TicketAction::Pause { .. } => Action::Pause,
            TicketAction::Resolve { .. } => Action::Resolve,
            TicketAction::Reopen { .. } => Action::Reopen,
            TicketAction::Cancel { .. } => Action::Cancel,
            TicketAction::Assign { .. } => Action::Assign,
        }
    }

    /// Checks the free text an action carries (reasons of 3 to 5,000 characters).
    pub fn checked(self) -> AppResult<Self> {
        Ok(match self {
            TicketAction::Escalate { reason: r } => TicketAction::Escalate {
                reason: reason("reason", &r, crate::domain::validate::REASON)?,
            },
            TicketAction::Pause { reason: r, note } => TicketAction::Pause {
                reason: r.trim().to_string(),
                note: note
                    .as_deref()
                    .map(|n| reason("note", n, crate::domain::validate::REASON))
                    .transpose()?,
            },
            TicketAction::Resolve { resolution } => TicketAction::Resolve {
                resolution: reason("resolution", &resolution, crate::domain::validate::REASON)?,
            },
            TicketAction::Reopen { reason: r } => TicketAction::Reopen {
                reason: reason("reason", &r, crate::domain::validate::REASON)?,
            },
            TicketAction::Cancel { reason: r } => TicketAction::Cancel {
                reason: reason("reason", &r, crate::domain::validate::REASON)?,
            },
            other => other,
        })
    }
}

impl App {
    /// A workflow action (acknowledge, assign, escalate, pause, resume, resolve, close,
    /// reopen, cancel), checked against scope, the version when one is sent, and the state
    /// machine.
    pub fn act(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        action: TicketAction,
    ) -> AppResult<TicketView> {
        let action = action.checked()?;
        let kind = action.action();
        self.write(|conn| {
            let now = self.now();
            let action = action.clone();
            self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((kind, expected)),
                now,
                |conn, _, t| {
                    if t.status != TicketStatus::Pending.as_str() {
                        t.pending_since = None;
                        t.pending_reason = None;
                    }
                    let data = self.apply_action(conn, actor, t, action, now)?;
                    if t.status == TicketStatus::Closed.as_str() {
                        t.closed_at = Some(now.naive_utc());
                    }
                    if machine::is_first_response(kind) && t.first_response_at.is_none() {
                        t.first_response_at = Some(now.naive_utc());
                    }
                    Ok(Applied::Action {
                        verb: past_tense(kind),
                        data,
                    })
                },
            )
        })
    }

    fn apply_action(
        &self,
        conn: &mut DbConn,
        actor: &Actor,
        t: &mut Ticket,
        action: TicketAction,
        now: DateTime<Utc>,
    ) -> AppResult<Value> {
        let n = now.naive_utc();
        Ok(match action {
            TicketAction::Acknowledge | TicketAction::Resume | TicketAction::Close => json!({}),
            TicketAction::Escalate { reason } => {
                t.escalation_mode = Some(EscalationMode::Manual.as_str().into());
                t.escalation_reason = Some(reason.clone());
                t.escalated_at = Some(n);
                t.escalated_by = Some(actor.user_id.clone());
                // Tier 2 picks the ticket up from its queue; the Tier 1 assignee stays
                // informed through the reporting PD's view, not as the owner.
                t.assignee_id = None;
                json!({ "mode": "manual", "reason": reason })
            }
            TicketAction::Pause { reason, note } => {
                let allowed = &self.settings.sla.pause_reasons;
                if !allowed.contains(&reason) {
                    return Err(AppError::field(
                        "reason",
                        format!("must be one of: {}", allowed.join(", ")),
                    ));
                }
                t.pending_since = Some(n);
                t.pending_reason = Some(reason.clone());
                json!({ "reason": reason, "note": note })
            }
            TicketAction::Resolve { resolution } => {
                t.resolution = Some(resolution);
                t.resolved_at = Some(n);
                json!({})
            }
            TicketAction::Reopen { reason } => {
                t.resolved_at = None;
                json!({ "reason": reason })
            }
            TicketAction::Cancel { reason } => {
                t.cancelled_at = Some(n);
                json!({ "reason": reason })
            }
            TicketAction::Assign { assignee_id } => {
                if let Some(uid) = &assignee_id {
                    check_assignee(conn, t, uid)?;
                }
                t.assignee_id = assignee_id;
                json!({})
            }
        })
    }

    /// Edits a ticket's fields under the version the caller read (required).
    pub fn patch_ticket(
        &self,
        actor: &Actor,
        id: &str,
        expected: Option<i32>,
        p: &PatchTicket,
    ) -> AppResult<TicketView> {
        // An edit overwrites fields: it must say which version it was made against.
        let expected = expected.ok_or_else(|| {
            AppError::VersionRequired(
                "send the version you read, as If-Match or \"version\"".into(),
            )
        })?;
        self.write(|conn| {
            let now = self.now();
            self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((Action::Edit, Some(expected))),
                now,
                |_, before, t| {
                    patch_fields(t, p, now)?;
                    Ok(if t == before {
                        Applied::Nothing
                    } else {
                        Applied::Action {
                            verb: "updated",
                            data: json!({}),
                        }
                    })
                },
            )
        })
    }

    /// Adds a comment. A public comment by staff is a first response; the reporter's own
    /// reply (recorded by staff) resumes a pending ticket.
    pub fn comment(&self, actor: &Actor, id: &str, input: &CommentBody) -> AppResult<Comment> {
        let mut e = Errors::new();
        let text = e.text("body", &input.body, crate::domain::validate::BODY);
        e.finish()?;
        let visibility = input.visibility.unwrap_or(CommentVisibility::Public);
        let from_reporter = input.from_reporter.unwrap_or(false);
        if from_reporter && visibility == CommentVisibility::Internal {
            return Err(AppError::field(
                "visibility",
                "a reporter's reply is public",
            ));
        }
        self.write(|conn| {
            let now = self.now();
            let mut added = None;
            let saved = self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((Action::Comment, None)),
                now,
                |conn, before, t| {
                    let c = Comment {
                        id: new_id(),
                        ticket_id: before.id.clone(),
                        author_id: actor.user_id.clone(),
                        visibility: visibility.as_str().into(),
                        body: text.clone(),
                        created_at: now.naive_utc(),
                        from_reporter,
                    };
                    comments::insert(conn, &c)?;
                    if visibility == CommentVisibility::Public
                        && !from_reporter
                        && t.first_response_at.is_none()
                    {
                        t.first_response_at = Some(now.naive_utc());
                    }
                    let data = json!({ "comment_id": c.id, "visibility": c.visibility, "body": c.body, "from_reporter": from_reporter });
                    added = Some(c);
                    Ok(Applied::Action {
                        verb: "commented",
                        data,
                    })
                },
            )?;
            let c = added.ok_or_else(|| AppError::Internal(anyhow::anyhow!("comment not added")))?;
            // The reporter answered: the wait is over (SLA.md pause policy).
            if from_reporter && saved.ticket.status == TicketStatus::Pending.as_str() {
                let comment_id = c.id.clone();
                self.change_ticket(conn, By::User(actor), &saved.ticket.id, None, now, |_, _, t| {
                    t.status = TicketStatus::InProgress.as_str().into();
                    t.pending_since = None;
                    t.pending_reason = None;
                    Ok(Applied::Action {
                        verb: "resumed",
                        data: json!({ "reason": "reporter_replied", "comment_id": comment_id }),
                    })
                })?;
            }
            Ok(c)
        })
    }
}

/// The fields of a PATCH, checked and applied to `t`.
fn patch_fields(t: &mut Ticket, p: &PatchTicket, now: DateTime<Utc>) -> AppResult<()> {
    let mut e = Errors::new();
    if let Some(v) = &p.title {
        t.title = e.text("title", v, crate::domain::validate::TITLE);
    }
    if let Some(v) = &p.description {
        t.description = e.text("description", v, crate::domain::validate::DESCRIPTION);
    }
    if let Some(r) = &p.reporter {
        let r = check_reporter(&mut e, r);
        t.reporter_name = r.name;
        t.reporter_email = r.email;
        t.reporter_phone = r.phone;
    }
    if let Some(c) = p.classification {
        t.classification = c.as_str().into();
    }
    if let Some(i) = p.impact {
        t.impact = i.as_str().into();
    }
    if let Some(u) = p.urgency {
        t.urgency = u.as_str().into();
    }
    match p.priority {
        Some(Some(prio)) => {
            t.priority = prio.as_str().into();
            t.priority_overridden = true;
        }
        Some(None) => t.priority_overridden = false,
        None => {}
    }
    if !t.priority_overridden {
        let (Some(i), Some(u)) = (Level::parse(&t.impact), Level::parse(&t.urgency)) else {
            return Err(AppError::corrupt(
                "ticket",
                format!("{} has invalid impact/urgency", t.id),
            ));
        };
        t.priority = priority::matrix(i, u).as_str().into();
    }
    match &p.outage {
        Some(Some(o)) => {
            let (s, end) = check_outage(&mut e, &t.kind, o, now);
            t.outage_start = Some(s.naive_utc());
            t.outage_end = end.map(|x| x.naive_utc());
        }
        Some(None) => {
            t.outage_start = None;
            t.outage_end = None;
        }
        None => {}
    }
    e.finish()?;
    Ok(())
}

fn past_tense(a: Action) -> &'static str {
    match a {
        Action::Acknowledge => "acknowledged",
        Action::Comment => "commented",
        Action::Assign => "assigned",
        Action::Escalate => "escalated",
        Action::Pause => "paused",
        Action::Resume => "resumed",
        Action::Resolve => "resolved",
        Action::Close => "closed",
        Action::Reopen => "reopened",
        Action::Cancel => "cancelled",
        Action::Edit => "updated",
    }
}

fn check_assignee(conn: &mut DbConn, t: &Ticket, uid: &str) -> AppResult<()> {
    let bad = |m: &str| AppError::field("assignee_id", m);
    let user = users::get(conn, uid)?.ok_or_else(|| bad("no such user"))?;
    if !user.active {
        return Err(bad("the user is inactive"));
    }
    let role = Role::parse(&user.role).ok_or_else(|| bad("the user has no valid role"))?;
    let mut orgs = vec![user.organization_id.clone()];
    if role == Role::Technician {
        orgs.extend(organizations::children(conn, &user.organization_id)?);
    }
    let tier = u8::try_from(t.tier).unwrap_or(2);
    scope::can_be_assignee(role, &orgs, &t.organization_id, tier).map_err(|m| bad(&m))
}
