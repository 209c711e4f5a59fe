//! [`State`]: who is signed in, as one gpui entity holding one [`AuthState`].
//!
//! The provider, its configuration view and the command line all read this entity and call its
//! methods; it notifies observers on every change. Its rules:
//!
//! - **One enum, no loose flags.** [`AuthState`] is `Loading`, `SignedOut`, `SigningIn` (with the
//!   flow's task) or `SignedIn` (with the tokens and the shared refresh, if one runs), plus the last
//!   error to show. Nothing can be "signed in and signing in" at once.
//! - **Generations.** A counter bumped by every sign-in, sign-out and session end. Every task
//!   remembers the generation it started in and drops its result if the counter moved: a refresh
//!   that finishes after a sign-out never brings the credentials back, in memory or in the store.
//! - **One refresh.** All callers of [`State::get_fresh_credentials`] during a refresh await the
//!   same shared task; the procedure itself is [`super::renew`].
//! - **Store operations one at a time** (an async lock), so a sign-out's delete cannot overtake a
//!   refresh's write that started before it.
//! - **A sent refresh is finished.** Every renewal is tracked app-wide ([`super::in_flight`])
//!   until it ends, even after a sign-out drops this state's handle on it; the command line
//!   waits for them before it quits, and the app's quit hook keeps the answers of those still
//!   waiting for the issuer ([`super::quit_journal`]), which the next load stores.

use super::error::AuthError;
use super::policy::RefreshPolicy;
use super::renew::{RenewFailed, Renewal, Renewed, Standing};
use super::revoke::revoke_tokens;
use super::sign_in::{
    OAuthSignIn, OfficialSignIn, ProgressReporter, SignInFlows, SignInMethod, SignInProgress,
};
use crate::backend_request::BackendAuth;
use crate::config::Config;
use crate::credentials::{CredentialStore, StoredCredentials};
use crate::oauth::{IdentityClaims, TokenSet};
use crate::secret::AccessToken;
use chrono::Utc;
use futures::future::Shared;
use futures::{FutureExt as _, StreamExt as _};
use gpui::{AppContext as _, AsyncApp, Context, Task, WeakEntity};
use http_client::HttpClient;
use language_model::AuthenticateError;
use std::rc::Rc;
use std::sync::Arc;

/// The result every caller of one refresh receives.
pub(crate) type RefreshResult = Result<TokenSet, AuthError>;

/// How long sign-out waits for the issuer to confirm the revocation (best effort).
const REVOKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A refresh shared by all its waiters.
pub(crate) type SharedRefresh = Shared<Task<RefreshResult>>;

/// Where the sign-in stands.
pub enum AuthState {
    /// The stored credentials are being read (at start-up).
    Loading,
    /// Nobody is signed in.
    SignedOut,
    /// A sign-in flow is running; dropping this state drops `task`, which cancels the flow and
    /// releases its callback port.
    SigningIn {
        /// How.
        method: SignInMethod,
        /// What the user should do now.
        progress: SignInProgress,
        /// The flow and the storing of its result.
        task: Task<()>,
    },
    /// Signed in.
    SignedIn {
        /// The current tokens.
        credentials: TokenSet,
        /// The refresh in progress, shared by everyone waiting for fresh credentials.
        refresh: Option<SharedRefresh>,
    },
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Loading => f.write_str("Loading"),
            Self::SignedOut => f.write_str("SignedOut"),
            Self::SigningIn {
                method, progress, ..
            } => f
                .debug_struct("SigningIn")
                .field("method", method)
                .field("progress", progress)
                .finish_non_exhaustive(),
            Self::SignedIn {
                credentials,
                refresh,
            } => f
                .debug_struct("SignedIn")
                .field("credentials", credentials)
                .field("refreshing", &refresh.is_some())
                .finish(),
        }
    }
}

/// The auth state machine. Create it with `cx.new(|cx| State::new(config, store, http, cx))`.
pub struct State {
    auth: AuthState,
    last_error: Option<AuthError>,
    generation: u64,
    renewal: Renewal,
    sign_in_flows: Rc<dyn SignInFlows>,
    /// The official route's host id and registered account, beside the store (see
    /// [`crate::siwc::registration`]).
    registrations: crate::siwc::Registrations,
    loaded: Shared<Task<()>>,
    /// gpui's quit hook: keeps the answers of renewals still waiting for the issuer
    /// ([`super::in_flight::keep_answers_at_quit`]; the next start stores them). The command line
    /// does not rely on it: it waits (up to 90 s) for renewals and their store writes before
    /// asking gpui to quit.
    _keep_renewal_answers_on_quit: gpui::Subscription,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("auth", &self.auth)
            .field("last_error", &self.last_error)
            .field("generation", &self.generation)
            .field("store", &self.renewal.store.name())
            .finish_non_exhaustive()
    }
}

impl State {
    /// A state that starts by loading the stored credentials from `store`. Sign-in uses the real
    /// OAuth flows ([`OAuthSignIn`]); see [`State::with_sign_in_flows`] to replace them.
    pub fn new(
        config: Config,
        store: Arc<dyn CredentialStore>,
        http: Arc<dyn HttpClient>,
        cx: &mut Context<Self>,
    ) -> Self {
        let load = cx.spawn({
            let store = store.clone();
            async move |this: WeakEntity<Self>, cx: &mut AsyncApp| {
                // A renewal the app quit during (its answer kept at quit) is stored first.
                super::renew::recover_quit_journal(&*store, RefreshPolicy::default().lock_wait, cx)
                    .await;
                let stored = store.read(cx).await;
                // A record of an older format loads, and is rewritten in today's shape once.
                if let Ok(Some(record)) = &stored
                    && record.needs_rewrite()
                {
                    match store.write(record.clone(), cx).await {
                        Ok(()) => {
                            log::info!("rewrote the stored ChatGPT sign-in in today's format")
                        }
                        Err(error) => log::warn!("could not rewrite the stored sign-in: {error:#}"),
                    }
                }
                this.update(cx, |state, cx| state.finish_load(stored, cx))
                    .ok();
            }
        });
        // Shared stores keep the registration beside their refresh lock; a memory store keeps it
        // for this state's life.
        let registrations = match store.refresh_lock() {
            Some(lock) => crate::siwc::Registrations::beside_lock(lock.path()),
            None => crate::siwc::Registrations::in_memory(),
        };
        Self {
            auth: AuthState::Loading,
            last_error: None,
            generation: 0,
            sign_in_flows: Rc::new(OAuthSignIn::new(config.clone(), http.clone())),
            registrations,
            renewal: Renewal {
                store,
                store_lock: Arc::default(),
                official: crate::siwc::OfficialIssuer::new(config.clone(), http.clone()),
                http,
                config,
                policy: RefreshPolicy::default(),
            },
            loaded: load.shared(),
            _keep_renewal_answers_on_quit: cx.on_app_quit(|_, cx| {
                super::in_flight::keep_answers_at_quit(cx);
                futures::future::ready(())
            }),
        }
    }

    /// Replaces the renewal timing rules.
    pub fn with_policy(mut self, policy: RefreshPolicy) -> Self {
        self.renewal.policy = policy;
        self
    }

    /// Replaces how sign-in flows are started (tests, or a host with its own flows).
    pub fn with_sign_in_flows(mut self, flows: impl SignInFlows) -> Self {
        self.sign_in_flows = Rc::new(flows);
        self
    }

    /// Replaces where the official route's host id and registration are kept.
    pub fn with_registrations(mut self, registrations: crate::siwc::Registrations) -> Self {
        self.registrations = registrations;
        self
    }

    /// Where the official route's host id and registration are kept.
    pub fn registrations(&self) -> &crate::siwc::Registrations {
        &self.registrations
    }

    /// The route of the signed-in account.
    pub fn route(&self) -> Option<crate::route::Route> {
        match &self.auth {
            AuthState::SignedIn { credentials, .. } => Some(credentials.route()),
            _ => None,
        }
    }

    /// On the official route, whether the user let this app use their plan (siwc.md §5.1).
    pub fn plan_use(&self) -> Option<crate::siwc::PlanUse> {
        match &self.auth {
            AuthState::SignedIn { credentials, .. } => credentials
                .official
                .as_ref()
                .map(|session| session.plan_use),
            _ => None,
        }
    }

    /// Where the sign-in stands.
    pub fn auth_state(&self) -> &AuthState {
        &self.auth
    }

    /// True once credentials are loaded or obtained.
    pub fn is_signed_in(&self) -> bool {
        matches!(self.auth, AuthState::SignedIn { .. })
    }

    /// True while the stored credentials are being read.
    pub fn is_loading(&self) -> bool {
        matches!(self.auth, AuthState::Loading)
    }

    /// Who is signed in (email, account, plan), for display.
    pub fn account(&self) -> Option<&IdentityClaims> {
        match &self.auth {
            AuthState::SignedIn { credentials, .. } => Some(&credentials.identity),
            _ => None,
        }
    }

    /// The access token in use, if signed in: what was opened with another one (the WebSocket
    /// transport's sockets) must close. Compare tokens, not expiries: two tokens issued within
    /// the same second expire at the same second.
    pub fn access_token(&self) -> Option<&AccessToken> {
        match &self.auth {
            AuthState::SignedIn { credentials, .. } => Some(&credentials.access_token),
            _ => None,
        }
    }

    /// When the current access token expires (it is renewed five minutes before), for display.
    pub fn expires_at(&self) -> Option<chrono::DateTime<Utc>> {
        match &self.auth {
            AuthState::SignedIn { credentials, .. } => Some(credentials.expires_at),
            _ => None,
        }
    }

    /// The last error to show the user, cleared by a successful sign-in or a sign-out.
    pub fn last_error(&self) -> Option<&AuthError> {
        self.last_error.as_ref()
    }

    /// The generation counter (bumped by every sign-in, sign-out and session end).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The store's name, for messages ("keychain", "credentials file …").
    pub fn store_name(&self) -> String {
        self.renewal.store.name()
    }

    /// Waits for the stored credentials to load, then answers signed in or
    /// [`AuthenticateError::CredentialsNotFound`] (what Zed calls at start-up).
    pub fn authenticate(&mut self, cx: &mut Context<Self>) -> Task<Result<(), AuthenticateError>> {
        let loaded = self.loaded.clone();
        cx.spawn(async move |this, cx| {
            loaded.await;
            let signed_in = this.read_with(cx, |state, _| state.is_signed_in())?;
            if signed_in {
                Ok(())
            } else {
                Err(AuthenticateError::CredentialsNotFound)
            }
        })
    }

    /// Starts signing in with `method`. Does nothing while a sign-in runs (a second click must not
    /// start a second listener) or while signed in (switching accounts means signing out first).
    /// Started while the stored credentials are still loading, it wins: the load's result is
    /// dropped. The tokens are stored before the state says "signed in"; if storing fails, the
    /// sign-in ends with [`AuthError::Store`] shown, never a stuck "signing in".
    pub fn sign_in(&mut self, method: SignInMethod, cx: &mut Context<Self>) {
        if !matches!(self.auth, AuthState::SignedOut | AuthState::Loading) {
            log::debug!("sign-in requested while {:?}; ignored", self.auth);
            return;
        }
        let generation = self.next_generation();
        self.last_error = None;
        let (reporter, mut reports) = ProgressReporter::channel();
        let flow = match method {
            SignInMethod::SignInWithChatGpt => {
                let official = OfficialSignIn {
                    issuer: self.renewal.official.clone(),
                    registrations: self.registrations.clone(),
                };
                self.sign_in_flows.start_official(official, reporter, cx)
            }
            SignInMethod::Browser | SignInMethod::DeviceCode => {
                self.sign_in_flows.start(method, reporter, cx)
            }
        };
        let renewal = self.renewal.clone();
        let task = cx.spawn(async move |this, cx| {
            // Show each step the flow reports until it yields; a flow that stops reporting (it
            // dropped its reporter) just leaves the last step shown.
            let tokens = {
                let forward_progress = async {
                    while let Some(progress) = reports.next().await {
                        this.update(cx, |state, cx| state.set_progress(generation, progress, cx))
                            .ok();
                    }
                    futures::future::pending::<std::convert::Infallible>().await
                };
                futures::pin_mut!(forward_progress);
                match futures::future::select(flow, forward_progress).await {
                    futures::future::Either::Left((tokens, _)) => tokens,
                    futures::future::Either::Right((never, _)) => match never {},
                }
            };
            let outcome = match tokens {
                Ok(tokens)
                    if tokens.route() == crate::route::Route::CodexBackend
                        && tokens.identity.account_id.is_none() =>
                {
                    Err(AuthError::NoAccount)
                }
                Ok(tokens) => {
                    let _serial = renewal.store_lock.lock().await;
                    let current = this
                        .read_with(cx, |state, _| state.generation == generation)
                        .unwrap_or(false);
                    if !current {
                        return;
                    }
                    let record = StoredCredentials::from_token_set(&tokens);
                    match renewal.store.write(record, cx).await {
                        Ok(()) => Ok(tokens),
                        Err(error) => Err(AuthError::store(renewal.store.name(), &error)),
                    }
                }
                Err(error) => Err(AuthError::SignIn(error)),
            };
            this.update(cx, |state, cx| {
                state.finish_sign_in(generation, outcome, cx)
            })
            .ok();
        });
        self.auth = AuthState::SigningIn {
            method,
            progress: SignInProgress::Starting,
            task,
        };
        cx.notify();
    }

    /// Cancels a running sign-in (dropping its task releases the callback port).
    pub fn cancel_sign_in(&mut self, cx: &mut Context<Self>) {
        if matches!(self.auth, AuthState::SigningIn { .. }) {
            self.next_generation();
            self.auth = AuthState::SignedOut;
            cx.notify();
        }
    }

    /// Signs out: drops any sign-in or refresh, says `SignedOut` at once, deletes the store entry,
    /// and revokes the refresh token (RFC 7009) in the background, best effort. The UI never
    /// waits; the returned task ends once the entry is gone and the revocation has been answered
    /// (or has timed out), so a short-lived process can wait for both; it says how the
    /// revocation went, so that a failure can be told to the user.
    pub fn sign_out(
        &mut self,
        cx: &mut Context<Self>,
    ) -> Task<Result<super::revoke::Revocation, AuthError>> {
        use super::revoke::Revocation;
        self.next_generation();
        let previous = std::mem::replace(&mut self.auth, AuthState::SignedOut);
        self.last_error = None;
        // Revocation runs in the background (the state already says signed out), but the
        // returned task waits for it, bounded, so a command-line process does not exit first.
        let revocation = match &previous {
            AuthState::SignedIn { credentials, .. } => {
                let http = self.renewal.http.clone();
                let config = self.renewal.config.clone();
                let official = self.renewal.official.clone();
                let tokens = credentials.clone();
                let executor = cx.background_executor().clone();
                if tokens.official.is_some() {
                    // The registration survives sign-out; its ID token (the next
                    // `id_token_hint`) does not (siwc.md §1.3, §1.9).
                    let registrations = self.registrations.clone();
                    cx.background_spawn(async move {
                        if let Err(error) = registrations.forget_id_token() {
                            log::warn!("could not forget the saved ID token: {error:#}");
                        }
                    })
                    .detach();
                }
                Some(cx.background_spawn(async move {
                    let revoke = revoke_tokens(&*http, &config, &official, &tokens).fuse();
                    let deadline = executor.timer(REVOKE_TIMEOUT).fuse();
                    futures::pin_mut!(revoke, deadline);
                    futures::select_biased! {
                        result = revoke => match result {
                            Ok(()) => {
                                log::debug!("revoked the ChatGPT refresh token");
                                Revocation::Revoked
                            }
                            Err(error) => {
                                log::debug!("could not revoke the refresh token: {error:#}");
                                Revocation::Failed(crate::printable::one_line(
                                    &format!("{error:#}"),
                                    300,
                                ))
                            }
                        },
                        _ = deadline => {
                            log::debug!("revoking the refresh token timed out");
                            Revocation::Failed(format!(
                                "no answer within {} seconds",
                                REVOKE_TIMEOUT.as_secs()
                            ))
                        }
                    }
                }))
            }
            _ => None,
        };
        // Dropping the previous state drops the sign-in task or our handle on the refresh.
        drop(previous);
        cx.notify();
        let renewal = self.renewal.clone();
        cx.spawn(async move |_, cx| {
            let deleted = {
                let _serial = renewal.store_lock.lock().await;
                renewal
                    .store
                    .delete(cx)
                    .await
                    .map_err(|error| AuthError::StoreNotDeleted {
                        store: renewal.store.name(),
                        detail: format!("{error:#}"),
                    })
            };
            let revocation = match revocation {
                Some(revocation) => revocation.await,
                None => Revocation::NothingToRevoke,
            };
            deleted.map(|()| revocation)
        })
    }

    /// Credentials ready for a backend request, renewed first if fewer than five minutes remain.
    /// Concurrent callers share one refresh. Waits for the initial load.
    pub fn get_fresh_credentials(
        &mut self,
        cx: &mut Context<Self>,
    ) -> Task<Result<BackendAuth, AuthError>> {
        self.credentials_task(None, cx)
    }

    /// For a request the backend answered 401: renews once, unless the tokens already changed
    /// since `rejected` was handed out (then the current ones are returned). The caller retries
    /// its request once with the result.
    pub fn force_refresh(
        &mut self,
        rejected: &AccessToken,
        cx: &mut Context<Self>,
    ) -> Task<Result<BackendAuth, AuthError>> {
        self.credentials_task(Some(rejected.clone()), cx)
    }

    fn credentials_task(
        &mut self,
        rejected: Option<AccessToken>,
        cx: &mut Context<Self>,
    ) -> Task<Result<BackendAuth, AuthError>> {
        let refresh = match &self.auth {
            AuthState::Loading => {
                let loaded = self.loaded.clone();
                return cx.spawn(async move |this, cx| {
                    loaded.await;
                    let task = this
                        .update(cx, |state, cx| state.credentials_task(rejected, cx))
                        .map_err(|_| AuthError::NotSignedIn)?;
                    task.await
                });
            }
            AuthState::SignedOut | AuthState::SigningIn { .. } => {
                return Task::ready(Err(AuthError::NotSignedIn));
            }
            AuthState::SignedIn {
                refresh: Some(refresh),
                ..
            } => refresh.clone(),
            AuthState::SignedIn { credentials, .. } => {
                let stale = match &rejected {
                    Some(rejected) => credentials.access_token == *rejected,
                    None => {
                        credentials.expires_at.signed_duration_since(Utc::now())
                            <= self.renewal.policy.margin
                    }
                };
                if !stale {
                    return Task::ready(backend_auth(credentials));
                }
                self.start_refresh(cx)
            }
        };
        cx.spawn(async move |_, _| refresh.await.and_then(|tokens| backend_auth(&tokens)))
    }

    /// Starts the one shared refresh.
    fn start_refresh(&mut self, cx: &mut Context<Self>) -> SharedRefresh {
        let AuthState::SignedIn {
            credentials,
            refresh,
        } = &mut self.auth
        else {
            unreachable!("start_refresh is only called when signed in");
        };
        let generation = self.generation;
        let previous = credentials.clone();
        let renewal = self.renewal.clone();
        log::debug!("renewing the ChatGPT session");
        let running = super::in_flight::track(cx);
        let task = cx
            .spawn(async move |this, cx| {
                // Until this future is dropped, the renewal counts as in flight.
                let running = running;
                let standing = {
                    let this = this.clone();
                    move |cx: &AsyncApp| match this
                        .read_with(cx, |state, _| state.generation == generation)
                    {
                        Ok(true) => Standing::Current,
                        Ok(false) => Standing::SignedOut,
                        Err(_) => Standing::Released,
                    }
                };
                let outcome = renewal.run(previous.clone(), standing, &running, cx).await;
                let result = this
                    .update(cx, |state, cx| {
                        state.finish_refresh(generation, outcome, cx)
                    })
                    .unwrap_or(Err(AuthError::SignedOutMeanwhile));
                if let Err(AuthError::SessionEnded(_)) = &result {
                    renewal.forget_if_ours(&previous, cx).await;
                }
                result
            })
            .shared();
        *refresh = Some(task.clone());
        cx.notify();
        task
    }

    fn finish_load(
        &mut self,
        stored: anyhow::Result<Option<StoredCredentials>>,
        cx: &mut Context<Self>,
    ) {
        if !matches!(self.auth, AuthState::Loading) {
            return;
        }
        self.auth = match stored {
            Ok(Some(stored)) => {
                log::debug!("loaded a ChatGPT sign-in from the {}", self.store_name());
                AuthState::SignedIn {
                    credentials: stored.to_token_set(),
                    refresh: None,
                }
            }
            Ok(None) => AuthState::SignedOut,
            Err(error) => {
                log::warn!("could not read the {}: {error:#}", self.store_name());
                self.last_error = Some(AuthError::StoreUnreadable {
                    store: self.store_name(),
                    detail: format!("{error:#}"),
                });
                AuthState::SignedOut
            }
        };
        cx.notify();
    }

    fn set_progress(&mut self, generation: u64, new: SignInProgress, cx: &mut Context<Self>) {
        if generation != self.generation {
            return;
        }
        if let AuthState::SigningIn { progress, .. } = &mut self.auth {
            *progress = new;
            cx.notify();
        }
    }

    fn finish_sign_in(
        &mut self,
        generation: u64,
        outcome: Result<TokenSet, AuthError>,
        cx: &mut Context<Self>,
    ) {
        if generation != self.generation {
            return;
        }
        match outcome {
            Ok(credentials) => {
                log::info!("signed in to ChatGPT");
                self.auth = AuthState::SignedIn {
                    credentials,
                    refresh: None,
                };
                self.last_error = None;
            }
            Err(error) => {
                log::warn!("{error}");
                self.auth = AuthState::SignedOut;
                self.last_error = Some(error);
            }
        }
        cx.notify();
    }

    fn finish_refresh(
        &mut self,
        generation: u64,
        outcome: Result<Renewed, RenewFailed>,
        cx: &mut Context<Self>,
    ) -> RefreshResult {
        if generation != self.generation {
            return Err(AuthError::SignedOutMeanwhile);
        }
        let AuthState::SignedIn {
            credentials,
            refresh,
        } = &mut self.auth
        else {
            return Err(AuthError::SignedOutMeanwhile);
        };
        *refresh = None;
        let result = match outcome {
            Ok(Renewed::Adopted(tokens)) => {
                *credentials = tokens.clone();
                Ok(tokens)
            }
            Ok(Renewed::Refreshed {
                tokens,
                store_error,
            }) => {
                if let Some(error) = store_error {
                    // The issuer already rotated the refresh token: dropping the new tokens would
                    // sign the user out for nothing. Keep them, and say that they were not saved.
                    let error = AuthError::RenewalNotSaved {
                        store: self.renewal.store.name(),
                        detail: format!("{error:#}"),
                    };
                    log::warn!("{error}");
                    super::in_flight::set_unsaved(Some(error.clone()), cx);
                    self.last_error = Some(error);
                } else {
                    super::in_flight::set_unsaved(None, cx);
                }
                *credentials = tokens.clone();
                Ok(tokens)
            }
            Err(RenewFailed::Superseded) => Err(AuthError::SignedOutMeanwhile),
            Err(RenewFailed::SignedOutElsewhere) => {
                log::info!("signed out of ChatGPT in another process");
                self.next_generation();
                self.auth = AuthState::SignedOut;
                self.last_error = Some(AuthError::SignedOutElsewhere);
                Err(AuthError::SignedOutElsewhere)
            }
            Err(RenewFailed::Locked(error)) => Err(AuthError::RenewalLocked(error)),
            Err(RenewFailed::Refresh(error)) => {
                let error = AuthError::from(error);
                log::warn!("{error}");
                if error.needs_sign_in() {
                    // The session has ended: forget it here; the caller forgets the store entry.
                    self.next_generation();
                    self.auth = AuthState::SignedOut;
                    self.last_error = Some(error.clone());
                }
                Err(error)
            }
        };
        cx.notify();
        result
    }

    fn next_generation(&mut self) -> u64 {
        self.generation = self.generation.wrapping_add(1);
        self.generation
    }
}

/// The backend's view of a token set. An official-route sign-in names no ChatGPT account (its
/// API takes the bearer alone, siwc.md §4): its account id is empty.
fn backend_auth(tokens: &TokenSet) -> Result<BackendAuth, AuthError> {
    if tokens.official.is_some() {
        return Ok(BackendAuth {
            access_token: tokens.access_token.clone(),
            account_id: String::new(),
        });
    }
    Ok(BackendAuth {
        access_token: tokens.access_token.clone(),
        account_id: tokens
            .identity
            .account_id
            .clone()
            .ok_or(AuthError::NoAccount)?,
    })
}
