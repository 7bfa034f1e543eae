//! Query functions: one file per aggregate, each taking `&mut DbConn` and returning
//! `QueryResult`, written once for both backends.

pub mod audit;
pub mod comments;
pub mod console;
pub mod idempotency;
pub mod metrics;
pub mod organizations;
pub mod outbox;
pub mod participants;
pub mod reports;
pub mod retention;
pub mod sanctions;
pub mod services;
pub mod sla;
pub mod tickets;
pub mod tokens;
pub mod users;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub fn like_contains(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 2);
    s.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}
