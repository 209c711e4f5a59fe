//! Every wait bounded, every byte bounded: the Responses streamer against a raw TCP backend
//! that misbehaves on purpose (`tests/support/misbehaving_backend.rs`), over real loopback
//! sockets, with tight stall limits so each test takes about a second.
//!
//! Each stall names the phase that stalled; a line with no end is refused once it passes
//! [`MAX_EVENT_BYTES`], and the client stops reading (the server cannot push it much further).

use emulator::misbehaving as misbehaving_backend;

use futures::{FutureExt as _, StreamExt as _};
use language_model::{
    LanguageModelCompletionEvent as Event, LanguageModelRequest, LanguageModelRequestMessage,
    MessageContent, Role,
};
use misbehaving_backend::{MisbehavingBackend, Misbehaviour};
use openai_subscribed::backend_request::BackendAuth;
use openai_subscribed::config::Config;
use openai_subscribed::models::fallback::bundled_models;
use openai_subscribed::responses::{
    MAX_EVENT_BYTES, ResponsesError, Sleep, Stall, StreamTimeouts, StreamWatch, build_request,
    send_request,
};
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const FIRST_BYTE: Duration = Duration::from_millis(700);
const BETWEEN_CHUNKS: Duration = Duration::from_millis(500);
const BETWEEN_EVENTS: Duration = Duration::from_millis(1200);

/// Timers on plain threads (this test has no gpui executor).
fn thread_sleep() -> Sleep {
    Arc::new(|duration| {
        let (done, fired) = futures::channel::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            done.send(()).ok();
        });
        fired.map(|_| ()).boxed()
    })
}

fn watch() -> StreamWatch {
    StreamWatch::new(
        StreamTimeouts {
            first_byte: FIRST_BYTE,
            between_chunks: BETWEEN_CHUNKS,
            between_events: BETWEEN_EVENTS,
        },
        thread_sleep(),
    )
}

/// Sends one request to `backend` and drains the answer: the events, then the error that ended
/// it. Bounded: a hang past 30 s fails the test instead of hanging it.
fn ask(backend: &MisbehavingBackend) -> (Vec<Event>, ResponsesError) {
    let (result_tx, result_rx) = std::sync::mpsc::channel();
    let url = backend.url.clone();
    std::thread::spawn(move || {
        let http = ReqwestHttpClient::new("openai_subscribed-tests").unwrap();
        let config = Config::with_urls("http://127.0.0.1:9", &url).unwrap();
        let auth = BackendAuth {
            access_token: AccessToken::new("token"),
            account_id: "acct".into(),
        };
        let model = bundled_models().into_iter().next().unwrap();
        let request = LanguageModelRequest {
            messages: vec![LanguageModelRequestMessage {
                role: Role::User,
                content: vec![MessageContent::Text("hi".into())],
                cache: false,
                reasoning_details: None,
            }],
            ..LanguageModelRequest::default()
        };
        let body = build_request(&request, &model).unwrap();
        let outcome = futures::executor::block_on(async {
            let answer = match send_request(&*http, &config, &auth, &body, &watch()).await {
                Ok(answer) => answer,
                Err(error) => return (Vec::new(), Some(error)),
            };
            let mut events = Vec::new();
            let mut stream = answer.events;
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => events.push(event),
                    Err(error) => return (events, Some(error)),
                }
            }
            (events, None)
        });
        result_tx.send(outcome).ok();
    });
    let (events, error) = result_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the request ended within 30 s");
    (events, error.expect("the answer ended with an error"))
}

#[test]
fn a_backend_that_accepts_and_stays_silent_is_given_up_after_the_first_byte_limit() {
    let backend = MisbehavingBackend::start(Misbehaviour::Silent);
    let (events, error) = ask(&backend);
    assert!(events.is_empty());
    assert!(
        matches!(error, ResponsesError::Stalled(Stall::FirstByte(limit)) if limit == FIRST_BYTE),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the ChatGPT backend did not start answering within 0.70 s; it may be overloaded or the \
         network may be down — try again in a moment"
    );
}

#[test]
fn headers_then_nothing_is_given_up_after_the_chunk_limit() {
    let backend = MisbehavingBackend::start(Misbehaviour::HeadersThenNothing);
    let (events, error) = ask(&backend);
    assert!(events.is_empty());
    assert!(
        matches!(error, ResponsesError::Stalled(Stall::BetweenChunks(limit)) if limit == BETWEEN_CHUNKS),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("nothing arrived from the ChatGPT backend for 0.50 s"),
        "{error}"
    );
}

#[test]
fn keep_alive_comments_alone_do_not_keep_a_stream_alive_forever() {
    let backend = MisbehavingBackend::start(Misbehaviour::KeepAliveOnly);
    let (events, error) = ask(&backend);
    assert!(events.is_empty());
    // Comments arrive every 50 ms, well inside the chunk limit: only the event limit can end it.
    assert!(
        matches!(error, ResponsesError::Stalled(Stall::BetweenEvents(limit)) if limit == BETWEEN_EVENTS),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("only keep-alive messages"),
        "{error}"
    );
    assert!(backend.body_bytes_written.load(Ordering::Relaxed) > 0);
}

#[test]
fn a_stream_that_stalls_midway_keeps_what_arrived_and_names_the_stall() {
    let backend = MisbehavingBackend::start(Misbehaviour::StallMidStream);
    let (events, error) = ask(&backend);
    assert!(
        events.contains(&Event::Text("Half an ans".into())),
        "{events:?}"
    );
    assert!(
        matches!(error, ResponsesError::Stalled(Stall::BetweenChunks(_))),
        "{error:?}"
    );
    // In the host's terms: a read error that says what stalled.
    let host = error.to_completion_error("ChatGPT Subscription".into());
    let chain = format!("{:#}", anyhow::Error::from(host));
    assert!(chain.contains("the answer stalled"), "{chain}");
}

#[test]
fn a_line_without_end_is_refused_past_the_limit_and_reading_stops() {
    let backend = MisbehavingBackend::start(Misbehaviour::EndlessLine);
    let (events, error) = ask(&backend);
    assert!(events.is_empty());
    assert!(
        matches!(error, ResponsesError::EventTooLarge { limit } if limit == MAX_EVENT_BYTES),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("sent one event larger than 8 MiB"),
        "{error}"
    );
    // The client dropped the connection after the limit: the server could not push much more
    // than the limit plus what the socket buffers hold, far from the 256 MiB it had to send.
    std::thread::sleep(Duration::from_millis(300));
    let written = backend.body_bytes_written.load(Ordering::Relaxed);
    assert!(written < 64 * 1024 * 1024, "{written} bytes were read");
}
