//! The official "Sign in with ChatGPT" route's sign-in, refresh and sign-out against the
//! emulator's official issuer, over loopback sockets: the real flows, the real callback server,
//! the emulator playing the browser (`visit_in_browser`).

mod support;

use emulator::{Emulator, SiwcConsent, SiwcFault, SiwcRecordedRequest};
use futures::FutureExt as _;
use gpui::{AppContext as _, Entity, Task, TestAppContext};
use openai_subscribed::auth::{
    AuthError, AuthState, BrowserLaunch, OAuthSignIn, PermanentReason, RefreshPolicy, SignInMethod,
    SignInProgress, State,
};
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, FileStore, MemoryStore, StoredCredentials};
use openai_subscribed::oauth::{CallbackServerOptions, OAuthError};
use openai_subscribed::route::Route;
use openai_subscribed::siwc::{IdTokenDefect, PlanUse, Registrations, SiwcError};
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Fixtures

fn config(emulator: &Emulator) -> Config {
    Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
        .unwrap()
        .with_official_urls(&emulator.siwc_issuer_url(), &emulator.siwc_api_url())
        .unwrap()
}

/// A state with the real flows (no browser opened), over `store`, sharing `registrations`.
fn new_state(
    cx: &mut TestAppContext,
    emulator: &Emulator,
    store: Arc<dyn CredentialStore>,
    registrations: &Registrations,
    policy: RefreshPolicy,
) -> Entity<State> {
    let registrations = registrations.clone();
    build_state(cx, emulator, store, policy, move |state| {
        state.with_registrations(registrations)
    })
}

/// [`new_state`], with the registration where the store keeps it (beside a file store).
fn new_state_keeping_registrations(
    cx: &mut TestAppContext,
    emulator: &Emulator,
    store: Arc<dyn CredentialStore>,
    policy: RefreshPolicy,
) -> Entity<State> {
    build_state(cx, emulator, store, policy, |state| state)
}

fn build_state(
    cx: &mut TestAppContext,
    emulator: &Emulator,
    store: Arc<dyn CredentialStore>,
    policy: RefreshPolicy,
    registrations: impl FnOnce(State) -> State + 'static,
) -> Entity<State> {
    support::allow_parking(cx);
    let config = config(emulator);
    let http = ReqwestHttpClient::new(&config.user_agent()).unwrap();
    let flows = OAuthSignIn {
        callback: CallbackServerOptions {
            ports: vec![0],
            ..CallbackServerOptions::default()
        },
        browser: BrowserLaunch::Manual,
        ..OAuthSignIn::new(config.clone(), http.clone())
    };
    let state = cx.new(|cx| {
        registrations(
            State::new(config, store, http, cx)
                .with_sign_in_flows(flows)
                .with_policy(policy),
        )
    });
    cx.run_until_parked();
    state
}

fn policy() -> RefreshPolicy {
    RefreshPolicy {
        timeout: Duration::from_secs(3600),
        reuse_polls: 2,
        reuse_poll_interval: Duration::from_millis(50),
        ..RefreshPolicy::default()
    }
}

/// Runs the executor (and the fake clock, by `tick`) until `condition` holds; bounded.
fn run_until(cx: &mut TestAppContext, state: &Entity<State>, condition: impl Fn(&State) -> bool) {
    for _ in 0..2000 {
        cx.run_until_parked();
        if state.read_with(cx, |state, _| condition(state)) {
            return;
        }
        cx.executor().advance_clock(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "the state never got there: {:?}",
        state.read_with(cx, |s, _| format!("{s:?}"))
    );
}

/// Drives `task` to completion, advancing the fake clock; bounded.
fn finish<T>(cx: &mut TestAppContext, task: Task<T>) -> T {
    let mut task = Box::pin(task);
    for _ in 0..2000 {
        cx.run_until_parked();
        if let Some(output) = task.as_mut().now_or_never() {
            return output;
        }
        cx.executor().advance_clock(Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the task did not finish");
}

/// Starts an official sign-in, plays the browser, and waits until it has ended (signed in or
/// not). Answers the callback page's status.
async fn sign_in(cx: &mut TestAppContext, emulator: &Emulator, state: &Entity<State>) -> u16 {
    state.update(cx, |state, cx| {
        state.sign_in(SignInMethod::SignInWithChatGpt, cx)
    });
    run_until(cx, state, |state| {
        matches!(
            state.auth_state(),
            AuthState::SigningIn {
                progress: SignInProgress::WaitingForBrowser { .. },
                ..
            } | AuthState::SignedOut
        )
    });
    let authorize_url = state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SigningIn {
            progress: SignInProgress::WaitingForBrowser { authorize_url },
            ..
        } => authorize_url.clone(),
        other => panic!(
            "not waiting for the browser: {other:?} {:?}",
            state.last_error()
        ),
    });
    let visit = emulator
        .visit_in_browser(authorize_url.as_str())
        .await
        .unwrap();
    run_until(cx, state, |state| {
        !matches!(state.auth_state(), AuthState::SigningIn { .. })
    });
    visit.callback_status.unwrap_or(visit.authorize_status)
}

fn requests(emulator: &Emulator, path_end: &str) -> Vec<SiwcRecordedRequest> {
    emulator
        .siwc_requests()
        .into_iter()
        .filter(|request| request.path.ends_with(path_end))
        .collect()
}

fn last_authorize(emulator: &Emulator) -> SiwcRecordedRequest {
    requests(emulator, "/api/accounts/authorize")
        .into_iter()
        .rfind(|request| request.method == "GET")
        .expect("an authorize request")
}

fn stored(store: &MemoryStore) -> Option<StoredCredentials> {
    store.current()
}

fn last_error(cx: &mut TestAppContext, state: &Entity<State>) -> Option<AuthError> {
    state.read_with(cx, |state, _| state.last_error().cloned())
}

// ---------------------------------------------------------------------------------------------
// First registration, return, sign-out

#[gpui::test]
async fn first_registration_sends_every_parameter_and_stores_the_official_sign_in(
    cx: &mut TestAppContext,
) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let registrations = Registrations::in_memory();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &registrations,
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    assert!(state.read_with(cx, |state, _| state.is_signed_in()));

    let authorize = last_authorize(&emulator);
    let param = |name: &str| authorize.query_param(name).map(str::to_string);
    assert_eq!(param("client_id").as_deref(), Some("dynamic_agent_client"));
    assert_eq!(param("agent_name_hint").as_deref(), Some("Zed"));
    let host_id = param("ext_agent_host_id").unwrap();
    assert!(host_id.starts_with("urn:uuid:"), "{host_id}");
    let redirect = url::Url::parse(&param("redirect_uri").unwrap()).unwrap();
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    assert_eq!(redirect.path(), "/auth/callback");
    assert_ne!(redirect.port(), Some(1455));
    assert_eq!(
        param("scope").as_deref(),
        Some("openid profile email offline_access resource.invoke chatgpt.tokens.use.direct")
    );
    assert_eq!(
        param("resource"),
        Some(openai_subscribed::siwc::RESOURCE.to_string())
    );
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert!(param("state").is_some_and(|state| state.len() >= 43));
    assert!(param("nonce").is_some_and(|nonce| nonce.len() >= 43));
    assert_eq!(param("id_token_hint"), None);
    assert_eq!(param("prompt"), None);

    // The exchange: the issued id, the same redirect URI, the resource.
    let issued = emulator.siwc_stats().issued_client_ids;
    assert_eq!(issued.len(), 1);
    let exchange = requests(&emulator, "/oauth/token").pop().unwrap();
    assert_eq!(
        exchange.form_field("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(exchange.form_field("client_id"), Some(issued[0].clone()));
    assert_eq!(
        exchange.form_field("redirect_uri"),
        Some(redirect.to_string())
    );
    assert_eq!(
        exchange.form_field("resource"),
        Some(openai_subscribed::siwc::RESOURCE.to_string())
    );

    // The stored record says the route and keeps the registration, not the ID token.
    let record = stored(&store).expect("stored");
    assert_eq!(record.route, Route::SignInWithChatGpt);
    let session = record.official.clone().unwrap();
    assert_eq!(session.client_id, issued[0]);
    assert_eq!(session.subject, "user-fake-1");
    assert_eq!(session.plan_use, PlanUse::Granted);
    assert_eq!(record.email.as_deref(), Some("dev@example.invalid"));
    assert!(!String::from_utf8_lossy(&record.encode()).contains("id_token"));
    assert!(
        record.encode().len() <= openai_subscribed::credentials::MAX_RECORD_BYTES,
        "{}",
        record.encode().len()
    );
    // The registration (host id, issued id, ID token for the next hint) is kept beside it.
    let account = registrations
        .account(&emulator.siwc_issuer_url())
        .unwrap()
        .unwrap();
    assert_eq!(account.client_id, issued[0]);
    assert!(account.id_token.is_some());
    assert_eq!(registrations.host_id().unwrap(), host_id);
    assert_eq!(
        state.read_with(cx, |state, _| state.plan_use()),
        Some(PlanUse::Granted)
    );
}

#[gpui::test]
async fn sign_out_revokes_and_a_return_uses_the_issued_id_and_hints(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let registrations = Registrations::in_memory();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &registrations,
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    let first = last_authorize(&emulator);
    let record = stored(&store).unwrap();
    let issued = record.official.clone().unwrap().client_id;

    // Sign-out: revoked at the discovered endpoint with the issued id, forgotten locally.
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx));
    let revocation = finish(cx, sign_out).unwrap();
    assert_eq!(
        revocation,
        openai_subscribed::auth::revoke::Revocation::Revoked
    );
    let revoke = requests(&emulator, "/oauth/revoke").pop().unwrap();
    assert_eq!(
        revoke.form_field("token").as_deref(),
        Some(record.refresh_token.secret())
    );
    assert_eq!(
        revoke.form_field("token_type_hint").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(revoke.form_field("client_id"), Some(issued.clone()));
    assert_eq!(emulator.siwc_stats().refresh_tokens_revoked, 1);
    assert_eq!(stored(&store), None);
    // The registration survives; its ID token (the hint) does not.
    let account = registrations
        .account(&emulator.siwc_issuer_url())
        .unwrap()
        .unwrap();
    assert_eq!(account.client_id, issued);
    assert_eq!(account.id_token, None);

    // Back again: the issued id, no name hint, the same host, the email as login hint.
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    let again = last_authorize(&emulator);
    assert_eq!(again.query_param("client_id"), Some(issued.as_str()));
    assert_eq!(again.query_param("agent_name_hint"), None);
    assert_eq!(
        again.query_param("ext_agent_host_id"),
        first.query_param("ext_agent_host_id")
    );
    assert_eq!(again.query_param("login_hint"), Some("dev@example.invalid"));
    assert_eq!(again.query_param("id_token_hint"), None);
    assert_ne!(again.query_param("state"), first.query_param("state"));
    assert_ne!(again.query_param("nonce"), first.query_param("nonce"));
    assert_eq!(emulator.siwc_stats().issued_client_ids.len(), 1);
    assert_eq!(stored(&store).unwrap().official.unwrap().client_id, issued);
}

#[gpui::test]
async fn a_failed_revocation_still_signs_out(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &Registrations::in_memory(),
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    emulator.inject_siwc(SiwcFault::RevokeUnavailable);
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx));
    let revocation = finish(cx, sign_out).unwrap();
    assert!(
        matches!(
            revocation,
            openai_subscribed::auth::revoke::Revocation::Failed(_)
        ),
        "{revocation:?}"
    );
    assert_eq!(stored(&store), None);
    assert!(!state.read_with(cx, |state, _| state.is_signed_in()));
}

// ---------------------------------------------------------------------------------------------
// Refresh

fn current_tokens(cx: &mut TestAppContext, state: &Entity<State>) -> (String, String) {
    state.read_with(cx, |state, _| match state.auth_state() {
        AuthState::SignedIn { credentials, .. } => (
            credentials.access_token.secret().to_string(),
            credentials.refresh_token.secret().to_string(),
        ),
        other => panic!("not signed in: {other:?}"),
    })
}

#[gpui::test]
async fn refresh_rotates_and_a_reused_token_ends_the_sign_in_in_words(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let registrations = Registrations::in_memory();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &registrations,
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    let before = stored(&store).unwrap();
    let (access, refresh) = current_tokens(cx, &state);

    // A 401 from the API: one refresh, rotated, stored.
    let rejected = openai_subscribed::secret::AccessToken::new(&access);
    let renewed = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let renewed = finish(cx, renewed).unwrap();
    assert_ne!(renewed.access_token.secret(), access);
    let stats = emulator.siwc_stats();
    assert_eq!((stats.refreshes, stats.rotations), (1, 1));
    let sent = requests(&emulator, "/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_field("grant_type").as_deref(),
        Some("refresh_token")
    );
    assert_eq!(
        sent.form_field("client_id"),
        Some(before.official.clone().unwrap().client_id)
    );
    assert_eq!(
        sent.form_field("resource"),
        Some(openai_subscribed::siwc::RESOURCE.to_string())
    );
    assert_eq!(sent.form_field("scope"), None);
    let after = stored(&store).unwrap();
    assert_ne!(after.refresh_token.secret(), refresh);
    assert_eq!(current_tokens(cx, &state).1, after.refresh_token.secret());
    assert_eq!(after.route, Route::SignInWithChatGpt);
    assert_eq!(after.official, before.official);

    // Another copy of the sign-in still holding the spent refresh token: refused as reused, and
    // the sign-in ends with words.
    let stale_store = MemoryStore::with(&before);
    let stale = new_state(
        cx,
        &emulator,
        Arc::new(stale_store.clone()),
        &registrations,
        policy(),
    );
    let rejected = before.access_token.clone();
    let refused = stale.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let error = finish(cx, refused).unwrap_err();
    assert_eq!(error, AuthError::SessionEnded(PermanentReason::Reused));
    assert_eq!(
        error.to_string(),
        "Your ChatGPT session has ended; sign in again."
    );
    assert!(!stale.read_with(cx, |state, _| state.is_signed_in()));
    cx.run_until_parked();
    assert_eq!(stale_store.current(), None);

    // Signing in again after the session ended sends the retained ID token as a hint.
    assert_eq!(sign_in(cx, &emulator, &stale).await, 200);
    let again = last_authorize(&emulator);
    assert!(again.query_param("id_token_hint").is_some());
    assert_eq!(again.query_param("login_hint"), Some("dev@example.invalid"));
}

#[gpui::test]
async fn terminal_refresh_codes_end_the_sign_in_and_transient_ones_keep_it(
    cx: &mut TestAppContext,
) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &Registrations::in_memory(),
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);

    emulator.inject_siwc(SiwcFault::TokenUnavailable);
    let (access, _) = current_tokens(cx, &state);
    let rejected = openai_subscribed::secret::AccessToken::new(&access);
    let refused = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let error = finish(cx, refused).unwrap_err();
    assert!(matches!(error, AuthError::RenewalFailed(_)), "{error:?}");
    assert!(state.read_with(cx, |state, _| state.is_signed_in()));
    assert!(stored(&store).is_some());

    emulator.inject_siwc(SiwcFault::TokenError {
        status: 400,
        code: "invalid_refresh_token".into(),
    });
    let refused = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let error = finish(cx, refused).unwrap_err();
    assert_eq!(
        error,
        AuthError::SessionEnded(PermanentReason::InvalidGrant)
    );
    assert!(!state.read_with(cx, |state, _| state.is_signed_in()));
    cx.run_until_parked();
    assert_eq!(stored(&store), None);
}

#[gpui::test]
async fn a_refresh_without_scope_or_id_token_keeps_plan_use_and_identity(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &Registrations::in_memory(),
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    emulator.inject_siwc(SiwcFault::RefreshWithoutScopeOrIdToken);
    let (access, _) = current_tokens(cx, &state);
    let rejected = openai_subscribed::secret::AccessToken::new(&access);
    let renewed = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    finish(cx, renewed).unwrap();
    let record = stored(&store).unwrap();
    assert_eq!(record.official.unwrap().plan_use, PlanUse::Granted);
    assert_eq!(record.email.as_deref(), Some("dev@example.invalid"));
}

#[gpui::test]
async fn a_renewed_id_token_naming_another_user_ends_the_sign_in(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &Registrations::in_memory(),
        policy(),
    );
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    emulator.inject_siwc(SiwcFault::IdTokenDifferentSub);
    let (access, _) = current_tokens(cx, &state);
    let rejected = openai_subscribed::secret::AccessToken::new(&access);
    let refused = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let error = finish(cx, refused).unwrap_err();
    assert_eq!(
        error,
        AuthError::SessionEnded(PermanentReason::UntrustedIdentity)
    );
    cx.run_until_parked();
    assert_eq!(stored(&store), None);
}

#[gpui::test]
async fn two_states_sharing_a_file_store_send_one_refresh(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.json");
    let first =
        new_state_keeping_registrations(cx, &emulator, Arc::new(FileStore::new(&path)), policy());
    assert_eq!(sign_in(cx, &emulator, &first).await, 200);
    // The registration file sits beside the credentials file, private to the user.
    let registration = dir.path().join("credentials.json.siwc-registration.json");
    assert!(registration.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&registration)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let second =
        new_state_keeping_registrations(cx, &emulator, Arc::new(FileStore::new(&path)), policy());
    assert!(second.read_with(cx, |state, _| state.is_signed_in()));
    let (access, _) = current_tokens(cx, &first);
    let rejected = openai_subscribed::secret::AccessToken::new(&access);
    let one = first.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let two = second.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let both = cx.background_spawn(async move { (one.await, two.await) });
    let (one, two) = finish(cx, both);
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.access_token, two.access_token);
    assert_eq!(emulator.siwc_stats().refreshes, 1);
}

// ---------------------------------------------------------------------------------------------
// ID-token defects, consent, registration

#[gpui::test]
async fn each_id_token_defect_is_refused_with_its_words_and_nothing_is_stored(
    cx: &mut TestAppContext,
) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &Registrations::in_memory(),
        policy(),
    );
    for (fault, defect, words) in [
        (
            SiwcFault::IdTokenBadSignature,
            IdTokenDefect::Signature,
            "its signature does not match",
        ),
        (
            SiwcFault::IdTokenWrongIssuer,
            IdTokenDefect::Issuer,
            "issued by another server",
        ),
        (
            SiwcFault::IdTokenWrongAudience,
            IdTokenDefect::Audience,
            "issued to another app",
        ),
        (
            SiwcFault::IdTokenWrongNonce,
            IdTokenDefect::Nonce,
            "does not belong to this sign-in",
        ),
        (
            SiwcFault::IdTokenExpired,
            IdTokenDefect::Expired,
            "already expired",
        ),
        (
            SiwcFault::IdTokenFutureIat,
            IdTokenDefect::IssuedInFuture,
            "issued in the future",
        ),
    ] {
        emulator.inject_siwc(fault.clone());
        let status = sign_in(cx, &emulator, &state).await;
        assert_ne!(status, 200, "{fault:?}");
        let error = last_error(cx, &state).unwrap();
        assert_eq!(
            error,
            AuthError::SignIn(OAuthError::SignInWithChatGpt(SiwcError::IdToken(
                defect.clone()
            ))),
            "{fault:?}"
        );
        let text = error.to_string();
        assert!(text.contains(words), "{fault:?}: {text}");
        assert!(text.contains("Nothing was stored"), "{text}");
        assert_eq!(stored(&store), None, "{fault:?}");
        assert!(!state.read_with(cx, |state, _| state.is_signed_in()));
    }

    // A returning account whose ID token names another user.
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx));
    finish(cx, sign_out).unwrap();
    emulator.inject_siwc(SiwcFault::IdTokenDifferentSub);
    assert_ne!(sign_in(cx, &emulator, &state).await, 200);
    assert_eq!(
        last_error(cx, &state),
        Some(AuthError::SignIn(OAuthError::SignInWithChatGpt(
            SiwcError::IdToken(IdTokenDefect::DifferentUser)
        )))
    );
    assert_eq!(stored(&store), None);

    // Keys that cannot be had: refused, nothing stored.
    emulator.inject_siwc(SiwcFault::JwksUnavailable);
    assert_ne!(sign_in(cx, &emulator, &state).await, 200);
    assert!(matches!(
        last_error(cx, &state),
        Some(AuthError::SignIn(OAuthError::SignInWithChatGpt(
            SiwcError::Keys(_)
        )))
    ));
    assert_eq!(stored(&store), None);
}

#[gpui::test]
async fn declined_plan_use_and_identity_only_consent(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &Registrations::in_memory(),
        policy(),
    );

    emulator.set_siwc_consent(SiwcConsent::Decline);
    assert_eq!(sign_in(cx, &emulator, &state).await, 403);
    let error = last_error(cx, &state).unwrap();
    assert_eq!(
        error,
        AuthError::SignIn(OAuthError::SignInWithChatGpt(SiwcError::PlanUseDeclined))
    );
    assert!(
        error.to_string().contains("sign in again and allow"),
        "{error}"
    );
    assert_eq!(emulator.siwc_stats().code_exchanges, 0);
    assert_eq!(stored(&store), None);

    // Identity only: signed in, plan use off, said how to turn it on.
    emulator.set_siwc_consent(SiwcConsent::IdentityOnly);
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    assert!(state.read_with(cx, |state, _| state.is_signed_in()));
    assert_eq!(
        state.read_with(cx, |state, _| state.plan_use()),
        Some(PlanUse::NotGranted)
    );
    assert!(
        PlanUse::NotGranted
            .sentence()
            .contains("sign in again and allow")
    );
    let record = stored(&store).unwrap();
    assert_eq!(record.official.unwrap().plan_use, PlanUse::NotGranted);

    // Turning it on: the next sign-in asks for consent again.
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx));
    finish(cx, sign_out).unwrap();
    emulator.set_siwc_consent(SiwcConsent::Approve);
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    assert_eq!(
        last_authorize(&emulator).query_param("prompt"),
        Some("consent")
    );
    assert_eq!(
        state.read_with(cx, |state, _| state.plan_use()),
        Some(PlanUse::Granted)
    );
}

#[gpui::test]
async fn a_registration_without_an_issued_id_is_incomplete_and_the_id_is_saved_before_the_exchange(
    cx: &mut TestAppContext,
) {
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let registrations = Registrations::in_memory();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &registrations,
        policy(),
    );
    emulator.inject_siwc(SiwcFault::OmitClientIdOnFirstSignIn);
    assert_ne!(sign_in(cx, &emulator, &state).await, 200);
    assert_eq!(
        last_error(cx, &state),
        Some(AuthError::SignIn(OAuthError::SignInWithChatGpt(
            SiwcError::RegistrationIncomplete
        )))
    );
    assert_eq!(emulator.siwc_stats().code_exchanges, 0);

    // A failed exchange keeps the issued id: the retry re-authorizes with it.
    emulator.inject_siwc(SiwcFault::TokenError {
        status: 400,
        code: "invalid_grant".into(),
    });
    assert_ne!(sign_in(cx, &emulator, &state).await, 200);
    assert_eq!(stored(&store), None);
    let issued = emulator.siwc_stats().issued_client_ids;
    let saved = registrations
        .account(&emulator.siwc_issuer_url())
        .unwrap()
        .unwrap();
    assert_eq!(Some(&saved.client_id), issued.last());
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    assert_eq!(
        last_authorize(&emulator).query_param("client_id"),
        Some(saved.client_id.as_str())
    );
    assert_eq!(emulator.siwc_stats().issued_client_ids, issued);

    // A return naming another client id is refused; the saved registration stays.
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx));
    finish(cx, sign_out).unwrap();
    emulator.inject_siwc(SiwcFault::DifferentClientIdOnReauthorization);
    assert_ne!(sign_in(cx, &emulator, &state).await, 200);
    assert_eq!(
        last_error(cx, &state),
        Some(AuthError::SignIn(OAuthError::SignInWithChatGpt(
            SiwcError::ClientMismatch
        )))
    );
    assert_eq!(
        registrations
            .account(&emulator.siwc_issuer_url())
            .unwrap()
            .unwrap()
            .client_id,
        saved.client_id
    );
}

#[gpui::test]
async fn an_invalid_client_at_registration_is_not_eligible(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(MemoryStore::new()),
        &Registrations::in_memory(),
        policy(),
    );
    emulator.inject_siwc(SiwcFault::TokenError {
        status: 401,
        code: "invalid_client".into(),
    });
    assert_ne!(sign_in(cx, &emulator, &state).await, 200);
    let error = last_error(cx, &state).unwrap();
    assert!(
        matches!(
            &error,
            AuthError::SignIn(OAuthError::SignInWithChatGpt(error)) if error.is_not_eligible()
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets

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
async fn no_code_verifier_nonce_or_token_reaches_a_log_line_debug_or_error(
    cx: &mut TestAppContext,
) {
    let logger = capturing_logger();
    let emulator = Emulator::start().unwrap();
    let store = MemoryStore::new();
    let registrations = Registrations::in_memory();
    let state = new_state(
        cx,
        &emulator,
        Arc::new(store.clone()),
        &registrations,
        policy(),
    );
    let mut shown = Vec::new();
    // A sign-in refused for its ID token, then one that works, a refresh and a sign-out.
    emulator.inject_siwc(SiwcFault::IdTokenWrongNonce);
    sign_in(cx, &emulator, &state).await;
    shown.push(last_error(cx, &state).unwrap().to_string());
    shown.push(format!("{:?}", last_error(cx, &state)));
    assert_eq!(sign_in(cx, &emulator, &state).await, 200);
    shown.push(state.read_with(cx, |state, _| format!("{state:?}")));
    shown.push(format!("{:?}", store.current()));
    shown.push(format!("{registrations:?}"));
    shown.push(format!(
        "{:?}",
        registrations.account(&emulator.siwc_issuer_url()).unwrap()
    ));
    let (access, _) = current_tokens(cx, &state);
    let rejected = openai_subscribed::secret::AccessToken::new(&access);
    let renewed = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    finish(cx, renewed).unwrap();
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx));
    finish(cx, sign_out).unwrap();

    let mut secrets = Vec::new();
    for request in emulator.siwc_requests() {
        for name in ["nonce", "state", "id_token_hint"] {
            secrets.extend(
                request
                    .query_param(name)
                    .map(|value| (name, value.to_string())),
            );
        }
        for name in ["code", "code_verifier", "refresh_token", "token"] {
            secrets.extend(request.form_field(name).map(|value| (name, value)));
        }
    }
    secrets.push(("access_token", access));
    assert!(secrets.len() >= 8, "{}", secrets.len());
    // The emulator's browser logs (through the same HTTP library) the redirect to the callback
    // it declines to follow: that URL carries the code and state, as in any browser. Those lines
    // are the browser's, not this crate's.
    let logged = logger
        .0
        .lock()
        .iter()
        .filter(|line| !line.contains("redirect policy disallowed"))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!logged.is_empty());
    for (name, secret) in secrets.iter().filter(|(_, secret)| secret.len() >= 16) {
        let leaked: Vec<&str> = logged
            .lines()
            .filter(|line| line.contains(secret.as_str()))
            .map(|line| line.get(..60).unwrap_or(line))
            .collect();
        assert!(leaked.is_empty(), "the {name} reached the log: {leaked:?}");
        for text in &shown {
            assert!(
                !text.contains(secret.as_str()),
                "the {name} reached what is shown"
            );
        }
    }
}
