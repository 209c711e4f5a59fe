//! A provider signed in on the official "Sign in with ChatGPT" route against the emulator, and the
//! ways the official-route tests drive it as Zed does (`tests/siwc_api.rs`,
//! `tests/siwc_preview_rules.rs`): the model list, a streamed answer, the bodies the emulator
//! received, a click on the card.
//!
//! Included with `#[path = "support/siwc.rs"] mod siwc;` beside `mod support;` (whose
//! [`allow_parking`](crate::support::allow_parking) it uses), so only those tests compile it.

#![allow(dead_code)]

#[allow(unused_imports)] // Each including test uses only some of them.
pub use crate::support::{block, wait_until};
use emulator::{Emulator, SiwcMintedTokens};
use futures::StreamExt as _;
use gpui::{Modifiers, TestAppContext, VisualTestContext};
use language_model::*;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CREDENTIALS_FORMAT_VERSION, MemoryStore, StoredCredentials};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{OpenAiSubscribedProvider, StateOptions, UrlOpener};
use openai_subscribed::route::Route;
use openai_subscribed::siwc::{OfficialSession, PlanUse};
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use std::rc::Rc;
use std::sync::Arc;

pub struct Harness {
    pub emulator: Emulator,
    pub provider: Arc<OpenAiSubscribedProvider>,
    /// Every URL the provider asked to open.
    pub opened: Arc<Mutex<Vec<url::Url>>>,
    _cache: tempfile::TempDir,
}

/// The stored record of an official-route sign-in with `minted` tokens.
pub fn official_record(minted: &SiwcMintedTokens, expires_in: i64) -> StoredCredentials {
    let official = OfficialSession {
        client_id: minted.client_id.clone(),
        subject: minted.sub.clone(),
        plan_use: PlanUse::Granted,
    };
    let record: StoredCredentials = serde_json::from_value(serde_json::json!({
        "version": CREDENTIALS_FORMAT_VERSION,
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "expires_at": chrono::Utc::now() + chrono::Duration::seconds(expires_in),
        "account_id": null,
        "email": "dev@example.invalid",
        "plan": null,
        "route": Route::SignInWithChatGpt,
        "official": official,
    }))
    .unwrap();
    assert_eq!(record.route, Route::SignInWithChatGpt);
    record
}

/// A provider on `store` pointed at `emulator`'s two routes.
pub fn harness(cx: &mut TestAppContext, emulator: Emulator, store: MemoryStore) -> Harness {
    harness_with(cx, emulator, store, |config| config)
}

/// [`harness`], with the config changed by `configure` (a transport, a compression).
pub fn harness_with(
    cx: &mut TestAppContext,
    emulator: Emulator,
    store: MemoryStore,
    configure: impl FnOnce(Config) -> Config,
) -> Harness {
    crate::support::allow_parking(cx);
    let cache = tempfile::tempdir().unwrap();
    let opened: Arc<Mutex<Vec<url::Url>>> = Arc::default();
    let slot = opened.clone();
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.path().to_path_buf()),
        url_opener: UrlOpener::Custom(Rc::new(move |url, _| slot.lock().push(url.clone()))),
        ..StateOptions::default()
    };
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
        .unwrap()
        .with_official_urls(&emulator.siwc_issuer_url(), &emulator.siwc_api_url())
        .unwrap();
    let config = configure(config);
    let provider = cx.update(|cx| {
        Arc::new(OpenAiSubscribedProvider::with_options(
            http,
            Arc::new(store),
            config,
            options,
            cx,
        ))
    });
    Harness {
        emulator,
        provider,
        opened,
        _cache: cache,
    }
}

/// Signed in on the official route with live emulator tokens.
pub fn signed_in(cx: &mut TestAppContext) -> Harness {
    signed_in_with(cx, Emulator::start().unwrap(), |config| config)
}

/// [`signed_in`] on `emulator`, with the config changed by `configure`.
pub fn signed_in_with(
    cx: &mut TestAppContext,
    emulator: Emulator,
    configure: impl FnOnce(Config) -> Config,
) -> Harness {
    let minted = emulator.siwc_mint_tokens(3600);
    let store = MemoryStore::with(&official_record(&minted, 3600));
    let h = harness_with(cx, emulator, store, configure);
    let authenticate = cx.update(|cx| h.provider.authenticate(cx));
    block(cx, authenticate).expect("the stored sign-in loads");
    h
}

/// The official route's listed models, once fetched.
pub fn models(cx: &mut TestAppContext, h: &Harness) -> Vec<Arc<dyn LanguageModel>> {
    let refresh = h
        .provider
        .state()
        .update(cx, |state, cx| state.refresh_models(cx));
    block(cx, refresh).expect("the model list arrives");
    cx.update(|cx| h.provider.provided_models(cx))
}

pub fn message(role: Role, content: Vec<MessageContent>) -> LanguageModelRequestMessage {
    LanguageModelRequestMessage {
        role,
        content,
        cache: false,
        reasoning_details: None,
    }
}

/// A system prompt and one user message.
pub fn request(text: &str) -> LanguageModelRequest {
    LanguageModelRequest {
        messages: vec![
            message(
                Role::System,
                vec![MessageContent::Text("You are a coding assistant.".into())],
            ),
            message(Role::User, vec![MessageContent::Text(text.into())]),
        ],
        ..LanguageModelRequest::default()
    }
}

pub type Events = Vec<LanguageModelCompletionEvent>;

/// Streams `request` to `model`: the events, and the error that ended it, if any.
pub fn complete(
    cx: &mut TestAppContext,
    model: &Arc<dyn LanguageModel>,
    request: LanguageModelRequest,
) -> (Events, Option<LanguageModelCompletionError>) {
    let stream = model.stream_completion(request, &cx.to_async());
    let mut events = Vec::new();
    let mut stream = match block(cx, stream) {
        Ok(stream) => stream,
        Err(error) => return (events, Some(error)),
    };
    loop {
        match block(cx, stream.next()) {
            Some(Ok(event)) => events.push(event),
            Some(Err(error)) => return (events, Some(error)),
            None => return (events, None),
        }
    }
}

pub fn text_of(events: &Events) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            LanguageModelCompletionEvent::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The bodies of the `POST /v1/responses` the emulator received, as JSON.
pub fn answer_requests(emulator: &Emulator) -> Vec<serde_json::Value> {
    emulator
        .siwc_requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path.ends_with("/responses"))
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

/// Clicks the element the card tagged `selector`.
pub fn click(cx: &mut VisualTestContext, selector: &'static str) {
    let bounds = cx
        .debug_bounds(selector)
        .unwrap_or_else(|| panic!("no element {selector:?} is rendered"));
    cx.simulate_click(bounds.center(), Modifiers::none());
}
