use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::{ApiToken, User};
use crate::db::schema::{api_tokens::dsl as t, users::dsl as u};
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, token: &ApiToken) -> QueryResult<()> {
    diesel::insert_into(t::api_tokens)
        .values(token)
        .execute(conn)
        .map(|_| ())
}

/// The live token with this hash (not revoked, not expired at `now`) and its active user.
pub fn find_active(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(ApiToken, User)>> {
    t::api_tokens
        .inner_join(u::users)
        .filter(t::token_hash.eq(token_hash))
        .filter(t::revoked_at.is_null())
        .filter(t::expires_at.is_null().or(t::expires_at.gt(now)))
        .filter(u::active.eq(true))
        .select((ApiToken::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Records use at most once per `not_since`, so authentication stays a read on most
/// requests.
pub fn touch(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    not_since: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        t::api_tokens
            .filter(t::id.eq(id))
            .filter(t::last_used_at.is_null().or(t::last_used_at.lt(not_since))),
    )
    .set(t::last_used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

pub fn list_for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<ApiToken>> {
    t::api_tokens
        .filter(t::user_id.eq(user_id))
        .order((t::created_at.asc(), t::id.asc()))
        .select(ApiToken::as_select())
        .load(conn)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<ApiToken>> {
    t::api_tokens
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

pub fn revoke(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        t::api_tokens
            .filter(t::id.eq(id))
            .filter(t::revoked_at.is_null()),
    )
    .set(t::revoked_at.eq(now))
    .execute(conn)
}
