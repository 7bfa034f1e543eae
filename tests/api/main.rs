//! One integration-test binary: the real daemon over HTTP, on SQLite by default and on
//! PostgreSQL when TEST_DATABASE_URL is set.

mod audit;
mod audit_chain;
mod backup;
mod cli;
mod console;
mod helpers;
mod idempotency;
mod layers;
mod mail;
mod operations;
mod outage;
mod reports;
mod retention;
mod robustness;
mod sanctions;
mod scope;
mod search;
mod services;
mod sla;
mod tickets;
mod transitions;
mod users;
mod validation;
mod write_path;
