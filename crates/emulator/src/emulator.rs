//! The embedded emulator: a real HTTP server on loopback that behaves like the ChatGPT issuer
//! (`auth.openai.com`) and the subscription backend (`chatgpt.com/backend-api/codex`), so that the
//! whole product runs, and is tested, with no network.
//!
//! It follows the wire formats of `shared/spec/codex-backend.md` and checks requests the way the
//! real service does: a client bug (a wrong PKCE verifier, a refresh sent as a form, a missing
//! `store:false`, an item id that points at server state…) fails here as it would in production.
//!
//! ```no_run
//! use emulator::{Emulator, Fault};
//!
//! let emulator = Emulator::start()?; // port 0; dropping the handle stops it and frees the port
//! let (issuer, backend) = (emulator.issuer_url(), emulator.backend_url()); // point a client here
//! let tokens = emulator.mint_tokens(3600); // a live sign-in, as a code exchange would issue
//! emulator.inject(Fault::ResponsesUsageLimit { resets_in_secs: 3600 });
//! // … drive the real client code against `issuer` and `backend` …
//! assert_eq!(emulator.stats().responses_requests, 0);
//! # anyhow::Ok(())
//! ```
//!
//! ## Endpoints
//! | Route | Module |
//! |---|---|
//! | `GET`/`POST /oauth/authorize`, `POST /oauth/token`, `POST /oauth/revoke` | [`issuer`], [`consent`] |
//! | `POST /api/accounts/deviceauth/usercode`, `…/deviceauth/token`, `GET /codex/device` | [`device_code`] |
//! | `GET /backend-api/codex/models?client_version=` | [`models`] |
//! | `POST /backend-api/codex/responses` | [`request_body`] (`Content-Encoding`), [`responses`] (checks), [`script`] (the SSE answer), [`compaction`] |
//! | `GET /backend-api/wham/usage` | [`usage`] |
//! | `POST /__emulator/faults`, `GET /__emulator/stats` | [`admin`] |
//!
//! The official "Sign in with ChatGPT" route (`shared/spec/siwc.md`: its issuer and its `/v1`
//! API) is served by [`siwc`] on a second loopback listener of its own, so that its "403 for any
//! other route" never touches the routes above: [`Emulator::siwc_issuer_url`],
//! [`Emulator::siwc_api_url`], [`Emulator::inject_siwc`], [`Emulator::set_siwc_consent`],
//! [`Emulator::siwc_mint_tokens`], [`Emulator::siwc_requests`], [`Emulator::siwc_stats`].
//!
//! Shared pieces: [`state`] (issued codes and tokens, counters), [`jwt`] (minting),
//! [`backend_auth`] (the backend's bearer and account checks), [`faults`] (the fault queue).
//!
//! ## Asking for a fault
//! A fault is one-shot: it sits in a queue until the next request it applies to consumes it
//! (see [`Fault`] for which request that is). A test in the same process calls
//! [`Emulator::inject`]:
//!
//! ```no_run
//! # use emulator::{Emulator, Fault};
//! # let emulator = Emulator::start()?;
//! emulator.inject(Fault::TokenStatus {
//!     status: 503,
//!     body: serde_json::json!({"error": "temporarily_unavailable"}),
//! });
//! emulator.inject(Fault::ResponsesCutStream);
//! # anyhow::Ok(())
//! ```
//!
//! Another process (the demo, a shell) posts the same fault as JSON, with a snake_case `kind`:
//!
//! ```text
//! curl -X POST http://127.0.0.1:PORT/__emulator/faults \
//!      -H 'content-type: application/json' \
//!      -d '{"kind":"responses_usage_limit","resets_in_secs":3600}'
//! curl http://127.0.0.1:PORT/__emulator/stats
//! ```
//!
//! ## Other test helpers
//! [`Emulator::mint_tokens`] (a sign-in without a browser, or an expired one),
//! [`Emulator::visit_in_browser`] (plays the user's browser in a browser sign-in),
//! [`Emulator::set_token_delay`] (concurrent refreshes), [`Emulator::set_stream_pause`]
//! (cancel a stream mid-way), [`Emulator::bump_models_revision`] (the catalog changed),
//! [`Emulator::revoke_access_tokens`] (every access token answers 401),
//! [`Emulator::last_responses_request`] (what the client sent).
//!
//! ## From the command line
//! `openai-subscribed emulator [--port N]` starts it with [`Emulator::start_with`], prints
//! [`Emulator::issuer_url`] and [`Emulator::backend_url`], then calls
//! [`Emulator::serve_forever`]. The emulator itself prints nothing.
//!
//! The server runs on its own tokio runtime thread, so it serves requests from gpui tests (whose
//! executor is not tokio), from `#[tokio::test]`s and from the command line alike.

pub mod admin;
pub mod backend_auth;
pub mod browser;
pub mod callback_ports;
pub mod compaction;
pub mod consent;
mod deflate;
pub mod device_code;
mod errors;
pub mod faults;
pub mod issuer;
pub mod jwt;
pub mod limits;
pub mod misbehaving;
pub mod models;
pub mod request_body;
pub mod responses;
pub mod script;
pub mod siwc;
mod sse;
pub mod state;
pub mod usage;
pub mod websocket;

pub use browser::BrowserVisit;
pub use consent::AuthorizePage;
pub use faults::{Fault, FaultRoute};
pub use limits::{ConcurrencyLimit, UsageLevels};
pub use request_body::RequestEncodings;
pub use siwc::faults::SiwcFault;
pub use siwc::state::{SiwcConsent, SiwcMintedTokens, SiwcRecordedRequest, SiwcStats};
pub use state::{EmulatorStats, IssuerRequest, RecordedRequest};
pub use websocket::{WebSocketFrame, WebSocketMode};

/// The one OAuth client the emulated issuer knows: the Codex CLI's public client id, whose
/// redirect allow-list holds ports 1455 and 1457 (as on the real issuer).
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

use anyhow::{Context as _, Result};
use axum::Router;
use axum::routing::{get, post};
use state::SharedState;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Where the backend lives under the emulator's root, as on `chatgpt.com`.
pub const BACKEND_PATH: &str = "/backend-api/codex";

/// The account every token the emulator issues belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmulatedAccount {
    /// The `email` claim.
    pub email: String,
    /// `chatgpt_account_id`: what the backend expects in `ChatGPT-Account-Id`.
    pub account_id: String,
    /// `chatgpt_plan_type`, e.g. `"plus"`.
    pub plan: String,
    /// `chatgpt_user_id`.
    pub user_id: String,
}

impl Default for EmulatedAccount {
    fn default() -> Self {
        Self {
            email: "ada@example.com".into(),
            account_id: "acct_emulated".into(),
            plan: "plus".into(),
            user_id: "user_emulated".into(),
        }
    }
}

/// Which `redirect_uri` ports `/oauth/authorize` accepts.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum RedirectPorts {
    /// Any port on `localhost`: tests bind ephemeral callback ports.
    #[default]
    AnyLoopback,
    /// Only 1455 and 1457, the real client's allow-list (an ephemeral port is rejected).
    RealIssuer,
}

impl RedirectPorts {
    /// The ports the real issuer's allow-list holds for the Codex CLI's client id.
    pub const REAL_ISSUER_PORTS: [u16; 2] = [1455, 1457];

    /// Whether a redirect to this port is allowed.
    pub fn allows(&self, port: u16) -> bool {
        match self {
            Self::AnyLoopback => true,
            Self::RealIssuer => Self::REAL_ISSUER_PORTS.contains(&port),
        }
    }
}

/// How the emulator behaves. `Default` is what tests usually want.
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// The TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How long issued access tokens live (their `exp` and `expires_in`).
    pub access_token_lifetime: Duration,
    /// Whose tokens the issuer mints.
    pub account: EmulatedAccount,
    /// Which redirect ports the authorize endpoint accepts.
    pub redirect_ports: RedirectPorts,
    /// Whether the authorize endpoint redirects at once or shows a consent page first.
    pub authorize_page: AuthorizePage,
    /// How many device-code polls are answered "pending" before the sign-in completes.
    pub device_pending_polls: u32,
    /// Whether the device-code `interval` is sent as a string (`"5"`), as the real issuer does.
    pub device_interval_as_string: bool,
    /// The device-code polling interval the issuer asks for, in seconds.
    pub device_interval_secs: u64,
    /// Which `Content-Encoding`s `POST /responses` accepts (others get a 415).
    pub request_encodings: RequestEncodings,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            port: 0,
            access_token_lifetime: Duration::from_secs(3600),
            account: EmulatedAccount::default(),
            redirect_ports: RedirectPorts::default(),
            authorize_page: AuthorizePage::default(),
            device_pending_polls: 2,
            device_interval_as_string: true,
            device_interval_secs: 5,
            request_encodings: RequestEncodings::default(),
        }
    }
}

/// Live tokens for the emulated account, as a code exchange would issue them.
#[derive(Clone)]
pub struct MintedTokens {
    /// The ID token (a JWT).
    pub id_token: String,
    /// The access token (a JWT the backend accepts).
    pub access_token: String,
    /// A live, single-use refresh token.
    pub refresh_token: String,
}

impl std::fmt::Debug for MintedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MintedTokens([redacted])")
    }
}

/// A running emulator. Dropping it stops the server and frees the port.
pub struct Emulator {
    address: SocketAddr,
    state: Arc<SharedState>,
    /// The official route's state; it listens on its own port (see [`siwc`]).
    siwc: Arc<siwc::state::SiwcState>,
    runtime: tokio::runtime::Handle,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator with default options on a free port.
    pub fn start() -> Result<Self> {
        Self::start_with(EmulatorOptions::default())
    }

    /// Starts an emulator. The port is bound before this returns, so the URLs work at once.
    pub fn start_with(options: EmulatorOptions) -> Result<Self> {
        // Loopback only: the emulator hands out tokens to whoever asks.
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).with_context(|| {
                format!("could not bind the emulator to 127.0.0.1:{}", options.port)
            })?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        // The official route's own listener (see [`siwc`]), always on a free port.
        let siwc_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("could not bind the emulator's official route to 127.0.0.1")?;
        siwc_listener.set_nonblocking(true)?;
        let siwc = Arc::new(siwc::state::SiwcState::new(
            format!("http://{}", siwc_listener.local_addr()?),
            i64::try_from(options.access_token_lifetime.as_secs()).unwrap_or(3600),
        )?);
        let siwc_state = siwc.clone();
        let state = Arc::new(SharedState::new(options, format!("http://{address}")));
        let router = router(state.clone());
        let (shutdown, shutdown_received) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("openai-subscribed-emulator")
            .enable_all()
            .build()
            .context("could not start the emulator's runtime")?;
        let handle = runtime.handle().clone();
        let thread = std::thread::Builder::new()
            .name("openai-subscribed-emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            log::error!("emulator: could not listen: {error}");
                            return;
                        }
                    };
                    // Without TCP_NODELAY, a kept-alive connection's answer waits out the
                    // client's delayed ACK (about 40 ms) between the head and the first event.
                    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
                        stream.set_nodelay(true).ok();
                    });
                    let siwc_server = async move {
                        match tokio::net::TcpListener::from_std(siwc_listener) {
                            Ok(listener) => siwc::serve(listener, siwc_state).await,
                            Err(error) => log::error!("emulator: could not listen: {error}"),
                        }
                    };
                    tokio::select! {
                        _ = siwc_server => {}
                        result = axum::serve(listener, router) => {
                            if let Err(error) = result {
                                log::error!("emulator: server stopped: {error}");
                            }
                        }
                        _ = shutdown_received => {}
                    }
                });
                // Dropping the runtime cancels every connection task, including answers held
                // back by a `TokenHang` fault, so the port is free when `drop` returns.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .context("could not start the emulator's thread")?;
        Ok(Self {
            address,
            state,
            siwc,
            runtime: handle,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Blocks the calling thread while the server runs (for `openai-subscribed emulator`, which
    /// prints the URLs first). Returns only if the server stops on its own.
    pub fn serve_forever(mut self) -> Result<()> {
        // Keep the sender alive for as long as the server runs.
        let _shutdown = self.shutdown.take();
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("the emulator's server thread panicked"))?;
        }
        anyhow::bail!("the emulator stopped")
    }

    /// The socket address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The issuer's base URL, e.g. `http://127.0.0.1:PORT`.
    pub fn issuer_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The backend's base URL, e.g. `http://127.0.0.1:PORT/backend-api/codex`.
    pub fn backend_url(&self) -> String {
        format!("http://{}{BACKEND_PATH}", self.address)
    }

    /// What the emulator has been asked so far.
    pub fn stats(&self) -> EmulatorStats {
        self.state.stats()
    }

    /// Queues a one-shot fault for the next request it applies to.
    pub fn inject(&self, fault: Fault) {
        self.state.inject(fault);
    }

    /// How WebSocket upgrades on `/responses` are answered from now on.
    pub fn set_websocket_mode(&self, mode: WebSocketMode) {
        self.state.websocket.set_mode(mode);
    }

    /// How long a WebSocket serves frames before the connection limit is reached.
    pub fn set_websocket_max_age(&self, age: Duration) {
        self.state.websocket.set_max_age(age);
    }

    /// Every WebSocket frame received on `/responses`, in order.
    pub fn websocket_frames(&self) -> Vec<WebSocketFrame> {
        self.state.websocket.frames()
    }

    /// Every WebSocket upgrade request's headers, in order.
    pub fn websocket_handshakes(&self) -> Vec<axum::http::HeaderMap> {
        self.state.websocket.handshakes()
    }

    /// How many WebSockets are open now.
    pub fn open_websockets(&self) -> usize {
        self.state.websocket.open_sockets()
    }

    /// Makes every `/oauth/token` answer wait this long (for tests of concurrent refreshes).
    pub fn set_token_delay(&self, delay: Duration) {
        self.state.set_token_delay(delay);
    }

    /// Makes every `/oauth/token` answer leave this long *after* the request was processed: a
    /// refresh has rotated the token (the old one is spent) while its answer is still on its way,
    /// as with a real issuer and a slow network.
    pub fn set_token_answer_delay(&self, delay: Duration) {
        self.state.set_token_answer_delay(delay);
    }

    /// Holds back every `/wham/usage` answer until the returned guard is dropped (at most a
    /// minute): a test can then order a usage fetch's answer after something else.
    #[must_use = "the answers are let go when the guard is dropped"]
    pub fn hold_usage_answers(&self) -> UsageHold {
        self.state.hold_usage(true);
        UsageHold {
            state: self.state.clone(),
        }
    }

    /// Makes every `/responses` stream pause this long between events, so that a test can
    /// cancel or observe a stream while it is still arriving (zero, the default: all at once).
    pub fn set_stream_pause(&self, pause: Duration) {
        self.state.set_stream_pause(pause);
    }

    /// Makes the 5-hour and weekly windows report these levels (in `/wham/usage` and every
    /// answer's headers) instead of the scripted ones; `None` goes back to the script.
    pub fn set_usage_levels(&self, levels: Option<UsageLevels>) {
        self.state.limits.set_levels(levels);
    }

    /// Above `max_in_flight` answers streaming at once, `/responses` answers a short-wait 429
    /// (see [`limits`]); `None` lifts the limit.
    pub fn set_concurrency_limit(&self, limit: Option<ConcurrencyLimit>) {
        self.state.limits.set_concurrency(limit);
    }

    /// Mints live tokens for the emulated account without a browser, as a code exchange would.
    /// A negative `expires_in_secs` mints an access token that has already expired.
    pub fn mint_tokens(&self, expires_in_secs: i64) -> MintedTokens {
        self.state.mint_tokens(expires_in_secs)
    }

    /// Plays the user's browser: opens `authorize_url`, follows the issuer's redirect to the
    /// client's callback, and reports both answers (see [`browser`]). Await it from any executor.
    pub fn visit_in_browser(
        &self,
        authorize_url: &str,
    ) -> impl std::future::Future<Output = Result<BrowserVisit>> + Send + 'static {
        browser::visit(&self.runtime, authorize_url)
    }

    /// The latest `POST /responses` the emulator received (headers and JSON body), whatever
    /// its outcome: for tests that check what the client sent.
    pub fn last_responses_request(&self) -> Option<RecordedRequest> {
        self.state.last_responses_request()
    }

    /// The requests the issuer received at its token, revocation and device-code endpoints,
    /// oldest first, whatever their outcome: for tests that check how the client identifies
    /// itself.
    pub fn issuer_requests(&self) -> Vec<IssuerRequest> {
        self.state.issuer_requests()
    }

    /// Changes the model catalog's revision: its `ETag` (and `x-models-etag`) change, as when
    /// the backend adds or retires a model.
    pub fn bump_models_revision(&self) {
        self.state.bump_models_revision();
    }

    /// Serves `catalog_json` (a `{"models":[…]}` document, e.g. another real catalog) from
    /// `/models` and checks `/responses` against it from now on.
    pub fn serve_catalog(&self, catalog_json: &str) -> anyhow::Result<()> {
        let catalog = models::Catalog::parse(catalog_json).map_err(anyhow::Error::msg)?;
        self.state.set_catalog(catalog);
        Ok(())
    }

    /// New grants from now on (sign-ins, device codes, minted tokens) belong to `account`, so
    /// that several accounts can be signed in at once; earlier grants and their refreshes keep
    /// their own account, and the backend checks `ChatGPT-Account-Id` against each token's.
    pub fn set_account(&self, account: EmulatedAccount) {
        self.state.set_account(account);
    }

    /// Serves `catalog_json` from `/models` to the ChatGPT account `account_id` only (the
    /// others keep the shared catalog).
    pub fn serve_catalog_for_account(
        &self,
        account_id: &str,
        catalog_json: &str,
    ) -> anyhow::Result<()> {
        let catalog = models::Catalog::parse(catalog_json).map_err(anyhow::Error::msg)?;
        self.state.set_account_catalog(account_id, catalog);
        Ok(())
    }

    /// Whether the backend would accept this access token now (issued, not revoked, not
    /// expired): how tests see which account's tokens a sign-out revoked.
    pub fn access_token_is_live(&self, token: &str) -> bool {
        self.state.check_access_token(token).is_ok()
    }

    /// Revokes every access token issued so far (they answer 401 from now on), as when the
    /// user signs out everywhere. Refresh tokens stay usable.
    pub fn revoke_access_tokens(&self) {
        self.state.revoke_access_tokens();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Every route the emulator serves.
/// Returned by [`Emulator::hold_usage_answers`]; dropping it lets the held answers go.
pub struct UsageHold {
    state: Arc<SharedState>,
}

impl Drop for UsageHold {
    fn drop(&mut self) {
        self.state.hold_usage(false);
    }
}

fn router(state: Arc<SharedState>) -> Router {
    let backend = Router::new()
        .route("/models", get(models::list_models))
        .route(
            "/responses",
            // A long thread sent plain is several megabytes: above axum's 2 MB default.
            post(responses::create_response)
                .layer(axum::extract::DefaultBodyLimit::max(
                    request_body::MAX_WIRE_BODY,
                ))
                // The WebSocket transport: an upgrade on the same path.
                .get(websocket::upgrade),
        );
    Router::new()
        .route(
            "/oauth/authorize",
            get(issuer::authorize).post(issuer::decide),
        )
        .route("/oauth/token", post(issuer::token))
        .route("/oauth/revoke", post(issuer::revoke))
        .route(
            "/api/accounts/deviceauth/usercode",
            post(device_code::user_code),
        )
        .route("/api/accounts/deviceauth/token", post(device_code::poll))
        .route("/codex/device", get(device_code::verification_page))
        .route(usage::USAGE_PATH, get(usage::wham_usage))
        .route("/__emulator/faults", post(admin::inject_fault))
        .route("/__emulator/stats", get(admin::stats))
        .nest(BACKEND_PATH, backend)
        .with_state(state)
}
