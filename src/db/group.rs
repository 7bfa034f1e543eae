//! Group commit for SQLite's one writer. A creation dirties some forty pages that its
//! commit writes to the WAL and syncs; measured under 32 clients, the commit took as long as
//! the statements before it (2.15 ms each), and the write lock was held 98% of the time. So
//! this daemon's writers share transactions: the writer whose turn it is runs its own use
//! case in a savepoint of the open transaction and, when others are waiting, hands the
//! still-open transaction to the next instead of committing; the last of the group commits
//! once for all and tells the others. Each writer runs its own closure on its own thread
//! (borrowed data stays borrowed; nothing has to be `'static`), one at a time.
//!
//! - A writer is answered only after the commit that holds its changes.
//! - A use case that fails rolls back to its savepoint: its changes go, the group's stay,
//!   and it is answered at once.
//! - A commit that fails fails every writer of the group with a transient error, which
//!   `App::write` retries as it retries SQLITE_BUSY.
//! - A group ends when nobody waits, at `MAX_MEMBERS` writers, or `MAX_OPEN` after it
//!   began, so that a writer never waits long for others' work.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use diesel::connection::TransactionManager;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, RunQueryDsl};

use super::{DbConn, DbError, PooledConn, WriteTimes};

const MAX_MEMBERS: usize = 64;
const MAX_OPEN: Duration = Duration::from_millis(20);

#[derive(Default)]
pub(super) struct Group {
    state: Mutex<State>,
    /// Signalled, once, when the turn is free: one waiting writer can take it, and waking
    /// them all (32 threads on two cores under load) cost more than the turn's work.
    turn: Condvar,
    /// Signalled, to all, when a group's commit has an outcome for its writers to read.
    committed: Condvar,
}

#[derive(Default)]
struct State {
    /// A writer is running on the group's connection.
    running: bool,
    /// Writers waiting for their turn.
    waiting: usize,
    /// Between two writers' turns: the connection with the group's transaction open.
    open: Option<Open>,
    next_id: u64,
    /// Commits that writers of their group have yet to read: group -> (the commit's
    /// error, writers yet to read it).
    outcomes: HashMap<u64, (Option<String>, usize)>,
}

struct Open {
    conn: PooledConn,
    id: u64,
    began: Instant,
    /// Writers whose changes are in the transaction.
    members: usize,
}

type Tm = <DbConn as Connection>::TransactionManager;

impl Group {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a writer panicked; `Turn::drop` put the state right.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writers waiting for their turn (for the tests to line writers up).
    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.lock().waiting
    }

    fn wait_turn<'a>(&self, st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.turn.wait(st).unwrap_or_else(|p| p.into_inner())
    }

    fn wait_commit<'a>(&self, st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.committed.wait(st).unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in the group's transaction and returns once the transaction that holds
    /// its changes has committed. `connect` opens a connection for a new group. A writer
    /// `alone` (a long one: a scheduler batch) first commits the group it finds open, so
    /// that group's writers are not kept waiting for its work, and commits its own at once.
    pub(super) fn write<T, E, F>(
        &self,
        times: &WriteTimes,
        alone: bool,
        connect: impl FnOnce() -> Result<PooledConn, DbError>,
        f: F,
    ) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DieselError> + From<DbError>,
    {
        let asked = Instant::now();
        let mut st = self.lock();
        st.waiting += 1;
        while st.running {
            st = self.wait_turn(st);
        }
        st.waiting -= 1;
        st.running = true;
        let open = st.open.take();
        let id = open.as_ref().map_or(st.next_id, |o| o.id);
        if open.is_none() {
            st.next_id += 1;
        }
        drop(st);
        // From here this writer holds the turn; `Turn` gives it back on every path,
        // a panic included (the group's transaction is then lost and its writers told).
        let mut turn = Turn {
            group: self,
            id,
            members_waiting: open.as_ref().map_or(0, |o| o.members),
            open,
            done: false,
        };
        if alone {
            if let Some(mut open) = turn.open.take() {
                let committed = commit(&mut open.conn);
                times.commit();
                turn.publish(
                    turn.members_waiting,
                    committed.as_ref().err().map(|e| e.to_string()),
                );
                turn.members_waiting = 0;
                turn.id = {
                    let mut st = self.lock();
                    st.next_id += 1;
                    st.next_id - 1
                };
            }
        }
        if turn.open.is_none() {
            let mut conn = connect()?;
            // Take SQLite's write lock first, as BEGIN IMMEDIATE would (a write statement
            // takes it even when it changes no row). A writer in another process (a CLI
            // command, a second daemon) then makes us wait for busy_timeout here, instead
            // of failing with SQLITE_BUSY at our first write after we have read.
            Tm::begin_transaction(&mut *conn)?;
            if let Err(e) =
                diesel::sql_query("UPDATE ticket_counters SET last_value = last_value WHERE 0 = 1")
                    .execute(&mut **conn)
            {
                let _ = Tm::rollback_transaction(&mut *conn);
                return Err(e.into());
            }
            turn.open = Some(Open {
                conn,
                id: turn.id,
                began: Instant::now(),
                members: 0,
            });
        }
        let started = Instant::now();
        let out = {
            let open = turn.open.as_mut().ok_or(DbError::GroupLost)?;
            // A long writer has the transaction to itself, so it needs no savepoint: a
            // failure rolls the whole transaction back. Its own savepoints are then the
            // outermost ones, which matters on SQLite: releasing a nested savepoint walks the
            // in-memory sub-journal from its start, so savepoints nested in one that spans a
            // batch cost in proportion to everything the batch wrote before them.
            let out = if alone {
                f(&mut open.conn)
            } else {
                (*open.conn).transaction(f)
            };
            open.members += usize::from(out.is_ok());
            out
        };
        let worked = Instant::now();

        let mut st = self.lock();
        // A savepoint that could not be rolled back leaves the transaction in error: it
        // is not handed on, and its commit fails for the group.
        let healthy = turn.open.as_mut().is_some_and(|o| {
            Tm::transaction_manager_status_mut(&mut *o.conn)
                .transaction_depth()
                .is_ok_and(|d| d.map(u32::from) == Some(1))
        });
        let more = st.waiting > 0
            && !alone
            && healthy
            && turn
                .open
                .as_ref()
                .is_some_and(|o| o.members < MAX_MEMBERS && o.began.elapsed() < MAX_OPEN);
        if more {
            // Hand the open transaction on and wait for the commit that ends the group.
            st.open = turn.open.take();
            st.running = false;
            turn.done = true;
            self.turn.notify_one();
            if out.is_err() {
                times.add(started - asked, worked - started, Duration::ZERO);
                return out;
            }
            let failed = loop {
                if let Some((error, readers)) = st.outcomes.get_mut(&turn.id) {
                    let error = error.clone();
                    *readers -= 1;
                    if *readers == 0 {
                        st.outcomes.remove(&turn.id);
                    }
                    break error;
                }
                st = self.wait_commit(st);
            };
            drop(st);
            times.add(started - asked, worked - started, Duration::ZERO);
            return match failed {
                None => out,
                Some(e) => Err(group_failed(&e).into()),
            };
        }
        drop(st);
        // The last writer of the group commits for all.
        let committing = Instant::now();
        let mut open = turn.open.take().ok_or(DbError::GroupLost)?;
        let others = turn.members_waiting;
        let committed = if open.members > 0 {
            commit(&mut open.conn)
        } else {
            Tm::rollback_transaction(&mut *open.conn)
        };
        let done = Instant::now();
        times.add(started - asked, worked - started, done - committing);
        times.commit();
        turn.finish(others, committed.as_ref().err().map(|e| e.to_string()));
        drop(open);
        match committed {
            Ok(()) => out,
            Err(e) if out.is_ok() => Err(e.into()),
            Err(_) => out,
        }
    }
}

/// The turn of the writer that holds it; given back on drop, whatever happened.
struct Turn<'a> {
    group: &'a Group,
    id: u64,
    open: Option<Open>,
    /// The group's earlier writers whose changes are in the transaction: they wait for
    /// its commit.
    members_waiting: usize,
    done: bool,
}

impl Turn<'_> {
    /// Tells the group's `others` waiting writers how its commit went.
    fn publish(&self, others: usize, error: Option<String>) {
        let mut st = self.group.lock();
        if others > 0 {
            st.outcomes.insert(self.id, (error, others));
        }
        self.group.committed.notify_all();
    }

    /// Ends the turn, publishing the group's outcome.
    fn finish(&mut self, others: usize, error: Option<String>) {
        self.publish(others, error);
        self.group.lock().running = false;
        self.done = true;
        self.group.turn.notify_one();
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Left early (an error opening the group, or a panic in a writer): the open
        // transaction, if any, is dropped with its connection (r2d2 discards a connection
        // inside a transaction), and the writers already in it learn that it failed.
        drop(self.open.take());
        let others = self.members_waiting;
        self.finish(
            others,
            Some("a writer of the group failed before the commit".into()),
        );
    }
}

/// Commits the group's transaction, its new tickets indexed for search first (one FTS5
/// segment a commit: `tickets::index_pending_search`); rolled back if that fails.
fn commit(conn: &mut DbConn) -> diesel::QueryResult<()> {
    if let Err(e) = super::queries::tickets::index_pending_search(conn) {
        let _ = Tm::rollback_transaction(conn);
        return Err(e);
    }
    Tm::commit_transaction(conn)
}

/// What a writer of a group whose commit failed is answered: transient, so `App::write`
/// runs its use case again.
fn group_failed(error: &str) -> DieselError {
    DieselError::DatabaseError(
        DatabaseErrorKind::SerializationFailure,
        Box::new(format!("the shared commit failed: {error}")),
    )
}
