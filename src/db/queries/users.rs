use diesel::prelude::*;

use crate::db::models::User;
use crate::db::schema::users::dsl as u;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    diesel::insert_into(u::users)
        .values(user)
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    diesel::update(u::users.find(&user.id))
        .set(user)
        .execute(conn)
        .map(|_| ())
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    u::users.find(id).first(conn).optional()
}

pub fn by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    u::users.filter(u::email.eq(email)).first(conn).optional()
}

/// A page of accounts by creation, optionally only those in `visible_to.0` or with id
/// `visible_to.1` (what a technician or operator may see).
pub fn page(
    conn: &mut DbConn,
    organization_id: Option<&str>,
    role: Option<&str>,
    visible_to: Option<(&str, &str)>,
    page: &crate::app::PageAt,
) -> QueryResult<Vec<User>> {
    let mut q = filtered(organization_id, role);
    if let Some((org, me)) = visible_to {
        q = q.filter(
            u::organization_id
                .eq(org.to_string())
                .or(u::id.eq(me.to_string())),
        );
    }
    if let Some((at, id)) = page.after_time() {
        q = q.filter(
            u::created_at
                .gt(at)
                .or(u::created_at.eq(at).and(u::id.gt(id.to_string()))),
        );
    }
    q.order((u::created_at.asc(), u::id.asc()))
        .limit(page.limit + 1)
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    organization_id: Option<&str>,
    role: Option<&str>,
) -> QueryResult<Vec<User>> {
    filtered(organization_id, role)
        .order((u::name.asc(), u::id.asc()))
        .load(conn)
}

fn filtered<'a>(
    organization_id: Option<&str>,
    role: Option<&str>,
) -> crate::db::schema::users::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = u::users.into_boxed();
    if let Some(org) = organization_id {
        q = q.filter(u::organization_id.eq(org.to_string()));
    }
    if let Some(r) = role {
        q = q.filter(u::role.eq(r.to_string()));
    }
    q
}
