//! The provider as Zed drives it, over real sockets against the embedded emulator: the
//! configuration view's sign-in and sign-out (clicked, through the real browser flow), models
//! from the catalog, completions with usage limits, the 401 retry, and the error states.

mod support;

use emulator::{Emulator, Fault};
use futures::StreamExt as _;
use gpui::{Modifiers, TestAppContext, VisualTestContext};
use language_model::*;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::oauth::CallbackServerOptions;
use openai_subscribed::provider::{
    ConfigurationStatus, ConfigurationView, OpenAiSubscribedProvider, SignInStep, StateOptions,
    UrlOpener,
};
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use support::{approve_in_browser, block, stored_credentials, wait_until};
use theme::{ActiveTheme as _, Appearance, GlobalTheme, Theme};

/// Everything one test needs; the emulator and the cache directory live as long as it.
struct Harness {
    emulator: Emulator,
    store: MemoryStore,
    provider: Arc<OpenAiSubscribedProvider>,
    /// The last authorize URL the provider asked to open.
    opened: Arc<Mutex<Option<url::Url>>>,
    cache_dir: tempfile::TempDir,
}

fn harness(cx: &mut TestAppContext, emulator: Emulator, store: MemoryStore) -> Harness {
    support::allow_parking(cx);
    let cache = tempfile::tempdir().unwrap();
    let opened: Arc<Mutex<Option<url::Url>>> = Arc::default();
    let slot = opened.clone();
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.path().to_path_buf()),
        // The test plays the browser itself, so it can look at "signing in" first.
        url_opener: UrlOpener::Custom(Rc::new(move |url, _| *slot.lock() = Some(url.clone()))),
        callback: CallbackServerOptions {
            ports: vec![0],
            ..CallbackServerOptions::default()
        },
        ..StateOptions::default()
    };
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let credentials: Arc<dyn CredentialStore> = Arc::new(store.clone());
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
    Harness {
        emulator,
        store,
        provider,
        opened,
        cache_dir: cache,
    }
}

/// A harness already signed in with live emulator tokens.
fn signed_in(cx: &mut TestAppContext) -> Harness {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::with(&stored_credentials(&emulator.mint_tokens(3600)));
    let harness = harness(cx, emulator, store);
    let authenticate = cx.update(|cx| harness.provider.authenticate(cx));
    block(cx, authenticate).expect("stored credentials load");
    harness
}

fn status(cx: &mut TestAppContext, provider: &OpenAiSubscribedProvider) -> ConfigurationStatus {
    provider.state().read_with(cx, |state, cx| state.status(cx))
}

fn click(cx: &mut VisualTestContext, selector: &'static str) {
    let bounds = cx
        .debug_bounds(selector)
        .unwrap_or_else(|| panic!("no element {selector:?} is rendered"));
    cx.simulate_click(bounds.center(), Modifiers::none());
}

#[gpui::test]
async fn clicking_sign_in_and_sign_out_in_the_view(cx: &mut TestAppContext) {
    let h = harness(cx, Emulator::start().unwrap(), MemoryStore::new());
    let authenticate = cx.update(|cx| h.provider.authenticate(cx));
    assert!(matches!(
        block(cx, authenticate),
        Err(AuthenticateError::CredentialsNotFound)
    ));
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    assert!(matches!(
        status(view, &h.provider),
        ConfigurationStatus::SignedOut { error: None }
    ));

    click(view, "sign-in");
    view.run_until_parked();
    let url = h
        .opened
        .lock()
        .clone()
        .expect("the provider opened the sign-in page");
    match status(view, &h.provider) {
        ConfigurationStatus::SigningIn {
            step: SignInStep::ApproveInBrowser { authorize_url },
        } => assert_eq!(authorize_url, url),
        other => panic!("expected signing in, got {other:?}"),
    }
    assert!(view.debug_bounds("cancel-sign-in").is_some());

    let browser = approve_in_browser(url);
    wait_until(view, |cx| {
        h.provider.state().read_with(cx, |s, cx| s.is_signed_in(cx))
    });
    assert_eq!(browser.join().unwrap(), 200);
    view.run_until_parked();
    let lines = status(view, &h.provider).lines();
    assert_eq!(lines[0], "Signed in as ada@example.com · Plus");
    assert!(view.debug_bounds("account").is_some());
    assert!(h.store.current().is_some());
    assert_eq!(h.emulator.stats().code_exchanges, 1);

    // Signing in fetched the plan's models in the background; when they arrive the fallback
    // notice goes and the button moves. Let the layout settle before clicking.
    wait_until(view, |cx| {
        h.provider.state().read_with(cx, |state, cx| {
            state.catalog().read(cx).source() == openai_subscribed::models::CatalogSource::Network
        })
    });
    view.run_until_parked();
    click(view, "sign-out");
    view.run_until_parked();
    assert!(matches!(
        status(view, &h.provider),
        ConfigurationStatus::SignedOut { .. }
    ));
    wait_until(view, |_| {
        h.store.current().is_none() && h.emulator.stats().revocations == 1
    });
    assert!(view.debug_bounds("sign-in").is_some());
}

#[gpui::test]
async fn a_refused_sign_in_shows_its_message_and_offers_a_retry(cx: &mut TestAppContext) {
    let h = harness(cx, Emulator::start().unwrap(), MemoryStore::new());
    h.emulator.inject(Fault::AuthorizeDenied {
        description: "missing_codex_entitlement".into(),
    });
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    click(view, "sign-in");
    view.run_until_parked();
    let url = h.opened.lock().clone().unwrap();
    // The callback server runs on the test's executor: keep driving it while the browser waits.
    let browser = approve_in_browser(url);
    wait_until(view, |cx| {
        matches!(
            status(cx, &h.provider),
            ConfigurationStatus::SignedOut { error: Some(_) }
        )
    });
    // The callback page tells the browser the sign-in was refused.
    assert_eq!(browser.join().unwrap(), 403);
    let ConfigurationStatus::SignedOut { error: Some(error) } = status(view, &h.provider) else {
        unreachable!()
    };
    assert!(error.contains("Codex"), "{error}");
    assert!(view.debug_bounds("sign-in-error").is_some());
    // The retry is the sign-in button, still there.
    assert!(view.debug_bounds("sign-in").is_some());
    assert!(h.store.current().is_none());
}

#[gpui::test]
async fn models_come_from_the_catalog_with_their_capabilities(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    wait_until(cx, |_| h.emulator.stats().models_requests >= 1);
    let refresh = h
        .provider
        .state()
        .update(cx, |state, cx| state.refresh_models(cx));
    block(cx, refresh).unwrap();
    let models = cx.update(|cx| h.provider.provided_models(cx));
    let catalog = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.models(cx).to_vec());
    assert!(!models.is_empty());
    assert_eq!(models.len(), catalog.len());
    for (model, info) in models.iter().zip(&catalog) {
        assert_eq!(model.id().0.as_ref(), info.slug);
        assert_eq!(model.max_token_count(), info.max_token_count());
        assert_eq!(model.supports_images(), info.supports_images());
        assert_eq!(model.supports_thinking(), info.supports_reasoning());
        assert_eq!(
            model
                .default_effort_level()
                .map(|level| level.value.to_string()),
            info.default_effort()
                .map(|effort| effort.as_str().to_string())
        );
    }
    let default = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    assert_eq!(default.id().0.as_ref(), catalog[0].slug);
}

fn prompt(text: &str) -> LanguageModelRequest {
    LanguageModelRequest {
        thread_id: Some("thread-1".into()),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text(text.into())],
            cache: false,
            reasoning_details: None,
        }],
        thinking_allowed: true,
        ..LanguageModelRequest::default()
    }
}

fn complete(
    cx: &mut TestAppContext,
    h: &Harness,
    request: LanguageModelRequest,
) -> Result<Vec<LanguageModelCompletionEvent>, LanguageModelCompletionError> {
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let future = model.stream_completion(request, &cx.to_async());
    let events = block(cx, future)?;
    block(cx, events.collect::<Vec<_>>()).into_iter().collect()
}

#[gpui::test]
async fn a_completion_streams_and_records_the_usage_limits(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let events = complete(cx, &h, prompt("Hello there")).unwrap();
    let text: String = events
        .iter()
        .filter_map(|event| match event {
            LanguageModelCompletionEvent::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(text.contains("Hello there"), "{text}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, LanguageModelCompletionEvent::UsageUpdate(_)))
    );
    assert_eq!(
        events.last(),
        Some(&LanguageModelCompletionEvent::Stop(StopReason::EndTurn))
    );
    let usage = h
        .provider
        .state()
        .read_with(cx, |state, _| state.usage().cloned());
    let usage = usage.expect("the answer's usage headers are recorded");
    assert!(!usage.windows.is_empty());
    match status(cx, &h.provider) {
        ConfigurationStatus::SignedIn { usage, .. } => assert!(!usage.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[gpui::test]
async fn usage_shows_before_the_first_chat_and_refreshes_while_the_card_is_shown(
    cx: &mut TestAppContext,
) {
    use openai_subscribed::provider::USAGE_REFRESH_INTERVAL;
    // Start-up with a stored sign-in: `GET …/wham/usage` is asked at once, no chat needed.
    let h = signed_in(cx);
    let state = h.provider.state().clone();
    wait_until(cx, |cx| {
        state.read_with(cx, |state, _| state.usage().is_some())
    });
    assert_eq!(h.emulator.stats().responses_requests, 0);
    assert_eq!(h.emulator.stats().usage_requests, 1);
    let first = state.read_with(cx, |state, _| state.usage().cloned().unwrap());
    let labels: Vec<String> = first.windows.iter().map(|w| w.label()).collect();
    assert_eq!(labels, ["5-hour", "weekly"]);
    assert_eq!(first.window(10080).unwrap().used_percent, 35.0);
    match status(cx, &h.provider) {
        ConfigurationStatus::SignedIn { usage, .. } => assert_eq!(usage.len(), 2),
        other => panic!("{other:?}"),
    }

    // Showing the card does not ask again at once; it asks again after the interval.
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state.clone(), cx));
    view.run_until_parked();
    assert_eq!(h.emulator.stats().usage_requests, 1);
    view.executor().advance_clock(USAGE_REFRESH_INTERVAL);
    wait_until(view, |_| h.emulator.stats().usage_requests == 2);
    // Wait for that answer to land (a newer snapshot replaces the first).
    wait_until(view, |cx| {
        state.read_with(cx, |state, _| state.usage() != Some(&first))
    });

    // An error keeps the last known snapshot.
    let shown = state.read_with(view, |state, _| state.usage().cloned().unwrap());
    h.emulator.inject(Fault::UsageStatus { status: 503 });
    let refused = state.update(view, |state, cx| state.refresh_usage(cx));
    let error = block(view, refused).unwrap_err();
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert_eq!(h.emulator.stats().usage_requests, 3);
    assert_eq!(
        state.read_with(view, |state, _| state.usage().cloned()),
        Some(shown)
    );
}

#[gpui::test]
async fn a_refused_token_on_the_usage_request_is_refreshed_once(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let state = h.provider.state().clone();
    wait_until(cx, |cx| {
        state.read_with(cx, |state, _| state.usage().is_some())
    });
    assert_eq!(h.emulator.stats().refreshes, 0);
    // Signed out everywhere else: the access token answers 401, the refresh token still works.
    h.emulator.revoke_access_tokens();
    let refreshed = state.update(cx, |state, cx| state.refresh_usage(cx));
    block(cx, refreshed).expect("refreshed once, then answered");
    assert_eq!(h.emulator.stats().refreshes, 1);
    assert_eq!(h.emulator.stats().usage_requests, 3);
}

#[gpui::test]
async fn a_refused_token_is_refreshed_once_and_the_request_retried(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    h.emulator.revoke_access_tokens();
    let before = h.emulator.stats();
    let events = complete(cx, &h, prompt("again")).unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, LanguageModelCompletionEvent::Stop(_)))
    );
    let after = h.emulator.stats();
    assert_eq!(after.refreshes - before.refreshes, 1);
    assert_eq!(after.responses_requests - before.responses_requests, 2);
}

#[gpui::test]
async fn a_usage_limit_is_a_rejection_with_its_message_that_is_not_retried(
    cx: &mut TestAppContext,
) {
    let h = signed_in(cx);
    h.emulator.inject(Fault::ResponsesUsageLimit {
        resets_in_secs: 72 * 60,
    });
    let error = complete(cx, &h, prompt("hi")).unwrap_err();
    // Zed's agent retries after `retry_delay`; a limit that resets in hours must not be retried.
    for attempt in 1..=3 {
        assert_eq!(error.retry_delay(attempt), None, "{error:?}");
    }
    match &error {
        LanguageModelCompletionError::ProviderRejection {
            message,
            retry_after,
            code,
            ..
        } => {
            assert_eq!(*retry_after, None);
            assert_eq!(code.as_deref(), Some("usage_limit_reached"));
            assert!(
                message.starts_with("ChatGPT Plus usage limit reached; resets at"),
                "{message}"
            );
            assert!(message.ends_with("(in 1h 12m)"), "{message}");
        }
        other => panic!("expected a provider rejection, got {other:?}"),
    }
    // What the agent shows is the error's own message.
    assert!(
        error
            .to_string()
            .starts_with("ChatGPT Plus usage limit reached"),
        "{error}"
    );
    // The settings card shows the limit from the refusal's usage headers.
    match status(cx, &h.provider) {
        ConfigurationStatus::SignedIn { limit_reached, .. } => {
            let limit = limit_reached.expect("the card shows the limit");
            assert!(limit.ends_with("(in 1h 12m)"), "{limit}");
        }
        other => panic!("{other:?}"),
    }
}

/// The race of issue 22: the `/wham/usage` fetch started at sign-in is answered only after a
/// chat was refused for the usage limit. That older answer ("room left") must not replace the
/// refusal's snapshot: the card keeps showing the limit, in memory and in the cache on disk.
#[gpui::test]
async fn a_usage_answer_asked_before_a_refusal_does_not_hide_the_limit(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::with(&stored_credentials(&emulator.mint_tokens(3600)));
    let held = emulator.hold_usage_answers();
    let h = harness(cx, emulator, store);
    let authenticate = cx.update(|cx| h.provider.authenticate(cx));
    block(cx, authenticate).expect("stored credentials load");
    // The start-up fetch is under way, its answer held back by the emulator.
    wait_until(cx, |_| h.emulator.stats().usage_requests == 1);

    h.emulator.inject(Fault::ResponsesUsageLimit {
        resets_in_secs: 72 * 60,
    });
    complete(cx, &h, prompt("hi")).unwrap_err();
    let limit_shown = |cx: &mut TestAppContext| match status(cx, &h.provider) {
        ConfigurationStatus::SignedIn { limit_reached, .. } => limit_reached,
        other => panic!("{other:?}"),
    };
    assert!(limit_shown(cx).is_some(), "the refusal shows the limit");

    // Now the older answer arrives (it says the plan has room) and is dropped.
    drop(held);
    let state = h.provider.state().clone();
    let fetch = state.update(cx, |state, cx| state.refresh_usage(cx));
    block(cx, fetch).expect("the held fetch was answered, not timed out");
    assert_eq!(
        h.emulator.stats().usage_requests,
        1,
        "it joined the held fetch"
    );
    let limit = limit_shown(cx).expect("the card still shows the limit");
    assert!(limit.ends_with("(in 1h 12m)"), "{limit}");

    // The cache on disk (what the next process shows) holds the refusal's snapshot too.
    let saved = state.update(cx, |state, _| state.usage_saved());
    block(cx, saved);
    let cached = std::fs::read_dir(h.cache_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("usage-"))
        .expect("a cached usage snapshot");
    let cached: openai_subscribed::usage::UsageLimits =
        serde_json::from_slice(&std::fs::read(cached).unwrap()).unwrap();
    assert_eq!(cached.limit_reached, Some(true));

    // A snapshot asked after the refusal decides again: the emulator says there is room.
    let fetch = state.update(cx, |state, cx| state.refresh_usage(cx));
    block(cx, fetch).unwrap();
    assert_eq!(h.emulator.stats().usage_requests, 2);
    assert_eq!(limit_shown(cx), None);
}

#[gpui::test]
async fn an_overload_that_names_its_wait_is_retried_after_that_wait(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    h.emulator.inject(Fault::ResponsesFailed {
        code: "server_is_overloaded".into(),
        message: "Our servers are currently overloaded. Please try again in 20s.".into(),
    });
    let error = complete(cx, &h, prompt("hi")).unwrap_err();
    match &error {
        LanguageModelCompletionError::ProviderRejection {
            retry_after,
            category,
            ..
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(20)));
            assert_eq!(*category, ProviderErrorCategory::Overloaded);
        }
        other => panic!("expected a provider rejection, got {other:?}"),
    }
    assert_eq!(error.retry_delay(1), Some(Duration::from_secs(20)));
}

/// The 429 of issue 15: a reset delay no clock can hold. The app explains the limit with an
/// unknown reset time, keeps running, keeps the sign-in, and answers the next request.
#[gpui::test]
async fn an_absurd_reset_time_is_unknown_and_the_app_keeps_running(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let absurd = [
        Fault::ResponsesStatus {
            status: 429,
            body: serde_json::json!({"error": {"type": "usage_limit_reached",
                "plan_type": "plus", "resets_in_seconds": 99_999_999_999_999_999u64}}),
            retry_after_secs: None,
        },
        // Through the emulator's own usage-limit answer: `resets_at` and the reset headers
        // saturate at the largest instant the emulator can write.
        Fault::ResponsesUsageLimit {
            resets_in_secs: i64::MAX,
        },
    ];
    for fault in absurd {
        h.emulator.inject(fault);
        let error = complete(cx, &h, prompt("hi")).unwrap_err();
        match &error {
            LanguageModelCompletionError::ProviderRejection {
                retry_after,
                message,
                ..
            } => {
                assert_eq!(*retry_after, None);
                assert!(
                    message.starts_with("ChatGPT Plus usage limit reached; reset time unknown"),
                    "{message}"
                );
            }
            other => panic!("expected a usage-limit rejection, got {other:?}"),
        }
        // Not retried automatically: the user waits for the reset.
        assert_eq!(error.retry_delay(1), None, "{error:?}");
        assert!(matches!(
            status(cx, &h.provider),
            ConfigurationStatus::SignedIn { .. }
        ));
        let events = complete(cx, &h, prompt("still there?")).unwrap();
        assert!(
            events
                .iter()
                .any(|e| matches!(e, LanguageModelCompletionEvent::Stop(_)))
        );
    }
}

#[gpui::test]
async fn a_changed_models_etag_on_an_answer_refetches_the_catalog(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let refresh = h
        .provider
        .state()
        .update(cx, |state, cx| state.refresh_models(cx));
    block(cx, refresh).unwrap();
    let before = h.emulator.stats().models_requests;
    h.emulator.bump_models_revision();
    complete(cx, &h, prompt("hi")).unwrap();
    wait_until(cx, |_| h.emulator.stats().models_requests > before);
}

#[gpui::test]
async fn not_signed_in_is_no_api_key_and_reset_credentials_signs_out(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    // An answer caches the usage snapshot; signing in cached the model list.
    complete(cx, &h, prompt("hi")).unwrap();
    let cached = |h: &Harness| {
        std::fs::read_dir(h.cache_dir.path())
            .map(|entries| entries.count())
            .unwrap_or(0)
    };
    wait_until(cx, |_| cached(&h) == 2);

    let reset = cx.update(|cx| h.provider.reset_credentials(cx));
    block(cx, reset).unwrap();
    assert!(!cx.update(|cx| h.provider.is_authenticated(cx)));
    assert!(h.store.current().is_none());
    // Sign-out forgets the account's cached usage and models too.
    wait_until(cx, |_| cached(&h) == 0);
    let error = complete(cx, &h, prompt("hi")).unwrap_err();
    assert!(
        matches!(error, LanguageModelCompletionError::NoApiKey { .. }),
        "{error:?}"
    );
}

#[gpui::test]
async fn registering_is_one_call(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let provider = cx.update(|cx| {
        openai_subscribed::provider::register(
            ReqwestHttpClient::new("t").unwrap(),
            Arc::new(MemoryStore::new()),
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
            cx,
        )
    });
    let registered = cx.update(|cx| {
        LanguageModelRegistry::global(cx)
            .read(cx)
            .provider(&provider.id())
            .map(|p| p.name())
    });
    assert_eq!(
        registered,
        Some(LanguageModelProviderName::new("ChatGPT Subscription"))
    );
}

/// Opens the card for `h` in `appearance`'s theme.
fn card<'a>(
    cx: &'a mut TestAppContext,
    h: &Harness,
    appearance: Appearance,
) -> &'a mut VisualTestContext {
    cx.update(|cx| GlobalTheme::update_theme(cx, Arc::new(Theme::default_for(appearance))));
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    assert_eq!(
        view.update(|_, cx| cx.theme().appearance()),
        appearance,
        "the card renders under the theme just set"
    );
    view
}

#[gpui::test]
async fn the_card_renders_every_state_in_both_themes(cx: &mut TestAppContext) {
    for appearance in [Appearance::Light, Appearance::Dark] {
        // Signed out, then signing in by browser, then by device code.
        let h = harness(cx, Emulator::start().unwrap(), MemoryStore::new());
        let view = card(cx, &h, appearance);
        assert!(view.debug_bounds("sign-in").is_some());
        assert!(view.debug_bounds("sign-in-device").is_some());
        click(view, "sign-in");
        view.run_until_parked();
        assert!(view.debug_bounds("reopen-sign-in-page").is_some());
        click(view, "cancel-sign-in");
        view.run_until_parked();
        click(view, "sign-in-device");
        wait_until(view, |cx| {
            matches!(
                status(cx, &h.provider),
                ConfigurationStatus::SigningIn {
                    step: SignInStep::EnterDeviceCode { .. }
                }
            )
        });
        view.run_until_parked();
        assert!(view.debug_bounds("device-code").is_some());
        click(view, "cancel-sign-in");
        view.run_until_parked();

        // A refused sign-in: the error, and the retry.
        h.emulator.inject(Fault::AuthorizeDenied {
            description: "missing_codex_entitlement".into(),
        });
        click(view, "sign-in");
        view.run_until_parked();
        let browser = approve_in_browser(h.opened.lock().clone().unwrap());
        wait_until(view, |cx| {
            matches!(
                status(cx, &h.provider),
                ConfigurationStatus::SignedOut { error: Some(_) }
            )
        });
        browser.join().unwrap();
        view.run_until_parked();
        assert!(view.debug_bounds("sign-in-error").is_some());

        // Signed in with usage bars, then the usage limit reached.
        let h = signed_in(cx);
        let view = card(cx, &h, appearance);
        complete(view, &h, prompt("hi")).unwrap();
        view.run_until_parked();
        assert!(view.debug_bounds("account").is_some());
        assert!(view.debug_bounds("sign-out").is_some());
        assert!(view.debug_bounds("usage-bar-0").is_some());
        assert!(view.debug_bounds("limit-reached").is_none());
        h.emulator.inject(Fault::ResponsesUsageLimit {
            resets_in_secs: 72 * 60,
        });
        complete(view, &h, prompt("hi")).unwrap_err();
        view.run_until_parked();
        assert!(view.debug_bounds("limit-reached").is_some());
    }
}
