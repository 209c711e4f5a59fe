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
//!   success, on error and on a stop signal (Ctrl-C, SIGTERM, SIGHUP); [`super::State`] awaits it
//!   in gpui's quit hook (which gpui bounds to 100 ms, with the UI thread blocked) for apps that
//!   quit on their own.
//! - [`renewals_in_flight`]: whether one runs now (what a stopped command says it waits for).
//! - [`unsaved_renewal`]: the last renewal whose tokens could not be written to the store, so a
//!   short-lived process can end with that error instead of exiting as if all were well.

use super::error::AuthError;
use super::state::SharedRefresh;
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::{App, Global};

/// The app's renewals in flight, and the last one that could not be stored.
#[derive(Default)]
struct Renewals {
    in_flight: Vec<SharedRefresh>,
    unsaved: Option<AuthError>,
}

impl Global for Renewals {}

/// Tracks `renewal` until it ends.
pub(super) fn track(renewal: &SharedRefresh, cx: &mut App) {
    let renewals = cx.default_global::<Renewals>();
    renewals
        .in_flight
        .retain(|renewal| renewal.peek().is_none());
    renewals.in_flight.push(renewal.clone());
}

/// Records a renewal whose new tokens could not be stored (`None` clears it: a later write
/// succeeded).
pub(super) fn set_unsaved(error: Option<AuthError>, cx: &mut App) {
    cx.default_global::<Renewals>().unsaved = error;
}

/// Whether a renewal is running now (a command line that is told to stop says it waits for it).
pub fn renewals_in_flight(cx: &App) -> bool {
    cx.try_global::<Renewals>().is_some_and(|renewals| {
        renewals
            .in_flight
            .iter()
            .any(|renewal| renewal.peek().is_none())
    })
}

/// Ends when every renewal running now has ended, its store write included. Bound it: a
/// renewal may wait for another process's lock and for the issuer.
pub fn finish_renewals(cx: &App) -> LocalBoxFuture<'static, ()> {
    let running: Vec<SharedRefresh> = cx
        .try_global::<Renewals>()
        .map(|renewals| {
            renewals
                .in_flight
                .iter()
                .filter(|renewal| renewal.peek().is_none())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if !running.is_empty() {
        log::debug!(
            "waiting for {} ChatGPT session renewal(s) to finish",
            running.len()
        );
    }
    futures::future::join_all(running).map(|_| ()).boxed_local()
}

/// The last renewal whose new tokens could not be stored, if the latest did not succeed.
pub fn unsaved_renewal(cx: &App) -> Option<AuthError> {
    cx.try_global::<Renewals>()
        .and_then(|renewals| renewals.unsaved.clone())
}
