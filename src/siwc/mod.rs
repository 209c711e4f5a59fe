//! The official "Sign in with ChatGPT" route (`shared/spec/siwc.md`), beside the Codex route
//! ([`crate::route::Route`]).
//!
//! The vendor documents this route for open-source tools that run locally: the app registers
//! itself with the issuer, the user consents to plan use, and requests go to the public API
//! (`{api}/models`, `{api}/responses`, siwc.md §3–§4) under the preview's rules, with only a
//! bearer token. It shares with the Codex route what can be shared: the request mapping of a
//! host request, the SSE parser and event mapper, the stall limits, the wording of HTTP errors,
//! the secret types.
//!
//! API side (this part):
//! - [`api_request`]: the one helper every official API call goes through (headers, body cap,
//!   request id);
//! - [`models`]: `GET {api}/models` (§3): listed models in the server's order, unstated
//!   capabilities kept unknown;
//! - [`request`]: the preview's rules (§4) as a type that cannot carry a forbidden field;
//! - [`answer`]: `POST {api}/responses` and its stream;
//! - [`errors`]: every documented refusal (§5) in words, with its action and request id.

pub mod answer;
pub mod api_request;
pub mod errors;
pub mod models;
pub mod request;

pub use answer::send_official_request;
pub use errors::{MANAGE_USAGE_URL, NextStep, OfficialApiError, OfficialRefusal};
pub use models::{fetch_official_models, parse_official_models};
pub use request::{OfficialRequest, PreviewRuleRefusal, TOOL_NAMESPACE};
