//! The Responses API over a WebSocket, one socket per thread, each turn sending only what is new.
//!
//! Over HTTP every turn re-sends the whole thread (`store: false` keeps nothing server-side).
//! Over a WebSocket the server remembers the socket's last response, so a turn can send
//! `previous_response_id` and only the items added since (`codex-websocket.md`, section 3):
//!
//! ```text
//! ResponsesRequest ─ chain::RequestHashes (each item hashed once) ─ chain::Chain::plan
//!   ├─ Full  (new socket, last answer unfinished, settings changed, history edited)
//!   └─ Delta (previous_response_id + the new items)
//!        └─ frame::encode → `response.create` text message
//!             └─ connection::Connection (soketto, permessage-deflate; TLS by futures-rustls)
//!                  └─ turn::send_over_websocket → ResponseStream: the same decoder and event
//!                     mapper as the SSE path; `codex.rate_limits` → usage limits; `error`
//!                     frames → ResponsesError as from an HTTP answer
//! ```
//!
//! A completed answer puts its socket back in the provider's [`WebSocketPool`] with the chain
//! (the request's item hashes plus the answer's output items); any other end drops the socket,
//! so the next turn starts with a full frame on a new one. The pool bounds the open sockets and
//! closes idle ones on a timer (idle limit, and an age limit below the server's 60 minutes). A
//! refused upgrade (426, 404) falls back to HTTP at once and is remembered on disk per backend
//! ([`WebSocketRefusals`]); a new socket that fails before its answer starts sends that request
//! over HTTP once; nothing is retried once an answer started.

mod chain;
mod connection;
mod deflate;
mod frame;
mod pool;
mod refusals;
mod turn;

pub use pool::{PoolLimits, WebSocketPool};
pub use refusals::WebSocketRefusals;
pub(crate) use turn::{WebSocketFailure, prewarm, send_over_websocket};

/// The WebSocket URL for `config`'s backend (`ws(s)://…/responses`), the key of the refusals.
pub fn websocket_url_of(config: &crate::config::Config) -> url::Url {
    connection::websocket_url(config)
}

/// Sends `request` over its thread's socket in `pool` and streams the answer, as
/// [`crate::responses::send_request`] does over HTTP (for programs that drive the transport
/// without a provider: the benchmarks). A refused upgrade or an unreachable socket is an error
/// here; the provider falls back to HTTP instead.
pub async fn send_websocket_request(
    pool: &std::sync::Arc<WebSocketPool>,
    config: &crate::config::Config,
    auth: &crate::backend_request::BackendAuth,
    request: &crate::responses::ResponsesRequest,
    watch: &crate::responses::StreamWatch,
) -> Result<crate::responses::ResponseStream, crate::responses::ResponsesError> {
    send_over_websocket(pool, config, auth, request, watch)
        .await
        .map_err(|failure| match failure {
            WebSocketFailure::Answer(error) => error,
            WebSocketFailure::Refused(status) => crate::responses::ResponsesError::Read(
                std::io::Error::other(format!("the WebSocket upgrade was refused (HTTP {status})")),
            ),
            WebSocketFailure::Unreachable(why) => {
                crate::responses::ResponsesError::Read(std::io::Error::other(why))
            }
        })
}

/// Pre-warms `request`'s thread socket in `pool` (its prompt, no input, `generate: false`), as
/// the provider does when a thread starts (for the benchmarks).
pub async fn prewarm_websocket(
    pool: &std::sync::Arc<WebSocketPool>,
    config: &crate::config::Config,
    auth: &crate::backend_request::BackendAuth,
    request: &crate::responses::ResponsesRequest,
    watch: &crate::responses::StreamWatch,
) -> Result<(), crate::responses::ResponsesError> {
    prewarm(pool, config, auth, request, watch)
        .await
        .map_err(|failure| match failure {
            WebSocketFailure::Answer(error) => error,
            WebSocketFailure::Refused(status) => crate::responses::ResponsesError::Read(
                std::io::Error::other(format!("the WebSocket upgrade was refused (HTTP {status})")),
            ),
            WebSocketFailure::Unreachable(why) => {
                crate::responses::ResponsesError::Read(std::io::Error::other(why))
            }
        })
}
