//! [`CancelHandle`]: stopping a sign-in from outside while someone else awaits its result.
//!
//! Dropping a sign-in's `Task` also stops it, but the UI often holds the task in one place (an
//! awaiting entity) and the Cancel button in another. Cancelling makes the task finish with
//! [`OAuthError::Cancelled`]; the work inside is dropped at once, which closes its sockets and
//! releases the callback port.

use super::error::OAuthError;
use futures::FutureExt as _;
use futures::future::{AbortHandle, Abortable};
use std::future::Future;

/// Cancels the sign-in it came with. Cheap to clone; cancelling twice, or after the sign-in
/// ended, does nothing.
#[derive(Clone, Debug)]
pub struct CancelHandle(AbortHandle);

impl CancelHandle {
    /// Stops the sign-in: its task resolves to [`OAuthError::Cancelled`].
    pub fn cancel(&self) {
        self.0.abort();
    }
}

/// Wraps `future` so that the returned handle can stop it.
pub(crate) fn cancellable<T>(
    future: impl Future<Output = Result<T, OAuthError>>,
) -> (CancelHandle, impl Future<Output = Result<T, OAuthError>>) {
    let (handle, registration) = AbortHandle::new_pair();
    let future = Abortable::new(future, registration)
        .map(|outcome| outcome.unwrap_or(Err(OAuthError::Cancelled)));
    (CancelHandle(handle), future)
}
