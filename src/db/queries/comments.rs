use diesel::prelude::*;

use crate::db::models::Comment;
use crate::db::schema::ticket_comments::dsl as c;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, comment: &Comment) -> QueryResult<()> {
    diesel::insert_into(c::ticket_comments)
        .values(comment)
        .execute(conn)
        .map(|_| ())
}

pub fn list(conn: &mut DbConn, ticket_id: &str) -> QueryResult<Vec<Comment>> {
    c::ticket_comments
        .filter(c::ticket_id.eq(ticket_id))
        .order((c::created_at.asc(), c::id.asc()))
        .load(conn)
}
