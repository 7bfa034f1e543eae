use diesel::prelude::*;

use crate::db::models::Service;
use crate::db::schema::services::dsl as s;
use crate::db::DbConn;

pub fn insert(conn: &mut DbConn, svc: &Service) -> QueryResult<()> {
    diesel::insert_into(s::services)
        .values(svc)
        .execute(conn)
        .map(|_| ())
}

/// Saves `svc` if nobody changed it since `expected_version` was read; false otherwise.
pub fn update_versioned(
    conn: &mut DbConn,
    svc: &Service,
    expected_version: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        s::services
            .filter(s::id.eq(&svc.id))
            .filter(s::version.eq(expected_version)),
    )
    .set(svc)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Service>> {
    s::services.find(id).first(conn).optional()
}

/// A page of services by creation.
pub fn page(
    conn: &mut DbConn,
    organization_id: Option<&str>,
    code: Option<&str>,
    criticality: Option<&str>,
    page: &crate::app::PageAt,
) -> QueryResult<Vec<Service>> {
    let mut q = filtered(organization_id, code, criticality);
    if let Some((at, id)) = page.after_time() {
        q = q.filter(
            s::created_at
                .gt(at)
                .or(s::created_at.eq(at).and(s::id.gt(id.to_string()))),
        );
    }
    q.order((s::created_at.asc(), s::id.asc()))
        .limit(page.limit + 1)
        .load(conn)
}

pub fn list(
    conn: &mut DbConn,
    organization_id: Option<&str>,
    code: Option<&str>,
    criticality: Option<&str>,
) -> QueryResult<Vec<Service>> {
    filtered(organization_id, code, criticality)
        .order(s::code.asc())
        .load(conn)
}

fn filtered<'a>(
    organization_id: Option<&str>,
    code: Option<&str>,
    criticality: Option<&str>,
) -> crate::db::schema::services::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut q = s::services.into_boxed();
    if let Some(c) = code {
        q = q.filter(s::code.eq(c.to_string()));
    }
    if let Some(org) = organization_id {
        q = q.filter(s::organization_id.eq(org.to_string()));
    }
    if let Some(c) = criticality {
        q = q.filter(s::criticality.eq(c.to_string()));
    }
    q
}

pub fn by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Service>> {
    s::services.filter(s::code.eq(code)).first(conn).optional()
}
