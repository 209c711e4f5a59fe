//! The provider's [`State`] entity: sign-in, models and usage limits in one place the host and
//! the configuration view observe.

use super::account_coordinator::{AccountCoordinator, RequestCoordination};
use super::account_set::{AccountChoice, AccountSet, MakeAuth};
use super::request_limiter::{ModelRequestLimiters, RequestLimiter};
use super::status::{ConfigurationStatus, status_of};
use super::usage_cache::UsageCache;
use crate::auth::{self, AuthError, BrowserLaunch, OAuthSignIn, SignInMethod, SignInProgress};
use crate::backend_request::BackendAuth;
use crate::config::Config;
use crate::credentials::CredentialStore;
use crate::models::{
    CacheLocation, CatalogOptions, FetchError, ModelCatalog, ModelInfo, RefreshOutcome,
};
use crate::oauth::{BrowserAvailability, CallbackServerOptions, DeviceCodeOptions};
use crate::preconnect::{PreconnectThrottle, preconnect};
use crate::responses::websocket::{PoolLimits, WebSocketPool, WebSocketRefusals};
use crate::responses::{DEFAULT_REFUSAL_TTL, ZstdRefusals};
use crate::responses::{ResponsesError, StreamTimeouts, TokenCache};
use crate::route::Route;
use crate::siwc::{MANAGE_USAGE_URL, OfficialApiError, OfficialRefusal};
use crate::usage::{UsageFetchError, UsageLimits, fetch_usage};
use anyhow::Result;
use futures::FutureExt as _;
use futures::future::Shared;
use gpui::{App, AppContext as _, Context, Entity, Subscription, Task};
use http_client::HttpClient;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// How often the usage windows are asked for while the configuration card is shown: the
/// backend updates them as chats are sent, and every answer's headers refresh them anyway.
pub const USAGE_REFRESH_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// How long `GET /wham/usage` may take before the last known snapshot is kept.
pub(crate) const USAGE_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a URL on behalf of the provider.
pub(crate) type OpenUrl = Rc<dyn Fn(&Url, &mut App)>;

/// How the authorize URL of a browser sign-in reaches a browser.
#[derive(Clone)]
pub enum UrlOpener {
    /// The system browser, through gpui (`App::open_url`).
    System,
    /// Something else: the command line's `--no-browser` prints it; the demo and tests follow it
    /// with an HTTP client.
    Custom(OpenUrl),
}

impl UrlOpener {
    fn open(&self, url: &Url, cx: &mut App) {
        match self {
            Self::System => cx.open_url(url.as_str()),
            Self::Custom(open) => open(url, cx),
        }
    }
}

/// Where the provider keeps what it caches, and how it opens the browser.
#[derive(Clone)]
pub struct StateOptions {
    /// Where the model list and the last usage snapshot are cached.
    pub cache: CacheLocation,
    /// The catalog's TTL and fetch timeout.
    pub catalog: CatalogOptions,
    /// How the sign-in page is opened.
    pub url_opener: UrlOpener,
    /// The browser sign-in's callback ports and timeouts (tests use ephemeral ports).
    pub callback: CallbackServerOptions,
    /// The device-code sign-in's time limit.
    pub device_code: DeviceCodeOptions,
    /// How long each phase of a streamed answer may stall.
    pub stream_timeouts: StreamTimeouts,
    /// Whether the one-time "You're using your ChatGPT plan" notice was dismissed already (the
    /// host persists [`State::plan_notice`] and passes it back here).
    pub plan_notice: PlanNotice,
    /// The bounds on the WebSocket transport's idle sockets.
    pub websocket_limits: PoolLimits,
    /// Whether the account's requests share one budget (see [`AccountCoordinator`]).
    pub coordination: RequestCoordination,
    /// Whether a browser sign-in can work on this machine ([`BrowserAvailability::here`] by
    /// default): when not, the card says why and offers the device code first.
    pub browser: BrowserAvailability,
    /// Which of the signed-in accounts this process starts with.
    pub account: AccountChoice,
}

/// The one-time notice after the first sign-in on the official route (siwc.md §6): "You're
/// using your ChatGPT plan", until the user dismisses it; then never again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PlanNotice {
    /// Not dismissed: shown while signed in on the official route.
    #[default]
    NotDismissed,
    /// Dismissed for good.
    Dismissed,
}

impl Default for StateOptions {
    fn default() -> Self {
        Self {
            cache: CacheLocation::user_default(),
            catalog: CatalogOptions::default(),
            url_opener: UrlOpener::System,
            callback: CallbackServerOptions::default(),
            device_code: DeviceCodeOptions::default(),
            stream_timeouts: StreamTimeouts::default(),
            plan_notice: PlanNotice::default(),
            websocket_limits: PoolLimits::default(),
            coordination: RequestCoordination::default(),
            browser: BrowserAvailability::here(),
            account: AccountChoice::default(),
        }
    }
}

/// The provider's state (see the module docs).
pub struct State {
    config: Config,
    http: Arc<dyn HttpClient>,
    /// The backends that refused zstd request bodies (kept beside the model cache).
    zstd_refusals: ZstdRefusals,
    /// The WebSocket transport's idle sockets, one per thread.
    websockets: Arc<WebSocketPool>,
    /// Closes idle sockets when their idle time or age runs out, even when nobody sends.
    _websocket_expiry: Task<()>,
    /// The backends that refused the WebSocket upgrade (kept beside the model cache).
    websocket_refusals: WebSocketRefusals,
    /// The sign-in the sockets were opened with (its generation and access token): when it
    /// changes (refresh, sign-out, another account), the sockets close.
    websocket_sign_in: Option<(u64, Option<crate::secret::AccessToken>)>,
    /// The active account's auth state machine (one of `accounts`).
    auth: Entity<auth::State>,
    /// Every account, each with its own auth state machine (see [`AccountSet`]).
    accounts: AccountSet,
    /// Observes the active account's auth state (replaced on a switch).
    auth_observation: Subscription,
    catalog: Entity<ModelCatalog>,
    usage_cache: UsageCache,
    /// Spaces out pre-connects to the backend (see [`State::preconnect`]).
    preconnect_throttle: PreconnectThrottle,
    /// The latest usage snapshot's write to disk; a newer snapshot supersedes it.
    usage_write: Option<Task<()>>,
    /// The account whose models and usage are shown.
    account_id: Option<String>,
    /// The plan's windows and credits, from the latest answer (or the cache).
    usage: Option<UsageLimits>,
    /// When `/wham/usage` was last asked for (executor time), to ask at most every
    /// [`USAGE_REFRESH_INTERVAL`] while the card is shown.
    usage_fetched_at: Option<Instant>,
    /// The usage fetch in flight, if any.
    pending_usage: Option<SharedUsageRefresh>,
    /// How many answers (accepted or refused) have reported usage: a `/wham/usage` fetch that
    /// was in flight while one did must not replace that newer report with its own.
    answer_usage_reports: u64,
    url_opener: UrlOpener,
    stream_timeouts: StreamTimeouts,
    /// The sign-in generation whose authorize URL was already opened (open it once).
    opened_browser_for: Option<u64>,
    /// At most four requests per model in flight; the rest wait their turn.
    request_limiters: Arc<ModelRequestLimiters>,
    /// Token counts of texts counted before (incremental counts of a growing thread).
    token_cache: Arc<TokenCache>,
    /// The one-time official-route notice.
    plan_notice: PlanNotice,
    /// The official route's usage limit, from its last refusal (it reports no figures and no
    /// reset time: only that the limit is reached), until an answer completes.
    official_limit: Option<OfficialApiError>,
    /// The signed-in account's budget, in front of the per-model limits.
    coordinator: AccountCoordinator,
    /// Ends the account's rate-limit pause, and re-renders the card each second meanwhile.
    rate_limit_pause: Option<Task<()>>,
    /// Whether a browser sign-in can work here (decides the order of the card's sign-in offers).
    browser: BrowserAvailability,
    _subscriptions: Vec<Subscription>,
}

impl State {
    /// Creates the state; it starts loading the stored sign-in at once.
    pub fn new(
        config: Config,
        http: Arc<dyn HttpClient>,
        store: Arc<dyn CredentialStore>,
        options: StateOptions,
        cx: &mut Context<Self>,
    ) -> Self {
        let make_auth: MakeAuth = {
            let (config, http) = (config.clone(), http.clone());
            let (callback, device) = (options.callback.clone(), options.device_code.clone());
            Rc::new(move |store, cx: &mut App| {
                let flows = OAuthSignIn {
                    config: config.clone(),
                    http: http.clone(),
                    callback: callback.clone(),
                    device: device.clone(),
                    // The provider opens the page itself, through `url_opener`.
                    browser: BrowserLaunch::Manual,
                };
                cx.new(|cx| {
                    auth::State::new(config.clone(), store, http.clone(), cx)
                        .with_sign_in_flows(flows)
                })
            })
        };
        let accounts = AccountSet::open(store, &options.account, make_auth, cx);
        let auth = accounts.active_auth().clone();
        let catalog = cx.new(|_| {
            ModelCatalog::with_options(
                http.clone(),
                config.clone(),
                options.cache.clone(),
                options.catalog,
            )
        });
        // Build the tokenizer off the UI thread now, so the first token count is not the slow one.
        let token_cache = Arc::new(TokenCache::default());
        let warming = token_cache.clone();
        cx.background_spawn(async move {
            if let Err(error) = warming.warm_up() {
                log::warn!("could not load the tokenizer: {error:#}");
            }
        })
        .detach();
        let auth_observation = Self::observe_auth(&auth, cx);
        let subscriptions = vec![cx.observe(&catalog, |_, _, cx| cx.notify())];
        let websockets = Arc::new(WebSocketPool::new(options.websocket_limits));
        let websocket_expiry = websockets.close_expired_in_background(cx.background_executor());
        Self {
            config,
            http,
            zstd_refusals: ZstdRefusals::new(&options.cache, DEFAULT_REFUSAL_TTL),
            websockets,
            _websocket_expiry: websocket_expiry,
            websocket_refusals: WebSocketRefusals::new(&options.cache, DEFAULT_REFUSAL_TTL),
            websocket_sign_in: None,
            auth,
            accounts,
            auth_observation,
            catalog,
            usage_cache: UsageCache::new(options.cache),
            preconnect_throttle: PreconnectThrottle::default(),
            usage_write: None,
            account_id: None,
            usage: None,
            usage_fetched_at: None,
            pending_usage: None,
            answer_usage_reports: 0,
            url_opener: options.url_opener,
            stream_timeouts: options.stream_timeouts,
            opened_browser_for: None,
            request_limiters: Arc::default(),
            token_cache,
            plan_notice: options.plan_notice,
            official_limit: None,
            coordinator: AccountCoordinator::new(options.coordination),
            rate_limit_pause: None,
            browser: options.browser,
            _subscriptions: subscriptions,
        }
    }

    /// The cache every token count of this provider goes through.
    pub(crate) fn token_cache(&self) -> Arc<TokenCache> {
        self.token_cache.clone()
    }

    /// The limiter every request to the model `slug` goes through.
    pub fn request_limiter(&self, slug: &str) -> RequestLimiter {
        self.request_limiters.for_model(slug)
    }

    /// The signed-in account's budget every request goes through first.
    pub fn account_coordinator(&self) -> AccountCoordinator {
        self.coordinator.clone()
    }

    /// How long new requests still wait for ChatGPT's rate limit, if they do.
    pub fn rate_limit_wait(&self, cx: &App) -> Option<Duration> {
        self.coordinator.paused_for(cx.background_executor().now())
    }

    /// A request was refused with a short wait: the account pauses until it ends (one task
    /// ends it, re-rendering the card each second until then).
    pub(crate) fn pause_for_rate_limit(&mut self, wait: Duration, cx: &mut Context<Self>) {
        let now = cx.background_executor().now();
        let end = self.coordinator.refused(wait, now);
        log::info!(
            "ChatGPT is rate limiting this account: new requests wait {} s",
            end.saturating_duration_since(now).as_secs()
        );
        let coordinator = self.coordinator.clone();
        self.rate_limit_pause = Some(cx.spawn(async move |this, cx| {
            loop {
                let now = cx.background_executor().now();
                let left = end.saturating_duration_since(now);
                cx.background_executor()
                    .timer(left.min(Duration::from_secs(1)))
                    .await;
                let paused = coordinator.resume_if_due(cx.background_executor().now());
                if this.update(cx, |_, cx| cx.notify()).is_err() || !paused {
                    break;
                }
            }
        }));
        cx.notify();
    }

    /// Opens a connection to the backend in the background so the next request finds it warm;
    /// at most once per `crate::preconnect::PRECONNECT_INTERVAL`, and only when signed
    /// in. Called when the sign-in completes and when the host lists the models (as Zed's model
    /// dropdown opens).
    pub fn preconnect(&self, cx: &App) {
        if !self.is_signed_in(cx) || !self.preconnect_throttle.should_preconnect(Instant::now()) {
            return;
        }
        let (http, config) = (self.http.clone(), self.config.clone());
        // Fire and forget: nothing waits for it, and the client's connect timeout bounds it.
        cx.background_spawn(async move {
            if let Err(error) = preconnect(&*http, &config).await {
                log::debug!("pre-connect failed: {error:#}");
            }
        })
        .detach();
    }

    /// The endpoints in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The HTTP client requests go through.
    pub fn http(&self) -> Arc<dyn HttpClient> {
        self.http.clone()
    }

    /// The backends that refused zstd request bodies.
    pub(crate) fn zstd_refusals(&self) -> ZstdRefusals {
        self.zstd_refusals.clone()
    }

    /// The WebSocket transport's sockets.
    pub fn websockets(&self) -> Arc<WebSocketPool> {
        self.websockets.clone()
    }

    /// The backends that refused the WebSocket upgrade.
    pub fn websocket_refusals(&self) -> WebSocketRefusals {
        self.websocket_refusals.clone()
    }

    /// How long each phase of a streamed answer may stall.
    pub fn stream_timeouts(&self) -> StreamTimeouts {
        self.stream_timeouts
    }

    /// The auth state machine.
    pub fn auth(&self) -> &Entity<auth::State> {
        &self.auth
    }

    /// The model catalog.
    pub fn catalog(&self) -> &Entity<ModelCatalog> {
        &self.catalog
    }

    /// The models to offer.
    pub fn models<'a>(&self, cx: &'a App) -> &'a [ModelInfo] {
        self.catalog.read(cx).models()
    }

    /// The latest usage-limit snapshot, if any answer carried one.
    pub fn usage(&self) -> Option<&UsageLimits> {
        self.usage.as_ref()
    }

    /// The route of the signed-in session (`None` when nobody is signed in).
    pub fn route(&self, cx: &App) -> Option<Route> {
        self.auth.read(cx).route()
    }

    /// The one-time official-route notice's state, for the host to persist.
    pub fn plan_notice(&self) -> PlanNotice {
        self.plan_notice
    }

    /// Dismisses "You're using your ChatGPT plan" for good.
    pub fn dismiss_plan_notice(&mut self, cx: &mut Context<Self>) {
        self.plan_notice = PlanNotice::Dismissed;
        cx.notify();
    }

    /// Opens "Manage usage" (<https://chatgpt.com/settings/usage>) the way sign-in pages are
    /// opened.
    pub fn open_manage_usage(&self, cx: &mut App) {
        if let Ok(url) = Url::parse(MANAGE_USAGE_URL) {
            self.url_opener.open(&url, cx);
        }
    }

    /// The official route's usage-limit refusal, while it stands.
    pub fn official_limit(&self) -> Option<&OfficialApiError> {
        self.official_limit.as_ref()
    }

    /// Starts signing in by `route`'s browser sign-in ("Continue with ChatGPT" for the
    /// official route, "Use the Codex route" for the Codex route).
    pub fn sign_in_with_route(&mut self, route: Route, cx: &mut Context<Self>) {
        let method = match route {
            Route::CodexBackend => SignInMethod::Browser,
            Route::SignInWithChatGpt => SignInMethod::SignInWithChatGpt,
        };
        self.sign_in(method, cx);
    }

    /// Whether someone is signed in.
    pub fn is_signed_in(&self, cx: &App) -> bool {
        self.auth.read(cx).is_signed_in()
    }

    /// What the configuration view shows.
    pub fn status(&self, cx: &App) -> ConfigurationStatus {
        status_of(self, cx)
    }

    /// Starts signing in (does nothing while a sign-in runs or someone is signed in).
    pub fn sign_in(&mut self, method: SignInMethod, cx: &mut Context<Self>) {
        self.auth.update(cx, |auth, cx| auth.sign_in(method, cx));
    }

    /// Opens the running browser sign-in's page again (the browser was closed, or never opened).
    pub(crate) fn reopen_sign_in_page(&mut self, cx: &mut Context<Self>) {
        let url = match self.auth.read(cx).auth_state() {
            auth::AuthState::SigningIn {
                progress: SignInProgress::WaitingForBrowser { authorize_url },
                ..
            } => authorize_url.clone(),
            _ => return,
        };
        self.url_opener.open(&url, cx);
    }

    /// Whether a browser sign-in can work on this machine.
    pub fn browser_availability(&self) -> BrowserAvailability {
        self.browser
    }

    /// Puts the running device-code sign-in's code on the clipboard.
    pub fn copy_device_code(&self, cx: &mut App) {
        if let auth::AuthState::SigningIn {
            progress: SignInProgress::WaitingForDeviceCode { user_code, .. },
            ..
        } = self.auth.read(cx).auth_state()
        {
            cx.write_to_clipboard(gpui::ClipboardItem::new_string(user_code.clone()));
        }
    }

    /// Opens the running device-code sign-in's verification page, where the code is entered.
    pub fn open_verification_page(&self, cx: &mut App) {
        let url = match self.auth.read(cx).auth_state() {
            auth::AuthState::SigningIn {
                progress:
                    SignInProgress::WaitingForDeviceCode {
                        verification_url, ..
                    },
                ..
            } => verification_url.clone(),
            _ => return,
        };
        self.url_opener.open(&url, cx);
    }

    /// Cancels a running sign-in, releasing its callback port.
    pub fn cancel_sign_in(&mut self, cx: &mut Context<Self>) {
        self.auth.update(cx, |auth, cx| auth.cancel_sign_in(cx));
        self.return_from_adding(cx);
    }

    /// Signs out: revokes and forgets the sign-in, the account's cached usage and models.
    pub fn sign_out(
        &mut self,
        cx: &mut Context<Self>,
    ) -> Task<Result<crate::auth::revoke::Revocation, AuthError>> {
        if let Some(account) = self.account_id.take() {
            // The usage snapshot and the model list are cached per account: forget them with the
            // sign-in, off the UI thread.
            let usage_cache = self.usage_cache.clone();
            cx.background_spawn(async move {
                usage_cache.forget(&account);
                if let Some(path) = usage_cache.location().file_for(&account) {
                    std::fs::remove_file(path).ok();
                }
            })
            .detach();
        }
        self.usage = None;
        self.pending_usage = None;
        self.usage_fetched_at = None;
        // Nothing sent on a socket outlives the sign-in it was opened with.
        self.websockets.close_all();
        self.catalog.update(cx, |catalog, cx| catalog.clear(cx));
        cx.notify();
        let signed_out = self.accounts.active_id();
        let task = self.auth.update(cx, |auth, cx| auth.sign_out(cx));
        // Only this account leaves; another one, if any, becomes active.
        self.forget_active_account(signed_out, cx);
        task
    }

    /// Waits until the latest usage snapshot is on disk (a short-lived process calls this before
    /// it exits, so the next one can show the limits).
    pub fn usage_saved(&mut self) -> Task<()> {
        self.usage_write.take().unwrap_or_else(|| Task::ready(()))
    }

    /// Credentials for a backend request, refreshed first when close to expiry.
    pub(crate) fn fresh_credentials(&self, cx: &mut App) -> Task<Result<BackendAuth, AuthError>> {
        self.auth
            .update(cx, |auth, cx| auth.get_fresh_credentials(cx))
    }

    /// Fetches or revalidates the model list for the signed-in account.
    pub fn refresh_models(
        &mut self,
        cx: &mut Context<Self>,
    ) -> Task<Result<RefreshOutcome, RefreshModelsError>> {
        let credentials = self.fresh_credentials(cx);
        let catalog = self.catalog.clone();
        let route = self.route(cx).unwrap_or_default();
        let key = self.account_id.clone();
        cx.spawn(async move |_, cx| {
            let mut auth = credentials.await.map_err(RefreshModelsError::Auth)?;
            if let Some(key) = key.filter(|_| route == Route::SignInWithChatGpt) {
                // The official route's lists are cached under their own key.
                auth.account_id = key;
            }
            let refresh = catalog.update(cx, |catalog, cx| catalog.refresh_for(route, auth, cx))?;
            refresh.await.map_err(RefreshModelsError::Fetch)
        })
    }

    /// Asks the backend for the plan's usage windows now (`GET …/wham/usage`), so they show
    /// before the first chat. A new snapshot replaces the shown one and is cached for the
    /// account; an error (or no answer within `USAGE_FETCH_TIMEOUT`) keeps the last known
    /// snapshot and is returned for a log line.
    /// Calls made while a fetch runs share it.
    pub fn refresh_usage(&mut self, cx: &mut Context<Self>) -> Task<Result<(), RefreshUsageError>> {
        if self.route(cx) == Some(Route::SignInWithChatGpt) {
            // The official route reports no usage figures (siwc.md §4): nothing to ask.
            return Task::ready(Err(RefreshUsageError::NoUsageFigures));
        }
        let task = match &self.pending_usage {
            Some(pending) => pending.clone(),
            None => {
                let task = self.start_usage_fetch(cx).shared();
                self.pending_usage = Some(task.clone());
                task
            }
        };
        // Awaited on the UI thread, where the shared task runs: gpui cancels UI-thread tasks
        // when its main loop ends, and a background task awaiting one would then find it gone
        // ("Task polled after completion" at exit).
        cx.spawn(async move |_, _| task.await)
    }

    fn start_usage_fetch(&mut self, cx: &mut Context<Self>) -> Task<Result<(), RefreshUsageError>> {
        self.usage_fetched_at = Some(cx.background_executor().now());
        let reports_before = self.answer_usage_reports;
        let credentials = self.fresh_credentials(cx);
        let auth_state = self.auth.clone();
        let http = self.http.clone();
        let config = self.config.clone();
        let executor = cx.background_executor().clone();
        // One bounded `GET /wham/usage`.
        let fetch_once = move |auth: BackendAuth| {
            let (http, config) = (http.clone(), config.clone());
            let fetch =
                executor.spawn(async move { fetch_usage(http.as_ref(), &config, &auth).await });
            let timer = executor.timer(USAGE_FETCH_TIMEOUT);
            async move {
                match futures::future::select(fetch, timer).await {
                    futures::future::Either::Left((result, _)) => result,
                    futures::future::Either::Right(((), _)) => {
                        Err(UsageFetchError::Timeout(USAGE_FETCH_TIMEOUT))
                    }
                }
            }
        };
        cx.spawn(async move |this, cx| {
            let fetched = async {
                let auth = credentials.await.map_err(RefreshUsageError::Auth)?;
                let account = auth.account_id.clone();
                let rejected = auth.access_token.clone();
                let usage = match fetch_once(auth).await {
                    // A refused token is refreshed once and the request retried once, as for
                    // `/responses`.
                    Err(UsageFetchError::Unauthorized(_)) => {
                        let renewed = auth_state
                            .update(cx, |auth, cx| auth.force_refresh(&rejected, cx))
                            .map_err(|_| RefreshUsageError::Closed)?
                            .await
                            .map_err(RefreshUsageError::Auth)?;
                        fetch_once(renewed).await
                    }
                    other => other,
                }
                .map_err(|error| {
                    log::warn!("keeping the last known usage limits: {error}");
                    RefreshUsageError::Fetch(error)
                })?;
                Ok((account, usage))
            }
            .await;
            // One update ends the fetch and applies it, so a caller that sees the new snapshot
            // never joins this finished fetch.
            this.update(cx, |this, cx| {
                this.pending_usage = None;
                let (account, usage) = fetched?;
                // The user may have signed out or switched accounts meanwhile; and an answer that
                // arrived while this fetch was in flight (a usage-limit refusal, say) reported
                // usage at least as recent as this one, so it stays.
                let superseded = this.answer_usage_reports != reports_before;
                if this.account_id.as_deref() == Some(account.as_str()) && !superseded {
                    // A short-lived process waits for it with `usage_saved`.
                    let previous = this.usage_write.take();
                    this.usage_write = Some(this.usage_cache.save(&account, &usage, previous, cx));
                    this.usage = Some(usage);
                    cx.notify();
                }
                Ok(())
            })
            .map_err(|_| RefreshUsageError::Closed)?
        })
    }

    /// [`refresh_usage`](Self::refresh_usage) unless it ran less than
    /// [`USAGE_REFRESH_INTERVAL`] ago (the configuration card calls this while it is shown).
    pub(crate) fn refresh_usage_if_due(&mut self, cx: &mut Context<Self>) {
        let now = cx.background_executor().now();
        let due = self
            .usage_fetched_at
            .is_none_or(|last| now.saturating_duration_since(last) >= USAGE_REFRESH_INTERVAL);
        if due && self.account_id.is_some() && self.route(cx) != Some(Route::SignInWithChatGpt) {
            self.refresh_usage(cx).detach();
        }
    }

    /// Records what an accepted answer's headers said.
    pub(crate) fn record_answer(
        &mut self,
        usage: Option<UsageLimits>,
        models_etag: Option<String>,
        cx: &mut Context<Self>,
    ) {
        if let Some(usage) = usage {
            self.record_answer_usage(usage, cx);
        }
        // An accepted answer: the official route's limit no longer stands.
        self.official_limit = None;
        if let Some(etag) = models_etag {
            let changed = self
                .catalog
                .update(cx, |catalog, cx| catalog.note_models_etag(&etag, cx));
            if changed {
                self.refresh_models(cx).detach();
            }
        }
        cx.notify();
    }

    /// Records what a refusal says about the plan's usage: a usage-limit answer carries the
    /// windows (the exhausted one at 100 %), which the usage bars then show. The refusal's own
    /// words reach the agent in the error itself.
    pub(crate) fn record_refusal(&mut self, error: &ResponsesError, cx: &mut Context<Self>) {
        if let ResponsesError::Official(refusal) = error
            && refusal.refusal == OfficialRefusal::UsageLimitReached
        {
            self.official_limit = Some(refusal.clone());
            cx.notify();
        }
        if let ResponsesError::UsageLimitReached { limits, .. } = error {
            // The refusal's own windows when it sent them, else the last known ones: either
            // way marked as reached, which stays until a snapshot asked later says otherwise.
            let mut snapshot = limits
                .clone()
                .or_else(|| self.usage.clone())
                .unwrap_or_else(|| UsageLimits {
                    observed_at: chrono::Utc::now(),
                    ..UsageLimits::default()
                });
            snapshot.limit_reached = Some(true);
            self.record_answer_usage(snapshot, cx);
            cx.notify();
        }
    }

    /// Keeps (and caches) the usage an answer reported; it supersedes any `/wham/usage` fetch
    /// that was in flight meanwhile.
    fn record_answer_usage(&mut self, usage: UsageLimits, cx: &mut Context<Self>) {
        if let Some(account) = &self.account_id {
            let previous = self.usage_write.take();
            self.usage_write = Some(self.usage_cache.save(account, &usage, previous, cx));
        }
        self.usage = Some(usage);
        self.answer_usage_reports = self.answer_usage_reports.wrapping_add(1);
    }

    fn auth_changed(&mut self, auth: Entity<auth::State>, cx: &mut Context<Self>) {
        if auth != self.auth {
            // An account that is no longer the active one.
            return;
        }
        self.note_active_account(cx);
        let (generation, browser_url, account, sign_in) = {
            let auth = auth.read(cx);
            let browser_url = match auth.auth_state() {
                auth::AuthState::SigningIn {
                    progress: SignInProgress::WaitingForBrowser { authorize_url },
                    ..
                } => Some(authorize_url.clone()),
                _ => None,
            };
            let account = match auth.route() {
                Some(Route::SignInWithChatGpt) => auth.account().map(official_account_key),
                _ => auth
                    .account()
                    .and_then(|identity| identity.account_id.clone()),
            };
            let sign_in = auth
                .is_signed_in()
                .then(|| (auth.generation(), auth.access_token().cloned()));
            (auth.generation(), browser_url, account, sign_in)
        };
        if sign_in != self.websocket_sign_in {
            // A new access token (refresh), a sign-out or another sign-in: the sockets carry
            // the old token, so they close.
            if self.websocket_sign_in.is_some() {
                self.websockets.close_all();
            }
            self.websocket_sign_in = sign_in;
        }

        if let Some(url) = browser_url
            && self.opened_browser_for != Some(generation)
        {
            self.opened_browser_for = Some(generation);
            self.url_opener.open(&url, cx);
        }

        match account {
            Some(account) if self.account_id.as_deref() != Some(account.as_str()) => {
                // Show the cached list at once, then revalidate in the background.
                self.catalog
                    .update(cx, |catalog, cx| catalog.load_cached(&account, cx));
                let official = self.route(cx) == Some(Route::SignInWithChatGpt);
                self.usage = (!official)
                    .then(|| self.usage_cache.load(&account))
                    .flatten();
                self.official_limit = None;
                self.account_id = Some(account);
                // Another account, another budget: nothing learned about the last one applies.
                self.coordinator = AccountCoordinator::new(self.coordinator.mode());
                self.rate_limit_pause = None;
                self.refresh_models(cx).detach();
                // The usage bars before the first chat: right after sign-in and at start-up
                // (a fetch still running for another account no longer matters).
                self.pending_usage = None;
                if !official {
                    self.refresh_usage(cx).detach();
                }
                self.preconnect(cx);
            }
            Some(_) => {}
            None => {
                if self.account_id.take().is_some() {
                    self.usage = None;
                    self.catalog.update(cx, |catalog, cx| catalog.clear(cx));
                }
            }
        }
        cx.notify();
    }
}

mod accounts;
pub use accounts::SwitchOffer;

/// Why the usage windows could not be refreshed (the last known snapshot is kept). Cloneable:
/// one fetch answers every caller that asked while it ran.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RefreshUsageError {
    /// No usable sign-in.
    #[error(transparent)]
    Auth(AuthError),
    /// The backend did not give them.
    #[error(transparent)]
    Fetch(UsageFetchError),
    /// The provider was closed before the answer arrived.
    #[error("the provider was closed before the usage limits arrived")]
    Closed,
    /// The official route reports no usage figures.
    #[error(
        "Using ChatGPT plan — this route reports no usage figures; manage usage at {MANAGE_USAGE_URL}"
    )]
    NoUsageFigures,
}

/// A usage fetch, shared by every caller that asks while it runs.
type SharedUsageRefresh = Shared<Task<Result<(), RefreshUsageError>>>;

/// Why the model list could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshModelsError {
    /// No usable sign-in.
    #[error(transparent)]
    Auth(AuthError),
    /// The catalog could not be fetched.
    #[error(transparent)]
    Fetch(FetchError),
    /// The app is shutting down.
    #[error(transparent)]
    App(#[from] anyhow::Error),
}

/// The key the official route's caches use for a session: its own namespace (`siwc-…`), so its
/// model list never mixes with a Codex-route list, and the most stable id the sign-in names.
fn official_account_key(identity: &crate::oauth::IdentityClaims) -> String {
    let id = identity
        .account_id
        .as_deref()
        .or(identity.user_id.as_deref())
        .or(identity.email.as_deref())
        .unwrap_or("account");
    format!("siwc-{id}")
}
