//! How a sign-in is started: the [`SignInMethod`], its [`SignInProgress`], and the
//! [`SignInFlows`] seam between the state machine and [`crate::oauth`].
//!
//! The state machine does not know how tokens are obtained. It asks a [`SignInFlows`] to start a
//! flow for a method and gets a task that yields a [`TokenSet`]; while it runs, the flow reports
//! what the user has to do (open this URL, type this code) through a [`ProgressReporter`]. Dropping
//! the task cancels the flow, which must release what it holds (the loopback callback port).
//! [`OAuthSignIn`] is the production implementation; tests substitute their own.

use crate::config::Config;
use crate::oauth::{
    CallbackServerOptions, DeviceCodeOptions, OAuthError, TokenSet, request_device_code,
    start_browser_sign_in,
};
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
    /// The official "Sign in with ChatGPT" route (`crate::siwc`): the browser, a loopback
    /// callback on `127.0.0.1` with an ephemeral port, and the app's own registration.
    SignInWithChatGpt,
}

impl SignInMethod {
    /// The route a sign-in by this method takes.
    pub fn route(self) -> crate::route::Route {
        match self {
            Self::Browser | Self::DeviceCode => crate::route::Route::CodexBackend,
            Self::SignInWithChatGpt => crate::route::Route::SignInWithChatGpt,
        }
    }
}

/// What a running sign-in is waiting for, to show the user. Its `Debug` output leaves out the
/// authorize URL's query (it carries the sign-in's `state`) and the device code.
#[derive(Clone, PartialEq, Eq)]
pub enum SignInProgress {
    /// The flow is starting (binding the callback port, asking for a device code).
    Starting,
    /// Waiting for the user to finish in the browser. Show the URL (in case no browser opened),
    /// but never log it: its `state` parameter binds the callback to this sign-in.
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

impl std::fmt::Debug for SignInProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Starting => f.write_str("Starting"),
            Self::WaitingForBrowser { authorize_url } => f
                .debug_struct("WaitingForBrowser")
                .field("authorize_url", &without_query(authorize_url))
                .finish(),
            Self::WaitingForDeviceCode {
                verification_url, ..
            } => f
                .debug_struct("WaitingForDeviceCode")
                .field("verification_url", &without_query(verification_url))
                .field("user_code", &crate::secret::REDACTED)
                .finish(),
        }
    }
}

fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
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
    ) -> Task<Result<TokenSet, OAuthError>>;

    /// Starts an official-route sign-in ([`SignInMethod::SignInWithChatGpt`]). Flows that do
    /// not offer the route keep this default, which says so.
    fn start_official(
        &self,
        official: OfficialSignIn,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet, OAuthError>> {
        let _ = (official, progress, cx);
        Task::ready(Err(crate::siwc::SiwcError::NotOffered.into()))
    }
}

impl<F> SignInFlows for F
where
    F: Fn(SignInMethod, ProgressReporter, &mut App) -> Task<Result<TokenSet, OAuthError>> + 'static,
{
    fn start(
        &self,
        method: SignInMethod,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet, OAuthError>> {
        self(method, progress, cx)
    }
}

/// What an official-route sign-in needs from the state that starts it.
#[derive(Clone, Debug)]
pub struct OfficialSignIn {
    /// The official issuer (its discovery cached).
    pub issuer: crate::siwc::OfficialIssuer,
    /// This host's id and registered account.
    pub registrations: crate::siwc::Registrations,
}

/// Whether the browser flow opens the authorize URL itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BrowserLaunch {
    /// Open it with the platform's browser (`App::open_url`).
    #[default]
    Open,
    /// Only report it (as [`SignInProgress::WaitingForBrowser`]); the host shows or opens it.
    Manual,
}

/// The real flows of [`crate::oauth`], against `config`'s issuer.
pub struct OAuthSignIn {
    /// The issuer and client.
    pub config: Config,
    /// The HTTP client for the token and device-code requests.
    pub http: Arc<dyn HttpClient>,
    /// The loopback callback server's ports and timeouts.
    pub callback: CallbackServerOptions,
    /// The device-code flow's time limit.
    pub device: DeviceCodeOptions,
    /// Whether to open the browser.
    pub browser: BrowserLaunch,
}

impl OAuthSignIn {
    /// The real issuer's rules: callback ports 1455 then 1457, the browser opened for the user.
    pub fn new(config: Config, http: Arc<dyn HttpClient>) -> Self {
        Self {
            config,
            http,
            callback: CallbackServerOptions::default(),
            device: DeviceCodeOptions::default(),
            browser: BrowserLaunch::Open,
        }
    }
}

impl SignInFlows for OAuthSignIn {
    fn start(
        &self,
        method: SignInMethod,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet, OAuthError>> {
        let executor = cx.background_executor().clone();
        match method {
            SignInMethod::Browser => {
                let sign_in = match start_browser_sign_in(
                    self.http.clone(),
                    &self.config,
                    &executor,
                    self.callback.clone(),
                ) {
                    Ok(sign_in) => sign_in,
                    Err(error) => return Task::ready(Err(error)),
                };
                if self.browser == BrowserLaunch::Open {
                    cx.open_url(sign_in.authorize_url.as_str());
                }
                progress.report(SignInProgress::WaitingForBrowser {
                    authorize_url: sign_in.authorize_url,
                });
                // Dropping this task drops the flow's task, which frees the callback port.
                sign_in.task
            }
            SignInMethod::DeviceCode => {
                let http = self.http.clone();
                let config = self.config.clone();
                let options = self.device.clone();
                let code = request_device_code(http.clone(), &config, &executor);
                cx.spawn(async move |_| {
                    let code = code.await?;
                    progress.report(SignInProgress::WaitingForDeviceCode {
                        verification_url: code.verification_url().clone(),
                        user_code: code.user_code().to_string(),
                    });
                    code.wait_for_approval(http, &config, &executor, options)
                        .task
                        .await
                })
            }
            // `State::sign_in` sends this method to `start_official`, which has what it needs.
            SignInMethod::SignInWithChatGpt => {
                Task::ready(Err(crate::siwc::SiwcError::NotOffered.into()))
            }
        }
    }

    fn start_official(
        &self,
        official: OfficialSignIn,
        progress: ProgressReporter,
        cx: &mut App,
    ) -> Task<Result<TokenSet, OAuthError>> {
        let executor = cx.background_executor().clone();
        let callback = self.callback.clone();
        let browser = self.browser;
        cx.spawn(async move |cx| {
            let attempt = crate::siwc::start_official_sign_in(
                official.issuer,
                official.registrations,
                executor,
                callback,
            )
            .await?;
            if browser == BrowserLaunch::Open {
                let url = attempt.authorize_url.clone();
                cx.update(|cx| cx.open_url(url.as_str())).ok();
            }
            progress.report(SignInProgress::WaitingForBrowser {
                authorize_url: attempt.authorize_url,
            });
            // Dropping this task drops the attempt's, which frees the callback port.
            attempt.task.await
        })
    }
}
