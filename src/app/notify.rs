//! Notices by e-mail: what a ticket change tells whom, written to the outbox in the same
//! transaction as the change (so a notice exists exactly when its change does), and the
//! outbox use cases: the worker's claims and results, the admin's list and retries.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;

use super::directory::FRESH_FOR;
use super::sla::SlaState;
use super::{new_id, require_admin, App, AppError, AppResult};
use crate::config::MailLanguage;
use crate::db::models::{Organization, OutboxRow, Service, Ticket, User};
use crate::db::queries::outbox::{self as q, OutboxFilter};
use crate::db::queries::{organizations, services, users};
use crate::db::DbConn;
use crate::domain::scope::Actor;
use crate::domain::{Classification, Criticality, OrgKind, Role};
use crate::mail::{domain_of, format_instant, EVENTS};

/// What one outbox message is made of (`App::outbox_row` fills in the rest).
pub(crate) struct NewMessage<'a> {
    pub ticket_id: Option<String>,
    pub event: &'a str,
    /// What the message is about (an audit event, a report period, a sign-in link); one
    /// message per source and recipient.
    pub source_id: String,
    pub recipient: String,
    pub rendered: &'a crate::mail::Rendered,
    pub thread_id: Option<String>,
    /// Whether the address is staff's (the official-mail rule applies).
    pub staff: bool,
    pub not_before: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub attachment: Option<String>,
}

/// One thing that happened to a ticket that may notify: the mail event, the audit event
/// that recorded it, and that event's data.
pub(crate) struct Happened {
    pub event: &'static str,
    pub audit_id: String,
    pub data: Value,
}

impl Happened {
    /// The mail event an audit action maps to, if it notifies at all.
    pub(crate) fn from_audit(action: &str, audit_id: String, data: Value) -> Option<Happened> {
        let event = EVENTS.iter().find(|e| **e == action).copied()?;
        // A comment notifies only when the reporter may read it and did not write it.
        if event == "commented"
            && (data["visibility"] != "public" || data["from_reporter"] == Value::Bool(true))
        {
            return None;
        }
        Some(Happened {
            event,
            audit_id,
            data,
        })
    }
}

#[derive(Serialize)]
struct TicketContext {
    number: String,
    /// Null for a restricted ticket, like the description and the resolution.
    title: Option<String>,
    description: Option<String>,
    resolution: Option<String>,
    status: String,
    priority: String,
    tier: i32,
    organization: String,
    service: Option<String>,
    critical_service: bool,
    restricted: bool,
    /// The nearest running deadline, written for people in the calendar's zone.
    due: Option<String>,
    url: String,
}

#[derive(Serialize, Default)]
struct EventContext {
    at: Option<String>,
    mode: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    comment: Option<String>,
    target_label: Option<String>,
    pending_label: Option<String>,
    due: Option<String>,
}

#[derive(Serialize)]
struct Context {
    ticket: TicketContext,
    event: EventContext,
}

fn target_label(lang: MailLanguage, target: &str) -> String {
    let (id, en) = match target {
        "response" => ("respons", "response"),
        "escalation" => ("penanganan Tier 1", "Tier 1"),
        "resolution" => ("penyelesaian", "resolution"),
        "tier2_resolution" => ("penyelesaian Tier 2", "Tier 2 resolution"),
        other => (other, other),
    };
    match lang {
        MailLanguage::Id => id.into(),
        MailLanguage::En => en.into(),
    }
}

fn pending_label(lang: MailLanguage, reason: &str) -> String {
    let (id, en) = match reason {
        "waiting_for_reporter" => ("tanggapan dari pelapor", "a reply from the reporter"),
        "waiting_for_vendor" => ("tindakan vendor", "the vendor"),
        "waiting_for_third_party" => ("tindakan pihak ketiga", "a third party"),
        "waiting_for_schedule" => ("jadwal yang disepakati", "the agreed schedule"),
        other => (other, other),
    };
    match lang {
        MailLanguage::Id => id.into(),
        MailLanguage::En => en.into(),
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// What notices look up about recipients (people of a role, mailboxes, organizations,
/// services, users), remembered for the length of one scheduler batch: the batch's tickets
/// mostly share them, and one transaction sees one state of them. About twenty of the
/// statements an escalation sent were these same look-ups, ticket after ticket.
#[derive(Default)]
struct Lookups {
    people: HashMap<(Option<String>, Role), Vec<String>>,
    mailboxes: HashMap<OrgKind, Vec<String>>,
    organizations: HashMap<String, Option<Organization>>,
    services: HashMap<String, Option<Service>>,
    users: HashMap<String, Option<User>>,
    /// Participants' addresses by ticket.
    participants: HashMap<String, Vec<String>>,
    /// The daemon's recent answers about the directory, and their generation when this
    /// batch began.
    shared: Option<(Arc<RecentDirectory>, u64)>,
}

/// This daemon's answers about the directory (people of a role, mailboxes, organizations,
/// users) of the last [`FRESH_FOR`], shared by its batches: every creation's notices asked
/// the same three or four questions again, each a round trip on PostgreSQL. This daemon's
/// own changes to the directory forget them after they commit (`App::write_directory`);
/// another process's take effect within [`FRESH_FOR`], as they do for tokens. A batch
/// files nothing if the directory changed after it began (the generation), so an answer
/// read before a change is never kept past it.
pub struct RecentDirectory {
    inner: Mutex<Recent>,
    fresh_for: Duration,
}

impl Default for RecentDirectory {
    fn default() -> Self {
        Self::fresh_for(FRESH_FOR)
    }
}

#[derive(Default)]
struct Recent {
    generation: u64,
    /// When the oldest answer kept was read; all go together when it is too old.
    since: Option<Instant>,
    answers: Lookups,
}

impl RecentDirectory {
    pub fn fresh_for(fresh_for: Duration) -> Self {
        Self {
            inner: Mutex::default(),
            fresh_for,
        }
    }

    fn fresh(&self, r: &Recent) -> bool {
        r.since.is_some_and(|t| t.elapsed() < self.fresh_for)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent> {
        // The maps hold no invariant a panicking holder could have broken.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets every answer: call after a change to users or organizations commits.
    pub fn forget_all(&self) {
        let mut r = self.lock();
        r.generation += 1;
        r.since = None;
        r.answers = Lookups::default();
    }

    fn get<K: Hash + Eq, V: Clone>(
        &self,
        table: fn(&mut Lookups) -> &mut HashMap<K, V>,
        key: &K,
    ) -> Option<V> {
        let mut r = self.lock();
        if !self.fresh(&r) {
            return None;
        }
        table(&mut r.answers).get(key).cloned()
    }

    fn remember<K: Hash + Eq, V>(
        &self,
        table: fn(&mut Lookups) -> &mut HashMap<K, V>,
        key: K,
        value: V,
        generation: u64,
    ) {
        let mut r = self.lock();
        if r.generation != generation {
            return;
        }
        if !self.fresh(&r) {
            r.since = Some(Instant::now());
            r.answers = Lookups::default();
        }
        table(&mut r.answers).insert(key, value);
    }
}

thread_local! {
    static LOOKUPS: RefCell<Option<Lookups>> = const { RefCell::new(None) };
}

/// Remembers look-ups on this thread until dropped. Begin one per transaction (a retried
/// transaction begins a new one), and only where the transaction changes no user,
/// organization or service.
pub(crate) struct BatchLookups(());

impl BatchLookups {
    /// Begins a batch that also asks, and tells, this daemon's recent answers about the
    /// directory.
    pub(crate) fn begin(recent: &Arc<RecentDirectory>) -> BatchLookups {
        let generation = recent.lock().generation;
        let lookups = Lookups {
            shared: Some((Arc::clone(recent), generation)),
            ..Lookups::default()
        };
        LOOKUPS.with(|l| *l.borrow_mut() = Some(lookups));
        BatchLookups(())
    }

    /// Reads the participants of all of `ticket_ids` in one go, for the notices of a batch
    /// that changes those tickets and no participant.
    pub(crate) fn participants_of(&self, conn: &mut DbConn, ticket_ids: &[&str]) -> AppResult<()> {
        let mut by_ticket: HashMap<String, Vec<String>> = ticket_ids
            .iter()
            .map(|id| (id.to_string(), Vec::new()))
            .collect();
        for p in crate::db::queries::participants::list_many(conn, ticket_ids)? {
            by_ticket.entry(p.ticket_id).or_default().push(p.email);
        }
        LOOKUPS.with(|l| {
            if let Some(lk) = l.borrow_mut().as_mut() {
                lk.participants.extend(by_ticket);
            }
        });
        Ok(())
    }

    /// A ticket not written yet has no participants: nothing to read.
    pub(crate) fn no_participants(&self, ticket_id: &str) {
        LOOKUPS.with(|l| {
            if let Some(lk) = l.borrow_mut().as_mut() {
                lk.participants.insert(ticket_id.to_string(), Vec::new());
            }
        });
    }
}

impl Drop for BatchLookups {
    fn drop(&mut self) {
        LOOKUPS.with(|l| *l.borrow_mut() = None);
    }
}

/// `load`, or what it gave before in this batch, or (`Shared::Yes`, for what only the
/// directory's writes change) what this daemon read of it a moment ago.
fn remembered<K, V>(
    table: fn(&mut Lookups) -> &mut HashMap<K, V>,
    shared: Shared,
    key: K,
    load: impl FnOnce() -> AppResult<V>,
) -> AppResult<V>
where
    K: Hash + Eq + Clone,
    V: Clone,
{
    let hit = LOOKUPS.with(|l| {
        l.borrow_mut().as_mut().map(|lk| {
            if let Some(v) = table(lk).get(&key) {
                return Some(v.clone());
            }
            let recent = match (&lk.shared, shared) {
                (Some((recent, _)), Shared::Yes) => recent.get(table, &key),
                _ => None,
            };
            if let Some(v) = &recent {
                table(lk).insert(key.clone(), v.clone());
            }
            recent
        })
    });
    match hit {
        Some(Some(v)) => Ok(v),
        Some(None) => {
            let v = load()?;
            LOOKUPS.with(|l| {
                if let Some(lk) = l.borrow_mut().as_mut() {
                    if let (Some((recent, generation)), Shared::Yes) = (&lk.shared, shared) {
                        recent.remember(table, key.clone(), v.clone(), *generation);
                    }
                    table(lk).insert(key, v.clone());
                }
            });
            Ok(v)
        }
        None => load(),
    }
}

/// Whether an answer may come from, and go to, [`RecentDirectory`].
#[derive(Clone, Copy)]
enum Shared {
    Yes,
    No,
}

/// Active users of a role, optionally of one organization.
fn people(conn: &mut DbConn, org: Option<&str>, role: Role) -> AppResult<Vec<String>> {
    remembered(
        |l| &mut l.people,
        Shared::Yes,
        (org.map(str::to_string), role),
        || {
            Ok(users::list(conn, org, Some(role.as_str()))?
                .into_iter()
                .filter(|u| u.active)
                .map(|u| u.email)
                .collect())
        },
    )
}

pub(crate) fn mailboxes(conn: &mut DbConn, kind: OrgKind) -> AppResult<Vec<String>> {
    remembered(
        |l| &mut l.mailboxes,
        Shared::Yes,
        kind,
        || {
            Ok(organizations::list(conn, Some(kind.as_str()))?
                .into_iter()
                .filter_map(|o| o.email)
                .collect())
        },
    )
}

/// An organization, remembered within a [`BatchLookups`] (creation reads the owning PD to
/// check it, and its notices read it again).
pub(crate) fn organization(conn: &mut DbConn, id: &str) -> AppResult<Option<Organization>> {
    remembered(
        |l| &mut l.organizations,
        Shared::Yes,
        id.to_string(),
        || Ok(organizations::get(conn, id)?),
    )
}

/// A service, remembered within a [`BatchLookups`].
pub(crate) fn service(conn: &mut DbConn, id: &str) -> AppResult<Option<Service>> {
    remembered(
        |l| &mut l.services,
        // The catalogue's writes do not forget the directory's answers.
        Shared::No,
        id.to_string(),
        || Ok(services::get(conn, id)?),
    )
}

fn participants(conn: &mut DbConn, ticket_id: &str) -> AppResult<Vec<String>> {
    remembered(
        |l| &mut l.participants,
        Shared::No,
        ticket_id.to_string(),
        || {
            Ok(crate::db::queries::participants::list(conn, ticket_id)?
                .into_iter()
                .map(|p| p.email)
                .collect())
        },
    )
}

fn user(conn: &mut DbConn, id: &str) -> AppResult<Option<User>> {
    remembered(
        |l| &mut l.users,
        Shared::Yes,
        id.to_string(),
        || Ok(users::get(conn, id)?),
    )
}

impl App {
    /// Queues the notices for what just happened to `t`, in the caller's transaction.
    /// `actor`'s own address is left out: nobody is told of what they did themselves.
    pub(crate) fn enqueue_notices(
        &self,
        conn: &mut DbConn,
        t: &Ticket,
        sla: Option<&SlaState>,
        actor: Option<&Actor>,
        happened: Vec<Happened>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let rows = self.notices(conn, t, sla, actor, happened, now)?;
        q::insert(conn, &rows)?;
        Ok(())
    }

    /// Reads what the notices of `events` on `t` will look up (its organization and
    /// service, the actor, the recipients), so that within a [`BatchLookups`] a write that
    /// follows finds them remembered. Only what those look-ups read of `t` need be final.
    pub(crate) fn prefetch_notices(
        &self,
        conn: &mut DbConn,
        t: &Ticket,
        actor: Option<&Actor>,
        events: &[&str],
    ) -> AppResult<()> {
        organization(conn, &t.organization_id)?;
        let critical = match &t.service_id {
            Some(id) => {
                service(conn, id)?.is_some_and(|s| s.criticality == Criticality::Critical.as_str())
            }
            None => false,
        };
        if let Some(a) = actor {
            user(conn, &a.user_id)?;
        }
        let mut participants = None;
        for event in events {
            self.recipients(conn, t, event, critical, &mut participants)?;
        }
        Ok(())
    }

    /// The outbox rows `enqueue_notices` writes, for a caller that writes many tickets'
    /// notices together.
    pub(crate) fn notices(
        &self,
        conn: &mut DbConn,
        t: &Ticket,
        sla: Option<&SlaState>,
        actor: Option<&Actor>,
        happened: Vec<Happened>,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<OutboxRow>> {
        if happened.is_empty() {
            return Ok(Vec::new());
        }
        let lang = self.settings.mail.language;
        let tz = sla.map_or(self.ticket_tz, |s| s.context.calendar.timezone());
        let restricted = Classification::parse(&t.classification) != Some(Classification::Normal);
        let org = organization(conn, &t.organization_id)?;
        let service = match &t.service_id {
            Some(id) => service(conn, id)?,
            None => None,
        };
        let critical = service
            .as_ref()
            .is_some_and(|s| s.criticality == Criticality::Critical.as_str());
        let due = sla.and_then(|s| {
            s.targets
                .targets
                .iter()
                .filter(|x| x.is_active())
                .filter_map(|x| x.due_at(&s.context.calendar))
                .min()
        });
        let ticket = TicketContext {
            number: t.number.clone(),
            title: (!restricted).then(|| t.title.clone()),
            description: (!restricted && !t.description.is_empty()).then(|| t.description.clone()),
            resolution: if restricted {
                None
            } else {
                t.resolution.clone()
            },
            status: t.status.clone(),
            priority: t.priority.clone(),
            tier: t.tier,
            organization: org.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            service: service.as_ref().map(|s| s.name.clone()),
            critical_service: critical,
            restricted,
            due: due.map(|d| format_instant(lang, tz, d)),
            // People open the console's page of the ticket; without the console, the API's.
            url: format!(
                "{}/{}/{}",
                self.settings.mail.desk_url.trim_end_matches('/'),
                if self.settings.console.enabled {
                    "console/tickets"
                } else {
                    "api/v1/tickets"
                },
                t.number
            ),
        };
        let from_domain = domain_of(&self.settings.mail.from).to_string();
        let thread = format!("ticket.{}@{from_domain}", t.id);
        let own = actor.and_then(|a| user(conn, &a.user_id).ok().flatten());
        let mut ctx = Context {
            ticket,
            event: EventContext::default(),
        };
        let mut rows = Vec::new();
        // A change's notices go to the same participants: read them once, if at all.
        let mut participants = None;
        for h in happened {
            let d = &h.data;
            ctx.event = EventContext {
                at: d["at"]
                    .as_str()
                    .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                    .or(Some(now))
                    .map(|x| format_instant(lang, tz, x)),
                mode: text(&d["mode"]),
                reason: text(&d["reason"]),
                note: text(&d["note"]),
                comment: (!restricted).then(|| text(&d["body"])).flatten(),
                target_label: d["target"].as_str().map(|x| target_label(lang, x)),
                pending_label: t.pending_reason.as_deref().map(|r| pending_label(lang, r)),
                due: ctx.ticket.due.clone(),
            };
            // Address -> whether only staff roles named it (the allow-list applies to staff;
            // reporters and participants may be anywhere).
            let mut recipients: BTreeMap<String, bool> = BTreeMap::new();
            for (address, staff) in
                self.recipients(conn, t, h.event, critical, &mut participants)?
            {
                let address = address.trim().to_ascii_lowercase();
                if address.is_empty()
                    || own
                        .as_ref()
                        .is_some_and(|u| u.email.to_ascii_lowercase() == address)
                {
                    continue;
                }
                let only_staff = recipients.entry(address).or_insert(staff);
                *only_staff &= staff;
            }
            if recipients.is_empty() {
                continue;
            }
            let rendered = self.mail.render(h.event, &ctx).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("mail template {}: {e:#}", h.event))
            })?;
            // A notice that may wait goes out at the next working instant of the ticket's
            // calendar; a critical one never waits (the flag is never set for it).
            let not_before = match (d["may_wait_for_working_hours"].as_bool(), sla) {
                (Some(true), Some(s)) => {
                    s.context.calendar.next_working_instant(now).unwrap_or(now)
                }
                _ => now,
            };
            for (r, staff) in recipients {
                rows.push(self.outbox_row(NewMessage {
                    ticket_id: Some(t.id.clone()),
                    event: h.event,
                    source_id: h.audit_id.clone(),
                    recipient: r,
                    rendered: &rendered,
                    thread_id: Some(thread.clone()),
                    staff,
                    not_before,
                    now,
                    attachment: None,
                }));
            }
        }
        Ok(rows)
    }

    /// A message for the outbox, queued for `not_before`; one to a staff address outside
    /// `mail.staff_domains` is recorded as refused (dead), never dropped.
    pub(crate) fn outbox_row(&self, m: NewMessage<'_>) -> OutboxRow {
        let from_domain = domain_of(&self.settings.mail.from);
        let id = new_id();
        let refused = (m.staff && !self.allowed_staff_address(&m.recipient)).then(|| {
            format!(
                "refused: {} is outside mail.staff_domains (official mail only)",
                m.recipient
            )
        });
        OutboxRow {
            message_id: format!("{id}@{from_domain}"),
            id,
            ticket_id: m.ticket_id,
            event: m.event.to_string(),
            source_id: m.source_id,
            recipient: m.recipient,
            subject: m.rendered.subject.clone(),
            body_text: m.rendered.text.clone(),
            body_html: m.rendered.html.clone(),
            thread_id: m.thread_id,
            status: if refused.is_some() {
                q::DEAD
            } else {
                q::QUEUED
            }
            .into(),
            attempts: 0,
            not_before: m.not_before.naive_utc(),
            next_attempt_at: m.not_before.naive_utc(),
            lease_owner: None,
            lease_until: None,
            last_error: refused,
            created_at: m.now.naive_utc(),
            sent_at: None,
            attachment: m.attachment,
        }
    }

    /// Whether a staff address is in `mail.staff_domains` (always, when that list is empty).
    pub(crate) fn allowed_staff_address(&self, address: &str) -> bool {
        let domains = &self.settings.mail.staff_domains;
        domains.is_empty()
            || address.rsplit_once('@').is_some_and(|(_, d)| {
                domains
                    .iter()
                    .any(|allowed| d.eq_ignore_ascii_case(allowed))
            })
    }

    /// The addresses `mail.recipients` names for `event` on `t`, each with whether it is a
    /// staff address (not the reporter's or a participant's). `participants` keeps the
    /// ticket's participants once read.
    fn recipients(
        &self,
        conn: &mut DbConn,
        t: &Ticket,
        event: &str,
        critical: bool,
        participants: &mut Option<Vec<String>>,
    ) -> AppResult<Vec<(String, bool)>> {
        let Some(roles) = self.settings.mail.recipients.get(event) else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        let mut outsiders = Vec::new();
        let assignee = match &t.assignee_id {
            Some(id) => user(conn, id)?.filter(|u| u.active).map(|u| u.email),
            None => None,
        };
        for role in roles {
            let tier_people = |conn: &mut DbConn| {
                if t.tier >= 2 {
                    people(conn, None, Role::Operator)
                } else {
                    people(conn, Some(&t.organization_id), Role::Technician)
                }
            };
            match role.as_str() {
                "reporter" => outsiders.extend(t.reporter_email.clone()),
                "participants" => {
                    if participants.is_none() {
                        *participants = Some(self::participants(conn, &t.id)?);
                    }
                    outsiders.extend(participants.iter().flatten().cloned());
                }
                "assignee" => out.extend(assignee.clone()),
                "assignee_or_tier" => match &assignee {
                    Some(a) => out.push(a.clone()),
                    None => out.extend(tier_people(conn)?),
                },
                "tier_people" => out.extend(tier_people(conn)?),
                "pd_mailbox" => {
                    out.extend(organization(conn, &t.organization_id)?.and_then(|o| o.email))
                }
                "pd_technicians" => {
                    out.extend(people(conn, Some(&t.organization_id), Role::Technician)?)
                }
                "dinas_mailbox" => out.extend(mailboxes(conn, OrgKind::Dinas)?),
                "operators" => out.extend(people(conn, None, Role::Operator)?),
                "supervisors" => out.extend(people(conn, None, Role::Supervisor)?),
                "coordination_mailbox" if critical => {
                    out.extend(mailboxes(conn, OrgKind::Coordination)?)
                }
                _ => {}
            }
        }
        Ok(out
            .into_iter()
            .map(|a| (a, true))
            .chain(outsiders.into_iter().map(|a| (a, false)))
            .collect())
    }

    /// Claims due outbox rows for this daemon's worker.
    pub fn claim_outbox(&self, owner: &str, limit: i64) -> AppResult<Vec<OutboxRow>> {
        let now = self.now();
        let until = now + TimeDelta::seconds(self.settings.mail.lease_seconds);
        self.write(|conn| {
            Ok(crate::db::claim_outbox(
                conn,
                owner,
                now.naive_utc(),
                until.naive_utc(),
                limit,
            )?)
        })
    }

    /// Records that a row was handed to the mail server.
    pub fn outbox_sent(&self, id: &str) -> AppResult<()> {
        let now = self.now().naive_utc();
        self.write(|conn| q::mark_sent(conn, id, now).map(|_| ()).map_err(Into::into))
    }

    /// Records a failed attempt: retried after an exponential, jittered delay, or parked as
    /// dead when the answer was permanent or the attempts are spent.
    pub fn outbox_failed(
        &self,
        row: &OutboxRow,
        owner: &str,
        error: &str,
        permanent: bool,
    ) -> AppResult<()> {
        let m = &self.settings.mail;
        let attempt = row.attempts + 1;
        let retry_at = (!permanent && attempt < m.max_attempts).then(|| {
            use rand::Rng;
            let base = m
                .retry_base_seconds
                .saturating_mul(1 << (attempt - 1).min(20));
            let jitter = rand::thread_rng().gen_range(0..=base / 2);
            (self.now() + TimeDelta::seconds(base + jitter)).naive_utc()
        });
        self.write(|conn| {
            q::mark_failed(conn, &row.id, owner, error, retry_at)
                .map(|_| ())
                .map_err(Into::into)
        })
    }

    /// The outbox for the admin, newest first.
    pub fn outbox(&self, actor: &Actor, filter: &OutboxFilter) -> AppResult<Vec<OutboxRow>> {
        require_admin(actor)?;
        self.read(|conn| Ok(q::list(conn, filter)?))
    }

    /// Rows by status (queued, sent, dead).
    pub fn outbox_counts(&self) -> AppResult<Vec<(String, i64)>> {
        self.read(|conn| Ok(q::counts(conn)?))
    }

    /// Sends a dead row again (or every dead row): back in the queue, due now. Returns how
    /// many rows were requeued.
    pub fn retry_outbox(&self, actor: Option<&Actor>, id: Option<&str>) -> AppResult<usize> {
        if let Some(a) = actor {
            require_admin(a)?;
        }
        let now = self.now().naive_utc();
        self.write(|conn| {
            if let Some(id) = id {
                match q::get(conn, id)? {
                    None => return Err(AppError::NotFound(format!("no outbox message {id}"))),
                    Some(r) if r.status != q::DEAD => {
                        return Err(AppError::Conflict(format!(
                            "only a dead message is retried; this one is {}",
                            r.status
                        )))
                    }
                    Some(_) => {}
                }
            }
            Ok(q::requeue(conn, id, now)?)
        })
    }
}

#[cfg(test)]
mod tests;
