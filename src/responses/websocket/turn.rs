//! One request over the thread's socket: plan the frame, send it, read the events into the
//! same decoder (and event mapper) as the SSE path, and hand the socket back when the answer
//! completes.
//!
//! Before the stream is returned, the messages up to the first response event are read, as the
//! HTTP path reads the answer's head: `codex.rate_limits` becomes the answer's usage limits, an
//! `error` frame with a status becomes the [`ResponsesError`] an HTTP answer of that status and
//! body would be. A `previous_response_not_found` there (the server lost the socket's memory)
//! resends the request in full once, on the same socket. A socket the server closed between
//! turns shows when the frame cannot be written or nothing arrives: then the request goes once
//! more, in full, on a new socket; so does a request the server refused with
//! `websocket_connection_limit_reached` (its age limit on a socket). A new socket that fails
//! before the answer starts is [`WebSocketFailure::Unreachable`]: the provider sends the request
//! over HTTP instead, once. Nothing is retried after the answer started.

use super::chain::{Chain, FramePlan, RequestHashes, item_hash};
use super::connection::{ConnectError, Connection, TokenTag, connect, websocket_url};
use super::frame::{Generate, encode};
use super::pool::{Parked, SocketSlot, WebSocketPool};
use crate::backend_request::BackendAuth;
use crate::config::Config;
use crate::responses::decoder::CompletionDecoder;
use crate::responses::error::ResponsesError;
use crate::responses::request::{InputItem, ResponsesRequest};
use crate::responses::stall::{Stall, StreamWatch};
use crate::responses::stream::ResponseStream;
use crate::usage::UsageLimits;
use futures::future::{BoxFuture, Either};
use futures::stream::{self, StreamExt as _};
use http_client::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use language_model::LanguageModelCompletionEvent;
use serde::Deserialize;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;

/// Why a request did not go over a WebSocket, or what the server said instead of an answer.
#[derive(Debug)]
pub(crate) enum WebSocketFailure {
    /// The upgrade was refused with this status (426, 404…): use HTTP, and remember it.
    Refused(u16),
    /// No socket could be opened or used (network, TLS, a closed socket): use HTTP this time.
    Unreachable(String),
    /// The server refused the request itself, as an HTTP answer would (401, 429, 400…).
    Answer(ResponsesError),
}

/// Sends `request` on its thread's socket (a new one if none is idle) and streams the answer.
pub(crate) async fn send_over_websocket(
    pool: &Arc<WebSocketPool>,
    config: &Config,
    auth: &BackendAuth,
    request: &ResponsesRequest,
    watch: &StreamWatch,
) -> Result<ResponseStream, WebSocketFailure> {
    send(pool, config, auth, request, watch, Generate::Answer).await
}

/// A pre-warm: the thread's prompt with no input and `generate: false`, so that the first turn
/// finds a socket and a response to chain on.
pub(crate) async fn prewarm(
    pool: &Arc<WebSocketPool>,
    config: &Config,
    auth: &BackendAuth,
    request: &ResponsesRequest,
    watch: &StreamWatch,
) -> Result<(), WebSocketFailure> {
    let mut warm = request.clone();
    warm.input.clear();
    let answer = send(pool, config, auth, &warm, watch, Generate::PrewarmOnly).await?;
    // Reading it through `response.completed` parks the socket with the chain.
    let mut events = answer.events;
    while let Some(event) = events.next().await {
        event.map_err(WebSocketFailure::Answer)?;
    }
    Ok(())
}

async fn send(
    pool: &Arc<WebSocketPool>,
    config: &Config,
    auth: &BackendAuth,
    request: &ResponsesRequest,
    watch: &StreamWatch,
    generate: Generate,
) -> Result<ResponseStream, WebSocketFailure> {
    let thread = request.prompt_cache_key.clone().unwrap_or_default();
    let token = TokenTag::of(auth);
    let (parked, epoch) = pool.take(&thread, token);
    let reused = parked.is_some();
    let (mut connection, mut chain) = match parked {
        Some(parked) => (parked.connection, parked.chain),
        None => (open(pool, config, auth, &thread, watch, None).await?, None),
    };
    let mut full_resend_left = true;
    let mut reconnect_left = reused;
    let mut new_socket_left = true;
    loop {
        let hashes = RequestHashes::of(request);
        let plan = Chain::plan(chain.as_ref(), &hashes);
        if let FramePlan::Full(reason) = &plan {
            log::debug!("WebSocket: full frame ({reason:?})");
        }
        let text = encode(request, &plan, generate, &mut connection.layout)
            .map_err(|error| WebSocketFailure::Answer(ResponsesError::Deserialize(error)))?;
        let sent = connection.sender.send_text_owned(text).await.is_ok()
            && connection.sender.flush().await.is_ok();
        chain = Some(Chain::sent(hashes));
        let head = if sent {
            read_head(&mut connection, watch).await
        } else {
            Head::Lost("the socket was closed".into())
        };
        match head {
            Head::Started {
                usage_limits,
                first,
            } => {
                let models_etag = connection.models_etag.take();
                let answer = Answer {
                    pool: pool.clone(),
                    thread,
                    epoch,
                    parked: Some(Parked { connection, chain }),
                    decoder: CompletionDecoder::new(),
                    pending: VecDeque::new(),
                    first: Some(first),
                    output: Vec::new(),
                    error: None,
                    done: false,
                    watch: watch.clone(),
                };
                return Ok(ResponseStream {
                    usage_limits,
                    models_etag,
                    events: answer.into_events(),
                });
            }
            Head::Error(error) if is_previous_not_found(&error) && full_resend_left => {
                // The server lost the socket's memory: the same request in full, once.
                log::info!("the backend lost the thread's previous response; resending in full");
                full_resend_left = false;
                chain = None;
            }
            Head::Error(error) if is_connection_limit(&error) && new_socket_left => {
                // The server's age limit on the socket (60 minutes): a new socket, in full,
                // at once (the answer has not started).
                log::debug!("WebSocket: the socket reached the server's age limit; reconnecting");
                new_socket_left = false;
                let slot = connection.slot.take();
                connection = open(pool, config, auth, &thread, watch, slot).await?;
                chain = None;
            }
            Head::Error(error) => {
                return Err(WebSocketFailure::Answer(error.into_responses_error()));
            }
            Head::Lost(why) if reconnect_left => {
                // A reused socket the server had closed: once more, in full, on a new one.
                log::debug!("WebSocket: the idle socket was gone ({why}); reconnecting");
                reconnect_left = false;
                // The new socket takes the old one's place in the pool.
                let slot = connection.slot.take();
                connection = open(pool, config, auth, &thread, watch, slot).await?;
                chain = None;
            }
            Head::Lost(why) => return Err(WebSocketFailure::Unreachable(why)),
            Head::Stalled(stall) => {
                return Err(WebSocketFailure::Answer(ResponsesError::Stalled(stall)));
            }
        }
    }
}

/// Opens a socket within the first-byte limit, in `slot` or a place the pool has free (none:
/// every allowed socket carries an answer, and this request goes over HTTP).
async fn open(
    pool: &Arc<WebSocketPool>,
    config: &Config,
    auth: &BackendAuth,
    thread: &str,
    watch: &StreamWatch,
    slot: Option<SocketSlot>,
) -> Result<Connection, WebSocketFailure> {
    let Some(slot) = slot.or_else(|| pool.reserve()) else {
        return Err(WebSocketFailure::Unreachable(format!(
            "all {} WebSockets are carrying answers",
            pool.open_sockets()
        )));
    };
    let tls = pool.tls();
    let thread = (!thread.is_empty()).then_some(thread);
    let opened = within(
        connect(config, auth, thread, &tls),
        watch.first_byte_timer(),
        Stall::FirstByte(watch.timeouts.first_byte),
    )
    .await
    .map_err(|stall| WebSocketFailure::Unreachable(stall.to_string()))?;
    match opened {
        Ok(mut connection) => {
            connection.slot = Some(slot);
            Ok(connection)
        }
        Err(ConnectError::Refused(401)) => {
            Err(WebSocketFailure::Answer(ResponsesError::from_http(
                StatusCode::UNAUTHORIZED,
                &HeaderMap::new(),
                b"",
                chrono::Utc::now(),
            )))
        }
        // A server error on the upgrade is passing (codex-websocket.md 5.2: retryable): this
        // request goes over HTTP, and the next one tries the WebSocket again.
        Err(ConnectError::Refused(status)) if (500..600).contains(&status) => Err(
            WebSocketFailure::Unreachable(format!("the WebSocket upgrade failed (HTTP {status})")),
        ),
        Err(ConnectError::Refused(status)) => {
            log::info!(
                "{} refused the WebSocket upgrade (HTTP {status})",
                websocket_url(config)
            );
            Err(WebSocketFailure::Refused(status))
        }
        Err(ConnectError::Failed(why)) => Err(WebSocketFailure::Unreachable(why)),
    }
}

/// What came before the first response event.
enum Head {
    Started {
        usage_limits: Option<UsageLimits>,
        first: String,
    },
    Error(ErrorFrame),
    Lost(String),
    Stalled(Stall),
}

async fn read_head(connection: &mut Connection, watch: &StreamWatch) -> Head {
    let mut usage_limits = None;
    loop {
        let message = match within(
            receive(connection),
            watch.first_byte_timer(),
            Stall::FirstByte(watch.timeouts.first_byte),
        )
        .await
        {
            Ok(Ok(Some(message))) => message,
            Ok(Ok(None)) => return Head::Lost("the server closed the socket".into()),
            Ok(Err(why)) => return Head::Lost(why),
            Err(stall) => return Head::Stalled(stall),
        };
        match Control::parse(&message) {
            Control::RateLimits(limits) => usage_limits = limits.or(usage_limits),
            Control::Error(error) => return Head::Error(error),
            Control::Event => {
                return Head::Started {
                    usage_limits,
                    first: message,
                };
            }
        }
    }
}

/// The next text message; `None` when the server closed the socket.
async fn receive(connection: &mut Connection) -> Result<Option<String>, String> {
    let mut buffer = Vec::new();
    match connection.receiver.receive_data(&mut buffer).await {
        Ok(data) if data.is_text() => String::from_utf8(buffer)
            .map(Some)
            .map_err(|_| "the server sent invalid UTF-8".to_string()),
        Ok(_) => Err("unexpected binary websocket event".into()),
        Err(soketto::connection::Error::Closed) => Ok(None),
        Err(error) => Err(format!("the socket failed: {error}")),
    }
}

/// The messages the transport handles itself.
enum Control {
    RateLimits(Option<UsageLimits>),
    Error(ErrorFrame),
    Event,
}

#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// `{"type":"error","status":…,"error":{…},"headers":{…}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorFrame {
    #[serde(default, alias = "status_code")]
    status: Option<u16>,
    #[serde(default)]
    error: Value,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
}

impl ErrorFrame {
    fn into_responses_error(self) -> ResponsesError {
        let status = self
            .status
            .and_then(|status| StatusCode::from_u16(status).ok())
            .unwrap_or(StatusCode::BAD_REQUEST);
        let headers = header_map(&self.headers);
        let body = serde_json::json!({ "error": self.error }).to_string();
        ResponsesError::from_http(status, &headers, body.as_bytes(), chrono::Utc::now())
    }
}

fn is_previous_not_found(error: &ErrorFrame) -> bool {
    error.error.get("code").and_then(Value::as_str) == Some("previous_response_not_found")
}

fn is_connection_limit(error: &ErrorFrame) -> bool {
    error.error.get("code").and_then(Value::as_str) == Some(CONNECTION_LIMIT_REACHED)
}

/// The error code of the server's age limit on a socket.
const CONNECTION_LIMIT_REACHED: &str = "websocket_connection_limit_reached";

impl Control {
    fn parse(message: &str) -> Self {
        let kind = serde_json::from_str::<Kind<'_>>(message)
            .map(|kind| kind.kind.into_owned())
            .unwrap_or_default();
        match kind.as_str() {
            "codex.rate_limits" => Self::RateLimits(rate_limits(message)),
            "error" => match serde_json::from_str::<ErrorFrame>(message) {
                // A 2xx or missing status is not an error (as in the Codex CLI): the event
                // mapper sees it like any other event.
                Ok(frame)
                    if frame
                        .status
                        .is_some_and(|status| !(200..300).contains(&status))
                        || is_connection_limit(&frame) =>
                {
                    Self::Error(frame)
                }
                _ => Self::Event,
            },
            _ => Self::Event,
        }
    }
}

/// `codex.rate_limits` as the usage headers it replaces, read by the same code.
fn rate_limits(message: &str) -> Option<UsageLimits> {
    let event: Value = serde_json::from_str(message).ok()?;
    let mut headers = serde_json::Map::new();
    for which in ["primary", "secondary"] {
        let Some(window) = event
            .get("rate_limits")
            .and_then(|limits| limits.get(which))
        else {
            continue;
        };
        for (field, header) in [
            ("used_percent", "used-percent"),
            ("window_minutes", "window-minutes"),
            ("reset_at", "reset-at"),
        ] {
            if let Some(value) = window.get(field).filter(|value| !value.is_null()) {
                headers.insert(format!("x-codex-{which}-{header}"), value.clone());
            }
        }
    }
    let credits = event.get("credits").unwrap_or(&Value::Null);
    for (field, header) in [
        ("has_credits", "has-credits"),
        ("unlimited", "unlimited"),
        ("balance", "balance"),
    ] {
        if let Some(value) = credits.get(field).filter(|value| !value.is_null()) {
            headers.insert(format!("x-codex-credits-{header}"), value.clone());
        }
    }
    UsageLimits::from_headers(&header_map(&headers), chrono::Utc::now())
}

/// JSON header values (strings, numbers, booleans) as an HTTP header map.
fn header_map(values: &serde_json::Map<String, Value>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in values {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&text),
        ) {
            headers.insert(name, value);
        }
    }
    headers
}

/// An answer being read.
struct Answer {
    pool: Arc<WebSocketPool>,
    thread: String,
    epoch: u64,
    /// The socket and its chain; taken back to the pool when the answer completes, dropped
    /// (closing the socket) when it ends any other way or the stream is dropped.
    parked: Option<Parked>,
    decoder: CompletionDecoder,
    pending: VecDeque<LanguageModelCompletionEvent>,
    first: Option<String>,
    /// The hashes of the answer's output items, as the next request will replay them.
    output: Vec<u64>,
    error: Option<ResponsesError>,
    done: bool,
    watch: StreamWatch,
}

#[derive(Deserialize)]
struct ItemDone {
    item: InputItem,
}

#[derive(Deserialize)]
struct Completed {
    response: CompletedResponse,
}

#[derive(Deserialize)]
struct CompletedResponse {
    #[serde(default)]
    id: Option<String>,
}

impl Answer {
    fn into_events(
        self,
    ) -> futures::stream::BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>
    {
        stream::unfold(self, |mut answer| async move {
            loop {
                if let Some(event) = answer.pending.pop_front() {
                    return Some((Ok(event), answer));
                }
                if let Some(error) = answer.error.take() {
                    answer.done = true;
                    answer.parked = None;
                    return Some((Err(error), answer));
                }
                if answer.done || answer.decoder.is_finished() {
                    return None;
                }
                let message = match answer.first.take() {
                    Some(first) => first,
                    None => match answer.next_message().await {
                        Ok(Some(message)) => message,
                        Ok(None) => {
                            // Closed before a terminal event.
                            answer.parked = None;
                            answer.error = Some(
                                answer
                                    .decoder
                                    .finish()
                                    .err()
                                    .unwrap_or(ResponsesError::StreamEndedUnexpectedly),
                            );
                            continue;
                        }
                        Err(error) => {
                            answer.error = Some(error);
                            continue;
                        }
                    },
                };
                answer.take(&message);
            }
        })
        .boxed()
    }

    async fn next_message(&mut self) -> Result<Option<String>, ResponsesError> {
        let Some(parked) = self.parked.as_mut() else {
            return Ok(None);
        };
        let timer = self.watch.event_timer();
        let limit = Stall::BetweenEvents(self.watch.timeouts.between_events);
        match within(receive(&mut parked.connection), timer, limit).await {
            Ok(Ok(message)) => Ok(message),
            Ok(Err(why)) => Err(ResponsesError::Read(std::io::Error::other(why))),
            Err(stall) => Err(stall.into()),
        }
    }

    /// One message of the answer.
    fn take(&mut self, message: &str) {
        let mut out = Vec::new();
        match Control::parse(message) {
            Control::RateLimits(_) => return,
            Control::Error(error) => {
                self.error = Some(error.into_responses_error());
                return;
            }
            Control::Event => {}
        }
        if message.contains("\"response.output_item.done\"") {
            match serde_json::from_str::<ItemDone>(message) {
                Ok(done) => self.output.push(item_hash(&done.item)),
                // An item the next request cannot replay as sent: nothing will match it.
                Err(_) => self.output.push(rand::random()),
            }
        }
        let completed_id = if message.contains("\"response.completed\"") {
            serde_json::from_str::<Completed>(message)
                .ok()
                .and_then(|completed| completed.response.id)
        } else {
            None
        };
        if let Err(error) = self.decoder.push_event(message, &mut out) {
            self.error = Some(error);
        }
        self.pending.extend(out);
        if self.decoder.is_finished() && self.error.is_none() {
            // Completed: the socket goes back to the pool with its chain. Failed or incomplete:
            // it is dropped here, closing it (the next turn starts in full on a new one).
            let parked = self.parked.take();
            if let (Some(id), Some(mut parked)) = (completed_id, parked) {
                if let Some(chain) = parked.chain.as_mut() {
                    chain.completed(id, std::mem::take(&mut self.output));
                }
                self.pool.put_back(&self.thread, parked, self.epoch);
            }
        }
    }
}

/// `work`, unless `timer` fires first.
async fn within<T>(
    work: impl Future<Output = T>,
    timer: BoxFuture<'static, ()>,
    stall: Stall,
) -> Result<T, Stall> {
    futures::pin_mut!(work);
    match futures::future::select(work, timer).await {
        Either::Left((done, _)) => Ok(done),
        Either::Right(((), _)) => Err(stall),
    }
}
