//! Several accounts side by side (issue 26), over real sockets against the emulator: two Codex
//! accounts and one of each route signed in at once, switching (the model list and the bearer of
//! the next request follow), signing out of one (only its tokens are revoked), a sign-in kept by
//! the single-account code loading as the first account, and no token in the account list.

mod support;

use emulator::{EmulatedAccount, Emulator};
use futures::StreamExt as _;
use gpui::{AppContext as _, TestAppContext};
use language_model::*;
use openai_subscribed::accounts::{AccountIndex, Slot};
use openai_subscribed::auth::SignInMethod;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, FileStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::oauth::CallbackServerOptions;
use openai_subscribed::provider::{
    AccountChoice, OpenAiSubscribedProvider, StateOptions, UrlOpener,
};
use openai_subscribed::route::Route;
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use support::{approve_in_browser, block, stored_credentials, wait_until};

struct Harness {
    emulator: Arc<Emulator>,
    provider: Arc<OpenAiSubscribedProvider>,
    opened: Arc<Mutex<Option<url::Url>>>,
    store_path: PathBuf,
    _dir: Arc<tempfile::TempDir>,
}

fn bob() -> EmulatedAccount {
    EmulatedAccount {
        email: "bob@example.com".into(),
        account_id: "acct_bob".into(),
        plan: "pro".into(),
        user_id: "user_bob".into(),
    }
}

/// A provider over a credentials file in `dir` (its caches beside it).
fn provider(
    cx: &mut TestAppContext,
    emulator: Arc<Emulator>,
    dir: Arc<tempfile::TempDir>,
    account: AccountChoice,
) -> Harness {
    support::allow_parking(cx);
    let opened: Arc<Mutex<Option<url::Url>>> = Arc::default();
    let slot = opened.clone();
    let options = StateOptions {
        cache: CacheLocation::Directory(dir.path().join("cache")),
        url_opener: UrlOpener::Custom(Rc::new(move |url, _| *slot.lock() = Some(url.clone()))),
        callback: CallbackServerOptions {
            ports: vec![0],
            ..CallbackServerOptions::default()
        },
        account,
        ..StateOptions::default()
    };
    let store_path = dir.path().join("chatgpt-credentials.json");
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
        .unwrap()
        .with_official_urls(&emulator.siwc_issuer_url(), &emulator.siwc_api_url())
        .unwrap();
    let store: Arc<dyn CredentialStore> = Arc::new(FileStore::new(&store_path));
    let provider = cx.update(|cx| {
        Arc::new(OpenAiSubscribedProvider::with_options(
            http, store, config, options, cx,
        ))
    });
    let authenticate = cx.update(|cx| provider.authenticate(cx));
    let _ = block(cx, authenticate);
    Harness {
        emulator,
        provider,
        opened,
        store_path,
        _dir: dir,
    }
}

/// Adds an account through the real browser sign-in and waits until it is the active one.
fn add_account(cx: &mut TestAppContext, h: &Harness, method: SignInMethod, expected: &str) {
    *h.opened.lock() = None;
    h.provider
        .state()
        .update(cx, |state, cx| state.add_account(method, cx));
    wait_until(cx, |_| h.opened.lock().is_some());
    let url = h.opened.lock().clone().unwrap();
    let browser = approve_in_browser(url);
    wait_until(cx, |cx| {
        h.provider.state().read_with(cx, |state, _| {
            state
                .accounts()
                .iter()
                .any(|account| account.active && account.label == expected)
        })
    });
    assert_eq!(browser.join().unwrap(), 200);
}

fn labels(cx: &mut TestAppContext, h: &Harness) -> Vec<(String, bool)> {
    h.provider.state().read_with(cx, |state, _| {
        state
            .accounts()
            .into_iter()
            .map(|account| (account.label, account.active))
            .collect()
    })
}

fn access_token(cx: &mut TestAppContext, h: &Harness) -> String {
    h.provider.state().read_with(cx, |state, cx| {
        state
            .auth()
            .read(cx)
            .access_token()
            .expect("signed in")
            .secret()
            .to_string()
    })
}

/// The model slugs shown, once the active account's own list is shown (from the backend, or
/// from its cache after a switch).
fn network_models(cx: &mut TestAppContext, h: &Harness) -> Vec<String> {
    wait_until(cx, |cx| {
        h.provider.state().read_with(cx, |state, cx| {
            state.catalog().read(cx).source() != openai_subscribed::models::CatalogSource::Fallback
        })
    });
    h.provider.state().read_with(cx, |state, cx| {
        state
            .models(cx)
            .iter()
            .map(|model| model.slug.clone())
            .collect()
    })
}

fn complete(cx: &mut TestAppContext, h: &Harness) {
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let request = LanguageModelRequest {
        thread_id: Some("thread-1".into()),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text("Hello".into())],
            cache: false,
            reasoning_details: None,
        }],
        ..LanguageModelRequest::default()
    };
    let future = model.stream_completion(request, &cx.to_async());
    let events = block(cx, future).expect("the request is accepted");
    let events: Vec<_> = block(cx, events.collect::<Vec<_>>());
    assert!(events.iter().all(Result::is_ok), "{events:?}");
}

fn switch(cx: &mut TestAppContext, h: &Harness, label: &str) {
    h.provider.state().update(cx, |state, cx| {
        let id = state
            .accounts()
            .into_iter()
            .find(|account| account.label == label)
            .expect("listed")
            .id;
        assert!(state.switch_account(&id, cx));
    });
}

fn index_text(h: &Harness) -> String {
    let path = h
        .store_path
        .with_file_name("chatgpt-credentials.json.accounts")
        .join("index.json");
    std::fs::read_to_string(path).unwrap()
}

#[gpui::test]
async fn two_codex_accounts_switch_models_and_bearer_and_sign_out_one(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    // Bob's workspace serves one model of its own.
    let one_model = emulator::models::catalog()[1].clone();
    let bob_slug = one_model["slug"].as_str().unwrap().to_string();
    emulator
        .serve_catalog_for_account(
            "acct_bob",
            &serde_json::json!({ "models": [one_model] }).to_string(),
        )
        .unwrap();
    let dir = Arc::new(tempfile::tempdir().unwrap());
    // Ada signed in the way one account always was: the credentials file.
    std::fs::write(
        dir.path().join("chatgpt-credentials.json"),
        stored_credentials(&emulator.mint_tokens(3600)).encode(),
    )
    .unwrap();
    let h = provider(cx, emulator.clone(), dir, AccountChoice::Active);
    assert_eq!(labels(cx, &h), [("ada@example.com".to_string(), true)]);
    let ada_models = network_models(cx, &h);
    assert!(ada_models.len() > 1);
    let ada_token = access_token(cx, &h);

    emulator.set_account(bob());
    add_account(cx, &h, SignInMethod::Browser, "bob@example.com");
    assert_eq!(
        labels(cx, &h),
        [
            ("ada@example.com".to_string(), false),
            ("bob@example.com".to_string(), true)
        ]
    );
    assert_eq!(network_models(cx, &h), std::slice::from_ref(&bob_slug));
    let bob_token = access_token(cx, &h);
    assert_ne!(ada_token, bob_token);
    complete(cx, &h);
    let sent = emulator.last_responses_request().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {bob_token}").as_str())
    );
    assert_eq!(sent.header("chatgpt-account-id"), Some("acct_bob"));
    // Bob's answer came over a WebSocket opened with his token; switching closes it.
    wait_until(cx, |_| emulator.open_websockets() == 1);

    // Switching back: Ada's models, Ada's bearer on the next request.
    switch(cx, &h, "ada@example.com");
    wait_until(cx, |_| emulator.open_websockets() == 0);
    assert_eq!(network_models(cx, &h), ada_models);
    complete(cx, &h);
    let sent = emulator.last_responses_request().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {ada_token}").as_str())
    );
    assert_eq!(sent.header("chatgpt-account-id"), Some("acct_emulated"));

    // The index names both accounts and no token.
    let index = index_text(&h);
    assert!(index.contains("bob@example.com") && index.contains("ada@example.com"));
    for token in [&ada_token, &bob_token] {
        assert!(!index.contains(token.as_str()));
    }

    // Signing out of Bob (not the active account) revokes Bob's tokens only.
    let bob_id = h.provider.state().read_with(cx, |state, _| {
        state
            .accounts()
            .into_iter()
            .find(|account| account.label == "bob@example.com")
            .unwrap()
            .id
    });
    let sign_out = h
        .provider
        .state()
        .update(cx, |state, cx| state.sign_out_account(&bob_id, cx));
    block(cx, sign_out).expect("signed out of Bob");
    assert!(!emulator.access_token_is_live(&bob_token));
    assert!(emulator.access_token_is_live(&ada_token));
    assert_eq!(labels(cx, &h), [("ada@example.com".to_string(), true)]);
    complete(cx, &h);
    // Ada's record is where it always was; Bob's is gone.
    assert!(h.store_path.exists());
    let bob_files: Vec<_> = walk(
        &h.store_path
            .with_file_name("chatgpt-credentials.json.accounts"),
    )
    .into_iter()
    .filter(|path| path.ends_with("chatgpt-credentials.json"))
    .collect();
    assert!(bob_files.is_empty(), "{bob_files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[gpui::test]
async fn one_account_per_route_side_by_side(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let h = provider(cx, emulator.clone(), dir.clone(), AccountChoice::Active);
    add_account(cx, &h, SignInMethod::Browser, "ada@example.com");
    let codex_models = network_models(cx, &h);
    let codex_token = access_token(cx, &h);
    add_account(
        cx,
        &h,
        SignInMethod::SignInWithChatGpt,
        "dev@example.invalid",
    );
    // One host id for the host, whichever account's registration asks: the official account's
    // authorize request carries the one the first account's registration file holds.
    let first: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join("chatgpt-credentials.json.siwc-registration.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let host_id = first["ext_agent_host_id"].as_str().unwrap().to_string();
    let sent: Vec<String> = emulator
        .siwc_requests()
        .iter()
        .filter_map(|request| {
            request
                .query
                .iter()
                .find(|(name, _)| name == "ext_agent_host_id")
                .map(|(_, value)| value.clone())
        })
        .collect();
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|sent| *sent == host_id),
        "{sent:?} vs {host_id}"
    );
    let routes: Vec<Route> = h.provider.state().read_with(cx, |state, _| {
        state
            .accounts()
            .iter()
            .map(|account| account.route)
            .collect()
    });
    assert_eq!(routes, [Route::CodexBackend, Route::SignInWithChatGpt]);
    let official_models = network_models(cx, &h);
    assert_ne!(official_models, codex_models);
    let official_token = access_token(cx, &h);
    complete(cx, &h);
    let sent = emulator
        .siwc_requests()
        .into_iter()
        .rfind(|request| request.path == "/v1/responses")
        .unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {official_token}").as_str())
    );

    switch(cx, &h, "ada@example.com");
    assert_eq!(network_models(cx, &h), codex_models);
    complete(cx, &h);
    assert_eq!(
        emulator
            .last_responses_request()
            .unwrap()
            .header("authorization"),
        Some(format!("Bearer {codex_token}").as_str())
    );

    // A second process (a new provider over the same files) starts with the active account,
    // or the one it names.
    let again = provider(cx, emulator.clone(), dir.clone(), AccountChoice::Active);
    assert_eq!(
        labels(cx, &again),
        [
            ("ada@example.com".to_string(), true),
            ("dev@example.invalid".to_string(), false)
        ]
    );
    let named = provider(
        cx,
        emulator.clone(),
        dir,
        AccountChoice::Named("dev@example.invalid".into()),
    );
    assert_eq!(
        named
            .provider
            .state()
            .read_with(cx, |state, cx| state.route(cx)),
        Some(Route::SignInWithChatGpt)
    );
}

#[gpui::test]
async fn a_sign_in_kept_by_the_single_account_code_loads_as_the_first_account(
    cx: &mut TestAppContext,
) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let path = dir.path().join("chatgpt-credentials.json");
    // Written by the single-account path every earlier version took: the auth state machine
    // over a plain file store, signing in by the browser.
    {
        support::allow_parking(cx);
        let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
        let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
        let flows = openai_subscribed::auth::OAuthSignIn {
            callback: CallbackServerOptions {
                ports: vec![0],
                ..CallbackServerOptions::default()
            },
            browser: openai_subscribed::auth::BrowserLaunch::Manual,
            ..openai_subscribed::auth::OAuthSignIn::new(config.clone(), http.clone())
        };
        let store: Arc<dyn CredentialStore> = Arc::new(FileStore::new(&path));
        let auth = cx.new(|cx| {
            openai_subscribed::auth::State::new(config, store, http, cx).with_sign_in_flows(flows)
        });
        auth.update(cx, |auth, cx| auth.sign_in(SignInMethod::Browser, cx));
        wait_until(cx, |cx| {
            auth.read_with(cx, |auth, _| {
                matches!(
                    auth.auth_state(),
                    openai_subscribed::auth::AuthState::SigningIn {
                        progress: openai_subscribed::auth::SignInProgress::WaitingForBrowser { .. },
                        ..
                    }
                )
            })
        });
        let url = auth.read_with(cx, |auth, _| match auth.auth_state() {
            openai_subscribed::auth::AuthState::SigningIn {
                progress:
                    openai_subscribed::auth::SignInProgress::WaitingForBrowser { authorize_url },
                ..
            } => authorize_url.clone(),
            _ => unreachable!(),
        });
        let browser = approve_in_browser(url);
        wait_until(cx, |cx| auth.read_with(cx, |auth, _| auth.is_signed_in()));
        assert_eq!(browser.join().unwrap(), 200);
    }
    let before = std::fs::read(&path).unwrap();
    assert!(
        !path
            .with_file_name("chatgpt-credentials.json.accounts")
            .exists()
    );

    let h = provider(cx, emulator.clone(), dir, AccountChoice::Active);
    assert_eq!(labels(cx, &h), [("ada@example.com".to_string(), true)]);
    let models = network_models(cx, &h);
    assert!(!models.is_empty());
    complete(cx, &h);
    // Nothing moved: the record is the same bytes in the same file, listed in the primary slot.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let saved = h
        .provider
        .state()
        .update(cx, |state, _| state.accounts_saved());
    block(cx, saved);
    let index = AccountIndex::load(
        &FileStore::new(&path)
            .account_index()
            .expect("a file store lists accounts"),
    );
    assert_eq!(index.entries().len(), 1);
    assert_eq!(index.entries()[0].slot, Slot::Primary);
    assert_eq!(index.active(), Some(&index.entries()[0].id));
    // Its model cache keeps its name (the ChatGPT account id).
    assert!(
        CacheLocation::Directory(h._dir.path().join("cache"))
            .file_for("acct_emulated")
            .unwrap()
            .exists()
    );
}

#[gpui::test]
async fn signing_in_again_to_the_same_account_replaces_it(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let h = provider(cx, emulator.clone(), dir, AccountChoice::Active);
    add_account(cx, &h, SignInMethod::Browser, "ada@example.com");
    let first = access_token(cx, &h);
    add_account(cx, &h, SignInMethod::Browser, "ada@example.com");
    assert_eq!(labels(cx, &h), [("ada@example.com".to_string(), true)]);
    // The older copy is signed out (its tokens revoked), the new one serves.
    wait_until(cx, |_| !emulator.access_token_is_live(&first));
    complete(cx, &h);
}

fn click(cx: &mut gpui::VisualTestContext, selector: &'static str) {
    let bounds = cx
        .debug_bounds(selector)
        .unwrap_or_else(|| panic!("no element {selector:?} is rendered"));
    cx.simulate_click(bounds.center(), gpui::Modifiers::none());
}

#[gpui::test]
async fn the_card_adds_switches_and_signs_out_of_one_account(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = Arc::new(tempfile::tempdir().unwrap());
    std::fs::write(
        dir.path().join("chatgpt-credentials.json"),
        stored_credentials(&emulator.mint_tokens(3600)).encode(),
    )
    .unwrap();
    let h = provider(cx, emulator.clone(), dir, AccountChoice::Active);
    let state = h.provider.state().clone();
    let (_, view) =
        cx.add_window_view(|_, cx| openai_subscribed::provider::ConfigurationView::new(state, cx));
    view.run_until_parked();
    // One account: no list, only the way to add one.
    assert!(view.debug_bounds("add-account").is_some());
    assert!(view.debug_bounds("account-row-0").is_none());

    emulator.set_account(bob());
    let bob_tokens_before = emulator.stats().code_exchanges;
    *h.opened.lock() = None;
    click(view, "add-account-codex");
    wait_until(view, |_| h.opened.lock().is_some());
    let browser = approve_in_browser(h.opened.lock().clone().unwrap());
    wait_until(view, |cx| labels(cx, &h).len() == 2);
    assert_eq!(browser.join().unwrap(), 200);
    assert_eq!(emulator.stats().code_exchanges, bob_tokens_before + 1);
    view.run_until_parked();
    assert_eq!(
        labels(view, &h),
        [
            ("ada@example.com".to_string(), false),
            ("bob@example.com".to_string(), true)
        ]
    );
    assert!(view.debug_bounds("account-row-1").is_some());
    // The active account has no "Sign out" of its own in the list (the account card's is it).
    assert!(view.debug_bounds("sign-out-account-1").is_none());

    click(view, "switch-account-0");
    view.run_until_parked();
    assert_eq!(
        labels(view, &h),
        [
            ("ada@example.com".to_string(), true),
            ("bob@example.com".to_string(), false)
        ]
    );
    let ada_token = access_token(view, &h);

    click(view, "sign-out-account-1");
    wait_until(view, |cx| labels(cx, &h).len() == 1);
    assert_eq!(labels(view, &h), [("ada@example.com".to_string(), true)]);
    assert!(emulator.access_token_is_live(&ada_token));
}

/// The completion's error, for a request the backend refuses.
fn refused(cx: &mut TestAppContext, h: &Harness) -> LanguageModelCompletionError {
    let model = cx.update(|cx| h.provider.default_model(cx)).unwrap();
    let request = LanguageModelRequest {
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text("Hello".into())],
            cache: false,
            reasoning_details: None,
        }],
        ..LanguageModelRequest::default()
    };
    let future = model.stream_completion(request, &cx.to_async());
    match block(cx, future) {
        Err(error) => error,
        Ok(events) => block(cx, events.collect::<Vec<_>>())
            .into_iter()
            .find_map(Result::err)
            .expect("the request was refused"),
    }
}

#[gpui::test]
async fn a_usage_limit_offers_another_account_with_room_and_never_one_without(
    cx: &mut TestAppContext,
) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = Arc::new(tempfile::tempdir().unwrap());
    std::fs::write(
        dir.path().join("chatgpt-credentials.json"),
        stored_credentials(&emulator.mint_tokens(3600)).encode(),
    )
    .unwrap();
    let h = provider(cx, emulator.clone(), dir, AccountChoice::Active);
    h.emulator.set_account(bob());
    add_account(cx, &h, SignInMethod::Browser, "bob@example.com");
    // Bob's last answer left a snapshot with room.
    complete(cx, &h);
    let saved = h
        .provider
        .state()
        .update(cx, |state, _| state.usage_saved());
    block(cx, saved);
    switch(cx, &h, "ada@example.com");

    // Ada hits her limit: the refusal says Bob has room, and nothing switches by itself.
    h.emulator.inject(emulator::Fault::ResponsesUsageLimit {
        resets_in_secs: 3600,
    });
    let message = refused(cx, &h).to_string();
    assert!(
        message.contains("bob@example.com has room (its fullest window is at"),
        "{message}"
    );
    assert!(message.contains("switch to it to go on now"), "{message}");
    assert_eq!(
        labels(cx, &h),
        [
            ("ada@example.com".to_string(), true),
            ("bob@example.com".to_string(), false)
        ]
    );

    // The card offers the switch; its button makes it.
    let state = h.provider.state().clone();
    let (_, view) =
        cx.add_window_view(|_, cx| openai_subscribed::provider::ConfigurationView::new(state, cx));
    view.run_until_parked();
    assert!(view.debug_bounds("switch-offer").is_some());
    click(view, "switch-to-account");
    view.run_until_parked();
    assert_eq!(
        labels(view, &h),
        [
            ("ada@example.com".to_string(), false),
            ("bob@example.com".to_string(), true)
        ]
    );
    let bob_token = access_token(view, &h);
    complete(view, &h);
    assert_eq!(
        h.emulator
            .last_responses_request()
            .unwrap()
            .header("authorization"),
        Some(format!("Bearer {bob_token}").as_str())
    );

    // Bob hits his limit too: Ada's last snapshot says she has none left, so nothing is offered.
    h.emulator.inject(emulator::Fault::ResponsesUsageLimit {
        resets_in_secs: 3600,
    });
    let message = refused(view, &h).to_string();
    assert!(!message.contains("has room"), "{message}");
    assert_eq!(
        h.provider
            .state()
            .read_with(view, |state, cx| state.switch_offer(cx)),
        None
    );
}

#[gpui::test]
async fn signing_out_of_an_idle_account_still_loading_revokes_its_tokens(cx: &mut TestAppContext) {
    let emulator = Arc::new(Emulator::start().unwrap());
    let dir = Arc::new(tempfile::tempdir().unwrap());
    std::fs::write(
        dir.path().join("chatgpt-credentials.json"),
        stored_credentials(&emulator.mint_tokens(3600)).encode(),
    )
    .unwrap();
    let first = provider(cx, emulator.clone(), dir.clone(), AccountChoice::Active);
    emulator.set_account(bob());
    add_account(cx, &first, SignInMethod::Browser, "bob@example.com");
    let bob_token = access_token(cx, &first);
    switch(cx, &first, "ada@example.com");
    let saved = first
        .provider
        .state()
        .update(cx, |state, _| state.accounts_saved());
    block(cx, saved);

    // A new process: Bob is listed at once (the index is read on creation), while his record
    // is still being read when the sign-out is asked for.
    let store: Arc<dyn CredentialStore> =
        Arc::new(FileStore::new(dir.path().join("chatgpt-credentials.json")));
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let sign_out = cx.update(|cx| {
        let provider = OpenAiSubscribedProvider::with_options(
            http,
            store,
            config,
            StateOptions {
                cache: CacheLocation::Directory(dir.path().join("cache")),
                ..StateOptions::default()
            },
            cx,
        );
        provider.state().update(cx, |state, cx| {
            let bob = state.find_account("bob@example.com").unwrap();
            state.sign_out_account(&bob, cx)
        })
    });
    block(cx, sign_out).expect("signed out of Bob");
    assert!(!emulator.access_token_is_live(&bob_token));
}
