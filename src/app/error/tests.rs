use super::*;
use diesel::result::DatabaseErrorInformation;

struct Info(&'static str);

impl DatabaseErrorInformation for Info {
    fn message(&self) -> &str {
        self.0
    }
    fn details(&self) -> Option<&str> {
        None
    }
    fn hint(&self) -> Option<&str> {
        None
    }
    fn table_name(&self) -> Option<&str> {
        None
    }
    fn column_name(&self) -> Option<&str> {
        None
    }
    fn constraint_name(&self) -> Option<&str> {
        None
    }
    fn statement_position(&self) -> Option<i32> {
        None
    }
}

fn db(kind: DatabaseErrorKind, message: &'static str) -> AppError {
    AppError::from(DieselError::DatabaseError(kind, Box::new(Info(message))))
}

#[test]
fn a_lost_race_is_retried_then_answered_busy_or_conflict() {
    let serialization = db(
        DatabaseErrorKind::SerializationFailure,
        "could not serialize access due to concurrent update",
    );
    assert!(serialization.is_transient());
    assert!(matches!(serialization.exhausted(), AppError::Busy(_)));

    let deadlock = db(DatabaseErrorKind::Unknown, "deadlock detected");
    assert!(deadlock.is_transient());
    assert!(matches!(deadlock.exhausted(), AppError::Busy(_)));

    let busy = db(DatabaseErrorKind::Unknown, "database is locked");
    assert!(busy.is_transient());

    let duplicate = db(
        DatabaseErrorKind::UniqueViolation,
        "duplicate key value violates unique constraint \"sla_events_once_idx\"",
    );
    assert!(duplicate.is_transient());
    assert!(matches!(duplicate.exhausted(), AppError::Conflict(_)));
}

#[test]
fn real_faults_and_answers_are_not_retried() {
    let fk = db(
        DatabaseErrorKind::ForeignKeyViolation,
        "insert or update violates foreign key constraint",
    );
    assert!(!fk.is_transient());
    assert!(matches!(fk.exhausted(), AppError::Db(_)));
    assert!(matches!(
        AppError::from(DieselError::NotFound),
        AppError::NotFound(_)
    ));
    assert!(!AppError::Conflict("stale".into()).is_transient());
    assert!(!AppError::field("title", "too long").is_transient());
}
