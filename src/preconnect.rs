//! Pre-connecting to the backend, so the first request of a session does not pay for the TCP
//! handshake, the TLS handshake and (over TLS) the HTTP/2 negotiation.
//!
//! [`preconnect`] sends one unauthenticated `HEAD {backend}` through the same client the
//! requests will use; whatever the status, the connection it opened stays in the client's pool
//! (HTTP/1.1 keep-alive, RFC 9112 §9.3; or one HTTP/2 connection, RFC 9113 §9.1, which every
//! later request multiplexes over), and the next `POST /responses` reuses it. No token is sent.
//!
//! The provider pre-connects when it becomes authenticated and when the host asks for its model
//! list (which Zed does as the model dropdown opens). `PreconnectThrottle` keeps that to one
//! pre-connect per `PRECONNECT_INTERVAL`, well inside a pool's idle timeout (90 s in reqwest),
//! so a dropdown opened repeatedly costs nothing.

use crate::config::Config;
use anyhow::{Context as _, Result};
use futures::AsyncReadExt as _;
use http_client::{AsyncBody, HttpClient, Method, http};
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// The shortest time between two pre-connects.
pub(crate) const PRECONNECT_INTERVAL: Duration = Duration::from_secs(30);

/// Opens (or refreshes) a pooled connection to `config`'s backend through `http`.
pub async fn preconnect(http: &dyn HttpClient, config: &Config) -> Result<()> {
    let request = http::Request::builder()
        .method(Method::HEAD)
        .uri(config.backend.as_str())
        .header("User-Agent", config.user_agent())
        .body(AsyncBody::empty())
        .context("invalid pre-connect request")?;
    let response = http
        .send(request)
        .await
        .context("could not pre-connect to the backend")?;
    // A HEAD answer has no body (RFC 9110 §9.3.2); reading it to its end hands the connection
    // back to the pool.
    let mut rest = Vec::new();
    response
        .into_body()
        .take(64 * 1024)
        .read_to_end(&mut rest)
        .await?;
    Ok(())
}

/// Remembers when the last pre-connect started, to space them out.
#[derive(Debug, Default)]
pub(crate) struct PreconnectThrottle {
    last: Mutex<Option<Instant>>,
}

impl PreconnectThrottle {
    /// Whether to pre-connect at `now`; when it answers yes, it counts as done.
    pub(crate) fn should_preconnect(&self, now: Instant) -> bool {
        let mut last = self.last.lock();
        match *last {
            Some(previous) if now.saturating_duration_since(previous) < PRECONNECT_INTERVAL => {
                false
            }
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_connects_are_spaced_out() {
        let throttle = PreconnectThrottle::default();
        let start = Instant::now();
        assert!(throttle.should_preconnect(start));
        assert!(!throttle.should_preconnect(start + Duration::from_secs(1)));
        assert!(!throttle.should_preconnect(start + PRECONNECT_INTERVAL / 2));
        assert!(throttle.should_preconnect(start + PRECONNECT_INTERVAL));
        assert!(!throttle.should_preconnect(start + PRECONNECT_INTERVAL));
    }
}
