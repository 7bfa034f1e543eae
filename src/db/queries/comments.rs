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

/// A page of a ticket's comments, oldest first.
pub fn page(
    conn: &mut DbConn,
    ticket_id: &str,
    page: &crate::app::PageAt,
) -> QueryResult<Vec<Comment>> {
    let mut q = c::ticket_comments
        .filter(c::ticket_id.eq(ticket_id))
        .into_boxed();
    if let Some((at, id)) = page.after_time() {
        q = q.filter(
            c::created_at
                .gt(at)
                .or(c::created_at.eq(at).and(c::id.gt(id.to_string()))),
        );
    }
    q.order((c::created_at.asc(), c::id.asc()))
        .limit(page.limit + 1)
        .load(conn)
}
