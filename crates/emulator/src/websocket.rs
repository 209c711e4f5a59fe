//! `GET {backend}/responses` upgraded to a WebSocket: the Responses API over one socket per
//! thread, as `codex-websocket.md` describes it.
//!
//! The upgrade is checked like `POST /responses` (bearer token, account) plus `OpenAI-Beta:
//! responses_websockets=2026-02-06`; permessage-deflate is agreed when the client offers it
//! (context takeover both ways, `deflate.rs`). A refused upgrade is a [`WebSocketMode::Refuse`]
//! backend (every upgrade answered with that status: an HTTP-only backend or a hostile proxy) or
//! a one-shot [`Fault::WebSocketRefused`].
//!
//! Each text message must be one `response.create` JSON object. The socket remembers its last
//! completed response: its id, the full input it answered and its output items. A frame with
//! `previous_response_id` must name that id (else 400 `previous_response_not_found`, and the
//! memory is cleared); its `input` is then only the new items, and the full input the answer is
//! computed from is `last input + last output + delta`. The full request then passes the same
//! checks as `POST /responses` ([`responses::validate`]), and is answered with the same scripted
//! events ([`script::scripted_events`]), each as one text message, after a `codex.rate_limits`
//! event. `generate: false` (a pre-warm) is answered `response.created` + `response.completed`
//! with no output, and becomes the baseline. [`Fault::ResponsesCutStream`] closes the socket
//! mid-answer, [`Fault::WebSocketCloseBeforeAnswer`] before anything is answered; a socket older than [`WebSocketState::set_max_age`] answers its next frame with
//! `websocket_connection_limit_reached` and closes.
//!
//! Every frame is recorded ([`WebSocketFrame`]) with its size on the wire as the client sent it
//! (after deflate, with the frame header), for tests and the `request_cost` bench.

use super::backend_auth;
use super::compaction;
use super::faults::Fault;
use super::responses;
use super::script;
use super::sse::EventLog;
use super::state::{RecordedRequest, SharedState, now_secs};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::io::{AsyncRead, AsyncWrite};
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio_util::compat::TokioAsyncReadCompatExt as _;

/// The `OpenAI-Beta` value a WebSocket client must send.
pub const WEBSOCKET_BETA: &str = "responses_websockets=2026-02-06";

/// The largest message the emulator takes (a whole thread sent as one full frame).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// How upgrades are answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WebSocketMode {
    /// 101, and the socket serves `response.create` frames.
    #[default]
    Accept,
    /// Every upgrade is answered with this status (an HTTP-only backend: 404; 426…).
    Refuse(u16),
}

/// One client frame as the emulator received it.
#[derive(Clone, Debug)]
pub struct WebSocketFrame {
    /// Which socket (numbered from 1 in the order they were opened).
    pub socket: u64,
    /// The frame's bytes on the wire, as the client sent them (compressed, with its header).
    pub wire_bytes: u64,
    /// The frame's JSON as sent (a delta frame holds only the new items).
    pub frame: Value,
    /// How many items the full input had after the delta was applied.
    pub full_input_len: usize,
}

impl WebSocketFrame {
    /// The `previous_response_id` the frame chained on, if any.
    pub fn previous_response_id(&self) -> Option<&str> {
        self.frame
            .get("previous_response_id")
            .and_then(Value::as_str)
    }

    /// How many input items the frame itself carried.
    pub fn input_len(&self) -> usize {
        self.frame
            .get("input")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    /// Whether the frame was a pre-warm (`generate: false`).
    pub fn is_prewarm(&self) -> bool {
        self.frame.get("generate") == Some(&Value::Bool(false))
    }
}

/// What the WebSocket side remembers and how it behaves (shared by every socket).
pub struct WebSocketState {
    mode: Mutex<WebSocketMode>,
    max_age: Mutex<Duration>,
    next_socket: AtomicU64,
    open: AtomicUsize,
    handshakes: Mutex<Vec<HeaderMap>>,
    frames: Mutex<Vec<WebSocketFrame>>,
}

impl Default for WebSocketState {
    fn default() -> Self {
        Self {
            mode: Mutex::new(WebSocketMode::Accept),
            max_age: Mutex::new(Duration::from_secs(60 * 60)),
            next_socket: AtomicU64::new(1),
            open: AtomicUsize::new(0),
            handshakes: Mutex::new(Vec::new()),
            frames: Mutex::new(Vec::new()),
        }
    }
}

impl WebSocketState {
    /// How upgrades are answered from now on.
    pub fn set_mode(&self, mode: WebSocketMode) {
        *self.mode.lock() = mode;
    }

    /// How long a socket serves frames before it answers `websocket_connection_limit_reached`
    /// (the real backend: 60 minutes).
    pub fn set_max_age(&self, age: Duration) {
        *self.max_age.lock() = age;
    }

    /// Every upgrade request's headers, in order (accepted or not).
    pub fn handshakes(&self) -> Vec<HeaderMap> {
        self.handshakes.lock().clone()
    }

    /// Every frame received, in order.
    pub fn frames(&self) -> Vec<WebSocketFrame> {
        self.frames.lock().clone()
    }

    /// How many sockets are open now (the client's side closing one is seen at once).
    pub fn open_sockets(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// `GET {backend}/responses`: the upgrade.
pub async fn upgrade(State(state): State<Arc<SharedState>>, mut request: Request) -> Response {
    let sockets = &state.websocket;
    sockets.handshakes.lock().push(request.headers().clone());
    if let Some(Fault::WebSocketRefused { status }) =
        state.take_fault(|fault| matches!(fault, Fault::WebSocketRefused { .. }))
    {
        return refused(status);
    }
    let mode = *sockets.mode.lock();
    if let WebSocketMode::Refuse(status) = mode {
        return refused(status);
    }
    if let Err(answer) = backend_auth::check(&state, request.headers()) {
        // A refused token is a `/responses` request like any other.
        state.count(|stats| &mut stats.responses_requests);
        return answer.into_response();
    }
    let beta = request
        .headers()
        .get_all("openai-beta")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').any(|part| part.trim() == WEBSOCKET_BETA));
    if !beta {
        return (
            StatusCode::BAD_REQUEST,
            format!("WebSocket upgrades need 'OpenAI-Beta: {WEBSOCKET_BETA}'."),
        )
            .into_response();
    }
    let mut server = soketto::handshake::http::Server::new();
    server.add_extension(Box::new(super::deflate::PerMessageDeflate::new(
        MAX_MESSAGE_BYTES,
    )));
    let accepted = match server.receive_request(&request) {
        Ok(accepted) => accepted,
        Err(error) => return refused_with(426, &format!("not a WebSocket upgrade: {error}")),
    };
    let handshake_headers = request.headers().clone();
    let on_upgrade = hyper::upgrade::on(&mut request);
    let socket_number = sockets.next_socket.fetch_add(1, Ordering::SeqCst);
    sockets.open.fetch_add(1, Ordering::SeqCst);
    let open = OpenGuard(state.clone());
    let etag = super::models::etag(&state);
    tokio::spawn(async move {
        let _open = open;
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                log::warn!("emulator: WebSocket upgrade failed: {error}");
                return;
            }
        };
        let read = Arc::new(AtomicU64::new(0));
        let io = Counted {
            inner: hyper_util::rt::TokioIo::new(upgraded).compat(),
            read: read.clone(),
        };
        let mut builder = server.into_builder(io);
        builder.set_max_message_size(MAX_MESSAGE_BYTES);
        builder.set_max_frame_size(MAX_MESSAGE_BYTES);
        let (sender, receiver) = builder.finish();
        let socket = Socket {
            state: state.clone(),
            number: socket_number,
            opened_at: Instant::now(),
            headers: handshake_headers,
            read,
            sender,
            receiver,
            last: None,
        };
        socket.serve().await;
    });
    let mut answer = accepted.map(|()| Body::empty());
    // The catalog's version rides on the upgrade's answer, as on every HTTP answer.
    if let Ok(etag) = axum::http::HeaderValue::from_str(&etag) {
        answer.headers_mut().insert("x-models-etag", etag);
    }
    answer
}

fn refused(status: u16) -> Response {
    refused_with(status, "WebSocket connections are not supported here.")
}

fn refused_with(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UPGRADE_REQUIRED);
    (
        status,
        axum::Json(json!({"error": {"type": "invalid_request_error", "message": message}})),
    )
        .into_response()
}

/// Counts a socket open until dropped.
struct OpenGuard(Arc<SharedState>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.websocket.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The socket's memory of its last completed response.
struct LastResponse {
    id: String,
    /// The full input it answered, then its output items: what a delta continues.
    baseline: Vec<Value>,
}

type Io = Counted<tokio_util::compat::Compat<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>>;

struct Socket {
    state: Arc<SharedState>,
    number: u64,
    opened_at: Instant,
    headers: HeaderMap,
    read: Arc<AtomicU64>,
    sender: soketto::Sender<Io>,
    receiver: soketto::Receiver<Io>,
    last: Option<LastResponse>,
}

/// What to do after a frame.
enum Next {
    KeepOpen,
    Close,
}

impl Socket {
    async fn serve(mut self) {
        let mut message = Vec::new();
        let mut read_before = 0;
        loop {
            message.clear();
            let data = match self.receiver.receive_data(&mut message).await {
                Ok(data) => data,
                Err(_) => return,
            };
            let read_now = self.read.load(Ordering::SeqCst);
            let wire_bytes = read_now.saturating_sub(read_before);
            read_before = read_now;
            if !data.is_text() {
                self.send_error(
                    400,
                    "invalid_request_error",
                    None,
                    "unexpected binary message",
                )
                .await;
                return;
            }
            let frame: Value = serde_json::from_slice(&message).unwrap_or(Value::Null);
            match self.answer(frame, wire_bytes, &message).await {
                Next::KeepOpen => {}
                Next::Close => {
                    let _ = self.sender.close().await;
                    return;
                }
            }
        }
    }

    async fn answer(&mut self, frame: Value, wire_bytes: u64, text: &[u8]) -> Next {
        let Value::Object(mut body) = frame.clone() else {
            self.record(frame, wire_bytes, 0);
            self.send_error(400, "invalid_request_error", None, "expected a JSON object")
                .await;
            return Next::KeepOpen;
        };
        if body.get("type").and_then(Value::as_str) != Some("response.create") {
            self.record(frame, wire_bytes, 0);
            self.send_error(
                400,
                "invalid_request_error",
                None,
                "Unsupported message type: only 'response.create' is accepted.",
            )
            .await;
            return Next::KeepOpen;
        }
        let max_age = *self.state.websocket.max_age.lock();
        if self.opened_at.elapsed() >= max_age {
            self.record(frame, wire_bytes, 0);
            let minutes = max_age.as_secs() / 60;
            self.send_error(
                400,
                "invalid_request_error",
                Some("websocket_connection_limit_reached"),
                &format!(
                    "Responses websocket connection limit reached ({minutes} minutes). Create a \
                     new websocket connection to continue."
                ),
            )
            .await;
            return Next::Close;
        }
        let last = self.last.take();
        let delta: Vec<Value> = match body.remove("input") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let previous = body.remove("previous_response_id");
        let full_input = match previous.as_ref().and_then(Value::as_str) {
            None => delta,
            Some(previous) => {
                let lost = self
                    .state
                    .take_fault(|fault| matches!(fault, Fault::WebSocketPreviousNotFound))
                    .is_some();
                match last {
                    Some(last) if last.id == previous && !lost => {
                        let mut full = last.baseline;
                        full.extend(delta);
                        full
                    }
                    _ => {
                        self.record(frame, wire_bytes, 0);
                        let mut error = json!({
                            "type": "error",
                            "status": 400,
                            "error": {
                                "type": "invalid_request_error",
                                "code": "previous_response_not_found",
                                "message": format!("Previous response with id '{previous}' not found."),
                                "param": "previous_response_id",
                            }
                        });
                        self.send(&mut error).await;
                        return Next::KeepOpen;
                    }
                }
            }
        };
        self.record(frame, wire_bytes, full_input.len());
        if self
            .state
            .take_fault(|fault| matches!(fault, Fault::WebSocketCloseBeforeAnswer))
            .is_some()
        {
            return Next::Close;
        }
        let generate = body.remove("generate");
        body.remove("type");
        body.remove("client_metadata");
        body.insert("input".into(), Value::Array(full_input.clone()));
        let prewarm = generate == Some(Value::Bool(false));
        if !prewarm {
            self.state.count(|stats| &mut stats.responses_requests);
        }
        let full_body = serde_json::to_vec(&body).unwrap_or_default();
        self.state.record_responses_request(RecordedRequest {
            headers: self.headers.clone(),
            body: Value::Object(body.clone()),
            wire_body: Bytes::copy_from_slice(text),
        });
        if !prewarm && let Some(answer) = responses::early_fault_answer(&self.state) {
            self.send_answer_as_error(answer).await;
            return Next::KeepOpen;
        }
        let checked = responses::validate(&full_body, &self.state.catalog()).and_then(|request| {
            responses::check_thread_headers(&self.headers, &request.body)
                .and_then(|()| compaction::check_replayed(&self.state, &request.input))
                .map(|()| request)
        });
        let request = match checked {
            Ok(request) => request,
            Err(rejection) => {
                self.send_answer_as_error(rejection.into_response()).await;
                return Next::KeepOpen;
            }
        };
        // Above the account's concurrency limit (when a test set one): a short-wait 429, as
        // over HTTP. The place is held until this answer is sent.
        let _slot = if prewarm {
            None
        } else {
            match crate::limits::admit(&self.state) {
                Ok(slot) => Some(slot),
                Err(rejection) => {
                    self.send_answer_as_error(rejection.into_response()).await;
                    return Next::KeepOpen;
                }
            }
        };
        let mut limits = self.rate_limits();
        if !self.send(&mut limits).await {
            return Next::Close;
        }
        if prewarm {
            let id = format!("resp_warm_{}", crate::state::random_token("", 12));
            let mut created = json!({"type": "response.created", "response": {"id": id, "status": "in_progress"}});
            let mut completed = json!({"type": "response.completed", "response": {
                "id": id, "status": "completed", "output": [],
                "usage": {"input_tokens": 0, "input_tokens_details": null, "output_tokens": 0,
                          "output_tokens_details": null, "total_tokens": 0}}});
            if !self.send(&mut created).await || !self.send(&mut completed).await {
                return Next::Close;
            }
            self.last = Some(LastResponse {
                id,
                baseline: full_input,
            });
            return Next::KeepOpen;
        }
        let stream_fault = self.state.take_fault(|fault| {
            matches!(
                fault,
                Fault::ResponsesCutStream
                    | Fault::ResponsesFailed { .. }
                    | Fault::WebSocketOutputItems { .. }
            )
        });
        let cut = matches!(stream_fault, Some(Fault::ResponsesCutStream));
        let log = match stream_fault {
            Some(Fault::WebSocketOutputItems { items }) => given_output(items),
            stream_fault => script::scripted_events(&self.state, &request, stream_fault.as_ref()),
        };
        let _in_flight = self.state.begin_response_stream(request.slug());
        let pause = self.state.stream_pause();
        let mut output = Vec::new();
        let mut completed_id = None;
        for (index, event) in log.events().iter().enumerate() {
            if index > 0 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            match event["type"].as_str() {
                Some("response.output_item.done") => output.push(event["item"].clone()),
                Some("response.completed") => {
                    completed_id = event["response"]["id"].as_str().map(str::to_string);
                }
                _ => {}
            }
            let mut event = event.clone();
            if !self.send(&mut event).await {
                return Next::Close;
            }
        }
        if cut {
            // Mid-answer: the socket goes away without `response.completed`.
            return Next::Close;
        }
        if let Some(id) = completed_id {
            let mut baseline = full_input;
            // The output items as a client replays them: without their server ids.
            baseline.extend(output.into_iter().map(|mut item| {
                if let Some(item) = item.as_object_mut() {
                    item.remove("id");
                    item.remove("status");
                }
                item
            }));
            self.last = Some(LastResponse { id, baseline });
        }
        Next::KeepOpen
    }

    fn record(&self, frame: Value, wire_bytes: u64, full_input_len: usize) {
        self.state.websocket.frames.lock().push(WebSocketFrame {
            socket: self.number,
            wire_bytes,
            frame,
            full_input_len,
        });
    }

    /// The `codex.rate_limits` event that opens every answer (the headers' values).
    fn rate_limits(&self) -> Value {
        let used = script::primary_used_percent(&self.state);
        json!({
            "type": "codex.rate_limits",
            "plan_type": self.state.options.account.plan,
            "rate_limits": {
                "allowed": true,
                "limit_reached": false,
                "primary": {
                    "used_percent": used,
                    "window_minutes": script::PRIMARY_WINDOW_MINUTES,
                    "reset_at": now_secs() + script::PRIMARY_RESETS_IN_SECS,
                },
                "secondary": {
                    "used_percent": script::SECONDARY_USED_PERCENT,
                    "window_minutes": script::SECONDARY_WINDOW_MINUTES,
                    "reset_at": now_secs() + script::SECONDARY_RESETS_IN_SECS,
                },
            },
            "code_review_rate_limits": null,
            "credits": {"has_credits": false, "unlimited": false, "balance": "0"},
            "promo": null,
        })
    }

    /// An HTTP error answer as the `error` frame that stands for it: its status, its body's
    /// `error` object and its headers (rate limits, `Retry-After`).
    async fn send_answer_as_error(&mut self, answer: Response) {
        let status = answer.status().as_u16();
        let mut headers = serde_json::Map::new();
        for (name, value) in answer.headers() {
            if name == "content-type" || name == "content-length" {
                continue;
            }
            if let Ok(value) = value.to_str() {
                headers.insert(name.as_str().to_string(), Value::from(value));
            }
        }
        let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        // The API's `{"error": {…}}` as it is; a `{"detail": "…"}` as its message; anything else
        // (an HTML page, `null`) carries no words, as a client reading the HTTP answer finds.
        let error = match serde_json::from_slice::<Value>(&bytes) {
            Ok(body) if body["error"].is_object() => body["error"].clone(),
            Ok(body) if body["detail"].is_string() => json!({"message": body["detail"]}),
            _ => json!({}),
        };
        let mut frame =
            json!({"type": "error", "status": status, "error": error, "headers": headers});
        self.send(&mut frame).await;
    }

    async fn send_error(&mut self, status: u16, kind: &str, code: Option<&str>, message: &str) {
        let mut frame = json!({
            "type": "error",
            "status": status,
            "error": {"type": kind, "code": code, "message": message},
        });
        self.send(&mut frame).await;
    }

    /// Sends one event as a text message; `false` when the client is gone.
    async fn send(&mut self, event: &mut Value) -> bool {
        if let Some(object) = event.as_object_mut() {
            object.remove("sequence_number");
        }
        let text = event.to_string();
        self.sender.send_text_owned(text).await.is_ok() && self.sender.flush().await.is_ok()
    }
}

/// A stream that counts the bytes read from it (the client's frames as they arrived).
struct Counted<T> {
    inner: T,
    read: Arc<AtomicU64>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(read)) = &poll {
            self.read.fetch_add(*read as u64, Ordering::SeqCst);
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// An answer that outputs exactly `items` ([`Fault::WebSocketOutputItems`]).
fn given_output(items: Vec<Value>) -> EventLog {
    let id = format!("resp_{}", crate::state::random_token("", 12));
    let mut log = EventLog::default();
    log.push(
        "response.created",
        json!({"response": {"id": id, "status": "in_progress"}}),
    );
    for (index, item) in items.iter().enumerate() {
        log.push(
            "response.output_item.added",
            json!({"output_index": index, "item": item}),
        );
        log.push(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
    }
    log.push(
        "response.completed",
        json!({"response": {"id": id, "status": "completed", "output": items,
            "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}}}),
    );
    log
}
