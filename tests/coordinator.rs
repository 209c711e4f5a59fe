//! One account, one budget, over real sockets against the emulator: many completions on one
//! account while the backend allows only a few at a time and answers the rest with a short-wait
//! 429. Driven as Zed drives the provider (`stream_completion` on its models, events drained).
//!
//! The coordinated provider (the default) is compared, in the same run, with 32 independent
//! retriers: a provider with `RequestCoordination::Independent`, each refused request waiting
//! its own `Retry-After` and trying again, as Zed's agent does with `retry_after`.

mod support;

use emulator::{ConcurrencyLimit, Emulator, MintedTokens};
use futures::StreamExt as _;
use gpui::TestAppContext;
use language_model::*;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{
    ConfigurationStatus, OpenAiSubscribedProvider, RequestCoordination, StateOptions,
};
use reqwest_client::ReqwestHttpClient;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use support::{block_within, stored_credentials};

/// How many completions run at once.
const COMPLETIONS: usize = 32;
/// How many answers the emulator streams at once before it answers 429.
const BACKEND_ALLOWS: usize = 6;
/// The 429's `Retry-After`.
const RETRY_AFTER_SECS: u64 = 1;
/// How many times a host-side retrier tries before it gives up.
const HOST_ATTEMPTS: usize = 40;

struct Harness {
    emulator: Emulator,
    _minted: MintedTokens,
    provider: Arc<OpenAiSubscribedProvider>,
    _cache: tempfile::TempDir,
}

fn provider_for(
    cx: &mut TestAppContext,
    emulator: &Emulator,
    minted: &MintedTokens,
    coordination: RequestCoordination,
) -> (Arc<OpenAiSubscribedProvider>, tempfile::TempDir) {
    let store = MemoryStore::with(&stored_credentials(minted));
    let cache = tempfile::tempdir().unwrap();
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.path().to_path_buf()),
        coordination,
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
    (provider, cache)
}

fn signed_in(cx: &mut TestAppContext, coordination: RequestCoordination) -> Harness {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(3600);
    let (provider, cache) = provider_for(cx, &emulator, &minted, coordination);
    Harness {
        emulator,
        _minted: minted,
        provider,
        _cache: cache,
    }
}

fn request(index: usize) -> LanguageModelRequest {
    LanguageModelRequest {
        thread_id: Some(format!("agent-{index}")),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text(format!("sub-agent {index}"))],
            cache: false,
            reasoning_details: None,
        }],
        thinking_allowed: true,
        ..LanguageModelRequest::default()
    }
}

type Events = Vec<Result<LanguageModelCompletionEvent, LanguageModelCompletionError>>;

/// One completion as a host that gives up on the first error drives it.
async fn once(
    model: Arc<dyn LanguageModel>,
    request: LanguageModelRequest,
    cx: gpui::AsyncApp,
) -> Result<Events, LanguageModelCompletionError> {
    let events = model.stream_completion(request, &cx).await?;
    Ok(events.collect::<Vec<_>>().await)
}

/// One completion as Zed's agent drives it: a refusal with `retry_after` is waited out and
/// the request sent again, on its own.
async fn retried(
    model: Arc<dyn LanguageModel>,
    request: LanguageModelRequest,
    cx: gpui::AsyncApp,
) -> Result<Events, LanguageModelCompletionError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match model.stream_completion(request.clone(), &cx).await {
            Ok(events) => {
                let events: Events = events.collect().await;
                match events.iter().find_map(|event| event.as_ref().err()) {
                    None => return Ok(events),
                    Some(_) => events.into_iter().find_map(Result::err).unwrap(),
                }
            }
            Err(error) => error,
        };
        match error.retry_delay(attempt) {
            Some(delay) if attempt < HOST_ATTEMPTS => {
                cx.background_executor().timer(delay).await;
            }
            _ => return Err(error),
        }
    }
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

fn ended(events: &Events) -> bool {
    matches!(
        events.last(),
        Some(Ok(LanguageModelCompletionEvent::Stop(StopReason::EndTurn)))
    )
}

#[gpui::test]
async fn thirty_two_agents_on_one_account_all_finish_with_few_429s(cx: &mut TestAppContext) {
    let h = signed_in(cx, RequestCoordination::PerAccount);
    h.emulator.set_concurrency_limit(Some(ConcurrencyLimit {
        max_in_flight: BACKEND_ALLOWS,
        retry_after_secs: RETRY_AFTER_SECS,
    }));
    // Answers of about 0.3 s, so that the requests overlap even on a loaded machine.
    h.emulator.set_stream_pause(Duration::from_millis(20));
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();

    // Coordinated: every completion is driven by a host that never retries.
    let runs: Vec<_> = (0..COMPLETIONS)
        .map(|index| once(model.clone(), request(index), cx.to_async()))
        .collect();
    let results = block(cx, futures::future::join_all(runs));
    let coordinated_429s = h.emulator.stats().rate_limited_responses;
    let mut queued_places = Vec::new();
    for (index, result) in results.iter().enumerate() {
        let events = result
            .as_ref()
            .unwrap_or_else(|error| panic!("completion {index} failed: {error}"));
        assert!(events.iter().all(Result::is_ok), "{index}: {events:?}");
        assert!(ended(events), "{index}: {events:?}");
        assert!(
            text_of(events).contains(&format!("sub-agent {index}")),
            "{index}: {events:?}"
        );
        queued_places.extend(events.iter().filter_map(|event| match event {
            Ok(LanguageModelCompletionEvent::Queued { position }) => Some(*position),
            _ => None,
        }));
    }
    // Waiting requests said where they stood: the first in line at 1, the last at 28 (four went
    // at once).
    assert!(queued_places.contains(&1), "{queued_places:?}");
    assert_eq!(
        queued_places.iter().max(),
        Some(&(COMPLETIONS - 4)),
        "{queued_places:?}"
    );
    let coordinator = h
        .provider
        .state()
        .read_with(cx, |state, _| state.account_coordinator());
    assert_eq!(coordinator.refusals() as usize, coordinated_429s);

    // Independent, against the same backend in the same run: 32 retriers on their own.
    h.emulator.set_stream_pause(Duration::from_millis(20));
    let (independent, _cache) = provider_for(
        cx,
        &h.emulator,
        &h.emulator.mint_tokens(3600),
        RequestCoordination::Independent,
    );
    let model = cx.update(|cx| independent.default_model(cx)).unwrap();
    let before = h.emulator.stats().rate_limited_responses;
    let runs: Vec<_> = (0..COMPLETIONS)
        .map(|index| retried(model.clone(), request(index), cx.to_async()))
        .collect();
    let results = block(cx, futures::future::join_all(runs));
    let independent_429s = h.emulator.stats().rate_limited_responses - before;
    for (index, result) in results.iter().enumerate() {
        let events = result
            .as_ref()
            .unwrap_or_else(|error| panic!("retrier {index} gave up: {error}"));
        assert!(ended(events), "{index}: {events:?}");
    }

    eprintln!(
        "{COMPLETIONS} completions, backend allowing {BACKEND_ALLOWS} at a time: \
         {coordinated_429s} 429s coordinated, {independent_429s} with independent retriers"
    );
    // Bounded: a few halvings' worth, never one per request.
    assert!(
        coordinated_429s <= 12,
        "coordinated: {coordinated_429s} 429s"
    );
    assert!(
        coordinated_429s * 2 < independent_429s,
        "coordinated {coordinated_429s} vs independent {independent_429s}"
    );
}

#[gpui::test]
async fn a_short_wait_429_pauses_the_account_and_the_card_says_so(cx: &mut TestAppContext) {
    let h = signed_in(cx, RequestCoordination::PerAccount);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    h.emulator.inject(emulator::Fault::ResponsesStatus {
        status: 429,
        body: serde_json::json!({"error": {"type": "rate_limit_exceeded", "code": "rate_limit_exceeded",
            "message": "Rate limit reached for requests. Please try again in 12s."}}),
        retry_after_secs: Some(12),
    });
    // The refused request does not fail: it is queued behind the pause and sent again.
    let started = model.stream_completion(request(0), &cx.to_async());
    let mut events = block(cx, started).expect("the refusal is waited out, not returned");
    let first = block(cx, events.next());
    assert!(
        matches!(
            first,
            Some(Ok(LanguageModelCompletionEvent::Queued { position: 1 }))
        ),
        "{first:?}"
    );
    let status = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.status(cx));
    let ConfigurationStatus::SignedIn {
        rate_limit_wait, ..
    } = &status
    else {
        panic!("{status:?}");
    };
    let wait = rate_limit_wait.as_ref().expect("the card shows the wait");
    assert_eq!(wait.as_ref(), "Waiting for ChatGPT's rate limit (12 s)");
    // A new request waits behind it, second in line.
    let second = model.stream_completion(request(1), &cx.to_async());
    let mut second = block(cx, second).unwrap();
    assert!(matches!(
        block(cx, second.next()),
        Some(Ok(LanguageModelCompletionEvent::Queued { position: 2 }))
    ));
    assert_eq!(h.emulator.stats().responses_requests, 1);

    let rest: Events = block(cx, events.collect::<Vec<_>>());
    assert!(ended(&rest), "{rest:?}");
    let rest: Events = block(cx, second.collect::<Vec<_>>());
    assert!(ended(&rest), "{rest:?}");
    assert_eq!(h.emulator.stats().responses_requests, 3);
    let status = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.status(cx));
    assert!(
        matches!(
            &status,
            ConfigurationStatus::SignedIn {
                rate_limit_wait: None,
                ..
            }
        ),
        "{status:?}"
    );
}

#[gpui::test]
async fn a_usage_limit_is_never_waited_out(cx: &mut TestAppContext) {
    let h = signed_in(cx, RequestCoordination::PerAccount);
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    h.emulator.inject(emulator::Fault::ResponsesUsageLimit {
        resets_in_secs: 3 * 3600,
    });
    let result = block(cx, once(model, request(0), cx.to_async()));
    let error = result.expect_err("refused");
    assert_eq!(error.retry_delay(1), None, "{error:?}");
    assert_eq!(h.emulator.stats().responses_requests, 1);
    let paused = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.rate_limit_wait(cx));
    assert_eq!(paused, None);
}

/// [`block_within`] with room for this file's longest waits.
fn block<F: Future>(cx: &mut TestAppContext, future: F) -> F::Output {
    block_within(cx, 30_000, future)
}
