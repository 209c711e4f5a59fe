//! The WebSocket transport, driven as Zed drives the provider, over real sockets against the
//! emulator: turns of a thread chained as deltas on one socket (checked from the emulator's
//! record of every frame), each rule that forces a full frame (model, tools, effort,
//! instructions, an edited history, a failed or cut answer), `previous_response_not_found`, a
//! mid-answer close (never retried), a socket failing before its answer (a new one: once over
//! HTTP; a reused one: once in full on a new socket), a refused upgrade falling back to HTTP at
//! once and remembered on disk, an HTTP-only backend with no delay on the first or a later
//! start, refresh and sign-out closing the sockets, the bound on open sockets (idle or busy),
//! and the idle and age limits closing sockets on a timer before the server's age limit (and
//! that limit, when the server reaches it first, moving the turn to a new socket).

mod support;

use emulator::{Emulator, Fault, WebSocketFrame, WebSocketMode};
use futures::StreamExt as _;
use gpui::TestAppContext;
use language_model::*;
use openai_subscribed::config::{Config, Transport};
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{OpenAiSubscribedModel, OpenAiSubscribedProvider, StateOptions};
use openai_subscribed::responses::websocket::PoolLimits;
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{block_within, stored_credentials};

struct Harness {
    emulator: Arc<Emulator>,
    provider: Arc<OpenAiSubscribedProvider>,
    _cache: Option<tempfile::TempDir>,
}

fn start(cx: &mut TestAppContext) -> Harness {
    let emulator = Arc::new(Emulator::start().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let mut harness = provider_for(cx, &emulator, cache.path(), PoolLimits::default());
    harness._cache = Some(cache);
    harness
}

/// A provider signed in to `emulator`, caching in `cache`.
fn provider_for(
    cx: &mut TestAppContext,
    emulator: &Arc<Emulator>,
    cache: &Path,
    limits: PoolLimits,
) -> Harness {
    cx.executor().allow_parking();
    let minted = emulator.mint_tokens(3600);
    let store = MemoryStore::with(&stored_credentials(&minted));
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.to_path_buf()),
        websocket_limits: limits,
        ..StateOptions::default()
    };
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let credentials: Arc<dyn CredentialStore> = Arc::new(store);
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    assert_eq!(config.transport, Transport::WebSocket, "on by default");
    let provider = cx.update(|cx| {
        Arc::new(OpenAiSubscribedProvider::with_options(
            http,
            credentials,
            config,
            options,
            cx,
        ))
    });
    let authenticate = cx.update(|cx| provider.authenticate(cx));
    block(cx, authenticate).expect("stored credentials load");
    let refresh = provider
        .state()
        .update(cx, |state, cx| state.refresh_models(cx));
    block(cx, refresh).unwrap();
    Harness {
        emulator: emulator.clone(),
        provider,
        _cache: None,
    }
}

/// Waits (at most 10 s) until the emulator has `count` sockets open, letting gpui's timers
/// run (the fake clock moves 10 ms a round).
fn wait_for_open_sockets(cx: &mut TestAppContext, emulator: &Emulator, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator.open_websockets() != count {
        assert!(
            Instant::now() < deadline,
            "{} sockets open, expected {count}",
            emulator.open_websockets()
        );
        cx.run_until_parked();
        cx.executor().advance_clock(Duration::from_millis(10));
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn message(role: Role, content: Vec<MessageContent>) -> LanguageModelRequestMessage {
    LanguageModelRequestMessage {
        role,
        content,
        cache: false,
        reasoning_details: None,
    }
}

fn user(text: &str) -> LanguageModelRequestMessage {
    message(Role::User, vec![MessageContent::Text(text.into())])
}

fn system(text: &str) -> LanguageModelRequestMessage {
    message(Role::System, vec![MessageContent::Text(text.into())])
}

fn request(thread: &str, messages: Vec<LanguageModelRequestMessage>) -> LanguageModelRequest {
    LanguageModelRequest {
        thread_id: Some(thread.into()),
        messages,
        thinking_allowed: true,
        ..LanguageModelRequest::default()
    }
}

fn models(cx: &mut TestAppContext, h: &Harness) -> Vec<Arc<dyn LanguageModel>> {
    cx.update(|cx| h.provider.provided_models(cx))
}

type Events = Vec<Result<LanguageModelCompletionEvent, LanguageModelCompletionError>>;

fn complete(
    cx: &mut TestAppContext,
    model: &Arc<dyn LanguageModel>,
    request: LanguageModelRequest,
) -> Result<Events, LanguageModelCompletionError> {
    let future = model.stream_completion(request, &cx.to_async());
    let events = block(cx, future)?;
    Ok(block(cx, events.collect::<Vec<_>>()))
}

fn text_of(events: &Events) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Ok(LanguageModelCompletionEvent::Text(text)) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The assistant message a host keeps from an answer: its reasoning (shown and opaque) and text.
fn assistant_from(events: &Events) -> LanguageModelRequestMessage {
    let mut content = Vec::new();
    for event in events.iter().flatten() {
        match event {
            LanguageModelCompletionEvent::Thinking { text, signature } => {
                content.push(MessageContent::Thinking {
                    text: text.clone(),
                    signature: signature.clone(),
                });
            }
            LanguageModelCompletionEvent::RedactedThinking { data } => {
                content.push(MessageContent::RedactedThinking(data.clone()));
            }
            _ => {}
        }
    }
    content.push(MessageContent::Text(text_of(events)));
    message(Role::Assistant, content)
}

/// A thread: the messages so far, a turn at a time.
struct Thread {
    id: &'static str,
    messages: Vec<LanguageModelRequestMessage>,
}

impl Thread {
    fn new(id: &'static str) -> Self {
        Self {
            id,
            messages: vec![system("Be brief.")],
        }
    }

    /// Sends the next user message and keeps the answer in the thread.
    fn turn(
        &mut self,
        cx: &mut TestAppContext,
        model: &Arc<dyn LanguageModel>,
        text: &str,
    ) -> Events {
        self.messages.push(user(text));
        let events = complete(cx, model, request(self.id, self.messages.clone())).unwrap();
        assert!(
            events.iter().all(Result::is_ok),
            "the answer failed: {events:?}"
        );
        assert_eq!(text_of(&events), format!("You said: {text}"));
        self.messages.push(assistant_from(&events));
        events
    }
}

fn frames(h: &Harness) -> Vec<WebSocketFrame> {
    h.emulator.websocket_frames()
}

#[gpui::test]
fn turns_of_a_thread_chain_as_deltas_on_one_socket(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-chain");
    for turn in 1..=4 {
        thread.turn(cx, &model, &format!("turn {turn}"));
    }
    let frames = frames(&h);
    assert_eq!(frames.len(), 4, "{frames:#?}");
    assert!(frames.iter().all(|frame| frame.socket == frames[0].socket));
    assert_eq!(frames[0].previous_response_id(), None);
    assert_eq!(
        frames[0].input_len(),
        1,
        "turn 1: the whole (one-message) thread"
    );
    for frame in &frames[1..] {
        assert!(frame.previous_response_id().is_some(), "{frame:#?}");
        // Only the new user message: the answer before it is the server's own.
        assert_eq!(frame.input_len(), 1, "{frame:#?}");
    }
    // The full input the server reconstructed grows as the thread does.
    let full: Vec<usize> = frames.iter().map(|frame| frame.full_input_len).collect();
    assert!(full.windows(2).all(|pair| pair[1] > pair[0]), "{full:?}");
    // Later frames are smaller on the wire than the thread they stand for.
    let last = frames.last().unwrap();
    assert!(last.wire_bytes < 1024, "{} bytes", last.wire_bytes);
    // The handshake carried the protocol and the thread.
    let handshake = &h.emulator.websocket_handshakes()[0];
    let header = |name: &str| handshake.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header("openai-beta"), "responses_websockets=2026-02-06");
    assert_eq!(header("session-id"), "thread-chain");
    assert_eq!(header("thread-id"), "thread-chain");
    assert!(header("sec-websocket-extensions").contains("permessage-deflate"));
    // `codex.rate_limits` fed the usage display.
    let usage = h
        .provider
        .state()
        .read_with(cx, |state, _| state.usage().cloned())
        .expect("the rate-limit event reported usage");
    assert_eq!(usage.windows[0].label(), "5-hour");
}

#[gpui::test]
fn each_rule_forces_a_full_frame(cx: &mut TestAppContext) {
    let h = start(cx);
    let models = models(cx, &h);
    let (model, other_model) = (models[0].clone(), models[1].clone());
    let mut thread = Thread::new("thread-rules");
    thread.turn(cx, &model, "one");
    thread.turn(cx, &model, "two");
    let chained = |h: &Harness| frames(h).last().unwrap().previous_response_id().is_some();
    assert!(chained(&h));

    // Another model.
    thread.turn(cx, &other_model, "three");
    assert!(!chained(&h), "a model change goes in full");
    thread.turn(cx, &other_model, "four");
    assert!(chained(&h));

    // Other instructions.
    thread.messages[0] = system("Be very brief.");
    thread.turn(cx, &other_model, "five");
    assert!(!chained(&h), "new instructions go in full");

    // Another effort.
    let mut effort = request(thread.id, {
        thread.messages.push(user("six"));
        thread.messages.clone()
    });
    effort.thinking_effort = Some("low".into());
    let events = complete(cx, &other_model, effort).unwrap();
    assert!(events.iter().all(Result::is_ok), "{events:?}");
    thread.messages.push(assistant_from(&events));
    assert!(!chained(&h), "another effort goes in full");
    thread.turn(cx, &other_model, "seven");
    assert!(!chained(&h), "and back to the default effort too");
    thread.turn(cx, &other_model, "eight");
    assert!(chained(&h));

    // History edited (an earlier message changed).
    thread.messages[1] = user("one, edited");
    thread.turn(cx, &other_model, "nine");
    assert!(!chained(&h), "an edited history goes in full");

    // The last answer failed.
    h.emulator.inject(Fault::ResponsesFailed {
        code: "server_error".into(),
        message: "synthetic failure".into(),
    });
    thread.messages.push(user("ten"));
    let failed = complete(
        cx,
        &other_model,
        request(thread.id, thread.messages.clone()),
    )
    .unwrap();
    assert!(failed.iter().any(Result::is_err));
    thread.messages.pop();
    let sockets_before = frames(&h).last().unwrap().socket;
    thread.turn(cx, &other_model, "eleven");
    let last = frames(&h).pop().unwrap();
    assert!(
        last.previous_response_id().is_none(),
        "after a failed answer: full"
    );
    assert_ne!(
        last.socket, sockets_before,
        "the failed answer's socket was dropped"
    );
}

#[gpui::test]
fn a_mid_answer_close_fails_the_answer_and_the_next_turn_starts_in_full(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-cut");
    thread.turn(cx, &model, "one");
    h.emulator.inject(Fault::ResponsesCutStream);
    thread.messages.push(user("two"));
    let cut = complete(cx, &model, request(thread.id, thread.messages.clone())).unwrap();
    let error = cut
        .iter()
        .find_map(|event| event.as_ref().err())
        .expect("the cut answer fails");
    assert!(!error.to_string().is_empty());
    thread.messages.pop();
    thread.turn(cx, &model, "two again");
    let frames = frames(&h);
    let last = frames.last().unwrap();
    assert!(last.previous_response_id().is_none());
    assert_ne!(last.socket, frames[0].socket, "a new socket");
    assert_eq!(h.emulator.stats().responses_requests, 3);
}

#[gpui::test]
fn a_lost_previous_response_is_resent_in_full_once(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-lost");
    thread.turn(cx, &model, "one");
    h.emulator.inject(Fault::WebSocketPreviousNotFound);
    thread.turn(cx, &model, "two");
    let frames = frames(&h);
    assert_eq!(frames.len(), 3, "{frames:#?}");
    assert!(frames[1].previous_response_id().is_some(), "the delta");
    assert!(
        frames[2].previous_response_id().is_none(),
        "then the full resend"
    );
    assert_eq!(
        frames[2].input_len(),
        frames[2].full_input_len,
        "the whole thread"
    );
    assert!(frames[2].input_len() > frames[1].input_len());
    assert_eq!(frames[2].socket, frames[1].socket, "on the same socket");
    // And the chain goes on from the resent answer.
    thread.turn(cx, &model, "three");
    assert!(
        h.emulator
            .websocket_frames()
            .last()
            .unwrap()
            .previous_response_id()
            .is_some()
    );
}

#[gpui::test]
fn a_refused_upgrade_falls_back_to_http_at_once_and_is_remembered(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    emulator.set_websocket_mode(WebSocketMode::Refuse(426));
    let cache = tempfile::tempdir().unwrap();
    let h = provider_for(cx, &emulator, cache.path(), PoolLimits::default());
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-refused");
    thread.turn(cx, &model, "one");
    assert_eq!(emulator.websocket_handshakes().len(), 1, "one attempt");
    assert_eq!(emulator.stats().responses_requests, 1, "then HTTP, once");
    assert!(emulator.websocket_frames().is_empty());
    thread.turn(cx, &model, "two");
    assert_eq!(
        emulator.websocket_handshakes().len(),
        1,
        "no second attempt"
    );

    // The next start (a new provider state) reads the refusal from disk: no attempt at all.
    let later = provider_for(cx, &emulator, cache.path(), PoolLimits::default());
    let model = models(cx, &later).remove(0);
    Thread::new("thread-later").turn(cx, &model, "three");
    assert_eq!(emulator.websocket_handshakes().len(), 1);
    assert_eq!(emulator.stats().responses_requests, 3);
}

#[gpui::test]
fn an_http_only_backend_answers_on_the_first_try(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    emulator.set_websocket_mode(WebSocketMode::Refuse(404));
    let cache = tempfile::tempdir().unwrap();
    let h = provider_for(cx, &emulator, cache.path(), PoolLimits::default());
    let model = models(cx, &h).remove(0);
    let started = Instant::now();
    Thread::new("thread-http").turn(cx, &model, "one");
    // One refused upgrade on loopback, no retries and no backoff before HTTP.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(emulator.websocket_handshakes().len(), 1);
    assert_eq!(emulator.stats().responses_requests, 1);
    let body = emulator.last_responses_request().unwrap();
    assert_eq!(
        body.header("content-encoding"),
        Some("zstd"),
        "the HTTP path as before"
    );

    // A later start (a new provider state, the same cache): no upgrade attempt at all.
    let later = provider_for(cx, &emulator, cache.path(), PoolLimits::default());
    let model = models(cx, &later).remove(0);
    let started = Instant::now();
    Thread::new("thread-http-later").turn(cx, &model, "two");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        emulator.websocket_handshakes().len(),
        1,
        "no second upgrade"
    );
    assert_eq!(emulator.stats().responses_requests, 2);
}

#[gpui::test]
fn refresh_and_sign_out_close_the_sockets(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-auth");
    thread.turn(cx, &model, "one");
    wait_for_open_sockets(cx, &h.emulator, 1);

    // A refresh: a new access token; the socket opened with the old one closes.
    let state = h.provider.state().clone();
    let auth = state.read_with(cx, |state, _| state.auth().clone());
    let fresh = auth.update(cx, |auth, cx| auth.get_fresh_credentials(cx));
    let current = block(cx, fresh).unwrap();
    let refresh = auth.update(cx, |auth, cx| auth.force_refresh(&current.access_token, cx));
    let refreshed = block(cx, refresh).unwrap();
    assert_ne!(
        refreshed.access_token.secret(),
        current.access_token.secret()
    );
    wait_for_open_sockets(cx, &h.emulator, 0);
    thread.turn(cx, &model, "two");
    let last = frames(&h).pop().unwrap();
    assert!(
        last.previous_response_id().is_none(),
        "a new socket, in full"
    );
    wait_for_open_sockets(cx, &h.emulator, 1);

    // Sign-out.
    let signed_out = state.update(cx, |state, cx| state.sign_out(cx));
    block(cx, signed_out).unwrap();
    wait_for_open_sockets(cx, &h.emulator, 0);
}

#[gpui::test]
fn idle_sockets_are_bounded(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let limits = PoolLimits {
        max_sockets: 2,
        ..PoolLimits::default()
    };
    let h = provider_for(cx, &emulator, cache.path(), limits);
    let model = models(cx, &h).remove(0);
    for id in ["thread-a", "thread-b", "thread-c"] {
        Thread::new(id).turn(cx, &model, "hello");
    }
    // The least recently used socket (thread a's) was closed.
    wait_for_open_sockets(cx, &emulator, 2);
}

#[gpui::test]
fn an_idle_socket_is_closed_by_the_client_on_its_own(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let limits = PoolLimits {
        idle: Duration::from_millis(300),
        ..PoolLimits::default()
    };
    let h = provider_for(cx, &emulator, cache.path(), limits);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-idle");
    thread.turn(cx, &model, "one");
    // Nobody sends anything more: the pool's timer closes the socket, and the emulator (which
    // never closes an idle socket itself) sees it go.
    wait_for_open_sockets(cx, &emulator, 0);
    thread.turn(cx, &model, "two");
    let frames = frames(&h);
    assert_eq!(frames.len(), 2);
    assert!(
        frames[1].previous_response_id().is_none(),
        "a new socket, in full"
    );
    assert_ne!(frames[1].socket, frames[0].socket);
}

#[gpui::test]
fn a_socket_is_closed_before_the_servers_age_limit(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let server_limit = Duration::from_secs(5);
    emulator.set_websocket_max_age(server_limit);
    let cache = tempfile::tempdir().unwrap();
    let limits = PoolLimits {
        max_age: Duration::from_millis(300),
        ..PoolLimits::default()
    };
    let h = provider_for(cx, &emulator, cache.path(), limits);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-age");
    let opened = Instant::now();
    thread.turn(cx, &model, "one");
    // Still well within the idle limit (10 minutes): the age limit closes it.
    wait_for_open_sockets(cx, &emulator, 0);
    assert!(
        opened.elapsed() < server_limit,
        "closed by the client after {:?}, not by the server",
        opened.elapsed()
    );
    thread.turn(cx, &model, "two");
    let frames = frames(&h);
    assert_eq!(frames.len(), 2, "no frame refused: {frames:#?}");
    assert!(
        frames[1].previous_response_id().is_none(),
        "a new socket, in full"
    );
    assert_ne!(frames[1].socket, frames[0].socket);
    assert_eq!(h.emulator.stats().responses_requests, 2);
}

#[gpui::test]
fn the_servers_age_limit_moves_the_turn_to_a_new_socket(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let server_limit = Duration::from_millis(300);
    emulator.set_websocket_max_age(server_limit);
    let cache = tempfile::tempdir().unwrap();
    let h = provider_for(cx, &emulator, cache.path(), PoolLimits::default());
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-server-age");
    thread.turn(cx, &model, "one");
    // The server's limit is on its own clock, from its accept before turn one: let it run out
    // (nothing on the socket tells the client).
    std::thread::sleep(server_limit);
    // The delta is refused with `websocket_connection_limit_reached`; the same turn goes at once,
    // in full, on a new socket, and the answer does not fail.
    thread.turn(cx, &model, "two");
    let frames = frames(&h);
    assert_eq!(frames.len(), 3, "{frames:#?}");
    assert!(
        frames[1].previous_response_id().is_some(),
        "the refused delta"
    );
    assert_eq!(frames[1].socket, frames[0].socket);
    assert!(frames[2].previous_response_id().is_none(), "then in full");
    assert_ne!(frames[2].socket, frames[0].socket, "on a new socket");
    assert_eq!(frames[2].input_len(), frames[2].full_input_len);
}

#[gpui::test]
fn a_change_of_tools_forces_a_full_frame(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-tools");
    thread.turn(cx, &model, "one");
    thread.turn(cx, &model, "two");
    assert!(frames(&h).last().unwrap().previous_response_id().is_some());
    let tool = LanguageModelRequestTool {
        name: "read_file".into(),
        description: "Reads a file of the project.".into(),
        input_schema: serde_json::json!({
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"],
        }),
        use_input_streaming: false,
    };
    let mut with_tools = |thread: &mut Thread, text: &str| {
        thread.messages.push(user(text));
        let mut request = request(thread.id, thread.messages.clone());
        request.tools = vec![tool.clone()];
        let events = complete(cx, &model, request).unwrap();
        assert!(events.iter().all(Result::is_ok), "{events:?}");
        thread.messages.push(assistant_from(&events));
    };
    with_tools(&mut thread, "three");
    let last = frames(&h).pop().unwrap();
    assert!(
        last.previous_response_id().is_none(),
        "a tool added: in full"
    );
    assert_eq!(last.frame["tools"].as_array().map(Vec::len), Some(1));
    with_tools(&mut thread, "four");
    assert!(
        frames(&h).last().unwrap().previous_response_id().is_some(),
        "the same tools again: a delta"
    );
    thread.turn(cx, &model, "five");
    assert!(
        frames(&h).last().unwrap().previous_response_id().is_none(),
        "the tool removed: in full"
    );
    assert!(
        frames(&h)
            .iter()
            .all(|frame| frame.socket == frames(&h)[0].socket)
    );
}

#[gpui::test]
fn a_new_socket_that_fails_before_the_answer_goes_once_over_http(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    h.emulator.inject(Fault::WebSocketCloseBeforeAnswer);
    let mut thread = Thread::new("thread-lost-new");
    thread.turn(cx, &model, "one");
    assert_eq!(frames(&h).len(), 1, "the frame the socket took");
    assert_eq!(h.emulator.stats().responses_requests, 1, "one answer");
    let answered = h.emulator.last_responses_request().unwrap();
    assert_eq!(
        answered.header("content-encoding"),
        Some("zstd"),
        "over HTTP"
    );
    // Not a refusal: the next turn tries the WebSocket again, in full (HTTP chained nothing).
    thread.turn(cx, &model, "two");
    assert_eq!(h.emulator.websocket_handshakes().len(), 2);
    let last = frames(&h).pop().unwrap();
    assert!(last.previous_response_id().is_none());
    assert_eq!(last.input_len(), last.full_input_len);
    assert_eq!(h.emulator.stats().responses_requests, 2);
}

#[gpui::test]
fn a_server_error_on_the_upgrade_goes_over_http_once_and_is_not_remembered(
    cx: &mut TestAppContext,
) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    h.emulator.inject(Fault::WebSocketRefused { status: 502 });
    let mut thread = Thread::new("thread-502");
    thread.turn(cx, &model, "one");
    assert!(frames(&h).is_empty());
    let answered = h.emulator.last_responses_request().unwrap();
    assert_eq!(
        answered.header("content-encoding"),
        Some("zstd"),
        "over HTTP"
    );
    thread.turn(cx, &model, "two");
    assert_eq!(h.emulator.websocket_handshakes().len(), 2, "tried again");
    assert_eq!(frames(&h).len(), 1, "over the WebSocket this time");
    assert_eq!(h.emulator.stats().responses_requests, 2);
}

#[gpui::test]
fn a_reused_socket_that_fails_before_the_answer_is_replaced_in_full(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let mut thread = Thread::new("thread-lost-reused");
    thread.turn(cx, &model, "one");
    h.emulator.inject(Fault::WebSocketCloseBeforeAnswer);
    thread.turn(cx, &model, "two");
    let frames = frames(&h);
    assert_eq!(frames.len(), 3, "{frames:#?}");
    assert!(
        frames[1].previous_response_id().is_some(),
        "the delta the socket took"
    );
    assert!(frames[2].previous_response_id().is_none(), "then in full");
    assert_ne!(frames[2].socket, frames[1].socket, "on a new socket");
    assert_eq!(h.emulator.stats().responses_requests, 2, "no HTTP");
}

#[gpui::test]
fn the_sockets_are_bounded_while_answers_stream(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let limits = PoolLimits {
        max_sockets: 2,
        ..PoolLimits::default()
    };
    let h = provider_for(cx, &emulator, cache.path(), limits);
    let model = models(cx, &h).remove(0);
    // Three threads' answers started and held, none read to the end: each socket carries one.
    let mut streams = Vec::new();
    for id in ["thread-x", "thread-y", "thread-z"] {
        let mut thread = Thread::new(id);
        thread.messages.push(user(id));
        let future = model.stream_completion(request(id, thread.messages), &cx.to_async());
        streams.push((id, block(cx, future).unwrap()));
    }
    assert_eq!(
        emulator.websocket_handshakes().len(),
        2,
        "two sockets at most"
    );
    assert_eq!(emulator.websocket_frames().len(), 2);
    assert_eq!(emulator.open_websockets(), 2);
    let http = emulator.last_responses_request().unwrap();
    assert_eq!(
        http.header("content-encoding"),
        Some("zstd"),
        "the third over HTTP"
    );
    for (id, stream) in streams {
        let events = block(cx, stream.collect::<Vec<_>>());
        assert_eq!(text_of(&events), format!("You said: {id}"));
    }
    assert_eq!(emulator.stats().responses_requests, 3);
    // The two sockets are idle now; a fourth thread takes the least recently used one's place.
    Thread::new("thread-w").turn(cx, &model, "hello");
    wait_for_open_sockets(cx, &emulator, 2);
}

#[gpui::test]
fn the_http_transport_stays_available(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let emulator = Arc::new(Emulator::start().unwrap());
    let minted = emulator.mint_tokens(3600);
    let store = MemoryStore::with(&stored_credentials(&minted));
    let cache = tempfile::tempdir().unwrap();
    let config = Config {
        transport: Transport::Http,
        ..Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap()
    };
    let provider = cx.update(|cx| {
        Arc::new(OpenAiSubscribedProvider::with_options(
            ReqwestHttpClient::new("openai-subscribed-tests").unwrap(),
            Arc::new(store),
            config,
            StateOptions {
                cache: CacheLocation::Directory(cache.path().to_path_buf()),
                ..StateOptions::default()
            },
            cx,
        ))
    });
    let authenticate = cx.update(|cx| provider.authenticate(cx));
    block(cx, authenticate).unwrap();
    let refresh = provider
        .state()
        .update(cx, |state, cx| state.refresh_models(cx));
    block(cx, refresh).unwrap();
    let h = Harness {
        emulator: emulator.clone(),
        provider,
        _cache: Some(cache),
    };
    let model = models(cx, &h).remove(0);
    Thread::new("thread-plain").turn(cx, &model, "one");
    assert!(emulator.websocket_handshakes().is_empty());
    assert_eq!(emulator.stats().responses_requests, 1);
}

#[gpui::test]
fn a_prewarmed_thread_chains_its_first_turn_on_the_warm_up(cx: &mut TestAppContext) {
    let h = start(cx);
    let model = models(cx, &h).remove(0);
    let state = h.provider.state().clone();
    let slug = model.id().0.to_string();
    let info = state.read_with(cx, |state, cx| {
        state
            .models(cx)
            .iter()
            .find(|info| info.slug == slug)
            .cloned()
            .unwrap()
    });
    let mut thread = Thread::new("thread-warm");
    let warm = OpenAiSubscribedModel::new(info, state)
        .prewarm(request(thread.id, thread.messages.clone()), &cx.to_async());
    block(cx, warm).unwrap();
    thread.turn(cx, &model, "one");
    thread.turn(cx, &model, "two");
    let frames = frames(&h);
    assert_eq!(frames.len(), 3, "{frames:#?}");
    assert!(frames[0].is_prewarm());
    assert_eq!(frames[0].input_len(), 0);
    assert!(frames.iter().all(|frame| frame.socket == frames[0].socket));
    assert!(
        frames[1].previous_response_id().is_some(),
        "chained on the warm-up"
    );
    assert_eq!(frames[1].input_len(), 1);
    assert!(frames[2].previous_response_id().is_some());
    assert_eq!(
        h.emulator.stats().responses_requests,
        2,
        "the warm-up is no answer"
    );
}

#[test]
fn no_error_of_the_transport_carries_the_token() {
    use futures::FutureExt as _;
    use openai_subscribed::backend_request::BackendAuth;
    use openai_subscribed::responses::websocket::{WebSocketPool, send_websocket_request};
    use openai_subscribed::responses::{ResponsesRequest, StreamTimeouts, StreamWatch};

    const TOKEN: &str = "secret-access-token-4242";
    let emulator = Emulator::start().unwrap();
    let auth = BackendAuth {
        access_token: AccessToken::new(TOKEN),
        account_id: "acct_emulated".into(),
    };
    let watch = StreamWatch::new(
        StreamTimeouts::default(),
        Arc::new(|_| futures::future::pending().boxed()),
    );
    let request: ResponsesRequest = serde_json::from_value(serde_json::json!({
        "model": "gpt-5.5", "instructions": "Be brief.", "input": [], "store": false,
        "stream": true, "prompt_cache_key": "thread-secret"
    }))
    .unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let closed = Config::with_urls(
        &emulator.issuer_url(),
        "http://127.0.0.1:9/backend-api/codex",
    )
    .unwrap();
    let pool = Arc::new(WebSocketPool::default());
    // An unknown token (401 on the upgrade), a refused upgrade, nothing listening.
    let refused = || emulator.set_websocket_mode(WebSocketMode::Refuse(426));
    for (config, before) in [
        (&config, None),
        (&config, Some(&refused as &dyn Fn())),
        (&closed, None),
    ] {
        if let Some(before) = before {
            before();
        }
        let error = futures::executor::block_on(send_websocket_request(
            &pool, config, &auth, &request, &watch,
        ))
        .err()
        .expect("the request fails");
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(TOKEN), "{text}");
        }
    }
}

/// [`block_within`] with room for this file's longest waits.
fn block<F: Future>(cx: &mut TestAppContext, future: F) -> F::Output {
    block_within(cx, 15_000, future)
}
