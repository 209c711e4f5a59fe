//! The Responses API streamer: a host request in, completion events out.
//!
//! ```text
//! LanguageModelRequest + ModelInfo
//!   └─ request_mapping::build_request ─→ ResponsesRequest          (request.rs: wire types)
//!        └─ stream::send_request ─→ POST {backend}/responses     (body_encoding: zstd, 415 → plain)
//!             ├─ refused → ResponsesError::from_http               (error.rs)
//!             └─ accepted → ResponseStream { usage_limits (crate::usage), models_etag, events }
//!                  events: body bytes → sse::SseParser → events::ResponsesEvent
//!                          → event_mapping::EventMapper → LanguageModelCompletionEvent
//!                          (chained without I/O in decoder::CompletionDecoder)
//! ```
//!
//! A provider drives it as:
//!
//! ```no_run
//! # use openai_subscribed::responses::*;
//! # async fn f(http: &dyn http_client::HttpClient, config: &openai_subscribed::config::Config,
//! #     auth: openai_subscribed::backend_request::BackendAuth,
//! #     request: language_model::LanguageModelRequest,
//! #     model: openai_subscribed::models::ModelInfo, watch: StreamWatch) -> Result<(), ResponsesError> {
//! let body = build_request(&request, &model)?;           // fails before sending on bad input
//! // `watch`: the stall limits (StreamTimeouts) and a timer, e.g. StreamWatch::on_executor(..)
//! let answer = match send_request(http, config, &auth, &body, &watch).await {
//!     Err(error) if error.is_unauthorized() => {
//!         // refresh the token once, then:
//!         send_request(http, config, &auth, &body, &watch).await?
//!     }
//!     other => other?,
//! };
//! // store answer.usage_limits on the provider state; forward answer.events, mapping errors
//! // with error.to_completion_error(provider_name)
//! # Ok(()) }
//! ```
//!
//! Token counts for the host's context meter come from [`count_tokens`] (tiktoken, locally;
//! texts counted before come from a bounded [`TokenCache`]).

mod body_encoding;
mod compaction;
mod decoder;
mod error;
mod event_mapping;
mod events;
mod request;
mod request_mapping;
mod sse;
mod stall;
mod stream;
mod token_cache;
mod token_count;
pub mod websocket;
mod zstd_refusals;

pub use body_encoding::{ZSTD_LEVEL, compress_zstd};
pub use compaction::COMPACTION_STATE_FORMAT;
pub use decoder::CompletionDecoder;
pub use error::ResponsesError;
pub use events::*;
pub use request::*;
pub use request_mapping::build_request;
pub use sse::SseParser;
pub(crate) use stream::watched_completion_events;
pub use stream::{ResponseStream, completion_events, send_request, send_request_remembering};
pub use token_cache::TokenCache;
pub use token_count::{count_tokens, count_tokens_uncached};
pub use zstd_refusals::ZstdRefusals;

// What keeps an answer from hanging or growing without bound.
pub use sse::MAX_EVENT_BYTES;
pub use stall::{Sleep, Stall, StreamTimeouts, StreamWatch};
pub(crate) use zstd_refusals::DEFAULT_REFUSAL_TTL;
