//! Background work of the daemon. Jobs use `anyhow`; each unit of work is one database
//! transaction, claimed through a lease so several daemons can share one database.

pub mod backup;
pub mod checkpoint;
pub mod outbox;
pub mod reports;
pub mod retention;
pub mod scheduler;
pub mod wal;
