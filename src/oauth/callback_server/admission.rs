//! Which connections the callback server keeps open, so that a flood of idle ones cannot shut
//! out the browser.
//!
//! The server serves at most [`MAX_CONNECTIONS`](super::MAX_CONNECTIONS) connections at once (a
//! flood must not exhaust memory or file descriptors). A connection that has not yet sent a
//! complete request head is *idle*: it costs a slot and gives nothing. When every slot is taken
//! and another connection arrives, the oldest idle connection is closed to make room, rather
//! than the newcomer being turned away. The browser sends its request as soon as it connects, so
//! it is never the oldest idle one for long: however many silent or half-sent connections are
//! held open, the real redirect gets through. Only when every slot is busy answering a complete
//! request is the newcomer closed instead.

use futures::future::{AbortHandle, AbortRegistration};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Identifies one admitted connection among the open ones.
pub(crate) type ConnectionId = u64;

/// Set by a connection once its request head has been read (or its reading ended): from then on
/// it is no longer idle and is never evicted.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadRead(Arc<AtomicBool>);

impl HeadRead {
    /// Marks the head as read.
    pub(crate) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a newly admitted connection needs: its id (to report when it ends), the flag to set when
/// its head is read, and the registration that lets it be closed to make room.
pub(crate) struct Admitted {
    pub id: ConnectionId,
    pub head_read: HeadRead,
    pub eviction: AbortRegistration,
}

struct Slot {
    id: ConnectionId,
    head_read: HeadRead,
    evict: AbortHandle,
}

/// The open connections of one wait, oldest first.
pub(crate) struct OpenConnections {
    capacity: usize,
    slots: VecDeque<Slot>,
    next_id: ConnectionId,
}

impl OpenConnections {
    /// Room for `capacity` connections at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            slots: VecDeque::with_capacity(capacity),
            next_id: 0,
        }
    }

    /// Admits a new connection, closing the oldest idle one if every slot is taken. `None` when
    /// every slot is busy with a complete request: the newcomer is to be closed.
    pub(crate) fn admit(&mut self) -> Option<Admitted> {
        if self.slots.len() >= self.capacity {
            let oldest_idle = self
                .slots
                .iter()
                .position(|slot| !slot.head_read.is_marked())?;
            if let Some(evicted) = self.slots.remove(oldest_idle) {
                evicted.evict.abort();
            }
        }
        let (evict, eviction) = AbortHandle::new_pair();
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let head_read = HeadRead::default();
        self.slots.push_back(Slot {
            id,
            head_read: head_read.clone(),
            evict,
        });
        Some(Admitted {
            id,
            head_read,
            eviction,
        })
    }

    /// Forgets a connection that has ended.
    pub fn ended(&mut self, id: ConnectionId) {
        if let Some(position) = self.slots.iter().position(|slot| slot.id == id) {
            self.slots.remove(position);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_idle_connection_makes_room() {
        let mut open = OpenConnections::new(3);
        let first = open.admit().unwrap();
        let second = open.admit().unwrap();
        let third = open.admit().unwrap();
        // The first is answering a complete request: it is kept.
        first.head_read.mark();
        let fourth = open.admit().unwrap();
        assert!(second.eviction.handle().is_aborted());
        assert!(!first.eviction.handle().is_aborted());
        assert!(!third.eviction.handle().is_aborted());

        // An ended connection frees its slot without evicting anyone.
        open.ended(third.id);
        let _fifth = open.admit().unwrap();
        assert!(!fourth.eviction.handle().is_aborted());
    }

    #[test]
    fn a_newcomer_is_refused_only_when_every_slot_is_busy() {
        let mut open = OpenConnections::new(2);
        let busy: Vec<Admitted> = (0..2).map(|_| open.admit().unwrap()).collect();
        for admitted in &busy {
            admitted.head_read.mark();
        }
        assert!(open.admit().is_none());
        assert!(busy.iter().all(|a| !a.eviction.handle().is_aborted()));
    }
}
