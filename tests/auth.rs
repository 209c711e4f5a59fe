//! The auth state machine against the embedded emulator (a real issuer over loopback HTTP), with
//! the in-memory credential store.
//!
//! Each test starts its own emulator. Tests that talk to it over sockets call
//! `cx.executor().allow_parking()`, so the deterministic test executor may wait for real I/O.
//! Where a test must also let gpui's (fake) clock run — the refresh timeout, the wait after
//! `refresh_token_reused` — [`finish`] alternates running the executor, advancing the clock and
//! letting the sockets deliver, within a bounded number of rounds.

mod support;

use chrono::Utc;
use emulator::{Emulator, Fault, MintedTokens};
use futures::FutureExt as _;
use gpui::{App, AppContext as _, Entity, Task, TestAppContext};
use http_client::{AsyncBody, HttpClient as _, HttpRequestExt as _, RedirectPolicy, http};
use language_model::AuthenticateError;
use openai_subscribed::auth::{
    AuthError, AuthState, BrowserLaunch, OAuthSignIn, PermanentReason, ProgressReporter,
    RefreshPolicy, SignInFlows, SignInMethod, SignInProgress, State, TransientReason,
};
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore, StoredCredentials};
use openai_subscribed::oauth::{CallbackServerOptions, OAuthError, TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Fixtures

/// The token set a code exchange with these minted tokens would produce.
fn token_set(minted: &MintedTokens) -> TokenSet {
    TokenSet::from_response(
        TokenResponse {
            id_token: Some(IdToken::new(&minted.id_token)),
            access_token: AccessToken::new(&minted.access_token),
            refresh_token: Some(RefreshToken::new(&minted.refresh_token)),
            expires_in: None,
        },
        None,
        Utc::now(),
    )
    .expect("the emulator mints valid JWTs")
}

fn record(minted: &MintedTokens) -> StoredCredentials {
    StoredCredentials::from_token_set(&token_set(minted))
}

/// A policy whose waits never fire by themselves in a test (the fake clock only moves when told),
/// except where a test says otherwise.
fn policy() -> RefreshPolicy {
    RefreshPolicy {
        timeout: Duration::from_secs(3600),
        ..RefreshPolicy::default()
    }
}

fn new_state(
    cx: &mut TestAppContext,
    emulator_config: openai_subscribed::config::Config,
    store: &MemoryStore,
    policy: RefreshPolicy,
) -> Entity<State> {
    let http = ReqwestHttpClient::new(&emulator_config.user_agent()).unwrap();
    let store: Arc<dyn CredentialStore> = Arc::new(store.clone());
    cx.new(|cx| State::new(emulator_config, store, http, cx).with_policy(policy))
}

/// An emulator, a store holding minted tokens that expire in `expires_in` seconds, and a loaded
/// state over them.
struct SignedIn {
    emulator: Emulator,
    store: MemoryStore,
    state: Entity<State>,
    minted: MintedTokens,
}

fn signed_in(cx: &mut TestAppContext, expires_in: i64, policy: RefreshPolicy) -> SignedIn {
    support::allow_parking(cx);
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(expires_in);
    let store = MemoryStore::with(&record(&minted));
    let state = new_state(
        cx,
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
        &store,
        policy,
    );
    cx.run_until_parked();
    assert!(state.read_with(cx, |state, _| state.is_signed_in()));
    SignedIn {
        emulator,
        store,
        state,
        minted,
    }
}

fn fresh(cx: &mut TestAppContext, state: &Entity<State>) -> Task<Result<String, AuthError>> {
    let task = state.update(cx, |state, cx| state.get_fresh_credentials(cx));
    cx.background_spawn(async move {
        task.await
            .map(|auth| auth.access_token.secret().to_string())
    })
}

/// Drives `task` to completion, advancing gpui's fake clock by `tick` per round so that timers
/// (timeouts, store polling) fire while real sockets deliver. Bounded: panics after 2,000 rounds.
fn finish<T>(cx: &mut TestAppContext, task: Task<T>, tick: Duration) -> T {
    let mut task = Box::pin(task);
    for _ in 0..2000 {
        cx.run_until_parked();
        if let Some(output) = task.as_mut().now_or_never() {
            return output;
        }
        cx.executor().advance_clock(tick);
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the task did not finish");
}

/// Waits (bounded) until the emulator has seen `count` token requests.
fn wait_for_token_requests(emulator: &Emulator, count: usize) {
    for _ in 0..1000 {
        if emulator.stats().token_requests >= count {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the emulator never saw {count} token requests");
}

fn current_access(cx: &mut TestAppContext, state: &Entity<State>) -> Option<String> {
    state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SignedIn { credentials, .. } => {
            Some(credentials.access_token.secret().to_string())
        }
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------
// Loading and authenticate

/// A store whose first read waits until the test opens the gate (a slow keychain prompt).
struct GatedStore {
    inner: MemoryStore,
    gate: Mutex<Option<futures::channel::oneshot::Receiver<()>>>,
}

impl CredentialStore for GatedStore {
    fn name(&self) -> String {
        "gated store".into()
    }
    fn read(
        &self,
        cx: &gpui::AsyncApp,
    ) -> futures::future::LocalBoxFuture<'static, anyhow::Result<Option<StoredCredentials>>> {
        let gate = self.gate.lock().take();
        let read = self.inner.read(cx);
        async move {
            if let Some(gate) = gate {
                gate.await.ok();
            }
            read.await
        }
        .boxed_local()
    }
    fn write(
        &self,
        credentials: StoredCredentials,
        cx: &gpui::AsyncApp,
    ) -> futures::future::LocalBoxFuture<'static, anyhow::Result<()>> {
        self.inner.write(credentials, cx)
    }
    fn delete(
        &self,
        cx: &gpui::AsyncApp,
    ) -> futures::future::LocalBoxFuture<'static, anyhow::Result<()>> {
        self.inner.delete(cx)
    }
}

#[gpui::test]
async fn authenticate_waits_for_the_stored_credentials_to_load(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(3600);
    for stored in [Some(record(&minted)), None] {
        let (open, gate) = futures::channel::oneshot::channel();
        let inner = MemoryStore::new();
        if let Some(stored) = &stored {
            inner.set_raw(Some(stored.encode()));
        }
        let store: Arc<dyn CredentialStore> = Arc::new(GatedStore {
            inner,
            gate: Mutex::new(Some(gate)),
        });
        let http = ReqwestHttpClient::new("test").unwrap();
        let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
        let state = cx.new(|cx| State::new(config, store, http, cx));
        let authenticated = state.update(cx, |state, cx| state.authenticate(cx));
        let credentials = state.update(cx, |state, cx| state.get_fresh_credentials(cx));
        cx.run_until_parked();
        assert!(state.read_with(cx, |state, _| state.is_loading()));
        let mut authenticated = Box::pin(authenticated);
        assert!(
            authenticated.as_mut().now_or_never().is_none(),
            "answered before the load"
        );

        open.send(()).unwrap();
        cx.run_until_parked();
        match stored {
            Some(_) => {
                assert!(matches!(authenticated.await, Ok(())));
                assert_eq!(
                    credentials.await.unwrap().access_token.secret(),
                    minted.access_token
                );
            }
            None => {
                assert!(matches!(
                    authenticated.await,
                    Err(AuthenticateError::CredentialsNotFound)
                ));
                assert_eq!(credentials.await.unwrap_err(), AuthError::NotSignedIn);
            }
        }
    }
    assert_eq!(emulator.stats().token_requests, 0);
}

#[gpui::test]
async fn an_unusable_stored_record_means_signed_out_and_is_kept(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let old_format = br#"{"version":0,"access_token":"x"}"#.to_vec();
    store.set_raw(Some(old_format.clone()));
    let state = new_state(
        cx,
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
        &store,
        policy(),
    );
    let authenticated = state.update(cx, |state, cx| state.authenticate(cx));
    assert!(matches!(
        authenticated.await,
        Err(AuthenticateError::CredentialsNotFound)
    ));
    assert_eq!(
        store.raw(),
        Some(old_format),
        "reading must not wipe the record"
    );
}

// ---------------------------------------------------------------------------------------------
// Fresh credentials and the shared refresh

#[gpui::test]
async fn a_fresh_token_needs_no_token_request(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, 3600, policy());
    let access = fresh(cx, &fixture.state).await.unwrap();
    assert_eq!(access, fixture.minted.access_token);
    assert_eq!(fixture.emulator.stats().token_requests, 0);
}

#[gpui::test]
async fn no_credentials_is_the_not_signed_in_error(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let state = new_state(
        cx,
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
        &MemoryStore::new(),
        policy(),
    );
    assert_eq!(fresh(cx, &state).await.unwrap_err(), AuthError::NotSignedIn);
    let rejected = AccessToken::new("whatever");
    let forced = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    assert_eq!(forced.await.unwrap_err(), AuthError::NotSignedIn);
    assert_eq!(emulator.stats().token_requests, 0);
}

#[gpui::test]
async fn a_thousand_concurrent_callers_share_one_refresh(cx: &mut TestAppContext) {
    // Within the five-minute margin: still valid, but due for renewal.
    let fixture = signed_in(cx, 120, policy());
    let callers: Vec<_> = (0..1000).map(|_| fresh(cx, &fixture.state)).collect();
    let answers = futures::future::join_all(callers).await;

    let first = answers[0].clone().unwrap();
    assert_ne!(first, fixture.minted.access_token);
    assert!(answers.iter().all(|answer| answer.as_ref() == Ok(&first)));
    let stats = fixture.emulator.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.refreshes, 1);
    // Store and memory agree on the new tokens.
    let stored = fixture.store.current().unwrap();
    assert_eq!(stored.access_token.secret(), first);
    assert_ne!(stored.refresh_token.secret(), fixture.minted.refresh_token);
    assert_eq!(current_access(cx, &fixture.state), Some(first.clone()));
    // Now fresh: no further request.
    assert_eq!(fresh(cx, &fixture.state).await.unwrap(), first);
    assert_eq!(fixture.emulator.stats().token_requests, 1);
}

#[gpui::test]
async fn an_expired_token_is_refreshed_before_use(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, -60, policy());
    let access = fresh(cx, &fixture.state).await.unwrap();
    assert_ne!(access, fixture.minted.access_token);
    assert_eq!(fixture.emulator.stats().refreshes, 1);
    assert_eq!(fixture.store.writes(), 1);
}

#[gpui::test]
async fn force_refresh_renews_once_per_rejected_token(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, 3600, policy());
    let rejected = AccessToken::new(&fixture.minted.access_token);
    let first = fixture
        .state
        .update(cx, |state, cx| state.force_refresh(&rejected, cx))
        .await
        .unwrap();
    assert_ne!(first.access_token.secret(), fixture.minted.access_token);
    assert_eq!(first.account_id, "acct_emulated");
    // A second request rejected with the same (old) token just gets the new one.
    let second = fixture
        .state
        .update(cx, |state, cx| state.force_refresh(&rejected, cx))
        .await
        .unwrap();
    assert_eq!(second.access_token, first.access_token);
    assert_eq!(fixture.emulator.stats().token_requests, 1);
}

// ---------------------------------------------------------------------------------------------
// Failures

#[gpui::test]
async fn permanent_failures_sign_out_clear_the_store_and_say_so(cx: &mut TestAppContext) {
    let no_reuse_wait = RefreshPolicy {
        reuse_polls: 0,
        ..policy()
    };
    let cases = [
        (
            400,
            serde_json::json!({"error": "refresh_token_expired"}),
            PermanentReason::Expired,
        ),
        (
            401,
            serde_json::json!({"error": {"code": "refresh_token_reused"}}),
            PermanentReason::Reused,
        ),
        (
            400,
            serde_json::json!({"code": "refresh_token_invalidated"}),
            PermanentReason::Invalidated,
        ),
        (
            400,
            serde_json::json!({"error": "invalid_grant"}),
            PermanentReason::InvalidGrant,
        ),
        (401, serde_json::json!({}), PermanentReason::Unauthorized),
    ];
    for (status, body, reason) in cases {
        let fixture = signed_in(cx, -60, no_reuse_wait.clone());
        fixture.emulator.inject(Fault::TokenStatus { status, body });
        let error = fresh(cx, &fixture.state).await.unwrap_err();
        assert_eq!(error, AuthError::SessionEnded(reason));
        assert_eq!(
            error.to_string(),
            "Your ChatGPT session has ended; sign in again."
        );
        cx.run_until_parked();
        fixture.state.read_with(cx, |state, _| {
            assert!(matches!(state.auth_state(), AuthState::SignedOut));
            assert_eq!(state.last_error(), Some(&AuthError::SessionEnded(reason)));
        });
        assert_eq!(
            fixture.store.raw(),
            None,
            "{reason:?}: the store entry is deleted"
        );
        assert_eq!(
            fresh(cx, &fixture.state).await.unwrap_err(),
            AuthError::NotSignedIn
        );
    }
}

#[gpui::test]
async fn a_server_error_keeps_the_credentials_and_the_next_call_retries(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, -60, policy());
    let stored_before = fixture.store.raw();
    fixture.emulator.inject(Fault::TokenStatus {
        status: 503,
        body: serde_json::json!({"error": "temporarily_unavailable"}),
    });
    let error = fresh(cx, &fixture.state).await.unwrap_err();
    assert_eq!(
        error,
        AuthError::RenewalFailed(TransientReason::ServerError(503))
    );
    assert_eq!(
        current_access(cx, &fixture.state),
        Some(fixture.minted.access_token.clone())
    );
    assert_eq!(fixture.store.raw(), stored_before);
    assert_eq!(
        fixture
            .state
            .read_with(cx, |state, _| state.last_error().cloned()),
        None
    );

    let access = fresh(cx, &fixture.state).await.unwrap();
    assert_ne!(access, fixture.minted.access_token);
    assert_eq!(fixture.emulator.stats().token_requests, 2);
}

#[gpui::test]
async fn a_refresh_that_times_out_keeps_the_credentials(cx: &mut TestAppContext) {
    let timeout = Duration::from_secs(30);
    let fixture = signed_in(
        cx,
        -60,
        RefreshPolicy {
            timeout,
            ..RefreshPolicy::default()
        },
    );
    let stored_before = fixture.store.raw();
    fixture.emulator.inject(Fault::TokenHang);
    let pending = fresh(cx, &fixture.state);
    cx.run_until_parked();
    wait_for_token_requests(&fixture.emulator, 1);
    cx.executor().advance_clock(timeout);
    cx.run_until_parked();
    let error = pending.await.unwrap_err();
    assert_eq!(error, AuthError::RenewalFailed(TransientReason::TimedOut));
    assert!(fixture.state.read_with(cx, |state, _| state.is_signed_in()));
    assert_eq!(fixture.store.raw(), stored_before);

    // The hang was one-shot: the next call refreshes.
    let access = fresh(cx, &fixture.state).await.unwrap();
    assert_ne!(access, fixture.minted.access_token);
}

#[gpui::test]
async fn a_refused_connection_keeps_the_credentials(cx: &mut TestAppContext) {
    support::allow_parking(cx);
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(-60);
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let unreachable = openai_subscribed::config::Config::with_urls(
        &format!("http://127.0.0.1:{closed_port}"),
        &format!("http://127.0.0.1:{closed_port}/backend-api/codex"),
    )
    .unwrap();
    let store = MemoryStore::with(&record(&minted));
    let state = new_state(cx, unreachable, &store, policy());
    for _ in 0..2 {
        let error = fresh(cx, &state).await.unwrap_err();
        assert!(
            matches!(error, AuthError::RenewalFailed(TransientReason::Network(_))),
            "{error:?}"
        );
        assert_eq!(
            current_access(cx, &state),
            Some(minted.access_token.clone())
        );
        assert_eq!(store.current(), Some(record(&minted)));
    }
}

#[gpui::test]
async fn a_refresh_race_loser_adopts_the_winners_tokens(cx: &mut TestAppContext) {
    // Two states share one store, as two processes share a file; both refresh the same token.
    let poll = Duration::from_millis(100);
    let race = RefreshPolicy {
        reuse_poll_interval: poll,
        reuse_polls: 100,
        ..policy()
    };
    let fixture = signed_in(cx, -60, race.clone());
    let other = new_state(
        cx,
        Config::with_urls(
            &fixture.emulator.issuer_url(),
            &fixture.emulator.backend_url(),
        )
        .unwrap(),
        &fixture.store,
        race,
    );
    cx.run_until_parked();
    // Both requests are in flight before either is answered.
    fixture.emulator.set_token_delay(Duration::from_millis(300));
    let first = fresh(cx, &fixture.state);
    let second = fresh(cx, &other);
    let first = finish(cx, first, poll).unwrap();
    let second = finish(cx, second, poll).unwrap();

    assert_eq!(first, second, "the loser adopted the winner's tokens");
    assert_eq!(
        fixture.emulator.stats().refreshes,
        2,
        "both asked; one was refused"
    );
    assert_eq!(
        fixture.store.current().unwrap().access_token.secret(),
        first
    );
    for state in [&fixture.state, &other] {
        assert_eq!(current_access(cx, state), Some(first.clone()));
        assert_eq!(
            state.read_with(cx, |state, _| state.last_error().cloned()),
            None
        );
    }
}

#[gpui::test]
async fn tokens_renewed_elsewhere_are_adopted_without_a_request(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, -60, policy());
    let other = new_state(
        cx,
        Config::with_urls(
            &fixture.emulator.issuer_url(),
            &fixture.emulator.backend_url(),
        )
        .unwrap(),
        &fixture.store,
        policy(),
    );
    cx.run_until_parked();
    let renewed = fresh(cx, &other).await.unwrap();
    // `fixture.state` still holds the spent refresh token; it finds the new one in the store.
    assert_eq!(fresh(cx, &fixture.state).await.unwrap(), renewed);
    assert_eq!(fixture.emulator.stats().token_requests, 1);
}

// ---------------------------------------------------------------------------------------------
// Sign-out

#[gpui::test]
async fn sign_out_during_a_refresh_stays_signed_out(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, -60, policy());
    fixture.emulator.set_token_delay(Duration::from_millis(200));
    let refreshing = fresh(cx, &fixture.state);
    cx.run_until_parked();
    assert!(fixture.state.read_with(cx, |state, _| matches!(
        state.auth_state(),
        AuthState::SignedIn {
            refresh: Some(_),
            ..
        }
    )));
    let generation = fixture.state.read_with(cx, |state, _| state.generation());
    let signed_out = fixture.state.update(cx, |state, cx| state.sign_out(cx));
    signed_out.await.unwrap();

    // The refresh answer arrives after the sign-out: its result is dropped.
    assert_eq!(refreshing.await.unwrap_err(), AuthError::SignedOutMeanwhile);
    cx.run_until_parked();
    fixture.state.read_with(cx, |state, _| {
        assert!(matches!(state.auth_state(), AuthState::SignedOut));
        assert!(state.generation() > generation);
    });
    assert_eq!(fixture.store.raw(), None);
    assert_eq!(
        fixture.store.writes(),
        0,
        "the late tokens were never written"
    );
    assert_eq!(
        fresh(cx, &fixture.state).await.unwrap_err(),
        AuthError::NotSignedIn
    );
    // The refresh token was revoked, best effort, in the background.
    wait_until(cx, || fixture.emulator.stats().revocations == 1);
}

#[gpui::test]
async fn sign_out_forgets_the_store_entry_and_revokes(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, 3600, policy());
    fixture
        .state
        .update(cx, |state, cx| state.sign_out(cx))
        .await
        .unwrap();
    assert!(!fixture.state.read_with(cx, |state, _| state.is_signed_in()));
    assert_eq!(fixture.store.raw(), None);
    // The revoked refresh token no longer works at the issuer.
    wait_until(cx, || fixture.emulator.stats().revocations == 1);
    let again = new_state(
        cx,
        Config::with_urls(
            &fixture.emulator.issuer_url(),
            &fixture.emulator.backend_url(),
        )
        .unwrap(),
        &MemoryStore::with(&record(&fixture.minted)),
        RefreshPolicy {
            reuse_polls: 0,
            ..policy()
        },
    );
    let rejected = AccessToken::new(&fixture.minted.access_token);
    let error = again
        .update(cx, |state, cx| state.force_refresh(&rejected, cx))
        .await
        .unwrap_err();
    assert_eq!(error, AuthError::SessionEnded(PermanentReason::Invalidated));
}

/// Runs the executor until `condition` holds (bounded), letting real sockets deliver meanwhile.
fn wait_until(cx: &mut TestAppContext, condition: impl Fn() -> bool) {
    for _ in 0..1000 {
        cx.run_until_parked();
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the condition never held");
}

// ---------------------------------------------------------------------------------------------
// Sign-in

/// Sign-in flows for tests: each start is counted; the flow yields `tokens` once `release` fires,
/// holding a bound TCP listener (the callback port) until then.
struct TestFlows {
    starts: Arc<AtomicUsize>,
    port: Arc<Mutex<Option<u16>>>,
    release: Rc<Mutex<Option<futures::channel::oneshot::Receiver<TokenSet>>>>,
}

fn test_flows(
    state_starts: &Arc<AtomicUsize>,
    port: &Arc<Mutex<Option<u16>>>,
    release: futures::channel::oneshot::Receiver<TokenSet>,
) -> impl Fn(SignInMethod, ProgressReporter, &mut App) -> Task<Result<TokenSet, OAuthError>> + 'static
{
    let flows = TestFlows {
        starts: state_starts.clone(),
        port: port.clone(),
        release: Rc::new(Mutex::new(Some(release))),
    };
    move |_method, progress, cx| {
        flows.starts.fetch_add(1, Ordering::SeqCst);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        *flows.port.lock() = Some(listener.local_addr().unwrap().port());
        progress.report(SignInProgress::WaitingForBrowser {
            authorize_url: url::Url::parse("http://127.0.0.1/oauth/authorize").unwrap(),
        });
        let release = flows.release.lock().take();
        cx.background_spawn(async move {
            let _listener = listener;
            match release {
                Some(release) => release.await.map_err(|_| OAuthError::Cancelled),
                None => futures::future::pending().await,
            }
        })
    }
}

/// A state over `store` against `emulator` whose sign-ins run `flows`, loaded.
fn state_with_flows(
    cx: &mut TestAppContext,
    emulator: &Emulator,
    store: &MemoryStore,
    flows: impl SignInFlows,
) -> Entity<State> {
    let http = ReqwestHttpClient::new("test").unwrap();
    let provider: Arc<dyn CredentialStore> = Arc::new(store.clone());
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let state = cx.new(|cx| State::new(config, provider, http, cx).with_sign_in_flows(flows));
    cx.run_until_parked();
    state
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[gpui::test]
async fn sign_in_stores_the_tokens_then_signs_in(cx: &mut TestAppContext) {
    support::allow_parking(cx);
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(3600);
    let store = MemoryStore::new();
    let (starts, port) = (Arc::default(), Arc::default());
    let (release, released) = futures::channel::oneshot::channel();
    let flows = test_flows(&starts, &port, released);
    let state = state_with_flows(cx, &emulator, &store, flows);

    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    cx.run_until_parked();
    state.read_with(cx, |state, _| {
        assert!(matches!(
            state.auth_state(),
            AuthState::SigningIn {
                progress: SignInProgress::WaitingForBrowser { .. },
                ..
            }
        ));
    });
    // A second click does not start a second listener.
    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    state.update(cx, |state, cx| state.sign_in(SignInMethod::DeviceCode, cx));
    assert_eq!(starts.load(Ordering::SeqCst), 1);

    release.send(token_set(&minted)).unwrap();
    cx.run_until_parked();
    state.read_with(cx, |state, _| {
        assert!(state.is_signed_in());
        assert_eq!(
            state.account().unwrap().email.as_deref(),
            Some("ada@example.com")
        );
    });
    assert_eq!(store.current(), Some(record(&minted)));
    assert!(port_is_free(port.lock().unwrap()));
    let authenticated = state.update(cx, |state, cx| state.authenticate(cx));
    assert!(matches!(authenticated.await, Ok(())));
}

#[gpui::test]
async fn cancelling_or_signing_out_releases_the_callback_port(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    for cancel_by_sign_out in [false, true] {
        let (starts, port) = (Arc::default(), Arc::default());
        let (_release, released) = futures::channel::oneshot::channel();
        let flows = test_flows(&starts, &port, released);
        let state = state_with_flows(cx, &emulator, &MemoryStore::new(), flows);
        state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
        cx.run_until_parked();
        let port = port.lock().unwrap();
        assert!(!port_is_free(port), "the flow holds its port while it runs");

        if cancel_by_sign_out {
            state
                .update(cx, |state, cx| state.sign_out(cx))
                .await
                .unwrap();
        } else {
            state.update(cx, |state, cx| state.cancel_sign_in(cx));
        }
        cx.run_until_parked();
        assert!(port_is_free(port), "the port is released");
        assert!(!state.read_with(cx, |state, _| state.is_signed_in()));
        // A new sign-in may start again.
        state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
        assert_eq!(starts.load(Ordering::SeqCst), 2);
    }
}

/// A state whose sign-in uses the real OAuth flows against the emulator, on an ephemeral callback
/// port, without opening a browser.
fn state_with_real_flows(
    cx: &mut TestAppContext,
    emulator: &Emulator,
    store: &MemoryStore,
) -> Entity<State> {
    support::allow_parking(cx);
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let http = ReqwestHttpClient::new(&config.user_agent()).unwrap();
    let flows = OAuthSignIn {
        callback: CallbackServerOptions {
            ports: vec![0],
            ..CallbackServerOptions::default()
        },
        browser: BrowserLaunch::Manual,
        ..OAuthSignIn::new(config.clone(), http.clone())
    };
    let provider: Arc<dyn CredentialStore> = Arc::new(store.clone());
    let state = cx.new(|cx| State::new(config, provider, http, cx).with_sign_in_flows(flows));
    cx.run_until_parked();
    state
}

/// Runs the executor (and, with `tick`, the fake clock) until `condition` holds; bounded.
fn run_until(
    cx: &mut TestAppContext,
    tick: Option<Duration>,
    condition: impl Fn(&State) -> bool,
    state: &Entity<State>,
) {
    for _ in 0..2000 {
        cx.run_until_parked();
        if state.read_with(cx, |state, _| condition(state)) {
            return;
        }
        if let Some(tick) = tick {
            cx.executor().advance_clock(tick);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "the state never got there: {:?}",
        state.read_with(cx, |s, _| format!("{s:?}"))
    );
}

/// Does what the user's browser does: opens the authorize URL, follows the issuer's redirect to
/// the callback, and answers the callback page's status. The issuer is asked over a plain socket:
/// the HTTP client logs the URLs it is redirected to, and these carry the code and the state —
/// which only a browser, never this crate, fetches.
async fn play_browser(authorize_url: &url::Url) -> u16 {
    use std::io::{Read as _, Write as _};
    let mut issuer = std::net::TcpStream::connect((
        authorize_url.host_str().unwrap(),
        authorize_url.port().unwrap(),
    ))
    .unwrap();
    let target = &authorize_url[url::Position::BeforePath..];
    write!(
        issuer,
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        authorize_url.authority()
    )
    .unwrap();
    let mut answer = String::new();
    issuer.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 302"), "{answer}");
    let callback = answer
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_string())
        })
        .expect("a Location header");
    let request = http::Request::get(callback.as_str())
        .follow_redirects(RedirectPolicy::NoFollow)
        .body(AsyncBody::empty())
        .unwrap();
    let browser = ReqwestHttpClient::new("browser").unwrap();
    browser.send(request).await.unwrap().status().as_u16()
}

#[gpui::test]
async fn browser_sign_in_through_the_state_machine(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = state_with_real_flows(cx, &emulator, &store);
    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    cx.run_until_parked();
    let authorize_url = state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SigningIn {
            progress: SignInProgress::WaitingForBrowser { authorize_url },
            ..
        } => authorize_url.clone(),
        other => panic!("not waiting for the browser: {other:?}"),
    });
    let debug = state.read_with(cx, |state, _| format!("{state:?}"));
    assert!(!debug.contains(authorize_url.query().unwrap()), "{debug}");

    // Play the browser: open the URL and follow the issuer's redirect to our callback.
    assert_eq!(play_browser(&authorize_url).await, 200);
    run_until(cx, None, |state| state.is_signed_in(), &state);

    assert_eq!(emulator.stats().code_exchanges, 1);
    let stored = store.current().expect("stored before signed in");
    assert_eq!(
        current_access(cx, &state).as_deref(),
        Some(stored.access_token.secret())
    );
    assert_eq!(stored.email.as_deref(), Some("ada@example.com"));
}

#[gpui::test]
async fn cancelling_a_real_browser_sign_in_frees_its_callback_port(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let state = state_with_real_flows(cx, &emulator, &MemoryStore::new());
    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    cx.run_until_parked();
    let port = state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SigningIn {
            progress: SignInProgress::WaitingForBrowser { authorize_url },
            ..
        } => {
            let redirect = authorize_url
                .query_pairs()
                .find(|(key, _)| key == "redirect_uri")
                .map(|(_, value)| url::Url::parse(&value).unwrap())
                .unwrap();
            redirect.port().unwrap()
        }
        other => panic!("not waiting for the browser: {other:?}"),
    });
    assert!(!port_is_free(port));
    state.update(cx, |state, cx| state.cancel_sign_in(cx));
    cx.run_until_parked();
    assert!(port_is_free(port));
    assert_eq!(
        state.read_with(cx, |state, _| state.last_error().cloned()),
        None
    );
}

#[gpui::test]
async fn device_code_sign_in_through_the_state_machine(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = state_with_real_flows(cx, &emulator, &store);
    state.update(cx, |state, cx| state.sign_in(SignInMethod::DeviceCode, cx));
    run_until(
        cx,
        None,
        |state| {
            matches!(
                state.auth_state(),
                AuthState::SigningIn {
                    progress: SignInProgress::WaitingForDeviceCode { .. },
                    ..
                }
            )
        },
        &state,
    );
    let (user_code, debug) = state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SigningIn {
            progress: SignInProgress::WaitingForDeviceCode { user_code, .. },
            ..
        } => (user_code.clone(), format!("{state:?}")),
        _ => unreachable!(),
    });
    assert!(!user_code.is_empty());
    assert!(!debug.contains(&user_code), "{debug}");
    // The emulator approves after two "pending" polls, five (fake) seconds apart.
    run_until(
        cx,
        Some(Duration::from_secs(1)),
        |state| state.is_signed_in(),
        &state,
    );
    assert_eq!(emulator.stats().code_exchanges, 1);
    assert!(store.current().is_some());
}

#[gpui::test]
async fn a_failing_store_write_ends_the_sign_in_with_an_error(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let minted = emulator.mint_tokens(3600);
    let store = MemoryStore::new();
    store.set_fail_writes(true);
    let (starts, port) = (Arc::default(), Arc::default());
    let (release, released) = futures::channel::oneshot::channel();
    let flows = test_flows(&starts, &port, released);
    let state = state_with_flows(cx, &emulator, &store, flows);
    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    release.send(token_set(&minted)).unwrap();
    cx.run_until_parked();
    state.read_with(cx, |state, _| {
        assert!(matches!(state.auth_state(), AuthState::SignedOut));
        let error = state.last_error().expect("an error is shown");
        assert!(matches!(error, AuthError::Store { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("Could not save your ChatGPT sign-in")
        );
    });
    assert_eq!(store.raw(), None);
}

#[gpui::test]
async fn a_refresh_whose_store_write_fails_keeps_the_new_tokens(cx: &mut TestAppContext) {
    let fixture = signed_in(cx, -60, policy());
    fixture.store.set_fail_writes(true);
    let access = fresh(cx, &fixture.state).await.unwrap();
    assert_ne!(access, fixture.minted.access_token);
    fixture.state.read_with(cx, |state, cx| {
        assert!(state.is_signed_in());
        let error = state.last_error().cloned().unwrap();
        assert!(
            matches!(error, AuthError::RenewalNotSaved { .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("Your new ChatGPT sign-in could not be saved to the memory store"),
            "{error}"
        );
        // A short-lived process ends with this error instead of a success.
        assert_eq!(openai_subscribed::auth::unsaved_renewal(cx), Some(error));
    });
}

// ---------------------------------------------------------------------------------------------
// No secrets in logs or Debug output

/// Every log record of the process, formatted.
struct CapturingLogger(Mutex<Vec<String>>);

impl log::Log for CapturingLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().push(format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

fn capturing_logger() -> &'static CapturingLogger {
    static LOGGER: OnceLock<&'static CapturingLogger> = OnceLock::new();
    LOGGER.get_or_init(|| {
        let logger: &'static CapturingLogger =
            Box::leak(Box::new(CapturingLogger(Mutex::new(Vec::new()))));
        log::set_logger(logger).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        logger
    })
}

#[gpui::test]
async fn no_token_in_any_log_line_or_debug_output(cx: &mut TestAppContext) {
    let logger = capturing_logger();
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = state_with_real_flows(cx, &emulator, &store);
    let mut secrets = Vec::new();
    let mut debug_output = Vec::new();
    let remember = |record: &StoredCredentials, secrets: &mut Vec<String>| {
        secrets.extend([
            record.access_token.secret().to_string(),
            record.refresh_token.secret().to_string(),
        ]);
    };

    // A real browser sign-in; its `state` parameter is a secret of the flow.
    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    cx.run_until_parked();
    let authorize_url = state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SigningIn {
            progress: SignInProgress::WaitingForBrowser { authorize_url },
            ..
        } => authorize_url.clone(),
        other => panic!("not waiting for the browser: {other:?}"),
    });
    let csrf_state = authorize_url
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    secrets.push(csrf_state);
    state.read_with(cx, |state, _| debug_output.push(format!("{state:?}")));
    assert_eq!(play_browser(&authorize_url).await, 200);
    run_until(cx, None, |state| state.is_signed_in(), &state);
    let signed_in = store.current().unwrap();
    remember(&signed_in, &mut secrets);

    // A forced refresh (as after a 401).
    let auth = state
        .update(cx, |state, cx| {
            state.force_refresh(&signed_in.access_token, cx)
        })
        .await
        .unwrap();
    let refreshed = store.current().unwrap();
    remember(&refreshed, &mut secrets);
    debug_output.push(format!("{auth:?}"));
    debug_output.push(format!("{refreshed:#?}"));
    debug_output.push(format!("{:?}", refreshed.to_token_set()));
    state.read_with(cx, |state, _| {
        debug_output.push(format!("{state:?}"));
        debug_output.push(format!("{:#?}", state.auth_state()));
    });

    // Sign out (revokes), then a refresh with the revoked token ends the session.
    state
        .update(cx, |state, cx| state.sign_out(cx))
        .await
        .unwrap();
    wait_until(cx, || emulator.stats().revocations == 1);
    let ended = new_state(
        cx,
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
        &MemoryStore::with(&refreshed),
        policy(),
    );
    let rejected = refreshed.access_token.clone();
    let error = ended
        .update(cx, |state, cx| state.force_refresh(&rejected, cx))
        .await
        .unwrap_err();
    assert_eq!(error, AuthError::SessionEnded(PermanentReason::Invalidated));
    debug_output.push(format!("{error:?} {error}"));
    cx.run_until_parked();

    let lines = logger.0.lock().clone();
    assert!(
        lines
            .iter()
            .any(|line| line.contains("signed in to ChatGPT")),
        "the logger captured this test's lines"
    );
    // Two records of two tokens each (no ID token is stored) and the flow's `state`.
    assert_eq!(secrets.len(), 5);
    for secret in &secrets {
        assert!(secret.len() >= 16, "a real secret");
        for line in lines.iter().chain(&debug_output) {
            assert!(
                !line.contains(secret.as_str()),
                "a secret leaked into: {line}"
            );
        }
    }
}
