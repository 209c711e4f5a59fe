//! [`RefreshPolicy`]: when to renew, how long to wait, and how long to wait for another process.

use std::time::Duration;

/// The timing rules of token renewal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Renew when fewer than this remain before the access token expires (spec: 5 minutes), so
    /// that a token never expires in the middle of a streamed answer.
    pub margin: chrono::Duration,
    /// The longest a refresh request may take before it counts as a (transient) failure.
    pub timeout: Duration,
    /// After `refresh_token_reused`: how often to re-read the store for the tokens another
    /// process obtained with the same refresh token…
    pub reuse_poll_interval: Duration,
    /// …and how many times, before concluding that the session has really ended. The winner of a
    /// refresh race may still be waiting for its answer when the loser is refused, so the loser
    /// waits up to `reuse_poll_interval × reuse_polls` for the winner to store its tokens.
    pub reuse_polls: u32,
    /// The longest a renewal waits for another process's renewal to finish (the cross-process
    /// refresh lock): longer than one refresh may take, so a waiter normally adopts its result.
    pub lock_wait: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            margin: chrono::Duration::minutes(5),
            timeout: Duration::from_secs(30),
            reuse_poll_interval: Duration::from_millis(250),
            reuse_polls: 60,
            lock_wait: Duration::from_secs(45),
        }
    }
}
