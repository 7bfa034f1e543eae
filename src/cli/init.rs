//! `spbe-desk init --admin-email EMAIL`: idempotent first start.

use chrono::{DateTime, Utc};

use crate::db::queries::{organizations, users};
use crate::db::Db;
use crate::domain::{OrgKind, Role};
use crate::error::ApiError;
use crate::routes::{organizations as org_routes, users as user_routes};

/// Ensures the Dinas organization and the admin user exist; returns a new token.
pub fn run(
    db: &Db,
    email: &str,
    name: &str,
    org_code: &str,
    org_name: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let email_norm = email.trim().to_ascii_lowercase();
    let result: Result<String, ApiError> = db.write(|conn| {
        let org = match organizations::by_code(conn, org_code)? {
            Some(o) => o,
            None => org_routes::insert_checked(
                conn,
                None,
                &org_routes::CreateOrganization {
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
                return Err(ApiError::Conflict(format!(
                    "{email_norm} exists but is not an active admin; change it through the API"
                )))
            }
            None => user_routes::insert_checked(
                conn,
                None,
                &user_routes::CreateUser {
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
        let (_, secret) = user_routes::issue_token(conn, None, &user.id, "init", now)?;
        Ok(secret)
    });
    result.map_err(|e| match e {
        ApiError::Validation(errs) => anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    })
}
