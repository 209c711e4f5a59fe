//! At most `MAX_REQUESTS_PER_MODEL` requests per model in flight; the rest wait their turn, in
//! order, and know their place in the line.
//!
//! Zed caps each model's concurrent requests (4 in its subscription provider, 16 in upstream's
//! newer `ModelRateLimiters`) because many parallel sub-agents otherwise leave threads stuck at
//! the backend. Unlike a bare semaphore, this limiter tells a waiting request where it stands, so
//! the host can show `Queued { position }`. The same line, with a limit that changes and a pause,
//! is the account's budget ([`super::account_coordinator`]).
//!
//! - `ModelRequestLimiters::for_model` hands out the one [`RequestLimiter`] shared by every
//!   request to a model.
//! - `RequestLimiter::admit` either takes a free slot at once (`Admission::Now`) or joins the
//!   line (`Admission::Queued`): a `QueueTicket` that is a future of its `RequestSlot` and
//!   a stream of its position (1 = next).
//! - A `RequestSlot` frees its place when dropped: the slot passes straight to the first in
//!   line, and everyone behind learns their new position.
//! - Dropping a `QueueTicket` leaves the line (those behind move up); if its slot had already
//!   been handed over, it is passed on. Nothing polls: waiting is a oneshot channel, and
//!   positions arrive on an unbounded channel, woken only when the line moves.

use futures::channel::{mpsc, oneshot};
use futures::{FutureExt as _, Stream};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Requests to one model allowed in flight at once: upstream's `DEFAULT_MODEL_CONCURRENCY`
/// (`ModelRateLimiters`, 16; Zed's provider used to build `RateLimiter::new(4)`). The account's
/// own limit, which adapts, sits in front of it ([`super::account_coordinator`]).
pub(crate) const MAX_REQUESTS_PER_MODEL: usize = 16;

/// One limiter per model slug.
pub(crate) struct ModelRequestLimiters {
    limit: usize,
    limiters: Mutex<HashMap<String, RequestLimiter>>,
}

impl ModelRequestLimiters {
    /// Limiters allowing `limit` requests per model.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            limiters: Mutex::default(),
        }
    }

    /// The limiter every request to `slug` shares.
    pub(crate) fn for_model(&self, slug: &str) -> RequestLimiter {
        self.limiters
            .lock()
            .entry(slug.to_string())
            .or_insert_with(|| RequestLimiter::new(self.limit))
            .clone()
    }
}

impl Default for ModelRequestLimiters {
    fn default() -> Self {
        Self::new(MAX_REQUESTS_PER_MODEL)
    }
}

/// The slots of one model.
#[derive(Clone)]
pub struct RequestLimiter {
    line: Arc<Mutex<Line>>,
}

struct Line {
    limit: usize,
    /// While paused, no slot is handed out (a rate limit's wait); releases still count.
    paused: bool,
    in_flight: usize,
    waiting: VecDeque<Waiter>,
    next_ticket: u64,
}

struct Waiter {
    ticket: u64,
    grant: oneshot::Sender<()>,
    positions: mpsc::UnboundedSender<usize>,
}

impl Line {
    /// Tells everyone in line where they stand now.
    fn announce_positions(&self) {
        for (index, waiter) in self.waiting.iter().enumerate() {
            // A closed channel means the ticket is being dropped; it leaves the line itself.
            waiter
                .positions
                .unbounded_send(index.saturating_add(1))
                .ok();
        }
    }

    /// A slot came free: hand it to the first in line still waiting, or count it free.
    fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.grant_free_slots();
    }

    /// Hands every free slot (below the limit, unless paused) to the first in line still
    /// waiting; tells the rest where they stand when the line moved.
    fn grant_free_slots(&mut self) {
        let mut moved = false;
        while !self.paused && self.in_flight < self.limit {
            let Some(waiter) = self.waiting.pop_front() else {
                break;
            };
            moved = true;
            if waiter.grant.send(()).is_ok() {
                self.in_flight = self.in_flight.saturating_add(1);
            }
        }
        if moved {
            self.announce_positions();
        }
    }
}

/// Where a request joins the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Behind everyone (a new request).
    Last,
    /// Ahead of everyone (a request sent back by a rate limit: it was first before).
    First,
}

/// Whether a request may go now or must wait.
pub(crate) enum Admission {
    /// A slot was free.
    Now(RequestSlot),
    /// The request waits in line.
    Queued(QueueTicket),
}

impl RequestLimiter {
    /// A limiter allowing `limit` requests in flight (at least one).
    pub fn new(limit: usize) -> Self {
        Self {
            line: Arc::new(Mutex::new(Line {
                limit: limit.max(1),
                paused: false,
                in_flight: 0,
                waiting: VecDeque::new(),
                next_ticket: 0,
            })),
        }
    }

    /// Takes a slot if one is free and nobody waits; otherwise joins the end of the line.
    pub(crate) fn admit(&self) -> Admission {
        self.admit_at(Place::Last)
    }

    /// Takes a slot if one is free, nobody waits and the line is not paused; otherwise joins
    /// the line at `place`.
    pub(crate) fn admit_at(&self, place: Place) -> Admission {
        let mut line = self.line.lock();
        if !line.paused && line.in_flight < line.limit && line.waiting.is_empty() {
            line.in_flight = line.in_flight.saturating_add(1);
            return Admission::Now(RequestSlot {
                line: self.line.clone(),
            });
        }
        let ticket = line.next_ticket;
        line.next_ticket = line.next_ticket.wrapping_add(1);
        let (grant, granted) = oneshot::channel();
        let (positions_tx, positions) = mpsc::unbounded();
        let waiter = Waiter {
            ticket,
            grant,
            positions: positions_tx,
        };
        match place {
            Place::Last => {
                waiter
                    .positions
                    .unbounded_send(line.waiting.len().saturating_add(1))
                    .ok();
                line.waiting.push_back(waiter);
            }
            Place::First => {
                line.waiting.push_front(waiter);
                line.announce_positions();
            }
        }
        Admission::Queued(QueueTicket {
            line: self.line.clone(),
            ticket,
            granted,
            positions: Some(positions),
            admitted: false,
        })
    }

    /// How many requests hold a slot now.
    pub fn in_flight(&self) -> usize {
        self.line.lock().in_flight
    }

    /// How many requests wait.
    pub fn waiting(&self) -> usize {
        self.line.lock().waiting.len()
    }

    /// How many requests may be in flight now.
    pub fn limit(&self) -> usize {
        self.line.lock().limit
    }

    /// Changes how many requests may be in flight (at least one). Lowered, the requests in
    /// flight finish and no new one starts until they are below it; raised, those waiting go.
    pub(crate) fn set_limit(&self, limit: usize) {
        let mut line = self.line.lock();
        line.limit = limit.max(1);
        line.grant_free_slots();
    }

    /// Stops (`true`) or resumes (`false`) handing out slots; requests in flight go on.
    pub(crate) fn set_paused(&self, paused: bool) {
        let mut line = self.line.lock();
        line.paused = paused;
        line.grant_free_slots();
    }
}

/// A place among the requests in flight; dropping it lets the next request in.
pub(crate) struct RequestSlot {
    line: Arc<Mutex<Line>>,
}

impl Drop for RequestSlot {
    fn drop(&mut self) {
        self.line.lock().release();
    }
}

/// A place in line: resolves to a [`RequestSlot`] when its turn comes.
pub(crate) struct QueueTicket {
    line: Arc<Mutex<Line>>,
    ticket: u64,
    granted: oneshot::Receiver<()>,
    positions: Option<mpsc::UnboundedReceiver<usize>>,
    /// Whether the slot was handed to the caller (it then frees it).
    admitted: bool,
}

impl QueueTicket {
    /// The ticket's position each time it changes (1 = next), starting with the current one.
    /// The stream ends when the turn comes or the ticket is dropped. Can be taken once.
    pub fn positions(&mut self) -> Option<impl Stream<Item = usize> + Send + Unpin + 'static> {
        self.positions.take()
    }
}

impl Future for QueueTicket {
    type Output = RequestSlot;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RequestSlot> {
        match self.granted.poll_unpin(cx) {
            Poll::Ready(Ok(())) => {
                self.admitted = true;
                Poll::Ready(RequestSlot {
                    line: self.line.clone(),
                })
            }
            // The sender lives in the line until it grants; it is never dropped unsent while
            // this ticket is in line, so this does not happen. Wait rather than admit wrongly.
            Poll::Ready(Err(oneshot::Canceled)) => Poll::Pending,
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for QueueTicket {
    fn drop(&mut self) {
        if self.admitted {
            return;
        }
        let mut line = self.line.lock();
        if let Some(index) = line
            .waiting
            .iter()
            .position(|waiter| waiter.ticket == self.ticket)
        {
            line.waiting.remove(index);
            line.announce_positions();
        } else if self.granted.try_recv().ok().flatten().is_some() {
            // The slot was handed over but never taken: pass it on.
            line.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;
    use futures::executor::block_on;

    fn queued(admission: Admission) -> QueueTicket {
        match admission {
            Admission::Queued(ticket) => ticket,
            Admission::Now(_) => panic!("expected to wait"),
        }
    }

    fn now(admission: Admission) -> RequestSlot {
        match admission {
            Admission::Now(slot) => slot,
            Admission::Queued(_) => panic!("expected a free slot"),
        }
    }

    #[test]
    fn slots_pass_in_order_and_positions_follow() {
        let limiter = RequestLimiter::new(2);
        let first = now(limiter.admit());
        let second = now(limiter.admit());
        let mut third = queued(limiter.admit());
        let mut fourth = queued(limiter.admit());
        let mut third_positions = third.positions().unwrap();
        let mut fourth_positions = fourth.positions().unwrap();
        assert_eq!(block_on(third_positions.next()), Some(1));
        assert_eq!(block_on(fourth_positions.next()), Some(2));
        assert_eq!((limiter.in_flight(), limiter.waiting()), (2, 2));

        drop(first);
        let third_slot = block_on(third);
        assert_eq!(block_on(fourth_positions.next()), Some(1));
        assert_eq!(block_on(third_positions.next()), None, "its turn came");
        assert_eq!((limiter.in_flight(), limiter.waiting()), (2, 1));

        drop(second);
        drop(third_slot);
        let fourth_slot = block_on(fourth);
        drop(fourth_slot);
        assert_eq!((limiter.in_flight(), limiter.waiting()), (0, 0));
        drop(now(limiter.admit()));
    }

    #[test]
    fn a_lowered_limit_waits_for_requests_to_finish_and_a_pause_holds_the_line() {
        let limiter = RequestLimiter::new(2);
        let first = now(limiter.admit());
        let second = now(limiter.admit());
        let mut waiting = queued(limiter.admit());
        let mut positions = waiting.positions().unwrap();
        assert_eq!(block_on(positions.next()), Some(1));
        limiter.set_limit(1);
        drop(first);
        // One still in flight, at the new limit: the waiter stays.
        assert_eq!((limiter.in_flight(), limiter.waiting()), (1, 1));
        limiter.set_paused(true);
        drop(second);
        assert_eq!((limiter.in_flight(), limiter.waiting()), (0, 1));
        // A request sent back by a rate limit goes first.
        let mut retried = queued(limiter.admit_at(Place::First));
        assert_eq!(block_on(retried.positions().unwrap().next()), Some(1));
        assert_eq!(block_on(positions.next()), Some(2));
        limiter.set_paused(false);
        let retried_slot = block_on(retried);
        assert_eq!(block_on(positions.next()), Some(1));
        limiter.set_limit(2);
        let waiting_slot = block_on(waiting);
        assert_eq!((limiter.in_flight(), limiter.waiting()), (2, 0));
        drop((retried_slot, waiting_slot));
        assert_eq!(limiter.in_flight(), 0);
    }

    #[test]
    fn a_dropped_ticket_leaves_the_line_and_a_granted_one_passes_its_slot_on() {
        let limiter = RequestLimiter::new(1);
        let slot = now(limiter.admit());
        let leaving = queued(limiter.admit());
        let mut staying = queued(limiter.admit());
        let mut positions = staying.positions().unwrap();
        assert_eq!(block_on(positions.next()), Some(2));
        drop(leaving);
        assert_eq!(block_on(positions.next()), Some(1));

        // Granted while nobody polls it, then dropped: the slot goes to the next in line.
        let last = queued(limiter.admit());
        drop(slot);
        drop(staying);
        let last_slot = block_on(last);
        assert_eq!((limiter.in_flight(), limiter.waiting()), (1, 0));
        drop(last_slot);
        assert_eq!(limiter.in_flight(), 0);
    }
}
