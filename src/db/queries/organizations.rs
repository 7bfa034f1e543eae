use diesel::prelude::*;

use crate::db::models::Organization;
use crate::db::schema::organizations::dsl as o;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, org: &Organization) -> QueryResult<()> {
    diesel::insert_into(o::organizations)
        .values(org)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut DbConn, org: &Organization) -> QueryResult<()> {
    diesel::update(o::organizations.find(&org.id))
        .set(org)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Organization>> {
    o::organizations.find(id).first(conn).optional()
}

pub fn by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Organization>> {
    o::organizations
        .filter(o::code.eq(code))
        .first(conn)
        .optional()
}

/// A page of organizations by creation.
pub fn page(
    conn: &mut DbConn,
    kind: Option<&str>,
    page: &crate::app::PageAt,
) -> QueryResult<Vec<Organization>> {
    let mut q = o::organizations.into_boxed();
    if let Some(k) = kind {
        q = q.filter(o::kind.eq(k.to_string()));
    }
    if let Some((at, id)) = page.after_time() {
        q = q.filter(
            o::created_at
                .gt(at)
                .or(o::created_at.eq(at).and(o::id.gt(id.to_string()))),
        );
    }
    q.order((o::created_at.asc(), o::id.asc()))
        .limit(page.limit + 1)
        .load(conn)
}

pub fn list(conn: &mut DbConn, kind: Option<&str>) -> QueryResult<Vec<Organization>> {
    let mut q = o::organizations.into_boxed();
    if let Some(k) = kind {
        q = q.filter(o::kind.eq(k.to_string()));
    }
    q.order(o::code.asc()).load(conn)
}

/// The ids of an organization's Unit Kerja (direct children).
pub fn children(conn: &mut DbConn, id: &str) -> QueryResult<Vec<String>> {
    o::organizations
        .filter(o::parent_id.eq(id))
        .select(o::id)
        .order(o::id.asc())
        .load(conn)
}
