//! Sending a Responses request and streaming its answer: [`send_request`] → [`ResponseStream`].
//!
//! The request is built by [`BackendRequest`] (the auth and identity headers every backend call
//! carries, `Accept: text/event-stream`, the cap on a refusal's body) plus the ones `/responses`
//! wants (`OpenAI-Beta: responses=experimental`, the thread's cache key as both `session-id` and
//! `thread-id`, as Zed and the Codex CLI send it). A refused request becomes a [`ResponsesError`]
//! from its status and body (its own refusals: a plan's usage limit, a context too long…); an
//! accepted one yields its usage-limit snapshot, its models `ETag`, and a stream of
//! completion events decoded as the body arrives: the body is read in fixed-size chunks and never
//! buffered whole, so a long answer costs no more memory than its largest event.
//!
//! Retrying (a refreshed token after [`ResponsesError::Unauthorized`], backoff on overload) is the
//! caller's decision: this module sends exactly once (plus, once per process, the uncompressed
//! resend of a zstd body the server refused with 415: [`super::body_encoding`]).

use super::body_encoding::send_json_body;
use super::decoder::CompletionDecoder;
use super::error::ResponsesError;
use super::request::ResponsesRequest;
use super::stall::{Stall, StreamWatch};
use super::zstd_refusals::ZstdRefusals;
use crate::backend_request::{BackendAuth, BackendCall, BackendRequest, read_capped};
use crate::config::Config;
use crate::usage::UsageLimits;
use futures::future::{BoxFuture, Either};
use futures::io::AsyncReadExt as _;
use futures::stream::{self, BoxStream, StreamExt as _};
use futures::{AsyncRead, FutureExt as _};
use http_client::{HttpClient, Method};
use language_model::LanguageModelCompletionEvent;
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::Poll;

/// How much of the body one read takes.
const READ_CHUNK: usize = 16 * 1024;

/// An accepted request: what its headers said, and its events as they arrive.
pub struct ResponseStream {
    /// The plan's usage windows and credits at the time of this answer.
    pub usage_limits: Option<UsageLimits>,
    /// The model catalog's current `ETag` (`x-models-etag`): when it differs from the cached
    /// list's, the catalog changed.
    pub models_etag: Option<String>,
    /// The completion events; an error ends the stream.
    pub events: BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>,
}

/// Sends `request` to `{backend}/responses` once; `watch` bounds how long each phase of the
/// answer may stall. A backend's refusal of zstd bodies is not remembered past this call: see
/// [`send_request_remembering`].
pub async fn send_request(
    http: &dyn HttpClient,
    config: &Config,
    auth: &BackendAuth,
    request: &ResponsesRequest,
    watch: &StreamWatch,
) -> Result<ResponseStream, ResponsesError> {
    let refusals = ZstdRefusals::default();
    send_request_remembering(http, config, auth, request, watch, &refusals).await
}

/// [`send_request`], sending the body plain at once to a backend that `refusals` says refused
/// zstd, and remembering a new refusal there.
pub async fn send_request_remembering(
    http: &dyn HttpClient,
    config: &Config,
    auth: &BackendAuth,
    request: &ResponsesRequest,
    watch: &StreamWatch,
    refusals: &ZstdRefusals,
) -> Result<ResponseStream, ResponsesError> {
    let body = serde_json::to_vec(request)?;
    let mut builder = BackendRequest::new(
        config,
        auth,
        BackendCall::Answer,
        Method::POST,
        &config.responses_url(),
    )
    .header("OpenAI-Beta", "responses=experimental")
    .header("Content-Type", "application/json");
    if let Some(thread) = &request.prompt_cache_key {
        // Both names, hyphenated: the pairing that keeps the backend's routing on one thread.
        builder = builder
            .header("session-id", thread)
            .header("thread-id", thread);
    }
    let head = builder
        .head()
        .map_err(|error| ResponsesError::send_error(config, error.into()))?;
    let response = within(
        send_json_body(http, config, refusals, head, body),
        watch.first_byte_timer(),
        Stall::FirstByte(watch.timeouts.first_byte),
    )
    .await??;

    let now = chrono::Utc::now();
    let (parts, body) = response.into_parts();
    if !parts.status.is_success() {
        // An error body is small: one chunk limit bounds reading all of it, up to the cap.
        let bytes = within(
            read_capped(body, BackendCall::Answer),
            watch.chunk_timer(),
            Stall::BetweenChunks(watch.timeouts.between_chunks),
        )
        .await??;
        return Err(ResponsesError::from_http(
            parts.status,
            &parts.headers,
            &bytes,
            now,
        ));
    }
    Ok(ResponseStream {
        usage_limits: UsageLimits::from_headers(&parts.headers, now),
        models_etag: parts
            .headers
            .get("x-models-etag")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string),
        events: watched_completion_events(body, Some(watch.clone())),
    })
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

/// The completion events in an SSE body, decoded as it is read, with no time limits (the
/// benchmarks and tests that feed bytes from memory).
pub fn completion_events<R>(
    reader: R,
) -> BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    watched_completion_events(reader, None)
}

/// The completion events in an SSE body, decoded as it is read; with a `watch`, a silent
/// connection or a stream of nothing but keep-alive comments ends it with a [`Stall`].
pub(crate) fn watched_completion_events<R>(
    reader: R,
    watch: Option<StreamWatch>,
) -> BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let state = State {
        reader,
        decoder: CompletionDecoder::new(),
        buffer: vec![0; READ_CHUNK].into_boxed_slice(),
        decoded: Vec::new(),
        pending: VecDeque::new(),
        error: None,
        done: false,
        watch,
        event_timer: None,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.pending.pop_front() {
                return Some((Ok(event), state));
            }
            if let Some(error) = state.error.take() {
                state.done = true;
                return Some((Err(error), state));
            }
            // After a terminal event the rest of the body is not read: the answer is complete.
            if state.done || state.decoder.is_finished() {
                return None;
            }
            let read = match state.watch.clone() {
                None => state.reader.read(&mut state.buffer).await,
                Some(watch) => match read_within(&mut state, watch).await {
                    Ok(read) => read,
                    Err(stall) => {
                        state.error = Some(stall.into());
                        continue;
                    }
                },
            };
            let events_before = state.decoder.events_seen();
            match read {
                Ok(0) => {
                    let result = state.decoder.end_of_body(&mut state.decoded);
                    state.pending.extend(state.decoded.drain(..));
                    match result {
                        Ok(()) => state.done = true,
                        Err(error) => state.error = Some(error),
                    }
                }
                Ok(read) => {
                    let result = state.decoder.push(
                        state.buffer.get(..read).unwrap_or_default(),
                        &mut state.decoded,
                    );
                    state.pending.extend(state.decoded.drain(..));
                    if let Err(error) = result {
                        state.error = Some(error);
                    }
                    if state.decoder.events_seen() != events_before {
                        state.event_timer = None;
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => state.error = Some(ResponsesError::Read(error)),
            }
        }
    })
    .boxed()
}

/// The body being decoded, between reads.
struct State<R> {
    reader: R,
    decoder: CompletionDecoder,
    buffer: Box<[u8]>,
    decoded: Vec<LanguageModelCompletionEvent>,
    pending: VecDeque<LanguageModelCompletionEvent>,
    /// The error to yield once `pending` is drained.
    error: Option<ResponsesError>,
    done: bool,
    watch: Option<StreamWatch>,
    /// Runs from the last event that carried data (comments do not restart it).
    event_timer: Option<BoxFuture<'static, ()>>,
}

/// One read of the body, unless the connection stays silent past the chunk limit or no event
/// has carried data within the event limit.
async fn read_within<R: AsyncRead + Unpin>(
    state: &mut State<R>,
    watch: StreamWatch,
) -> Result<std::io::Result<usize>, Stall> {
    let mut chunk_timer = watch.chunk_timer();
    let event_timer = state.event_timer.get_or_insert_with(|| watch.event_timer());
    let reader = &mut state.reader;
    let buffer = &mut state.buffer;
    futures::future::poll_fn(|cx| {
        if let Poll::Ready(read) = Pin::new(&mut *reader).poll_read(cx, buffer) {
            return Poll::Ready(Ok(read));
        }
        if event_timer.poll_unpin(cx).is_ready() {
            return Poll::Ready(Err(Stall::BetweenEvents(watch.timeouts.between_events)));
        }
        if chunk_timer.poll_unpin(cx).is_ready() {
            return Poll::Ready(Err(Stall::BetweenChunks(watch.timeouts.between_chunks)));
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use crate::secret::AccessToken;
    use http_client::{AsyncBody, FakeHttpClient};
    use language_model::{LanguageModelCompletionEvent as Event, StopReason};
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    const RECORDED: &[u8] = include_bytes!("testdata/recorded.sse");

    /// Serves the recording a few bytes per read, then never ends: the stream must stop at
    /// `response.completed` on its own, without waiting for the connection to close.
    struct TrickleThenHang(usize);

    impl AsyncRead for TrickleThenHang {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<std::io::Result<usize>> {
            let start = self.0;
            if start == RECORDED.len() {
                return Poll::Pending;
            }
            let n = buf.len().min(7).min(RECORDED.len() - start);
            buf[..n].copy_from_slice(&RECORDED[start..start + n]);
            self.0 += n;
            Poll::Ready(Ok(n))
        }
    }

    /// Stall limits whose timers never fire (tests/stalls.rs tests them over sockets).
    fn no_timers() -> StreamWatch {
        StreamWatch::new(
            super::super::StreamTimeouts::default(),
            Arc::new(|_| futures::future::pending().boxed()),
        )
    }

    fn request() -> ResponsesRequest {
        ResponsesRequest {
            model: "gpt-test".into(),
            instructions: "Be brief.".into(),
            input: Vec::new(),
            tools: Vec::new(),
            tool_choice: None,
            parallel_tool_calls: None,
            reasoning: None,
            store: false,
            stream: true,
            include: Vec::new(),
            prompt_cache_key: Some("thread-9".into()),
            text: None,
            service_tier: None,
            context_management: None,
        }
    }

    #[test]
    fn sends_the_documented_headers_and_streams_until_completed() {
        let seen = Arc::new(Mutex::new(None));
        let http = FakeHttpClient::create({
            let seen = seen.clone();
            move |request| {
                let seen = seen.clone();
                async move {
                    let (parts, mut body) = request.into_parts();
                    let mut text = String::new();
                    body.read_to_string(&mut text).await?;
                    *seen.lock().unwrap() = Some((parts.headers, text));
                    Ok(http_client::Response::builder()
                        .status(200)
                        .header("x-codex-primary-used-percent", "5")
                        .header("x-codex-primary-window-minutes", "300")
                        .header("x-models-etag", "\"v7\"")
                        .body(AsyncBody::from_reader(TrickleThenHang(0)))?)
                }
            }
        });
        // Plain JSON, so the fake can read it (zstd bodies: `body_encoding` and tests/).
        let config = Config {
            request_compression: crate::config::RequestCompression::None,
            ..Config::default()
        };
        let auth = BackendAuth {
            access_token: AccessToken::new("token-123"),
            account_id: "acct_1".into(),
        };
        let answer = futures::executor::block_on(send_request(
            &*http,
            &config,
            &auth,
            &request(),
            &no_timers(),
        ))
        .unwrap();
        assert_eq!(answer.models_etag.as_deref(), Some("\"v7\""));
        assert_eq!(answer.usage_limits.unwrap().windows[0].label(), "5-hour");
        let events: Vec<_> = futures::executor::block_on(answer.events.collect::<Vec<_>>());
        assert!(events.iter().all(Result::is_ok));
        assert!(matches!(
            events.last(),
            Some(Ok(Event::Stop(StopReason::ToolUse)))
        ));

        let (headers, body) = seen.lock().unwrap().take().unwrap();
        let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_string();
        assert_eq!(header("authorization"), "Bearer token-123");
        assert_eq!(header("chatgpt-account-id"), "acct_1");
        assert_eq!(header("openai-beta"), "responses=experimental");
        assert_eq!(header("accept"), "text/event-stream");
        assert_eq!(header("session-id"), "thread-9");
        assert_eq!(header("thread-id"), "thread-9");
        assert!(headers.get("session_id").is_none());
        assert_eq!(header("originator"), config.originator);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["store"], false);
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn a_refusal_is_read_into_an_error() {
        let http = FakeHttpClient::create(|_| async {
            Ok(http_client::Response::builder()
                .status(400)
                .body(AsyncBody::from(r#"{"detail":"Instructions are required"}"#))?)
        });
        let auth = BackendAuth {
            access_token: AccessToken::new("t"),
            account_id: "a".into(),
        };
        let error = futures::executor::block_on(send_request(
            &*http,
            &Config::default(),
            &auth,
            &request(),
            &no_timers(),
        ))
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "the request for the answer failed: the ChatGPT backend answered HTTP 400 Bad Request \
             (\"Instructions are required\"); try again; if it keeps failing, update openai-subscribed"
        );
    }
}
