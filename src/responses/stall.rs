//! How long an answer may stall before it is given up: [`StreamTimeouts`], the [`Stall`] error
//! that names the phase that stalled, and the [`Sleep`] the timers are built on.
//!
//! Three limits, one per phase of a request:
//! - **first byte**: from sending the request to the answer's status and headers;
//! - **between chunks**: silence on the connection while the body streams (a server that sent
//!   its headers and then nothing, or one that stalls mid-stream);
//! - **between events**: time without one SSE event carrying data. Keep-alive comments
//!   (`: keep-alive`) reset the chunk limit but not this one, so a backend that only ever sends
//!   comments is still given up.
//!
//! The timers come from a [`Sleep`] rather than a runtime: the provider builds it on gpui's
//! background executor (so `#[gpui::test]`'s fake clock drives it), other callers on whatever
//! they run.

use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

/// Something that can wait: returns a future that completes after the given time.
pub type Sleep = Arc<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>;

/// The limits on each phase of a streamed answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamTimeouts {
    /// From sending the request to its status and headers.
    pub first_byte: Duration,
    /// Silence on the connection while the body streams.
    pub between_chunks: Duration,
    /// Time without an SSE event carrying data (comments do not count).
    pub between_events: Duration,
}

impl StreamTimeouts {
    /// The Codex CLI gives up on a stream after 300 s without an event; the connection-level
    /// limits are tighter because a live backend sends keep-alives far more often.
    pub const DEFAULT: Self = Self {
        first_byte: Duration::from_secs(120),
        between_chunks: Duration::from_secs(90),
        between_events: Duration::from_secs(300),
    };
}

impl Default for StreamTimeouts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The timeouts and the timers that enforce them.
#[derive(Clone)]
pub struct StreamWatch {
    /// The limits.
    pub timeouts: StreamTimeouts,
    /// The timer source.
    pub sleep: Sleep,
}

impl StreamWatch {
    /// Watches with `timeouts`, timing on `sleep`.
    pub fn new(timeouts: StreamTimeouts, sleep: Sleep) -> Self {
        Self { timeouts, sleep }
    }

    /// Watches with `timeouts`, timing on gpui's background executor.
    pub(crate) fn on_executor(
        timeouts: StreamTimeouts,
        executor: gpui::BackgroundExecutor,
    ) -> Self {
        let sleep: Sleep = Arc::new(move |duration| {
            let timer = executor.timer(duration);
            Box::pin(timer)
        });
        Self { timeouts, sleep }
    }

    /// A timer for the wait for the first byte.
    pub(crate) fn first_byte_timer(&self) -> BoxFuture<'static, ()> {
        (self.sleep)(self.timeouts.first_byte)
    }

    /// A timer for the silence before the next chunk.
    pub(crate) fn chunk_timer(&self) -> BoxFuture<'static, ()> {
        (self.sleep)(self.timeouts.between_chunks)
    }

    /// A timer for the wait for the next event carrying data.
    pub(crate) fn event_timer(&self) -> BoxFuture<'static, ()> {
        (self.sleep)(self.timeouts.between_events)
    }
}

/// Which phase of an answer stalled, with its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stall {
    /// No status and headers in time.
    #[error(
        "the ChatGPT backend did not start answering within {}; it may be overloaded or the network may be down — try again in a moment",
        seconds(*.0)
    )]
    FirstByte(Duration),
    /// The connection went silent while the answer streamed.
    #[error(
        "the answer stalled: nothing arrived from the ChatGPT backend for {}; try again",
        seconds(*.0)
    )]
    BetweenChunks(Duration),
    /// Only keep-alive comments (or nothing) arrived for too long.
    #[error(
        "the answer stalled: the ChatGPT backend sent no progress for {} (only keep-alive messages); try again",
        seconds(*.0)
    )]
    BetweenEvents(Duration),
}

/// "90 s", or "0.25 s" for the short limits tests use.
fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stall_names_its_phase_and_limit() {
        assert_eq!(
            Stall::FirstByte(Duration::from_secs(120)).to_string(),
            "the ChatGPT backend did not start answering within 120 s; it may be overloaded or \
             the network may be down — try again in a moment"
        );
        assert!(
            Stall::BetweenChunks(Duration::from_millis(250))
                .to_string()
                .contains("nothing arrived from the ChatGPT backend for 0.25 s")
        );
        assert!(
            Stall::BetweenEvents(Duration::from_secs(300))
                .to_string()
                .contains("only keep-alive messages")
        );
    }
}
