//! Signing in with ChatGPT: OAuth 2.0 authorization code + PKCE (RFC 6749, RFC 7636) with a
//! loopback callback (RFC 8252), and the device-code flow for SSH and busy ports.
//!
//! This module depends on neither the provider nor the UI: it takes an
//! [`HttpClient`](http_client::HttpClient), a [`Config`](crate::config::Config) and a gpui
//! executor, and returns results ([`TokenSet`]) in gpui `Task`s; the caller stores them.
//! The token endpoint's calls sit together here: the code exchange ([`token_exchange`]), the
//! refresh ([`token_refresh`]) and the revocation ([`token_revocation`]), all sent through one
//! issuer request helper (the same headers, body cap and status reading for every issuer call).
//! When to refresh or revoke, and what a refusal means for the sign-in, belong to
//! [`crate::auth`].
//!
//! - Browser: [`start_browser_sign_in`] → [`BrowserSignIn`] (open its `authorize_url`, await its
//!   `task`).
//! - Device code: [`request_device_code`] → [`DeviceCode`] (show its `verification_url` and
//!   `user_code`) → [`DeviceCode::wait_for_approval`] → `DeviceSignIn` (await its `task`).
//! - Both can be stopped with their `CancelHandle` or by dropping the task, and fail with an
//!   [`OAuthError`] written for the user.
//!
//! Whether a browser sign-in can work where the process runs (SSH, no display, no launcher) is
//! [`browser_availability`]'s question.
//!
//! The pieces, one concern each: `pkce`, `state_param`, [`authorize_url`], [`callback_server`],
//! [`html_page`], [`token_exchange`], [`token_refresh`], [`token_revocation`], [`device_code`],
//! `browser_flow`, [`error`], plus the token types [`tokens`] and [`jwt_claims`].

pub mod authorize_url;
pub mod browser_availability;
pub(crate) mod browser_flow;
pub mod callback_server;
pub(crate) mod cancel;
pub mod device_code;
pub mod error;
pub mod html_page;
pub(crate) mod issuer_request;
pub mod jwt_claims;
pub(crate) mod pkce;
pub(crate) mod state_param;
pub(crate) mod time_limit;
pub mod token_exchange;
pub mod token_refresh;
pub mod token_revocation;
pub mod tokens;

pub use browser_availability::BrowserAvailability;
pub use browser_flow::{BrowserSignIn, start_browser_sign_in};
pub use callback_server::CallbackServerOptions;
pub use device_code::{DeviceCode, DeviceCodeOptions, request_device_code};
pub use error::OAuthError;
pub(crate) use jwt_claims::IdentityClaims;
pub use jwt_claims::PlanType;
pub use tokens::{TokenResponse, TokenSet};
