//! Renewals in flight, app-wide: so that no process walks away from a refresh it has sent.
//!
//! A refresh request spends the stored refresh token the moment the issuer reads it; the rotated
//! one exists only in the answer. A process that exits (or an app that quits) before the answer
//! is stored loses the sign-in for every process that shares the store. So every renewal
//! [`super::State`] starts is tracked here until it ends, independently of the state (a sign-out
//! drops the state's handle, but the renewal still runs to the end, then revokes what it got).
//!
//! - [`finish_renewals`]: a future that ends when every renewal running now has ended (store
//!   write included). The command line awaits it, bounded, before asking gpui to quit — on
//!   success, on error and on a stop signal (Ctrl-C, SIGTERM, SIGHUP).
//! - [`keep_answers_at_quit`]: gpui's quit hook, for apps that quit on their own (the editor).
//!   gpui runs quit hooks with the app borrowed and gives them 100 ms, so no store write can
//!   start there; instead the hook blocks, bounded by [`QUIT_WAIT`], for the answers of renewals
//!   still waiting for the issuer (read off the UI thread), and keeps each in the store's
//!   [`QuitJournal`], from which the next start stores it.
//! - [`renewals_in_flight`]: whether one runs now (what a stopped command says it waits for).
//! - [`unsaved_renewal`]: the last renewal whose tokens could not be written to the store, so a
//!   short-lived process can end with that error instead of exiting as if all were well.

use super::error::AuthError;
use super::quit_journal::{QUIT_WAIT, QuitJournal};
use crate::credentials::StoredCredentials;
use crate::secret::RefreshToken;
use futures::FutureExt as _;
use futures::channel::oneshot;
use futures::future::{LocalBoxFuture, Shared};
use gpui::{App, Global};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::mpsc;
use std::time::Instant;

/// Held by a renewal's task from its start until its future is dropped: when it ran to the end,
/// or when gpui dropped it unrun (gpui drops the UI-thread tasks still queued when its main loop
/// ends). Waiting on this rather than on the task itself is what makes waiting safe at quit: a
/// gpui task cancelled that way panics ("Task polled after completion") when awaited.
pub(super) struct Running {
    _ended: oneshot::Sender<()>,
    /// Set once the refresh request is sent: what the quit hook needs to keep its answer.
    awaiting_issuer: RefCell<Option<AwaitingIssuer>>,
}

/// A renewal whose refresh request has been sent: the issuer has spent `spent`.
pub(super) struct AwaitingIssuer {
    /// Receives the record to store, once the issuer has answered with new tokens (off the UI
    /// thread). Closed without a record when the refresh failed: nothing was issued.
    pub answer: mpsc::Receiver<StoredCredentials>,
    /// The refresh token the request spent.
    pub spent: RefreshToken,
    /// Where the answer is kept if the app quits before storing it.
    pub journal: QuitJournal,
}

impl Running {
    /// Records that the refresh request is on its way (see [`keep_answers_at_quit`]).
    pub(super) fn sent(&self, awaiting: AwaitingIssuer) {
        *self.awaiting_issuer.borrow_mut() = Some(awaiting);
    }
}

/// One tracked renewal: whether it still runs, and a future that ends when it does.
struct Tracked {
    running: Weak<Running>,
    ended: Shared<oneshot::Receiver<()>>,
}

impl Tracked {
    fn is_running(&self) -> bool {
        self.running.strong_count() > 0
    }
}

/// The app's renewals in flight, and the last one that could not be stored.
#[derive(Default)]
struct Renewals {
    in_flight: Vec<Tracked>,
    unsaved: Option<AuthError>,
}

impl Global for Renewals {}

/// Tracks a renewal about to start; its task must hold the returned guard until it ends.
pub(super) fn track(cx: &mut App) -> Rc<Running> {
    let (ended, on_end) = oneshot::channel();
    let running = Rc::new(Running {
        _ended: ended,
        awaiting_issuer: RefCell::default(),
    });
    let renewals = cx.default_global::<Renewals>();
    renewals.in_flight.retain(Tracked::is_running);
    renewals.in_flight.push(Tracked {
        running: Rc::downgrade(&running),
        ended: on_end.shared(),
    });
    running
}

/// Records a renewal whose new tokens could not be stored (`None` clears it: a later write
/// succeeded).
pub(super) fn set_unsaved(error: Option<AuthError>, cx: &mut App) {
    cx.default_global::<Renewals>().unsaved = error;
}

/// Whether a renewal is running now (a command line that is told to stop says it waits for it).
pub fn renewals_in_flight(cx: &App) -> bool {
    cx.try_global::<Renewals>()
        .is_some_and(|renewals| renewals.in_flight.iter().any(Tracked::is_running))
}

/// Ends when every renewal running now has ended (its store write included), or was dropped
/// unrun. Bound it: a renewal may wait for another process's lock and for the issuer.
pub fn finish_renewals(cx: &App) -> LocalBoxFuture<'static, ()> {
    let running: Vec<Shared<oneshot::Receiver<()>>> = cx
        .try_global::<Renewals>()
        .map(|renewals| {
            renewals
                .in_flight
                .iter()
                .filter(|renewal| renewal.is_running())
                .map(|renewal| renewal.ended.clone())
                .collect()
        })
        .unwrap_or_default();
    if !running.is_empty() {
        log::debug!(
            "waiting for {} ChatGPT session renewal(s) to finish",
            running.len()
        );
    }
    // The guard is dropped, never sent: each receiver ends with `Canceled`, which is the signal.
    futures::future::join_all(running).map(|_| ()).boxed_local()
}

/// gpui's quit hook: for every renewal whose refresh request was sent and whose answer is not
/// stored yet, waits (blocking the UI thread, at most [`QUIT_WAIT`] in all) for the issuer's
/// answer and keeps it in the store's [`QuitJournal`]; the next start stores it. Synchronous on
/// purpose: gpui polls the futures quit hooks return for only 100 ms, with the app borrowed.
pub(super) fn keep_answers_at_quit(cx: &mut App) {
    let Some(renewals) = cx.try_global::<Renewals>() else {
        return;
    };
    let started = Instant::now();
    for renewal in &renewals.in_flight {
        let Some(running) = renewal.running.upgrade() else {
            continue;
        };
        let Some(awaiting) = running.awaiting_issuer.borrow_mut().take() else {
            continue;
        };
        let wait = QUIT_WAIT.saturating_sub(started.elapsed());
        match awaiting.answer.recv_timeout(wait) {
            Ok(record) => match awaiting.journal.keep(&awaiting.spent, &record) {
                Ok(()) => log::info!(
                    "quitting during a ChatGPT session renewal: its answer is kept in {} and \
                     stored at the next start",
                    awaiting.journal.path().display()
                ),
                Err(error) => log::error!(
                    "quitting during a ChatGPT session renewal: could not keep its answer in \
                     {}: {error}",
                    awaiting.journal.path().display()
                ),
            },
            Err(mpsc::RecvTimeoutError::Timeout) => log::warn!(
                "quitting before the issuer answered a ChatGPT session renewal (waited {}s)",
                QUIT_WAIT.as_secs()
            ),
            // The refresh failed or timed out: no new tokens exist.
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
    }
}

/// The last renewal whose new tokens could not be stored, if the latest did not succeed.
pub fn unsaved_renewal(cx: &App) -> Option<AuthError> {
    cx.try_global::<Renewals>()
        .and_then(|renewals| renewals.unsaved.clone())
}
