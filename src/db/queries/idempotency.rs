use diesel::prelude::*;

use crate::db::models::IdempotencyKey;
use crate::db::schema::idempotency_keys::dsl as k;
use crate::db::DbConn;

pub fn find(conn: &mut DbConn, user_id: &str, key: &str) -> QueryResult<Option<IdempotencyKey>> {
    k::idempotency_keys
        .find((user_id, key))
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &IdempotencyKey) -> QueryResult<()> {
    if matches!(conn, DbConn::Pg(_)) && crate::db::deferred::keeping() {
        return crate::db::deferred::keep(
            diesel::insert_into(k::idempotency_keys).values(row.clone()),
            1,
        )
        .map(|_| ());
    }
    diesel::insert_into(k::idempotency_keys)
        .values(row)
        .execute(conn)
        .map(|_| ())
}
