//! Bearer tokens this daemon resolved a moment ago, so that a busy client's requests do
//! not each read its token, user and scope again (on PostgreSQL two round trips and a
//! pooled connection before every request; on SQLite 9% of the daemon's CPU under load).
//!
//! What is remembered is dropped whenever this daemon changes a user, a token or the
//! organization tree, after that change committed, and is never used longer than
//! [`FRESH_FOR`]: a change made by another process (a second daemon, a CLI command)
//! takes effect within that time. The generation check closes the race in which a
//! resolution reads the directory just before a change commits and files its answer
//! just after the change dropped everything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::domain::scope::Actor;

/// How long a resolved token is believed without asking the database again.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// More live tokens than this in one second is not a desk's traffic: the oldest answers
/// are dropped rather than the memory grown.
const MOST: usize = 10_000;

/// A token as resolved: who it is, and what decides whether it still works.
#[derive(Debug, Clone)]
pub struct Known {
    pub actor: Actor,
    pub token_id: String,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

struct Entry {
    known: Known,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<String, Entry>,
}

pub struct KnownTokens {
    inner: Mutex<Inner>,
    fresh_for: Duration,
}

impl Default for KnownTokens {
    fn default() -> Self {
        Self::fresh_for(FRESH_FOR)
    }
}

impl KnownTokens {
    pub fn fresh_for(fresh_for: Duration) -> Self {
        Self {
            inner: Mutex::default(),
            fresh_for,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map holds no invariant a panicking holder could have broken.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Read before resolving a token; pass it to [`KnownTokens::remember`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The token with this hash if it was resolved within [`FRESH_FOR`] and has not
    /// expired by `now`.
    pub fn get(&self, hash: &str, now: NaiveDateTime) -> Option<Known> {
        let inner = self.lock();
        let e = inner.entries.get(hash)?;
        (e.at.elapsed() < self.fresh_for && e.known.expires_at.is_none_or(|x| x > now))
            .then(|| e.known.clone())
    }

    /// Files a resolution, unless the directory changed since `generation` was read.
    pub fn remember(&self, hash: String, known: Known, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MOST {
            let fresh_for = self.fresh_for;
            inner.entries.retain(|_, e| e.at.elapsed() < fresh_for);
            if inner.entries.len() >= MOST {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            hash,
            Entry {
                known,
                at: Instant::now(),
            },
        );
    }

    /// The token's use was recorded at `at`.
    pub fn used(&self, hash: &str, at: NaiveDateTime) {
        if let Some(e) = self.lock().entries.get_mut(hash) {
            e.known.last_used_at = Some(at);
        }
    }

    /// Forgets every token: call after a change to users, tokens or organizations commits.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests;
