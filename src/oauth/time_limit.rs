//! Bounding a future by time on gpui's executor clock.
//!
//! The timer comes from [`BackgroundExecutor::timer`], never from the wall clock directly, so
//! that gpui's test executor (which fakes time) makes every timeout deterministic: a test moves
//! the clock with `advance_clock` instead of sleeping.

use futures::future::{Either, select};
use gpui::BackgroundExecutor;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

/// The limit passed before the future finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Elapsed;

/// Runs `future` until it finishes or `limit` passes, whichever comes first. On time-out the
/// future is dropped (which is how sockets get closed and ports released).
pub async fn within<F: Future>(
    executor: &BackgroundExecutor,
    limit: Duration,
    future: F,
) -> Result<F::Output, Elapsed> {
    let timer = executor.timer(limit);
    match select(pin!(future), timer).await {
        Either::Left((output, _)) => Ok(output),
        Either::Right(((), _)) => Err(Elapsed),
    }
}
