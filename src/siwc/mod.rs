//! The official "Sign in with ChatGPT" route (`shared/spec/siwc.md`), beside the Codex route
//! ([`crate::route::Route`]).
//!
//! The vendor documents this route for open-source tools that run locally (siwc.md §1, §7, §8):
//! the app registers itself with the issuer on the first sign-in (`client_id` =
//! `dynamic_agent_client`, plus this host's `ext_agent_host_id` and the app's name), the consent
//! page names the app, and the issuer answers with a client id of its own for that user and
//! workspace, used from then on. Requests then go to the public API (`{api}/models`,
//! `{api}/responses`, §3–§4) under the preview's rules, with only a bearer token.
//!
//! Issuer side, one concept per file:
//! - `discovery`: the issuer's OpenID configuration (§1.1), whose endpoints every other call
//!   uses; its `issuer` must match the configured one exactly.
//! - [`issuer`]: [`OfficialIssuer`], the one home of the requests to the official issuer
//!   (discovery, JWKS, token, refresh, revocation), with the discovery cached for its lifetime.
//! - [`registration`]: this host's `ext_agent_host_id` and the saved account (issued client id,
//!   `sub`, email, the last ID token for `id_token_hint`), kept beside the credentials; it
//!   survives sign-out (§1.2, §1.9, §2).
//! - `authorize`: the authorization request exactly as §1.3 has it.
//! - [`id_token`]: verifying the ID token against the JWKS (§1.6): signature, `iss`, `aud`,
//!   `exp`, `iat`, `nonce`, `azp`, and the same `sub` for a returning account.
//! - [`session`]: what a token set of this route carries beyond the tokens (issued client id,
//!   `sub`, whether plan use was granted: §1.6 step 4, §5.1).
//! - `token`: the token endpoint's answer turned into a [`crate::oauth::TokenSet`].
//! - `sign_in`: the browser flow (§1.3–§1.6) on a loopback callback at `127.0.0.1` with an
//!   ephemeral port, reusing [`crate::oauth::callback_server`], PKCE and `state`.
//! - `refresh`: the refresh grant (§1.8) with the issued id and `resource`; it runs inside
//!   [`crate::auth`]'s renewal (the cross-process lock, the in-flight guard, "sign-out wins").
//! - `revoke`: revocation at sign-out through the discovered endpoint (§1.9).
//! - [`SiwcError`]: this route's failures in words.
//!
//! API side:
//! - [`api_request`]: the one helper every official API call goes through (headers, body cap,
//!   request id);
//! - [`models`]: `GET {api}/models` (§3): listed models in the server's order, unstated
//!   capabilities kept unknown;
//! - [`request`]: the preview's rules (§4) as a type that cannot carry a forbidden field;
//! - [`answer`]: `POST {api}/responses` and its stream;
//! - [`errors`]: every documented refusal of the API (§5) in words, with its action and request
//!   id.
//!
//! Shared with the Codex route: PKCE, `state`, the callback server, the browser launcher, the
//! issuer transport (`oauth::issuer_request`), the refresh lock and renewal, the credential stores,
//! the request mapping of a host request, the SSE parser and event mapper, the stall limits, the
//! wording of HTTP errors and the secret types.
//!
//! **Where the ID token is kept**: not in the credential record, which stays under the 2,560
//! bytes Windows' credential store takes ([`crate::credentials::MAX_RECORD_BYTES`]); it is kept in
//! the registration file beside the credentials (mode 0600), only to send as `id_token_hint`
//! on the next authorization of that account, and forgotten at sign-out (§1.3: "omit after
//! sign-out").

pub mod answer;
pub mod api_request;
mod authorize;
mod discovery;
mod error;
pub mod errors;
pub mod id_token;
pub mod issuer;
pub mod models;
pub(crate) mod refresh;
pub mod registration;
pub mod request;
pub(crate) mod revoke;
pub mod session;
mod sign_in;
mod token;

pub use answer::send_official_request;
pub use discovery::Discovery;
pub use error::{IdTokenDefect, SiwcError};
pub use errors::{MANAGE_USAGE_URL, NextStep, OfficialApiError, OfficialRefusal};
pub use issuer::OfficialIssuer;
pub use models::{fetch_official_models, parse_official_models};
pub use registration::{Registrations, SavedAccount};
pub use request::{OfficialRequest, PreviewRuleRefusal, TOOL_NAMESPACE};
pub use session::{OfficialSession, PlanUse};
pub(crate) use sign_in::start_official_sign_in;

/// `client_id` of a first registration: an entry point, never stored, never sent to the token
/// endpoint (§1.3).
pub const DYNAMIC_CLIENT_ID: &str = "dynamic_agent_client";
/// The scopes asked for, the complete set on every authorization (§1.3).
pub const SCOPES: &str =
    "openid profile email offline_access resource.invoke chatgpt.tokens.use.direct";
/// The API audience, sent as `resource` (§1.1): an identifier, the same with any API base.
pub const RESOURCE: &str = "https://api.openai.com/v1";
/// The scope that grants plan use (§1.6 step 4).
pub const PLAN_SCOPE: &str = "chatgpt.tokens.use.direct";
/// The app's name sent as `agent_name_hint` on the first registration (§1.2).
pub const AGENT_NAME: &str = "Zed";
/// The callback path the issuer redirects to (§1.3).
pub const CALLBACK_PATH: &str = "/auth/callback";
/// The clock skew allowed when checking `exp` and `iat` (§1.6: 5 s in the examples).
pub const CLOCK_SKEW_SECS: u64 = 5;
