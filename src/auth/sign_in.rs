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
use crate::oauth::{self, CallbackServerOptions, DeviceCodeOptions};
use anyhow::Result;
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
    /// The loopback callback server's ports and timeouts (default: 1455, then 1457).
    pub callback: CallbackServerOptions,
    /// How long device-code polling may take.
    pub device_code: DeviceCodeOptions,
}

impl OAuthSignIn {
    /// The real flows with the default ports and time limits.
    pub fn new(config: Config, http: Arc<dyn HttpClient>) -> Self {
        Self {
            config,
            http,
            callback: CallbackServerOptions::default(),
            device_code: DeviceCodeOptions::default(),
        }
    }
}

impl SignInFlows for OAuthSignIn {
    fn start(
        &self,
        method: SignInMethod,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet>> {
        let http = self.http.clone();
        let config = self.config.clone();
        let executor = cx.background_executor().clone();
        let device_code = self.device_code.clone();
        match method {
            SignInMethod::Browser => {
                // The listener is bound before the URL is reported, so the browser can never
                // reach the callback port before it is listening.
                let sign_in = match oauth::start_browser_sign_in(
                    http,
                    &config,
                    &executor,
                    self.callback.clone(),
                ) {
                    Ok(sign_in) => sign_in,
                    Err(error) => return Task::ready(Err(error.into())),
                };
                progress.report(SignInProgress::WaitingForBrowser {
                    authorize_url: sign_in.authorize_url.clone(),
                });
                let task = sign_in.task;
                executor.spawn(async move { task.await.map_err(anyhow::Error::from) })
            }
            SignInMethod::DeviceCode => executor.clone().spawn(async move {
                let code = oauth::request_device_code(http.clone(), &config, &executor).await?;
                progress.report(SignInProgress::WaitingForDeviceCode {
                    verification_url: code.verification_url().clone(),
                    user_code: code.user_code().to_string(),
                });
                let sign_in =
                    code.wait_for_approval(http, &config, &executor, device_code);
                Ok(sign_in.task.await?)
            }),
        }
    }
}
