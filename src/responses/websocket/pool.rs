//! The provider's idle sockets, one per thread, with the chain each carries.
//!
//! A turn takes its thread's socket out (one answer in flight per socket) and the answer puts it
//! back when it completes. A socket is not reused (and is closed) when it idled longer than
//! [`PoolLimits::idle`], is older than [`PoolLimits::max_age`] (the server's own limit is 60
//! minutes and is only announced as an error on the next frame), or was opened with another
//! access token. At most [`PoolLimits::max_sockets`] idle sockets are kept: the least recently
//! used goes first. [`WebSocketPool::close_all`] (refresh, sign-out) closes every idle socket
//! and keeps the busy ones from coming back.

use super::chain::Chain;
use super::connection::{Connection, TokenTag, tls_config};
use futures_rustls::rustls;
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The bounds on the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    /// The most idle sockets kept (threads beyond it start with a full frame on a new socket).
    pub max_sockets: usize,
    /// How long an idle socket is kept.
    pub idle: Duration,
    /// The age after which a socket is not reused, below the server's 60-minute limit.
    pub max_age: Duration,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self {
            max_sockets: 8,
            idle: Duration::from_secs(10 * 60),
            max_age: Duration::from_secs(55 * 60),
        }
    }
}

/// An idle socket and its thread's chain.
pub(crate) struct Parked {
    pub(crate) connection: Connection,
    pub(crate) chain: Option<Chain>,
}

struct Entry {
    thread: String,
    parked: Parked,
    since: Instant,
}

#[derive(Default)]
struct Inner {
    /// Least recently used first.
    idle: Vec<Entry>,
    /// Bumped by `close_all`: a socket taken before comes back to nothing.
    epoch: u64,
}

/// The provider's sockets (see the module docs).
#[derive(Default)]
pub struct WebSocketPool {
    limits: PoolLimits,
    inner: Mutex<Inner>,
    tls: OnceLock<Arc<rustls::ClientConfig>>,
}

impl WebSocketPool {
    /// A pool with these bounds.
    pub fn new(limits: PoolLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The TLS settings, loaded on first use.
    pub(crate) fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.get_or_init(tls_config).clone()
    }

    /// Takes `thread`'s socket if one is idle and still usable with `token`, and the epoch
    /// to hand back with it.
    pub(crate) fn take(&self, thread: &str, token: TokenTag) -> (Option<Parked>, u64) {
        let mut inner = self.inner.lock();
        self.prune(&mut inner);
        let epoch = inner.epoch;
        let Some(index) = inner.idle.iter().position(|entry| entry.thread == thread) else {
            return (None, epoch);
        };
        let entry = inner.idle.remove(index);
        if entry.parked.connection.token != token {
            return (None, epoch);
        }
        (Some(entry.parked), epoch)
    }

    /// Puts `thread`'s socket back after a completed answer, unless sockets were closed since
    /// `epoch` or it is too old.
    pub(crate) fn put_back(&self, thread: &str, parked: Parked, epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch || parked.connection.opened_at.elapsed() >= self.limits.max_age {
            return;
        }
        inner.idle.retain(|entry| entry.thread != thread);
        inner.idle.push(Entry {
            thread: thread.to_string(),
            parked,
            since: Instant::now(),
        });
        self.prune(&mut inner);
    }

    /// Closes every idle socket; busy ones close when their answer ends.
    pub fn close_all(&self) {
        let mut inner = self.inner.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.idle.clear();
    }

    /// How many idle sockets are open.
    pub fn idle_sockets(&self) -> usize {
        let mut inner = self.inner.lock();
        self.prune(&mut inner);
        inner.idle.len()
    }

    fn prune(&self, inner: &mut Inner) {
        let limits = self.limits;
        inner.idle.retain(|entry| {
            entry.since.elapsed() < limits.idle
                && entry.parked.connection.opened_at.elapsed() < limits.max_age
        });
        let excess = inner.idle.len().saturating_sub(limits.max_sockets);
        inner.idle.drain(..excess);
    }
}
