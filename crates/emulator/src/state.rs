//! What the emulator remembers between requests: issued codes and tokens, device sign-ins, the
//! fault queue and the request counters.
//!
//! Tokens are recognised by lookup, not by their signature: a token the emulator did not issue is
//! unknown, whatever it looks like. Tokens issued by one grant (a code exchange, a device sign-in
//! or [`mint_tokens`](SharedState::mint_tokens)) and its refreshes form a *family*; revoking a
//! refresh token kills the family's access tokens too (RFC 7009 §2.1). A reused refresh token
//! does not kill the family: another process that refreshed first keeps its fresh tokens, which
//! is what lets a client recover from `refresh_token_reused` by re-reading its credential store.

use super::faults::{Fault, FaultQueue};
use super::jwt::{self, Claims, TokenKind};
use super::{EmulatorOptions, MintedTokens};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Counters of what the emulator has been asked (tests assert on them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmulatorStats {
    /// Every `POST /oauth/token`, whatever the grant and outcome.
    pub token_requests: usize,
    /// `authorization_code` grants attempted (browser and device sign-ins).
    pub code_exchanges: usize,
    /// `refresh_token` grants attempted.
    pub refreshes: usize,
    /// `POST /oauth/revoke` requests.
    pub revocations: usize,
    /// `POST /api/accounts/deviceauth/usercode` requests.
    pub device_code_requests: usize,
    /// `POST /api/accounts/deviceauth/token` polls.
    pub device_polls: usize,
    /// `GET /models` requests (including those answered 304).
    pub models_requests: usize,
    /// `GET /models` requests answered 304 Not Modified.
    pub models_not_modified: usize,
    /// `POST /responses` requests, whatever the outcome.
    pub responses_requests: usize,
    /// `GET /backend-api/wham/usage` requests, whatever the outcome.
    pub usage_requests: usize,
    /// The most `/responses` answers streaming at once, per model slug.
    #[serde(default)]
    pub responses_in_flight_max: std::collections::BTreeMap<String, usize>,
    /// `/responses` requests answered 429 for going over the concurrency limit
    /// ([`crate::limits::ConcurrencyLimit`]).
    #[serde(default)]
    pub rate_limited_responses: usize,
}

/// An authorization code waiting for its exchange (RFC 6749 §4.1.2, RFC 7636 §4.4).
#[derive(Clone, Debug)]
pub struct PendingCode {
    /// The `code_challenge` (S256) it was issued with.
    pub code_challenge: String,
    /// The `redirect_uri` it was issued for; the exchange must repeat it (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// The client it was issued to.
    pub client_id: String,
}

/// A fresh set of tokens from the token endpoint (its `Debug` shows no token).
#[derive(Clone)]
pub struct IssuedTokens {
    /// The ID token.
    pub id_token: String,
    /// The access token.
    pub access_token: String,
    /// The new refresh token.
    pub refresh_token: String,
    /// The access token's lifetime in seconds.
    pub expires_in: i64,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a refresh token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshRejection {
    /// It was already exchanged once (rotation makes each one single-use).
    Reused,
    /// It was revoked (sign-out).
    Revoked,
    /// The emulator never issued it.
    Unknown,
}

/// Why an access token was refused by the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessRejection {
    /// The emulator never issued it.
    Unknown,
    /// Its `exp` has passed.
    Expired,
    /// Its family was revoked.
    Revoked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefreshStatus {
    Live,
    Used,
    Revoked,
}

struct RefreshRecord {
    family: u64,
    status: RefreshStatus,
}

struct AccessRecord {
    family: u64,
    expires_at: i64,
    revoked: bool,
}

/// A device-code sign-in in progress.
pub struct DeviceAuth {
    /// The code the user types on the verification page.
    pub user_code: String,
    /// Polls still to be answered "pending".
    pub pending_polls_left: u32,
}

/// The most issuer requests [`SharedState::issuer_requests`] keeps (the latest ones).
const MAX_ISSUER_REQUESTS: usize = 1000;

/// One request the issuer received (token, revocation or device-code endpoint): where it went
/// and its headers, for tests that check how the client identifies itself.
#[derive(Clone, Debug)]
pub struct IssuerRequest {
    /// The endpoint's path (`/oauth/token`, `/oauth/revoke`, `/api/accounts/deviceauth/…`).
    pub path: &'static str,
    /// The request headers.
    pub headers: axum::http::HeaderMap,
}

impl IssuerRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A request as the emulator received it, for tests that check what the client sent.
#[derive(Clone)]
pub struct RecordedRequest {
    /// The request headers.
    pub headers: axum::http::HeaderMap,
    /// The body as JSON (`Value::Null` when it was not JSON), after its `Content-Encoding` was
    /// decoded.
    pub body: serde_json::Value,
    /// The body's bytes as they arrived (zstd-compressed when the client compressed it).
    pub wire_body: axum::body::Bytes,
}

impl RecordedRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl std::fmt::Debug for RecordedRequest {
    /// Header names only: the values include the bearer token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|name| name.as_str()).collect();
        f.debug_struct("RecordedRequest")
            .field("header_names", &names)
            .field("body", &self.body)
            .finish()
    }
}

#[derive(Default)]
struct Inner {
    stats: EmulatorStats,
    faults: FaultQueue,
    token_delay: Duration,
    token_answer_delay: Duration,
    stream_pause: Duration,
    codes: HashMap<String, PendingCode>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    access_tokens: HashMap<String, AccessRecord>,
    next_family: u64,
    device_auths: HashMap<String, DeviceAuth>,
    models_revision: u64,
    /// The catalog `/models` serves, when not the default real one.
    catalog: Option<Arc<super::models::Catalog>>,
    prompt_cache: HashMap<String, u64>,
    /// Whose tokens new grants carry, when not `options.account` (`Emulator::set_account`).
    current_account: Option<super::EmulatedAccount>,
    /// Whose tokens each grant (token family) carries: refreshes stay with their account.
    family_accounts: HashMap<u64, super::EmulatedAccount>,
    /// Catalogs served to one ChatGPT account only (`Emulator::serve_catalog_for_account`).
    account_catalogs: HashMap<String, Arc<super::models::Catalog>>,
    last_responses_request: Option<RecordedRequest>,
    issuer_requests: std::collections::VecDeque<IssuerRequest>,
    responses_in_flight: HashMap<String, usize>,
}

/// An answer being streamed; dropping it (the body ended or the client left) counts it done.
pub struct ResponseInFlight {
    state: Arc<SharedState>,
    slug: String,
}

impl Drop for ResponseInFlight {
    fn drop(&mut self) {
        if let Some(count) = self
            .state
            .inner
            .lock()
            .responses_in_flight
            .get_mut(&self.slug)
        {
            *count = count.saturating_sub(1);
        }
    }
}

/// The state every handler shares. Its `Debug` shows the options only: the rest is codes,
/// tokens and the signing key.
pub struct SharedState {
    /// The options the emulator was started with.
    pub options: EmulatorOptions,
    /// The issuer's base URL (`http://127.0.0.1:PORT`), the `iss` of every token.
    pub issuer_url: String,
    signing_key: [u8; 32],
    inner: Mutex<Inner>,
    /// `true` while `/wham/usage` answers are held back (see [`SharedState::hold_usage`]).
    usage_held: tokio::sync::watch::Sender<bool>,
    /// The WebSocket transport's settings and record.
    pub websocket: super::websocket::WebSocketState,
    /// The usage levels and the concurrency limit a test set ([`crate::limits`]).
    pub limits: super::limits::Limits,
}

impl std::fmt::Debug for SharedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedState")
            .field("issuer_url", &self.issuer_url)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A random URL-safe token: `prefix` then `bytes` random bytes in base64url.
pub fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buffer);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(buffer))
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl SharedState {
    /// Fresh state for an emulator at `issuer_url`.
    pub fn new(options: EmulatorOptions, issuer_url: String) -> Self {
        let mut signing_key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut signing_key);
        Self {
            options,
            issuer_url,
            signing_key,
            inner: Mutex::new(Inner::default()),
            usage_held: tokio::sync::watch::Sender::new(false),
            websocket: Default::default(),
            limits: super::limits::Limits::default(),
        }
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> EmulatorStats {
        let mut stats = self.inner.lock().stats.clone();
        stats.rate_limited_responses = self.limits.refused();
        stats
    }

    /// Bumps a counter.
    pub fn count(&self, counter: impl FnOnce(&mut EmulatorStats) -> &mut usize) {
        *counter(&mut self.inner.lock().stats) += 1;
    }

    /// Queues a fault.
    pub fn inject(&self, fault: Fault) {
        self.inner.lock().faults.push(fault);
    }

    /// Takes the first queued fault that `applies` accepts.
    pub fn take_fault(&self, applies: impl Fn(&Fault) -> bool) -> Option<Fault> {
        self.inner.lock().faults.take(applies)
    }

    /// Sets the delay before every token answer.
    pub fn set_token_delay(&self, delay: Duration) {
        self.inner.lock().token_delay = delay;
    }

    /// The delay before every token answer.
    pub fn token_delay(&self) -> Duration {
        self.inner.lock().token_delay
    }

    /// Sets the delay between processing a token request (a refresh has rotated the token by
    /// then) and sending its answer.
    pub fn set_token_answer_delay(&self, delay: Duration) {
        self.inner.lock().token_answer_delay = delay;
    }

    /// The delay between processing a token request and sending its answer.
    pub fn token_answer_delay(&self) -> Duration {
        self.inner.lock().token_answer_delay
    }

    /// Holds back (`true`) or lets go (`false`) every `/wham/usage` answer.
    pub fn hold_usage(&self, held: bool) {
        self.usage_held.send_replace(held);
    }

    /// Waits while `/wham/usage` answers are held, at most `limit` (so a test that forgets to
    /// let go cannot hang the emulator).
    pub async fn usage_released(&self, limit: Duration) {
        let mut held = self.usage_held.subscribe();
        tokio::time::timeout(limit, held.wait_for(|held| !*held))
            .await
            .ok();
    }

    /// Sets the pause between the events of every `/responses` stream.
    pub fn set_stream_pause(&self, pause: Duration) {
        self.inner.lock().stream_pause = pause;
    }

    /// The pause between the events of every `/responses` stream.
    pub fn stream_pause(&self) -> Duration {
        self.inner.lock().stream_pause
    }

    /// Remembers a new authorization code and returns it.
    pub fn issue_code(&self, pending: PendingCode) -> String {
        let code = random_token("ac_", 32);
        self.inner.lock().codes.insert(code.clone(), pending);
        code
    }

    /// Takes an authorization code: whatever the exchange's outcome, a code is good for one
    /// attempt (RFC 6749 §4.1.2).
    pub fn take_code(&self, code: &str) -> Option<PendingCode> {
        self.inner.lock().codes.remove(code)
    }

    /// Issues the tokens of a new grant (a code exchange) with the configured lifetime.
    pub fn issue_new_grant(&self) -> IssuedTokens {
        let lifetime = self.access_token_lifetime_secs();
        let mut inner = self.inner.lock();
        let family = inner.next_family;
        inner.next_family += 1;
        self.issue_in_family(&mut inner, family, lifetime)
    }

    /// Mints live tokens for a new grant without a browser; a negative lifetime mints an
    /// already-expired access token.
    pub fn mint_tokens(&self, expires_in_secs: i64) -> MintedTokens {
        let mut inner = self.inner.lock();
        let family = inner.next_family;
        inner.next_family += 1;
        let tokens = self.issue_in_family(&mut inner, family, expires_in_secs);
        MintedTokens {
            id_token: tokens.id_token,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        }
    }

    /// Exchanges a refresh token for new tokens, rotating it (the old one becomes "used").
    pub fn refresh(&self, refresh_token: &str) -> Result<IssuedTokens, RefreshRejection> {
        let lifetime = self.access_token_lifetime_secs();
        let mut inner = self.inner.lock();
        let record = inner
            .refresh_tokens
            .get_mut(refresh_token)
            .ok_or(RefreshRejection::Unknown)?;
        match record.status {
            RefreshStatus::Used => return Err(RefreshRejection::Reused),
            RefreshStatus::Revoked => return Err(RefreshRejection::Revoked),
            RefreshStatus::Live => record.status = RefreshStatus::Used,
        }
        let family = record.family;
        Ok(self.issue_in_family(&mut inner, family, lifetime))
    }

    /// Revokes a refresh token and its family's access tokens (RFC 7009 §2.1). Unknown tokens
    /// are not an error (RFC 7009 §2.2); returns whether the token was known.
    pub fn revoke(&self, token: &str) -> bool {
        let mut inner = self.inner.lock();
        let family = if let Some(record) = inner.refresh_tokens.get_mut(token) {
            record.status = RefreshStatus::Revoked;
            record.family
        } else if let Some(record) = inner.access_tokens.get(token) {
            record.family
        } else {
            return false;
        };
        for record in inner.refresh_tokens.values_mut() {
            if record.family == family {
                record.status = RefreshStatus::Revoked;
            }
        }
        for record in inner.access_tokens.values_mut() {
            if record.family == family {
                record.revoked = true;
            }
        }
        true
    }

    /// Revokes every access token issued so far.
    pub fn revoke_access_tokens(&self) {
        for record in self.inner.lock().access_tokens.values_mut() {
            record.revoked = true;
        }
    }

    /// Checks a bearer token the backend received.
    pub fn check_access_token(&self, token: &str) -> Result<(), AccessRejection> {
        let inner = self.inner.lock();
        let record = inner
            .access_tokens
            .get(token)
            .ok_or(AccessRejection::Unknown)?;
        if record.revoked {
            Err(AccessRejection::Revoked)
        } else if record.expires_at <= now_secs() {
            Err(AccessRejection::Expired)
        } else {
            Ok(())
        }
    }

    /// Starts a device-code sign-in; returns its id.
    pub fn start_device_auth(&self, user_code: String) -> String {
        let id = random_token("deviceauth_", 16);
        let auth = DeviceAuth {
            user_code,
            pending_polls_left: self.options.device_pending_polls,
        };
        self.inner.lock().device_auths.insert(id.clone(), auth);
        id
    }

    /// Runs `f` on a device sign-in in progress, if `id` names one; `f` returns whether the
    /// sign-in is over (and is then forgotten).
    pub fn with_device_auth<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut DeviceAuth) -> (T, bool),
    ) -> Option<T> {
        let mut inner = self.inner.lock();
        let auth = inner.device_auths.get_mut(id)?;
        let (result, finished) = f(auth);
        if finished {
            inner.device_auths.remove(id);
        }
        Some(result)
    }

    /// Remembers the latest `/responses` request.
    pub fn record_responses_request(&self, request: RecordedRequest) {
        self.inner.lock().last_responses_request = Some(request);
    }

    /// Remembers an issuer request (the latest [`MAX_ISSUER_REQUESTS`] are kept).
    pub fn record_issuer_request(&self, path: &'static str, headers: &axum::http::HeaderMap) {
        let mut inner = self.inner.lock();
        if inner.issuer_requests.len() == MAX_ISSUER_REQUESTS {
            inner.issuer_requests.pop_front();
        }
        inner.issuer_requests.push_back(IssuerRequest {
            path,
            headers: headers.clone(),
        });
    }

    /// The issuer requests received, oldest first.
    pub fn issuer_requests(&self) -> Vec<IssuerRequest> {
        self.inner.lock().issuer_requests.iter().cloned().collect()
    }

    /// The latest `/responses` request, if any.
    pub fn last_responses_request(&self) -> Option<RecordedRequest> {
        self.inner.lock().last_responses_request.clone()
    }

    /// Counts an answer to `slug` as streaming until the returned guard is dropped.
    pub fn begin_response_stream(self: &Arc<Self>, slug: &str) -> ResponseInFlight {
        let mut inner = self.inner.lock();
        let now = {
            let count = inner
                .responses_in_flight
                .entry(slug.to_string())
                .or_default();
            *count += 1;
            *count
        };
        let max = inner
            .stats
            .responses_in_flight_max
            .entry(slug.to_string())
            .or_default();
        *max = (*max).max(now);
        ResponseInFlight {
            state: self.clone(),
            slug: slug.to_string(),
        }
    }

    /// A keyed MAC of `data` under the emulator's secret key (HMAC-SHA256, RFC 2104): what makes
    /// its opaque `encrypted_content` tamper-evident.
    /// (`None` cannot happen: HMAC takes keys of any length.)
    pub fn mac(&self, data: &[u8]) -> Option<hmac::Hmac<Sha256>> {
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<Sha256>>::new_from_slice(&self.signing_key).ok()?;
        mac.update(data);
        Some(mac)
    }

    /// The model catalog's current revision (part of its ETag).
    pub fn models_revision(&self) -> u64 {
        self.inner.lock().models_revision
    }

    /// The catalog `/models` serves.
    pub fn catalog(&self) -> Arc<super::models::Catalog> {
        let served = self.inner.lock().catalog.clone();
        served.unwrap_or_else(super::models::default_catalog)
    }

    /// New grants (sign-ins, minted tokens) from now on belong to `account`; the tokens of
    /// earlier grants, and their refreshes, keep theirs.
    pub fn set_account(&self, account: super::EmulatedAccount) {
        self.inner.lock().current_account = Some(account);
    }

    /// The ChatGPT account id an access token belongs to, if the issuer issued it.
    pub fn access_token_account(&self, token: &str) -> Option<String> {
        let inner = self.inner.lock();
        let family = inner.access_tokens.get(token)?.family;
        inner
            .family_accounts
            .get(&family)
            .map(|account| account.account_id.clone())
    }

    /// The catalog served to `account_id`: its own, if it has one, else the shared one.
    pub fn catalog_for(&self, account_id: &str) -> Arc<super::models::Catalog> {
        let own = self.inner.lock().account_catalogs.get(account_id).cloned();
        own.unwrap_or_else(|| self.catalog())
    }

    /// Serves `catalog` to `account_id` only, from now on.
    pub fn set_account_catalog(&self, account_id: &str, catalog: super::models::Catalog) {
        self.inner
            .lock()
            .account_catalogs
            .insert(account_id.to_string(), Arc::new(catalog));
    }

    /// Serves another catalog from now on (its `ETag` changes with it).
    pub fn set_catalog(&self, catalog: super::models::Catalog) {
        self.inner.lock().catalog = Some(Arc::new(catalog));
    }

    /// Moves the model catalog to a new revision.
    pub fn bump_models_revision(&self) {
        self.inner.lock().models_revision += 1;
    }

    /// Records a request's input size under its `prompt_cache_key` and returns how many of its
    /// tokens the previous request with that key had already sent (the "cached" part).
    pub fn prompt_cache_hit(&self, key: Option<&str>, input_tokens: u64) -> u64 {
        let Some(key) = key else { return 0 };
        let previous = self
            .inner
            .lock()
            .prompt_cache
            .insert(key.to_string(), input_tokens);
        previous.unwrap_or(0).min(input_tokens)
    }

    fn access_token_lifetime_secs(&self) -> i64 {
        i64::try_from(self.options.access_token_lifetime.as_secs()).unwrap_or(i64::MAX / 2)
    }

    fn issue_in_family(&self, inner: &mut Inner, family: u64, lifetime_secs: i64) -> IssuedTokens {
        let issued_at = now_secs();
        let expires_at = issued_at.saturating_add(lifetime_secs);
        let current = inner
            .current_account
            .clone()
            .unwrap_or_else(|| self.options.account.clone());
        let account = inner
            .family_accounts
            .entry(family)
            .or_insert(current)
            .clone();
        let mint = |kind, token_id: &str| {
            let claims = Claims {
                account: &account,
                issuer: &self.issuer_url,
                issued_at,
                expires_at,
                token_id,
            };
            jwt::mint(kind, &claims, &self.signing_key)
        };
        let id_token = mint(TokenKind::Id, &random_token("", 12));
        let access_token = mint(TokenKind::Access, &random_token("", 12));
        let refresh_token = random_token("rt_", 32);
        inner.access_tokens.insert(
            access_token.clone(),
            AccessRecord {
                family,
                expires_at,
                revoked: false,
            },
        );
        inner.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshRecord {
                family,
                status: RefreshStatus::Live,
            },
        );
        IssuedTokens {
            id_token,
            access_token,
            refresh_token,
            expires_in: lifetime_secs,
        }
    }
}
