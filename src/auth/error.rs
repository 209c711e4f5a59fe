//! [`AuthError`]: what went wrong with the sign-in, in words the user can act on.
//!
//! Every message says what happened and what to do. None quotes a token, a code or a response
//! body: details come from transport errors, file paths and the issuer's error *codes* only.

use super::refresh_error::{PermanentReason, RefreshError, TransientReason};

/// A sign-in, renewal or storage failure, ready to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Nobody is signed in.
    #[error("You are not signed in to ChatGPT. Sign in to use your subscription.")]
    NotSignedIn,
    /// The refresh token is dead (expired, revoked, reused): only a new sign-in helps.
    #[error("Your ChatGPT session has ended; sign in again.")]
    SessionEnded(PermanentReason),
    /// The session could not be renewed this time; the sign-in is kept.
    #[error(
        "Could not renew your ChatGPT session: {0}. You are still signed in; the next request will try again."
    )]
    RenewalFailed(TransientReason),
    /// The user signed out (or signed in anew) while this operation ran; its result was dropped.
    #[error("You signed out of ChatGPT while this was in progress.")]
    SignedOutMeanwhile,
    /// Another process signed out, or found the session ended (the store no longer holds the
    /// sign-in this one renewed from);
    /// whatever the renewal obtained was revoked and dropped.
    #[error(
        "Your ChatGPT sign-in was removed by another window or process (signed out, or its session ended); sign in again."
    )]
    SignedOutElsewhere,
    /// The lock that lets one process at a time renew could not be taken; the sign-in is kept.
    #[error(
        "Could not renew your ChatGPT session: {0}. You are still signed in; the next request will try again."
    )]
    RenewalLocked(#[from] crate::credentials::LockError),
    /// Renewed, but the new sign-in could not be written: it is used from memory while this
    /// process runs, and lost when it ends (the issuer has already retired the stored one).
    #[error(
        "Your new ChatGPT sign-in could not be saved to the {store}: {detail}. It works until this program exits; then you will have to sign in again unless the store is fixed."
    )]
    RenewalNotSaved {
        /// Which store.
        store: String,
        /// What it said.
        detail: String,
    },
    /// The credential store could not be read or changed.
    #[error(
        "Could not save your ChatGPT sign-in in the {store}: {detail}. Try again, or choose another credential store."
    )]
    Store {
        /// Which store.
        store: String,
        /// What it said.
        detail: String,
    },
    /// Signing in did not complete (the flow's own message, written for the user).
    #[error(transparent)]
    SignIn(#[from] crate::oauth::OAuthError),
    /// The tokens do not name a ChatGPT account, so the backend cannot be called.
    #[error("The ChatGPT sign-in does not name a ChatGPT account; sign in again.")]
    NoAccount,
    /// The stored sign-in could not be read (the store is a directory, unreadable, locked…).
    #[error(
        "Could not read your ChatGPT sign-in from the {store}: {detail}. Fix it (a file store must be a readable file) or choose another credential store with --store, then try again."
    )]
    StoreUnreadable {
        /// Which store.
        store: String,
        /// What it said.
        detail: String,
    },
    /// Signing out could not delete the stored sign-in.
    #[error(
        "Could not delete your ChatGPT sign-in from the {store}: {detail}. It may still be stored there: try again, or remove it by hand."
    )]
    StoreNotDeleted {
        /// Which store.
        store: String,
        /// What it said.
        detail: String,
    },
}

impl AuthError {
    /// True when the user has to sign in (again) before anything works.
    pub(crate) fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            Self::NotSignedIn | Self::SessionEnded(_) | Self::NoAccount | Self::SignedOutElsewhere
        )
    }

    /// A store error, from the store's name and its error chain.
    pub fn store(store: String, error: &anyhow::Error) -> Self {
        Self::Store {
            store,
            detail: format!("{error:#}"),
        }
    }
}

impl From<RefreshError> for AuthError {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::Permanent(reason) => Self::SessionEnded(reason),
            RefreshError::Transient(reason) => Self::RenewalFailed(reason),
        }
    }
}
