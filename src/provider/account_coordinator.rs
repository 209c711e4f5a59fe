//! One account, one budget: [`AccountCoordinator`] sits in front of the per-model limits and
//! decides how many requests of the signed-in account go to the backend at once.
//!
//! Without it, when the backend starts answering 429 with a short wait, every request in flight
//! waits and retries on its own, and they collide again. With it:
//! - a short-wait refusal (a rate limit's `Retry-After`, an overload with a stated wait, at most
//!   [`MAX_SHORT_WAIT`]) seen by one request **pauses** new requests of the account until the
//!   wait ends; the refused request goes back to the front of the line and is sent again when the
//!   pause ends (at most [`MAX_RATE_LIMIT_RETRIES`] times), instead of reaching the host as an
//!   error; the requests waiting report `Queued { position }`, and the card says "Waiting for
//!   ChatGPT's rate limit (12 s)";
//! - the number in flight **adapts** (AIMD): it starts at [`START_CONCURRENCY`], halves on the
//!   first refusal of a pause, and climbs by one after as many accepted answers as it allows,
//!   counted while requests wait for a place, between 1 and the per-model ceiling (16).
//!
//! A usage-limit refusal (hours) is never retried: it is not a short wait.
//!
//! The coordinator is data (a line with a limit and a pause); the timer that ends a pause is a
//! gpui task the provider's `State` owns ([`super::State`]'s `rate_limit_pause`).

use super::request_limiter::{Admission, MAX_REQUESTS_PER_MODEL, Place, RequestLimiter};
use crate::responses::ResponsesError;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests of one account in flight when nothing has been learned yet: what Zed's subscription
/// provider allowed per model before upstream raised it.
pub const START_CONCURRENCY: usize = 4;
/// The longest wait a refusal may ask for and still be waited out here; longer ones reach the
/// host (a usage limit's hours never are waited out).
pub const MAX_SHORT_WAIT: Duration = Duration::from_secs(60);
/// How many times one request is sent again after short-wait refusals before the refusal
/// reaches the host.
pub const MAX_RATE_LIMIT_RETRIES: u32 = 8;

/// Whether requests of one account share one budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestCoordination {
    /// One budget per account: pauses on a short-wait refusal, adapts how many go at once.
    #[default]
    PerAccount,
    /// Each request on its own (only the per-model limit): a refusal reaches the host with its
    /// wait, and the host retries it. What Zed's provider does; kept to measure against.
    Independent,
}

/// The account's budget (see the module docs). Cloning shares it.
#[derive(Clone)]
pub struct AccountCoordinator {
    mode: RequestCoordination,
    line: RequestLimiter,
    ceiling: usize,
    adaptive: Arc<Mutex<Adaptive>>,
}

#[derive(Default)]
struct Adaptive {
    /// Accepted answers since the limit last changed.
    accepted: usize,
    /// When the current pause ends.
    paused_until: Option<Instant>,
    /// Short-wait refusals seen, for tests and logs.
    refusals: u64,
}

impl AccountCoordinator {
    /// A coordinator in `mode`, starting at [`START_CONCURRENCY`] and adapting up to the
    /// per-model ceiling.
    pub fn new(mode: RequestCoordination) -> Self {
        Self {
            mode,
            line: RequestLimiter::new(START_CONCURRENCY),
            ceiling: MAX_REQUESTS_PER_MODEL,
            adaptive: Arc::default(),
        }
    }

    /// Whether requests share the budget.
    pub fn mode(&self) -> RequestCoordination {
        self.mode
    }

    /// A place among the account's requests in flight, now or in line; `None` when requests are
    /// not coordinated.
    pub(crate) fn admit(&self, place: Place) -> Option<Admission> {
        match self.mode {
            RequestCoordination::PerAccount => Some(self.line.admit_at(place)),
            RequestCoordination::Independent => None,
        }
    }

    /// How many of the account's requests may be in flight now.
    pub fn concurrency(&self) -> usize {
        self.line.limit()
    }

    /// How many short-wait refusals were seen.
    pub fn refusals(&self) -> u64 {
        self.adaptive.lock().refusals
    }

    /// An answer was accepted: after as many as the limit allows, counted while requests wait
    /// for a place (without demand nothing is learned), one more may go at once.
    pub(crate) fn accepted(&self) {
        let mut adaptive = self.adaptive.lock();
        if self.line.waiting() == 0 {
            return;
        }
        adaptive.accepted = adaptive.accepted.saturating_add(1);
        let limit = self.line.limit();
        if adaptive.accepted >= limit && limit < self.ceiling {
            adaptive.accepted = 0;
            self.line.set_limit(limit.saturating_add(1));
        }
    }

    /// A short-wait refusal: pauses the account until `now + wait` (or later, if a pause is
    /// already longer) and, on the first refusal of a pause, halves how many go at once.
    /// Returns when the pause ends.
    pub(crate) fn refused(&self, wait: Duration, now: Instant) -> Instant {
        let mut adaptive = self.adaptive.lock();
        adaptive.refusals = adaptive.refusals.saturating_add(1);
        let until = now.checked_add(wait).unwrap_or(now);
        let paused = adaptive.paused_until.is_some_and(|end| end > now);
        if !paused {
            let limit = self.line.limit();
            self.line.set_limit((limit / 2).max(1));
            adaptive.accepted = 0;
        }
        let end = adaptive
            .paused_until
            .filter(|_| paused)
            .map_or(until, |end| end.max(until));
        adaptive.paused_until = Some(end);
        self.line.set_paused(true);
        end
    }

    /// Ends the pause if it is over at `now`; returns whether the account is still paused.
    pub(crate) fn resume_if_due(&self, now: Instant) -> bool {
        let mut adaptive = self.adaptive.lock();
        match adaptive.paused_until {
            Some(end) if end > now => true,
            _ => {
                adaptive.paused_until = None;
                self.line.set_paused(false);
                false
            }
        }
    }

    /// How long new requests still wait for the rate limit, if they do.
    pub fn paused_for(&self, now: Instant) -> Option<Duration> {
        self.adaptive
            .lock()
            .paused_until
            .and_then(|end| end.checked_duration_since(now))
            .filter(|left| !left.is_zero())
    }
}

/// The wait a refusal asks for, when it is short enough to be waited out here.
pub(crate) fn short_wait(error: &ResponsesError) -> Option<Duration> {
    match error {
        ResponsesError::RateLimited {
            retry_after: Some(wait),
        }
        | ResponsesError::Overloaded {
            retry_after: Some(wait),
        } if *wait <= MAX_SHORT_WAIT => Some(*wait),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_halves_once_per_pause_and_climbs_back_with_demand() {
        let coordinator = AccountCoordinator::new(RequestCoordination::PerAccount);
        let start = Instant::now();
        assert_eq!(coordinator.concurrency(), START_CONCURRENCY);
        let end = coordinator.refused(Duration::from_secs(2), start);
        assert_eq!(end, start + Duration::from_secs(2));
        // A second refusal of the same burst does not halve again, but may lengthen the pause.
        let end = coordinator.refused(Duration::from_secs(3), start + Duration::from_secs(1));
        assert_eq!(end, start + Duration::from_secs(4));
        assert_eq!(coordinator.concurrency(), START_CONCURRENCY / 2);
        assert_eq!(coordinator.paused_for(start), Some(Duration::from_secs(4)));
        assert!(matches!(
            coordinator.admit(Place::Last),
            Some(Admission::Queued(_))
        ));
        assert!(coordinator.resume_if_due(start + Duration::from_secs(3)));
        assert!(!coordinator.resume_if_due(end));
        assert_eq!(coordinator.paused_for(end), None);

        // Demand (every place taken, more waiting), and answers flowing: one more at a time, up
        // to the ceiling.
        let mut held = Vec::new();
        let mut line = Vec::new();
        let mut fill = |held: &mut Vec<_>| loop {
            match coordinator.admit(Place::Last) {
                Some(Admission::Now(slot)) => held.push(slot),
                Some(Admission::Queued(ticket)) => {
                    line.push(ticket);
                    break;
                }
                None => break,
            }
        };
        fill(&mut held);
        assert_eq!(held.len(), 2);
        for _ in 0..2 {
            coordinator.accepted();
        }
        assert_eq!(coordinator.concurrency(), 3);
        for _ in 0..1000 {
            fill(&mut held);
            coordinator.accepted();
        }
        assert_eq!(coordinator.concurrency(), MAX_REQUESTS_PER_MODEL);
        // Without demand it stays where it is.
        drop(held);
        let idle = AccountCoordinator::new(RequestCoordination::PerAccount);
        for _ in 0..100 {
            idle.accepted();
        }
        assert_eq!(idle.concurrency(), START_CONCURRENCY);
    }

    #[test]
    fn only_short_stated_waits_are_waited_out() {
        let wait = |retry_after| short_wait(&ResponsesError::RateLimited { retry_after });
        assert_eq!(
            wait(Some(Duration::from_secs(12))),
            Some(Duration::from_secs(12))
        );
        assert_eq!(wait(None), None);
        assert_eq!(wait(Some(Duration::from_secs(3600))), None);
        let usage_limit = ResponsesError::UsageLimitReached {
            plan: None,
            resets_at: None,
            limits: None,
        };
        assert_eq!(short_wait(&usage_limit), None);
        let independent = AccountCoordinator::new(RequestCoordination::Independent);
        assert!(independent.admit(Place::Last).is_none());
    }
}
