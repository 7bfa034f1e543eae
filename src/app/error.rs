//! The service layer's error: what went wrong in terms of the use case, never of HTTP. The
//! HTTP layer maps it to a status and problem+json in one place (`routes::error`), the CLI
//! prints it, the jobs log it.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbError;
use crate::domain::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid input: {}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// The state of the record does not allow the change (stale version, state machine).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A write needs the version the caller read, and none was sent.
    #[error("version required: {0}")]
    VersionRequired(String),
    /// The database is unreachable or too contended right now; the same request may work
    /// shortly.
    #[error("busy: {0}")]
    Busy(String),
    /// A database error the use case did not expect. Kept as the diesel error so that the
    /// transaction runner can tell a retryable one (serialization failure, deadlock, a
    /// concurrent duplicate) from a real fault.
    #[error("database: {0}")]
    Db(DieselError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

fn describe(errs: &[FieldError]) -> String {
    errs.iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Data in the database that the code cannot read back: a fault, never the caller's.
    pub fn corrupt(what: &str, e: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow::anyhow!("stored {what} is invalid: {e}"))
    }

    /// Whether running the same transaction again may succeed: another writer got in the
    /// way (PostgreSQL serialization failure or deadlock, SQLite busy, or a concurrent insert
    /// of the same unique key that a fresh read will see).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            AppError::Db(e) => transient(e).is_some(),
            _ => false,
        }
    }

    /// What a transient error becomes once the retries are spent.
    pub(crate) fn exhausted(self) -> Self {
        match &self {
            AppError::Db(e) => match transient(e) {
                Some(Transient::Duplicate) => AppError::Conflict(
                    "another request changed the same record at the same moment; reload and retry"
                        .into(),
                ),
                Some(Transient::Contention) => AppError::Busy(
                    "the database is busy with concurrent changes to the same record; retry shortly"
                        .into(),
                ),
                None => self,
            },
            _ => self,
        }
    }
}

enum Transient {
    Duplicate,
    Contention,
}

fn transient(e: &DieselError) -> Option<Transient> {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            Some(Transient::Duplicate)
        }
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            Some(Transient::Contention)
        }
        // PostgreSQL's deadlock_detected (40P01) and SQLite's SQLITE_BUSY have no kind of
        // their own in diesel; their messages are stable.
        DieselError::DatabaseError(_, info)
            if info.message().contains("deadlock detected")
                || info.message().contains("database is locked") =>
        {
            Some(Transient::Contention)
        }
        _ => None,
    }
}

/// Whether the connection to the server was lost under a statement (the server stopped or
/// restarted, or the network went). The transaction did not commit, or its outcome is
/// unknown: it is not retried, and the caller is told to try again.
fn connection_lost(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            [
                "terminating connection",
                "server closed the connection",
                "no connection to the server",
                "connection to server",
                "the database system is shutting down",
                "the database system is starting up",
            ]
            .iter()
            .any(|s| m.contains(s))
        }
        _ => false,
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => AppError::NotFound("no such record".into()),
            lost if connection_lost(&lost) => {
                tracing::warn!(error = %lost, "database connection lost");
                AppError::Busy("the database is not reachable; try again shortly".into())
            }
            other => AppError::Db(other),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            // Logged where it happens (db::Db::conn and the pool's manager), once per cause
            // rather than once per refused request.
            DbError::Pool(_) => {
                AppError::Busy("the database is not reachable; try again shortly".into())
            }
            DbError::WriteSlots(_) => {
                AppError::Busy("too many changes at once; try again shortly".into())
            }
            DbError::GroupLost => {
                AppError::Busy("the change could not be saved; try again shortly".into())
            }
            DbError::Query(q) => q.into(),
        }
    }
}

impl From<crate::domain::scope::Denied> for AppError {
    fn from(d: crate::domain::scope::Denied) -> Self {
        AppError::Forbidden(d.0)
    }
}

impl From<crate::domain::ticket::Refusal> for AppError {
    fn from(r: crate::domain::ticket::Refusal) -> Self {
        AppError::Conflict(r.reason)
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(errs: Vec<FieldError>) -> Self {
        AppError::Invalid(errs)
    }
}

#[cfg(test)]
mod tests;
