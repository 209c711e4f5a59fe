//! [`allow_parking`]: lets a `#[gpui::test]` wait on real sockets. It replaces
//! `cx.executor().allow_parking()`, and works around a lost wake-up in gpui 0.2.2's test
//! executor, which once hung `tests/models.rs` for more than ten minutes:
//!
//! `block_test` polls the test's future, runs queued tasks until `TestDispatcher::tick` finds none,
//! then registers its unparker (`set_unparker`) and parks. A task woken by another thread (the
//! HTTP client's tokio runtime finishing a request) is queued by `TestDispatcher::dispatch`, which
//! then unparks "the last parked" thread. If that wake lands between `tick` returning `false` and
//! `set_unparker`, there is no parker to unpark yet: the task sits in the queue, the test thread
//! parks, and nothing else will ever dispatch. (`block_test` only re-checks its own waker's flag,
//! not the queue.)
//!
//! The fix here: while parking is allowed, a watchdog thread queues an empty task every few
//! milliseconds whenever the previous one has run. Its `dispatch` unparks the test thread if it
//! parked with work queued, so a lost wake-up costs a few milliseconds instead of the run.

use gpui::TestAppContext;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often the watchdog checks.
const KICK_INTERVAL: Duration = Duration::from_millis(20);
/// After this long with its empty task never run, nothing drives the executor any more (the test
/// has ended): the watchdog stops.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

/// Lets the test executor wait for real I/O, and keeps it from missing a wake-up (see the module
/// docs).
pub fn allow_parking(cx: &TestAppContext) {
    let executor = cx.executor();
    executor.allow_parking();
    std::thread::Builder::new()
        .name("parking-watchdog".into())
        .spawn(move || {
            let ran = Arc::new(AtomicBool::new(true));
            let mut queued_at = Instant::now();
            loop {
                std::thread::sleep(KICK_INTERVAL);
                if ran.swap(false, Ordering::SeqCst) {
                    let ran = ran.clone();
                    queued_at = Instant::now();
                    executor
                        .spawn(async move { ran.store(true, Ordering::SeqCst) })
                        .detach();
                } else if queued_at.elapsed() > IDLE_LIMIT {
                    return;
                }
            }
        })
        .expect("a watchdog thread");
}
