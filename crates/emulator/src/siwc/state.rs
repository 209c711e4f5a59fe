//! What the official route remembers between requests: registered clients, pending codes,
//! live tokens, the consent mode, the fault queue, recorded requests and counters.
//!
//! As on the Codex route, tokens are recognised by lookup (a token the emulator did not issue is
//! unknown whatever its signature), and tokens issued by one grant and its refreshes form a
//! *family*: revoking a refresh token kills the family's access tokens too (RFC 7009 §2.1).
//! Refresh tokens rotate and are single-use (siwc.md §1.8); a consumed one answers
//! `refresh_token_reused` without killing the family.

use super::faults::{FaultSite, Persistence, SiwcFault, SiwcFaultQueue};
use super::jwks::SigningKey;
use crate::state::{now_secs, random_token};
use axum::body::Bytes;
use axum::http::HeaderMap;
use parking_lot::Mutex;
use std::collections::HashMap;

/// The entry-point client id of a first registration (siwc.md §1.3); never valid at the token
/// endpoint.
pub const DYNAMIC_CLIENT_ID: &str = "dynamic_agent_client";
/// The API audience every request names in `resource` (§1.1).
pub const API_RESOURCE: &str = "https://api.openai.com/v1";
/// The scope that lets a token use the plan (§1.6 step 4).
pub const PLAN_SCOPE: &str = "chatgpt.tokens.use.direct";
/// The complete scope set every authorization asks for (§1.3).
pub const REQUESTED_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "resource.invoke",
    PLAN_SCOPE,
];
/// The emulated user's `sub` (§9.2).
pub const SUBJECT: &str = "user-fake-1";
/// Another user's `sub` (the `IdTokenDifferentSub` fault).
pub const OTHER_SUBJECT: &str = "user-fake-2";
/// The emulated user's e-mail.
pub const EMAIL: &str = "dev@example.invalid";
/// The emulated user's name.
pub const NAME: &str = "Dev";

/// What the user grants at the authorize endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Every requested scope, plan use included; a refresh token comes with it.
    Plan,
    /// `openid profile email` only: no plan use, no refresh token (§9.2).
    IdentityOnly,
}

impl Grant {
    /// The granted scopes, space-separated, as the token answer's `scope` lists them (§9.2).
    pub fn scope(self) -> &'static str {
        match self {
            Self::Plan => {
                "chatgpt.tokens.use.direct email offline_access openid profile resource.invoke"
            }
            Self::IdentityOnly => "openid profile email",
        }
    }
}

/// What the authorize endpoint does once the request checks out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SiwcConsent {
    /// Redirects at once with a code granting plan use (the default).
    #[default]
    Approve,
    /// Redirects with `error=access_denied` (the user declined plan use, §5.1).
    Decline,
    /// Redirects with a code granting identity only: `openid profile email`, no refresh token.
    IdentityOnly,
    /// Serves an HTML consent page ("Continue", "Continue without plan use", "Cancel").
    Page,
}

/// One request the official route received (any path), for tests that check what the client
/// sent. Its `Debug` shows the method, path and header names only: the rest holds secrets.
#[derive(Clone)]
pub struct SiwcRecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, e.g. `/api/accounts/oauth/token` or `/v1/responses`.
    pub path: String,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The headers (names are lower-case).
    pub headers: HeaderMap,
    /// The body's bytes (a form or JSON).
    pub body: Bytes,
}

impl SiwcRecordedRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body's form fields, in order (empty when it is not a form).
    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).unwrap_or_default()
    }

    /// One form field's value.
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// One query parameter's value.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

impl std::fmt::Debug for SiwcRecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|name| name.as_str()).collect();
        f.debug_struct("SiwcRecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("header_names", &names)
            .finish_non_exhaustive()
    }
}

/// Counters and registrations of the official route (tests assert on them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiwcStats {
    /// The issued client ids, in the order they were registered.
    pub issued_client_ids: Vec<String>,
    /// `GET`/`POST /api/accounts/authorize` requests.
    pub authorize_requests: usize,
    /// Every token request, whatever the grant and outcome.
    pub token_requests: usize,
    /// `authorization_code` grants attempted.
    pub code_exchanges: usize,
    /// `refresh_token` grants attempted.
    pub refreshes: usize,
    /// Refresh tokens rotated (successful refreshes, including a lost answer).
    pub rotations: usize,
    /// Revocation requests.
    pub revocations: usize,
    /// Refresh tokens revoked (by a revocation naming one, or its family).
    pub refresh_tokens_revoked: usize,
    /// `GET /.well-known/jwks.json` requests.
    pub jwks_requests: usize,
    /// `GET /.well-known/openid-configuration` requests.
    pub discovery_requests: usize,
    /// `GET /v1/models` requests.
    pub models_requests: usize,
    /// `POST /v1/responses` requests.
    pub responses_requests: usize,
    /// Requests answered 403 `subscription_sharing_route_not_supported`.
    pub unsupported_route_requests: usize,
    /// The `param` of every `POST /v1/responses` the preview rules refused (400), in order:
    /// empty while a client keeps to the rules.
    pub rule_refusals: Vec<String>,
}

/// Live tokens for the official route, minted without a browser
/// ([`Emulator::siwc_mint_tokens`](crate::Emulator::siwc_mint_tokens)). Its `Debug` shows the
/// client id and subject only.
#[derive(Clone)]
pub struct SiwcMintedTokens {
    /// The access token (a JWT the API accepts, with the plan scope).
    pub access_token: String,
    /// A live, single-use refresh token.
    pub refresh_token: String,
    /// An ID token signed with the emulator's key (no `nonce`).
    pub id_token: String,
    /// The issued client id the tokens belong to.
    pub client_id: String,
    /// The user's `sub`.
    pub sub: String,
}

impl std::fmt::Debug for SiwcMintedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiwcMintedTokens")
            .field("client_id", &self.client_id)
            .field("sub", &self.sub)
            .finish_non_exhaustive()
    }
}

/// An authorization code waiting for its exchange.
#[derive(Clone, Debug)]
pub struct PendingCode {
    /// The issued client id it belongs to.
    pub client_id: String,
    /// The `redirect_uri`, byte for byte; the exchange must repeat it.
    pub redirect_uri: String,
    /// The S256 `code_challenge`.
    pub code_challenge: String,
    /// The attempt's `nonce`, echoed in the ID token.
    pub nonce: String,
    /// What the user granted.
    pub grant: Grant,
}

/// Why a refresh token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshRejection {
    /// Already exchanged (rotation makes each one single-use).
    Reused,
    /// Revoked (sign-out).
    Revoked,
    /// Never issued, or issued to another client.
    Unknown,
}

/// Why an access token was refused by the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessRejection {
    /// Never issued.
    Unknown,
    /// Its `exp` has passed.
    Expired,
    /// Revoked.
    Revoked,
    /// Granted without the plan scope.
    NoPlanScope,
}

/// A refresh grant that passed: the family and what it carries on.
#[derive(Clone, Debug)]
pub struct Rotation {
    /// The family the new tokens join.
    pub family: u64,
    /// What was granted.
    pub grant: Grant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefreshStatus {
    Live,
    Used,
    Revoked,
}

struct RefreshRecord {
    family: u64,
    client_id: String,
    grant: Grant,
    status: RefreshStatus,
}

struct AccessRecord {
    family: u64,
    expires_at: i64,
    grant: Grant,
    revoked: bool,
}

#[derive(Default)]
struct Inner {
    consent: SiwcConsent,
    faults: SiwcFaultQueue,
    requests: Vec<SiwcRecordedRequest>,
    next_request_id: u64,
    stats: SiwcStats,
    /// The `/v1/models` answer served instead of [`super::models::catalog`].
    catalog: Option<serde_json::Value>,
    /// Host id → issued client id.
    hosts: HashMap<String, String>,
    codes: HashMap<String, PendingCode>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    access_tokens: HashMap<String, AccessRecord>,
    next_family: u64,
    next_refresh: u64,
}

/// The state every official-route handler shares. Its `Debug` shows the URLs only.
pub struct SiwcState {
    /// The issuer's base URL (`http://127.0.0.1:PORT`), the `iss` of every token.
    pub issuer_url: String,
    /// How long access tokens live, in seconds.
    pub access_lifetime_secs: i64,
    /// The RS256 key.
    pub key: SigningKey,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for SiwcState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiwcState")
            .field("issuer_url", &self.issuer_url)
            .finish_non_exhaustive()
    }
}

/// The most requests [`SiwcState::requests`] keeps (the latest ones).
const MAX_RECORDED_REQUESTS: usize = 2000;

impl SiwcState {
    /// Fresh state for an official route at `issuer_url`.
    pub fn new(issuer_url: String, access_lifetime_secs: i64) -> anyhow::Result<Self> {
        Ok(Self {
            issuer_url,
            access_lifetime_secs,
            key: SigningKey::load()?,
            inner: Mutex::new(Inner::default()),
        })
    }

    /// The API's base URL (`{issuer}/v1`): both live on the one listener.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.issuer_url)
    }

    /// Records a request and returns its request id (`req_fake_<n>`).
    pub fn record(&self, request: SiwcRecordedRequest) -> String {
        let mut inner = self.inner.lock();
        if inner.requests.len() == MAX_RECORDED_REQUESTS {
            inner.requests.remove(0);
        }
        inner.requests.push(request);
        inner.next_request_id += 1;
        format!("req_fake_{}", inner.next_request_id)
    }

    /// The requests received, oldest first.
    pub fn requests(&self) -> Vec<SiwcRecordedRequest> {
        self.inner.lock().requests.clone()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SiwcStats {
        self.inner.lock().stats.clone()
    }

    /// Bumps a counter.
    pub fn count(&self, counter: impl FnOnce(&mut SiwcStats) -> &mut usize) {
        *counter(&mut self.inner.lock().stats) += 1;
    }

    /// Notes a request the preview rules refused, by its `param`.
    pub fn note_rule_refusal(&self, param: &str) {
        self.inner
            .lock()
            .stats
            .rule_refusals
            .push(param.to_string());
    }

    /// The `/v1/models` answer: the one set by [`Self::set_catalog`], else the default.
    pub fn catalog(&self) -> serde_json::Value {
        self.inner
            .lock()
            .catalog
            .clone()
            .unwrap_or_else(super::models::catalog)
    }

    /// Serves `catalog` as the `/v1/models` answer from now on.
    pub fn set_catalog(&self, catalog: serde_json::Value) {
        self.inner.lock().catalog = Some(catalog);
    }

    /// Adds a fault.
    pub fn inject(&self, fault: SiwcFault, persistence: Persistence) {
        self.inner.lock().faults.push(fault, persistence);
    }

    /// Drops every fault.
    pub fn clear_faults(&self) {
        self.inner.lock().faults.clear();
    }

    /// Takes the first queued fault for `site`.
    pub fn take_fault(&self, site: FaultSite) -> Option<SiwcFault> {
        self.inner.lock().faults.take(site, |_| true)
    }

    /// Takes the first queued fault for `site` that `applies` accepts.
    pub fn take_fault_if(
        &self,
        site: FaultSite,
        applies: impl Fn(&SiwcFault) -> bool,
    ) -> Option<SiwcFault> {
        self.inner.lock().faults.take(site, applies)
    }

    /// What the authorize endpoint does.
    pub fn consent(&self) -> SiwcConsent {
        self.inner.lock().consent
    }

    /// Sets what the authorize endpoint does from now on.
    pub fn set_consent(&self, consent: SiwcConsent) {
        self.inner.lock().consent = consent;
    }

    /// Whether `client_id` was issued by this emulator.
    pub fn is_issued(&self, client_id: &str) -> bool {
        self.inner
            .lock()
            .stats
            .issued_client_ids
            .iter()
            .any(|issued| issued == client_id)
    }

    /// Registers the agent on `host_id` and returns its issued client id: the one already issued
    /// to that host, or a new `oaiapp_fake_N`.
    pub fn register(&self, host_id: &str) -> String {
        let mut inner = self.inner.lock();
        if let Some(existing) = inner.hosts.get(host_id) {
            return existing.clone();
        }
        let issued = Self::new_client_id(&mut inner);
        inner.hosts.insert(host_id.to_string(), issued.clone());
        issued
    }

    fn new_client_id(inner: &mut Inner) -> String {
        let issued = format!("oaiapp_fake_{}", inner.stats.issued_client_ids.len() + 1);
        inner.stats.issued_client_ids.push(issued.clone());
        issued
    }

    /// Remembers a new authorization code and returns it.
    pub fn issue_code(&self, pending: PendingCode) -> String {
        let code = random_token("ac_fake_", 24);
        self.inner.lock().codes.insert(code.clone(), pending);
        code
    }

    /// Takes an authorization code: good for one attempt, whatever its outcome.
    pub fn take_code(&self, code: &str) -> Option<PendingCode> {
        self.inner.lock().codes.remove(code)
    }

    /// A new token family (a code exchange or a mint).
    pub fn new_family(&self) -> u64 {
        let mut inner = self.inner.lock();
        inner.next_family += 1;
        inner.next_family
    }

    /// Remembers an access token issued in `family`.
    pub fn remember_access_token(&self, token: &str, family: u64, expires_at: i64, grant: Grant) {
        self.inner.lock().access_tokens.insert(
            token.to_string(),
            AccessRecord {
                family,
                expires_at,
                grant,
                revoked: false,
            },
        );
    }

    /// Issues a live refresh token `rt_fake_N` in `family`.
    pub fn issue_refresh_token(&self, family: u64, client_id: &str, grant: Grant) -> String {
        let mut inner = self.inner.lock();
        inner.next_refresh += 1;
        let token = format!("rt_fake_{}_{}", inner.next_refresh, random_token("", 24));
        inner.refresh_tokens.insert(
            token.clone(),
            RefreshRecord {
                family,
                client_id: client_id.to_string(),
                grant,
                status: RefreshStatus::Live,
            },
        );
        token
    }

    /// Consumes a refresh token of `client_id` (rotation: it becomes "used").
    pub fn rotate(&self, client_id: &str, token: &str) -> Result<Rotation, RefreshRejection> {
        let mut inner = self.inner.lock();
        let record = inner
            .refresh_tokens
            .get_mut(token)
            .filter(|record| record.client_id == client_id)
            .ok_or(RefreshRejection::Unknown)?;
        match record.status {
            RefreshStatus::Used => return Err(RefreshRejection::Reused),
            RefreshStatus::Revoked => return Err(RefreshRejection::Revoked),
            RefreshStatus::Live => record.status = RefreshStatus::Used,
        }
        let rotation = Rotation {
            family: record.family,
            grant: record.grant,
        };
        inner.stats.rotations += 1;
        Ok(rotation)
    }

    /// Revokes a token and its family (RFC 7009 §2.1); unknown tokens are not an error
    /// (§2.2). Returns whether the token was known.
    pub fn revoke(&self, token: &str) -> bool {
        let mut inner = self.inner.lock();
        let family = if let Some(record) = inner.refresh_tokens.get(token) {
            record.family
        } else if let Some(record) = inner.access_tokens.get(token) {
            record.family
        } else {
            return false;
        };
        let mut revoked = 0;
        for record in inner.refresh_tokens.values_mut() {
            if record.family == family && record.status != RefreshStatus::Revoked {
                record.status = RefreshStatus::Revoked;
                revoked += 1;
            }
        }
        inner.stats.refresh_tokens_revoked += revoked;
        for record in inner.access_tokens.values_mut() {
            if record.family == family {
                record.revoked = true;
            }
        }
        true
    }

    /// Revokes every access token issued so far (refresh tokens stay usable).
    pub fn revoke_access_tokens(&self) {
        for record in self.inner.lock().access_tokens.values_mut() {
            record.revoked = true;
        }
    }

    /// Checks a bearer token the API received.
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
        } else if record.grant != Grant::Plan {
            Err(AccessRejection::NoPlanScope)
        } else {
            Ok(())
        }
    }

    /// A new issued client id for minted tokens (no host, no browser).
    pub fn register_without_host(&self) -> String {
        Self::new_client_id(&mut self.inner.lock())
    }
}
