//! The browser sign-in: authorization code + PKCE through the system browser and the loopback
//! callback server (RFC 6749 §4.1, RFC 7636, RFC 8252).
//!
//! [`start_browser_sign_in`] binds the callback port first and only then returns the authorize
//! URL, so the caller opens the browser when something is already listening. The returned task
//! waits for the callback, exchanges the code, answers the browser with a success or error page,
//! and resolves to the [`TokenSet`]. It stores nothing: the caller does.

use super::authorize_url::{authorize_url, redacted};
use super::callback_server::{Callback, CallbackOutcome, CallbackServer, CallbackServerOptions};
use super::cancel::{CancelHandle, cancellable};
use super::error::OAuthError;
use super::html_page::Page;
use super::pkce::PkceChallenge;
use super::token_exchange::exchange_code;
use super::tokens::TokenSet;
use crate::config::Config;
use crate::secret::{CsrfState, PkceVerifier};
use gpui::{BackgroundExecutor, Task};
use http_client::HttpClient;
use http_client::http::StatusCode;
use std::sync::Arc;
use url::Url;

/// A browser sign-in in progress.
pub struct BrowserSignIn {
    /// The page to open in the browser. It holds the sign-in's `state`: show it to the user
    /// (or open it), never log it.
    pub authorize_url: Url,
    /// The port the callback server got (one of the configured ports).
    pub port: u16,
    /// Stops the sign-in; the task then ends with [`OAuthError::Cancelled`] and the port is freed.
    pub cancel: CancelHandle,
    /// The outcome. Dropping it also stops the sign-in and frees the port.
    pub task: Task<Result<TokenSet, OAuthError>>,
}

impl std::fmt::Debug for BrowserSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSignIn")
            .field("authorize_url", &redacted(&self.authorize_url))
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Starts a browser sign-in: generates the PKCE pair and the state, binds the callback server,
/// and spawns the wait on `executor`. Fails at once if no callback port is free
/// ([`OAuthError::PortsBusy`]: suggest the device-code sign-in).
pub fn start_browser_sign_in(
    http: Arc<dyn HttpClient>,
    config: &Config,
    executor: &BackgroundExecutor,
    options: CallbackServerOptions,
) -> Result<BrowserSignIn, OAuthError> {
    let verifier = PkceVerifier::generate();
    let challenge = PkceChallenge::s256(&verifier);
    let state = CsrfState::generate();
    let app_name = options.app_name.clone();
    let server = CallbackServer::bind(options, executor.clone())?;
    let port = server.port();
    let redirect_uri = server.redirect_uri();
    let authorize_url = authorize_url(config, &redirect_uri, &challenge, &state);

    let config = config.clone();
    let task_executor = executor.clone();
    let (cancel, flow) = cancellable(async move {
        let Callback {
            outcome, responder, ..
        } = server.wait_for_callback(state).await?;
        let result = match outcome {
            CallbackOutcome::Code(code) => {
                exchange_code(
                    http.as_ref(),
                    &task_executor,
                    &config,
                    code,
                    verifier,
                    &redirect_uri,
                )
                .await
            }
            CallbackOutcome::Error { error, description } => {
                Err(OAuthError::from_callback(&error, description.as_deref()))
            }
        };
        responder.respond(result_page(&result, &app_name)).await;
        result
    });
    Ok(BrowserSignIn {
        authorize_url,
        port,
        cancel,
        task: executor.spawn(flow),
    })
}

/// The page the browser shows once the sign-in has ended, sending the reader back to `app_name`.
fn result_page(result: &Result<TokenSet, OAuthError>, app_name: &str) -> Page {
    match result {
        Ok(tokens) => {
            let who = match (&tokens.identity.email, &tokens.identity.plan) {
                (Some(email), Some(plan)) => format!(" as {email} ({plan})"),
                (Some(email), None) => format!(" as {email}"),
                _ => String::new(),
            };
            Page::success(
                "Signed in",
                format!(
                    "You are signed in to ChatGPT{who}. You can close this tab and return to \
                     {app_name}."
                ),
            )
        }
        Err(error) => {
            let status = match error {
                OAuthError::AccessDenied { .. } | OAuthError::NoCodexEntitlement => {
                    StatusCode::FORBIDDEN
                }
                OAuthError::IssuerError { .. }
                | OAuthError::IssuerUnreachable { .. }
                | OAuthError::InvalidToken(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Page::error(
                status,
                "Sign-in failed",
                format!("{error} You can close this tab and return to {app_name}."),
            )
        }
    }
}
