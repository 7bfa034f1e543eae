//! The web console's sign-in and sessions. A user proves who they are with a one-time link
//! mailed to their official address (through the outbox, like every other message) or with
//! an API token; either way the console then holds a server-side session. The database
//! keeps only digests of link and session secrets, so a copy of it signs nobody in.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::directory::{actor_of, generate_token, hash_token, user_event};
use super::notify::NewMessage;
use super::{App, AppError, AppResult};
use crate::db::models::{ConsoleLink, ConsoleSession};
use crate::db::queries::{console as q, outbox, users};
use crate::domain::scope::Actor;

/// Links one user may ask for within `console.link_minutes`: enough for a lost mail or two,
/// too few to flood a mailbox.
const LINKS_PER_WINDOW: i64 = 5;

/// A session's last use is written at most this often, so most requests only read.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// A live console session.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub email: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// A session just begun: `secret` goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// How a session was begun.
#[derive(Debug, Clone, Copy)]
enum Via {
    Link,
    Token,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Link => "link",
            Via::Token => "token",
        }
    }
}

fn refused() -> AppError {
    AppError::Forbidden("this sign-in link is unknown, already used or expired".into())
}

impl App {
    /// Mails a one-time sign-in link to the active user with this address. Answers the
    /// same whether or not there is such a user, so the form tells nobody who has an
    /// account; an address that asked too often within `console.link_minutes` gets no
    /// further link until the window passes.
    /// `next` is the console page to land on (checked by the caller to stay inside it).
    pub fn request_sign_in_link(&self, email: &str, next: &str) -> AppResult<()> {
        if !self.settings.console.mail_links {
            return Err(AppError::Forbidden(
                "sign-in links are switched off here; sign in with an API token".into(),
            ));
        }
        let email = email.trim().to_ascii_lowercase();
        if email.is_empty() || email.len() > 254 || !email.contains('@') {
            return Err(AppError::field("email", "is not an e-mail address"));
        }
        let minutes = self.settings.console.link_minutes;
        self.write(|conn| {
            let now = self.now();
            let Some(user) = users::by_email(conn, &email)?.filter(|u| u.active) else {
                return Ok(());
            };
            let window = now.naive_utc() - TimeDelta::minutes(minutes);
            if q::links_since(conn, &user.id, window)? >= LINKS_PER_WINDOW {
                tracing::warn!(user = %user.id, "sign-in links asked for too often; none sent");
                return Ok(());
            }
            q::prune(conn, now.naive_utc() - TimeDelta::days(1))?;
            let secret = generate_token();
            let link = ConsoleLink {
                id: hash_token(&secret),
                user_id: user.id.clone(),
                created_at: now.naive_utc(),
                expires_at: (now + TimeDelta::minutes(minutes)).naive_utc(),
                used_at: None,
            };
            q::insert_link(conn, &link)?;
            let mut url = format!(
                "{}/console/sign-in/link?code={secret}",
                self.settings.mail.desk_url.trim_end_matches('/')
            );
            if next != "/console" {
                url.push_str("&next=");
                url.extend(url::form_urlencoded::byte_serialize(next.as_bytes()));
            }
            let ctx = json!({
                "user": {"name": user.name},
                "link": {"url": url, "minutes": minutes},
            });
            let rendered = self
                .mail
                .render("sign_in", &ctx)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("mail template sign_in: {e:#}")))?;
            let row = self.outbox_row(NewMessage {
                ticket_id: None,
                event: "sign_in",
                source_id: format!("sign_in:{}", link.id),
                recipient: user.email.to_ascii_lowercase(),
                rendered: &rendered,
                thread_id: None,
                staff: true,
                not_before: now,
                now,
                attachment: None,
            });
            outbox::insert(conn, std::slice::from_ref(&row))?;
            user_event(
                conn,
                None,
                &user.id,
                "console_link_sent",
                json!({"expires_at": (now + TimeDelta::minutes(minutes))}),
                now,
            )
        })
    }

    /// Spends a mailed link (once) and begins a session for its user.
    pub fn redeem_sign_in_link(&self, secret: &str) -> AppResult<NewSession> {
        if secret.is_empty() || secret.len() > 256 {
            return Err(refused());
        }
        self.write(|conn| {
            let now = self.now();
            let user_id =
                q::use_link(conn, &hash_token(secret), now.naive_utc())?.ok_or_else(refused)?;
            let user = users::get(conn, &user_id)?
                .filter(|u| u.active)
                .ok_or_else(refused)?;
            self.begin_session(conn, &user.id, Via::Link, now)
        })
    }

    /// Begins a session for the user of a live API token.
    pub fn sign_in_with_token(&self, token: &str) -> AppResult<NewSession> {
        let token = token.trim();
        let actor = if token.is_empty() || token.len() > 256 {
            None
        } else {
            self.authenticate(token)?
        };
        let actor = actor.ok_or_else(|| {
            AppError::Forbidden("the token is unknown, revoked, or its user is inactive".into())
        })?;
        self.write(|conn| self.begin_session(conn, &actor.user_id, Via::Token, self.now()))
    }

    fn begin_session(
        &self,
        conn: &mut crate::db::DbConn,
        user_id: &str,
        via: Via,
        now: DateTime<Utc>,
    ) -> AppResult<NewSession> {
        let secret = generate_token();
        let expires_at = now + self.idle();
        q::insert_session(
            conn,
            &ConsoleSession {
                id: hash_token(&secret),
                user_id: user_id.to_string(),
                csrf: generate_token(),
                via: via.as_str().into(),
                created_at: now.naive_utc(),
                last_seen_at: now.naive_utc(),
                expires_at: expires_at.naive_utc(),
                ended_at: None,
            },
        )?;
        user_event(
            conn,
            Some(user_id),
            user_id,
            "console_signed_in",
            json!({"via": via.as_str()}),
            now,
        )?;
        Ok(NewSession { secret, expires_at })
    }

    fn idle(&self) -> TimeDelta {
        TimeDelta::minutes(self.settings.console.idle_minutes)
    }

    /// The live session a cookie names; None once it ended, ran idle, outlived
    /// `console.max_hours`, or its user was deactivated.
    pub fn console_session(&self, secret: &str) -> AppResult<Option<Session>> {
        if secret.is_empty() || secret.len() > 256 {
            return Ok(None);
        }
        let now = self.now();
        let id = hash_token(secret);
        let found = self.read(|conn| {
            let Some((s, user)) = q::live_session(conn, &id, now.naive_utc())? else {
                return Ok(None);
            };
            let max = s.created_at + TimeDelta::hours(self.settings.console.max_hours);
            if max <= now.naive_utc() {
                return Ok(None);
            }
            let email = user.email.clone();
            let actor = actor_of(conn, user)?;
            Ok(Some((s, actor, email, max)))
        })?;
        let Some((s, actor, email, max)) = found else {
            return Ok(None);
        };
        let expires_at = (now + self.idle()).naive_utc().min(max);
        if s.last_seen_at < now.naive_utc() - TOUCH_EVERY {
            let n = now.naive_utc();
            self.write(|conn| Ok(q::touch_session(conn, &id, n, expires_at, n - TOUCH_EVERY)?))?;
        }
        Ok(Some(Session {
            actor,
            email,
            csrf: s.csrf,
            expires_at: expires_at.and_utc(),
        }))
    }

    /// Ends the session a cookie names (signing out twice is not an error).
    pub fn sign_out(&self, secret: &str) -> AppResult<()> {
        let id = hash_token(secret);
        self.write(|conn| {
            let now = self.now();
            let user = q::session_user(conn, &id)?;
            if q::end_session(conn, &id, now.naive_utc())? {
                if let Some(user_id) = user {
                    user_event(
                        conn,
                        Some(&user_id),
                        &user_id,
                        "console_signed_out",
                        json!({}),
                        now,
                    )?;
                }
            }
            Ok(())
        })
    }
}

/// What the supervisors' dashboard shows.
#[derive(Debug)]
pub struct Dashboard {
    /// Breaches recorded since midnight in the desk's zone.
    pub breaches_today: i64,
    /// Open tickets whose nearest deadline falls within the next `soon_hours`.
    pub soon: Vec<crate::app::tickets::TicketView>,
    pub soon_hours: i64,
    /// Open Tier 2 tickets: (status, assignee, count).
    pub tier2: Vec<(String, Option<String>, i64)>,
    /// This month so far, as the monthly report computes it.
    pub month: crate::domain::report::Period,
    pub month_report: serde_json::Value,
}

/// How far ahead "about to breach" looks.
const SOON_HOURS: i64 = 4;

impl App {
    /// The supervisors' dashboard (and the auditors': both see the whole register).
    pub fn dashboard(&self, actor: &Actor) -> AppResult<Dashboard> {
        use crate::domain::Role;
        if !matches!(actor.role, Role::Supervisor | Role::Auditor) {
            return Err(AppError::Forbidden(format!(
                "the dashboard is for Dinas supervisors and auditors, not the {} role",
                actor.role
            )));
        }
        let now = self.now();
        let tz = self.report_tz()?;
        let local_midnight = now
            .with_timezone(&tz)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|m| m.and_local_timezone(tz).earliest())
            .map_or(now, |m| m.with_timezone(&Utc));
        let (breaches_today, soon_rows, tier2) = self.read(|conn| {
            Ok((
                q::breaches_since(conn, local_midnight.naive_utc())?,
                q::due_between(
                    conn,
                    now.naive_utc(),
                    (now + TimeDelta::hours(SOON_HOURS)).naive_utc(),
                    20,
                )?,
                q::tier2_load(conn)?,
            ))
        })?;
        let soon = self.read(|conn| {
            let mut states = crate::app::sla::states_for(conn, &self.sla, &soon_rows)?;
            Ok(soon_rows
                .into_iter()
                .map(|t| crate::app::tickets::TicketView {
                    sla: states.remove(&t.id),
                    ticket: t,
                })
                .collect())
        })?;
        let label = now.with_timezone(&tz).format("%Y-%m").to_string();
        let month = crate::domain::report::Period::parse(&label, tz)
            .map_err(|m| AppError::Internal(anyhow::anyhow!("this month {label}: {m}")))?;
        let month_report = self.report_json(&month)?;
        Ok(Dashboard {
            breaches_today,
            soon,
            soon_hours: SOON_HOURS,
            tier2,
            month,
            month_report,
        })
    }

    /// A period's report as JSON (its figures, not the ticket sheet), for a page to show.
    pub fn report_json(
        &self,
        period: &crate::domain::report::Period,
    ) -> AppResult<serde_json::Value> {
        use crate::app::reports::Format;
        let out = self.report_for(period, Format::Json, &mut |_| {})?;
        let mut bytes = Vec::new();
        out.copy_to(self, &mut bytes)?;
        let mut v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("report JSON: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            o.remove("tickets");
        }
        Ok(v)
    }

    /// The names of users the caller has met on tickets it may see (assignees, authors).
    pub fn user_names(
        &self,
        ids: Vec<String>,
    ) -> AppResult<std::collections::HashMap<String, String>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        self.read(|conn| Ok(q::user_names(conn, &ids)?.into_iter().collect()))
    }

    /// Every organization's code and name, by id.
    pub fn organization_names(
        &self,
    ) -> AppResult<std::collections::HashMap<String, (String, String)>> {
        let mut out = std::collections::HashMap::new();
        let mut page = crate::app::PageAt {
            limit: 200,
            after: None,
        };
        loop {
            let p = self.organizations(None, &page)?;
            let last = p
                .items
                .last()
                .map(|o| (o.created_at.and_utc().timestamp_micros(), o.id.clone()));
            for o in p.items {
                out.insert(o.id, (o.code, o.name));
            }
            match (p.more, last) {
                (true, Some(l)) => page.after = Some(l),
                _ => return Ok(out),
            }
        }
    }
}
