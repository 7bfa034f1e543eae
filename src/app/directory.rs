//! Organizations, users and their API tokens, and who a token belongs to.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{
    double_option, new_id, record, require_admin, App, AppError, AppResult, PageAt, Paged,
};
use crate::db::models::{ApiToken, Organization, User};
use crate::db::queries::{audit, organizations, tokens, users};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::audit::Changes;
use crate::domain::scope::Actor;
use crate::domain::validate::Errors;
use crate::domain::{OrgKind, Role};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// Short unique code, A-Z 0-9 - _, e.g. `DISDUKCAPIL`.
    #[schema(schema_with = crate::domain::validate::schema::code)]
    pub code: String,
    #[schema(schema_with = crate::domain::validate::schema::name)]
    pub name: String,
    pub kind: OrgKind,
    /// For a Unit Kerja: the PD it belongs to.
    pub parent_id: Option<String>,
    /// The unit's official mailbox.
    #[schema(schema_with = crate::domain::validate::schema::email_or_null)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrganization {
    #[schema(schema_with = crate::domain::validate::schema::name_or_null)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schema::email_or_null)]
    pub email: Option<Option<String>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(schema_with = crate::domain::validate::schema::name)]
    pub name: String,
    /// Official (government) e-mail address; unique.
    #[schema(schema_with = crate::domain::validate::schema::email)]
    pub email: String,
    /// Nomor Induk Pegawai, 18 digits; unique when given.
    #[schema(schema_with = crate::domain::validate::schema::nip_or_null)]
    pub nip: Option<String>,
    pub organization_id: String,
    pub role: Role,
    /// Default true.
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[schema(schema_with = crate::domain::validate::schema::name_or_null)]
    pub name: Option<String>,
    #[schema(schema_with = crate::domain::validate::schema::email_or_null)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = crate::domain::validate::schema::nip_or_null)]
    pub nip: Option<Option<String>>,
    pub organization_id: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

pub const TOKEN_PREFIX: &str = "sdk_";

/// A new secret token: 32 random bytes, hex, with a recognisable prefix (so secret scanners
/// and operators can tell what it is).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How stale `last_used_at` may get before a request records its use; keeps
/// authentication a pure read on almost every request.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// Which kind of organization each role belongs to.
fn role_fits(role: Role, kind: &str) -> Result<(), String> {
    let need = match role {
        Role::Technician => Some(OrgKind::Pd),
        Role::Operator | Role::Supervisor => Some(OrgKind::Dinas),
        Role::Coordinator => Some(OrgKind::Coordination),
        Role::Auditor | Role::Admin => None,
    };
    match need {
        Some(k) if k.as_str() != kind => {
            Err(format!("a {role} belongs to an organization of kind {k}"))
        }
        _ => Ok(()),
    }
}

fn unique_user(err: diesel::result::Error) -> AppError {
    if is_unique_violation(&err) {
        AppError::Conflict("the e-mail address or NIP is already used by another user".into())
    } else {
        err.into()
    }
}

/// Admins, supervisors and auditors see every account; others see their own organization's
/// (colleagues to assign work to), not other PDs' staff data.
fn can_see_user(actor: &Actor, u: &User) -> bool {
    matches!(actor.role, Role::Admin | Role::Supervisor | Role::Auditor)
        || u.organization_id == actor.organization_id
        || u.id == actor.user_id
}

fn load_user(conn: &mut DbConn, actor: &Actor, id: &str) -> AppResult<User> {
    match users::get(conn, id)? {
        Some(u) if can_see_user(actor, &u) => Ok(u),
        _ => Err(AppError::NotFound(format!("no user {id}"))),
    }
}

fn may_manage_tokens(actor: &Actor, user_id: &str) -> AppResult<()> {
    if actor.role == Role::Admin || actor.user_id == user_id {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the user or an admin manages a user's tokens".into(),
        ))
    }
}

/// Inserts an organization after checking it, in the caller's transaction (the API, `init`
/// and `demo` share it). `actor_id` None: the installation itself.
pub(crate) fn insert_organization(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    input: &CreateOrganization,
    now: DateTime<Utc>,
) -> AppResult<Organization> {
    let mut e = Errors::new();
    let code = e.code("code", &input.code);
    let name = e.text("name", &input.name, crate::domain::validate::NAME);
    let email = input.email.as_deref().map(|v| e.email("email", v));
    if let Some(pid) = &input.parent_id {
        match organizations::get(conn, pid)? {
            None => e.add("parent_id", "no such organization"),
            Some(p) if p.kind != OrgKind::Pd.as_str() || p.parent_id.is_some() => e.add(
                "parent_id",
                "a Unit Kerja's parent must be a PD that is not itself a unit",
            ),
            Some(_) if input.kind != OrgKind::Pd => {
                e.add("parent_id", "only a PD (Unit Kerja) may have a parent")
            }
            Some(_) => {}
        }
    }
    e.finish()?;
    let n = now.naive_utc();
    let org = Organization {
        id: new_id(),
        code,
        name,
        kind: input.kind.as_str().into(),
        parent_id: input.parent_id.clone(),
        email,
        created_at: n,
        updated_at: n,
    };
    organizations::insert(conn, &org).map_err(|err| {
        if is_unique_violation(&err) {
            AppError::Conflict("the code is already used by another organization".into())
        } else {
            err.into()
        }
    })?;
    audit::created(
        conn,
        now,
        actor_id,
        "organization",
        &org.id,
        &record::organization(&org),
        &[],
    )?;
    Ok(org)
}

/// Inserts a user after checking it, in the caller's transaction.
pub(crate) fn insert_user(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    input: &CreateUser,
    now: DateTime<Utc>,
) -> AppResult<User> {
    let mut e = Errors::new();
    let name = e.text("name", &input.name, crate::domain::validate::NAME);
    let email = e.email("email", &input.email);
    let nip = input.nip.as_deref().map(|n| e.nip("nip", n));
    match organizations::get(conn, &input.organization_id)? {
        None => e.add("organization_id", "no such organization"),
        Some(o) => {
            if let Err(m) = role_fits(input.role, &o.kind) {
                e.add("role", m);
            }
        }
    }
    e.finish()?;
    let n = now.naive_utc();
    let user = User {
        id: new_id(),
        name,
        email,
        nip,
        organization_id: input.organization_id.clone(),
        role: input.role.as_str().into(),
        active: input.active.unwrap_or(true),
        created_at: n,
        updated_at: n,
    };
    users::insert(conn, &user).map_err(unique_user)?;
    audit::created(
        conn,
        now,
        actor_id,
        "user",
        &user.id,
        &record::user(&user),
        &[],
    )?;
    Ok(user)
}

/// Creates a token for `user_id` in the caller's transaction and returns the secret, which
/// is never stored.
pub(crate) fn issue_token(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    user_id: &str,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<(ApiToken, String)> {
    let secret = generate_token();
    let tok = ApiToken {
        id: new_id(),
        user_id: user_id.to_string(),
        token_hash: hash_token(&secret),
        label: label.to_string(),
        created_at: now.naive_utc(),
        last_used_at: None,
        revoked_at: None,
        issued_by: actor_id.map(str::to_string),
        expires_at: expires_at.map(|t| t.naive_utc()),
    };
    tokens::insert(conn, &tok)?;
    // Issued for someone else: the auditor sees who could act as whom (Makassar Ps 46(2)).
    let for_someone_else = actor_id.is_some_and(|a| a != user_id);
    user_event(
        conn,
        actor_id,
        user_id,
        "token_created",
        json!({
            "token_id": tok.id,
            "label": label,
            "issued_by": actor_id,
            "for_another_user": for_someone_else,
            "expires_at": expires_at,
        }),
        now,
    )?;
    Ok((tok, secret))
}

/// An event on a user's audit trail (their tokens, their console sign-ins).
pub(crate) fn user_event(
    conn: &mut DbConn,
    actor_id: Option<&str>,
    user_id: &str,
    action: &str,
    data: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id,
            entity_type: "user",
            entity_id: user_id,
            ticket_id: None,
            action,
            changes: &Changes::new(),
            data,
        },
    )?;
    Ok(())
}

/// Saves `after` with an audit event of what differs from `before`; false when nothing did.
fn save_audited<T>(
    conn: &mut DbConn,
    actor: &Actor,
    entity_type: &str,
    id: &str,
    changes: Changes,
    save: impl FnOnce(&mut DbConn) -> AppResult<T>,
    now: DateTime<Utc>,
) -> AppResult<Option<T>> {
    if changes.is_empty() {
        return Ok(None);
    }
    let saved = save(conn)?;
    audit::record(
        conn,
        audit::Record {
            at: now,
            actor_id: Some(&actor.user_id),
            entity_type,
            entity_id: id,
            ticket_id: None,
            action: "updated",
            changes: &changes,
            data: json!({}),
        },
    )?;
    Ok(Some(saved))
}

/// The actor an active user acts as: role and the organizations in its scope.
pub(crate) fn actor_of(conn: &mut DbConn, user: User) -> AppResult<Actor> {
    let Some(role) = Role::parse(&user.role) else {
        return Err(AppError::corrupt(
            "user",
            format!("{} has unknown role {}", user.id, user.role),
        ));
    };
    let mut scope_orgs = vec![user.organization_id.clone()];
    if role == Role::Technician {
        scope_orgs.extend(organizations::children(conn, &user.organization_id)?);
    }
    Ok(Actor {
        user_id: user.id,
        name: user.name,
        role,
        organization_id: user.organization_id,
        scope_orgs,
    })
}

/// Whether a use of the token at `now` is to be recorded (at most once a minute).
fn use_unrecorded(k: &known_tokens::Known, now: NaiveDateTime) -> bool {
    k.last_used_at.is_none_or(|t| t < now - TOUCH_EVERY)
}

impl App {
    /// Who a bearer token belongs to; None for an unknown or revoked token or an inactive
    /// user. Records the token's last use at most once a minute.
    /// A token resolved within the last second is believed without a read
    /// (`known_tokens`); this daemon's own changes to the directory take effect at once.
    pub fn authenticate(&self, token: &str) -> AppResult<Option<Actor>> {
        let now = self.now().naive_utc();
        let hash = hash_token(token);
        let known = match self.known_tokens.get(&hash, now) {
            Some(k) => k,
            None => {
                let generation = self.known_tokens.generation();
                let found = self.read(|conn| {
                    let Some((tok, user)) = tokens::find_active(conn, &hash, now)? else {
                        return Ok(None);
                    };
                    Ok(Some(known_tokens::Known {
                        actor: actor_of(conn, user)?,
                        token_id: tok.id,
                        expires_at: tok.expires_at,
                        last_used_at: tok.last_used_at,
                    }))
                })?;
                let Some(k) = found else {
                    return Ok(None);
                };
                self.known_tokens
                    .remember(hash.clone(), k.clone(), generation);
                k
            }
        };
        if use_unrecorded(&known, now) {
            self.write(|conn| {
                Ok(tokens::touch(
                    conn,
                    &known.token_id,
                    now,
                    now - TOUCH_EVERY,
                )?)
            })?;
            self.known_tokens.used(&hash, now);
        }
        Ok(Some(known.actor))
    }

    /// The actor of a token resolved within the last second whose use needs no recording:
    /// answered from memory, without a blocking call (None: ask `authenticate`).
    pub fn known_actor(&self, token: &str) -> Option<Actor> {
        let now = self.now().naive_utc();
        self.known_tokens
            .get(&hash_token(token), now)
            .filter(|k| !use_unrecorded(k, now))
            .map(|k| k.actor)
    }

    /// A write to users, tokens or organizations; what `authenticate` and the notices
    /// remembered is forgotten once it committed (or failed).
    fn write_directory<T>(&self, f: impl FnMut(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        let out = self.write(f);
        self.known_tokens.forget_all();
        self.recent_directory.forget_all();
        out
    }

    pub fn create_organization(
        &self,
        actor: &Actor,
        input: &CreateOrganization,
    ) -> AppResult<Organization> {
        require_admin(actor)?;
        self.write_directory(|conn| {
            insert_organization(conn, Some(&actor.user_id), input, self.now())
        })
    }

    pub fn organizations(
        &self,
        kind: Option<OrgKind>,
        page: &PageAt,
    ) -> AppResult<Paged<Organization>> {
        self.read(|conn| {
            let rows = organizations::page(conn, kind.map(OrgKind::as_str), page)?;
            Ok(Paged::of(rows, page))
        })
    }

    pub fn organization(&self, id: &str) -> AppResult<Organization> {
        self.read(|conn| {
            organizations::get(conn, id)?
                .ok_or_else(|| AppError::NotFound(format!("no organization {id}")))
        })
    }

    pub fn update_organization(
        &self,
        actor: &Actor,
        id: &str,
        p: &PatchOrganization,
    ) -> AppResult<Organization> {
        require_admin(actor)?;
        self.write_directory(|conn| {
            let now = self.now();
            let before = organizations::get(conn, id)?
                .ok_or_else(|| AppError::NotFound(format!("no organization {id}")))?;
            let mut o = before.clone();
            let mut e = Errors::new();
            if let Some(n) = &p.name {
                o.name = e.text("name", n, crate::domain::validate::NAME);
            }
            if let Some(m) = &p.email {
                o.email = m.as_deref().map(|v| e.email("email", v));
            }
            e.finish()?;
            let changes = Changes::diff(
                &record::organization(&before),
                &record::organization(&o),
                &["updated_at"],
            );
            o.updated_at = now.naive_utc();
            let saved = save_audited(
                conn,
                actor,
                "organization",
                &o.id,
                changes,
                |c| Ok(organizations::update(c, &o)?),
                now,
            )?;
            Ok(if saved.is_some() { o } else { before })
        })
    }

    pub fn create_user(&self, actor: &Actor, input: &CreateUser) -> AppResult<User> {
        require_admin(actor)?;
        self.write_directory(|conn| insert_user(conn, Some(&actor.user_id), input, self.now()))
    }

    /// The accounts the actor may see.
    pub fn users(
        &self,
        actor: &Actor,
        organization_id: Option<&str>,
        role: Option<Role>,
        page: &PageAt,
    ) -> AppResult<Paged<User>> {
        // can_see_user, as a filter the database applies before paging.
        let visible_to = (!matches!(actor.role, Role::Admin | Role::Supervisor | Role::Auditor))
            .then_some((actor.organization_id.as_str(), actor.user_id.as_str()));
        self.read(|conn| {
            let rows = users::page(
                conn,
                organization_id,
                role.map(Role::as_str),
                visible_to,
                page,
            )?;
            Ok(Paged::of(rows, page))
        })
    }

    pub fn user(&self, actor: &Actor, id: &str) -> AppResult<User> {
        self.read(|conn| load_user(conn, actor, id))
    }

    pub fn update_user(&self, actor: &Actor, id: &str, p: &PatchUser) -> AppResult<User> {
        require_admin(actor)?;
        self.write_directory(|conn| {
            let now = self.now();
            let before = load_user(conn, actor, id)?;
            let mut u = before.clone();
            let mut e = Errors::new();
            if let Some(v) = &p.name {
                u.name = e.text("name", v, crate::domain::validate::NAME);
            }
            if let Some(v) = &p.email {
                u.email = e.email("email", v);
            }
            if let Some(v) = &p.nip {
                u.nip = v.as_deref().map(|n| e.nip("nip", n));
            }
            if let Some(v) = &p.organization_id {
                u.organization_id = v.clone();
            }
            if let Some(r) = p.role {
                // Least privilege: nobody raises (or changes) their own role, not even an
                // admin; a second admin has to do it, and the trail shows who.
                if u.id == actor.user_id && r.as_str() != u.role {
                    return Err(AppError::Forbidden(
                        "nobody changes their own role; ask another administrator".into(),
                    ));
                }
                u.role = r.as_str().into();
            }
            if let Some(a) = p.active {
                if !a && u.id == actor.user_id {
                    e.add("active", "you cannot deactivate yourself");
                }
                u.active = a;
            }
            match (
                organizations::get(conn, &u.organization_id)?,
                Role::parse(&u.role),
            ) {
                (None, _) => e.add("organization_id", "no such organization"),
                (Some(o), Some(r)) => {
                    if let Err(m) = role_fits(r, &o.kind) {
                        e.add("role", m);
                    }
                }
                (Some(_), None) => e.add("role", "unknown role"),
            }
            e.finish()?;
            let changes = Changes::diff(&record::user(&before), &record::user(&u), &["updated_at"]);
            u.updated_at = now.naive_utc();
            let saved = save_audited(
                conn,
                actor,
                "user",
                &u.id,
                changes,
                |c| users::update(c, &u).map_err(unique_user),
                now,
            )?;
            Ok(if saved.is_some() { u } else { before })
        })
    }

    /// When a token issued now with `expires_in_days` expires, under `http.token_max_days`.
    fn token_expiry(&self, e: &mut Errors, expires_in_days: Option<u32>) -> Option<DateTime<Utc>> {
        let max = self.settings.http.token_max_days;
        let days = match (expires_in_days, max) {
            (Some(d), _) if !(1..=3650).contains(&d) => {
                e.add("expires_in_days", "must be 1 to 3650");
                return None;
            }
            (Some(d), m) if m > 0 && d > m => {
                e.add(
                    "expires_in_days",
                    format!("must be at most {m} (http.token_max_days)"),
                );
                return None;
            }
            (Some(d), _) => d,
            (None, 0) => return None,
            (None, m) => m,
        };
        Some(self.now() + chrono::Duration::days(i64::from(days)))
    }

    /// Issues a token for a user (the user or an admin); returns the secret once.
    pub fn create_token(
        &self,
        actor: &Actor,
        user_id: &str,
        label: Option<&str>,
        expires_in_days: Option<u32>,
    ) -> AppResult<(ApiToken, String)> {
        may_manage_tokens(actor, user_id)?;
        let mut e = Errors::new();
        let label = e.text(
            "label",
            label.unwrap_or("api"),
            crate::domain::validate::LABEL,
        );
        let expires_at = self.token_expiry(&mut e, expires_in_days);
        e.finish()?;
        self.write_directory(|conn| {
            let u = load_user(conn, actor, user_id)?;
            if !u.active {
                return Err(AppError::Conflict("the user is inactive".into()));
            }
            issue_token(
                conn,
                Some(&actor.user_id),
                &u.id,
                &label,
                expires_at,
                self.now(),
            )
        })
    }

    /// Replaces a live token by a new one with the same label and lifetime, revoking the
    /// old one in the same transaction; returns the new secret once.
    pub fn rotate_token(
        &self,
        actor: &Actor,
        user_id: &str,
        token_id: &str,
    ) -> AppResult<(ApiToken, String)> {
        may_manage_tokens(actor, user_id)?;
        self.write_directory(|conn| {
            let now = self.now();
            let old = match tokens::get(conn, token_id)? {
                Some(t) if t.user_id == user_id => t,
                _ => {
                    return Err(AppError::NotFound(format!(
                        "no token {token_id} for user {user_id}"
                    )))
                }
            };
            if old.revoked_at.is_some() || old.expires_at.is_some_and(|x| x <= now.naive_utc()) {
                return Err(AppError::Conflict(
                    "the token is revoked or expired; issue a new one instead".into(),
                ));
            }
            let lifetime = old.expires_at.map(|x| x - old.created_at);
            if tokens::revoke(conn, &old.id, now.naive_utc())? != 1 {
                return Err(AppError::Conflict("the token was revoked meanwhile".into()));
            }
            let (new, secret) = issue_token(
                conn,
                Some(&actor.user_id),
                user_id,
                &old.label,
                lifetime.map(|l| now + l),
                now,
            )?;
            user_event(
                conn,
                Some(&actor.user_id),
                user_id,
                "token_rotated",
                json!({ "old_token_id": old.id, "new_token_id": new.id }),
                now,
            )?;
            Ok((new, secret))
        })
    }

    /// A user's audit trail (role changes, tokens issued, rotated and revoked, and by whom):
    /// for the auditor and the admins, and the user themself.
    pub fn user_events(
        &self,
        actor: &Actor,
        id: &str,
        page: &PageAt,
    ) -> AppResult<Paged<crate::db::models::AuditEvent>> {
        if !matches!(actor.role, Role::Admin | Role::Auditor) && actor.user_id != id {
            return Err(AppError::Forbidden(
                "a user's audit trail is for the auditor, the admins and the user".into(),
            ));
        }
        self.read(|conn| {
            let u = load_user(conn, actor, id)?;
            Ok(Paged::of(
                audit::page_for_entity(conn, "user", &u.id, page)?,
                page,
            ))
        })
    }

    pub fn tokens(&self, actor: &Actor, user_id: &str) -> AppResult<Vec<ApiToken>> {
        may_manage_tokens(actor, user_id)?;
        self.read(|conn| Ok(tokens::list_for_user(conn, user_id)?))
    }

    pub fn revoke_token(&self, actor: &Actor, user_id: &str, token_id: &str) -> AppResult<()> {
        may_manage_tokens(actor, user_id)?;
        self.write_directory(|conn| {
            let now = self.now();
            match tokens::get(conn, token_id)? {
                Some(t) if t.user_id == user_id => {
                    if tokens::revoke(conn, token_id, now.naive_utc())? == 1 {
                        user_event(
                            conn,
                            Some(&actor.user_id),
                            user_id,
                            "token_revoked",
                            json!({ "token_id": token_id }),
                            now,
                        )?;
                    }
                    Ok(())
                }
                _ => Err(AppError::NotFound(format!(
                    "no token {token_id} for user {user_id}"
                ))),
            }
        })
    }

    /// `spbe-desk init`: makes sure the Dinas organization and an active admin exist, and
    /// issues a new token for the admin (the installation acts, no user).
    pub fn init_admin(
        &self,
        email: &str,
        name: &str,
        org_code: &str,
        org_name: &str,
    ) -> AppResult<String> {
        let email_norm = email.trim().to_ascii_lowercase();
        self.write_directory(|conn| {
            let now = self.now();
            let org = match organizations::by_code(conn, org_code)? {
                Some(o) => o,
                None => insert_organization(
                    conn,
                    None,
                    &CreateOrganization {
                        code: org_code.into(),
                        name: org_name.into(),
                        kind: OrgKind::Dinas,
                        parent_id: None,
                        email: None,
                    },
                    now,
                )?,
            };
            let user = match users::by_email(conn, &email_norm)? {
                Some(u) if u.role == Role::Admin.as_str() && u.active => u,
                Some(_) => {
                    return Err(AppError::Conflict(format!(
                        "{email_norm} exists but is not an active admin; change it through the API"
                    )))
                }
                None => insert_user(
                    conn,
                    None,
                    &CreateUser {
                        name: name.into(),
                        email: email_norm.clone(),
                        nip: None,
                        organization_id: org.id,
                        role: Role::Admin,
                        active: Some(true),
                    },
                    now,
                )?,
            };
            let (_, secret) = issue_token(conn, None, &user.id, "init", None, now)?;
            Ok(secret)
        })
    }
}

mod known_tokens;
pub use known_tokens::{KnownTokens, FRESH_FOR};

#[cfg(test)]
mod tests;
