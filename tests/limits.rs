//! Limits a user can plan around, on the card, over real sockets against the emulator: a
//! refusal that names the window that ran out (the weekly one while the 5-hour one is at 99 %),
//! the card marking that window in both themes, and a warning line per threshold crossed.

mod support;

use emulator::{Emulator, Fault, UsageLevels};
use futures::StreamExt as _;
use gpui::{TestAppContext, VisualTestContext};
use language_model::*;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{
    ConfigurationStatus, ConfigurationView, OpenAiSubscribedProvider, StateOptions,
};
use openai_subscribed::usage::UsageWarningThresholds;
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;
use support::{block, stored_credentials};
use theme::{Appearance, GlobalTheme, Theme};

struct Harness {
    emulator: Emulator,
    provider: Arc<OpenAiSubscribedProvider>,
    _cache: tempfile::TempDir,
}

fn signed_in(cx: &mut TestAppContext, config: impl FnOnce(&mut Config)) -> Harness {
    support::allow_parking(cx);
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
    let mut settings = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    config(&mut settings);
    let provider = cx.update(|cx| {
        Arc::new(OpenAiSubscribedProvider::with_options(
            http,
            credentials,
            settings,
            options,
            cx,
        ))
    });
    let authenticate = cx.update(|cx| provider.authenticate(cx));
    block(cx, authenticate).expect("stored credentials load");
    let h = Harness {
        emulator,
        provider,
        _cache: cache,
    };
    // The sign-in starts a usage fetch, and a refresh asked while one runs shares its answer:
    // wait for it, so that a test's own refresh asks after the levels it sets.
    refresh_usage(cx, &h);
    h
}

fn status(cx: &mut TestAppContext, h: &Harness) -> ConfigurationStatus {
    h.provider
        .state()
        .read_with(cx, |state, cx| state.status(cx))
}

fn complete(
    cx: &mut TestAppContext,
    h: &Harness,
) -> Result<Vec<LanguageModelCompletionEvent>, LanguageModelCompletionError> {
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let request = LanguageModelRequest {
        thread_id: Some("thread-1".into()),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text("hi".into())],
            cache: false,
            reasoning_details: None,
        }],
        ..LanguageModelRequest::default()
    };
    let future = model.stream_completion(request, &cx.to_async());
    let events = block(cx, future)?;
    block(cx, events.collect::<Vec<_>>()).into_iter().collect()
}

/// Asks `/wham/usage` again (the card does at start-up and every few minutes).
fn refresh_usage(cx: &mut TestAppContext, h: &Harness) {
    let refresh = h
        .provider
        .state()
        .update(cx, |state, cx| state.refresh_usage(cx));
    block(cx, refresh).unwrap();
}

fn warnings(cx: &mut TestAppContext, h: &Harness) -> Vec<String> {
    match status(cx, h) {
        ConfigurationStatus::SignedIn { warnings, .. } => {
            warnings.iter().map(ToString::to_string).collect()
        }
        other => panic!("{other:?}"),
    }
}

fn card<'a>(
    cx: &'a mut TestAppContext,
    h: &Harness,
    appearance: Appearance,
) -> &'a mut VisualTestContext {
    cx.update(|cx| GlobalTheme::update_theme(cx, Arc::new(Theme::default_for(appearance))));
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    view
}

#[gpui::test]
async fn a_weekly_refusal_with_the_five_hour_window_at_99_names_the_weekly_window(
    cx: &mut TestAppContext,
) {
    let h = signed_in(cx, |_| {});
    h.emulator.inject(Fault::ResponsesWindowLimit {
        window_minutes: 10_080,
        resets_in_secs: (4 * 24 + 23) * 3600 + 30,
        other_used_percent: 99.0,
    });
    let error = complete(cx, &h).unwrap_err();
    let LanguageModelCompletionError::ProviderRejection {
        message,
        retry_after,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*retry_after, None);
    assert!(
        message.starts_with(
            "ChatGPT Plus usage limit reached; resets at the end of your weekly window (your \
             5-hour window is at 99 %): "
        ),
        "{message}"
    );
    assert!(message.ends_with("(in 4d 23h)"), "{message}");

    let ConfigurationStatus::SignedIn {
        usage,
        blocking_window,
        limit_reached,
        warnings,
        ..
    } = status(cx, &h)
    else {
        panic!("signed in");
    };
    assert!(limit_reached.is_some());
    let line = blocking_window.expect("the card names the window");
    assert!(line.starts_with("Weekly limit reached — resets "), "{line}");
    assert!(
        line.ends_with("(in 4d 23h); your 5-hour window is at 99 %"),
        "{line}"
    );
    // The weekly bar is the one marked; the 5-hour bar, at 99 %, is not.
    let marked: Vec<_> = usage
        .iter()
        .map(|bar| (bar.label.to_string(), bar.blocking))
        .collect();
    assert_eq!(
        marked,
        [
            ("5-hour limit".to_string(), false),
            ("Weekly limit".to_string(), true)
        ]
    );
    // The limit is said once: no "past your 95 % warning" for the 5-hour window beside it.
    assert!(warnings.is_empty(), "{warnings:?}");

    for appearance in [Appearance::Light, Appearance::Dark] {
        let view = card(cx, &h, appearance);
        assert!(view.debug_bounds("blocking-window").is_some());
        assert!(view.debug_bounds("limit-reached").is_some());
        assert!(view.debug_bounds("usage-bar-1").is_some());
    }
}

#[gpui::test]
async fn below_the_first_threshold_the_card_warns_of_nothing(cx: &mut TestAppContext) {
    let h = signed_in(cx, |_| {});
    h.emulator.set_usage_levels(Some(UsageLevels {
        five_hour_used_percent: 40.0,
        weekly_used_percent: 79.0,
    }));
    refresh_usage(cx, &h);
    assert_eq!(warnings(cx, &h), Vec::<String>::new());
}

#[gpui::test]
async fn past_80_the_card_warns_with_the_window_and_its_reset(cx: &mut TestAppContext) {
    let h = signed_in(cx, |_| {});
    h.emulator.set_usage_levels(Some(UsageLevels {
        five_hour_used_percent: 40.0,
        weekly_used_percent: 93.0,
    }));
    refresh_usage(cx, &h);
    let warnings = warnings(cx, &h);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("Weekly limit at 93 %, past your 80 % warning; resets "),
        "{warnings:?}"
    );
    assert!(warnings[0].ends_with("(in 5d 0h)"), "{warnings:?}");
    let view = card(cx, &h, Appearance::Dark);
    assert!(view.debug_bounds("usage-warning").is_some());
    // A warning never blocks a request.
    assert!(complete(cx, &h).is_ok());
}

#[gpui::test]
async fn past_95_the_card_says_the_higher_threshold(cx: &mut TestAppContext) {
    let h = signed_in(cx, |_| {});
    h.emulator.set_usage_levels(Some(UsageLevels {
        five_hour_used_percent: 96.0,
        weekly_used_percent: 50.0,
    }));
    refresh_usage(cx, &h);
    let warnings = warnings(cx, &h);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("5-hour limit at 96 %, past your 95 % warning; resets "),
        "{warnings:?}"
    );
}

#[gpui::test]
async fn thresholds_come_from_the_settings(cx: &mut TestAppContext) {
    let h = signed_in(cx, |config| {
        config.usage_warnings = UsageWarningThresholds::parse("50").unwrap();
    });
    h.emulator.set_usage_levels(Some(UsageLevels {
        five_hour_used_percent: 10.0,
        weekly_used_percent: 60.0,
    }));
    refresh_usage(cx, &h);
    let warnings = warnings(cx, &h);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("past your 50 % warning"),
        "{warnings:?}"
    );
}

#[gpui::test]
async fn credits_are_not_shown_when_the_account_has_none(cx: &mut TestAppContext) {
    let h = signed_in(cx, |_| {});
    refresh_usage(cx, &h);
    // The emulator reports `has_credits: false, balance: "0"`, as a real Plus account does.
    match status(cx, &h) {
        ConfigurationStatus::SignedIn { usage, credits, .. } => {
            assert_eq!(usage.len(), 2);
            assert_eq!(credits, None);
        }
        other => panic!("{other:?}"),
    }
}
