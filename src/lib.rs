//! # openai_subscribed
//!
//! Use a ChatGPT Plus/Pro/Team subscription as a language-model provider in the Zed editor, with
//! no API key: the user signs in with ChatGPT (OAuth 2.0 + PKCE, or a device code), and requests go
//! to the subscription ("Codex") backend with the plan's own limits.
//!
//! The crate is built the way Zed builds its in-tree providers (gpui entities and tasks, Zed's
//! [`http_client::HttpClient`] trait) so that it can be dropped into Zed's tree.
//!
//! ## Where things live
//! - [`secret`]: the secret newtypes (tokens, PKCE verifier, state) that print as `[redacted]`.
//! - [`config`]: the endpoints, the public client id, the originator, the client version and the
//!   request compression.
//! - [`identity`]: the provider's id and name in Zed.
//! - [`oauth`]: PKCE, the `state` parameter, the authorize URL, the loopback callback server, the
//!   device-code flow, the code exchange and the JWT claims. It returns results; it stores nothing.
//! - [`credentials`]: where a sign-in is kept (OS keychain, a 0600 file, memory).
//! - [`auth`]: the auth state machine (`State` entity) with one shared refresh and sign-out.
//! - [`models`]: the model catalog, fetched from the backend, cached, with a bundled fallback.
//! - [`responses`]: the Responses API streamer (request mapping, SSE, events, errors).
//! - [`usage`]: the plan's usage windows (answer headers, `/wham/usage`) and their sentences.
//! - [`siwc`]: the official "Sign in with ChatGPT" route: issuer side (discovery, registration,
//!   sign-in, ID-token verification, refresh, revocation) and API side (models, answers under
//!   the preview's rules, its errors in words); see [`route`].
//! - [`provider`]: Zed's `LanguageModelProvider` / `LanguageModel` and the settings card.
//! - [`backend_request`]: one authenticated backend request (headers, body caps, status).
//! - [`http_error`]: one wording for every HTTP error answer.
//! - [`preconnect`]: opening the connection to the backend ahead of the first request.
//! - [`printable`]: text from the network made safe to show (no control characters).
//! - Crate-private: `network_number` (checked conversion of every number that arrives from the
//!   network) and `atomic_file` (atomic file replacement).
//!
//! ## What is not here
//! The crate is the part that goes into Zed's tree. The rest of the workspace lives beside it
//! under `crates/`:
//! - `language_model`, `ui`, `theme`, `icons`, `credentials_provider`: stand-ins for the Zed
//!   crates of those names (`crates/language_model`, `crates/ui`, …), which this crate uses as
//!   it would use Zed's.
//! - `reqwest_client` (`crates/reqwest_client`): a real `http_client::HttpClient` over reqwest,
//!   for the command line and the tests (in Zed, the host's client).
//! - `openai_subscribed_emulator` (`crates/emulator`): the issuer and backend on loopback, for
//!   offline runs and the tests.
//! - `openai_subscribed_cli` (`crates/cli`): the `openai-subscribed` command line, which drives
//!   this crate headlessly, and does all terminal formatting (tables, JSON, bars).
//!
//! Only what a host, the tests, the benches or the command line use is `pub`.

// What runs in the host never panics or wraps on what arrives: no `unwrap`, `expect`, `panic!`,
// indexing or unchecked arithmetic. Tests may (clippy.toml); any other site says why at the item.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

pub mod accounts;
mod atomic_file;
pub mod auth;
pub mod backend_request;
pub mod config;
pub mod credentials;
pub mod http_error;
pub mod identity;
pub mod models;
mod network_number;
pub mod oauth;
pub mod preconnect;
pub mod printable;
pub mod provider;
pub mod responses;
pub mod route;
pub mod secret;
pub mod siwc;
pub mod usage;
