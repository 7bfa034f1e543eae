//! `spbe-desk init --admin-email EMAIL`: idempotent first start.

use crate::app::{App, AppError};

/// Ensures the Dinas organization and the admin user exist; returns a new token.
pub fn run(
    app: &App,
    email: &str,
    name: &str,
    org_code: &str,
    org_name: &str,
) -> anyhow::Result<String> {
    app.init_admin(email, name, org_code, org_name)
        .map_err(|e| match e {
            // The field names are the command's own words; say them plainly.
            AppError::Invalid(errs) => anyhow::anyhow!(
                "{}",
                errs.iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => anyhow::anyhow!("{other}"),
        })
}
