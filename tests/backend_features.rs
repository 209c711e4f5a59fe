//! Today's backend features, driven as Zed drives the provider, over real sockets against the
//! embedded emulator: fast mode (`service_tier: "priority"` only where the catalog offers it),
//! compaction (explicit and server-side, the compacted context replayed and checked), the thread
//! headers (`session-id` and `thread-id`), and four requests at once to start (the
//! rest queued with their position, and a dropped one leaving the line).

mod support;

use emulator::{Emulator, MintedTokens};
use futures::StreamExt as _;
use gpui::TestAppContext;
use http_client::{AsyncBody, HttpClient as _};
use language_model::*;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{OpenAiSubscribedProvider, StateOptions};
use reqwest_client::ReqwestHttpClient;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use support::{block_within, stored_credentials};

struct Harness {
    emulator: Emulator,
    minted: MintedTokens,
    provider: Arc<OpenAiSubscribedProvider>,
    _cache: tempfile::TempDir,
}

/// A provider signed in with live emulator tokens, its catalog loaded.
fn signed_in(cx: &mut TestAppContext) -> Harness {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(3600);
    let store = MemoryStore::with(&stored_credentials(&minted));
    let cache = tempfile::tempdir().unwrap();
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.path().to_path_buf()),
        ..StateOptions::default()
    };
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let credentials: Arc<dyn CredentialStore> = Arc::new(store);
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
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
        emulator,
        minted,
        provider,
        _cache: cache,
    }
}

fn user(text: &str) -> LanguageModelRequestMessage {
    LanguageModelRequestMessage {
        role: Role::User,
        content: vec![MessageContent::Text(text.into())],
        cache: false,
        reasoning_details: None,
    }
}

fn request(thread: &str, messages: Vec<LanguageModelRequestMessage>) -> LanguageModelRequest {
    LanguageModelRequest {
        thread_id: Some(thread.into()),
        messages,
        thinking_allowed: true,
        ..LanguageModelRequest::default()
    }
}

fn model_where(
    cx: &mut TestAppContext,
    h: &Harness,
    wanted: impl Fn(&dyn LanguageModel) -> bool,
) -> Arc<dyn LanguageModel> {
    cx.update(|cx| h.provider.provided_models(cx))
        .into_iter()
        .find(|model| wanted(model.as_ref()))
        .expect("the catalog has such a model")
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

fn last_body(h: &Harness) -> Value {
    h.emulator.last_responses_request().unwrap().body
}

/// A raw `POST /responses` with the emulated account's credentials and these extra headers.
fn post_responses(h: &Harness, body: &Value, headers: &[(&str, &str)]) -> (u16, String) {
    let http = ReqwestHttpClient::new("raw").unwrap();
    let mut builder = http_client::Request::builder()
        .method("POST")
        .uri(format!("{}/responses", h.emulator.backend_url()))
        .header("authorization", format!("Bearer {}", h.minted.access_token))
        .header("chatgpt-account-id", "acct_emulated")
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(AsyncBody::from(body.to_string())).unwrap();
    futures::executor::block_on(async {
        let response = http.send(request).await.unwrap();
        let status = response.status().as_u16();
        let mut text = String::new();
        futures::AsyncReadExt::read_to_string(&mut response.into_body(), &mut text)
            .await
            .unwrap();
        (status, text)
    })
}

fn raw_body(model: &str, extra: Value) -> Value {
    let mut body = json!({
        "model": model, "instructions": "Be brief.", "store": false, "stream": true,
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

// ---------------------------------------------------------------------------------------------
// Fast mode

#[gpui::test]
async fn fast_mode_asks_for_priority_only_where_the_catalog_offers_it(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let fast = model_where(cx, &h, |model| model.supports_fast_mode());
    let standard = model_where(cx, &h, |model| !model.supports_fast_mode());

    let fast_request = LanguageModelRequest {
        speed: Some(Speed::Fast),
        ..request("thread-fast", vec![user("quick please")])
    };
    let events = complete(cx, &fast, fast_request.clone()).unwrap();
    assert!(text_of(&events).contains("quick please"));
    assert_eq!(last_body(&h)["service_tier"], "priority");

    // The same fast request to a model without a fast tier goes at the usual speed: no tier.
    let events = complete(cx, &standard, fast_request).unwrap();
    assert!(events.iter().all(Result::is_ok), "{events:?}");
    assert!(last_body(&h).get("service_tier").is_none());

    // Standard speed to the fast model: no tier either.
    complete(cx, &fast, request("thread-fast", vec![user("normal")])).unwrap();
    assert!(last_body(&h).get("service_tier").is_none());

    // The emulator is as strict as the backend: priority for a model without it is refused.
    let (status, text) = post_responses(
        &h,
        &raw_body(&standard.id().0, json!({"service_tier": "priority"})),
        &[],
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("service_tier"), "{text}");
    let (status, text) = post_responses(
        &h,
        &raw_body(&fast.id().0, json!({"service_tier": "priority"})),
        &[],
    );
    assert_eq!(status, 200, "{text}");
}

// ---------------------------------------------------------------------------------------------
// Headers

#[gpui::test]
async fn the_thread_goes_as_session_id_and_thread_id(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    complete(cx, &model, request("thread-42", vec![user("hi")])).unwrap();
    let recorded = h.emulator.last_responses_request().unwrap();
    assert_eq!(recorded.header("session-id"), Some("thread-42"));
    assert_eq!(recorded.header("thread-id"), Some("thread-42"));
    assert_eq!(recorded.header("session_id"), None);
    assert_eq!(recorded.body["prompt_cache_key"], "thread-42");

    // The emulator catches the old underscore header and a key that does not match.
    let slug = model.id().0.to_string();
    let keyed = raw_body(&slug, json!({"prompt_cache_key": "thread-42"}));
    let (status, text) = post_responses(&h, &keyed, &[("session_id", "thread-42")]);
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("session_id"), "{text}");
    let (status, text) = post_responses(
        &h,
        &keyed,
        &[("session-id", "thread-42"), ("thread-id", "other")],
    );
    assert_eq!(status, 400, "{text}");
    let (status, text) = post_responses(
        &h,
        &keyed,
        &[("session-id", "thread-7"), ("thread-id", "thread-7")],
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("prompt_cache_key"), "{text}");
    let (status, text) = post_responses(
        &h,
        &keyed,
        &[("session-id", "thread-42"), ("thread-id", "thread-42")],
    );
    assert_eq!(status, 200, "{text}");
}

// ---------------------------------------------------------------------------------------------
// Compaction

fn compaction_context(result: &CompactionResult) -> &ProviderCompactionState {
    match &result.context {
        CompactedContext::ProviderState(state) => state,
        other => panic!("expected provider state, got {other:?}"),
    }
}

#[gpui::test]
async fn explicit_compaction_replaces_the_earlier_context_on_later_turns(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    assert!(model.supports_explicit_compaction());
    assert!(model.supports_server_side_compaction());

    // A first turn, with the answer (and its encrypted reasoning) kept as the host keeps it.
    let events = complete(
        cx,
        &model,
        request("thread-c", vec![user("first question")]),
    )
    .unwrap();
    let mut assistant = Vec::new();
    for event in events.iter().flatten() {
        match event {
            LanguageModelCompletionEvent::RedactedThinking { data } => {
                assistant.push(MessageContent::RedactedThinking(data.clone()))
            }
            LanguageModelCompletionEvent::Text(text) => {
                assistant.push(MessageContent::Text(text.clone()))
            }
            _ => {}
        }
    }
    let mut thread = vec![
        user("first question"),
        LanguageModelRequestMessage {
            role: Role::Assistant,
            content: assistant,
            cache: false,
            reasoning_details: None,
        },
    ];

    // Compact: the thread goes with a final compaction_trigger, one compaction comes back.
    let compact = model.compact(request("thread-c", thread.clone()), &cx.to_async());
    let result = block(cx, compact).unwrap();
    let sent = last_body(&h);
    let input = sent["input"].as_array().unwrap();
    assert_eq!(
        input.last().unwrap(),
        &json!({"type": "compaction_trigger"})
    );
    assert!(input.len() >= 3, "{sent}");
    assert!(sent.get("context_management").is_none());
    let state = compaction_context(&result);
    assert_eq!(
        state.provider_id(),
        &LanguageModelProviderId::new("openai-subscribed")
    );
    assert!(result.usage.input_tokens > 0, "{:?}", result.usage);

    // The next turn: the compaction stands for everything before it.
    thread.push(LanguageModelRequestMessage {
        role: Role::User,
        content: vec![MessageContent::Compaction(result.context.clone())],
        cache: false,
        reasoning_details: None,
    });
    thread.push(user("second question"));
    let events = complete(cx, &model, request("thread-c", thread.clone())).unwrap();
    assert!(events.iter().all(Result::is_ok), "{events:?}");
    assert!(text_of(&events).contains("second question"));
    let input = last_body(&h)["input"].clone();
    let input = input.as_array().unwrap();
    assert_eq!(input.len(), 2, "{input:?}");
    assert_eq!(input[0]["type"], "compaction");
    assert!(input[0].get("id").is_none());
    assert_eq!(input[1]["content"][0]["text"], "second question");

    // A tampered compaction is refused by the backend, as the real one refuses content it did
    // not mint.
    let payload: Vec<Value> = serde_json::from_str(state.payload()).unwrap();
    let genuine = payload[0]["encrypted_content"]
        .as_str()
        .unwrap()
        .to_string();
    let tampered_content = format!("{}x", genuine);
    let tampered = ProviderCompactionState::new(
        state.provider_id().clone(),
        state.format().to_string().into(),
        json!([{"type": "compaction", "encrypted_content": tampered_content}]).to_string(),
    );
    thread[2].content = vec![MessageContent::Compaction(CompactedContext::ProviderState(
        tampered,
    ))];
    let error = complete(cx, &model, request("thread-c", thread.clone())).unwrap_err();
    assert!(
        error.to_string().contains("could not be verified"),
        "{error}"
    );

    // Another provider's compaction is not ours to replay: the whole thread is sent instead.
    thread[2].content = vec![MessageContent::Compaction(CompactedContext::ProviderState(
        ProviderCompactionState::new(LanguageModelProviderId::new("anthropic"), "x".into(), "y"),
    ))];
    complete(cx, &model, request("thread-c", thread)).unwrap();
    let input = last_body(&h)["input"].clone();
    assert!(
        input
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["type"] != "compaction"),
        "{input}"
    );
    assert_eq!(input[0]["content"][0]["text"], "first question");
}

#[gpui::test]
async fn server_side_compaction_arrives_in_the_answer_and_is_replayable(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let long = "a long conversation ".repeat(50);
    let over_threshold = LanguageModelRequest {
        compact_at_tokens: Some(50),
        ..request("thread-s", vec![user(&long)])
    };
    let events = complete(cx, &model, over_threshold).unwrap();
    assert_eq!(
        last_body(&h)["context_management"],
        json!([{"type": "compaction", "compact_threshold": 50}])
    );
    let updates: Vec<&CompactionUpdate> = events
        .iter()
        .filter_map(|event| match event {
            Ok(LanguageModelCompletionEvent::Compaction(update)) => Some(update),
            _ => None,
        })
        .collect();
    assert!(matches!(
        updates[..],
        [CompactionUpdate::Started, CompactionUpdate::Finished(_)]
    ));
    let CompactionUpdate::Finished(context) = updates[1].clone() else {
        unreachable!()
    };
    assert!(text_of(&events).contains("a long conversation"));

    // Under the threshold: no compaction.
    let under = LanguageModelRequest {
        compact_at_tokens: Some(1_000_000),
        ..request("thread-s", vec![user("short")])
    };
    let events = complete(cx, &model, under).unwrap();
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Ok(LanguageModelCompletionEvent::Compaction(_))))
    );

    // The compaction the answer carried is accepted as the next turn's context.
    let next = request(
        "thread-s",
        vec![
            user(&long),
            LanguageModelRequestMessage {
                role: Role::User,
                content: vec![MessageContent::Compaction(context)],
                cache: false,
                reasoning_details: None,
            },
            user("and then?"),
        ],
    );
    let events = complete(cx, &model, next).unwrap();
    assert!(events.iter().all(Result::is_ok), "{events:?}");
    assert_eq!(last_body(&h)["input"][0]["type"], "compaction");
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[gpui::test]
async fn twenty_streams_to_one_model_start_four_at_once_and_queue_the_rest(
    cx: &mut TestAppContext,
) {
    let h = signed_in(cx);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let slug = model.id().0.to_string();
    // Slow answers (about 0.3 s each), so that the streams overlap even on a loaded machine.
    h.emulator.set_stream_pause(Duration::from_millis(20));
    let streams: Vec<_> = (0..20)
        .map(|index| {
            let started = model.stream_completion(
                request(
                    &format!("thread-{index}"),
                    vec![user(&format!("request {index}"))],
                ),
                &cx.to_async(),
            );
            async move {
                let events = started.await?;
                Ok::<_, LanguageModelCompletionError>(events.collect::<Vec<_>>().await)
            }
        })
        .collect();
    let results = block(cx, futures::future::join_all(streams));

    let mut queued_first = Vec::new();
    for (index, result) in results.into_iter().enumerate() {
        let events = result.unwrap_or_else(|error| panic!("stream {index}: {error}"));
        assert!(
            text_of(&events).contains(&format!("request {index}")),
            "stream {index}: {events:?}"
        );
        assert!(
            matches!(
                events.last(),
                Some(Ok(LanguageModelCompletionEvent::Stop(StopReason::EndTurn)))
            ),
            "stream {index}: {events:?}"
        );
        if let Some(Ok(LanguageModelCompletionEvent::Queued { position })) = events.first() {
            queued_first.push(*position);
        }
    }
    // The first four went at once; the other sixteen waited, in order.
    assert_eq!(queued_first, (1..=16).collect::<Vec<_>>());
    let stats = h.emulator.stats();
    assert_eq!(stats.responses_requests, 20);
    // Issue 28: the account's limit starts at four and climbs as answers flow while requests
    // wait, up to the per-model ceiling of 16 (upstream's `DEFAULT_MODEL_CONCURRENCY`), so more
    // than four may stream once answers have come back; never more than the ceiling.
    let most = stats.responses_in_flight_max.get(&slug).copied();
    assert!(
        most.is_some_and(|most| (4..=16).contains(&most)),
        "{stats:?}"
    );
}

#[gpui::test]
async fn a_dropped_request_frees_its_place_in_line_and_its_slot(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let slug = model.id().0.to_string();
    h.emulator.set_stream_pause(Duration::from_millis(40));
    let start = |cx: &mut TestAppContext, name: &str| {
        model.stream_completion(request(name, vec![user(name)]), &cx.to_async())
    };
    // Four streaming: they hold the model's slots.
    let mut running = Vec::new();
    for index in 0..4 {
        let future = start(cx, &format!("running {index}"));
        running.push(block(cx, future).unwrap());
    }
    // Two more wait, at positions 1 and 2.
    let leaving = start(cx, "leaving");
    let mut leaving = block(cx, leaving).unwrap();
    let waiting = start(cx, "waiting");
    let mut waiting = block(cx, waiting).unwrap();
    assert!(matches!(
        block(cx, leaving.next()),
        Some(Ok(LanguageModelCompletionEvent::Queued { position: 1 }))
    ));
    assert!(matches!(
        block(cx, waiting.next()),
        Some(Ok(LanguageModelCompletionEvent::Queued { position: 2 }))
    ));

    // The first in line gives up: the second moves up.
    drop(leaving);
    assert!(matches!(
        block(cx, waiting.next()),
        Some(Ok(LanguageModelCompletionEvent::Queued { position: 1 }))
    ));

    // Nothing beyond the four reached the backend while two waited.
    assert_eq!(h.emulator.stats().responses_requests, 4);
    assert_eq!(h.emulator.stats().responses_in_flight_max[&slug], 4);

    // A streaming request is dropped mid-answer: its slot goes to the one waiting at once, which
    // answers while the other three still stream. (The backend may count the dropped stream a
    // moment longer, until it notices the closed connection; that is why the limit is checked
    // above and, under load, in the twenty-stream test.)
    let mut first = running.remove(0);
    assert!(block(cx, first.next()).is_some());
    drop(first);
    let rest: Vec<_> = block(cx, waiting.collect::<Vec<_>>());
    assert!(text_of(&rest).contains("waiting"), "{rest:?}");
    for stream in running {
        let events: Vec<_> = block(cx, stream.collect::<Vec<_>>());
        assert!(events.iter().all(Result::is_ok), "{events:?}");
    }
    let stats = h.emulator.stats();
    // The one that left never reached the backend.
    assert_eq!(stats.responses_requests, 5, "{stats:?}");
    assert!(
        h.emulator
            .last_responses_request()
            .map(|request| !request.body.to_string().contains("leaving"))
            .unwrap()
    );
}

/// [`block_within`] with room for this file's longest waits.
fn block<F: Future>(cx: &mut TestAppContext, future: F) -> F::Output {
    block_within(cx, 15_000, future)
}
