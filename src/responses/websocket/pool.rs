//! The provider's sockets, one per thread, with the chain each carries.
//!
//! A turn takes its thread's socket out (one answer in flight per socket) and the answer puts it
//! back when it completes. An idle socket is closed when it idled longer than
//! [`PoolLimits::idle`] or is older than [`PoolLimits::max_age`] (the server's own limit is 60
//! minutes and is only announced as an error on the next frame), and is not reused with another
//! access token. These limits hold even when nobody uses the pool: the timer task of
//! [`WebSocketPool::close_expired_in_background`] (owned by the provider state, dropped with
//! it) wakes at the next deadline and closes what ran out.
//!
//! At most [`PoolLimits::max_sockets`] sockets are open at once, idle or carrying an answer: a
//! new one first closes the least recently used idle socket, and when every socket is carrying
//! an answer the request goes over HTTP instead ([`WebSocketPool::reserve`]).
//! [`WebSocketPool::close_all`] (refresh, sign-out) closes every idle socket and keeps the busy
//! ones from coming back.

use super::chain::Chain;
use super::connection::{Connection, TokenTag, tls_config};
use futures::StreamExt as _;
use futures::channel::mpsc;
use futures_rustls::rustls;
use gpui::{BackgroundExecutor, Task};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The bounds on the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    /// The most sockets open at once, idle or carrying an answer (beyond it, the least recently
    /// used idle one is closed; when none is idle, the request goes over HTTP).
    pub max_sockets: usize,
    /// How long an idle socket is kept.
    pub idle: Duration,
    /// The age at which a socket is closed, below the server's 60-minute limit.
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

/// One of the pool's places for an open socket, held by the socket's [`Connection`]: dropping
/// the connection (closing the socket) frees it.
pub(crate) struct SocketSlot(Arc<AtomicUsize>);

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
    /// Wakes the expiry timer when a socket is parked (its deadline may be the next one).
    wake: Option<mpsc::Sender<()>>,
}

/// The provider's sockets (see the module docs).
#[derive(Default)]
pub struct WebSocketPool {
    limits: PoolLimits,
    inner: Mutex<Inner>,
    /// Sockets open now, idle or busy (one per live [`SocketSlot`]).
    open: Arc<AtomicUsize>,
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

    /// A place for a new socket: free, or freed by closing the least recently used idle
    /// socket; `None` when every allowed socket is carrying an answer.
    pub(crate) fn reserve(&self) -> Option<SocketSlot> {
        let mut inner = self.inner.lock();
        self.prune(&mut inner);
        loop {
            // Places are only taken under the lock, so the count cannot grow between the check
            // and the increment; a socket closing elsewhere only makes room.
            if self.open.load(Ordering::SeqCst) < self.limits.max_sockets {
                self.open.fetch_add(1, Ordering::SeqCst);
                return Some(SocketSlot(self.open.clone()));
            }
            if inner.idle.is_empty() {
                return None;
            }
            // Closing it (dropping its connection) frees its place.
            drop(inner.idle.remove(0));
        }
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
        if let Some(wake) = inner.wake.as_mut() {
            // A full channel already holds a wake-up: nothing is lost.
            let _ = wake.try_send(());
        }
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

    /// How many sockets are open, idle or carrying an answer.
    pub fn open_sockets(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Closes idle sockets as their idle time or age runs out, whether or not the pool is used:
    /// a task on `executor` that sleeps until the next deadline (or until a socket is parked)
    /// and closes what expired. It ends when dropped or when the pool is gone.
    pub fn close_expired_in_background(
        self: &Arc<Self>,
        executor: &BackgroundExecutor,
    ) -> Task<()> {
        let (wake, mut woken) = mpsc::channel(0);
        self.inner.lock().wake = Some(wake);
        let pool = Arc::downgrade(self);
        let timers = executor.clone();
        executor.spawn(async move {
            loop {
                let Some(next) = pool.upgrade().map(|pool| pool.close_expired()) else {
                    return;
                };
                let woke = match next {
                    Some(wait) => {
                        match futures::future::select(timers.timer(wait), woken.next()).await {
                            futures::future::Either::Left(_) => true,
                            futures::future::Either::Right((woke, _)) => woke.is_some(),
                        }
                    }
                    None => woken.next().await.is_some(),
                };
                if !woke {
                    // The pool (and its end of the channel) is gone.
                    return;
                }
            }
        })
    }

    /// Closes the idle sockets that ran out; the time until the next one does, if any is idle.
    fn close_expired(&self) -> Option<Duration> {
        let mut inner = self.inner.lock();
        self.prune(&mut inner);
        let now = Instant::now();
        inner
            .idle
            .iter()
            .filter_map(|entry| self.deadline(entry))
            .map(|deadline| deadline.saturating_duration_since(now))
            .min()
    }

    /// When `entry` must close: idle too long, or too old (`None`: a limit so long it never
    /// comes).
    fn deadline(&self, entry: &Entry) -> Option<Instant> {
        let idle_end = entry.since.checked_add(self.limits.idle);
        let age_end = entry
            .parked
            .connection
            .opened_at
            .checked_add(self.limits.max_age);
        match (idle_end, age_end) {
            (Some(idle_end), Some(age_end)) => Some(idle_end.min(age_end)),
            (idle_end, age_end) => idle_end.or(age_end),
        }
    }

    fn prune(&self, inner: &mut Inner) {
        let now = Instant::now();
        inner
            .idle
            .retain(|entry| self.deadline(entry).is_none_or(|deadline| deadline > now));
    }
}
