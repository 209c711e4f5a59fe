//! Sending a Responses request and streaming its answer: [`send_request`] → [`ResponseStream`].
//!
//! The request carries the auth and identity headers from [`authenticated_request`] plus the
//! ones `/responses` wants (`OpenAI-Beta: responses=experimental`, `Accept: text/event-stream`,
//! `session_id` = the thread). A refused request becomes a [`ResponsesError`] from its status and
//! body; an accepted one yields its usage-limit snapshot, its models `ETag`, and a stream of
//! completion events decoded as the body arrives: the body is read in fixed-size chunks and never
//! buffered whole, so a long answer costs no more memory than its largest event.
//!
//! Retrying (a refreshed token after [`ResponsesError::Unauthorized`], backoff on overload) is the
//! caller's decision: this module sends exactly once.

use super::decoder::CompletionDecoder;
use super::error::ResponsesError;
use super::request::ResponsesRequest;
use super::usage_limits::UsageLimits;
use crate::backend_request::{BackendAuth, authenticated_request};
use crate::config::Config;
use crate::language_model::LanguageModelCompletionEvent;
use futures::AsyncRead;
use futures::io::AsyncReadExt as _;
use futures::stream::{self, BoxStream, StreamExt as _};
use http_client::{AsyncBody, HttpClient, Method};
use std::collections::VecDeque;

/// How much of the body one read takes.
const READ_CHUNK: usize = 16 * 1024;
/// How much of an error answer's body is read for its message.
const MAX_ERROR_BODY: u64 = 64 * 1024;

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

/// Sends `request` to `{backend}/responses` once.
pub async fn send_request(
    http: &dyn HttpClient,
    config: &Config,
    auth: &BackendAuth,
    request: &ResponsesRequest,
) -> Result<ResponseStream, ResponsesError> {
    let body = serde_json::to_vec(request)?;
    let mut builder = authenticated_request(config, auth, Method::POST, &config.responses_url())
        .header("OpenAI-Beta", "responses=experimental")
        .header("Accept", "text/event-stream")
        .header("Content-Type", "application/json");
    if let Some(session) = &request.prompt_cache_key {
        builder = builder.header("session_id", session);
    }
    let host = config
        .responses_url()
        .host_str()
        .unwrap_or_default()
        .to_string();
    let http_request =
        builder
            .body(AsyncBody::from(body))
            .map_err(|error| ResponsesError::Send {
                host: host.clone(),
                error: error.into(),
            })?;
    let response = http
        .send(http_request)
        .await
        .map_err(|error| ResponsesError::Send { host, error })?;

    let now = chrono::Utc::now();
    let (parts, body) = response.into_parts();
    if !parts.status.is_success() {
        let mut bytes = Vec::new();
        body.take(MAX_ERROR_BODY).read_to_end(&mut bytes).await?;
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
        events: completion_events(body),
    })
}

/// The completion events in an SSE body, decoded as it is read.
pub fn completion_events<R>(
    reader: R,
) -> BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    struct State<R> {
        reader: R,
        decoder: CompletionDecoder,
        buffer: Box<[u8]>,
        decoded: Vec<LanguageModelCompletionEvent>,
        pending: VecDeque<LanguageModelCompletionEvent>,
        /// The error to yield once `pending` is drained.
        error: Option<ResponsesError>,
        done: bool,
    }

    let state = State {
        reader,
        decoder: CompletionDecoder::new(),
        buffer: vec![0; READ_CHUNK].into_boxed_slice(),
        decoded: Vec::new(),
        pending: VecDeque::new(),
        error: None,
        done: false,
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
            match state.reader.read(&mut state.buffer).await {
                Ok(0) => match state.decoder.finish() {
                    Ok(()) => state.done = true,
                    Err(error) => state.error = Some(error),
                },
                Ok(read) => {
                    let result = state
                        .decoder
                        .push(&state.buffer[..read], &mut state.decoded);
                    state.pending.extend(state.decoded.drain(..));
                    if let Err(error) = result {
                        state.error = Some(error);
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => state.error = Some(ResponsesError::Read(error)),
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language_model::{LanguageModelCompletionEvent as Event, StopReason};
    use crate::secret::AccessToken;
    use http_client::FakeHttpClient;
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
        let config = Config::default();
        let auth = BackendAuth {
            access_token: AccessToken::new("token-123"),
            account_id: "acct_1".into(),
        };
        let answer =
            futures::executor::block_on(send_request(&*http, &config, &auth, &request())).unwrap();
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
        assert_eq!(header("session_id"), "thread-9");
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
        ))
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "the ChatGPT backend rejected the request (400 Bad Request): Instructions are required"
        );
    }
}
