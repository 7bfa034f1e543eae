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
    crate::insert_one!(conn, k::idempotency_keys, row)
}
