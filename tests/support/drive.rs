//! Driving a `#[gpui::test]` while real sockets deliver: each round runs what is queued, advances
//! gpui's fake clock a little so timers fire, and lets the other threads (the HTTP client's
//! runtime, the emulator) work for a moment. Every wait is bounded: it panics, naming what did
//! not happen, instead of hanging.

use futures::FutureExt as _;
use gpui::TestAppContext;
use std::future::Future;
use std::time::Duration;

/// Rounds [`block`] and [`wait_until`] allow: about 6 s of real time and 30 s of gpui's clock.
const ROUNDS: usize = 3000;

/// Drives `future` to its end.
pub fn block<F: Future>(cx: &mut TestAppContext, future: F) -> F::Output {
    block_within(cx, ROUNDS, future)
}

/// Drives `future` to its end within `rounds` rounds, for tests whose work is long by design.
pub fn block_within<F: Future>(cx: &mut TestAppContext, rounds: usize, future: F) -> F::Output {
    let mut future = Box::pin(future);
    for _ in 0..rounds {
        cx.run_until_parked();
        if let Some(output) = (&mut future).now_or_never() {
            return output;
        }
        step(cx);
    }
    panic!("the future did not finish");
}

/// Waits until `condition` holds.
pub fn wait_until(cx: &mut TestAppContext, mut condition: impl FnMut(&mut TestAppContext) -> bool) {
    for _ in 0..ROUNDS {
        cx.run_until_parked();
        if condition(cx) {
            return;
        }
        step(cx);
    }
    panic!("the condition never held");
}

fn step(cx: &mut TestAppContext) {
    cx.executor().advance_clock(Duration::from_millis(10));
    std::thread::sleep(Duration::from_millis(2));
}
