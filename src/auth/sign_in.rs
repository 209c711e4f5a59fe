//! How a sign-in is started: the [`SignInMethod`], its [`SignInProgress`], and the
//! [`SignInFlows`] seam between the state machine and [`crate::oauth`].
//!
//! The state machine does not know how tokens are obtained. It asks a [`SignInFlows`] to start a
//! flow for a method and gets a task that yields a [`TokenSet`]; while it runs, the flow reports
//! what the user has to do (open this URL, type this code) through a [`ProgressReporter`]. Dropping
//! the task cancels the flow, which must release what it holds (the loopback callback port).
//! [`OAuthSignIn`] is the production implementation; tests substitute their own.

use crate::config::Config;
use crate::oauth::TokenSet;
use anyhow::{Result, anyhow};
use futures::channel::mpsc;
use gpui::{App, Task};
use http_client::HttpClient;
use std::sync::Arc;
use url::Url;

/// How the user signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignInMethod {
    /// The browser, with a loopback callback (OAuth 2.0 authorization code + PKCE).
    Browser,
    /// A code typed on another device (for SSH, containers, WSL, busy ports).
    DeviceCode,
}

/// What a running sign-in is waiting for, to show the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInProgress {
    /// The flow is starting (binding the callback port, asking for a device code).
    Starting,
    /// Waiting for the user to finish in the browser; the URL is shown in case it did not open.
    /// (The URL carries only public values: the PKCE challenge and the state are not secrets
    /// beyond this sign-in, and the verifier never leaves the process.)
    WaitingForBrowser {
        /// The authorize URL.
        authorize_url: Url,
    },
    /// Waiting for the user to type `user_code` at `verification_url`.
    WaitingForDeviceCode {
        /// Where to type it.
        verification_url: Url,
        /// The code to type.
        user_code: String,
    },
}

/// Lets a flow tell the state machine what the user should do now.
#[derive(Clone)]
pub struct ProgressReporter(mpsc::UnboundedSender<SignInProgress>);

impl ProgressReporter {
    /// A reporter and the receiving end of its reports.
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<SignInProgress>) {
        let (sender, receiver) = mpsc::unbounded();
        (Self(sender), receiver)
    }

    /// Reports a new step. Ignored if the sign-in was cancelled meanwhile.
    pub fn report(&self, progress: SignInProgress) {
        self.0.unbounded_send(progress).ok();
    }
}

/// Starts sign-in flows.
pub trait SignInFlows: 'static {
    /// Starts a flow for `method`. The task yields the tokens; dropping it cancels the flow.
    fn start(
        &self,
        method: SignInMethod,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet>>;
}

impl<F> SignInFlows for F
where
    F: Fn(SignInMethod, ProgressReporter, &mut App) -> Task<Result<TokenSet>> + 'static,
{
    fn start(
        &self,
        method: SignInMethod,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet>> {
        self(method, progress, cx)
    }
}

/// The real flows of [`crate::oauth`], against `config`'s issuer.
pub struct OAuthSignIn {
    /// The issuer and client.
    pub config: Config,
    /// The HTTP client for the token and device-code requests.
    pub http: Arc<dyn HttpClient>,
}

impl SignInFlows for OAuthSignIn {
    fn start(
        &self,
        method: SignInMethod,
        _progress: ProgressReporter,
        _cx: &mut App,
    ) -> Task<Result<TokenSet>> {
        // Wired to `crate::oauth`'s browser and device-code flows when that module lands.
        Task::ready(Err(anyhow!(
            "{method:?} sign-in is not available in this build"
        )))
    }
}
