//! The auth state machine: who is signed in, keeping the tokens fresh, and signing out.
//!
//! - [`State`] (`state.rs`): the gpui entity holding one [`AuthState`], with `authenticate`,
//!   `sign_in`, `get_fresh_credentials`, `force_refresh` and `sign_out`.
//! - `renew.rs`: how one refresh runs (one process at a time through the store's lock file, adopt
//!   another process's tokens, ask the issuer, store first, sign-out wins).
//! - `in_flight.rs`: every renewal in flight, so a process waits for them before it exits
//!   ([`finish_renewals`]), and the last one that could not be stored ([`unsaved_renewal`]).
//! - [`refresh`]: the refresh request (RFC 6749 §6); [`refresh_error`]: permanent vs transient.
//! - [`revoke`]: best-effort revocation on sign-out (RFC 7009).
//! - [`sign_in`]: the method, the progress shown, and the seam to [`crate::oauth`]'s flows.
//! - [`AuthError`]: what went wrong, in words the user can act on.
//!
//! Credentials are kept by a [`crate::credentials::CredentialStore`]; this module decides when
//! to read, write and delete them.

mod error;
mod in_flight;
mod policy;
pub mod refresh;
pub mod refresh_error;
mod renew;
pub mod revoke;
pub mod sign_in;
mod state;

pub use error::AuthError;
pub use in_flight::{finish_renewals, renewals_in_flight, unsaved_renewal};
pub use policy::RefreshPolicy;
pub use refresh_error::{PermanentReason, RefreshError, TransientReason};
pub use sign_in::{
    BrowserLaunch, OAuthSignIn, OfficialSignIn, ProgressReporter, SignInFlows, SignInMethod,
    SignInProgress,
};
pub use state::{AuthState, State};
