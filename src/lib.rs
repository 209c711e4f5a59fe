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
//! - [`config`]: the endpoints, the public client id, the originator and client version.
//! - [`oauth`]: PKCE, the authorize URL, the loopback callback server, the device-code flow, the
//!   code exchange and the JWT claims. It returns results; it stores nothing.
//! - [`credentials`]: where a sign-in is kept (OS keychain, a 0600 file, memory).
//! - [`auth`]: the auth state machine (`State` entity) with one shared refresh and sign-out.
//! - [`models`]: the model catalog, fetched from the backend, cached, with a bundled fallback.
//! - [`responses`]: the Responses API streamer (request mapping, SSE, events, errors).
//! - [`usage`]: the plan's usage windows (answer headers, `/wham/usage`) and their sentences.
//! - [`backend_request`]: one authenticated backend request (headers, body caps, status).
//! - [`http_error`]: one wording for every HTTP error answer.
//! - [`provider`]: Zed's `LanguageModelProvider` / `LanguageModel` and the settings card.
//! - [`language_model`]: a mirror of Zed's provider API (`language_model_core`, `language_model`).
//! - [`ui`], [`theme`]: a mirror of the part of Zed's `ui` and `theme` crates the card uses.
//! - [`http`]: a real [`http_client::HttpClient`] over reqwest, for the CLI and tests.
//! - [`printable`]: text from the network made safe to show (no control characters).
//! - [`emulator`] (feature `emulator`): an in-process issuer and backend for offline runs.
//! - [`cli`]: the `openai-subscribed` command line, which drives the same code headlessly.
//! - [`network_number`]: checked conversion of every number that arrives from the network.

pub mod atomic_file;
pub mod auth;
pub mod backend_request;
pub mod config;
pub mod credentials;
pub mod http_error;
pub mod models;
pub mod network_number;
pub mod oauth;
pub mod preconnect;
pub mod printable;
pub mod provider;
pub mod responses;
pub mod secret;
pub mod usage;
